// What the verbs share: where the package's own files are, option parsers that reject bad numbers with a
// clear message, colour for stderr, and loading the embeddings a command needs with progress on stderr.

import chalk, { chalkStderr } from 'chalk';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NerError, UsageError } from '../errors.js';

/** The package root (the folder with package.json), wherever ner is installed. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
export const DEMO_TRAIN = path.join(ROOT, 'data/demo/train.conll');
export const DEMO_DEV = path.join(ROOT, 'data/demo/dev.conll');
export const DEFAULT_MODEL = 'models/ner.json';

/** Colours for messages on stderr (chalk decides from stderr's TTY and NO_COLOR / FORCE_COLOR). */
export const paint = chalkStderr;
/** Colours for results on stdout. */
export const ink = chalk;

/** Shown in paths printed to the user: relative to the working directory when that is shorter and
 *  climbs at most two folders (`../shared/data/x` as typed, not a long chain of `../`). */
export function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  const ups = rel.split(path.sep).findIndex((part) => part !== '..');
  return rel && ups <= 2 && ups !== -1 && rel.length < p.length ? rel : p;
}

export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new UsageError(`${name} ${value}: expected a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}`,
        `give ${name} a value in that range, or leave it out for the default (shown by --help)`);
    }
    return v;
  };
}

export function numberOption(name: string, check: (v: number) => boolean, expected: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || !check(v)) {
      throw new UsageError(`${name} ${value}: expected ${expected}`, `give ${name} such a value, or leave it out for the default (shown by --help)`);
    }
    return v;
  };
}

export function choiceOption<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`${name} ${value}: expected one of ${choices.join(', ')}`, `e.g. ${name} ${choices[0]}`);
    }
    return value as T;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

// Loading embeddings and models (with the one line that reports them) lives in load.ts.
export { loadEmbeddingsFor, loadModelFor } from './load.js';

/** Writes to stdout, waiting for the stream when it is a pipe that is full. */
export function out(text: string): Promise<void> {
  // A write error (a closed pipe, a full disk) is handled once for the whole process in main.ts.
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Refuses to start a command whose only result goes to stdout (ner tag) when stdout is closed: the
 * results would be lost without a word. Node puts /dev/null, opened read-write, in place of a closed
 * stdout, where a shell's `> /dev/null` opens it write-only. (A parent that passes a read-write /dev/null
 * on purpose, as Node's spawn with stdio 'ignore' does, reads the same way, so only the verb whose whole
 * output is stdout checks it.)
 */
export function refuseClosedStdout(): void {
  if (isStdoutClosed()) throw new NerError('standard output is closed: the results would be lost', 'send them somewhere: > out.txt, or | less');
}

function isStdoutClosed(): boolean {
  try {
    if (fs.readlinkSync('/proc/self/fd/1') !== '/dev/null') return false;
    const flags = /^flags:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & 3) === 2; // O_ACCMODE is O_RDWR
  } catch {
    return false; // no /proc (not Linux): cannot tell
  }
}
