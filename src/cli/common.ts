// What the verbs share: where the package's own files are, option parsers that reject bad numbers with a
// clear message, colour for stderr, and loading the embeddings a command needs with progress on stderr.

import chalk, { chalkStderr } from 'chalk';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EMBEDDINGS, type Embeddings, loadEmbeddings } from '../embeddings/embeddings.js';
import { NerError, UsageError } from '../errors.js';
import { attachEmbeddings, readModelFile } from '../io/model-io.js';
import { sameFile } from '../io/outputs.js';
import type { NerModel } from '../model/ner-model.js';

/** The package root (the folder with package.json), wherever ner is installed. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
export const DEMO_TRAIN = path.join(ROOT, 'data/demo/train.conll');
export const DEMO_DEV = path.join(ROOT, 'data/demo/dev.conll');
export const DEMO_TEXT = path.join(ROOT, 'data/sample.txt');
export const DEFAULT_MODEL = 'models/ner.json';

/** Colours for messages on stderr (chalk decides from stderr's TTY and NO_COLOR / FORCE_COLOR). */
export const paint = chalkStderr;
/** Colours for results on stdout. */
export const ink = chalk;

/** Shown in paths printed to the user: relative to the working directory when that is shorter. */
export function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p;
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

/**
 * Loads embeddings by source name (the default package) or path, reporting progress on stderr.
 * Warnings (duplicate words, a cache that cannot be written) are printed even when quiet.
 */
/** lazyVectors: read vector rows from the cache on demand (train, eval and tag touch a few tens of
 *  thousands of the 341k rows: reading them one by one beats reading all 137 MB into fresh memory). */
export async function loadEmbeddingsFor(spec: string | undefined, quiet: boolean, lazyVectors = false): Promise<Embeddings> {
  const t0 = performance.now();
  const say = (msg: string) => {
    if (!quiet) process.stderr.write(`${paint.dim(msg)}\n`);
  };
  const warn = (msg: string) => process.stderr.write(`${paint.yellow('warning:')} ${msg}\n`);
  const emb = await loadEmbeddings(spec === DEFAULT_EMBEDDINGS ? undefined : spec, {
    lazyVectors, onProgress: say, onWarning: warn });
  say(`embeddings: ${emb.source} (${emb.count.toLocaleString('en-US')} words × ${emb.d}) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return emb;
}

/**
 * Refuses to write an output over one of the inputs (the same path, a symlink to it or a hard link):
 * writeFileAtomic would replace it and the input would be lost. `option` names the option in the message.
 * (Commands check all their outputs at once with guardRun in io/outputs.ts.)
 */
export function refuseOverwritingInput(option: string, output: string, inputs: string[]): void {
  for (const input of inputs) {
    if (sameFile(input, output)) {
      throw new UsageError(`${option} ${output} is also an input file (${input}); writing it would destroy the input`,
        `write to another file, e.g. ${option} ${path.join(path.dirname(output), 'out-' + path.basename(output))}`);
    }
  }
}

/** Writes to stdout, waiting for the stream when it is a pipe that is full. */
export function out(text: string): Promise<void> {
  // A write error (a closed pipe, a full disk) is handled once for the whole process in main.ts.
  if (stdoutClosed ??= isStdoutClosed()) {
    throw new NerError('standard output is closed: the results would be lost', 'send them somewhere: > out.txt, or | less');
  }
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

let stdoutClosed: boolean | undefined;

/**
 * Whether the process started with stdout closed (`ner tag x >&-`). Node then opens /dev/null read-write
 * in its place, where a shell's `> /dev/null` opens it write-only: the two differ in the file's flags.
 */
function isStdoutClosed(): boolean {
  try {
    if (fs.readlinkSync('/proc/self/fd/1') !== '/dev/null') return false;
    const flags = /^flags:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & 3) === 2; // O_ACCMODE is O_RDWR
  } catch {
    return false; // no /proc (not Linux): cannot tell
  }
}

/**
 * Reads a model file and joins it with its embeddings: `--embeddings` when given, else the source the
 * model was trained with (with a clear message when that file is no longer there).
 */
export async function loadModelFor(modelFile: string, embeddings: string | undefined, quiet: boolean): Promise<NerModel> {
  const mf = readModelFile(modelFile);
  const source = embeddings ?? mf.embeddings.source;
  if (embeddings === undefined && source !== DEFAULT_EMBEDDINGS && !fs.existsSync(source)) {
    throw new NerError(
      `the model ${shown(modelFile)} was trained with the embeddings ${source}, which are not there any more`,
      'pass the same vectors with --embeddings FILE',
    );
  }
  return attachEmbeddings(mf, await loadEmbeddingsFor(source, quiet, true));
}
