// The logistic head (one binary logistic classifier per tag on a shared hidden layer): its loss is the
// lecture's binary loss summed over the tags, with ∂J/∂s = σ(s) − y; its decoding is Viterbi over
// log σ(s_k), legal IOBES sequences only, and a per-token normalisation changes no decision; the
// tagger's fast scorer gives the reference forward pass's σ(s_k); a trained model survives the model
// file; a file naming an unknown head is refused. (Its gradients: test/model.test.ts and
// test/gradcheck.test.ts loop over every head; its training path: test/fast.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ner from '../src/index.js';
import { spansFromTags } from '../src/data/tags.js';
import { encode } from '../src/model/features.js';
import { decode, makeLabels, transitions, viterbi } from '../src/model/labels.js';
import { type Dims, lossAndGrad, probabilities, sigmoid } from '../src/model/model.js';
import { WindowScorer } from '../src/predict/fast-scorer.js';
import { Rng } from '../src/rng.js';
import { assertNearReference, predictProbabilities } from './helpers/reference.js';
import { writeTinyVectors, TEST_BUCKETS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labels = makeLabels('logistic', ['LOC', 'PER'], 'IOBES'); // O B-LOC I-LOC E-LOC S-LOC B-PER I-PER E-PER S-PER
const K = labels.outputs.length;

test('loss: Σ_k −[y_k log σ(s_k) + (1 − y_k) log(1 − σ(s_k))] with y = onehot(tag), and ∂J/∂s = σ(s) − y', () => {
  const d: Dims = { head: 'logistic', n: 1, H: 1, K };
  const rng = new Rng(2);
  const B = 4;
  const S = Float64Array.from({ length: B * K }, () => rng.uniform(6));
  const y = [0, 3, 8, 5];
  const dS = new Float64Array(B * K);
  const J = lossAndGrad(d, S, y, B, dS, 0.5);
  let want = 0;
  for (let i = 0; i < B; i++)
    for (let k = 0; k < K; k++) {
      const p = 1 / (1 + Math.exp(-S[i * K + k]));
      const yk = k === y[i] ? 1 : 0;
      want -= yk * Math.log(p) + (1 - yk) * Math.log(1 - p);
      assert.ok(Math.abs(dS[i * K + k] - 0.5 * (p - yk)) < 1e-15, `dS[${i},${k}]`);
    }
  assert.ok(Math.abs(J - want) < 1e-12 * want, `J ${J} vs ${want}`);
  // every output is a classifier of its own: not the softmax head's loss on the same scores
  assert.ok(Math.abs(lossAndGrad({ ...d, head: 'softmax' }, S, y, B, new Float64Array(B * K), 1) - J) > 1);
  // stable far into the tails
  const far = Float64Array.from({ length: K }, (_, k) => (k % 2 ? 800 : -800));
  const Jfar = lossAndGrad(d, far, [1], 1, new Float64Array(K), 1);
  assert.ok(Number.isFinite(Jfar) && Math.abs(Jfar - 800 * (Math.floor(K / 2) - 1)) < 1e-9, `${Jfar}`); // the odd outputs but y = 1 are +800 and wrong
  // probabilities are the K separate σ(s_k)
  const P = new Float64Array(B * K);
  probabilities(d, S, B, P);
  for (let j = 0; j < B * K; j++) assert.equal(P[j], sigmoid(S[j]));
});

// softplus(s) = log(1 + e^s) as two exps, the form lossAndGrad's single e^{−|s|} must reproduce bit for bit
const softplus = (s: number) => (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)));

test('loss: one e^{−|s|} per output gives softplus(s) − y s and σ(s) − y, bit for bit', () => {
  const rng = new Rng(4);
  const special = [0, -0, 1e-300, -1e-300, 1e-9, -1e-9, 0.5, -0.5, 30, -30, 37, -37, 710, -710, 800, -800];
  const values = [...special, ...Array.from({ length: 400 }, () => rng.uniform(1) * 10 ** (rng.uniform(3)))];
  const d: Dims = { head: 'logistic', n: 1, H: 1, K: 1 };
  for (const s of values)
    for (const y of [0, 1]) {
      const dS = new Float64Array(1);
      const J = lossAndGrad(d, Float64Array.of(s), [y === 1 ? 0 : 1], 1, dS, 0.25); // target 0 is output 0: y_0 = 1
      assert.equal(J, softplus(s) - y * s, `J at s = ${s}, y = ${y}`);
      assert.equal(dS[0], 0.25 * (sigmoid(s) - y), `dS at s = ${s}, y = ${y}`);
    }
});

test('decode: Viterbi over log σ(s_k), legal IOBES only; normalising each token\'s σ changes no tag', () => {
  // per-token argmax would read O I-PER E-PER (an entity without its start); the legal path is B-PER … E-PER
  const at = (tag: string) => labels.outputs.indexOf(tag);
  const P = new Float64Array(3 * K).fill(0.01);
  P[0 * K + at('O')] = 0.6;
  P[0 * K + at('B-PER')] = 0.5;
  P[1 * K + at('I-PER')] = 0.9;
  P[2 * K + at('E-PER')] = 0.9;
  const r = decode(labels, P, 3);
  assert.deepEqual(r.tags, ['B-PER', 'I-PER', 'I-PER']);
  assert.deepEqual(r.spans.map((s) => [s.type, s.start, s.end]), [['PER', 0, 3]]);
  assert.ok(Math.abs(r.spans[0].prob - (0.5 + 0.9 + 0.9) / 3) < 1e-12, 'an entity\'s probability: the mean σ of its chosen tags');

  const tr = transitions(labels);
  const rng = new Rng(5);
  for (let trial = 0; trial < 50; trial++) {
    const N = 1 + (trial % 12);
    const Q = Float64Array.from({ length: N * K }, () => sigmoid(rng.uniform(8)));
    const norm = Q.slice();
    for (let i = 0; i < N; i++) {
      let z = 0;
      for (let k = 0; k < K; k++) z += Q[i * K + k];
      for (let k = 0; k < K; k++) norm[i * K + k] /= z;
    }
    const r = decode(labels, Q, N, 0.5, tr);
    assert.deepEqual(r.tags, decode(labels, norm, N, 0.5, tr).tags, `trial ${trial}`);
    const path = Array.from(viterbi(Q.map(Math.log), N, K, tr), (k) => labels.outputs[k]);
    assert.deepEqual(r.spans.map(({ type, start, end }) => ({ type, start, end })), spansFromTags(path));
  }
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-logistic-'));
process.env.NER_CACHE_DIR = path.join(tmp, 'cache');
const vectors = path.join(tmp, 'tiny.txt');
writeTinyVectors(vectors);
const trained = ner.train({ train: path.join(ROOT, 'data/demo/train.conll'), embeddings: vectors, epochs: 2, hidden: 12, buckets: TEST_BUCKETS, head: 'logistic', seed: 4 });

test('a trained logistic model: the fast scorer gives the reference σ(s_k); the model file round trip tags the same', async () => {
  const model = await trained;
  assert.equal(model.config.head, 'logistic');
  assert.equal(model.dims.K, 1 + 4 * model.labels.types.length, 'O and four IOBES tags per type');
  assert.equal(model.params.W.length, model.config.hidden * model.dims.n, 'one shared hidden layer');
  const sentences = ['Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989 .', 'Peter Blackburn met Angela Merkel in Tokyo .'].map((s) => s.split(' '));
  const e = encode(model.words, sentences, model.features); // the gazetteer's classes too (on by default)
  const want = predictProbabilities(model, e);
  const scorer = new WindowScorer(model);
  const got = scorer.probabilities(e);
  scorer.close();
  assertNearReference(got, want);
  assert.ok(!want.every((v, i) => i % model.dims.K !== 0 || v > 0.5), 'not every token O: the model learned something');

  const file = path.join(tmp, 'logistic.json');
  ner.saveModel(model, file);
  const loaded = await ner.loadModel(file);
  assert.equal(loaded.config.head, 'logistic');
  assert.deepEqual(loaded.labels, model.labels);
  const text = 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989. Angela Merkel visited Tokyo.';
  assert.deepEqual(ner.tag(loaded, text), ner.tag(model, text));

  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  doc.config.head = 'probit';
  fs.writeFileSync(path.join(tmp, 'bad.json'), JSON.stringify(doc));
  await assert.rejects(ner.loadModel(path.join(tmp, 'bad.json')), /unknown head "probit" \(this ner knows ovr, softmax, logistic\)/);
  fs.rmSync(tmp, { recursive: true, force: true });
});
