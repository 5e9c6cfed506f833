// Gazetteers (src/data/gazetteer.ts): the file format and its errors, the matcher's classes (longest
// match, left to right, B/I/E/S per type), the training entities' gazetteer and its jackknife, and the
// gazetteer's form in the model file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError } from '../src/errors.js';
import {
  type Gazetteer,
  FOLD_BLOCK,
  buildGazetteer,
  foldsOf,
  gazetteerClassCount,
  gazetteerClassName,
  gazetteerClasses,
  gazetteerFromJson,
  gazetteerPadClass,
  gazetteerToJson,
  gazetteerWithTraining,
  jackknifeClasses,
  mergeGazetteers,
  parseGazetteer,
  phraseTokens,
  readGazetteerFile,
  trainingEntries,
} from '../src/data/gazetteer.js';

function gaz(text: string, match: 'exact' | 'fold' = 'exact'): Gazetteer {
  return buildGazetteer(parseGazetteer(text, 'g.tsv'), match, ['g.tsv']);
}

/** The class names of a sentence's tokens, e.g. "B-LOC E-LOC O". */
function names(g: Gazetteer, sentence: string): string {
  const tokens = sentence.split(' ');
  return [...gazetteerClasses(g, tokens)].map((c) => gazetteerClassName(g, c)).join(' ');
}

test('parseGazetteer: TYPE<TAB>phrase lines, comments, blank lines, CRLF and a BOM', () => {
  const entries = parseGazetteer('\uFEFF# places\r\nLOC\tNew York\r\n\n  # indented comment\nPER\tAngela  Merkel \nORG\tAcme Inc.\n', 'g.tsv');
  assert.deepEqual(entries, [
    { type: 'LOC', tokens: ['New', 'York'] },
    { type: 'PER', tokens: ['Angela', 'Merkel'] },
    { type: 'ORG', tokens: ['Acme', 'Inc.'] },
  ]);
});

test('parseGazetteer: each bad line is named by file:line with the fix', () => {
  const cases: Array<[string, number, RegExp, RegExp]> = [
    ['LOC\tParis\nLOC Berlin\n', 2, /no tab in "LOC Berlin"/, /separated by spaces, not a tab/],
    ['\tParis\n', 1, /type before the tab is empty/, /write the type first/],
    ['LOC\t\n', 1, /type LOC has no phrase/, /write the phrase after the tab/],
    ['# x\nLOC CITY\tParis\n', 2, /the type "LOC CITY" has characters/, /single word/],
    ['LOC\tNew\tYork\n', 1, /the phrase holds a tab/, /spaces/],
  ];
  for (const [text, line, what, fix] of cases) {
    assert.throws(() => parseGazetteer(text, 'lists/g.tsv'), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.line, line);
      assert.match(err.message, new RegExp(`^lists/g\\.tsv:${line}: `));
      assert.match(err.message, what);
      assert.match(err.hint ?? '', fix);
      return true;
    });
  }
});

test('readGazetteerFile: missing, empty and binary files are DataErrors naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaz-'));
  try {
    const missing = path.join(dir, 'nope.tsv');
    assert.throws(() => readGazetteerFile(missing), /nope\.tsv: gazetteer file not found/);
    const empty = path.join(dir, 'empty.tsv');
    fs.writeFileSync(empty, '# only a comment\n\n');
    assert.throws(() => readGazetteerFile(empty), /empty\.tsv: the gazetteer file lists no phrases/);
    const binary = path.join(dir, 'bin.tsv');
    fs.writeFileSync(binary, Buffer.from([76, 9, 80, 0, 10]));
    assert.throws(() => readGazetteerFile(binary), /bin\.tsv: this looks like a binary file/);
    const good = path.join(dir, 'good.tsv');
    fs.writeFileSync(good, 'LOC\tParis\n');
    assert.deepEqual(readGazetteerFile(good), [{ type: 'LOC', tokens: ['Paris'] }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('phraseTokens: the project tokenizer, as in mid-sentence', () => {
  assert.deepEqual(phraseTokens('U.S.'), ['U.S.']);
  assert.deepEqual(phraseTokens('Acme Corp.'), ['Acme', 'Corp.']);
  assert.deepEqual(phraseTokens("Germany's"), ['Germany', "'s"]);
  assert.deepEqual(phraseTokens('Stuttgart-based'), ['Stuttgart-based']);
});

test('classes: 0 none, 1 + 4t + B/I/E/S, the pad last (2 + 4T classes)', () => {
  const g = gaz('LOC\tNew York City\nLOC\tParis\nPER\tJohn Smith\n');
  assert.deepEqual(g.types, ['LOC', 'PER']);
  assert.equal(gazetteerClassCount(g), 10);
  assert.equal(gazetteerPadClass(g), 9);
  assert.deepEqual([...gazetteerClasses(g, ['John', 'Smith', 'left', 'New', 'York', 'City', 'for', 'Paris'])], [5, 7, 0, 1, 2, 3, 0, 4]);
  assert.equal(names(g, 'John Smith left New York City for Paris'), 'B-PER E-PER O B-LOC I-LOC E-LOC O S-LOC');
  assert.equal(gazetteerClassName(g, 9), 'pad');
});

test('matching: longest match wins, left to right; overlaps go to the earlier phrase', () => {
  const g = gaz('LOC\tNew York\nORG\tNew York Stock Exchange\nORG\tStock Exchange\nLOC\tYork\nPER\tA B\nPER\tB C D\n');
  assert.equal(names(g, 'the New York Stock Exchange'), 'O B-ORG I-ORG I-ORG E-ORG');
  assert.equal(names(g, 'New York Stock market'), 'B-LOC E-LOC O O'); // the longer phrase does not complete
  assert.equal(names(g, 'York Stock Exchange'), 'S-LOC B-ORG E-ORG');
  assert.equal(names(g, 'A B C D'), 'B-PER E-PER O O'); // "A B" starts first, so "B C D" cannot
  assert.equal(names(g, 'B C D'), 'B-PER I-PER E-PER');
  assert.equal(names(g, 'New'), 'O');
  assert.deepEqual([...gazetteerClasses(g, [])], []);
});

test('case: exact by default; fold also matches other cases, preferring the longer or the exact match', () => {
  const text = 'LOC\tJapan\nLOC\tNew York\nPER\tMay\n';
  assert.equal(names(gaz(text), 'JAPAN BEAT NEW YORK in May'), 'O O O O O S-PER');
  const fold = gaz(text, 'fold');
  assert.equal(names(fold, 'JAPAN BEAT NEW YORK in May'), 'S-LOC O B-LOC E-LOC O S-PER');
  assert.equal(names(fold, 'it may rain'), 'O S-PER O');
  const tie = gaz('PER\tBill\nORG\tBILL\n', 'fold'); // "BILL" is ORG exactly, PER folded: exact wins
  assert.equal(names(tie, 'BILL bill'), 'S-ORG S-PER');
});

test('buildGazetteer: a phrase listed under several types keeps the most listed (the first on a tie)', () => {
  const g = buildGazetteer([
    { type: 'PER', tokens: ['Washington'] },
    { type: 'LOC', tokens: ['Washington'] },
    { type: 'LOC', tokens: ['Washington'] },
    { type: 'ORG', tokens: ['Jordan'] },
    { type: 'LOC', tokens: ['Jordan'] },
  ], 'exact', ['x']);
  assert.equal(names(g, 'Washington Jordan'), 'S-LOC S-ORG');
  const merged = mergeGazetteers([gaz('PER\tJordan\n'), g], 'exact');
  assert.deepEqual(merged.types, ['LOC', 'ORG', 'PER']);
  assert.equal(names(merged, 'Washington Jordan'), 'S-LOC S-PER'); // the first gazetteer wins
});

/** n sentences "wN went to PLACE_N ." with PLACE_N a LOC seen in that sentence only, plus "Paris" in every one. */
function corpus(n: number): { tokens: string[][]; tags: string[][] } {
  const tokens: string[][] = [];
  const tags: string[][] = [];
  for (let s = 0; s < n; s++) {
    tokens.push([`w${s}`, 'went', 'to', `Place${s}`, 'and', 'Paris', '.']);
    tags.push(['O', 'O', 'O', 'B-LOC', 'O', 'B-LOC', 'O']);
  }
  return { tokens, tags };
}

test('jackknife: a training sentence never sees its own entities, and sees those of other folds', () => {
  const n = 6 * FOLD_BLOCK;
  const { tokens, tags } = corpus(n);
  const full = gazetteerWithTraining(tokens, tags, null, 'exact');
  assert.equal(names(full, 'Place7 and Paris'), 'S-LOC O S-LOC'); // the kept gazetteer has them all
  const cls = jackknifeClasses(tokens, tags, null, full, 5, 1);
  const folds = foldsOf(n, 5, 1);
  assert.ok(new Set(folds).size === 5, 'every fold is used');
  const S = gazetteerClassName(full, 4);
  for (let s = 0; s < n; s++) {
    const c = [...cls.subarray(7 * s, 7 * s + 7)].map((x) => gazetteerClassName(full, x));
    assert.equal(c[3], 'O', `sentence ${s}'s own Place${s} is not in its features`);
    assert.equal(c[5], S, `sentence ${s}: Paris, an entity of the other folds too, is`);
  }
  // a name from another fold is found: sentence 0's Place0 in a sentence appended
  const again = { tokens: [...tokens, ['Place0']], tags: [...tags, ['B-LOC']] };
  const cls2 = jackknifeClasses(again.tokens, again.tags, null, gazetteerWithTraining(again.tokens, again.tags, null, 'exact'), 5, 1);
  // unless it falls in sentence 0's fold
  const lastFold = foldsOf(n + 1, 5, 1)[n];
  assert.equal(gazetteerClassName(full, cls2[7 * n]), lastFold === folds[0] ? 'O' : 'S-LOC');
  // seeded: the same seed gives the same folds, another seed others
  assert.deepEqual(foldsOf(n, 5, 1), folds);
  assert.notDeepEqual(foldsOf(n, 5, 2), folds);
});

test('jackknife: external lists stay whole in every fold', () => {
  const { tokens, tags } = corpus(3 * FOLD_BLOCK);
  const external = gaz('CITY\tPlace0\n');
  const full = gazetteerWithTraining(tokens, tags, external, 'exact');
  assert.deepEqual(full.types, ['CITY', 'LOC']);
  const cls = jackknifeClasses(tokens, tags, external, full, 3, 1);
  assert.equal(gazetteerClassName(full, cls[3]), 'S-CITY'); // its own sentence, but listed externally
});

test('trainingEntries: phrases that are usually not their entity where they occur are dropped', () => {
  const tokens = [['The', 'Hague'], ['The', 'cat'], ['The', 'dog'], ['The', 'end'], ['Oslo']];
  const tags = [['B-LOC', 'I-LOC'], ['O', 'O'], ['B-LOC', 'O'], ['O', 'O'], ['B-LOC']]; // a stray "The" LOC
  const kept = trainingEntries(tokens, tags).map((e) => e.tokens.join(' '));
  assert.deepEqual(kept, ['The Hague', 'Oslo']);
  // nor do the jackknife's fold gazetteers list them
  const many = { tokens: [...Array(4 * FOLD_BLOCK)].flatMap(() => tokens), tags: [...Array(4 * FOLD_BLOCK)].flatMap(() => tags) };
  const full = gazetteerWithTraining(many.tokens, many.tags, null, 'exact');
  const cls = jackknifeClasses(many.tokens, many.tags, null, full, 3, 1);
  assert.equal(gazetteerClassName(full, cls[2]), 'O', '"The" of "The cat" is not a LOC');
  assert.equal(gazetteerClassName(full, cls[0]), 'B-LOC');
});

test('model file form: round trip, and what is wrong with a damaged one', () => {
  const g = gaz('LOC\tNew York\nPER\tJohn\n', 'fold');
  const back = gazetteerFromJson(JSON.parse(JSON.stringify(gazetteerToJson(g))));
  assert.deepEqual(back, g);
  assert.equal(names(back as Gazetteer, 'NEW YORK John'), 'B-LOC E-LOC S-PER');
  const doc = gazetteerToJson(g);
  assert.match(gazetteerFromJson({ ...doc, match: 'upper' }) as string, /gazetteer\.match/);
  assert.match(gazetteerFromJson({ ...doc, phrases: [[2, ['x']]] }) as string, /gazetteer\.phrases\[0\]/);
  assert.match(gazetteerFromJson({ ...doc, types: [] }) as string, /gazetteer\.types/);
});
