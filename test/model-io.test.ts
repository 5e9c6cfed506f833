// The model file's packed arrays (io/model-io.ts pack, unpack, unpack32): values come back bit for bit,
// float32 tables without a float64 copy, float64 ones rounded once; a value that is not finite, a short
// array or a wrong shape is refused with the file's name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../src/errors.js';
import { pack, unpack, unpack32 } from '../src/io/model-io.js';

const bits64 = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));
const bits32 = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('pack → unpack and unpack32: the same bits, with -0, subnormals and extremes', () => {
  const v64 = new Float64Array([0, -0, 1, -1.5, Math.PI, 5e-324, -Number.MAX_VALUE, 1e-310, 123456.789]);
  const p64 = pack(v64, [3, 3]);
  assert.equal(p64.dtype, 'float64le');
  assert.deepEqual(bits64(unpack(JSON.parse(JSON.stringify(p64)), 'W', [3, 3], 'm.json')), bits64(v64));
  const v32 = Float32Array.from([0, -0, 1, -1.5, Math.PI, 1e-45, -3.4e38, 1e-40]);
  const p32 = pack(v32, [8]);
  assert.equal(p32.dtype, 'float32le');
  assert.deepEqual(bits32(unpack32(p32, 'Z', [8], 'm.json')), bits32(v32));
  assert.deepEqual(bits64(unpack(p32, 'Z', [8], 'm.json')), bits64(Float64Array.from(v32))); // widened exactly
  // a float64 table read as float32: each value rounded once, as Float32Array.from does
  assert.deepEqual(bits32(unpack32(p64, 'W', [3, 3], 'm.json')), bits32(Float32Array.from(v64)));
  // a view into a larger buffer packs only its own values
  const big = new Float32Array([9, 1, 2, 3, 9]);
  assert.deepEqual(Array.from(unpack32(pack(big.subarray(1, 4), [3]), 'x', [3], 'm.json')), [1, 2, 3]);
});

test('unpack and unpack32 refuse a value that is not finite, a short array and a wrong shape', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const p = pack(Float32Array.from([1, bad, 2]), [3]);
    assert.throws(() => unpack32(p, 'words.subword.Z', [3], 'm.json'), (e: Error) => e instanceof DataError && /m\.json.*words\.subword\.Z contains/s.test(e.message));
    assert.throws(() => unpack(pack(new Float64Array([bad]), [1]), 'c', [1], 'm.json'), (e: Error) => e instanceof DataError && /c contains/.test(e.message));
  }
  const p = pack(new Float32Array(4), [4]);
  assert.throws(() => unpack32({ ...p, base64: p.base64.slice(0, 8) }, 'Z', [4], 'm.json'), /holds 1 values, expected 4/);
  assert.throws(() => unpack32(p, 'Z', [2, 2], 'm.json'), /shape 4 but the config implies 2×2/);
  assert.throws(() => unpack32({ dtype: 'int8', shape: [4], base64: '' }, 'Z', [4], 'm.json'), /missing or not a packed/);
});
