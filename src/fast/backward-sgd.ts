// Training's backward pass and SGD step, θ ← θ − α (∇θ J + λ θ): THE ONE PLACE PARAMETERS CHANGE. It
// computes ../model/model.ts's backward in float32 on the arena's arrays (forward.ts filled the cache),
// and steps W, b, U, c, the word rows and the subword table; test/fast.test.ts checks the result against the reference
// backward followed by a plain SGD step. Everything else only reads parameters.
//
// With a tanh hidden layer the backward and the step are fused (kernels.wat: ovrDeltaDx32 /
// tanhDeltaDx32, dWStep32, ovrDeltaStep32 / tanhDeltaStep32): W is stepped as its gradient δᵀX is summed,
// without storing ∂J/∂W, and the work is handed between threads twice a minibatch instead of four times.
//   this thread:      ovr: dc += Σ_i dS;  softmax, logistic: dU += dSᵀ h, dc += Σ_i dS, dh = Uᵀ dS (into Δ)
//                     (the two shared-h heads differ only in their loss: dS comes in made)
//   the two halves of W's rows, as gemmDW cuts them:  δ on those hidden units (ovr: also dU there), then
//                     that half's sum of ∂J/∂x = Wᵀδ (before W changes; the blocks `need` marks); this
//                     thread then adds the halves
//   rows of W, as the products cut them (with `then`, fewer on this thread: thenRows):  the SGD step on
//                     those rows of W with their gradient δᵀX; db += Σ δ and the step on those entries of b
//   (when `need` marks no block, the last two are one hand-off: each thread makes δ on its own rows of
//   W, then steps them)
//   this thread, during the step on W:  `then` (train.ts: the word rows' and n-grams' steps, which read
//                     ∂J/∂x, and the next minibatch's gather)
//   this thread:      the SGD step on U and c
// relu and sigmoid run the same formulas unfused: head and f' in JavaScript, products in SIMD, then
// the step. Either way every value goes through the same operations in the same order for any number
// of threads, so the model file is the same for any --threads.

import { KERNEL, arena, needArena, scratch } from './arena.js';
import { type OneHotLayout, dXByHalves, dtxScratch, gemmDW, gemmDtX, halvesScratch, hotList, packSubwords, sgd, subwordSums } from './kernels.js';
import type { Workspace } from './forward.js';
import { type Part, cut, rowsOfW, runByRows } from './team.js';
import { type WindowShape, blockSize, inputSize, scatterWordGrads } from '../model/features.js';
import { type Activation, type Dims, type DxMask, type Params, groups } from '../model/model.js';
import { type Subwords, gramsOf } from '../model/subword.js';

/** Dense step on every block of the classifier; λ (l2) decays weights, never biases. Leaves the
 *  gradients g at zero, ready to accumulate the next minibatch's. */
export function sgdStep(p: Params<Float32Array>, g: Params<Float32Array>, lr: number, l2 = 0): void {
  sgd(p.W, g.W, p.W.length, lr, l2, p.W.length / p.b.length); // W: GH rows of n
  sgd(p.b, g.b, p.b.length, lr, 0);
  sgd(p.U, g.U, p.U.length, lr, l2);
  sgd(p.c, g.c, p.c.length, lr, 0);
}

let ones = new Uint8Array(0); // a mask of ones: every window

// This thread's rows of W in a step it shares with `then`: how long `then` takes varies with the model
// (subword vectors, word rows) and the machine, so the cut follows it, four rows more after a step in
// which this thread waited for the workers, four fewer after one in which they waited for it (−1: not
// yet set).
// Kept: with the gather in `then`, 2-thread epochs on the default model 2.4–2.7 s against 2.9–3.0 s.
let thenRows = -1;

function balance(shared: boolean, k: number, most: number, waited: boolean): void {
  if (shared) thenRows = Math.max(0, Math.min(most, k + (waited ? 4 : -4)));
}

/**
 * ∂J/∂θ from dS (B×K, scaled as lossAndGrad made it) and the cache w, then the SGD step on W, b, U, c;
 * ∂J/∂x = Wᵀδ (taken before W changes) into w.dX on the blocks dx.need marks. g must be zero on entry
 * and is left so. `then` runs once w.dX is made; it must not touch the parameters, g or δ.
 */
export function backwardAndStep(p: Params<Float32Array>, d: Dims, f: Activation, w: Workspace, dS: Float32Array, g: Params<Float32Array>, dx: DxMask, lr: number, l2 = 0, then?: () => void): void {
  const { n, H, K } = d;
  const B = w.B;
  const M = groups(d) * H; // rows of W
  const { need, P, m } = dx;
  const from = dx.from ?? 0;
  const to = dx.to ?? m;
  const x: OneHotLayout = { P, m, hot: to }; // the columns without ∂J/∂x are x's one-hot features
  const { Hh, X, Delta, Z } = w;
  needArena(dS, Hh, X, Delta, w.dX, p.W, p.b, p.U, p.c, g.W, g.b, g.U, g.c);
  if (ones.length < B) ones = new Uint8Array(B).fill(1);
  // X's hot list: forward's, when it was made for this layout
  const h = w.hot;
  const E = h.E !== 0 && h.x.P === P && h.x.m === m && h.x.hot === to ? h.E : hotList(X, B, n, x);
  if (f !== 'tanh') {
    headBackward(p, d, B, dS, Hh, Delta, g);
    // δ = dh ∘ f'(z), f' written through h = f(z) (sigmoid) or z (relu)
    const mm = B * M;
    if (f === 'relu') for (let i = 0; i < mm; i++) Delta[i] *= Z[i] > 0 ? 1 : 0;
    else for (let i = 0; i < mm; i++) Delta[i] *= Hh[i] * (1 - Hh[i]);
    gemmDtX(Delta, X, g.W, g.b, B, n, M, x, E); // dW += δ xᵀ ; db += δ
    gemmDW(Delta, p.W, w.dX, B, n, M, need, P, m, from, to); // dx = Wᵀ δ
    sgdStep(p, g, lr, l2);
    then?.();
    return;
  }
  const L = arena();
  const e = rowsOfW(M, B * n * M);
  // With `then` (training: the word rows' steps and the next minibatch's gather), this thread steps only
  // k of W's rows and the workers the rest; the rows' values do not depend on the cut
  const shared = then !== undefined && e.length > 2;
  const k = shared ? Math.min(thenRows < 0 ? Math.floor(e[1] / 8) * 4 : thenRows, e[1]) : 0;
  const eStep = shared ? [0, k, ...cut(M - k, e.length - 2, 4).slice(1).map((r) => r + k)] : e;
  // the scratch blocks all the calls below take (gemmDtXCore32's a part), reserved before anything
  // changes, so that none of them can then fail for want of room
  const [s0, s1] = halvesScratch(B, Math.max(n, H), P);
  const S = Array.from({ length: Math.max(2, e.length - 1) }, (_, t) => scratch(L, Math.max(t === 0 ? s0 : t === 1 ? s1 : 0, dtxScratch(B, x)), t));
  if (!S.every((x) => x >= 0)) needArena(new Float32Array(0));
  const [pS, pH, pU, pdU, pD, pW] = [dS, Hh, p.U, g.U, Delta, p.W].map((a) => a.byteOffset);
  if (d.head === 'ovr') L.k[KERNEL.ovrDc32](pS, g.c.byteOffset, B, K);
  else {
    gemmDtX(dS, Hh, g.U, g.c, B, H, K); // dU += dS hᵀ ; dc += dS
    gemmDW(dS, p.U, Delta, B, H, K, ones, 1, H); // dh = Uᵀ dS
  }
  const [pX, pdW, pb, pdb] = [X, g.W, p.b, g.b].map((a) => a.byteOffset);
  if (need.subarray(0, B * P).some((v) => v !== 0)) {
    const deltaDx = (r0: number, r1: number, into: number, list: number, mask: number): Part =>
      d.head === 'ovr'
        ? { op: KERNEL.ovrDeltaDx32, args: [pS, pH, pU, pdU, pD, pW, into, mask, P, m, list, B, n, H, K, r0, r1, from, to], reals: [] }
        : { op: KERNEL.tanhDeltaDx32, args: [pH, pD, pW, into, mask, P, m, list, B, n, M, r0, r1, from, to], reals: [] };
    dXByHalves(M, B, n, P, m, need, from, to, w.dX.byteOffset, deltaDx);
    balance(shared, k, e[1], runByRows(eStep, (r0, r1, t) => ({ op: KERNEL.dWStep32, args: [pD, pX, pW, pdW, pb, pdb, S[t], B, n, M, r0, r1, P, m, to, E], reals: [lr, l2] }), then));
  } else {
    // no ∂J/∂x to make: each thread makes δ on its own rows of W and steps them, in one hand-off
    const deltaStep = (r0: number, r1: number, t: number): Part =>
      d.head === 'ovr'
        ? { op: KERNEL.ovrDeltaStep32, args: [pS, pH, pU, pdU, pD, pX, pW, pdW, pb, pdb, S[t], B, n, H, K, r0, r1, P, m, to, E], reals: [lr, l2] }
        : { op: KERNEL.tanhDeltaStep32, args: [pH, pD, pX, pW, pdW, pb, pdb, S[t], B, n, M, r0, r1, P, m, to, E], reals: [lr, l2] };
    balance(shared, k, e[1], runByRows(eStep, deltaStep, then));
  }
  const step = L.k[KERNEL.sgd32];
  step(pU, pdU, K * H, lr, l2);
  step(p.c.byteOffset, g.c.byteOffset, K, lr, 0);
}

/** The head's part of backward for relu and sigmoid: dU, dc, and dh = ∂J/∂h into Δ. */
function headBackward(p: Params<Float32Array>, d: Dims, B: number, dS: Float32Array, Hh: Float32Array, Delta: Float32Array, g: Params<Float32Array>): void {
  const { H, K } = d;
  if (d.head !== 'ovr') {
    gemmDtX(dS, Hh, g.U, g.c, B, H, K); // dU += dS hᵀ ; dc += dS
    gemmDW(dS, p.U, Delta, B, H, K, ones, 1, H); // dh = Uᵀ dS
    return;
  }
  const GH = K * H;
  for (let i = 0; i < B; i++)
    for (let k = 0; k < K; k++) {
      // group k only: du_k += dS_k h_k ; dc_k += dS_k ; dh_k = dS_k u_k
      const ds = dS[i * K + k];
      const hk = i * GH + k * H;
      g.c[k] += ds;
      for (let t = 0; t < H; t++) {
        g.U[k * H + t] += ds * Hh[hk + t];
        Delta[hk + t] = ds * p.U[k * H + t];
      }
    }
}

const ROWS_SCRATCH = 65; // scratch slot of the word rows' step
let zeroSlots = { start: -1, end: -1 }; // bytes known to be zero for rowsStep64's slot numbers (it leaves them so)

/** Sparse step on the rows of a table (the word vectors) that this minibatch touched. */
export function sgdRows(rows: Float64Array, dRows: Float64Array, touched: Int32Array, count: number, d: number, lr: number): void {
  for (let r = 0; r < count; r++) {
    const o = touched[r] * d;
    for (let j = 0; j < d; j++) rows[o + j] -= lr * dRows[o + j];
  }
}

/**
 * The step on the word table's own rows (ids < V) from this minibatch's ∂J/∂x (dX: B×n; ids: B×P):
 * rows[id] −= lr · Σ (the word part of dX's blocks with that id). In one WebAssembly call (rowsStep64)
 * when the rows are in the arena; a large table that does not fit takes scatterWordGrads then sgdRows,
 * the same float64 operations in the same order, with the buffers in `plain` (dRows: V×d, mark: V,
 * touched: B·P).
 */
export function stepWordRows(s: WindowShape, V: number, ids: Int32Array, dX: Float32Array, B: number, rows: Float64Array, lr: number, plain: { dRows: Float64Array; mark: Uint8Array; touched: Int32Array }): void {
  const P = 2 * s.window + 1;
  const m = blockSize(s);
  const n = inputSize(s);
  const K = B * P;
  const L = arena();
  const idsBytes = Math.ceil((K * 4) / 64) * 64;
  const slotBytes = Math.ceil((V * 4) / 64) * 64;
  const S = rows.buffer === L.buffer ? scratch(L, 2 * idsBytes + slotBytes + K * s.d * 8, ROWS_SCRATCH) : -1;
  if (S < 0) {
    const count = scatterWordGrads(s, V, ids, dX, B, plain.dRows, plain.mark, plain.touched);
    return sgdRows(rows, plain.dRows, plain.touched, count, s.d, lr);
  }
  const slot = S + 2 * idsBytes;
  if (slot !== zeroSlots.start || slot + slotBytes !== zeroSlots.end) {
    // a layout other than the last one: rowsStep64 needs its slot numbers at zero, and a smaller layout's
    // staging rows (after its slots) have overwritten part of a larger one's slots
    L.bytes.fill(0, slot, slot + slotBytes);
    zeroSlots = { start: slot, end: slot + slotBytes };
  }
  new Int32Array(L.buffer, S, K).set(ids.subarray(0, K));
  L.k[KERNEL.rowsStep64](S, K, P, n, m, s.d, V, dX.byteOffset, rows.byteOffset, slot + slotBytes, slot, S + idsBytes, lr);
}

/**
 * The step on the subword table Z (subword.ts) from this minibatch's ∂J/∂x. The ch(w) slices of dX (at
 * d … d+D in each block) are summed by word first (a word is often in several windows of a minibatch):
 * g_w = Σ_{blocks of w} ∂J/∂ch(w). Then each word's share goes to its n-gram rows as they are stepped,
 * Z[r] −= lr · g_w / |G(w)| for each n-gram r of w (in float32), without storing ∂J/∂Z: the rows of
 * different words are summed in the order the words first appear in the minibatch. In one WebAssembly
 * call (subwordStep32, the same operations in the same order) when Z and dX are in the arena.
 */
export function stepSubwordRows(sw: Subwords, s: WindowShape, ids: Int32Array, dX: Float32Array, B: number, lr: number): void {
  const P = 2 * s.window + 1;
  const m = blockSize(s);
  const D = sw.D;
  const K = B * P;
  const L = arena();
  if (sw.Z instanceof Float32Array && sw.Z.buffer === L.buffer && dX.buffer === L.buffer) {
    const p = packSubwords(sw, ids, K, true);
    const acc = p ? subwordSums(p.U, D) : -1;
    if (p && acc >= 0) return L.k[KERNEL.subwordStep32](sw.Z.byteOffset, D, dX.byteOffset, m, s.d, K, p.U, p.word, p.span, p.rows, acc, lr);
  }
  if (dWord.length < K * D) dWord = new Float32Array(K * D);
  if (words.length < K) words = new Int32Array(K);
  byWord.clear();
  for (let k = 0; k < K; k++) {
    let at = byWord.get(ids[k]);
    if (at === undefined) {
      at = byWord.size * D;
      words[byWord.size] = ids[k];
      byWord.set(ids[k], at);
      dWord.fill(0, at, at + D);
    }
    addInto(dWord, at, dX, k * m + s.d, D);
  }
  const Z = sw.Z as Float32Array;
  for (let v = 0; v < byWord.size; v++) {
    const rows = gramsOf(sw, words[v]);
    if (rows.length > 0) stepRows(Z, rows, D, dWord, v * D, lr / rows.length);
  }
}

/** a[i … i+D) += b[j … j+D). */
function addInto(a: Float32Array, i: number, b: Float32Array, j: number, D: number): void {
  for (let t = 0; t < D; t++) a[i + t] += b[j + t];
}

/** Z[r] −= c · g[o … o+D) for each row r (four columns at a time: the step's values stay in locals). */
function stepRows(Z: Float32Array, rows: Int32Array, D: number, g: Float32Array, o: number, c: number): void {
  const n = rows.length;
  let t = 0;
  for (; t + 4 <= D; t += 4) {
    const g0 = c * g[o + t], g1 = c * g[o + t + 1], g2 = c * g[o + t + 2], g3 = c * g[o + t + 3]; // prettier-ignore
    for (let q = 0; q < n; q++) {
      const r = rows[q] * D + t;
      Z[r] -= g0;
      Z[r + 1] -= g1;
      Z[r + 2] -= g2;
      Z[r + 3] -= g3;
    }
  }
  for (; t < D; t++) {
    const g0 = c * g[o + t];
    for (let q = 0; q < n; q++) Z[rows[q] * D + t] -= g0;
  }
}

const byWord = new Map<number, number>(); // word id → where its g_w is in dWord
let words = new Int32Array(0); // the minibatch's words, in order of first appearance
let dWord = new Float32Array(0);
