// The window gather of features.ts: the WebAssembly SIMD copy (training's path: float32 X, own rows and
// the compact near rows in the arena) gives exactly the values of the plain JavaScript copy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { type WindowShape, encode, gather, inputSize, newWordTable, withNearRows } from '../src/model/features.js';
import { wasmAlloc, wasmAlloc32 } from '../src/fast/arena.js';
import { Rng } from '../src/rng.js';

const D = 8;
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'paris', 'london', 'john'];

function embeddings(rng: Rng): Embeddings {
  const vectors = Float32Array.from({ length: WORDS.length * D }, () => rng.uniform(1));
  return {
    source: 'test',
    d: D,
    words: WORDS,
    index: new Map(WORDS.map((w, i) => [w, i])),
    vectors,
    count: WORDS.length,
    readRow: (id, out, o) => {
      for (let j = 0; j < D; j++) out[o + j] = vectors[id * D + j];
    },
    fingerprint: 'test',
  };
}

test('gather: the SIMD copy into the arena equals the plain copy, with and without casing', () => {
  const rng = new Rng(3);
  const emb = embeddings(rng);
  const keys = ['<s>', '</s>', '<unk>', 'zork', 'blick'];
  const sentences = [
    ['The', 'cat', 'sat', 'on', 'the', 'MAT', 'zork'],
    ['John', 'blick', 'Paris'],
    ['London'],
    ['qwerty', '1996', 'sat'],
  ];
  for (const useCasing of [true, false]) {
    const shape: WindowShape = { window: 2, d: D, useCasing };
    const n = inputSize(shape);
    // the same own rows twice: an ordinary array and one in the arena
    const plainRows = Float64Array.from({ length: keys.length * D }, () => rng.uniform(1));
    const arenaRows = wasmAlloc(plainRows.length);
    arenaRows.set(plainRows);
    const plainTable = newWordTable(D, keys, plainRows, emb);
    const e = encode(plainTable, sentences);
    const fast = withNearRows(newWordTable(D, keys, arenaRows, emb), e);
    const dropped = e.word.map((id, i) => (i % 3 === 0 ? 2 : id)); // as word dropout does
    const B = e.N;
    const idx = Array.from({ length: B }, (_, i) => (i * 5) % B);
    for (const override of [undefined, dropped]) {
      const want = new Float32Array(B * n);
      const wantIds = new Int32Array(B * 5);
      gather(plainTable, shape, e, idx, B, want, wantIds, override);
      const got = wasmAlloc32(B * n);
      const gotIds = new Int32Array(B * 5);
      gather(fast, shape, e, idx, B, got, gotIds, override);
      assert.deepEqual(gotIds, wantIds);
      assert.deepEqual(Array.from(got), Array.from(want), `casing ${useCasing}, override ${override !== undefined}`);
    }
  }
});
