// Tests for conlleval-exact scoring: hand-checked cases, and formatConlleval compared byte for byte with
// the output conlleval.pl printed for the prediction files in test/fixtures/conll (recorded once, stored
// as pred-*.expected next to each pred-*.txt).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { f62, formatConlleval } from '../src/eval/conlleval.js';
import { evaluate } from '../src/eval/metrics.js';
import { parseConll, readConll } from '../src/data/conll.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..'); // dist/test → repo root
const fixtures = path.join(repo, 'test', 'fixtures', 'conll');

test('wrong boundary: no correct phrase, and the error names the gold span', () => {
  const r = evaluate([['B-PER', 'I-PER', 'O']], [['B-PER', 'O', 'O']], [['Ann', 'Lee', 'left']]);
  assert.equal(r.tokens, 3);
  assert.equal(r.correctTags, 2);
  assert.equal(r.accuracy, 200 / 3);
  assert.deepEqual([r.gold, r.found, r.correct], [1, 1, 0]);
  assert.deepEqual([r.precision, r.recall, r.f1], [0, 0, 0]);
  assert.deepEqual(r.errors, [
    { kind: 'wrong boundary', text: 'Ann Lee', predictedText: 'Ann', gold: 'PER', predicted: 'PER', count: 1 },
  ]);
  // a gold span with no same-boundary prediction is 'missed' in the matrix; the prediction is 'spurious'
  assert.deepEqual(r.confusion.counts, [[0, 1], [1, 0]]);
});

test('wrong type: same boundaries, other type', () => {
  const r = evaluate([['B-PER', 'I-PER', 'O', 'B-LOC']], [['B-ORG', 'I-ORG', 'O', 'B-LOC']], [['Ann', 'Lee', 'in', 'Rome']]);
  assert.deepEqual([r.gold, r.found, r.correct], [2, 2, 1]);
  assert.equal(r.precision, 50);
  assert.equal(r.recall, 50);
  assert.equal(r.f1, 50);
  assert.equal(r.accuracy, 50);
  assert.deepEqual(r.perType.map((t) => [t.type, t.gold, t.found, t.correct]), [
    ['LOC', 1, 1, 1], ['ORG', 0, 1, 0], ['PER', 1, 0, 0],
  ]);
  assert.deepEqual(r.confusion.rowLabels, ['LOC', 'ORG', 'PER', 'spurious']);
  assert.deepEqual(r.confusion.colLabels, ['LOC', 'ORG', 'PER', 'missed']);
  assert.deepEqual(r.confusion.counts, [
    [1, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(r.errors, [{ kind: 'wrong type', text: 'Ann Lee', gold: 'PER', predicted: 'ORG', count: 1 }]);
});

test('I- after O or after another type starts a phrase (IOB1 gold, IOB2 guess)', () => {
  const r = evaluate([['O', 'I-LOC', 'I-LOC', 'I-PER', 'O']], [['O', 'B-LOC', 'I-LOC', 'B-PER', 'O']]);
  assert.deepEqual([r.gold, r.found, r.correct], [2, 2, 2]);
  assert.equal(r.f1, 100);
  assert.equal(r.correctTags, 3); // tags differ in spelling on two tokens
  assert.equal(r.accuracy, 60);
});

test('adjacent same-type entities in IOB1: B- separates them', () => {
  const gold = [['I-PER', 'I-PER', 'B-PER', 'I-PER']];
  const merged = evaluate(gold, [['I-PER', 'I-PER', 'I-PER', 'I-PER']]);
  assert.deepEqual([merged.gold, merged.found, merged.correct], [2, 1, 0]);
  assert.equal(merged.errors.length, 1);
  assert.equal(merged.errors[0].kind, 'wrong boundary');
  assert.equal(merged.errors[0].count, 2);
  const iob2 = evaluate(gold, [['B-PER', 'I-PER', 'B-PER', 'I-PER']]);
  assert.deepEqual([iob2.gold, iob2.found, iob2.correct], [2, 2, 2]);
  assert.equal(iob2.accuracy, 75);
});

test('a phrase never runs across a sentence boundary', () => {
  const r = evaluate([['I-PER'], ['I-PER']], [['I-PER'], ['I-PER']]);
  assert.deepEqual([r.gold, r.found, r.correct], [2, 2, 2]);
});

test('empty gold: precision, recall and F1 are 0 and the report matches conlleval.pl', () => {
  const r = evaluate([['O', 'O']], [['O', 'B-PER']], [['a', 'b']]);
  assert.deepEqual([r.gold, r.found, r.correct, r.precision, r.recall, r.f1], [0, 1, 0, 0, 0, 0]);
  assert.deepEqual(r.errors, [{ kind: 'spurious', text: 'b', predicted: 'PER', count: 1 }]);
  assert.equal(formatConlleval(r),
    'processed 2 tokens with 0 phrases; found: 1 phrases; correct: 0.\n'
    + 'accuracy:  50.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n'
    + '              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n');
});

test('empty prediction: every gold phrase is missed', () => {
  const r = evaluate([['B-PER', 'I-PER', 'O', 'B-LOC']], [['O', 'O', 'O', 'O']], [['Ann', 'Lee', 'in', 'Rome']]);
  assert.deepEqual([r.gold, r.found, r.correct, r.precision, r.recall, r.f1], [2, 0, 0, 0, 0, 0]);
  assert.equal(r.accuracy, 25);
  assert.deepEqual(r.errors, [
    { kind: 'missed', text: 'Ann Lee', gold: 'PER', count: 1 },
    { kind: 'missed', text: 'Rome', gold: 'LOC', count: 1 },
  ]);
  assert.deepEqual(r.perType.map((t) => [t.type, t.found]), [['LOC', 0], ['PER', 0]]);
});

test('no tokens at all: only the first conlleval line', () => {
  const r = evaluate([], []);
  assert.equal(r.accuracy, 0);
  assert.equal(formatConlleval(r), 'processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n');
});

test('IOBES: S- and E- end phrases, B- and S- start them', () => {
  const gold = [['S-PER', 'S-PER', 'O', 'B-LOC', 'E-LOC', 'B-LOC', 'E-LOC']];
  const same = evaluate(gold, gold);
  assert.deepEqual([same.gold, same.found, same.correct], [4, 4, 4]);
  const merged = evaluate(gold, [['B-PER', 'E-PER', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'E-LOC']]);
  assert.deepEqual([merged.gold, merged.found, merged.correct], [4, 2, 0]);
  assert.equal(merged.correctTags, 3);
  const half = evaluate(gold, [['S-PER', 'O', 'O', 'B-LOC', 'E-LOC', 'S-LOC', 'O']]);
  assert.deepEqual([half.gold, half.found, half.correct], [4, 3, 2]);
  assert.equal(half.precision, 200 / 3);
  assert.equal(half.recall, 50);
});

test('errors are grouped and sorted by frequency', () => {
  const gold = [['B-LOC', 'O'], ['B-LOC', 'O'], ['B-PER', 'O']];
  const pred = [['B-ORG', 'O'], ['B-ORG', 'O'], ['O', 'B-MISC']];
  const words = [['Paris', 'fell'], ['Paris', 'rose'], ['Ann', 'Cup']];
  assert.deepEqual(evaluate(gold, pred, words).errors, [
    { kind: 'wrong type', text: 'Paris', gold: 'LOC', predicted: 'ORG', count: 2 },
    { kind: 'missed', text: 'Ann', gold: 'PER', count: 1 },
    { kind: 'spurious', text: 'Cup', predicted: 'MISC', count: 1 },
  ]);
  // without tokens the errors group by kind and types only
  assert.deepEqual(evaluate(gold, pred).errors[0], { kind: 'wrong type', text: undefined, gold: 'LOC', predicted: 'ORG', count: 2 });
});

test('mismatched shapes and bad tags are reported, not scored', () => {
  assert.throws(() => evaluate([['O']], []), /expected 1, got 0/);
  assert.throws(() => evaluate([['O', 'O']], [['O']]), /sentence 1.*expected 2, got 1/);
  assert.throws(() => evaluate([['O']], [['X-PER']]), /predicted tags, sentence 1, token 1: .*unknown prefix/);
});

test('f62 formats like C printf %6.2f, exact ties rounding to even', () => {
  assert.equal(f62(0), '  0.00');
  assert.equal(f62(100), '100.00');
  assert.equal(f62(200 / 3), ' 66.67');
  assert.equal(f62(3.125), '  3.12');
  assert.equal(f62(12.375), ' 12.38');
  assert.equal(f62(12.625), ' 12.62');
  assert.equal(f62(0.875), '  0.88');
  assert.equal(f62(1.005), '  1.00'); // 1.005 is stored just below 1.005: not a tie
});

// Each pred-*.txt holds `token gold guess` lines written by formatPredictions; pred-*.expected is what
// conlleval.pl printed for it. They cover a perfect guess, IOB2 guesses for IOB1 gold, noised guesses,
// an all-O guess, no gold phrases, no phrases at all, a rounding tie (3.125 %), and type names that are
// hyphenated, longer than 17 bytes, non-ASCII (Perl pads by bytes) and lower case (sorted after upper).
const predFiles = fs.readdirSync(fixtures).filter((f) => /^pred-.*\.txt$/.test(f)).sort();

test('fixture set is present', () => {
  assert.ok(predFiles.length >= 10, `expected at least 10 pred-*.txt fixtures, found ${predFiles.length}`);
});

for (const name of predFiles) {
  test(`formatConlleval matches conlleval.pl byte for byte: ${name}`, () => {
    const text = fs.readFileSync(path.join(fixtures, name), 'utf8');
    const gold = parseConll(text, name, { tagColumn: 2 });
    const guess = parseConll(text, name);
    const r = evaluate(gold.sentences.map((s) => s.tags), guess.sentences.map((s) => s.tags));
    const expected = fs.readFileSync(path.join(fixtures, name.replace(/\.txt$/, '.expected')), 'utf8');
    assert.equal(formatConlleval(r), expected);
  });
}

// Recorded from conlleval.pl on the predictions built below (every 10th token's tag replaced).
const DEV_EXPECTED = 'processed 51362 tokens with 5942 phrases; found: 9936 phrases; correct: 5043.\n'
  + 'accuracy:  91.10%; precision:  50.75%; recall:  84.87%; FB1:  63.52\n'
  + '              LOC: precision:  58.44%; recall:  88.24%; FB1:  70.31  2774\n'
  + '             MISC: precision:  39.73%; recall:  84.71%; FB1:  54.09  1966\n'
  + '              ORG: precision:  47.84%; recall:  84.34%; FB1:  61.05  2364\n'
  + '              PER: precision:  53.32%; recall:  81.98%; FB1:  64.61  2832\n';

test('CoNLL-2003 dev with perturbed tags matches conlleval.pl', (t) => {
  const dev = path.resolve(repo, '..', 'shared', 'data', 'conll2003', 'dev.txt');
  if (!fs.existsSync(dev)) {
    t.skip(`${dev} not found (the shared CoNLL-2003 data is not on this machine)`);
    return;
  }
  const corpus = readConll(dev);
  const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-MISC', 'I-MISC'];
  let k = 0;
  const guess = corpus.sentences.map((s) => s.tags.map((tag) => {
    const j = k++;
    return j % 10 === 3 ? labels[Math.floor(j / 10) % labels.length] : tag;
  }));
  const r = evaluate(corpus.sentences.map((s) => s.tags), guess);
  assert.equal(formatConlleval(r), DEV_EXPECTED);
  // every gold span is either matched (diagonal) or counted in the 'missed' column
  const T = r.confusion.types.length;
  let goldSpans = 0;
  for (let g = 0; g < T; g++) for (let p = 0; p <= T; p++) goldSpans += r.confusion.counts[g][p];
  assert.equal(goldSpans, r.gold);
});
