// The window gather of features.ts: the WebAssembly SIMD copy (training's path: float32 X, own rows and
// the compact near rows in the arena) gives exactly the values of the plain JavaScript copy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { type WindowShape, C, blockSize, casing, encode, gather, inputSize, newWordTable, withNearRows } from '../src/model/features.js';
import { wasmAlloc, wasmAlloc32 } from '../src/fast/arena.js';
import { newSubwords, noteGrams, subwordVector } from '../src/model/subword.js';
import { subwordVectorsInArena } from '../src/fast/kernels.js';
import { Rng } from '../src/rng.js';

const D = 8;
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'paris', 'london', 'john'];

function embeddings(rng: Rng): Embeddings {
  const vectors = Float32Array.from({ length: WORDS.length * D }, () => rng.uniform(1));
  return {
    source: 'test',
    d: D,
    words: WORDS,
    index: new Map(WORDS.map((w, i) => [w, i])),
    vectors,
    count: WORDS.length,
    readRow: (id, out, o) => {
      for (let j = 0; j < D; j++) out[o + j] = vectors[id * D + j];
    },
    fingerprint: 'test',
  };
}

test('gather: the SIMD copy into the arena equals the plain copy, with and without casing, subword vectors and one-hot groups', () => {
  const rng = new Rng(3);
  const emb = embeddings(rng);
  const keys = ['<s>', '</s>', '<unk>', 'zork', 'blick'];
  const sentences = [
    ['The', 'cat', 'sat', 'on', 'the', 'MAT', 'zork'],
    ['John', 'blick', 'Paris'],
    ['London'],
    ['qwerty', '1996', 'sat'],
  ];
  const lengthClass = { name: 'length', size: 4, classes: (s: string[]) => s.map((t) => Math.min(t.length, 3) - 1) };
  for (const [useCasing, D_s, groups] of [[true, 0, []], [false, 0, []], [true, 4, []], [true, 7, []], [true, 4, [lengthClass]], [false, 8, [lengthClass]]] as const) {
    const shape: WindowShape = { window: 2, d: D, useCasing, ...(D_s ? { sub: D_s } : {}), groups: groups.map(({ name, size }) => ({ name, size })) };
    const sub = D_s ? newSubwords(D_s, 64) : undefined;
    if (sub) sub.Z.forEach((_, i) => (sub.Z[i] = rng.uniform(1)));
    const n = inputSize(shape);
    // the same own rows twice: an ordinary array and one in the arena
    const plainRows = Float64Array.from({ length: keys.length * D }, () => rng.uniform(1));
    const arenaRows = wasmAlloc(plainRows.length);
    arenaRows.set(plainRows);
    const plainTable = newWordTable(D, keys, plainRows, emb, sub);
    const e = encode(plainTable, sentences, groups);
    // the fast table's n-gram table in the arena too (the same values and n-gram rows): ch(w) by the SIMD kernel
    const arenaSub = sub ? { ...sub, Z: wasmAlloc32(sub.Z.length) } : undefined;
    if (sub && arenaSub) arenaSub.Z.set(sub.Z);
    const fast = withNearRows(newWordTable(D, keys, arenaRows, emb, arenaSub), e);
    const dropped = e.word.map((id, i) => (i % 3 === 0 ? 2 : id)); // as word dropout does
    const B = e.N;
    const idx = Array.from({ length: B }, (_, i) => (i * 5) % B);
    let kept = new Float32Array(0);
    for (const override of [undefined, dropped]) {
      const want = new Float32Array(B * n);
      const wantIds = new Int32Array(B * 5);
      const wantE = new Int32Array(B * 5);
      gather(plainTable, shape, e, idx, B, want, wantIds, override, wantE);
      const got = wasmAlloc32(B * n);
      const gotIds = new Int32Array(B * 5);
      const gotE = new Int32Array(B * 5);
      gather(fast, shape, e, idx, B, got, gotIds, override, gotE);
      assert.deepEqual(gotIds, wantIds);
      assert.deepEqual(gotE, wantE);
      assert.deepEqual(Array.from(got), Array.from(want), `casing ${useCasing}, override ${override !== undefined}`);
      if (!override) {
        kept = want;
        continue;
      }
      // a dropped word's block: e(w) is <unk>'s row, everything after it (ch(w), one-hots) stays the word's
      const m = n / 5;
      let droppedBlocks = 0;
      for (let k = 0; k < B * 5; k++) {
        const block = (x: Float32Array, from: number, to: number) => Array.from(x.subarray(k * m + from, k * m + to));
        assert.deepEqual(block(want, D, m), block(kept, D, m), `block ${k}: all but e(w) as without dropout`);
        if (wantE[k] === wantIds[k]) assert.deepEqual(block(want, 0, D), block(kept, 0, D));
        else {
          droppedBlocks++;
          assert.equal(wantE[k], 2);
          assert.deepEqual(block(want, 0, D), Array.from(Float32Array.from(plainRows.subarray(2 * D, 3 * D))));
        }
      }
      assert.ok(droppedBlocks > 0);
    }
  }
});

// ── one-hot groups after casing ─────────────────────────────────────────────────────────────────

test('one-hot groups: gather sets one column per group (pad class outside the sentence); the tagger scores as the reference forward pass', async () => {
  const { makeLabels, outputCount } = await import('../src/model/labels.js');
  const { initParams } = await import('../src/model/model.js');
  const { DEFAULT_CONFIG } = await import('../src/model/ner-model.js');
  const { Tagger } = await import('../src/predict/predict.js');
  const { batchTagger } = await import('../src/predict/tag-pipeline.js');
  const { assertNearReference, predictProbabilities } = await import('./helpers/reference.js');
  const { Rng } = await import('../src/rng.js');
  const rng = new Rng(6);
  const d = 4;
  const keys = ['<s>', '</s>', '<unk>', 'the', 'paris', 'in'];
  const words = newWordTable(d, keys, new Float64Array(keys.length * d).map(() => rng.uniform(1)), null);
  // two rules: the length class of a token (3 classes + pad) and whether the next token is capitalised (2 + pad)
  const features = [
    { name: 'length', size: 4, classes: (s: string[]) => s.map((t) => Math.min(t.length, 3) - 1) },
    { name: 'next-cap', size: 3, classes: (s: string[]) => s.map((_, i) => (/^[A-Z]/.test(s[i + 1] ?? '') ? 1 : 0)) },
  ];
  const shape = { window: 1, d, useCasing: true, groups: features.map(({ name, size }) => ({ name, size })) };
  const m = blockSize(shape);
  assert.equal(m, d + C + 4 + 3);
  const sentences = [['in', 'Paris', 'the', 'Tour'], ['X']];
  const e = encode(words, sentences, features);
  const X = new Float64Array(3 * 3 * m);
  const ids = new Int32Array(3 * 3);
  gather(words, shape, e, [0, 3, 4], 3, X, ids);
  // window of "in" (token 0): position −1 is padding → pad classes (length 3, next-cap 2)
  const block = (b: number, p: number) => Array.from(X.subarray((b * 3 + p) * m + d, (b * 3 + p + 1) * m));
  assert.deepEqual(block(0, 0), [...oneHot(C, C - 1), ...oneHot(4, 3), ...oneHot(3, 2)]);
  // centre "in": lower, length 2 → class 1, next token capitalised → 1
  assert.deepEqual(block(0, 1), [...oneHot(C, casing('in')), ...oneHot(4, 1), ...oneHot(3, 1)]);
  // centre "Tour": initcap, length 4 → class 2, no next token → 0
  assert.deepEqual(block(1, 1), [...oneHot(C, casing('Tour')), ...oneHot(4, 2), ...oneHot(3, 0)]);
  const labels = makeLabels('softmax', ['LOC', 'PER'], 'IOBES');
  const dims = { head: 'softmax' as const, n: inputSize(shape), H: 5, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a * 3));
  const model = { config: { ...DEFAULT_CONFIG, window: 1, hidden: 5 }, labels, inputScheme: 'IOB2' as const, dims, shape, params, words, features, embeddings: { source: 'test', d, count: 0, fingerprint: 'x' }, history: [], bestEpoch: 0, trainedOn: { files: [], sentences: 0, tokens: 0 } };
  const ref = predictProbabilities(model, e);
  const tagger = new Tagger(model);
  const fast = tagger.probabilities(sentences);
  const spans = tagger.tag(sentences).map((t) => t.spans);
  tagger.close();
  assertNearReference(fast, ref);
  // a group's columns matter: another class gives other scores
  const other = encode(words, sentences, [features[0], { ...features[1], classes: (s: string[]) => s.map(() => 0) }]);
  assert.notDeepEqual(predictProbabilities(model, other), ref);
  const two = batchTagger(model, { threads: 2 });
  assert.deepEqual((await two.tag(sentences)).map((t) => t.spans), spans, 'the second thread gets the classes');
  two.close();
});

function oneHot(size: number, k: number): number[] {
  return Array.from({ length: size }, (_, i) => (i === k ? 1 : 0));
}

test("ch(w) by the SIMD kernel (Z in the arena) equals subword.ts's subwordVector bit for bit, for any D", () => {
  const rng = new Rng(9);
  for (const Ds of [1, 2, 5, 8, 16, 19, 20, 36]) {
    const sw = newSubwords(Ds, 97);
    sw.Z = wasmAlloc32(97 * Ds).map(() => rng.uniform(1));
    const Z = wasmAlloc32(97 * Ds);
    Z.set(sw.Z);
    sw.Z = Z;
    ['paris', 'berlin', 'a', 'zoë', 'internationalisation'].forEach((w, i) => noteGrams(sw, 10 + i, w));
    const ids = Int32Array.of(10, 11, 0, 12, 10, 13, 1, 14, 11, 99, 14, 12); // repeats, padding, an id never noted
    const m = 3 + Ds + 2;
    const X = wasmAlloc32(ids.length * m);
    assert.ok(subwordVectorsInArena(sw, ids, ids.length, X, m, 3), 'the kernel ran');
    const want = new Float32Array(ids.length * m);
    ids.forEach((id, k) => subwordVector(sw, id, want, k * m + 3));
    assert.deepEqual(Array.from(X), Array.from(want), `D ${Ds}`);
  }
});
