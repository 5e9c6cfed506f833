// The window classifier of CS224N lecture 3: forward pass, loss and hand-derived backward pass.
//
// ── The model ────────────────────────────────────────────────────────────────────────────────────
//   x = [x(w−2); x(w−1); x(w0); x(w+1); x(w+2)]   ∈ R^n      window vector, one block per position:
//   x(w) = [e(w); ch(w); onehot(casing(w)); onehot(…)] ∈ R^m  e(w): the word vector; ch(w) = mean of the word's
//                                                               character n-gram rows of Z (subword.ts, optional);
//                                                               one-hot features (casing, shape, gazetteer)
//   z = W x + b                                    ∈ R^{GH}   hidden pre-activation, G groups of H units
//   h = f(z)                                       ∈ R^{GH}   f ∈ {tanh, relu, sigmoid}
//   s = U h + c                                    ∈ R^K      one score per output
//
// Three heads share this code:
//   'ovr'      one binary classifier per entity type (the lecture's "is the centre word a LOC?"), run side
//              by side: group k has its own W_k (H×n), b_k, u_k, so s_k = u_kᵀ h_k + c_k and G = K. Stacking
//              the W_k gives one GH×n matrix product for all classifiers. U (K×H) holds u_k in row k.
//              J = Σ_k −[y_k log σ(s_k) + (1−y_k) log(1−σ(s_k))]  (= Σ_k softplus(s_k) − y_k s_k)
//   'softmax'  one shared hidden layer (G = 1) and a softmax over the K tags:
//              J = −log softmax(s)_y  (= logsumexp(s) − s_y)
//   'logistic' one shared hidden layer (G = 1) and the lecture's binary logistic classifier per tag:
//              s_k = u_kᵀ h + c_k, y = onehot(gold tag), and the lecture's loss summed over the K tags:
//              J = Σ_k −[y_k log σ(s_k) + (1−y_k) log(1−σ(s_k))]  (= Σ_k softplus(s_k) − y_k s_k)
//
// ── The gradients (derived by hand) ────────────────────────────────────────────────────────────────
//   ∂J/∂s  = σ(s) − y              (ovr, logistic: per output; from d softplus(s)/ds = σ(s))
//          = softmax(s) − onehot(y)  (softmax)
//   ∂J/∂U  = (∂J/∂s) hᵀ            (ovr: only row k, only group k's h_k)
//   ∂J/∂c  = ∂J/∂s
//   ∂J/∂h  = Uᵀ ∂J/∂s              (ovr: group k gets (∂J/∂s_k) u_k)
//   δ      = ∂J/∂h ∘ f'(z)         the lecture's δ = u ∘ f'(z), times the upstream ∂J/∂s
//            f'(z) = 1 − h² (tanh),  [z > 0] (relu),  h (1 − h) (sigmoid)
//   ∂J/∂W  = δ xᵀ                  same shape as W (GH×n)
//   ∂J/∂b  = δ
//   ∂J/∂x  = Wᵀ δ                  flows on to the word vectors and feature tables that built x:
//   ∂J/∂e(w) += the e(w) slice of ∂J/∂x (for each block of w; own rows only)
//   ∂J/∂Z[r] += (1/|G(w)|) · the ch(w) slice of ∂J/∂x   (for each n-gram g of w, r = hash(g) mod R)
//
// This file is the readable reference: the formulas above, for a minibatch of B windows, written as
// ml-matrix expressions (rows are windows: X is B×n, Z and H are B×GH, S is B×K, so z = Wx + b for every
// window reads Z = X Wᵀ + b). `ner gradcheck` checks it against finite differences and an autodiff graph;
// test/fast.test.ts checks training's float32 SIMD path (src/fast/) against it. Gradients are ACCUMULATED
// (+=) into zeroed buffers; nothing here changes a parameter (src/fast/backward-sgd.ts does).

import { Matrix } from 'ml-matrix';
import { assertShape } from '../errors.js';
import type { FloatArray } from '../fast/arena.js';

export type Activation = 'tanh' | 'relu' | 'sigmoid';
export type Head = 'ovr' | 'softmax' | 'logistic';
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'sigmoid'];
export const HEADS: readonly Head[] = ['ovr', 'softmax', 'logistic'];

/** Sizes: n inputs, H hidden units per group, K outputs; G = K groups for 'ovr', 1 for 'softmax' and 'logistic'. */
export interface Dims {
  head: Head;
  n: number;
  H: number;
  K: number;
}

export function groups(d: Dims): number {
  return d.head === 'ovr' ? d.K : 1;
}

/** W: GH×n, b: GH, U: K×H, c: K (row-major). Float64 in a model; float32 while training (src/fast/). */
export interface Params<T extends FloatArray = Float64Array> {
  W: T;
  b: T;
  U: T;
  c: T;
}

export function zerosLike(p: Params<FloatArray>): Params {
  return { W: new Float64Array(p.W.length), b: new Float64Array(p.b.length), U: new Float64Array(p.U.length), c: new Float64Array(p.c.length) };
}

/** A float64 copy of p (a model's record of its parameters). */
export function snapshotParams(p: Params<FloatArray>): Params {
  return { W: Float64Array.from(p.W), b: Float64Array.from(p.b), U: Float64Array.from(p.U), c: Float64Array.from(p.c) };
}

export function checkParams(p: Params<FloatArray>, d: Dims): void {
  const GH = groups(d) * d.H;
  assertShape(p.W.length === GH * d.n, 'W', `${GH}×${d.n}`, `${p.W.length} values`);
  assertShape(p.b.length === GH, 'b', GH, p.b.length);
  assertShape(p.U.length === d.K * d.H, 'U', `${d.K}×${d.H}`, `${p.U.length} values`);
  assertShape(p.c.length === d.K, 'c', d.K, p.c.length);
}

/** Glorot-uniform W and U, zero biases. Draws from `rand` (uniform in [−a, a)) in a fixed order. */
export function initParams(d: Dims, rand: (a: number) => number): Params {
  const GH = groups(d) * d.H;
  const p: Params = { W: new Float64Array(GH * d.n), b: new Float64Array(GH), U: new Float64Array(d.K * d.H), c: new Float64Array(d.K) };
  const aW = Math.sqrt(6 / (d.n + d.H));
  for (let i = 0; i < p.W.length; i++) p.W[i] = rand(aW);
  const aU = Math.sqrt(6 / (d.H + (d.head === 'ovr' ? 1 : d.K)));
  for (let i = 0; i < p.U.length; i++) p.U[i] = rand(aU);
  return p;
}

// ── ml-matrix helpers ───────────────────────────────────────────────────────────────────────────
// ml-matrix's mmul does not check shapes and its instance add/mul mutate in place, so shapes are
// asserted here and every expression below works on fresh matrices.

/** The first rows×cols values of a row-major array, as a matrix. */
function mat(a: ArrayLike<number>, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, a[i * cols + j]);
  return m;
}

function mmul(A: Matrix, B: Matrix, what: string): Matrix {
  assertShape(A.columns === B.rows, what, `${A.rows}×k · k×${B.columns}`, `${A.rows}×${A.columns} · ${B.rows}×${B.columns}`);
  return A.mmul(B);
}

/** out[i] += m's values, row-major. */
function addInto(out: FloatArray, m: Matrix, offset = 0, stride = m.columns): void {
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[offset + i * stride + j] += m.get(i, j);
}

/** The matrix with fn applied to every value. */
function map(m: Matrix, fn: (v: number, i: number, j: number) => number): Matrix {
  const out = new Matrix(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.set(i, j, fn(m.get(i, j), i, j));
  return out;
}

/** h = f(z). */
export function activation(f: Activation, z: number): number {
  return f === 'tanh' ? Math.tanh(z) : f === 'relu' ? Math.max(0, z) : sigmoid(z);
}

/** f'(z), written through h = f(z) (tanh, sigmoid) or z (relu). */
export function slope(f: Activation, z: number, h: number): number {
  return f === 'tanh' ? 1 - h * h : f === 'relu' ? (z > 0 ? 1 : 0) : h * (1 - h);
}

// ── forward ─────────────────────────────────────────────────────────────────────────────────────

export interface Cache<T extends FloatArray = Float64Array> {
  B: number;
  X: T; // B×n
  Z: T; // B×GH
  Hh: T; // B×GH  (h = f(z))
  S: T; // B×K
}

/** Workspace sized for up to maxB windows, reused across minibatches. */
export function newCache(d: Dims, maxB: number): Cache {
  const GH = groups(d) * d.H;
  return { B: 0, X: new Float64Array(maxB * d.n), Z: new Float64Array(maxB * GH), Hh: new Float64Array(maxB * GH), S: new Float64Array(maxB * d.K) };
}

/** X: B×n (already in cache.X) → z = Wx + b, h = f(z), s = Uh + c for every window; fills cache.Z, Hh, S. */
export function forward(p: Params, d: Dims, f: Activation, cache: Cache, B: number): void {
  const { n, H, K } = d;
  const GH = groups(d) * H;
  assertShape(cache.X.length >= B * n, 'forward: X', `at least ${B}×${n}`, cache.X.length);
  cache.B = B;
  const X = mat(cache.X, B, n);
  const W = mat(p.W, GH, n);
  const U = mat(p.U, K, H);
  const Z = mmul(X, W.transpose(), 'Z = X Wᵀ').addRowVector(p.b); // z = W x + b, one row per window
  const Hh = map(Z, (z) => activation(f, z)); // h = f(z)
  let S: Matrix;
  if (d.head !== 'ovr') S = mmul(Hh, U.transpose(), 'S = H Uᵀ').addRowVector(p.c); // s = U h + c
  else {
    // classifier k: s_k = u_kᵀ h_k + c_k, h_k its own group of H hidden units
    S = new Matrix(B, K);
    for (let k = 0; k < K; k++) {
      const hk = Hh.subMatrix(0, B - 1, k * H, k * H + H - 1);
      S.setColumn(k, mmul(hk, U.getRowVector(k).transpose(), 's_k = h_kᵀ u_k').getColumn(0).map((v) => v + p.c[k]));
    }
  }
  cache.Z.set(Z.to1DArray());
  cache.Hh.set(Hh.to1DArray());
  cache.S.set(S.to1DArray());
}

// ── loss ────────────────────────────────────────────────────────────────────────────────────────

/** σ(s) = 1 / (1 + e^{−s}) without overflow. */
export function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}

/**
 * Loss of a minibatch and ∂J/∂s. S: B×K scores; y: B targets (ovr: 0 = no entity, k+1 = type k;
 * softmax, logistic: the tag index); weight: per-target weight (length K+1 for ovr, K otherwise) or null.
 * Returns Σ_i w_i J_i and writes dS = scale · w_i ∂J_i/∂s (B×K).
 */
export function lossAndGrad(
  d: Dims,
  S: FloatArray,
  y: Int32Array | number[],
  B: number,
  dS: FloatArray,
  scale: number,
  weight: Float64Array | null = null,
): number {
  const K = d.K;
  let J = 0;
  for (let i = 0; i < B; i++) {
    const so = i * K;
    const yi = y[i];
    const w = weight ? weight[yi] : 1;
    if (d.head !== 'softmax') {
      // K binary classifiers; y_k = 1 for the target's output (ovr: type y−1, none for O; logistic: tag y)
      const target = d.head === 'ovr' ? yi - 1 : yi;
      for (let k = 0; k < K; k++) {
        const s = S[so + k];
        const yk = k === target ? 1 : 0;
        // softplus(s) = log(1 + e^s) and σ(s) from one e^{−|s|}, without overflow
        const e = Math.exp(-Math.abs(s));
        J += w * ((s > 0 ? s : 0) + Math.log1p(e) - yk * s);
        dS[so + k] = scale * w * ((s >= 0 ? 1 / (1 + e) : e / (1 + e)) - yk);
      }
    } else {
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (S[so + k] > m) m = S[so + k];
      let z = 0;
      for (let k = 0; k < K; k++) z += Math.exp(S[so + k] - m);
      const lse = m + Math.log(z);
      J += w * (lse - S[so + yi]);
      for (let k = 0; k < K; k++) dS[so + k] = scale * w * (Math.exp(S[so + k] - lse) - (k === yi ? 1 : 0));
    }
  }
  return J;
}

/**
 * Output probabilities from scores, in place into P (B×K): σ(s_k) for ovr and logistic, softmax(s) for
 * softmax. The logistic head's σ(s_k) are K separate binary probabilities, left unnormalised: decoding
 * adds one log-probability per token along every path, so dividing a token's row by Σ_k σ(s_k) would
 * shift every path by the same amount and change no decision; unnormalised, an entity's probability
 * is its tag classifiers' own σ.
 */
export function probabilities(d: Dims, S: FloatArray, B: number, P: FloatArray): void {
  const K = d.K;
  for (let i = 0; i < B; i++) {
    const so = i * K;
    if (d.head !== 'softmax') {
      for (let k = 0; k < K; k++) P[so + k] = sigmoid(S[so + k]);
    } else {
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (S[so + k] > m) m = S[so + k];
      let z = 0;
      for (let k = 0; k < K; k++) z += (P[so + k] = Math.exp(S[so + k] - m));
      for (let k = 0; k < K; k++) P[so + k] /= z;
    }
  }
}

// ── backward ────────────────────────────────────────────────────────────────────────────────────

/** Scratch for backward: ∂J/∂x (B×n). */
export interface BackScratch<T extends FloatArray = Float64Array> {
  dX: T;
}

export function newBackScratch(d: Dims, maxB: number): BackScratch {
  return { dX: new Float64Array(maxB * d.n) };
}

/** Which blocks of x need ∂J/∂x: x is P blocks of m values; need[i·P + p] for window i, block p: 0 none,
 *  1 the block's columns [0, to), 2 its columns [from, to) (a block whose word vector is fixed needs only
 *  the columns after it; the one-hot columns from `to` on learn nothing). */
export interface DxMask {
  need: Uint8Array;
  P: number;
  m: number;
  from?: number; // default 0
  to?: number; // default m
}

/**
 * (dS: B×K, cache) → accumulates dW += Δᵀ X, db += Σ δ, dU += dSᵀ H, dc += Σ dS into g, and writes
 * ∂J/∂x = Wᵀ δ into scratch.dX for the blocks of x that `dx` asks for (true: all of x; false: none).
 */
export function backward(p: Params, d: Dims, f: Activation, cache: Cache, dS: Float64Array, g: Params, scratch: BackScratch, dx: DxMask | boolean): void {
  const { n, H, K } = d;
  const GH = groups(d) * H;
  const B = cache.B;
  const X = mat(cache.X, B, n);
  const Z = mat(cache.Z, B, GH);
  const Hh = mat(cache.Hh, B, GH);
  const W = mat(p.W, GH, n);
  const U = mat(p.U, K, H);
  const G = mat(dS, B, K); // ∂J/∂s, one row per window
  let dH: Matrix;
  if (d.head !== 'ovr') {
    addInto(g.U, mmul(G.transpose(), Hh, 'dU = dSᵀ H')); // ∂J/∂U = (∂J/∂s) hᵀ, summed over windows
    dH = mmul(G, U, 'dH = dS U'); // ∂J/∂h = Uᵀ ∂J/∂s
  } else {
    dH = new Matrix(B, GH);
    for (let k = 0; k < K; k++) {
      // group k only: ∂J/∂u_k = (∂J/∂s_k) h_k ; ∂J/∂h_k = (∂J/∂s_k) u_k
      const gk = G.getColumnVector(k); // B×1
      addInto(g.U, mmul(gk.transpose(), Hh.subMatrix(0, B - 1, k * H, k * H + H - 1), 'du_k = dS_kᵀ H_k'), k * H);
      dH.setSubMatrix(mmul(gk, U.getRowVector(k), 'dH_k = dS_k u_kᵀ'), 0, k * H);
    }
  }
  addInto(g.c, new Matrix([G.sum('column')])); // ∂J/∂c = ∂J/∂s
  const Delta = map(dH, (v, i, j) => v * slope(f, Z.get(i, j), Hh.get(i, j))); // δ = ∂J/∂h ∘ f'(z)
  addInto(g.W, mmul(Delta.transpose(), X, 'dW = Δᵀ X')); // ∂J/∂W = δ xᵀ
  addInto(g.b, new Matrix([Delta.sum('column')])); // ∂J/∂b = δ
  if (dx === false) return;
  const dX = mmul(Delta, W, 'dX = Δ W'); // ∂J/∂x = Wᵀ δ
  const { need, P, m, from = 0, to = m } = dx === true ? { need: new Uint8Array(B).fill(1), P: 1, m: n } : dx;
  for (let i = 0; i < B; i++)
    for (let q = 0; q < P; q++) {
      const t0 = need[i * P + q] === 0 ? to : need[i * P + q] === 1 ? 0 : from;
      for (let t = q * m + t0; t < q * m + to; t++) scratch.dX[i * n + t] = dX.get(i, t);
    }
}
