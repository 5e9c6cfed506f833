// Loads the default embeddings (or the file given as the first argument) once and prints the load
// time, the process's peak RSS and the table's counts. Run it twice in fresh processes to see the
// first (parse + write cache) and the cached load:
//   node dist/scripts/embeddings-timing.js [path] [--no-cache] [--clear-cache]
// --baseline instead times only allocating and filling a Float32Array of the default's size
// (341479×100), the floor for any loader on the machine at hand (fresh memory is slow on some VMs).

import path from 'node:path';
import { defaultCacheDir, listCache, removeEntry } from '../src/embeddings/cache.js';
import { DEFAULT_EMBEDDINGS, defaultFile, findWord, loadEmbeddings } from '../src/embeddings/embeddings.js';
import { sourceKey } from '../src/embeddings/fingerprint.js';
import { pretrainedId } from '../src/model/features.js';

const args = process.argv.slice(2);
const spec = args.find((a) => !a.startsWith('--'));
const useCache = !args.includes('--no-cache');

if (args.includes('--clear-cache')) {
  const source = spec !== undefined ? path.resolve(spec) : DEFAULT_EMBEDDINGS;
  for (const e of listCache(defaultCacheDir())) {
    if (e.header?.sourceName !== source) continue;
    removeEntry(e.file);
    console.error(`removed ${e.file}`);
  }
}

if (args.includes('--baseline')) {
  const t = performance.now();
  new Float32Array(341479 * 100).fill(1);
  console.log(`baseline: new Float32Array(341479×100).fill(1) took ${(performance.now() - t).toFixed(0)} ms, peak_rss_mb=${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
  process.exit(0);
}

const tk = performance.now();
const key = sourceKey(spec !== undefined ? path.resolve(spec) : defaultFile()!);
const keyMs = performance.now() - tk;
const t0 = performance.now();
const emb = await loadEmbeddings(spec, { useCache, onProgress: (msg) => console.error(msg) });
const ms = performance.now() - t0;
const mb = (kb: number): string => (kb / 1024).toFixed(0);
const t1 = performance.now();
const wordCount = emb.words.length; // emb.words and emb.index are built on first use after a cache hit
const wordsMs = performance.now() - t1;
const indexSize = emb.index.size;
const indexMs = performance.now() - t1 - wordsMs;
const probe = ['the', 'Germany', 'EU', '1996', "n't"].map((t) => `${t}→${pretrainedId(emb, t)}`).join(' ') + ` findWord(germany)=${findWord(emb, 'germany')}`;
console.log(
  `source=${emb.source} words=${emb.words.length} d=${emb.d} fingerprint=${emb.fingerprint} unk=${emb.unk ? 'yes' : 'no'}\n` +
    `source_key=${key} source_key_ms=${keyMs.toFixed(1)} load_ms=${ms.toFixed(0)} (from ${emb.from}) then emb.words_ms=${wordsMs.toFixed(0)} (${wordCount}) emb.index_ms=${indexMs.toFixed(0)} (${indexSize}) peak_rss_mb=${mb(process.resourceUsage().maxRSS)} rss_now_mb=${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}\n` +
    `pretrained rows: ${probe}`,
);
