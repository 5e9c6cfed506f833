// Entry point of the `ner` command: builds the commander program from one file per verb and turns every
// error into a message and an exit code (0 ok, 1 user error, 2 internal error, 130 interrupted). The
// only place that decides the exit code.

import { Command, CommanderError } from 'commander';
import { NerError } from '../errors.js';
import { writeErrorHint, writeErrorText } from '../io/atomic.js';
import { addGlobalOptions } from './global.js';
import { paint, VERSION } from './common.js';

// The verbs, in the order the help lists them, each loaded when it is needed: a run of one verb loads
// that verb's code only (`ner tag` then starts without training's, serving's and annotating's modules:
// 0.08 s less CPU time at start-up).
const VERBS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).trainCommand(),
  eval: async () => (await import('./eval.js')).evalCommand(),
  tag: async () => (await import('./tag.js')).tagCommand(),
  info: async () => (await import('./info.js')).infoCommand(),
  gradcheck: async () => (await import('./gradcheck.js')).gradcheckCommand(),
  convert: async () => (await import('./convert.js')).convertCommand(),
  package: async () => (await import('./package.js')).packageCommand(),
  cache: async () => (await import('./cache.js')).cacheCommand(),
  annotate: async () => (await import('./annotate.js')).annotateCommand(),
  select: async () => (await import('./select.js')).selectCommand(),
  serve: async () => (await import('./serve.js')).serveCommand(),
};

/** The program with every verb, or with `verb` only (the verb a command line runs: see main). */
export async function buildProgram(verb?: string): Promise<Command> {
  const program = new Command()
    .name('ner')
    .description('Named-entity recognition with the CS224N window classifier: train on CoNLL files, evaluate, tag text.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const verbs = await Promise.all((verb !== undefined && Object.hasOwn(VERBS, verb) ? [verb] : Object.keys(VERBS)).map((v) => VERBS[v]()));
  for (const c of verbs) program.addCommand(c.exitOverride());
  addGlobalOptions(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  guardStreams();
  try {
    // the first word that is not an option names the verb (the one global option, --no-color, takes no value)
    await (await buildProgram(argv.slice(2).find((a) => !a.startsWith('-')))).parseAsync(argv);
    return 0;
  } catch (err) {
    return report(err);
  }
}

/**
 * The one place that handles write errors on the standard streams. stderr carries only messages: when
 * it fails (a reader that quit, `2>/dev/full`) the messages are dropped and the work goes on, so that a
 * training still saves its model. stdout carries results: a closed pipe (`ner tag big.txt | head`) is
 * a normal way for a reader to stop (exit 0, quietly); any other error (a full disk) loses results, so
 * it ends the run with a message and exit 1.
 */
export function guardStreams(): void {
  process.stderr.on('error', () => {});
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.exitCode = report(new NerError(`cannot write to standard output: ${writeErrorText(err.code) ?? err.code ?? err.message}`,
      writeErrorHint(err.code) ?? 'redirect the output to a file you can write, e.g. > out.txt'));
    process.exit();
  });
}
/** Prints an error the way a user should see it; returns the exit code. */
export function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; commander has already printed its own message for usage errors
    return err.exitCode === 0 ? 0 : 1;
  }
  if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') return 0;
  if (err instanceof NerError) {
    process.stderr.write(`${paint.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`  ${paint.dim('fix:')} ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`${paint.red('internal error:')} ${e?.message ?? String(err)}\n`);
  if (process.env.NER_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('  this is a bug in ner; run again with NER_DEBUG=1 for details and report it\n');
  return 2;
}
