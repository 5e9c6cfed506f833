#!/usr/bin/env node
// Tiny shim: the CLI lives in src/cli (compiled to dist/ by `npm install` / `npm run build`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
