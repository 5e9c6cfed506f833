// The precomputed per-word scorer (fast-scorer.ts, float32 SIMD) computes the probabilities of the
// reference forward pass (model.ts, float64) up to float32 rounding, for both heads, with and without the
// casing feature; a cache too small to hold every word (evictions, spare entries) gives bit for bit the
// same as one that holds them all; the Tagger's memo of word ids gives the same results as encode()
// without it. Texts longer than one chunk, a sentence longer than one chunk and scoring a text in ranges
// all give bit for bit the same probabilities.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Encoded, encode, inputSize, newWordTable } from '../src/model/features.js';
import { CHUNK, WindowScorer } from '../src/predict/fast-scorer.js';
import { scorerKernels } from '../src/fast/scorer-wasm.js';
import { wasmAlloc32, wasmFree, wasmMemoryUsage } from '../src/fast/arena.js';
import { decode, makeLabels, outputCount } from '../src/model/labels.js';
import { type Activation, initParams } from '../src/model/model.js';
import { DEFAULT_CONFIG, type NerModel } from '../src/model/ner-model.js';
import { Tagger } from '../src/predict/predict.js';
import { predictProbabilities } from './helpers/reference.js';
import { Rng } from '../src/rng.js';

// float32 scorer vs float64 forward pass: probabilities agree to about 1e-6 here
const TOL = 2e-5;

/** A scorer's probabilities for one text, the scorer closed (its arena blocks freed) afterwards. */
function score(m: NerModel, budget?: number): (e: Encoded) => Float64Array {
  return (e) => {
    const scorer = new WindowScorer(m, budget);
    try {
      return scorer.probabilities(e);
    } finally {
      scorer.close();
    }
  };
}

const SENTENCES = [
  'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989 .',
  'EU rejects German call to boycott British lamb .',
  'Peter Blackburn',
  'U.S. 1996-08-22',
].map((s) => s.split(' '));

// More distinct words than the smallest cache (16 entries) holds, so the spare entries are used.
const MANY = [Array.from({ length: 40 }, (_, i) => `w${i}`).concat(['the', 'w3', 'w39', 'w0', 'Paris'])];

function model(head: 'ovr' | 'softmax', useCasing: boolean, window: number, extra: string[] = [], activation: Activation = 'tanh'): NerModel {
  const rng = new Rng(4);
  const d = 6;
  const keys = ['<s>', '</s>', '<unk>', 'the', 'in', 'paris', 'samuel', 'quinn', '.', 'u.s.', ...MANY[0].slice(0, 40), ...extra];
  const rows = new Float64Array(keys.length * d).map(() => rng.uniform(1));
  const words = newWordTable(d, keys, rows, null);
  const labels = makeLabels(head, ['LOC', 'ORG', 'PER'], 'IOBES');
  const shape = { window, d, useCasing };
  const dims = { head, n: inputSize(shape), H: 7, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a * 3));
  for (let i = 0; i < params.b.length; i++) params.b[i] = rng.uniform(0.3);
  const config = { ...DEFAULT_CONFIG, head, window, casing: useCasing, hidden: 7, activation };
  return { config, labels, inputScheme: 'IOB2', dims, shape, params, words, embeddings: { source: 'test', d, count: 0, fingerprint: 'x' }, history: [], bestEpoch: 0, trainedOn: { files: [], sentences: 0, tokens: 0 } };
}

for (const head of ['ovr', 'softmax'] as const) {
  for (const useCasing of [true, false]) {
    for (const window of [0, 1, 2, 3]) {
      test(`fast scorer = direct forward: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const e = encode(m.words, SENTENCES);
        const direct = predictProbabilities(m, e);
        for (const budget of [64 * 2 ** 20, 1]) {
          const fast = score(m, budget)(e);
          assert.equal(fast.length, direct.length);
          for (let i = 0; i < fast.length; i++) assert.ok(Math.abs(fast[i] - direct[i]) < TOL, `P[${i}] ${fast[i]} vs ${direct[i]} (budget ${budget})`);
        }
      });

      test(`fast scorer, cache full (spare entry) = cache holding every word, bit for bit: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const e = encode(m.words, [...MANY, ...SENTENCES, ...MANY]);
        const big = score(m)(e);
        const small = score(m, 1)(e);
        assert.deepEqual(small, big);
        const direct = predictProbabilities(m, e);
        for (let i = 0; i < big.length; i++) assert.ok(Math.abs(big[i] - direct[i]) < TOL, `P[${i}] ${big[i]} vs ${direct[i]}`);
      });

      test(`Tagger (memo of word ids) = decode of the scorer's probabilities on encode(), twice: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const sentences = [...SENTENCES, ...MANY];
        const P = score(m)(encode(m.words, sentences)); // features.ts encode, no memo
        const K = m.dims.K;
        let o = 0;
        const expected = sentences.map((s) => {
          const r = decode(m.labels, P.subarray(o * K, (o + s.length) * K), s.length, m.config.threshold);
          o += s.length;
          return r;
        });
        const tagger = new Tagger(m);
        assert.deepEqual(tagger.tag(sentences), expected);
        assert.deepEqual(tagger.tag(sentences), expected); // every token from the memo now
        tagger.close();
      });
    }
  }
}

for (const activation of ['relu', 'sigmoid'] as const) {
  for (const head of ['ovr', 'softmax'] as const) {
    test(`fast scorer = direct forward with ${activation} hidden units (${head})`, () => {
      const m = model(head, true, 2, [], activation);
      const e = encode(m.words, [...SENTENCES, ...MANY]);
      const direct = predictProbabilities(m, e);
      const fast = score(m)(e);
      for (let i = 0; i < fast.length; i++) assert.ok(Math.abs(fast[i] - direct[i]) < TOL, `P[${i}] ${fast[i]} vs ${direct[i]}`);
      assert.deepEqual(score(m, 1)(e), fast, 'a tiny cache gives the same');
    });
  }
}

/** A long text of many sentences (one longer than a chunk), over a vocabulary larger than the smallest cache. */
function longText(): string[][] {
  const rng = new Rng(9);
  const vocab = [...MANY[0], 'the', 'in', 'Paris', 'Samuel', 'Quinn', '.', 'U.S.', 'unseen', 'OOV', '1996'];
  const sentences: string[][] = [];
  for (let s = 0; s < 400; s++) {
    const len = s === 7 ? CHUNK + 300 : 1 + Math.floor(rng.uniform(0.5) * 30 + 15);
    sentences.push(Array.from({ length: len }, () => vocab[Math.floor((rng.uniform(0.5) + 0.5) * vocab.length) % vocab.length]));
  }
  return sentences;
}

for (const head of ['ovr', 'softmax'] as const) {
  for (const useCasing of [true, false]) {
    test(`fast scorer over chunks and in ranges: bit for bit the same: ${head}, casing ${useCasing}`, () => {
      const m = model(head, useCasing, 2);
      const e = encode(m.words, longText());
      assert.ok(e.N > 3 * CHUNK);
      const whole = score(m)(e);
      const direct = predictProbabilities(m, e);
      for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i] - direct[i]) < TOL, `P[${i}] ${whole[i]} vs ${direct[i]}`);
      // a tiny cache (evictions and spare entries all the time), scored in uneven ranges
      const small = new WindowScorer(m, 1);
      const K = m.dims.K;
      const parts = new Float64Array(whole.length);
      for (let from = 0, step = 1; from < e.N; from += step, step = step * 3 + 1) {
        const to = Math.min(e.N, from + step);
        parts.set(small.probabilities(e, from, to), from * K);
      }
      small.close();
      assert.deepEqual(parts, whole);
      // a table of one-hot combinations too small for a chunk (two windows' worth): chunks end early and
      // the table starts over
      const cramped = new WindowScorer(m, 1);
      (cramped as unknown as { comboCap: number }).comboCap = 2 * (2 * m.shape.window + 1) + 1;
      assert.deepEqual(cramped.probabilities(e), whole);
      cramped.close();
    });
  }
}

test('tanh: within 2e-7 of Math.tanh, signs and special values kept', () => {
  const rng = new Rng(3);
  const n = 40_000;
  const z = wasmAlloc32(n);
  const h = wasmAlloc32(n);
  const special = [0, -0, 1e-30, -1e-8, 0.5, -0.5, 1, 3, 8.9, 9.1, -20, 50, 1e30, -Infinity, Infinity];
  for (let i = 0; i < n; i++) z[i] = i < special.length ? special[i] : rng.uniform(1) * 10 ** (rng.uniform(1) * 3 - 1);
  scorerKernels().tanh(z.byteOffset, h.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const want = Math.tanh(z[i]);
    assert.ok(Math.abs(h[i] - want) <= 2e-7 * Math.max(1e-3, Math.abs(want)) + 1e-9, `tanh(${z[i]}) = ${h[i]}, Math.tanh ${want}`);
  }
  assert.ok(Object.is(h[1], -0));
  wasmFree(z);
  wasmFree(h);
});

test('close() returns a scorer\'s arena room to the next scorer', () => {
  const m = model('ovr', true, 2);
  for (let i = 0; i < 5; i++) {
    const scorer = new WindowScorer(m); // 32 MB of products each: the arena holds one at a time
    assert.ok(scorer.capacity > 1000, `scorer ${i}: ${scorer.capacity} entries`);
    scorer.close();
  }
});

test('a store of several segments, and one cut short when the arena fills up: the same probabilities', () => {
  const vocab = Array.from({ length: 3000 }, (_, i) => `v${i}`);
  const m = model('ovr', true, 2, vocab);
  const rng = new Rng(5);
  const sentences = Array.from({ length: 300 }, () => Array.from({ length: 25 }, () => vocab[Math.floor((rng.uniform(0.5) + 0.5) * vocab.length) % vocab.length]));
  const e = encode(m.words, sentences);
  const whole = score(m)(e); // every word cached: three segments of 1024 entries
  const direct = predictProbabilities(m, e);
  for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i] - direct[i]) < TOL, `P[${i}] ${whole[i]} vs ${direct[i]}`);
  assert.deepEqual(score(m, 1)(e), whole);
  // the arena taken by something else after the scorer was made: the store stops growing
  const scorer = new WindowScorer(m);
  const { used, capacity } = wasmMemoryUsage();
  const blocker = wasmAlloc32(Math.floor((capacity - used) / 4) - 1024);
  try {
    assert.deepEqual(scorer.probabilities(e), whole);
    assert.ok(scorer.capacity <= 1024, `capacity ${scorer.capacity}: the store should have stopped at one segment`);
  } finally {
    wasmFree(blocker);
    scorer.close();
  }
});
