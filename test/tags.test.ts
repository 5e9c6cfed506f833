// Tests for tag schemes: conlleval's chunk rules, scheme detection, encoding spans back, tag checking.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectScheme, encodeSpans, entityTypes, parseTag, spansFromTags, validateTag, type Span, type TagScheme } from '../src/data/tags.js';

const span = (type: string, start: number, end: number): Span => ({ type, start, end });

test('IOB2: B- starts, I- continues', () => {
  assert.deepEqual(spansFromTags(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'I-LOC']),
    [span('PER', 0, 2), span('LOC', 3, 4), span('LOC', 4, 6)]);
});

test('IOB1: I- after O or another type starts a chunk; B- splits touching same-type chunks', () => {
  assert.deepEqual(spansFromTags(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC', 'I-ORG', 'I-ORG']),
    [span('PER', 0, 2), span('PER', 2, 3), span('LOC', 4, 5), span('ORG', 5, 7)]);
});

test('IO: touching same-type tokens form one chunk', () => {
  assert.deepEqual(spansFromTags(['I-PER', 'I-PER', 'I-LOC']), [span('PER', 0, 2), span('LOC', 2, 3)]);
});

test('IOBES: S- is a chunk of its own, E- ends one, E- or I- after E- starts another', () => {
  assert.deepEqual(spansFromTags(['S-PER', 'S-PER', 'B-LOC', 'E-LOC', 'B-LOC', 'I-LOC', 'E-LOC', 'E-LOC', 'I-ORG']),
    [span('PER', 0, 1), span('PER', 1, 2), span('LOC', 2, 4), span('LOC', 4, 7), span('LOC', 7, 8), span('ORG', 8, 9)]);
});

test('a chunk left open at the end of the sentence ends there; empty and all-O give no chunks', () => {
  assert.deepEqual(spansFromTags(['O', 'B-MISC', 'I-MISC']), [span('MISC', 1, 3)]);
  assert.deepEqual(spansFromTags([]), []);
  assert.deepEqual(spansFromTags(['O', 'O']), []);
});

test('types may contain hyphens: the prefix ends at the first one', () => {
  assert.deepEqual(parseTag('B-GPE-LOC'), { prefix: 'B', type: 'GPE-LOC' });
  assert.deepEqual(parseTag('O'), { prefix: 'O', type: '' });
  assert.deepEqual(spansFromTags(['B-GPE-LOC', 'I-GPE-LOC', 'I-GPE']), [span('GPE-LOC', 0, 2), span('GPE', 2, 3)]);
});

test('conlleval treats [ and ] as one-token chunks', () => {
  assert.deepEqual(spansFromTags(['[', ']', 'O']), [span('', 0, 1), span('', 1, 2)]);
});

test('detectScheme', () => {
  // CoNLL-2003 style: entities start with I-, B- only between touching same-type entities
  assert.equal(detectScheme([['I-PER', 'I-PER', 'O'], ['I-LOC', 'B-LOC', 'O']]), 'IOB1');
  assert.equal(detectScheme([['B-PER', 'I-PER', 'O'], ['B-LOC', 'B-LOC']]), 'IOB2');
  assert.equal(detectScheme([['I-PER', 'I-PER', 'O'], ['I-LOC']]), 'IO');
  assert.equal(detectScheme([['B-PER', 'E-PER'], ['S-LOC']]), 'IOBES');
  assert.equal(detectScheme([['O', 'O'], []]), 'IOB2');
  // an I- starting an entity anywhere means IOB1, even if other entities start with B-
  assert.equal(detectScheme([['B-PER', 'O', 'I-LOC']]), 'IOB1');
});

test('encodeSpans writes each scheme', () => {
  const spans = [span('PER', 0, 2), span('PER', 2, 3), span('LOC', 4, 5)];
  const expected: Record<TagScheme, string[]> = {
    IOB1: ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'],
    IOB2: ['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC'],
    IOBES: ['B-PER', 'E-PER', 'S-PER', 'O', 'S-LOC'],
    IO: ['I-PER', 'I-PER', 'I-PER', 'O', 'I-LOC'],
  };
  for (const scheme of Object.keys(expected) as TagScheme[]) {
    const tags = encodeSpans(spans, 5, scheme);
    assert.deepEqual(tags, expected[scheme], scheme);
    assert.equal(detectScheme([tags]), scheme);
  }
  // in IO the touching PER spans merge when decoded again
  assert.deepEqual(spansFromTags(expected.IO), [span('PER', 0, 3), span('LOC', 4, 5)]);
  assert.deepEqual(encodeSpans([span('X', 1, 4)], 5, 'IOBES'), ['O', 'B-X', 'I-X', 'E-X', 'O']);
});

test('encodeSpans then spansFromTags gives the spans back (random spans, every scheme but IO)', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const types = ['PER', 'LOC', 'ORG'];
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rand(12);
    const spans: Span[] = [];
    for (let i = 0; i < n;) {
      if (rand(2) === 0) { i++; continue; }
      const end = Math.min(n, i + 1 + rand(3));
      spans.push(span(types[rand(3)], i, end));
      i = end;
    }
    for (const scheme of ['IOB1', 'IOB2', 'IOBES'] as TagScheme[]) {
      assert.deepEqual(spansFromTags(encodeSpans(spans, n, scheme)), spans, `${scheme} n=${n} ${JSON.stringify(spans)}`);
    }
  }
});

test('encodeSpans rejects spans that cannot be encoded', () => {
  assert.throws(() => encodeSpans([span('PER', 0, 3)], 2, 'IOB2'), /outside a sentence of 2 tokens/);
  assert.throws(() => encodeSpans([span('PER', 1, 1)], 2, 'IOB2'), /empty/);
  assert.throws(() => encodeSpans([span('PER', 0, 2), span('LOC', 1, 2)], 3, 'IOB2'), /overlaps/);
});

test('entityTypes lists sorted distinct types', () => {
  assert.deepEqual(entityTypes([['I-PER', 'O', 'B-LOC'], ['S-MISC', 'E-PER']]), ['LOC', 'MISC', 'PER']);
  assert.deepEqual(entityTypes([['O']]), []);
});

test('validateTag accepts O and B/I/E/S with a type, and explains anything else', () => {
  for (const ok of ['O', 'B-PER', 'I-LOC', 'E-ORG', 'S-MISC', 'B-GPE-LOC']) assert.equal(validateTag(ok), undefined, ok);
  assert.match(validateTag('X-PER')!, /unknown prefix 'X-'/);
  assert.match(validateTag('I-')!, /no entity type after 'I-'/);
  assert.match(validateTag('PER')!, /not O and has no prefix/);
  assert.match(validateTag('o')!, /not O/);
  assert.match(validateTag('b-PER')!, /unknown prefix 'b-'/);
});
