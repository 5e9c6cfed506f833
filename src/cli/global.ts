// Options every verb accepts, defined once on the root program: --no-color turns colour off on stdout and
// stderr (NO_COLOR and FORCE_COLOR=0 already do so through chalk; the flag wins over FORCE_COLOR), and the
// exit codes are documented in the top-level help.

import type { Command } from 'commander';
import { ink, paint } from './common.js';

export function addGlobalOptions(program: Command): Command {
  program
    .option('--no-color', 'no colour in the output (also: the NO_COLOR environment variable)')
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', (root) => {
      if (root.opts().color === false) {
        ink.level = 0;
        paint.level = 0;
      }
    })
    .addHelpText('after', `
Exit codes: 0 ok, 1 user error (bad option, file or data), 2 internal error (a bug), 130 interrupted.
Run \`ner <command> --help\` for a command's options and examples.`);
  for (const c of program.commands) c.configureHelp({ showGlobalOptions: true });
  return program;
}
