// Finding the embeddings a model was trained with by what they are (the table's fingerprint, the source's
// name, content key and file name, all recorded in the model), not by where they were: a model then works
// after it, its vectors or the whole project were moved, and a packaged model needs nothing at all.

import fs from 'node:fs';
import path from 'node:path';
import { NerError } from '../errors.js';
import type { EmbeddingsInfo } from '../model/ner-model.js';
import { defaultCacheDir, findByFingerprint, readCache, touchEntry } from './cache.js';
import { DEFAULT_EMBEDDINGS, type Embeddings, type LoadOptions, defaultFile, fromCache, loadEmbeddings } from './embeddings.js';
import { sourceKey } from './fingerprint.js';

/** What locating needs to know about a model file. */
export interface ModelEmbeddingsRef {
  file: string; // the model file
  embeddings: EmbeddingsInfo;
  packaged?: Embeddings; // vectors the model file carries
}

/**
 * The embeddings for a model: `given` (--embeddings) when there is one; else the vectors the model file
 * carries; else a cache entry with the model's fingerprint; else the source, looked for as the default
 * package, at its recorded path and beside the model (by its file name), skipping files with other
 * contents. Fails with a message that lists every place it looked.
 */
export async function embeddingsForModel(ref: ModelEmbeddingsRef, given: string | undefined, opts: LoadOptions = {}): Promise<Embeddings> {
  const info = ref.embeddings;
  const withCap = { ...opts, maxWords: info.maxWords };
  if (given !== undefined) return loadEmbeddings(given === DEFAULT_EMBEDDINGS ? undefined : given, withCap);
  if (ref.packaged) return ref.packaged;

  const looked: string[] = [];
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  if (opts.useCache ?? true) {
    const entry = findByFingerprint(cacheDir, info.fingerprint, info.d);
    const hit = entry === undefined ? undefined : readCache(entry, undefined, opts.lazyVectors ?? false);
    if (hit !== undefined && 'hit' in hit) {
      const h = hit.hit.header;
      const emb = fromCache(hit.hit, { source: info.source, sourceKey: h.sourceKey, ...(h.maxWords !== null ? { maxWords: h.maxWords } : {}) });
      if (emb !== undefined) {
        touchEntry(entry!);
        return emb;
      }
    }
    looked.push(`the cache ${cacheDir} (${entry === undefined ? 'no entry with that fingerprint' : 'its entry is damaged'})`);
  }

  const candidates: { where: string; file: string | undefined }[] = [];
  if (info.source === DEFAULT_EMBEDDINGS) candidates.push({ where: `the package ${DEFAULT_EMBEDDINGS}`, file: defaultFile() });
  else candidates.push({ where: 'the recorded path', file: info.source });
  const name = info.file ?? (info.source === DEFAULT_EMBEDDINGS ? `${DEFAULT_EMBEDDINGS}.json` : path.basename(info.source));
  candidates.push({ where: 'beside the model', file: path.join(path.dirname(path.resolve(ref.file)), name) });

  let changed: string | undefined; // the recorded source file, when it now holds other vectors
  for (const c of candidates) {
    if (c.file === undefined || !fs.existsSync(c.file) || fs.statSync(c.file).isDirectory()) {
      looked.push(`${c.where}${c.file ? ` ${c.file}` : ''} (${c.where.startsWith('the package') ? 'not installed' : 'not there'})`);
      continue;
    }
    // The content key rules a file out without parsing it; a file that passes is loaded and its table compared.
    if (info.sourceKey === undefined || sourceKey(c.file) === info.sourceKey) {
      const emb = await loadEmbeddings(c.file === defaultFile() ? undefined : c.file, withCap);
      if (emb.fingerprint === info.fingerprint) return emb;
    }
    looked.push(`${c.where} ${c.file} (other vectors)`);
    if (c.file === info.source) changed = c.file;
  }
  if (changed !== undefined) {
    throw new NerError(
      `the embeddings file ${changed} has changed since the model ${ref.file} was trained with it, and the original vectors are nowhere else; looked in ${looked.join('; ')}`,
      `restore the original vectors, or train the model again: ner train --embeddings ${changed} --output ${ref.file}`,
    );
  }
  throw new NerError(
    `cannot find the embeddings the model ${ref.file} was trained with: ${info.file ?? info.source} ` +
      `(${info.count.toLocaleString('en-US')} words × ${info.d}, fingerprint ${info.fingerprint}); looked in ${looked.join('; ')}`,
    `pass them with --embeddings FILE (or put FILE beside the model), or make the model carry its vectors: ner package ${ref.file} --out FILE`,
  );
}
