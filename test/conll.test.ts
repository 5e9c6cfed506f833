// Tests for the CoNLL reader and writer: the formats it must accept and every bad input it must
// explain (file, line, fix) instead of crashing. Fixture files are written to a temporary directory.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPredictions, parseConll, readConll } from '../src/data/conll.js';
import { DataError, NerError, UsageError } from '../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-conll-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

/** Asserts that fn throws a DataError for `file` at `line` whose message matches `pattern`. */
function throwsData(fn: () => unknown, file: string, line: number | undefined, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.line, line);
    assert.match(err.message, pattern);
    return true;
  });
}

const SAMPLE = [
  '-DOCSTART- -X- O O',
  '',
  'Marta NNP I-NP I-PER',
  'Okafor NNP I-NP I-PER',
  'left VBD I-VP O',
  '',
  'Quito NNP I-NP I-LOC',
  'Valley NNP I-NP I-LOC',
  'Rovers NNP B-NP B-LOC',
  '',
  '',
].join('\n');

test('reads sentences, skipping -DOCSTART- and counting tokens', () => {
  const c = parseConll(SAMPLE, 'sample.txt');
  assert.equal(c.file, 'sample.txt');
  assert.deepEqual(c.sentences, [
    { tokens: ['Marta', 'Okafor', 'left'], tags: ['I-PER', 'I-PER', 'O'], line: 3 },
    { tokens: ['Quito', 'Valley', 'Rovers'], tags: ['I-LOC', 'I-LOC', 'B-LOC'], line: 7 },
  ]);
  assert.equal(c.tokens, 6);
  assert.equal(c.scheme, 'IOB1');
  assert.deepEqual(c.types, ['LOC', 'PER']);
});

test('CRLF line ends, a BOM, tabs and runs of spaces, whitespace-only blank lines', () => {
  const text = '\uFEFFAnn\tB-PER\r\nLee  \t I-PER\r\n \t \r\n\r\n\r\nRome B-LOC\r\n';
  const c = parseConll(text, 'crlf.txt');
  assert.deepEqual(c.sentences.map((s) => [s.tokens, s.tags, s.line]), [
    [['Ann', 'Lee'], ['B-PER', 'I-PER'], 1],
    [['Rome'], ['B-LOC'], 6],
  ]);
  assert.equal(c.scheme, 'IOB2');
});

test('a last sentence without a trailing blank line is kept; DOCSTART mid-file ends a sentence', () => {
  const c = parseConll('a O\nb O\n-DOCSTART- O\nc S-PER', 'f');
  assert.deepEqual(c.sentences.map((s) => s.tokens), [['a', 'b'], ['c']]);
  assert.equal(c.scheme, 'IOBES');
});

test('tagColumn picks another column; requireTags: false accepts bare tokens', () => {
  const text = 'Ann B-PER O\nLee I-PER O\n';
  assert.deepEqual(parseConll(text, 'f', { tagColumn: 2 }).sentences[0].tags, ['B-PER', 'I-PER']);
  assert.deepEqual(parseConll(text, 'f').sentences[0].tags, ['O', 'O']);
  const bare = parseConll('Ann\nLee\n\nRome\n', 'raw.txt', { requireTags: false });
  assert.deepEqual(bare.sentences.map((s) => [s.tokens, s.tags]), [[['Ann', 'Lee'], []], [['Rome'], []]]);
  assert.deepEqual(bare.types, []);
  throwsData(() => parseConll(text, 'f', { tagColumn: 4 }), 'f', 1, /tag column 4 .* only 3 columns/);
  assert.throws(() => parseConll(text, 'f', { tagColumn: 1 }), UsageError);
});

test('a one-column line when tags are required names the line', () => {
  throwsData(() => parseConll('\n\nAnn\nLee\n', 'bare.txt'), 'bare.txt', 3, /one column .*expected a token and a tag/);
});

test('a malformed line gives its line number and both column counts', () => {
  const text = 'Ann NNP B-PER\nLee NNP I-PER\n\nRome B-LOC\n';
  throwsData(() => parseConll(text, 'bad.txt'), 'bad.txt', 4, /found 2 columns .*expected 3 like the first token line \(line 1\)/);
  throwsData(() => parseConll('Ann B-PER\nLee\n', 'bad.txt'), 'bad.txt', 2, /found 1 column /);
});

test('an unknown tag prefix or a missing type is an error at its line', () => {
  throwsData(() => parseConll('Ann B-PER\n\nLee X-PER\n', 'tags.txt'), 'tags.txt', 3, /unknown prefix 'X-'/);
  throwsData(() => parseConll('Ann I-\n', 'tags.txt'), 'tags.txt', 1, /no entity type/);
  throwsData(() => parseConll('Ann NNP\n', 'tags.txt'), 'tags.txt', 1, /'NNP' is not O/);
});

test('an empty file, a blank file and an only-DOCSTART file have no sentences', () => {
  throwsData(() => parseConll('', 'empty.txt'), 'empty.txt', undefined, /file is empty/);
  throwsData(() => parseConll('\uFEFF', 'empty.txt'), 'empty.txt', undefined, /file is empty/);
  throwsData(() => parseConll('\n \n\n', 'blank.txt'), 'blank.txt', undefined, /no sentences found/);
  throwsData(() => parseConll('-DOCSTART- -X- O O\n\n-DOCSTART- -X- O O\n', 'doc.txt'), 'doc.txt', undefined, /no sentences found/);
});

test('a NUL character means a binary file', () => {
  throwsData(() => parseConll('Ann B-PER\nL\0ee I-PER\n', 'bin'), 'bin', 2, /looks like a binary file, not CoNLL text/);
});

test('a very long sentence is read in linear time', () => {
  const n = 200_000;
  const text = 'w O\n'.repeat(n);
  const start = Date.now();
  const c = parseConll(text, 'long.txt');
  assert.equal(c.sentences.length, 1);
  assert.equal(c.sentences[0].tokens.length, n);
  assert.ok(Date.now() - start < 5000, 'parsing 200k tokens took over 5 s');
});

test('readConll reads a file', () => {
  const file = write('ok.txt', SAMPLE);
  const c = readConll(file);
  assert.equal(c.file, file);
  assert.equal(c.sentences.length, 2);
});

test('readConll: binary bytes, UTF-16 and invalid UTF-8 are explained with the line', () => {
  const bin = write('model.bin', new Uint8Array([0x41, 0x20, 0x4f, 0x0a, 0x00, 0x01, 0x02]));
  throwsData(() => readConll(bin), bin, 2, /binary file/);
  const utf16 = write('utf16.txt', Buffer.from('\uFEFFAnn B-PER\n', 'utf16le'));
  throwsData(() => readConll(utf16), utf16, 1, /UTF-16/);
  const latin1 = write('latin1.txt', Buffer.concat([Buffer.from('Ann B-PER\n\nJos'), Buffer.from([0xe9]), Buffer.from(' B-PER\n')]));
  throwsData(() => readConll(latin1), latin1, 3, /invalid UTF-8/);
  // valid multi-byte UTF-8 is fine
  const utf8 = write('utf8.txt', 'José B-PER\nSão I-LOC\n');
  assert.deepEqual(readConll(utf8).sentences[0].tokens, ['José', 'São']);
});

test('readConll: a directory, a missing file and an unreadable file are DataErrors, not raw Node errors', (t) => {
  throwsData(() => readConll(tmp), tmp, undefined, /is a directory, expected a CoNLL file/);
  const missing = path.join(tmp, 'nope.txt');
  throwsData(() => readConll(missing), missing, undefined, /file not found/);
  const locked = write('locked.txt', 'Ann B-PER\n');
  fs.chmodSync(locked, 0o000);
  let readable = false;
  try {
    fs.readFileSync(locked);
    readable = true; // root reads anything: the permission case cannot be tested here
  } catch {
    // expected
  }
  if (readable) t.diagnostic('running as root: the unreadable-file case cannot be checked here');
  else throwsData(() => readConll(locked), locked, undefined, /permission denied/);
  fs.chmodSync(locked, 0o644);
});

test('errors carry a hint on how to fix the input', () => {
  try {
    parseConll('Ann B-PER\nLee\n', 'bad.txt');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof NerError);
    assert.ok(err.hint && err.hint.length > 20, 'a hint is given');
  }
});

test('formatPredictions writes token gold guess lines that parse back', () => {
  const c = parseConll(SAMPLE, 'sample.txt');
  const guess = [['I-PER', 'O', 'O'], ['B-LOC', 'I-LOC', 'I-LOC']];
  const out = formatPredictions(c.sentences, guess);
  assert.equal(out,
    'Marta I-PER I-PER\nOkafor I-PER O\nleft O O\n\nQuito I-LOC B-LOC\nValley I-LOC I-LOC\nRovers B-LOC I-LOC\n\n');
  const back = parseConll(out, 'out.txt');
  assert.deepEqual(back.sentences.map((s) => s.tags), guess);
  assert.deepEqual(parseConll(out, 'out.txt', { tagColumn: 2 }).sentences.map((s) => s.tags), c.sentences.map((s) => s.tags));
  assert.throws(() => formatPredictions(c.sentences, [guess[0]]), /expected 2, got 1/);
  assert.throws(() => formatPredictions(c.sentences, [guess[0], ['O']]), /expected 3, got 1/);
});

test('the fixture used by the metrics tests reads as CoNLL-2003-style IOB1', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const c = readConll(path.resolve(here, '..', '..', 'test', 'fixtures', 'conll', 'gold-iob1.txt'));
  assert.equal(c.scheme, 'IOB1');
  assert.equal(c.sentences.length, 6);
  assert.equal(c.tokens, 60);
  assert.deepEqual(c.types, ['LOC', 'MISC', 'ORG', 'PER']);
});
