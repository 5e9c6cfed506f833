// Training's forward pass: ../model/model.ts's forward in float32, on arrays in the WebAssembly arena,
// through the SIMD kernels (kernels.ts). float32 does twice the work per SIMD instruction; the model
// keeps float64 copies, which hold the float32 values exactly. test/fast.test.ts checks it against the
// reference to a stated tolerance (float32 rounding), and the backward pass (backward-sgd.ts) reads
// the cache it fills.

import { wasmAlloc32, wasmFree } from './arena.js';
import { NO_ONE_HOT, type OneHotLayout, gemmXWt, gemmXWtTanh, hotList, ovrScores } from './kernels.js';
import { type Activation, type Cache, type Dims, type Params, groups } from '../model/model.js';

/** A zero-filled float32 array in the arena (ordinary when the arena is full; the kernels then refuse). */
const zeros = wasmAlloc32;

/** A float32 copy of p (rounded) in the arena. */
export function toArena32(p: Params): Params<Float32Array> {
  const copy = (a: Float64Array) => {
    const out = zeros(a.length);
    out.set(a);
    return out;
  };
  return { W: copy(p.W), b: copy(p.b), U: copy(p.U), c: copy(p.c) };
}

/** Zero gradients shaped like p, in the arena. */
export function zerosLike32(p: Params<Float32Array>): Params<Float32Array> {
  return { W: zeros(p.W.length), b: zeros(p.b.length), U: zeros(p.U.length), c: zeros(p.c.length) };
}

/** Returns arrays made here to the arena. */
export function free32(...arrays: Float32Array[]): void {
  for (const a of arrays) wasmFree(a);
}

/** Workspace for up to maxB windows: the cache forward fills, and backward's δ (B×GH) and ∂J/∂x (B×n). */
export interface Workspace extends Cache<Float32Array> {
  Delta: Float32Array;
  dX: Float32Array;
  /** The hot list forward made of X (kernels.ts hotList) and the layout it was made for; backward reads it. */
  hot: { E: number; x: OneHotLayout };
}

export function newWorkspace(d: Dims, maxB: number): Workspace {
  const GH = groups(d) * d.H;
  return { B: 0, X: zeros(maxB * d.n), Z: zeros(maxB * GH), Hh: zeros(maxB * GH), S: zeros(maxB * d.K), Delta: zeros(maxB * GH), dX: zeros(maxB * d.n), hot: { E: 0, x: NO_ONE_HOT } };
}

/** X: B×n (already in w.X) → z = Wx + b, h = f(z), s = Uh + c for every window; fills w.Z, Hh, S. With
 *  X's one-hot layout x, z takes the one-hot columns from their hot list (w.hot, which backward reuses). */
export function forward(p: Params<Float32Array>, d: Dims, f: Activation, w: Workspace, B: number, x = NO_ONE_HOT): void {
  const { n, H, K } = d;
  const GH = groups(d) * H;
  const { X, Z, Hh, S } = w;
  const { W, b, U, c } = p;
  w.B = B;
  w.hot = { E: hotList(X, B, n, x), x };
  // z = W x + b and h = f(z) for every window (tanh: in one pass, the float32 tanh of the tagger)
  if (f === 'tanh') gemmXWtTanh(X, W, b, Z, Hh, B, n, GH, x, w.hot.E);
  else {
    gemmXWt(X, W, b, Z, B, n, GH, x, w.hot.E);
    const m = B * GH;
    if (f === 'relu') for (let i = 0; i < m; i++) Hh[i] = Z[i] > 0 ? Z[i] : 0;
    else for (let i = 0; i < m; i++) Hh[i] = 1 / (1 + Math.exp(-Z[i]));
  }
  if (d.head !== 'ovr') gemmXWt(Hh, U, c, S, B, H, K); // s = U h + c (softmax, logistic: one shared h)
  else ovrScores(Hh, U, c, S, B, H, K); // s_k = u_k · h_k + c_k (group k)
}
