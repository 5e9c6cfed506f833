// How a vector row reaches the model: copied from a table in memory, or read on demand from the cache file.

import fs from 'node:fs';
import { NerError } from '../errors.js';
import type { FloatArray } from '../fast/kernels.js';
import { removeEntry, rowCheck } from './cache.js';

/** Copies row `id` into out[o … o+d). */
export type ReadRow = (id: number, out: FloatArray, o: number) => void;

export function rowCopier(vectors: Float32Array, d: number): ReadRow {
  return (id, out, o) => out.set(vectors.subarray(id * d, (id + 1) * d), o);
}

/**
 * Rows read from an open cache file, kept in a direct-mapped table of ROW_SLOTS rows (row id mod
 * ROW_SLOTS), so that a row asked for again costs no second read. (The tagger asks again for the words its
 * product cache dropped: 70k reads for the 18k words of a 1M-token text with the one-vs-rest head, at
 * 10–15 µs a read here.) On first use the table is filled with rows 0 … ROW_SLOTS − 1 in one read: embedding
 * files list words by frequency, so these are the common words (half of the 28.8k reads of that text
 * were of them). Any other row is one small positioned read. The table takes 4·d·ROW_SLOTS bytes (6.5 MB
 * at d = 100).
 *
 * Every row read from the file is checked against its check in the cache (checks[id]); a row that fails
 * means the file was changed in place: the entry is deleted (the next run rebuilds it) and the read fails.
 */
export function rowReader(file: string, fd: number, offset: number, d: number, n: number, checks: Uint32Array): ReadRow {
  let held: Int32Array | undefined; // held[s]: the row in slot s, or −1
  let rows: Float32Array | undefined;
  let bits: Int32Array | undefined; // rows' bytes, as the checks read them
  const damaged = (id: number, what: string): NerError => {
    removeEntry(file);
    return new NerError(`the embeddings cache ${file} ${what} (row ${id}); the entry is deleted`, 'run the command again: the cache is rebuilt from the vectors');
  };
  const check = (id: number, s: number): void => {
    if (rowCheck(bits!, s * d, d, id) !== checks[id]) throw damaged(id, 'was changed while it was cached: a row does not match its check');
  };
  const read = (into: Float32Array, from: number): number => {
    const bytes = Buffer.from(into.buffer, into.byteOffset, into.byteLength);
    let done = 0;
    for (let k = 1; done < bytes.length && k > 0; done += k) k = fs.readSync(fd, bytes, done, bytes.length - done, offset + from * d * 4 + done);
    return Math.floor(done / (d * 4)); // whole rows read
  };
  return (id, out, o) => {
    if (held === undefined || rows === undefined) {
      held = new Int32Array(ROW_SLOTS).fill(-1);
      rows = new Float32Array(ROW_SLOTS * d);
      bits = new Int32Array(rows.buffer);
      const first = read(rows.subarray(0, Math.min(n, ROW_SLOTS) * d), 0);
      for (let s = 0; s < first; s++) {
        check(s, s);
        held[s] = s;
      }
    }
    const s = id & (ROW_SLOTS - 1);
    if (held[s] !== id) {
      held[s] = -1;
      if (read(rows.subarray(s * d, (s + 1) * d), id) !== 1) throw damaged(id, 'was cut short while in use');
      check(id, s);
      held[s] = id;
    }
    for (let j = 0, r = s * d; j < d; j++) out[o + j] = rows[r + j];
  };
}

const ROW_SLOTS = 16384;

