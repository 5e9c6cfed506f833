// Writes a large word2vec/fastText .vec file of random vectors, for the test of vectors over 2 GiB as
// float32 (issue 15: 2.2M words × 300 is 2.64 GB of floats):
//   node dist/scripts/big-vectors.js OUT.vec [words=2200000] [d=300] [seed=1]
// The first rows are the demo corpus's words (as written and lowercased), so that a model trained on the
// demo corpus with these vectors uses them; the rest are w1, w2, … Values are short decimals ("0.3",
// "-0.7", "4", "-2") drawn by a seeded xorshift generator: the same arguments give the same file.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';

const [out, wordsArg, dArg, seedArg] = process.argv.slice(2);
if (!out) throw new Error('usage: big-vectors.js OUT.vec [words] [d] [seed]');
const n = Number(wordsArg ?? 2_200_000);
const d = Number(dArg ?? 300);
let s = Number(seedArg ?? 1) >>> 0 || 1;
const next = (): number => {
  s ^= s << 13;
  s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5;
  return (s >>>= 0);
};
const VALUES: string[] = [];
for (let k = 0; k < 10; k++) VALUES.push(...Array(4).fill(`0.${k}`), ...Array(3).fill(`-0.${k}`), `${k}`, `${k}`, `-${k}`); // 100 tokens: 2.8 characters on average
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const demo = new Set<string>();
for (const f of ['train.conll', 'dev.conll']) for (const st of readConll(path.join(root, 'data/demo', f)).sentences) for (const t of st.tokens) if (!/\s/.test(t)) demo.add(t).add(t.toLowerCase());
const words = [...demo];
const fd = fs.openSync(out, 'w');
fs.writeSync(fd, `${n} ${d}\n`);
let chunk: string[] = [];
for (let i = 0; i < n; i++) {
  const row = new Array<string>(d + 1);
  row[0] = i < words.length ? words[i] : `w${i}`;
  for (let j = 1; j <= d; j++) row[j] = VALUES[next() % VALUES.length];
  chunk.push(row.join(' '));
  if (chunk.length === 4096 || i === n - 1) {
    fs.writeSync(fd, chunk.join('\n') + '\n');
    chunk = [];
  }
}
fs.closeSync(fd);
console.log(`${out}: ${n} words × ${d}, ${(fs.statSync(out).size / 1e9).toFixed(2)} GB`);
