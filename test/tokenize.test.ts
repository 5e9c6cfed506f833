// Tests for src/tokenize.ts: one case per CoNLL-2003 tokenisation rule, offsets, sentence splitting,
// streaming equivalence under random chunkings, and (when ../shared/data exists) agreement with the
// real CoNLL-2003 dev tokens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tokenize, SentenceSplitter, type Token } from '../src/data/tokenize.js';
import { agreement, boundaryAgreement, detokenize, readConllTokens, spaceJoin } from '../scripts/tokenize-agreement.js';
import { Rng } from '../src/rng.js';

/** Sentences as space-joined token strings. */
const toks = (text: string): string[] => tokenize(text).map((s) => s.map((t) => t.text).join(' '));
/** All tokens of a one-line text, as one string. */
const flat = (text: string): string => tokenize(text).flat().map((t) => t.text).join(' ');

test('lecture examples tokenise as CoNLL would', () => {
  assert.deepEqual(toks('Last night, Paris Hilton wowed in a sequin gown.'), ['Last night , Paris Hilton wowed in a sequin gown .']);
  assert.deepEqual(toks('Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.'), [
    'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989 .',
  ]);
});

test('punctuation is split off', () => {
  assert.equal(flat('Hello, world; (really): yes? no! "quoted" [x]'), 'Hello , world ; ( really ) : yes ? no ! " quoted " [ x ]');
  assert.equal(flat('It ended in Berlin.'), 'It ended in Berlin .');
});

test('clitics are split off', () => {
  assert.equal(flat("Germany's"), "Germany 's");
  assert.equal(flat("don't"), "do n't");
  assert.equal(flat("They're sure we've won and I'm glad she'll come, he'd say"), "They 're sure we 've won and I 'm glad she 'll come , he 'd say");
  assert.equal(flat("the players' union"), "the players ' union");
  assert.equal(flat("O'Brien's goal"), "O'Brien 's goal");
  assert.equal(flat('Germany’s'), 'Germany ’s'); // curly apostrophe
  // already-tokenised text stays as it is
  assert.equal(flat("Germany 's chancellor do n't"), "Germany 's chancellor do n't");
});

test('abbreviations and initials stay whole', () => {
  assert.equal(flat('U.S. officials met Mr. Smith and Dr. Jones of Acme Corp. and Foo Inc. at 9 a.m. on Jan. 5'),
    'U.S. officials met Mr. Smith and Dr. Jones of Acme Corp. and Foo Inc. at 9 a.m. on Jan. 5');
  assert.equal(flat('St. Petersburg and J. Smith and No. 3 and U.S.-led'), 'St. Petersburg and J. Smith and No. 3 and U.S.-led');
  assert.equal(flat('ST. LOUIS 1996-08-30'), 'ST. LOUIS 1996-08-30');
  assert.equal(flat('Italy vs. Spain'), 'Italy vs. Spain');
  assert.equal(flat('He said No.'), 'He said No .'); // No. only stays whole before a number
});

test('an abbreviation that ends a sentence gives up its period, as in CoNLL', () => {
  assert.deepEqual(toks('He joined Lear Corp. The deal closed.'), ['He joined Lear Corp .', 'The deal closed .']);
  assert.deepEqual(toks('Avocados are not expected in the U.S.'), ['Avocados are not expected in the U.S .']);
  assert.deepEqual(toks('The U.S. Senate voted.'), ['The U.S. Senate voted .']);
});

test('numbers stay whole; % and $ are separate', () => {
  assert.equal(flat('1,234.5 and 3.5 on 1996-08-22 at 12:30, won 6-4, 1/2, .500, +44, 99th, 1990s'),
    '1,234.5 and 3.5 on 1996-08-22 at 12:30 , won 6-4 , 1/2 , .500 , +44 , 99th , 1990s');
  assert.equal(flat('up 4.5% to $10.5 million or C$12 or US$3'), 'up 4.5 % to $ 10.5 million or C$ 12 or US$ 3');
  assert.equal(flat('in 1996.'), 'in 1996 .');
});

test('hyphenated words stay whole; dashes and ellipses are single tokens', () => {
  assert.equal(flat('the Stuttgart-based firm signed a two-year deal in mid-1997'), 'the Stuttgart-based firm signed a two-year deal in mid-1997');
  assert.equal(flat('peace -- or not... well --- maybe - yes'), 'peace -- or not ... well --- maybe - yes');
});

test('e-mail addresses and URLs stay whole', () => {
  assert.equal(flat('write to news@example.com or see https://example.org/a?b=1.'), 'write to news@example.com or see https://example.org/a?b=1 .');
});

test('a ranking number at the start of a line stays whole', () => {
  assert.deepEqual(toks('1. Anna Berg (Sweden) 5.86\n2. Lena Holm (Norway) 5.80'), [
    '1. Anna Berg ( Sweden ) 5.86',
    '2. Lena Holm ( Norway ) 5.80',
  ]);
  assert.deepEqual(toks('She came 1. Then left.'), ['She came 1 .', 'Then left .']);
});

test('sentences end after . ? ! but not after abbreviations or before lowercase', () => {
  assert.deepEqual(toks('Is it? Yes! It is. Mr. J. Smith of the U.S. agreed. Prices rose approx. five points.'), [
    'Is it ?',
    'Yes !',
    'It is .',
    'Mr. J. Smith of the U.S. agreed .',
    'Prices rose approx. five points .',
  ]);
  assert.deepEqual(toks('Prices fell... Traders sold.'), ['Prices fell ...', 'Traders sold .']);
  assert.deepEqual(toks('It rose 3.5 percent. Shares fell.'), ['It rose 3.5 percent .', 'Shares fell .']);
});

test('closing quotes and brackets stay with the sentence they close', () => {
  assert.deepEqual(toks('"We won," he said. "It was hard." (It was.) Next one.'), [
    '" We won , " he said .',
    '" It was hard . "',
    '( It was . )',
    'Next one .',
  ]);
  // a free-standing quote after a sentence end is attached to it, as in CoNLL-2003
  assert.deepEqual(toks('he said . " Next'), ['he said . "', 'Next']);
});

test('every line break ends a sentence: headlines and datelines stand alone', () => {
  assert.deepEqual(toks('SOCCER - ARSENAL BEAT CHELSEA\n\nLONDON 1996-08-30\n\nArsenal won 2-1 on Friday.\nThe crowd cheered'), [
    'SOCCER - ARSENAL BEAT CHELSEA',
    'LONDON 1996-08-30',
    'Arsenal won 2-1 on Friday .',
    'The crowd cheered',
  ]);
  assert.deepEqual(toks('a\r\nb'), ['a', 'b']);
  assert.deepEqual(tokenize(''), []);
  assert.deepEqual(tokenize(' \n\n  \t'), []);
});

test('offsets point into the input', () => {
  const text = '  Germany\'s  "Mr. Kohl" said:\n\nno.';
  for (const t of tokenize(text).flat()) assert.equal(text.slice(t.start, t.end), t.text);
  assert.deepEqual(tokenize("Bonn's"), [[{ text: 'Bonn', start: 0, end: 4 }, { text: "'s", start: 4, end: 6 }]]);
  const emoji = 'Fans 😀 cheered.'; // astral characters count as two UTF-16 code units
  assert.deepEqual(tokenize(emoji)[0].map((t) => [t.text, t.start, t.end]), [['Fans', 0, 4], ['😀', 5, 7], ['cheered', 8, 15], ['.', 15, 16]]);
});

const STREAM_TEXT = [
  'SOCCER - LEEDS WIN AT HOME\n',
  'LEEDS 1996-08-30\n\n',
  '"We played well," said coach Tom Baker of Leeds United. Mr. J. Smith of the U.S. agreed, didn\'t he? ',
  'Shares in Acme Corp. The company rose 4.5% to $12.50 in mid-1997... Traders said "no." (Really.)\n',
  '1. Anna Berg (Sweden) 5.86\n2. Lena Holm (Norway) 5.80\nSt. Louis-based Foo Inc. said No. 3 approx. five\n',
  'e-mail news@example.com; see www.example.org. Fin.',
].join('');

function collect(chunks: string[]): Token[][] {
  const splitter = new SentenceSplitter();
  const out: Token[][] = [];
  for (const c of chunks) out.push(...splitter.push(c));
  out.push(...splitter.end());
  return out;
}

test('SentenceSplitter gives tokenize() output for any chunking', () => {
  const expected = tokenize(STREAM_TEXT);
  assert.deepEqual(collect([STREAM_TEXT]), expected);
  assert.deepEqual(collect([...STREAM_TEXT]), expected); // one character at a time
  const rng = new Rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const chunks: string[] = [];
    for (let p = 0; p < STREAM_TEXT.length; ) {
      const len = 1 + Math.floor(rng.next() * 40);
      chunks.push(STREAM_TEXT.slice(p, p + len));
      p += len;
    }
    assert.deepEqual(collect(chunks), expected, `chunking ${JSON.stringify(chunks)}`);
  }
});

test('SentenceSplitter emits finished sentences early and keeps only the tail', () => {
  const splitter = new SentenceSplitter();
  assert.deepEqual(splitter.push('One. Two'), []); // "One ." might still be followed by a lowercase word
  const first = splitter.push(' more. Three');
  assert.deepEqual(first.map((s) => s.map((t) => t.text).join(' ')), ['One .']);
  const rest = [...splitter.push('.\n'), ...splitter.end()];
  assert.deepEqual(rest.map((s) => s.map((t) => t.text).join(' ')), ['Two more .', 'Three .']);
  assert.deepEqual(rest[1][0], { text: 'Three', start: 15, end: 20 });
  assert.throws(() => splitter.push('x'), /after end/);
});

test('detokenize glues punctuation back the way a writer would', () => {
  assert.equal(detokenize(['"', 'We', 'won', ',', '"', 'Germany', "'s", 'coach', '(', 'Kohl', ')', 'said', '.']).text,
    '"We won," Germany\'s coach (Kohl) said.');
  assert.equal(spaceJoin(['a', 'b']).text, 'a b');
});

const here = dirname(fileURLToPath(import.meta.url));
const DEV = join(here, '..', '..', '..', 'shared', 'data', 'conll2003', 'dev.txt'); // dist/test → ../shared

test('agreement with CoNLL-2003 dev tokens', (t) => {
  if (!existsSync(DEV)) {
    t.skip(`${DEV} not found: CoNLL-2003 is not distributed with the project`);
    return;
  }
  const docs = readConllTokens(readFileSync(DEV, 'utf8'));
  const sentences = docs.flat();
  assert.equal(sentences.length, 3250);
  // Measured: space-joined 99.29 % exact, token F1 99.92; detokenised 99.05 % exact, F1 99.90;
  // boundary F1 98.35. Floors are 1 point under.
  const spaced = agreement(sentences, spaceJoin);
  assert.ok(spaced.exact / spaced.sentences >= 0.9829, `space-joined exact match ${spaced.exact / spaced.sentences}`);
  assert.ok(spaced.tokenF1 >= 0.9892, `space-joined token F1 ${spaced.tokenF1}`);
  const glued = agreement(sentences, detokenize);
  assert.ok(glued.exact / glued.sentences >= 0.9805, `detokenised exact match ${glued.exact / glued.sentences}`);
  assert.ok(glued.tokenF1 >= 0.989, `detokenised token F1 ${glued.tokenF1}`);
  assert.ok(boundaryAgreement(docs).f1 >= 0.9735, 'sentence boundary F1');
});

const DEMO = join(here, '..', '..', 'data', 'demo'); // dist/test → data/demo

/** Sentences of [token, tag] pairs from a two-column demo file. */
function readDemo(file: string): Array<Array<[string, string]>> {
  return readFileSync(join(DEMO, file), 'utf8')
    .split(/\n\s*\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => block.trim().split('\n').map((line) => line.split(' ') as [string, string]));
}

test('the demo corpus is tokenised the way tokenize() splits it, and tagged in valid IOB2', () => {
  const train = readDemo('train.conll');
  const dev = readDemo('dev.conll');
  const trainKeys = new Set(train.map((s) => s.map(([w]) => w).join(' ')));
  for (const [name, sentences] of [['train', train], ['dev', dev]] as const) {
    const counts = new Map<string, number>();
    for (const s of sentences) {
      const words = s.map(([w]) => w);
      assert.deepEqual(toks(words.join(' ')), [words.join(' ')], `${name}: ${words.join(' ')}`);
      s.forEach(([w, tag], i) => {
        assert.match(tag, /^(O|[BI]-(PER|LOC|ORG|MISC|DATE))$/, `${name}: bad tag ${tag} on ${w}`);
        if (tag.startsWith('I-')) assert.equal(s[i - 1]?.[1].slice(2), tag.slice(2), `${name}: ${tag} does not continue an entity`);
        if (tag.startsWith('B-')) counts.set(tag.slice(2), (counts.get(tag.slice(2)) ?? 0) + 1);
      });
      if (name === 'dev') assert.ok(!trainKeys.has(words.join(' ')), `dev sentence also in train: ${words.join(' ')}`);
    }
    for (const type of ['PER', 'LOC', 'ORG', 'MISC', 'DATE']) {
      assert.ok((counts.get(type) ?? 0) >= (name === 'train' ? 40 : 10), `${name}: only ${counts.get(type) ?? 0} ${type}`);
    }
  }
  assert.equal(trainKeys.size, train.length, 'a train sentence is duplicated');
});

// splitWord skips its regexes for one-character words and words of ASCII letters and digits only: those
// must come out exactly as the full rules give them, next to words that do need the rules (these
// expectations were checked against the tokenizer before the fast path; so were 2 MB of CoNLL text).
test('plain words and single characters (the fast path) tokenise as the full rules do', () => {
  assert.deepEqual(toks('1 2 . 3\nI saw EU and U.S. officials in 1996 , F-16 99th 3.5 % .'), ['1 2 .', '3', 'I saw EU and U.S. officials in 1996 , F-16 99th 3.5 % .']);
  assert.deepEqual(toks('1. Michael Johnson ( US ) 19.32\n12 Corp. A B'), ['1. Michael Johnson ( US ) 19.32', '12 Corp .', 'A B']);
  assert.deepEqual(toks("x $ ' - … a"), ["x $ ' - … a"]);
  const text = 'Sales rose 5 . The Inc . said J. Smith\nabc123 ABC 0';
  assert.deepEqual(tokenize(text).flat().map((t) => text.slice(t.start, t.end)), tokenize(text).flat().map((t) => t.text));
});

test('words are split at every kind of whitespace, and a line break in it ends the sentence', () => {
  // no-break space, ideographic space, tab, vertical tab, form feed, line separator, BOM between words;
  // CR, CRLF and LF (each after other spaces) end sentences
  const text = 'Paris\u00a0is\u3000nice\tand\u000bBerlin\u000ctoo\u2028yes\ufeffno \r Rome  \r\n\tOslo \n Bern';
  assert.deepEqual(toks(text), ['Paris is nice and Berlin too yes no', 'Rome', 'Oslo', 'Bern']);
  for (const t of tokenize(text).flat()) assert.equal(text.slice(t.start, t.end), t.text);
  assert.deepEqual(tokenize('\u00a0\u00a0Kaká  é\n')[0].map((t) => [t.text, t.start, t.end]), [['Kaká', 2, 6], ['é', 8, 9]]);
});
