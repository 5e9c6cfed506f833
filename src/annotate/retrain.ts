// Retraining for `ner annotate`, in a worker thread (train/in-thread.ts) so that the page stays
// responsive: train on the labelled file (plus any seed data) with the default configuration and the
// session's seed, save the model atomically, and score the sentences still unlabelled so the session
// can reorder its questions. The session swaps the new model in only when all of this is
// done; until then it keeps asking with the old one.

import { readConll } from '../data/conll.js';
import { loadEmbeddings } from '../embeddings/embeddings.js';
import { saveModel } from '../io/model-io.js';
import { DEFAULT_CONFIG } from '../model/ner-model.js';
import { inThread } from '../train/in-thread.js';
import { train } from '../train/train.js';
import { NerError } from '../errors.js';
import { namesOf } from './select.js';
import { scoreSentences, type Measure } from './uncertainty.js';

export interface RetrainJob {
  /** CoNLL files to train on: the labelled output first, then any --train seed files. */
  files: string[];
  dev: string | null;
  seed: number;
  /** The embeddings' source (a path, or the default package's name). */
  embeddings: string;
  modelOut: string;
  /** The sentences to score (tokens), and how. */
  pool: string[][];
  by: Measure;
}

export type RetrainResult =
  | { ok: true; modelFile: string; sentences: number; f1: number | null; seconds: number; u: number[]; names: string[][] }
  | { ok: false; message: string; hint?: string };

/** The work itself (also callable without a thread). */
export async function retrain(job: RetrainJob): Promise<RetrainResult> {
  const t0 = performance.now();
  try {
    const corpora = job.files.map((f) => readConll(f));
    const dev = job.dev === null ? null : readConll(job.dev);
    const emb = await loadEmbeddings(job.embeddings, { lazyVectors: true });
    const { model } = await train(corpora, dev, emb, { ...DEFAULT_CONFIG, seed: job.seed });
    saveModel(model, job.modelOut);
    const scored = scoreSentences(model, job.pool, job.by);
    const best = model.bestEpoch > 0 ? model.history[model.bestEpoch - 1].dev : null;
    return {
      ok: true,
      modelFile: job.modelOut,
      sentences: model.trainedOn.sentences,
      f1: best?.f1 ?? null,
      seconds: (performance.now() - t0) / 1000,
      u: scored.map((s) => s.u),
      names: scored.map((s, i) => namesOf(job.pool[i], s)),
    };
  } catch (err) {
    if (err instanceof NerError) return { ok: false, message: err.message, hint: err.hint };
    return { ok: false, message: `retraining failed: ${(err as Error).message}` };
  }
}

/** Runs retrain(job) in a new worker thread (one training thread: the page's thread keeps the other core). */
export function retrainInWorker(job: RetrainJob): Promise<RetrainResult> {
  return inThread<RetrainResult>(new URL(import.meta.url), 'retrain', job).result
    .catch((err: Error) => ({ ok: false, message: `retraining failed: ${err.message}` }));
}
