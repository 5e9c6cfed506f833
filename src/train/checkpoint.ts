// The resumable checkpoint written when training is interrupted: the full TrainState (epoch, step, Rng
// state, parameters, best-so-far, history) plus what the run was trained on, so that
// `ner train --resume FILE` continues exactly where it stopped and ends with the same model file as an
// uninterrupted run.

import * as fs from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { DataError } from '../errors.js';
import type { Params } from '../model/model.js';
import { leBytes, unpack } from '../io/model-io.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../model/ner-model.js';
import { checkConfig, type TrainState } from './train.js';
import { epochRecordProblem } from '../io/history.js';

export const CHECKPOINT_FORMAT = 'ner-train-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** What the interrupted run was: resuming needs the same inputs. */
export interface RunSpec {
  config: ModelConfig;
  train: string[]; // absolute paths
  dev: string | null;
  tagColumn?: number;
  embeddings: string; // source as given to loadEmbeddings
  maxWords?: number; // --max-words
  fingerprint: string;
  output: string; // absolute path of the model file
  tokens: number; // training tokens, to catch a changed training file
  /** Where the run's best model so far goes until it finishes: `output`, or its `.partial.json` sibling
   *  when `output` held a model before the run (see cli/train.ts for the rule). */
  bestTo?: string;
  /** sha256 of each state `output` may be in while this checkpoint is the newest (null: no file): what it
   *  held before the checkpoint's epoch ended and what the run wrote there then. Anything else means
   *  another run replaced the file since, and resuming would overwrite that run's model. */
  outputHashes?: (string | null)[];
}

export interface Checkpoint {
  run: RunSpec;
  state: TrainState;
}

function unpackParams(o: any, file: string, like?: Params): Params {
  const get = (k: 'W' | 'b' | 'U' | 'c') => unpack(o?.[k], k, [like ? like[k].length : o?.[k]?.shape?.[0] ?? -1], file);
  return { W: get('W'), b: get('b'), U: get('U'), c: get('c') };
}

/** Characters of base64 each part of a large array holds: a multiple of 4, so each part's source (3/4 as
 *  many bytes) encodes alone to the same text as within the whole. */
export const CHUNK_CHARS = 1 << 20;

const MARK = '\u0000'; // what JSON.stringify first writes for each large array of a checkpoint

/** The JSON of model-io's pack(a, [a.length]), as parts of at most `chunk` base64 characters. */
function* packedParts(a: Float64Array | Float32Array, chunk: number): Generator<Uint8Array> {
  yield Buffer.from(`{"dtype":"${a instanceof Float32Array ? 'float32le' : 'float64le'}","shape":[${a.length}],"base64":"`);
  const step = (chunk / 4) * 3;
  for (let o = 0; o < a.byteLength; o += step) yield Buffer.from(leBytes(a, o, Math.min(a.byteLength, o + step)).toString('base64'), 'latin1');
  yield Buffer.from('"}');
}

/**
 * The checkpoint file as byte parts, made one at a time as they are written: JSON in which each large
 * array is model-io's packed form ({dtype, shape, base64}: what unpack reads), encoded a slice at a time,
 * so that no array becomes one long string (fine-tuned word vectors are 25 MB of base64, and a checkpoint
 * holds them twice, the state's and the best model's). `chunk`: base64 characters a part holds.
 */
export function* checkpointParts(c: Checkpoint, chunk = CHUNK_CHARS): Generator<Uint8Array> {
  if (!(chunk > 0 && chunk % 4 === 0)) throw new RangeError(`chunk must be a positive multiple of 4, got ${chunk}`);
  const s = c.state;
  const params = (p: Params) => ({ W: p.W, b: p.b, U: p.U, c: p.c });
  // each array is written as the string MARK, in the order JSON.stringify meets them, then replaced
  const arrays: (Float64Array | Float32Array)[] = [];
  const text = JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      run: c.run,
      state: {
        epoch: s.epoch,
        step: s.step,
        rngAtEpochStart: s.rngAtEpochStart,
        J: s.J,
        seen: s.seen,
        bestEpoch: s.bestEpoch,
        sinceBest: s.sinceBest,
        history: s.history,
        params: params(s.params),
        rows: s.rows,
        ...(s.sub ? { sub: s.sub } : {}),
        best: s.best ? { f1: s.best.f1, params: params(s.best.params), rows: s.best.rows, ...(s.best.sub ? { sub: s.best.sub } : {}) } : null,
      },
    },
    (_key, v) => (v instanceof Float64Array || v instanceof Float32Array ? (arrays.push(v), MARK) : v),
  );
  const quoted = JSON.stringify(MARK);
  const at: number[] = [];
  for (let i = text.indexOf(quoted); i >= 0; i = text.indexOf(quoted, i + quoted.length)) at.push(i);
  // a string of the run equal to MARK (a NUL character) would be taken for an array
  if (at.length !== arrays.length) throw new Error(`checkpoint: ${at.length} array markers for ${arrays.length} arrays`);
  let from = 0;
  for (let k = 0; k < at.length; k++) {
    yield Buffer.from(text.slice(from, at[k]));
    yield* packedParts(arrays[k], chunk);
    from = at[k] + quoted.length;
  }
  yield Buffer.from(text.slice(from) + '\n');
}


export function saveCheckpoint(c: Checkpoint, file: string): void {
  writeFileAtomic(file, checkpointParts(c));
}

export function readCheckpoint(file: string): Checkpoint {
  let doc: any;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'checkpoint not found', 'pass the file that the interrupted `ner train` printed');
    throw new DataError(file, undefined, `not a checkpoint file (${(err as Error).message})`, 'pass the file that the interrupted `ner train` printed');
  }
  if (doc?.format !== CHECKPOINT_FORMAT) throw new DataError(file, undefined, `not a ner training checkpoint (format ${JSON.stringify(doc?.format)})`, 'pass the .ckpt file printed by the interrupted run');
  if (doc.version !== CHECKPOINT_VERSION) throw new DataError(file, undefined, `checkpoint version ${doc.version} is not supported (this ner reads ${CHECKPOINT_VERSION})`, 'resume it with the ner version that wrote it');
  const st = doc.state;
  const run = doc.run as RunSpec;
  const bad = (what: string) => new DataError(file, undefined, `the checkpoint is damaged or was edited: ${what}`, 'train again without --resume');
  if (!run || typeof run !== 'object' || !st || typeof st !== 'object') throw bad('its "run" or "state" is missing');
  if (!Array.isArray(run.train) || run.train.length === 0 || run.train.some((f) => typeof f !== 'string')) throw bad('run.train is not a list of files');
  if (run.dev !== null && typeof run.dev !== 'string') throw bad('run.dev is not a file name or null');
  for (const k of ['embeddings', 'fingerprint', 'output'] as const) if (typeof run[k] !== 'string') throw bad(`run.${k} is not a string`);
  if (!isCount(run.tokens) || run.tokens === 0) throw bad(`run.tokens is ${JSON.stringify(run.tokens)}`);
  if (run.bestTo !== undefined && typeof run.bestTo !== 'string') throw bad('run.bestTo is not a file name');
  if (run.outputHashes !== undefined && (!Array.isArray(run.outputHashes) || run.outputHashes.some((h) => h !== null && typeof h !== 'string'))) throw bad('run.outputHashes is not a list of hashes');
  if (run.config !== undefined && (typeof run.config !== 'object' || run.config === null)) throw bad('run.config is not an object');
  run.config = { ...DEFAULT_CONFIG, ...run.config };
  try {
    checkConfig(run.config);
  } catch (err) {
    throw bad(`run.config holds an ${(err as Error).message}`);
  }
  const epochs = run.config.epochs;
  if (!Number.isInteger(st.epoch) || st.epoch < 1 || st.epoch > epochs + 1) throw bad(`state.epoch is ${JSON.stringify(st.epoch)}, expected 1 to ${epochs + 1}`);
  if (!isCount(st.step) || st.step > run.tokens || st.step % run.config.batch !== 0) {
    throw bad(`state.step is ${JSON.stringify(st.step)}, expected a multiple of the batch (${run.config.batch}) up to the ${run.tokens} training windows`);
  }
  if (!Number.isInteger(st.rngAtEpochStart) || st.rngAtEpochStart < 0 || st.rngAtEpochStart > 0xffffffff) throw bad(`state.rngAtEpochStart is ${JSON.stringify(st.rngAtEpochStart)}, expected a 32-bit whole number`);
  if (!isCount(st.seen) || st.seen > run.tokens) throw bad(`state.seen is ${JSON.stringify(st.seen)}`);
  if (typeof st.J !== 'number' || !Number.isFinite(st.J) || st.J < 0) throw bad(`state.J is ${JSON.stringify(st.J)}, expected the loss so far (a number ≥ 0)`);
  if (!Array.isArray(st.history) || st.history.length !== st.epoch - 1) throw bad(`state.history should list the ${st.epoch - 1} finished epochs`);
  st.history.forEach((r: unknown, i: number) => {
    const problem = epochRecordProblem(r, i + 1);
    if (problem) throw bad(`state.history[${i}] ${problem}`);
  });
  if (!Number.isInteger(st.bestEpoch) || st.bestEpoch < 0 || st.bestEpoch > st.history.length) throw bad(`state.bestEpoch is ${JSON.stringify(st.bestEpoch)}`);
  if (!isCount(st.sinceBest) || st.sinceBest > st.history.length) throw bad(`state.sinceBest is ${JSON.stringify(st.sinceBest)}`);
  if (st.best !== null && (typeof st.best !== 'object' || typeof st.best.f1 !== 'number')) throw bad('state.best is not a best-so-far record');
  if ((st.best === null) !== (st.history.length === 0)) throw bad('state.best does not agree with state.history');
  const params = unpackParams(st.params, file);
  const state: TrainState = {
    epoch: st.epoch,
    step: st.step,
    rngAtEpochStart: st.rngAtEpochStart,
    J: st.J,
    seen: st.seen,
    bestEpoch: st.bestEpoch,
    sinceBest: st.sinceBest,
    history: st.history,
    params,
    rows: unpack(st.rows, 'rows', [st.rows?.shape?.[0] ?? -1], file),
    ...(st.sub ? { sub: Float32Array.from(unpack(st.sub, 'sub', [st.sub?.shape?.[0] ?? -1], file)) } : {}),
    best: st.best
      ? {
          f1: st.best.f1,
          params: unpackParams(st.best.params, file, params),
          rows: unpack(st.best.rows, 'best rows', [st.best.rows?.shape?.[0] ?? -1], file),
          ...(st.best.sub ? { sub: Float32Array.from(unpack(st.best.sub, 'best sub', [st.best.sub?.shape?.[0] ?? -1], file)) } : {}),
        }
      : null,
  };
  if (state.best && (state.best.sub?.length ?? -1) !== (state.sub?.length ?? -1)) throw bad('state.best.sub and state.sub differ in size');
  if (state.best && state.best.rows.length !== state.rows.length) throw bad('state.best.rows and state.rows differ in size');
  return { run, state };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
