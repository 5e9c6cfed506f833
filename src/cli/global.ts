// Options every verb accepts, defined once on the root program: --no-color turns colour off on stdout and
// stderr (the rules with NO_COLOR and FORCE_COLOR are in colour.ts), and the exit codes are documented in
// the top-level help.

import type { Command } from 'commander';
import { applyColour } from './colour.js';
import { ink, paint } from './common.js';

export function addGlobalOptions(program: Command): Command {
  applyColour(ink, paint, process.argv.includes('--no-color')); // before parsing, so that usage errors follow the rules too
  program
    .option('--no-color', 'no colour in the output (also: the NO_COLOR environment variable)')
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', (root) => {
      applyColour(ink, paint, root.opts().color === false);
    })
    .addHelpText('after', `
Exit codes: 0 ok, 1 user error (bad option, file or data), 2 internal error (a bug), 130 interrupted.
Run \`ner <command> --help\` for a command's options and examples.`);
  for (const c of program.commands) c.configureHelp({ showGlobalOptions: true });
  return program;
}
