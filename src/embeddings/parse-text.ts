// The text formats: GloVe (`word v1 … vd` per line, no header) and word2vec/fastText (the same after a
// first line `N d`; a first line of exactly two integers is read as this header).

import { DataError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { type Parsed, RowStore, WordList } from './rows.js';
import { badValue, overflow, quoted, scanEnd, scanNumber, tokenAt } from './scan.js';

/** Reads rows until the end, or until maxWords distinct words are stored (files list words by frequency). */
export async function parseText(r: ByteReader, lineHint: number, maxWords = Infinity): Promise<Parsed> {
  const file = r.file;
  let d = 0; // set by the header or by the first row
  let headerN = -1; // word count promised by a header; -1 without one
  let headerLine = 0;
  let firstRowLine = 0;
  let lastRowLine = 0;
  let store: RowStore | undefined;
  let scratch = new Float32Array(0); // where a duplicate's values go (checked, then dropped)
  const list = new WordList();
  let rows = 0;
  let cut = false; // stopped at maxWords

  for (;; r.line++) {
    let nl = r.buf.indexOf(10, r.pos);
    if (nl < 0 || nl >= r.end) {
      if (!r.eof) {
        await r.fill();
        r.line--; // same line again, now with more bytes in the buffer
        continue;
      }
      r.failIfBroken();
      if (r.pos >= r.end) break;
      nl = r.end;
    }
    const b = r.buf;
    let e = nl;
    if (e > r.pos && b[e - 1] === 13) e--;
    let p = r.pos;
    r.pos = nl + 1;
    while (p < e && (b[p] === 32 || b[p] === 9)) p++;
    if (p === e) continue; // blank line

    const wordStart = p;
    while (p < e && b[p] !== 32 && b[p] !== 9) p++;
    const word = b.toString('utf8', wordStart, p);

    if (store === undefined) {
      // The first non-blank line: a `N d` header, or the first row, which fixes d.
      const fields = b.toString('utf8', wordStart, e).split(/[ \t]+/).filter((f) => f !== '');
      if (fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
        headerN = Number(fields[0]);
        d = Number(fields[1]);
        headerLine = r.line;
        if (d === 0) throw new DataError(file, r.line, `the header "${fields.join(' ')}" says 0 dimensions`, 'the first line of a word2vec file is "<number of words> <dimension>"');
        store = new RowStore(d, Math.min(headerN, lineHint > 0 ? lineHint : headerN, maxWords), lineHint > 0);
        scratch = new Float32Array(d);
        continue;
      }
      d = fields.length - 1;
      if (d === 0) throw new DataError(file, r.line, `${quoted(word)} has no numbers after it`, 'each line must be a word followed by its vector, e.g. "the 0.418 0.24968 …"');
      firstRowLine = r.line;
      store = new RowStore(d, lineHint > 0 ? Math.min(lineHint, maxWords) : Number.isFinite(maxWords) ? maxWords : 0, lineHint > 0);
      scratch = new Float32Array(d);
    }

    rows++;
    if (headerN >= 0 && rows > headerN) {
      throw new DataError(file, r.line, `the header on line ${headerLine} says ${headerN} words, but this is word ${rows}`, `fix line ${headerLine} to "<number of words> ${d}", or delete it`);
    }
    if (firstRowLine === 0) firstRowLine = r.line;
    lastRowLine = r.line;
    const isNew = !list.has(word);
    let target: Float32Array = scratch;
    let off = 0;
    if (isNew) {
      off = store.slot();
      target = store.cur;
    }
    let k = 0;
    for (;;) {
      while (p < e && (b[p] === 32 || b[p] === 9)) p++;
      if (p >= e) break;
      const v = scanNumber(b, p, e);
      const q = scanEnd;
      if (q === p || (q < e && b[q] !== 32 && b[q] !== 9)) throw badValue(file, r.line, word, k, tokenAt(b, p, e, ' \t'));
      if (k < d) {
        const f = Math.fround(v);
        if (f === Infinity || f === -Infinity) throw overflow(file, r.line, word, k, tokenAt(b, p, e, ' \t'));
        target[off + k] = f;
      }
      k++;
      p = q;
    }
    if (k !== d) {
      if (headerN >= 0 && rows === 1 && k === 1) {
        // `2012 5` is a word2vec header or the first row of 1-dimensional GloVe vectors: only a header makes the file readable as either
        throw new DataError(file, r.line, `line ${headerLine} ("${headerN} ${d}") reads as a word2vec header (${headerN} words × ${d}), but ${quoted(word)} has 1 value; if these are 1-dimensional vectors, line ${headerLine} is the word "${headerN}"`,
          `put a header "<number of words> 1" on a new first line (e.g. sed -i '1i <count> 1' FILE); if line ${headerLine} is a header, fix it to "${headerN} 1"`);
      }
      if (headerN >= 0 && rows === 1) {
        throw new DataError(file, r.line, `the header on line ${headerLine} says ${d} dimensions, but ${quoted(word)} has ${k} values`, `fix line ${headerLine} to "${headerN} ${k}" if the vectors are right`);
      }
      const where = headerN >= 0 ? `the header on line ${headerLine}` : `as on line ${firstRowLine}`;
      throw new DataError(
        file,
        r.line,
        `${quoted(word)} has ${k} values, expected ${d} (${where})`,
        'each line must be one word (no spaces inside it) followed by exactly d numbers; a word containing a space breaks this',
      );
    }
    list.add(word, r.line, store);
    if (list.words.length >= maxWords) {
      cut = true;
      break;
    }
  }

  if (store === undefined) throw new DataError(file, r.line, 'no vectors found: the file holds only blank lines', 'give a GloVe/word2vec text file');
  if (headerN >= 0 && rows !== headerN && !cut) {
    throw new DataError(file, Math.max(lastRowLine, headerLine), `the header on line ${headerLine} says ${headerN} words, but the file has ${rows}`, `fix line ${headerLine} to "${rows} ${d}"`);
  }
  return { d, words: list.words, index: list.index, vectors: store.finish(), duplicates: list.duplicates, firstDuplicate: list.firstDuplicate };
}

