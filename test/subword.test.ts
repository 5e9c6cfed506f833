// Subword vectors (model/subword.ts): the n-grams of a word, the gradient check of the n-gram table,
// training's fused step on Z against the checked gradient, and a trained subword model scored the same by
// the reference forward pass, the tagger (one thread and two) and after a save and load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { encode, firstFormId, wordId } from '../src/model/features.js';
import { formOf, gramsOf, newSubwords, ngramRows, noteGrams, scatterSubwordGrad, subwordVector } from '../src/model/subword.js';
import { gradcheck, randomProblem } from '../src/check/gradcheck.js';
import { stepSubwordRows } from '../src/fast/backward-sgd.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';
import { parseModel, attachEmbeddings, serialiseModel } from '../src/io/model-io.js';
import { Tagger } from '../src/predict/predict.js';
import { batchTagger } from '../src/predict/tag-pipeline.js';
import { assertNearReference, predictProbabilities } from './helpers/reference.js';
import { Rng } from '../src/rng.js';
import { wasmAlloc32 } from '../src/fast/arena.js';
import { writeTinyVectors } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-subword-'));
const EMB = path.join(tmp, 'emb.txt');
writeTinyVectors(EMB);
const corpus = readConll(path.join(ROOT, 'data/demo/train.conll'));
const dev = readConll(path.join(ROOT, 'data/demo/dev.conll'));

test('n-grams: 3 … 5 code points of <form>, form lowercased with any decimal digit → 0', () => {
  assert.equal(formOf('Zoë'), 'zoë');
  assert.equal(formOf('F-16'), 'f-00');
  assert.equal(formOf('١٩٩٦'), '0000'); // Arabic-Indic digits are digits too
  const sw = { R: 2 ** 30, minn: 3, maxn: 5 };
  // "<ab>": 3-grams <ab, ab>; 4-gram <ab>; no 5-gram
  assert.equal(ngramRows(sw, 'ab').length, 3);
  // "<zoë>" (5 code points): 3 + 2 + 1
  assert.equal(ngramRows(sw, 'zoë').length, 6);
  // an emoji is one code point, not two UTF-16 units: "<a😀>" has 4, like "<ab>"
  assert.equal(ngramRows(sw, 'a😀').length, 3);
  assert.deepEqual(ngramRows(sw, 'berlin'), ngramRows(sw, 'berlin'), 'deterministic');
  const small = { R: 8, minn: 3, maxn: 5 };
  assert.ok(ngramRows(small, 'berlin').every((r) => r >= 0 && r < 8), 'hashed into R rows');
});

test("ch(w) is the mean of the word's n-gram rows; scatterSubwordGrad shares ∂J/∂ch(w) out equally", () => {
  const sw = newSubwords(4, 16);
  sw.Z.forEach((_, i) => (sw.Z[i] = i / 10));
  noteGrams(sw, 7, 'Paris');
  const rows = gramsOf(sw, 7);
  const s = new Float64Array(4);
  subwordVector(sw, 7, s, 0);
  for (let j = 0; j < 4; j++) {
    const mean = rows.reduce((a, r) => a + sw.Z[r * 4 + j], 0) / rows.length;
    assert.ok(Math.abs(s[j] - mean) < 1e-12);
  }
  const dZ = new Float64Array(16 * 4);
  const touched = new Int32Array(16);
  const count = scatterSubwordGrad(sw, 7, Float64Array.of(1, 2, 3, 4), 0, dZ, new Uint8Array(16), touched, 0);
  assert.equal(count, new Set(rows).size);
  const times = new Map<number, number>();
  for (const r of rows) times.set(r, (times.get(r) ?? 0) + 1);
  for (const [r, t] of times) assert.ok(Math.abs(dZ[r * 4 + 1] - (2 * t) / rows.length) < 1e-12);
});

test('gradient check with subword vectors: the n-gram table Z passes for both heads', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  for (const head of ['softmax', 'ovr'] as const) {
    const r = gradcheck(randomProblem(emb, corpus.sentences, { head, activation: 'tanh', hidden: 6, window: 2, casing: true, scheme: 'IOBES', subword: 4, buckets: 32 }, 6, 1));
    const z = r.blocks.find((b) => b.name === 'Z (n-grams)');
    assert.ok(z && z.pass && z.checked > 0, `${head}: ${JSON.stringify(z)}`);
    assert.ok(r.pass);
  }
});

test("training's fused step on Z = Z − lr · ∂J/∂Z from the checked scatter (float32 rounding)", () => {
  const rng = new Rng(3);
  const sw = newSubwords(8, 32);
  sw.Z.forEach((_, i) => (sw.Z[i] = rng.uniform(1)));
  ['paris', 'berlin', 'the', 'zoë'].forEach((w, i) => noteGrams(sw, 10 + i, w));
  const shape = { window: 1, d: 4, useCasing: true, sub: 8 };
  const m = 4 + 8 + 8;
  const B = 3;
  const ids = Int32Array.of(10, 11, 12, 12, 13, 10, 0, 12, 1); // repeats, and padding (no n-grams)
  const dX = new Float32Array(B * 3 * m).map(() => rng.uniform(1));
  // the checked path: ∂J/∂Z by scatterSubwordGrad block by block, then a plain step
  const dZ = new Float64Array(32 * 8);
  let count = 0;
  const mark = new Uint8Array(32);
  const touched = new Int32Array(32);
  for (let k = 0; k < ids.length; k++) count = scatterSubwordGrad(sw, ids[k], Float64Array.from(dX), k * m + 4, dZ, mark, touched, count);
  const want = Float64Array.from(sw.Z).map((z, i) => z - 0.1 * dZ[i]);
  stepSubwordRows(sw, shape, ids, dX, B, 0.1);
  let moved = 0;
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(sw.Z[i] - want[i]) < 1e-5, `Z[${i}] ${sw.Z[i]} vs ${want[i]}`);
    if (dZ[i] !== 0) moved++;
  }
  assert.ok(moved > 0);
});

test("the step on Z in WebAssembly (Z and ∂J/∂x in the arena) = the JavaScript step, bit for bit, for any D", () => {
  const rng = new Rng(4);
  for (const D of [1, 3, 4, 8, 16, 19, 20, 36]) {
    const plain = newSubwords(D, 41);
    plain.Z.forEach((_, i) => (plain.Z[i] = rng.uniform(1)));
    ['paris', 'berlin', 'the', 'zoë', 'a', 'internationalisation'].forEach((w, i) => noteGrams(plain, 10 + i, w));
    const inArena = { ...plain, Z: wasmAlloc32(plain.Z.length) };
    inArena.Z.set(plain.Z);
    const shape = { window: 1, d: 5, useCasing: true, sub: D };
    const m = 5 + D + 8;
    const B = 5;
    const ids = Int32Array.of(10, 11, 12, 12, 13, 10, 0, 12, 1, 14, 15, 14, 1, 10, 99); // repeats, padding, an id never noted
    const dXPlain = new Float32Array(B * 3 * m).map(() => rng.uniform(1));
    const dX = wasmAlloc32(dXPlain.length);
    dX.set(dXPlain);
    for (const lr of [0.1, 3]) {
      stepSubwordRows(plain, shape, ids, dXPlain, B, lr);
      stepSubwordRows(inArena, shape, ids, dX, B, lr);
      assert.deepEqual(Array.from(inArena.Z), Array.from(plain.Z), `D ${D}, lr ${lr}`);
    }
  }
});

const SENTENCES = [
  'Zoë Saldaña flew to Kyiv with Björk .',
  'Ngũgĩ wa Thiong\'o met Kaká in Qwertyville .',
  'The Xyzzyx Corporation said on Tuesday it would buy Blorpco .',
].map((s) => s.split(' '));

test('a trained subword model: the tagger (1 and 2 threads) and a saved and loaded copy score as the reference forward pass', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const r = await train([corpus], dev, emb, { ...DEFAULT_CONFIG, hidden: 8, subword: 8, buckets: 512, epochs: 3, seed: 2 });
  const m = r.model;
  assert.equal(m.shape.sub, 8);
  assert.ok(m.words.sub!.Z.some((z) => z !== 0), 'the n-gram table learned');
  // unknown words get ids of their own form, whose ch(w) differ
  const a = wordId(m.words, 'Qwertyville').id;
  const b = wordId(m.words, 'Blorpco').id;
  assert.ok(a >= firstFormId(m.words) && b >= firstFormId(m.words) && a !== b);
  const e = encode(m.words, SENTENCES, m.features); // the gazetteer's classes too (on by default)
  const ref = predictProbabilities(m, e);
  const tagger = new Tagger(m);
  const fast = tagger.probabilities(SENTENCES);
  tagger.close();
  assertNearReference(fast, ref);
  // two unknown words in the same context score differently: ch(w) reaches the output
  const K = m.dims.K;
  const t2 = new Tagger(m);
  const p1 = t2.probabilities([['He', 'met', 'Qwertyville', '.']]).slice(2 * K, 3 * K);
  const p2 = t2.probabilities([['He', 'met', 'Blorpco', '.']]).slice(2 * K, 3 * K);
  t2.close();
  assert.notDeepEqual(p1, p2);
  // the file keeps the table exactly
  const text = serialiseModel(m);
  const loaded = attachEmbeddings(parseModel(text, 'm.json'), emb);
  assert.deepEqual(loaded.words.sub!.Z, m.words.sub!.Z);
  assert.equal(serialiseModel(loaded), text, 'a loaded model saves to the same bytes');
  const one = new Tagger(loaded);
  const want = one.tag(SENTENCES).map((d) => d.spans);
  one.close();
  const two = batchTagger(loaded, { threads: 2 });
  const got = (await two.tag(SENTENCES)).map((d) => d.spans);
  two.close();
  assert.deepEqual(got, want, 'the second thread gets the n-gram rows it needs');
});

test('same seed, same data: the same subword model file', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const cfg = { ...DEFAULT_CONFIG, hidden: 8, subword: 4, buckets: 256, epochs: 2, seed: 5 };
  const a = await train([corpus], dev, emb, cfg);
  const b = await train([corpus], dev, emb, cfg);
  assert.equal(serialiseModel(a.model), serialiseModel(b.model));
});
