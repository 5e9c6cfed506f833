// Shared by the tests: small deterministic word vectors for the demo corpus, so that tests train and tag
// in well under a second without the 341k-word default embeddings. Not a test file itself.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Writes 16-d GloVe-text vectors for the demo corpus's lowercased words, leaving every 7th word out (OOV). */
export function writeTinyVectors(file: string): void {
  const words = new Set<string>();
  for (const f of ['train.conll', 'dev.conll']) for (const s of readConll(path.join(ROOT, 'data/demo', f)).sentences) for (const t of s.tokens) words.add(t.toLowerCase());
  const lines: string[] = [];
  let k = 0;
  for (const w of [...words].sort()) {
    if (k++ % 7 === 3 || /\s/.test(w)) continue;
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    const v = Array.from({ length: 16 }, (_, j) => (((Math.imul(h, j + 1) >>> 0) % 2001) / 1000 - 1).toFixed(3));
    lines.push(`${w} ${v.join(' ')}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/**
 * Rows of the hashed n-gram table for the tests' models. The default 65,536 rows make each model file and
 * checkpoint about 6 MB, and writing both after every epoch took most of a demo training's time (and
 * reading the model most of a `ner tag`'s). Tests about the default configuration keep the default.
 */
export const TEST_BUCKETS = 1024;
export const TEST_BUCKETS_ARGS = ['--buckets', String(TEST_BUCKETS)];
