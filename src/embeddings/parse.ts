// Parses an embeddings file of any supported format, detected from the content, not the name: GloVe or
// word2vec/fastText text (parse-text.ts), either one gzipped (magic bytes 1f 8b), or the wink JSON layout
// (parse-json.ts). Files are scanned as bytes in chunks (numbers parsed in place, no per-line strings,
// never the whole file as one string): a few seconds for the default 307 MB file, and about the memory
// of the result.
//
// Duplicate words: the first occurrence is kept, later ones are checked and skipped, and counted.

import fs from 'node:fs';
import { DataError } from '../errors.js';
import { BUFFER_BYTES, ByteReader, gzipSource, plainSource } from './byte-reader.js';
import { parseWinkJson } from './parse-json.js';
import { parseText } from './parse-text.js';
import type { Parsed } from './rows.js';
import { isSpace } from './scan.js';

/** Parses an embeddings file of any supported format (see the top of this file). */
export async function parseEmbeddingsFile(file: string, maxWords = Infinity): Promise<Parsed> {
  const magic = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  const got = fs.readSync(fd, magic, 0, 2, 0);
  fs.closeSync(fd);
  const gzipped = got === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const r = new ByteReader(gzipped ? gzipSource(file) : plainSource(file), file, gzipped);
  try {
    await r.fill();
    if (r.end - r.pos >= 3 && r.buf[r.pos] === 0xef && r.buf[r.pos + 1] === 0xbb && r.buf[r.pos + 2] === 0xbf) r.pos += 3; // a UTF-8 byte-order mark
    let p = r.pos;
    while (p < r.end && isSpace(r.buf[p])) p++;
    if (p === r.end) {
      r.failIfBroken();
      throw new DataError(file, r.line, gzipped ? 'file is empty after decompression' : 'file holds only blank space', 'give a GloVe/word2vec text file, a .gz of one, or a wink JSON file');
    }
    if (r.buf[p] === 0x7b /* { */) return await parseWinkJson(r, maxWords);
    const control = firstControlByte(r.buf, r.pos, Math.min(r.end, r.pos + (1 << 16)));
    if (control >= 0) {
      let line = 1;
      for (let i = r.buf.indexOf(10, r.pos); i >= 0 && i < control; i = r.buf.indexOf(10, i + 1)) line++;
      const byte = `0x${r.buf[control].toString(16).padStart(2, '0')}`;
      throw new DataError(file, line, `this looks like a binary file (it contains the control byte ${byte}), not word vectors as text`,
        'ner reads GloVe/word2vec/fastText text files (optionally gzipped) and wink JSON; a word2vec .bin file must first be ' +
          'converted to text, e.g. with gensim: KeyedVectors.load_word2vec_format(f, binary=True).save_word2vec_format(out, binary=False)');
    }
    // A plain file's line count bounds its rows (counting is cheaper than growing the table); with
    // maxWords the table is that size at most, so the count is not needed.
    const lineHint = Number.isFinite(maxWords) ? 0 : gzipped ? estimateGzipLines(file, r) : countLines(file);
    return await parseText(r, lineHint, maxWords);
  } finally {
    r.close();
  }
}

/** Index of the first byte below 0x20 other than tab, line feed and carriage return, or -1. Text never has one. */
function firstControlByte(b: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] < 0x20 && b[i] !== 9 && b[i] !== 10 && b[i] !== 13) return i;
  return -1;
}

/** Number of lines in a plain file (an upper bound on its rows, to size the table once). */
function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(BUFFER_BYTES);
  let lines = 0;
  let last = 10;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      for (let p = chunk.indexOf(10); p >= 0; p = chunk.indexOf(10, p + 1)) lines++;
      last = chunk[n - 1];
    }
  } finally {
    fs.closeSync(fd);
  }
  return last === 10 ? lines : lines + 1;
}

/**
 * Roughly how many lines a gzipped text file holds, from the uncompressed size in its trailer (ISIZE,
 * mod 2^32) and the line length seen in the first buffer: enough to size the table once instead of
 * growing it in blocks and copying (which doubles the peak memory). 0 when there is no usable estimate.
 */
function estimateGzipLines(file: string, r: ByteReader): number {
  if (r.eof) return 0; // the whole text is in the buffer: blocks cost nothing
  let lines = 0;
  for (let p = r.buf.indexOf(10, r.pos); p >= 0 && p < r.end; p = r.buf.indexOf(10, p + 1)) lines++;
  const size = fs.statSync(file).size;
  if (lines === 0 || size < 18) return 0;
  const trailer = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, trailer, 0, 4, size - 4);
  fs.closeSync(fd);
  const isize = trailer.readUInt32LE(0);
  if (isize <= r.end) return 0; // wrapped past 4 GB or several members: no estimate
  return Math.ceil((isize / (r.end - r.pos)) * lines * 1.03) + 16;
}

