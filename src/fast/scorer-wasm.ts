// Loads the tagger's SIMD scorer (src/fast/scorer.wat, assembled to dist/src/fast/scorer.wasm by `npm run
// build:wasm`) on the arena's shared memory (arena.ts), so that it runs in place on arrays from
// wasmAlloc32. Compiled once; instantiated once per memory.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmMemory } from './arena.js';
import { NerError } from '../errors.js';

/** The module's functions; arguments are byte offsets into the memory and element counts (see scorer.wat). */
export interface ScorerKernels {
  windows: (...args: number[]) => void;
  tanh: (z: number, h: number, len: number) => void; // h = tanh z (float32), for tests against training's
}

let module: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, ScorerKernels>();

/** The scorer instantiated on the arena's memory. */
export function scorerKernels(memory: WebAssembly.Memory = wasmMemory()): ScorerKernels {
  if (!module) {
    const file = fileURLToPath(new URL('./scorer.wasm', import.meta.url));
    try {
      module = new WebAssembly.Module(readFileSync(file));
    } catch {
      throw new NerError(`${file} is missing`, 'build it with `npm run build:wasm` (npm install does it)');
    }
  }
  let k = instances.get(memory);
  if (k === undefined) {
    const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
    k = { windows: e.windows as ScorerKernels['windows'], tanh: e.tanh as ScorerKernels['tanh'] };
    instances.set(memory, k);
  }
  return k;
}
