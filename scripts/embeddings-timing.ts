// Loads the default embeddings (or the file given as the first argument) once and prints the load
// time, the process's peak RSS and the table's counts. Run it twice in fresh processes to see the
// first (parse + write cache) and the cached load:
//   node dist/scripts/embeddings-timing.js [path] [--no-cache] [--clear-cache]
// --baseline instead times only allocating and filling a Float32Array of the default's size
// (341479×100), the floor for any loader on the machine at hand (fresh memory is slow on some VMs).

import fs from 'node:fs';
import path from 'node:path';
import { cacheFileFor, defaultCacheDir } from '../src/embeddings/cache.js';
import { DEFAULT_EMBEDDINGS, findWord, loadEmbeddings, lookup } from '../src/embeddings/embeddings.js';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const spec = args.find((a) => !a.startsWith('--'));
const useCache = !args.includes('--no-cache');

if (args.includes('--clear-cache')) {
  const source = spec !== undefined ? path.resolve(spec) : createRequire(import.meta.url).resolve(`${DEFAULT_EMBEDDINGS}/${DEFAULT_EMBEDDINGS}.json`);
  const file = cacheFileFor(defaultCacheDir(), source);
  fs.rmSync(file, { force: true });
  console.error(`removed ${file}`);
}

if (args.includes('--baseline')) {
  const t = performance.now();
  new Float32Array(341479 * 100).fill(1);
  console.log(`baseline: new Float32Array(341479×100).fill(1) took ${(performance.now() - t).toFixed(0)} ms, peak_rss_mb=${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
  process.exit(0);
}

const t0 = performance.now();
const emb = await loadEmbeddings(spec, { useCache, onProgress: (msg) => console.error(msg) });
const ms = performance.now() - t0;
const mb = (kb: number): string => (kb / 1024).toFixed(0);
const t1 = performance.now();
const wordCount = emb.words.length; // emb.words and emb.index are built on first use after a cache hit
const wordsMs = performance.now() - t1;
const indexSize = emb.index.size;
const indexMs = performance.now() - t1 - wordsMs;
const probe = ['the', 'Germany', 'EU', '1996', "n't"].map((t) => `${t}→${lookup(emb, t).how}`).join(' ') + ` findWord(germany)=${findWord(emb, 'germany')}`;
console.log(
  `source=${emb.source} words=${emb.words.length} d=${emb.d} fingerprint=${emb.fingerprint} unk=${emb.unk ? 'yes' : 'no'}\n` +
    `load_ms=${ms.toFixed(0)} then emb.words_ms=${wordsMs.toFixed(0)} (${wordCount}) emb.index_ms=${indexMs.toFixed(0)} (${indexSize}) peak_rss_mb=${mb(process.resourceUsage().maxRSS)} rss_now_mb=${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}\n` +
    `lookup: ${probe}`,
);
