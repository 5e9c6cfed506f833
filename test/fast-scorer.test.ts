// The precomputed per-word scorer (fast-scorer.ts) computes the same probabilities as the direct
// forward pass, for both heads, with and without the casing feature, and with a cache too small to hold
// every word (then bit for bit the same as with a cache that holds them all); the Tagger's memo of word
// ids gives the same results as encode() without it, on a first and a repeated call. Texts longer than
// one chunk, a sentence longer than one chunk, scoring a text in ranges, and a second thread taking part
// of the work all give bit for bit the same probabilities.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, inputSize, newWordTable } from '../src/features.js';
import { CHUNK, simdTanh, WindowScorer } from '../src/fast-scorer.js';
import { ScoringThread } from '../src/tag-worker.js';
import { decode, makeLabels, outputCount } from '../src/labels.js';
import { initParams } from '../src/model.js';
import { DEFAULT_CONFIG, type NerModel } from '../src/ner-model.js';
import { predictProbabilities, Tagger } from '../src/predict.js';
import { Rng } from '../src/rng.js';

const SENTENCES = [
  'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989 .',
  'EU rejects German call to boycott British lamb .',
  'Peter Blackburn',
  'U.S. 1996-08-22',
].map((s) => s.split(' '));

// More distinct words than the smallest cache (16 entries) holds, so the spare entries are used.
const MANY = [Array.from({ length: 40 }, (_, i) => `w${i}`).concat(['the', 'w3', 'w39', 'w0', 'Paris'])];

function model(head: 'ovr' | 'softmax', useCasing: boolean, window: number): NerModel {
  const rng = new Rng(4);
  const d = 6;
  const keys = ['<s>', '</s>', '<unk>', 'the', 'in', 'paris', 'samuel', 'quinn', '.', 'u.s.', ...MANY[0].slice(0, 40)];
  const rows = new Float64Array(keys.length * d).map(() => rng.uniform(1));
  const words = newWordTable(d, keys, rows, null);
  const labels = makeLabels(head, ['LOC', 'ORG', 'PER'], 'IOBES');
  const shape = { window, d, useCasing };
  const dims = { head, n: inputSize(shape), H: 7, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a * 3));
  for (let i = 0; i < params.b.length; i++) params.b[i] = rng.uniform(0.3);
  const config = { ...DEFAULT_CONFIG, head, window, casing: useCasing, hidden: 7 };
  return { config, labels, inputScheme: 'IOB2', dims, shape, params, words, embeddings: { source: 'test', d, count: 0, fingerprint: 'x' }, history: [], bestEpoch: 0, trainedOn: { files: [], sentences: 0, tokens: 0 } };
}

for (const head of ['ovr', 'softmax'] as const) {
  for (const useCasing of [true, false]) {
    for (const window of [0, 2]) {
      test(`fast scorer = direct forward: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const e = encode(m.words, SENTENCES);
        const direct = predictProbabilities(m, e);
        for (const budget of [64 * 2 ** 20, 1]) {
          const fast = new WindowScorer(m, budget).probabilities(e);
          assert.equal(fast.length, direct.length);
          for (let i = 0; i < fast.length; i++) assert.ok(Math.abs(fast[i] - direct[i]) < 1e-12, `P[${i}] ${fast[i]} vs ${direct[i]} (budget ${budget})`);
        }
      });

      test(`fast scorer, cache full (spare entry) = cache holding every word, bit for bit: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const e = encode(m.words, [...MANY, ...SENTENCES, ...MANY]);
        const big = new WindowScorer(m).probabilities(e);
        const small = new WindowScorer(m, 1).probabilities(e);
        assert.deepEqual(small, big);
        const direct = predictProbabilities(m, e);
        for (let i = 0; i < big.length; i++) assert.ok(Math.abs(big[i] - direct[i]) < 1e-12, `P[${i}] ${big[i]} vs ${direct[i]}`);
      });

      test(`Tagger (memo of word ids) = decode of the scorer's probabilities on encode(), twice: ${head}, casing ${useCasing}, window ${window}`, () => {
        const m = model(head, useCasing, window);
        const sentences = [...SENTENCES, ...MANY];
        const P = new WindowScorer(m).probabilities(encode(m.words, sentences)); // features.ts encode, no memo
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
      });
    }
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

async function ready(t: ScoringThread): Promise<void> {
  const simd = simdTanh(CHUNK * 64);
  for (let i = 0; i < 500 && !t.ready(simd); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(t.ready(simd), 'the scoring thread did not start');
}

for (const head of ['ovr', 'softmax'] as const) {
  for (const useCasing of [true, false]) {
    test(`fast scorer over chunks, in ranges and with a second thread: bit for bit the same: ${head}, casing ${useCasing}`, async () => {
      const m = model(head, useCasing, 2);
      const e = encode(m.words, longText());
      assert.ok(e.N > 3 * CHUNK);
      const whole = new WindowScorer(m).probabilities(e);
      const direct = predictProbabilities(m, e);
      for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i] - direct[i]) < 1e-12, `P[${i}] ${whole[i]} vs ${direct[i]}`);
      // a tiny cache (evictions and spare entries all the time), scored in uneven ranges
      const small = new WindowScorer(m, 1);
      const K = m.dims.K;
      const parts = new Float64Array(whole.length);
      for (let from = 0, step = 1; from < e.N; from += step, step = step * 3 + 1) {
        const to = Math.min(e.N, from + step);
        parts.set(small.probabilities(e, from, to), from * K);
      }
      assert.deepEqual(parts, whole);
      // two threads, with a cache that holds every word and with a tiny one
      for (const budget of [64 * 2 ** 20, 1]) {
        const shared = new WindowScorer(m, budget, true);
        const thread = new ScoringThread(shared.compute);
        try {
          await ready(thread);
          shared.setHelper(thread);
          assert.deepEqual(shared.probabilities(e), whole);
          assert.deepEqual(shared.probabilities(e), whole); // now from the cache
        } finally {
          thread.close();
        }
      }
    });
  }
}

test('Tagger with two threads = one thread, and close() lets it go on alone', async () => {
  const m = model('softmax', true, 2);
  const sentences = longText();
  const expected = new Tagger(m).tag(sentences);
  const two = new Tagger(m, { threads: 2 });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(two.tag(sentences), expected);
  two.close();
  assert.deepEqual(two.tag(sentences), expected);
});
