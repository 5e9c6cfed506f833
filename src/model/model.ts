// The window classifier of CS224N lecture 3: forward pass, loss and hand-derived backward pass.
//
// ── The model ────────────────────────────────────────────────────────────────────────────────────
//   x = [e(w−2); e(w−1); e(w0); e(w+1); e(w+2)]   ∈ R^n      window vector (each e(·) may carry features)
//   z = W x + b                                    ∈ R^{GH}   hidden pre-activation, G groups of H units
//   h = f(z)                                       ∈ R^{GH}   f ∈ {tanh, relu, sigmoid}
//   s = U h + c                                    ∈ R^K      one score per output
//
// Two heads share this code:
//   'ovr'      one binary classifier per entity type (the lecture's "is the centre word a LOC?"), run side
//              by side: group k has its own W_k (H×n), b_k, u_k, so s_k = u_kᵀ h_k + c_k and G = K. Stacking
//              the W_k gives one GH×n matrix product for all classifiers. U (K×H) holds u_k in row k.
//              J = Σ_k −[y_k log σ(s_k) + (1−y_k) log(1−σ(s_k))]  (= Σ_k softplus(s_k) − y_k s_k)
//   'softmax'  one shared hidden layer (G = 1) and a softmax over the K tags:
//              J = −log softmax(s)_y  (= logsumexp(s) − s_y)
//
// ── The gradients (derived by hand) ────────────────────────────────────────────────────────────────
//   ∂J/∂s  = σ(s) − y              (ovr, per output)        = softmax(s) − onehot(y)  (softmax)
//   ∂J/∂U  = (∂J/∂s) hᵀ            (ovr: only row k, only group k's h_k)
//   ∂J/∂c  = ∂J/∂s
//   ∂J/∂h  = Uᵀ ∂J/∂s              (ovr: group k gets (∂J/∂s_k) u_k)
//   δ      = ∂J/∂h ∘ f'(z)         the lecture's δ = u ∘ f'(z), times the upstream ∂J/∂s
//            f'(z) = 1 − h² (tanh),  [z > 0] (relu),  h (1 − h) (sigmoid)
//   ∂J/∂W  = δ xᵀ                  same shape as W (GH×n)
//   ∂J/∂b  = δ
//   ∂J/∂x  = Wᵀ δ                  flows on to the word vectors and feature tables that built x
//
// Everything here works on a minibatch of B windows stored row-major in contiguous Float64Arrays:
// X is B×n, Z and Hh are B×GH, S is B×K. Gradients are ACCUMULATED (+=) into zeroed buffers; this file
// never changes a parameter (that is sgd.ts's job), so the gradient check tests exactly what trains.

import { assertShape } from '../errors.js';
import { type FloatArray, gemmDW, gemmDtX, gemmXWt, gemmXWtTanh, ovrForward, tanhInArena, wasmAlloc, wasmAlloc32, wasmFree } from '../fast/kernels-wasm.js';

export type Activation = 'tanh' | 'relu' | 'sigmoid';
export type Head = 'ovr' | 'softmax';
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'sigmoid'];
export const HEADS: readonly Head[] = ['ovr', 'softmax'];

/** Sizes: n inputs, H hidden units per group, K outputs; G = K groups for 'ovr', 1 for 'softmax'. */
export interface Dims {
  head: Head;
  n: number;
  H: number;
  K: number;
}

export function groups(d: Dims): number {
  return d.head === 'ovr' ? d.K : 1;
}

/** W: GH×n, b: GH, U: K×H, c: K (row-major). Float64 in a model; float32 while training (train.ts). */
export interface Params<T extends FloatArray = Float64Array> {
  W: T;
  b: T;
  U: T;
  c: T;
}

/** float64: the model file's precision, and the gradient check's; float32: training's (twice the SIMD lanes). */
export type Precision = 'float64' | 'float32';

/** A zero-filled array of `length` values of the given precision, in the WebAssembly memory. */
function zeros<T extends FloatArray>(precision: Precision, length: number): T {
  return (precision === 'float32' ? wasmAlloc32(length) : wasmAlloc(length)) as T;
}

function precisionOf(a: FloatArray): Precision {
  return a instanceof Float32Array ? 'float32' : 'float64';
}

export function zerosLike<T extends FloatArray>(p: Params<T>): Params<T> {
  const z = (a: T) => zeros<T>(precisionOf(a), a.length);
  return { W: z(p.W), b: z(p.b), U: z(p.U), c: z(p.c) };
}

/** A copy of p in the given precision (float32: rounded), in the WebAssembly memory. */
export function convertParams<T extends FloatArray>(p: Params<FloatArray>, precision: Precision): Params<T> {
  const copy = (a: FloatArray) => {
    const out = zeros<T>(precision, a.length);
    out.set(a);
    return out;
  };
  return { W: copy(p.W), b: copy(p.b), U: copy(p.U), c: copy(p.c) };
}

/** Returns parameters made by initParams, convertParams or zerosLike to the WebAssembly memory. */
export function wasmFreeParams(p: Params<FloatArray>): void {
  for (const a of [p.W, p.b, p.U, p.c]) wasmFree(a);
}

/** A float64 copy of p in ordinary arrays (a model's record of its parameters). */
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
  // the parameters live in the WebAssembly memory so the SIMD kernels can read them without a copy
  const p: Params = { W: wasmAlloc(GH * d.n), b: wasmAlloc(GH), U: wasmAlloc(d.K * d.H), c: wasmAlloc(d.K) };
  const aW = Math.sqrt(6 / (d.n + d.H));
  for (let i = 0; i < p.W.length; i++) p.W[i] = rand(aW);
  const aU = Math.sqrt(6 / (d.H + (d.head === 'ovr' ? 1 : d.K)));
  for (let i = 0; i < p.U.length; i++) p.U[i] = rand(aU);
  return p;
}

// ── activations ─────────────────────────────────────────────────────────────────────────────────

/** h = f(z), elementwise over m values. */
export function activate(f: Activation, z: FloatArray, h: FloatArray, m: number): void {
  if (f === 'tanh' && tanhInArena(z, h, m)) return; // SIMD tanh (float64: within a few ulps of Math.tanh)
  if (f === 'tanh') for (let i = 0; i < m; i++) h[i] = Math.tanh(z[i]);
  else if (f === 'relu') for (let i = 0; i < m; i++) h[i] = z[i] > 0 ? z[i] : 0;
  else for (let i = 0; i < m; i++) h[i] = 1 / (1 + Math.exp(-z[i]));
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
export function newCache<T extends FloatArray = Float64Array>(d: Dims, maxB: number, precision: Precision = 'float64'): Cache<T> {
  const GH = groups(d) * d.H;
  return {
    B: 0,
    X: zeros<T>(precision, maxB * d.n),
    Z: zeros<T>(precision, maxB * GH),
    Hh: zeros<T>(precision, maxB * GH),
    S: zeros<T>(precision, maxB * d.K),
  };
}

/** Returns a cache's WebAssembly memory (caches made per call, e.g. for one prediction, must be freed). */
export function freeCache(c: Cache<FloatArray>): void {
  for (const a of [c.X, c.Z, c.Hh, c.S]) wasmFree(a);
}

/** X: B×n (already in cache.X) → z = Wx + b, h = f(z), s = Uh + c for every window; fills cache.Z, Hh, S. */
export function forward<T extends FloatArray>(p: Params<T>, d: Dims, f: Activation, cache: Cache<T>, B: number): void {
  const { n, H, K } = d;
  const G = groups(d);
  const GH = G * H;
  assertShape(cache.X.length >= B * n, 'forward: X', `at least ${B}×${n}`, cache.X.length);
  cache.B = B;
  const { W, b, U, c } = p;
  const { X, Z, Hh, S } = cache;
  // float32 tanh ovr: z and h as below, then the scores in WebAssembly (the same values)
  if (d.head === 'ovr' && f === 'tanh' && ovrForward(X, W, b, Z, Hh, U, c, S, B, n, H, K)) return;
  // z = W x + b and h = f(z), for every window (float32 tanh: both in one pass per thread)
  if (f !== 'tanh' || !gemmXWtTanh(X, W, b, Z, Hh, B, n, GH)) {
    gemmXWt(X, W, b, Z, B, n, GH);
    activate(f, Z, Hh, B * GH);
  }
  if (d.head === 'softmax') return gemmXWt(Hh, U, c, S, B, H, K); // s = U h + c
  for (let i = 0; i < B; i++) {
    const ho = i * GH;
    const so = i * K;
    for (let k = 0; k < K; k++) {
      const hk = ho + k * H; // s_k = u_k · h_k (group k)
      let acc = c[k];
      for (let t = 0; t < H; t++) acc += U[k * H + t] * Hh[hk + t];
      S[so + k] = acc;
    }
  }
}

// ── loss ────────────────────────────────────────────────────────────────────────────────────────

/** log(1 + e^s) without overflow. */
export function softplus(s: number): number {
  return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
}

export function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}

/**
 * Loss of a minibatch and ∂J/∂s. S: B×K scores; y: B targets (ovr: 0 = no entity, k+1 = type k;
 * softmax: the tag index); weight: per-target weight (length K+1 for ovr, K for softmax) or null.
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
    if (d.head === 'ovr') {
      for (let k = 0; k < K; k++) {
        const s = S[so + k];
        const yk = yi === k + 1 ? 1 : 0;
        J += w * (softplus(s) - yk * s);
        dS[so + k] = scale * w * (sigmoid(s) - yk);
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

/** Output probabilities from scores, in place into P (B×K): σ(s_k) for ovr, softmax(s) for softmax. */
export function probabilities(d: Dims, S: FloatArray, B: number, P: FloatArray): void {
  const K = d.K;
  for (let i = 0; i < B; i++) {
    const so = i * K;
    if (d.head === 'ovr') {
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

/** Scratch for backward: Δ (B×GH) and dX (B×n). */
export interface BackScratch<T extends FloatArray = Float64Array> {
  Delta: T;
  dX: T;
  all: Uint8Array; // a mask of ones, for "every block of x"
}

export function newBackScratch<T extends FloatArray = Float64Array>(d: Dims, maxB: number, precision: Precision = 'float64'): BackScratch<T> {
  return { Delta: zeros<T>(precision, maxB * groups(d) * d.H), dX: zeros<T>(precision, maxB * d.n), all: new Uint8Array(maxB).fill(1) };
}

/** Which blocks of x need ∂J/∂x: x is P blocks of m values; need[i·P + p] for window i, block p. */
export interface DxMask {
  need: Uint8Array;
  P: number;
  m: number;
}

/**
 * (dS: B×K, cache) → accumulates dW += Δᵀ X, db += Σ δ, dU += dSᵀ H, dc += Σ dS into g, and writes
 * ∂J/∂x = Wᵀ δ into scratch.dX for the blocks of x that `dx` asks for (true: all of x; false: none).
 */
export function backward<T extends FloatArray>(
  p: Params<T>,
  d: Dims,
  f: Activation,
  cache: Cache<T>,
  dS: T,
  g: Params<T>,
  scratch: BackScratch<T>,
  dx: DxMask | boolean,
): void {
  const { n, H, K } = d;
  const G = groups(d);
  const GH = G * H;
  const B = cache.B;
  const { X, Z, Hh } = cache;
  const { Delta, dX } = scratch;
  const { W, U } = p;
  if (d.head === 'softmax') {
    gemmDtX(dS, Hh, g.U, g.c, B, H, K); // dU += dS hᵀ ; dc += dS
    gemmDW(dS, U, Delta, B, H, K, scratch.all, 1, H); // dh = Uᵀ dS (δ takes f'(z) below)
  } else {
    for (let i = 0; i < B; i++) {
      const so = i * K;
      const ho = i * GH;
      for (let k = 0; k < K; k++) {
        // group k only: du_k += dS_k h_k ; dc_k += dS_k ; dh_k = dS_k u_k
        const ds = dS[so + k];
        const hk = ho + k * H;
        g.c[k] += ds;
        for (let t = 0; t < H; t++) {
          g.U[k * H + t] += ds * Hh[hk + t];
          Delta[hk + t] = ds * U[k * H + t];
        }
      }
    }
  }
  // δ = dh ∘ f'(z), f' written through h = f(z) (tanh, sigmoid) or z (relu)
  const m = B * GH;
  if (f === 'tanh') for (let i = 0; i < m; i++) Delta[i] *= 1 - Hh[i] * Hh[i];
  else if (f === 'relu') for (let i = 0; i < m; i++) Delta[i] *= Z[i] > 0 ? 1 : 0;
  else for (let i = 0; i < m; i++) Delta[i] *= Hh[i] * (1 - Hh[i]);
  gemmDtX(Delta, X, g.W, g.b, B, n, GH); // dW += δ xᵀ ; db += δ
  if (dx === false) return;
  const mask = dx === true ? { need: scratch.all, P: 1, m: n } : dx;
  gemmDW(Delta, W, dX, B, n, GH, mask.need, mask.P, mask.m); // dx = Wᵀ δ
}
