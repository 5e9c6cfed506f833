// The reference forward pass (model.ts, ml-matrix, float64) over a whole encoded text: what the fast
// scorer of the tagger must reproduce up to float32 rounding.

import assert from 'node:assert/strict';
import { type Encoded, gather } from '../../src/model/features.js';
import { forward, newCache, probabilities } from '../../src/model/model.js';
import type { NerModel } from '../../src/model/ner-model.js';

/** P (N×K): the output probabilities of every token of an encoded text, `batch` windows at a time. */
export function predictProbabilities(model: NerModel, e: Encoded, batch = 256): Float64Array {
  const { dims, shape } = model;
  const K = dims.K;
  const P = new Float64Array(e.N * K);
  const cache = newCache(dims, batch);
  const ids = new Int32Array(batch * (2 * shape.window + 1));
  const idx = new Int32Array(batch);
  for (let from = 0; from < e.N; from += batch) {
    const B = Math.min(batch, e.N - from);
    for (let i = 0; i < B; i++) idx[i] = from + i;
    gather(model.words, shape, e, idx, B, cache.X, ids);
    forward(model.params, dims, model.config.activation, cache, B);
    probabilities(dims, cache.S, B, P.subarray(from * K, (from + B) * K));
  }
  return P;
}

/** The fast float32 path's probabilities against the reference's: equal up to float32 rounding (2e-5). */
export function assertNearReference(got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 2e-5, `P[${i}] ${got[i]} vs ${want[i]}`);
}
