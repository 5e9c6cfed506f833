// Loading what the verbs need, with one line on stderr that says what was loaded and from where:
// embeddings by source, and a model with the embeddings it was trained with (found by what they are).

import path from 'node:path';
import { DEFAULT_EMBEDDINGS, type Embeddings, loadEmbeddings } from '../embeddings/embeddings.js';
import { embeddingsForModel } from '../embeddings/locate.js';
import { attachEmbeddings, readModelFile } from '../io/model-io.js';
import type { NerModel } from '../model/ner-model.js';
import { paint, shown } from './common.js';

function reporters(quiet: boolean) {
  return {
    onProgress: (msg: string) => {
      if (!quiet) process.stderr.write(`${paint.dim(msg)}\n`);
    },
    // warnings (duplicate words, a cache that cannot be written) are printed even when quiet
    onWarning: (msg: string) => process.stderr.write(`${paint.yellow('warning:')} ${msg}\n`),
  };
}

/** The line every verb prints once the embeddings are there. */
export function embeddingsLine(emb: Embeddings, seconds: number): string {
  const name = emb.source === DEFAULT_EMBEDDINGS || !path.isAbsolute(emb.source) ? emb.source : shown(emb.source);
  const cap = emb.maxWords !== undefined ? ` (first ${emb.maxWords.toLocaleString('en-US')})` : '';
  const lazy = emb.vectors.length === 0 && emb.from !== undefined && emb.from !== 'parsed' && !emb.from.startsWith('the model') ? ' (rows read on demand)' : '';
  const how = emb.from === 'parsed' ? 'parsed from the file' : `from ${emb.from ?? 'memory'}${lazy}`;
  return `embeddings: ${name}, ${emb.count.toLocaleString('en-US')} words${cap} × ${emb.d}, ${how} in ${seconds.toFixed(2)} s`;
}

/**
 * Loads embeddings by source name (the default package) or path. lazyVectors: read vector rows from the
 * cache on demand (train, eval and tag touch a few tens of thousands of the 341k rows: reading them one
 * by one beats reading all 137 MB into fresh memory). maxWords: keep the source's first N words only.
 */
export async function loadEmbeddingsFor(spec: string | undefined, quiet: boolean, lazyVectors = false, maxWords?: number): Promise<Embeddings> {
  const t0 = performance.now();
  const r = reporters(quiet);
  const emb = await loadEmbeddings(spec === DEFAULT_EMBEDDINGS ? undefined : spec, { lazyVectors, maxWords, ...r });
  if (!quiet) r.onProgress(embeddingsLine(emb, (performance.now() - t0) / 1000));
  return emb;
}

/**
 * Reads a model file and joins it with its embeddings: `--embeddings` when given, else the vectors the
 * file carries, else the ones it was trained with, wherever they are now (embeddings/locate.ts).
 */
export async function loadModelFor(modelFile: string, embeddings: string | undefined, quiet: boolean): Promise<NerModel> {
  const t0 = performance.now();
  const mf = readModelFile(modelFile);
  const r = reporters(quiet);
  const emb = await embeddingsForModel(mf, embeddings, { lazyVectors: true, ...r });
  if (!quiet) r.onProgress(embeddingsLine(emb, (performance.now() - t0) / 1000)); // (its number formatting costs 15 ms the first time)
  return attachEmbeddings(mf, emb);
}
