// The library API as a user imports it (the compiled dist/src/index.js, and the package's own name
// through package.json "exports"): train on the demo corpus with small generated vectors, save, load,
// tag with offsets and probabilities, evaluate — and the same numbers as the CLI's code paths.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ner from '../src/index.js';
import type { NerModel } from '../src/index.js';
import { writeTinyVectors, TEST_BUCKETS } from './tiny-vectors.js';
import { kernelThreadStats } from '../src/fast/team.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TRAIN = path.join(ROOT, 'data/demo/train.conll');
const DEV = path.join(ROOT, 'data/demo/dev.conll');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-lib-'));
const vectors = path.join(tmp, 'tiny.txt');
process.env.NER_CACHE_DIR = path.join(tmp, 'cache');


let model: NerModel;
const epochs: number[] = [];

before(async () => {
  writeTinyVectors(vectors);
  model = await ner.train({ train: TRAIN, dev: DEV, embeddings: vectors, epochs: 3, hidden: 20, buckets: TEST_BUCKETS, seed: 5, onEpoch: (r) => epochs.push(r.epoch) });
});

test('the package name resolves (package.json "exports") to the same module', async () => {
  const name = 'ner';
  const byName = await import(name);
  for (const f of ['train', 'loadModel', 'tag', 'evaluate', 'saveModel']) {
    assert.equal(typeof byName[f], 'function', f);
    assert.equal(byName[f], (ner as Record<string, unknown>)[f], `${f} is a different function`);
  }
});

test('train() uses the defaults with the overrides given, reports every epoch and learns', () => {
  assert.deepEqual(epochs, [1, 2, 3]);
  assert.equal(model.config.hidden, 20);
  assert.equal(model.config.seed, 5);
  assert.equal(model.config.window, ner.DEFAULT_CONFIG.window);
  assert.equal(model.config.lrEmbed, model.config.lr);
  assert.deepEqual(model.labels.types, ['DATE', 'LOC', 'MISC', 'ORG', 'PER']);
  assert.equal(model.history.length, 3);
  assert.ok(model.history[2].loss < model.history[0].loss);
  assert.equal(model.trainedOn.sentences, 408);
});

test('train() accepts corpora and rejects unknown options and empty data', async () => {
  const corpus = ner.parseConll('Paris B-LOC\nis O\nnice O\n\nJohn B-PER\nsmiled O\n', 'mem.conll');
  const emb = await ner.loadEmbeddings(vectors);
  const m = await ner.train({ train: [corpus], embeddings: emb, epochs: 1, hidden: 4 });
  assert.deepEqual(m.labels.types, ['LOC', 'PER']);
  assert.equal(m.bestEpoch, 0); // no dev set
  await assert.rejects(ner.train({ train: corpus, embeddings: emb, epoch: 3 } as ner.TrainOptions & { epoch: number }), /unknown option epoch/);
  await assert.rejects(ner.train({ train: [], embeddings: emb }), /no training data/);
  await assert.rejects(ner.train({ train: path.join(tmp, 'missing.conll'), embeddings: emb }), (e: unknown) => e instanceof ner.NerError && /missing\.conll/.test((e as Error).message));
});

test('saveModel → loadModel gives a model that tags identically', async () => {
  const file = path.join(tmp, 'model.json');
  ner.saveModel(model, file);
  const loaded = await ner.loadModel(file); // the embeddings path recorded in the file
  const text = 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989. Angela Merkel visited Tokyo.';
  assert.deepEqual(ner.tag(loaded, text), ner.tag(model, text));
  await assert.rejects(ner.loadModel(path.join(tmp, 'none.json')), /model file not found/);
});

test('tag() gives entities with offsets into the text, types and probabilities', () => {
  const text = 'Yesterday  Samuel Quinn flew from Paris to Berlin.\n\nHe met Angela Merkel on Friday.';
  const ents = ner.tag(model, text);
  assert.ok(ents.length >= 2, JSON.stringify(ents));
  for (const e of ents) {
    assert.deepEqual(Object.keys(e).sort(), ['end', 'prob', 'start', 'text', 'type']);
    assert.equal(text.slice(e.start, e.end).split(/\s+/).join(' '), e.text);
    assert.ok(model.labels.types.includes(e.type));
    assert.ok(e.prob > 0 && e.prob <= 1);
  }
  assert.ok(ents.every((e, i) => i === 0 || e.start >= ents[i - 1].end), 'in text order, not overlapping');
  const cut = Math.max(...ents.map((e) => e.prob));
  assert.deepEqual(ner.tag(model, text, { minProb: cut }), ents.filter((e) => e.prob >= cut));
  assert.deepEqual(ner.tag(model, ''), []);
});

test('evaluate() on a file, a corpus or several: conlleval scores plus the OOV split', () => {
  const r = ner.evaluate(model, DEV);
  const corpus = ner.readConll(DEV);
  assert.deepEqual(ner.evaluate(model, corpus), r);
  assert.equal(r.gold, 355);
  assert.ok(r.f1 > 0 && r.f1 <= 100);
  assert.equal(r.oov.oov.gold + r.oov.inVocab.gold, r.gold);
  assert.equal(r.oov.oov.correct + r.oov.inVocab.correct, r.correct);
  // the same as tagging the tokens and scoring the tags directly
  const { predicted } = ner.scoreCorpus(model, corpus);
  const direct = ner.scoreTags(corpus.sentences.map((s) => s.tags), predicted, corpus.sentences.map((s) => s.tokens));
  assert.equal(ner.formatConlleval(r), ner.formatConlleval(direct));
  // two copies are scored as one stream: counts double, scores stay
  const twice = ner.evaluate(model, [DEV, corpus]);
  assert.equal(twice.gold, 2 * r.gold);
  assert.equal(twice.f1, r.f1);
  assert.throws(() => ner.evaluate(model, []), /no corpus/);
});

test('the report and chart helpers are exported and work on a trained model', () => {
  const html = ner.trainReportHtml(model);
  assert.equal((html.match(/<polyline /g) ?? []).length, 4);
  assert.match(ner.trainingChart(model.history, model.bestEpoch), /^dev F1 /);
});

test('train({ threads }): the ovr head on 1 and 2 threads gives the same model, byte for byte', async () => {
  const vectors = path.join(tmp, 'threads-vectors.txt');
  writeTinyVectors(vectors);
  const emb = await ner.loadEmbeddings(vectors);
  // H = 100 per classifier: products above the size that is split over the threads (team.ts
  // MIN_PARALLEL_WORK; the byWorkers check below fails if they fall under it)
  const opts = { train: TRAIN, embeddings: emb, epochs: 1, head: 'ovr' as const, hidden: 100, buckets: TEST_BUCKETS, seed: 3 };
  try {
    const one = ner.serialiseModel(await ner.train({ ...opts, threads: 1 }));
    const before = kernelThreadStats().byWorkers;
    const two = ner.serialiseModel(await ner.train({ ...opts, threads: 2 }));
    assert.ok(kernelThreadStats().byWorkers > before, 'the second thread ran parts');
    assert.ok(two === one, 'different models on 1 and 2 threads');
  } finally {
    ner.setKernelThreads(1);
  }
});

test('train({ lrEmbed: 0 }): the word vectors keep their first values; with a rate they learn', async () => {
  const opts = { train: TRAIN, embeddings: vectors, hidden: 10, buckets: TEST_BUCKETS, seed: 4, patience: 5 };
  const rows = async (epochs: number, lrEmbed?: number) => Array.from((await ner.train({ ...opts, epochs, lrEmbed })).words.rows);
  assert.deepEqual(await rows(2, 0), await rows(1, 0), 'the own rows changed with --lr-embed 0');
  assert.notDeepEqual(await rows(2), await rows(1), 'the own rows did not learn with the default rate');
});
