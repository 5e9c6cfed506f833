// Plain SGD, θ ← θ − α (∇θ J + λ θ): the ONE place where parameters change (here, or in the WebAssembly
// steps these functions call). Everything else only reads parameters and accumulates gradients into
// zeroed buffers.

import { scatterWordGrads, type WindowShape, blockSize, inputSize } from '../model/features.js';
import { type FloatArray, sgdInArena, tanhBackwardStep, wordRowsStepInArena } from '../fast/kernels-wasm.js';
import { type Activation, type BackScratch, type Cache, type Dims, type DxMask, type Params, backward } from '../model/model.js';

/** Dense step on every block of the classifier; λ (l2) decays weights, never biases. Leaves the
 *  gradients g at zero, ready to accumulate the next minibatch's. */
export function sgdStep<T extends FloatArray>(p: Params<T>, g: Params<T>, lr: number, l2 = 0): void {
  step(p.W, g.W, lr, l2, p.W.length / p.b.length); // W: GH rows of n
  step(p.b, g.b, lr, 0);
  step(p.U, g.U, lr, l2);
  step(p.c, g.c, lr, 0);
}

function step<T extends FloatArray>(theta: T, d: T, lr: number, l2: number, rowLength = 1): void {
  if (sgdInArena(theta, d, theta.length, lr, l2, rowLength)) return; // the same arithmetic, in WebAssembly SIMD
  if (l2 === 0) for (let i = 0; i < theta.length; i++) theta[i] -= lr * d[i];
  else for (let i = 0; i < theta.length; i++) theta[i] -= lr * (d[i] + l2 * theta[i]);
  d.fill(0);
}

/**
 * backward (∂J/∂x into scratch.dX for the blocks dx asks for), then sgdStep; g must be zero on entry (as
 * sgdStep leaves it). For a float32 tanh layer both run as tanhBackwardStep (kernels-wasm.ts: the same
 * operations in the same order, so the same values), which hands work between threads twice a minibatch
 * instead of four times, and steps W as its gradient is summed, without storing ∂J/∂W. `then` runs once
 * scratch.dX is made (the word rows' step, which reads it): there, on this thread while the workers step
 * their rows of W; otherwise after sgdStep. It must not touch the parameters, their gradients or δ.
 */
export function backwardAndStep<T extends FloatArray>(p: Params<T>, d: Dims, f: Activation, cache: Cache<T>, dS: T, g: Params<T>, scratch: BackScratch<T>, dx: DxMask, lr: number, l2 = 0, then?: () => void): void {
  const { Hh, X } = cache;
  const fused = { dS, Hh, U: p.U, dU: g.U, c: p.c, dc: g.c, Delta: scratch.Delta, X, W: p.W, dW: g.W, b: p.b, db: g.b, dX: scratch.dX };
  if (f === 'tanh' && tanhBackwardStep(d.head, fused, dx.need, dx.P, dx.m, cache.B, d.n, d.H, d.K, lr, l2, then)) return;
  backward(p, d, f, cache, dS, g, scratch, dx);
  sgdStep(p, g, lr, l2);
  then?.();
}

/** Sparse step on the rows of a table (the word vectors) that this minibatch touched. */
export function sgdRows(rows: FloatArray, dRows: FloatArray, touched: Int32Array, count: number, d: number, lr: number): void {
  for (let r = 0; r < count; r++) {
    const o = touched[r] * d;
    for (let j = 0; j < d; j++) rows[o + j] -= lr * dRows[o + j];
  }
}

/**
 * The step on the word table's own rows (ids < V) from this minibatch's ∂J/∂x (dX: B×n; ids: B×P):
 * scatterWordGrads then sgdRows, or the same float64 arithmetic in one WebAssembly call when dX and the
 * rows are in the arena. The buffers (dRows: V×d, mark: V, touched: B·P) are for the plain path.
 */
export function stepWordRows(s: WindowShape, V: number, ids: Int32Array, dX: FloatArray, B: number, rows: Float64Array, lr: number, plain: { dRows: Float64Array; mark: Uint8Array; touched: Int32Array }): void {
  const P = 2 * s.window + 1;
  const m = blockSize(s);
  if (dX instanceof Float32Array && wordRowsStepInArena(ids, B * P, P, inputSize(s), m, s.d, V, dX, rows, lr)) return;
  const count = scatterWordGrads(s, V, ids, dX, B, plain.dRows, plain.mark, plain.touched);
  sgdRows(rows, plain.dRows, plain.touched, count, s.d, lr);
}
