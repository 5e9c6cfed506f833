// The Unicode word shape (src/model/shape.ts): one class per token, the same for any script's letters,
// digits and marks, and for NFC and NFD spellings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { encode, gather } from '../src/model/features.js';
import { PAD_SHAPE, S, SHAPES, SHAPE_FEATURE, shape } from '../src/model/shape.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';
import { attachEmbeddings, parseModel, serialiseModel } from '../src/io/model-io.js';
import { Tagger } from '../src/predict/predict.js';
import { batchTagger } from '../src/predict/tag-pipeline.js';
import { gradcheck, randomProblem } from '../src/check/gradcheck.js';
import { assertNearReference, predictProbabilities } from './helpers/reference.js';
import { writeTinyVectors } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-shape-'));
const EMB = path.join(tmp, 'emb.txt');
writeTinyVectors(EMB);
const corpus = readConll(path.join(ROOT, 'data/demo/train.conll'));
const dev = readConll(path.join(ROOT, 'data/demo/dev.conll'));
// the defaults without the optional parts of x (subword vectors, the training gazetteer, the shape)
const BASE = { ...DEFAULT_CONFIG, subword: 0, gazetteerFromTrain: false, shape: false };

const name = (t: string): string => SHAPES[shape(t)];

test('shape: capitalisation of any script, with the length class of a plain word', () => {
  const want: Array<[string, string]> = [
    ['the', 'lower:2-3'],
    ['a', 'lower:1'],
    ['festival', 'lower:4+'],
    ['Björk', 'initcap:4+'],
    ['Ngũgĩ', 'initcap:4+'],
    ['Kaká', 'initcap:4+'],
    ['Ángeles', 'initcap:4+'], // an accented capital
    ['Ελλάδα', 'initcap:4+'], // Greek
    ['Москву', 'initcap:4+'], // Cyrillic
    ['ǅemal', 'initcap:4+'], // a titlecase letter (\p{Lt}) opens the word
    ['I', 'initcap:1'],
    ['EU', 'allcaps:2-3'],
    ['ÖVP', 'allcaps:2-3'],
    ['ΝΑΤΟ', 'allcaps:4+'], // Greek capitals
    ['McDonald', 'mixed:4+'],
    ['iPhone', 'mixed:4+'],
    ['straße', 'lower:4+'], // ß has no single-letter capital: still a lowercase letter
    ['北京', 'caseless:2-3'], // Han
    ['القاهرة', 'caseless:4+'], // Arabic
    ['ירושלים', 'caseless:4+'], // Hebrew
    ['नई', 'caseless:2-3'], // Devanagari: a letter and a vowel sign (\p{M})
    ['Hawaiʻi', 'initcap:4+'], // ʻ is a modifier letter (\p{Lm}): not a capital, not a mark
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: periods, apostrophes (straight and curly) and hyphens inside words', () => {
  const want: Array<[string, string]> = [
    ['U.S.', 'allcaps:period'],
    ['EE.UU.', 'allcaps:period'],
    ['Sr.', 'initcap:period'],
    ['J.', 'initcap:period'],
    ['a.m.', 'lower:period'],
    ["Thiong'o", 'initcap:apostrophe'],
    ['Thiong’o', 'initcap:apostrophe'],
    ["'s", 'lower:apostrophe'],
    ["n't", 'lower:apostrophe'],
    ["l'Hospitalet", 'mixed:apostrophe'],
    ['Jean-Pierre', 'mixed:hyphen'],
    ['Stuttgart-based', 'initcap:hyphen'],
    ['two-year', 'lower:hyphen'],
    ['U.S.-led', 'mixed:period'], // the period wins over the hyphen
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: digits of any script, with and without letters; punctuation', () => {
  const want: Array<[string, string]> = [
    ['3', 'number:1-2'],
    ['25', 'number:1-2'],
    ['1996', 'number:4'],
    ['١٩٩٦', 'number:4'], // Arabic-Indic digits
    ['१९९६', 'number:4'], // Devanagari digits
    ['123', 'number:other'],
    ['1,234.5', 'number:other'],
    ['1996-08-22', 'number:other'],
    ['12:30', 'number:other'],
    ['٣٫٥', 'number:other'], // Arabic decimal separator: a number that is not plain digits
    ['F-16', 'digits+upper'],
    ['COVID-19', 'digits+upper'],
    ['1990s', 'digits+lower'],
    ['2º', 'digits+lower'], // º is a letter (\p{Lo}) with no case
    [',', 'other'],
    ['«', 'other'],
    ['¿', 'other'],
    ['--', 'other'],
    ['$', 'other'],
    ['😀', 'other'],
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: NFC and NFD spellings, and invisible joiners, have one shape', () => {
  for (const t of ['Ngũgĩ', 'Björk', 'Kaká', 'ÁNGEL', 'São', 'ḍ', 'Ελλάδα']) {
    assert.notEqual(t.normalize('NFD'), t.normalize('NFC'), `${t} has a decomposed form`);
    assert.equal(shape(t.normalize('NFD')), shape(t.normalize('NFC')), t);
  }
  assert.equal(shape('Pa\u200dris'), shape('Paris'));
  assert.equal(shape('Pa\u200bris'), shape('Paris'));
  assert.equal(shape('\ufeffParis'), shape('Paris'));
  assert.equal(SHAPES[shape('19\u200b96')], 'number:4');
  assert.equal(SHAPES[shape('𝟙𝟡𝟗𝟞')], 'number:4'); // digits outside the BMP: two UTF-16 units each
  assert.equal(SHAPES[shape('1\u200d2')], 'number:1-2');
});

test('shape: a modest number of classes, every one reachable name unique, pad last', () => {
  assert.ok(S <= 40, `${S} classes`);
  assert.equal(new Set(SHAPES).size, S);
  assert.equal(SHAPES[PAD_SHAPE], 'pad');
  assert.equal(PAD_SHAPE, S - 1);
  // no token is ever 'pad', and every id is in range
  for (const t of ['', 'x', 'X', '1', '.', 'Xx-x', '北', 'a1', '\u200d']) {
    const s = shape(t);
    assert.ok(Number.isInteger(s) && s >= 0 && s < PAD_SHAPE, `${JSON.stringify(t)} → ${s}`);
  }
});

const SENTENCES = [
  'Ngũgĩ wa Thiong’o met Kaká in Kyiv on 12 May 1996 .',
  'ǅemal flew from 北京 to Las Palmas with ÖVP and U.S.-led F-16s .',
  'Björk .',
].map((x) => x.split(' '));

test('a model with the shape group: the tagger (1 and 2 threads) and a saved and loaded copy score as the reference', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const m = (await train([corpus], dev, emb, { ...BASE, hidden: 8, shape: true, epochs: 2, seed: 3 })).model;
  assert.deepEqual(m.shape.groups, [{ name: 'shape', size: S }]);
  assert.equal(m.dims.n, 5 * (16 + 8 + S));
  const ref = predictProbabilities(m, encode(m.words, SENTENCES, m.features));
  const tagger = new Tagger(m);
  const fast = tagger.probabilities(SENTENCES);
  tagger.close();
  assertNearReference(fast, ref);
  // the shape reaches the output: the same unknown word in two shapes scores differently
  const t = new Tagger(m);
  const K = m.dims.K;
  const a = t.probabilities([['He', 'met', 'qwertz', '.']]).slice(2 * K, 3 * K);
  const b = t.probabilities([['He', 'met', 'qwértz', '.']]).slice(2 * K, 3 * K); // same casing class, same <unk>
  const c = t.probabilities([['He', 'met', 'qw-rtz', '.']]).slice(2 * K, 3 * K);
  t.close();
  assert.deepEqual(a, b, 'an accent changes neither the casing nor the shape');
  assert.notDeepEqual(a, c, 'a hyphen changes the shape');
  // the file records the group; a loaded model has its rule back and scores the same
  const text = serialiseModel(m);
  const loaded = attachEmbeddings(parseModel(text, 'm.json'), emb);
  assert.equal(loaded.config.shape, true);
  assert.deepEqual(loaded.features, [SHAPE_FEATURE]);
  assert.equal(serialiseModel(loaded), text);
  const one = new Tagger(loaded);
  const want = one.tag(SENTENCES).map((d) => d.spans);
  const P = one.probabilities(SENTENCES);
  one.close();
  assert.deepEqual(P, fast);
  const two = batchTagger(loaded, { threads: 2 });
  assert.deepEqual((await two.tag(SENTENCES)).map((d) => d.spans), want);
  two.close();
});

test('model files: one without the shape group loads as before; a group this ner does not know is refused', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const m = (await train([corpus], dev, emb, { ...BASE, hidden: 4, epochs: 1, seed: 1 })).model;
  const doc = JSON.parse(serialiseModel(m));
  delete doc.config.shape; // as written before the option existed
  const old = parseModel(JSON.stringify(doc), 'old.json');
  assert.equal(old.config.shape, false);
  assert.equal(old.features, undefined);
  const withShape = JSON.parse(serialiseModel((await train([corpus], dev, emb, { ...BASE, hidden: 4, shape: true, epochs: 1, seed: 1 })).model));
  const wrong = structuredClone(withShape);
  wrong.window.groups[0].name = 'moon-phase';
  assert.throws(() => parseModel(JSON.stringify(wrong), 'w.json'), /one-hot group "moon-phase" this ner does not know/);
  const size = structuredClone(withShape);
  size.window.groups[0].size = 12;
  assert.throws(() => parseModel(JSON.stringify(size), 's.json'), /word shape has 12 classes, this ner has 37/);
  const flag = structuredClone(withShape);
  flag.config.shape = false;
  assert.throws(() => parseModel(JSON.stringify(flag), 'f.json'), /config.shape is false but window.groups has the word shape/);
});

test("gradient check with the shape group: W's shape columns pass", async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const spec = { head: 'softmax' as const, activation: 'tanh' as const, hidden: 6, window: 1, casing: true, shape: true, scheme: 'IOBES' as const };
  const p = randomProblem(emb, corpus.sentences, spec, 6, 4);
  assert.equal(p.dims.n, 3 * (16 + 8 + S));
  // x's shape columns are set, one per position (the pad class outside the sentence)
  const m = 16 + 8 + S;
  const X = new Float64Array(p.centres.length * 3 * m);
  gather(p.words, p.shape, p.encoded, p.centres, p.centres.length, X, new Int32Array(p.centres.length * 3));
  for (let k = 0; k < p.centres.length * 3; k++) {
    const cols = X.subarray(k * m + 24, (k + 1) * m);
    assert.equal(cols.reduce((a, v) => a + v, 0), 1);
  }
  const r = gradcheck(p, { samples: 200 });
  assert.ok(r.pass, JSON.stringify(r.blocks));
});

test('with the other defaults (subword vectors, the training gazetteer): shape first, then the gazetteer, kept by the file', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const m = (await train([corpus], dev, emb, { ...DEFAULT_CONFIG, hidden: 4, subword: 4, buckets: 64, shape: true, epochs: 1, seed: 2 })).model;
  assert.deepEqual(m.shape.groups!.map((g) => g.name), m.config.gazetteerFromTrain ? ['shape', 'gazetteer'] : ['shape']);
  const loaded = attachEmbeddings(parseModel(serialiseModel(m), 'm.json'), emb);
  assert.deepEqual(loaded.features!.map((f) => f.name), m.shape.groups!.map((g) => g.name));
  const a = new Tagger(m);
  const b = new Tagger(loaded);
  assert.deepEqual(b.probabilities(SENTENCES), a.probabilities(SENTENCES));
  a.close();
  b.close();
});
