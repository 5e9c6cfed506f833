// The retraining thread of `ner serve`: trains a model on the annotations' training part with the
// current model's configuration and seed (the same annotations give the same model file), and scores
// both models on the held-out part with conlleval's entity F1. It runs beside the tagging threads, on one
// core of its own, so tagging goes on while it trains; it never touches the served model: the main
// thread decides from the two scores whether to swap (retrain.ts).

import { parentPort, workerData } from 'node:worker_threads';
import type { Corpus } from '../data/conll.js';
import { embeddingsForModel } from '../embeddings/locate.js';
import { devScore, train } from '../train/train.js';
import { setKernelThreads } from '../fast/team.js';
import { attachEmbeddings, parseModel, serialiseModel } from '../io/model-io.js';

export interface RetrainJob {
  modelText: string; // the current model's file
  modelFile: string;
  embeddings?: string;
  train: Corpus;
  heldOut: Corpus;
}

type Score = { precision: number; recall: number; f1: number };

export type RetrainAnswer =
  | { ok: true; text: string; current: Score; retrained: Score; epochs: number }
  | { ok: false; message: string; hint?: string };

export async function retrain(job: RetrainJob): Promise<RetrainAnswer & { ok: true }> {
  const mf = parseModel(job.modelText, job.modelFile);
  const emb = await embeddingsForModel(mf, job.embeddings, { lazyVectors: true });
  const current = attachEmbeddings(mf, emb);
  // the annotations' own types, not the ones the current model was restricted to
  const result = await train([job.train], null, emb, { ...mf.config, entity: [] });
  return {
    ok: true,
    text: serialiseModel(result.model),
    current: devScore(current, job.heldOut),
    retrained: devScore(result.model, job.heldOut),
    epochs: result.model.history.length,
  };
}

if (workerData?.kind === 'ner-serve-retrain') {
  setKernelThreads(1); // one core: the other stays with the tagging threads
  retrain(workerData.job as RetrainJob).then(
    (a) => parentPort!.postMessage(a),
    (err) => parentPort!.postMessage({ ok: false, message: (err as Error)?.message ?? String(err), hint: (err as { hint?: string })?.hint } satisfies RetrainAnswer),
  );
}
