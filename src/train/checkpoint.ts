// The resumable checkpoint written when training is interrupted: the full TrainState (epoch, step, Rng
// state, parameters, best-so-far, history) plus what the run was trained on, so that
// `ner train --resume FILE` continues exactly where it stopped and ends with the same model file as an
// uninterrupted run.

import * as fs from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { DataError, NerError } from '../errors.js';
import type { Params } from '../model/model.js';
import { pack, unpack } from '../io/model-io.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../model/ner-model.js';
import type { TrainState } from './train.js';

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
}

export interface Checkpoint {
  run: RunSpec;
  state: TrainState;
}

function packParams(p: Params) {
  return {
    W: pack(p.W, [p.W.length]),
    b: pack(p.b, [p.b.length]),
    U: pack(p.U, [p.U.length]),
    c: pack(p.c, [p.c.length]),
  };
}

function unpackParams(o: any, file: string, like?: Params): Params {
  const get = (k: 'W' | 'b' | 'U' | 'c') => unpack(o?.[k], k, [like ? like[k].length : o?.[k]?.shape?.[0] ?? -1], file);
  return { W: get('W'), b: get('b'), U: get('U'), c: get('c') };
}

export function serialiseCheckpoint(c: Checkpoint): string {
  const s = c.state;
  return (
    JSON.stringify({
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
        params: packParams(s.params),
        rows: pack(s.rows, [s.rows.length]),
        best: s.best ? { f1: s.best.f1, params: packParams(s.best.params), rows: pack(s.best.rows, [s.best.rows.length]) } : null,
      },
    }) + '\n'
  );
}

export function saveCheckpoint(c: Checkpoint, file: string): void {
  writeFileAtomic(file, serialiseCheckpoint(c));
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
  if (!run || !Array.isArray(run.train) || !st || !Number.isInteger(st.epoch) || !Number.isInteger(st.step)) {
    throw new NerError(`${file}: the checkpoint is incomplete`, 'train again without --resume');
  }
  run.config = { ...DEFAULT_CONFIG, ...run.config };
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
    best: st.best ? { f1: st.best.f1, params: unpackParams(st.best.params, file, params), rows: unpack(st.best.rows, 'best rows', [st.best.rows?.shape?.[0] ?? -1], file) } : null,
  };
  return { run, state };
}
