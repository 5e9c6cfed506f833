// Vectors carried inside a model file, so that the file alone tags: the rows a model can need (its
// training words' and the source's most frequent words'), optionally quantised. Stored in the model's
// JSON as one "\n"-joined word string and one base64 array:
//   f32   4 bytes a value, exact
//   f16   2 bytes a value (IEEE half, round to nearest even): relative error ≤ 2^-11
//   int8  1 byte a value, q = round(v / s) with one float32 scale s = max|v| / 127 per row
// Rows are decoded when read (readRow), so a loaded model holds the packed bytes only.

import os from 'node:os';
import { DataError } from '../errors.js';
import type { EmbeddingsInfo } from '../model/ner-model.js';
import type { Embeddings } from './embeddings.js';
import type { ReadRow } from './row-reader.js';
import { WordTable } from './word-table.js';

export const QUANTIZE = ['f32', 'f16', 'int8'] as const;
export type Quantize = (typeof QUANTIZE)[number];

export interface PackedVectors {
  dtype: Quantize;
  n: number;
  d: number;
  maxWords: number; // the source's first maxWords words are all here
  words: string; // the n words joined by "\n"
  base64: string; // n×d values, row-major, little-endian
  scales?: string; // int8: n float32 LE, one scale per row
}

/** Packs rows `ids` of `emb` (in that order). */
export function packVectors(emb: Embeddings, ids: number[], dtype: Quantize, maxWords: number): PackedVectors {
  const d = emb.d;
  const n = ids.length;
  const row = new Float32Array(d);
  const words = emb.words;
  const width = dtype === 'f32' ? 4 : dtype === 'f16' ? 2 : 1;
  const bytes = Buffer.alloc(n * d * width);
  const scales = dtype === 'int8' ? Buffer.alloc(n * 4) : undefined;
  for (let r = 0; r < n; r++) {
    emb.readRow(ids[r], row, 0);
    if (dtype === 'f32') for (let j = 0; j < d; j++) bytes.writeFloatLE(row[j], (r * d + j) * 4);
    else if (dtype === 'f16') for (let j = 0; j < d; j++) bytes.writeUInt16LE(toHalf(row[j]), (r * d + j) * 2);
    else {
      let max = 0;
      for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(row[j]));
      const s = Math.fround(max / 127);
      scales!.writeFloatLE(s, r * 4);
      for (let j = 0; j < d; j++) bytes.writeInt8(s === 0 ? 0 : Math.round(row[j] / s), r * d + j);
    }
  }
  return {
    dtype,
    n,
    d,
    maxWords,
    words: ids.map((id) => words[id]).join('\n'),
    base64: bytes.toString('base64'),
    ...(scales ? { scales: scales.toString('base64') } : {}),
  };
}

/** Embeddings over packed vectors, checked against the model's record of its source. */
export function unpackVectors(p: unknown, info: EmbeddingsInfo, file: string): Embeddings {
  const v = p as PackedVectors;
  const bad = (what: string) => new DataError(file, undefined, `the vectors inside the model are damaged: ${what}`, 'package the model again with `ner package`');
  if (!v || !QUANTIZE.includes(v.dtype) || !Number.isInteger(v.n) || v.n < 0 || v.d !== info.d || typeof v.words !== 'string' || typeof v.base64 !== 'string') {
    throw bad('missing fields, an unknown dtype, or a dimension other than the model\'s');
  }
  const d = v.d;
  const bytes = Buffer.from(v.base64, 'base64');
  const width = v.dtype === 'f32' ? 4 : v.dtype === 'f16' ? 2 : 1;
  if (bytes.length !== v.n * d * width) throw bad(`${bytes.length} bytes of values, expected ${v.n * d * width}`);
  const table = WordTable.build(v.words, v.n);
  if (table === undefined) throw bad(`the word list does not hold ${v.n} words`);
  let readRow: ReadRow;
  if (v.dtype === 'f32') {
    const a = littleEndian(bytes, Float32Array);
    readRow = (id, out, o) => {
      for (let j = 0, r = id * d; j < d; j++) out[o + j] = a[r + j];
    };
  } else if (v.dtype === 'f16') {
    const half = halfTable();
    const a = littleEndian(bytes, Uint16Array);
    readRow = (id, out, o) => {
      for (let j = 0, r = id * d; j < d; j++) out[o + j] = half[a[r + j]];
    };
  } else {
    const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const sb = Buffer.from(v.scales ?? '', 'base64');
    if (sb.length !== v.n * 4) throw bad(`${sb.length / 4} int8 scales, expected ${v.n}`);
    const s = littleEndian(sb, Float32Array);
    readRow = (id, out, o) => {
      for (let j = 0, r = id * d; j < d; j++) out[o + j] = q[r + j] * s[id];
    };
  }
  return table.embeddings({
    source: info.source,
    d,
    vectors: new Float32Array(0),
    count: v.n,
    readRow,
    fingerprint: info.fingerprint,
    from: `the model file (${v.n.toLocaleString('en-US')} words, ${v.dtype})`,
  });
}

/** Little-endian bytes as a typed array (one copy, aligned; swapped on a big-endian machine). */
function littleEndian<T extends Float32Array | Uint16Array>(bytes: Buffer, Kind: { new (n: number): T; BYTES_PER_ELEMENT: number }): T {
  const a = new Kind(bytes.length / Kind.BYTES_PER_ELEMENT);
  const view = Buffer.from(a.buffer);
  bytes.copy(view);
  if (os.endianness() === 'BE') Kind.BYTES_PER_ELEMENT === 4 ? view.swap32() : view.swap16();
  return a;
}

/** float32 → IEEE 754 half (round to nearest, ties to even; overflow → ±Infinity, which vectors never reach). */
export function toHalf(x: number): number {
  F32[0] = x;
  const b = U32[0];
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  let m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let he = e - 127 + 15;
  if (he >= 0x1f) return sign | 0x7c00;
  if (he <= 0) {
    if (he < -10) return sign;
    m |= 0x800000;
    const shift = 14 - he;
    let hm = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (hm & 1))) hm++;
    return sign | hm;
  }
  let hm = m >>> 13;
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (hm & 1))) {
    hm++;
    if (hm === 0x400) {
      hm = 0;
      he++;
      if (he >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (he << 10) | hm;
}

/** IEEE 754 half → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
let HALF: Float32Array | undefined;
function halfTable(): Float32Array {
  if (HALF === undefined) {
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF[h] = fromHalf(h);
  }
  return HALF;
}
