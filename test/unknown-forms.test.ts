// A tagger that runs for long (ner serve) keeps a bounded number of forms found nowhere: with subword
// vectors each such form has an id of its own (features.ts wordId), and once there are maxForms of them
// the next batch starts their ids over (clearForms). Whatever is kept by word id must then be forgotten:
// the WordEncoder's memo, the scorer's cached products, the pipeline thread's n-gram rows. Each batch must
// score exactly as a fresh tagger scores it alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { firstFormId, inputSize, newWordTable } from '../src/model/features.js';
import { makeLabels, outputCount } from '../src/model/labels.js';
import { initParams } from '../src/model/model.js';
import { DEFAULT_CONFIG, type NerModel } from '../src/model/ner-model.js';
import { newSubwords } from '../src/model/subword.js';
import { Tagger } from '../src/predict/predict.js';
import { TagPipeline } from '../src/predict/tag-pipeline.js';
import { Rng } from '../src/rng.js';
import { wasmMemoryUsage } from '../src/fast/arena.js';

const d = 6;
const D = 4;
const PRETRAINED = ['paris', 'london', 'the', 'met', 'in'];
const MAX_FORMS = 40;

/** A random model with subword vectors (a non-zero n-gram table, so every form scores its own way). */
function model(): NerModel {
  const rng = new Rng(3);
  const vectors = new Float32Array(PRETRAINED.length * d).map(() => rng.uniform(1));
  const readRow = (id: number, out: Float64Array | Float32Array, o: number) => {
    for (let j = 0; j < d; j++) out[o + j] = vectors[id * d + j];
  };
  const emb: Embeddings = { source: 'test', d, words: PRETRAINED, index: new Map(PRETRAINED.map((w, i) => [w, i])), vectors, count: PRETRAINED.length, readRow, fingerprint: 'test' };
  const keys = ['<s>', '</s>', '<unk>', 'own1'];
  const sub = newSubwords(D, 64);
  sub.Z = new Float32Array(64 * D).map(() => rng.uniform(2));
  const words = newWordTable(d, keys, new Float64Array(keys.length * d).map(() => rng.uniform(1)), emb, sub);
  const labels = makeLabels('logistic', ['LOC', 'PER'], 'IOBES');
  const shape = { window: 2, d, sub: D, useCasing: true };
  const dims = { head: 'logistic' as const, n: inputSize(shape), H: 8, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a * 4));
  const config = { ...DEFAULT_CONFIG, hidden: 8, subword: D };
  return { config, labels, inputScheme: 'IOB2', dims, shape, params, words, embeddings: { source: 'test', d, count: PRETRAINED.length, fingerprint: 'test' }, history: [], bestEpoch: 0, trainedOn: { files: [], sentences: 0, tokens: 0 } };
}

/** Batch b: n forms never seen before (25 by default), one form of the batch before, and known words. */
function batch(b: number, n = 25): string[][] {
  const forms = Array.from({ length: n }, (_, i) => `Zq${b}x${i}`);
  const out: string[][] = [];
  for (let s = 0; s < n / 5; s++) out.push(['the', ...forms.slice(5 * s, 5 * s + 5), 'met', b > 0 ? `Zq${b - 1}x${s}` : 'own1', 'in', 'Paris']);
  return out;
}

/** What a tagger that never saw another batch gives. */
function alone(sentences: string[][]): { P: Float64Array; spans: unknown[] } {
  const t = new Tagger(model());
  const P = t.probabilities(sentences);
  const spans = t.tag(sentences).map((x) => x.spans);
  t.close();
  return { P, spans };
}

test('a Tagger keeps at most maxForms forms found nowhere between batches, and scores every batch as a fresh one', () => {
  const m = model();
  const t = new Tagger(m, { maxForms: MAX_FORMS });
  const known = firstFormId(m.words);
  for (let b = 0; b < 12; b++) {
    const s = batch(b);
    assert.deepEqual(t.probabilities(s), alone(s).P, `batch ${b}`);
    assert.ok(m.words.forms!.size < MAX_FORMS + 25, `batch ${b}: ${m.words.forms!.size} forms kept`);
    const formGrams = [...m.words.sub!.grams.keys()].filter((id) => id >= known).length;
    assert.equal(formGrams, m.words.forms!.size, `batch ${b}: n-grams kept only for the forms kept`);
  }
  assert.ok((m.words.formsCleared ?? 0) >= 4, 'the forms were started over several times');
  t.close();
});

test('two pipelines on one model (as ner serve has) give a fresh Tagger\'s spans while the forms start over', async () => {
  const m = model();
  const pipes = [new TagPipeline(m, undefined, MAX_FORMS), new TagPipeline(m, undefined, MAX_FORMS)];
  try {
    for (let b = 0; b < 12; b++) {
      const s = batch(b);
      const got = (await pipes[b % 2].tag(s)).map((x) => x.spans);
      assert.deepEqual(got, alone(s).spans, `batch ${b}`);
    }
    assert.ok(m.words.forms!.size < MAX_FORMS + 25, 'bounded');
    assert.ok((m.words.formsCleared ?? 0) >= 4, 'the forms were started over several times');
  } finally {
    for (const p of pipes) p.close();
  }
});

test('starting the forms over reuses the product store: the arena does not grow', () => {
  const m = model();
  const t = new Tagger(m, { maxForms: 1500 });
  let used = 0;
  for (let b = 0; b < 6; b++) {
    t.probabilities(batch(b, 1200)); // more words than one segment of the store (1024 entries)
    if (b === 2) used = wasmMemoryUsage().used;
  }
  assert.equal(wasmMemoryUsage().used, used);
  assert.ok((m.words.formsCleared ?? 0) >= 2);
  t.close();
});
