// Gazetteers in a model: training keeps the gazetteer in the model, the model file carries it (and files
// without one still load), and tagging applies it: the tagger's probabilities are those of the reference
// forward pass over windows whose gazetteer classes come from the model's gazetteer, on one thread and two.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { buildGazetteer, gazetteerClassCount, gazetteerFeature, gazetteerClassesOf, parseGazetteer, readGazetteers } from '../src/data/gazetteer.js';
import { attachEmbeddings, parseModel, serialiseModel } from '../src/io/model-io.js';
import { encode } from '../src/model/features.js';
import { DEFAULT_CONFIG, type NerModel } from '../src/model/ner-model.js';
import { Tagger } from '../src/predict/predict.js';
import { batchTagger } from '../src/predict/tag-pipeline.js';
import { train } from '../src/train/train.js';
import { assertNearReference, predictProbabilities } from './helpers/reference.js';
import { writeTinyVectors, TEST_BUCKETS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-gaz-'));
const EMB = path.join(tmp, 'emb.txt');
writeTinyVectors(EMB);
const LIST = path.join(tmp, 'places.tsv');
fs.writeFileSync(LIST, '# a few places\nLOC\tZorbland\nLOC\tNew Quux City\nPER\tBlixa Quorn\n');
const corpus = readConll(path.join(ROOT, 'data/demo/train.conll'));
const dev = readConll(path.join(ROOT, 'data/demo/dev.conll'));
// the gazetteer as the one one-hot group after casing (no word shape)
const config = { ...DEFAULT_CONFIG, hidden: 8, buckets: TEST_BUCKETS, epochs: 2, seed: 3, gazetteers: [LIST], gazetteerFromTrain: true, shape: false };

const SENTENCES = [
  'Blixa Quorn flew from Zorbland to New Quux City on Monday .',
  'Germany beat Zorbland 2-1 in Paris .',
  'Zorbland',
].map((s) => s.split(' '));

let trained: Promise<NerModel> | undefined;
function model(): Promise<NerModel> {
  trained ??= (async () => {
    const emb = await loadEmbeddings(EMB);
    return (await train([corpus], dev, emb, config, {}, undefined, readGazetteers(config.gazetteers, config.gazetteerCase))).model;
  })();
  return trained;
}

test('training keeps the gazetteer: the listed phrases and the training entities', async () => {
  const m = await model();
  const g = m.gazetteer!;
  assert.ok(g, 'the model has a gazetteer');
  assert.deepEqual(g.sources, ['places.tsv', 'training entities']);
  assert.deepEqual(m.shape.groups, [{ name: 'gazetteer', size: gazetteerClassCount(g) }]);
  const listed = new Set(g.phrases.map((p) => `${g.types[p.type]} ${p.tokens.join(' ')}`));
  assert.ok(listed.has('LOC New Quux City') && listed.has('PER Blixa Quorn'));
  const entity = corpus.sentences.flatMap((s) => s.tags.map((t, i) => (t.endsWith('-PER') ? s.tokens[i] : ''))).find((w) => w !== '')!;
  assert.ok([...listed].some((p) => p.startsWith('PER ') && p.includes(entity)), `a training PER (${entity}) is listed`);
});

test('model file: the gazetteer travels with the model; files without one still load', async () => {
  const m = await model();
  const text = serialiseModel(m);
  const mf = parseModel(text, 'm.json');
  assert.deepEqual(mf.gazetteer, m.gazetteer);
  const emb = await loadEmbeddings(EMB);
  const back = attachEmbeddings(mf, emb);
  assert.equal(serialiseModel(back), text, 'byte-identical round trip');
  const t1 = new Tagger(m);
  const t2 = new Tagger(back);
  try {
    assert.deepEqual(t2.probabilities(SENTENCES), t1.probabilities(SENTENCES));
  } finally {
    t1.close();
    t2.close();
  }
  // a damaged gazetteer is named
  const doc = JSON.parse(text);
  doc.gazetteer.phrases[0] = [99, ['x']];
  assert.throws(() => parseModel(JSON.stringify(doc), 'bad.json'), /bad\.json: model file is inconsistent: gazetteer\.phrases\[0\]/);
  // a model trained without gazetteers has none in its file, and loads
  const plain = (await train([corpus], null, emb, { ...DEFAULT_CONFIG, hidden: 8, buckets: TEST_BUCKETS, epochs: 1, gazetteerFromTrain: false, shape: false })).model;
  const plainText = serialiseModel(plain);
  assert.ok(!plainText.includes('"gazetteer"'));
  assert.equal(parseModel(plainText, 'old.json').gazetteer, undefined);
});

test('tagging applies the gazetteer: the tagger = the reference forward pass on the gazetteer classes', async () => {
  const m = await model();
  const e = encode(m.words, SENTENCES, m.features);
  assert.deepEqual(e.feat, gazetteerClassesOf(m.gazetteer!, SENTENCES), 'the one group is the gazetteer');
  assert.ok(e.feat!.some((c) => c !== 0), 'the sentences have listed phrases');
  const reference = predictProbabilities(m, e);
  const tagger = new Tagger(m);
  try {
    const fast = tagger.probabilities(SENTENCES);
    assertNearReference(fast, reference);
    // and the classes matter: without the listed phrases the probabilities differ
    e.feat!.fill(0);
    const without = predictProbabilities(m, e);
    assert.ok(without.some((p, i) => Math.abs(p - fast[i]) > 1e-3), 'the gazetteer classes change the probabilities');
  } finally {
    tagger.close();
  }
});

test('tagging on two threads applies the gazetteer as on one', async () => {
  const m = await model();
  // the thread gets the classes with each encoded batch (it has no gazetteer of its own to match with)
  const one = new Tagger(m);
  const two = batchTagger(m, { threads: 2 });
  try {
    const a = one.tag(SENTENCES).map((d) => d.spans);
    const b = (await two.tag(SENTENCES)).map((d) => d.spans);
    assert.deepEqual(b, a);
  } finally {
    one.close();
    two.close();
  }
});

test('a phrase list changes what a model tags (same parameters, other gazetteer)', async () => {
  const m = await model();
  const g = buildGazetteer(parseGazetteer(m.gazetteer!.types.map((t) => `${t}\tGermany`).join('\n'), 'x'), 'exact', ['x'], m.gazetteer!.types);
  const other: NerModel = { ...m, gazetteer: g, features: [gazetteerFeature(g)] };
  const t1 = new Tagger(m);
  const t2 = new Tagger(other);
  try {
    assert.notDeepEqual(t2.probabilities(SENTENCES), t1.probabilities(SENTENCES));
  } finally {
    t1.close();
    t2.close();
  }
});

test('ner train --gazetteer: a bad file or a useless option is a clear error; ner info shows the gazetteer', () => {
  const BIN = path.join(ROOT, 'bin/ner.js');
  const ner = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  };
  const bad = path.join(tmp, 'bad.tsv');
  fs.writeFileSync(bad, 'LOC\tParis\nLOC Berlin\n');
  const out = path.join(tmp, 'm.json');
  const quick = ['--embeddings', EMB, '--epochs', '1', '--hidden', '8', '--subword', '0', '--no-shape', '-q', '-o', out];
  let r = ner(['train', ...quick, '--gazetteer', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.tsv:2: expected TYPE<TAB>phrase, found no tab in "LOC Berlin"/);
  assert.match(r.stderr, /fix: .*not a tab/);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
  assert.ok(!fs.existsSync(out), 'no model written');
  r = ner(['train', ...quick, '--no-gazetteer-from-train', '--gazetteer-case', 'fold']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--gazetteer-case sets how gazetteers are used, but none is given/);
  r = ner(['train', ...quick, '--gazetteer', LIST, '--no-gazetteer-from-train', '--gazetteer-folds', '3']);
  assert.match(r.stderr, /--gazetteer-folds splits the training entities \(listed unless --no-gazetteer-from-train\)/);
  r = ner(['train', ...quick, '--gazetteer', LIST]); // the training entities too, by default
  assert.equal(r.code, 0, r.stderr);
  r = ner(['info', '-m', out]);
  assert.match(r.stdout, /gazetteer\s+places\.tsv, training entities: [\d,]+ phrases of DATE LOC MISC ORG PER \(exact match\), 22 classes per word/);
  assert.match(r.stdout, /× \(16 vector \+ 8 casing \+ 22 gazetteer\) = 230/);
});

test('training uses the jackknifed classes: with folds the model differs from one trained on its own entities', async () => {
  const emb = await loadEmbeddings(EMB);
  const run = async (folds: number) => (await train([corpus], null, emb, { ...config, epochs: 1, gazetteerFolds: folds }, {}, undefined, readGazetteers(config.gazetteers, config.gazetteerCase))).model;
  const [jackknifed, own] = [await run(5), await run(0)];
  assert.deepEqual(jackknifed.gazetteer, own.gazetteer, 'the same gazetteer is kept');
  assert.notDeepEqual(jackknifed.params.W, own.params.W, 'but the training features differ');
});
