// The matrix products of training in float32 WebAssembly SIMD (src/fast/kernels.wat), on arrays in the
// arena (arena.ts), split over the threads by rows of W (team.ts). They compute the lecture's formulas
// for a minibatch at once: z = Wx + b, ∂J/∂W += δ xᵀ, ∂J/∂x = Wᵀ δ, and the gather of x. The readable
// version of the same formulas is ../model/model.ts; test/fast.test.ts checks these against it.
//
// Every kernel adds in a fixed order, so the same inputs give bit-identical outputs on any number of
// threads. Arrays must lie in the arena (needArena says so clearly otherwise).

import { type FloatArray, KERNEL, arena, needArena, scratch } from './arena.js';
import { type Part, cut, rowsOfW, runByRows, runParts, threadsFor } from './team.js';

export type { FloatArray };

/** gemmXWt's first eight arguments for rows j … j1 of W (the columns j … j1 of Z). */
function xwtArgs(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, B: number, n: number, M: number, j: number, j1: number): number[] {
  return [X.byteOffset, W.byteOffset + j * n * 4, b.byteOffset + j * 4, Z.byteOffset + j * 4, B, n, j1 - j, M];
}

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). */
export function gemmXWt(X: Float32Array, W: Float32Array, b: Float32Array, Z: Float32Array, B: number, n: number, M: number): void {
  needArena(X, W, b, Z);
  runByRows(rowsOfW(M, B * n * M), (j, j1) => ({ op: KERNEL.gemmXWt32, args: xwtArgs(X, W, b, Z, B, n, M, j, j1), reals: [] }));
}

/** Z = X Wᵀ + b and H = tanh Z (float32 tanh, the tagger's: scorer.wat's $tanh4) in one pass per thread. */
export function gemmXWtTanh(X: Float32Array, W: Float32Array, b: Float32Array, Z: Float32Array, H: Float32Array, B: number, n: number, M: number): void {
  needArena(X, W, b, Z, H);
  runByRows(rowsOfW(M, B * n * M), (j, j1) => ({ op: KERNEL.gemmXWtTanh32, args: [...xwtArgs(X, W, b, Z, B, n, M, j, j1), H.byteOffset + j * 4], reals: [] }));
}

/** The one-vs-rest scores S[i,k] = c_k + u_k · h_k (U: K×H, Hh: B×KH), on this thread. */
export function ovrScores(Hh: Float32Array, U: Float32Array, c: Float32Array, S: Float32Array, B: number, H: number, K: number): void {
  needArena(Hh, U, c, S);
  arena().k[KERNEL.ovrScores32](Hh.byteOffset, U.byteOffset, c.byteOffset, S.byteOffset, B, H, K);
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. */
export function gemmDtX(Delta: Float32Array, X: Float32Array, dW: Float32Array, db: Float32Array, B: number, n: number, M: number): void {
  needArena(Delta, X, dW, db);
  const L = arena();
  const e = rowsOfW(M, B * n * M);
  const S = e.slice(0, -1).map((_, t) => scratch(L, B * 36, t));
  if (!S.every((s) => s >= 0)) needArena(new Float32Array(0));
  const [d, x, w, bb] = [Delta.byteOffset, X.byteOffset, dW.byteOffset, db.byteOffset];
  runByRows(e, (j, j1, t) => ({ op: KERNEL.gemmDtX32, args: [d + j * 4, x, w + j * n * 4, bb + j * 4, B, n, j1 - j, S[t], M], reals: [] }));
}

/**
 * dX (B×n) = Δ (B×M) · W (M×n), only for the column blocks [p·m, (p+1)·m) with need[i·P + p] set;
 * other entries of dX are left untouched. `need` may live anywhere (it is copied into the arena).
 */
export function gemmDW(Delta: Float32Array, W: Float32Array, dX: Float32Array, B: number, n: number, M: number, need: Uint8Array, P: number, m: number): void {
  needArena(Delta, W, dX);
  const [d, w] = [Delta.byteOffset, W.byteOffset];
  dXByHalves(M, B, n, P, m, need, dX.byteOffset, (r0, r1, into, list, mask) => ({ op: KERNEL.gemmDW32, args: [d + r0 * 4, w + r0 * n * 4, into, B, n, r1 - r0, mask, P, m, list, M], reals: [] }));
}

/** Bytes of the scratch blocks 0 and 1 dXByHalves takes: each a list of windows, then block 0 the mask
 *  and block 1 the second sum (laid out as dX). */
export function halvesScratch(B: number, n: number, P: number): [number, number] {
  const list = Math.ceil(((B + 1) * 4) / 64) * 64;
  return [list + B * P, list + B * n * 4];
}

/**
 * dX (B×n, at byte offset dX) = Δ[:, 0 … h) W[0 … h) + Δ[:, h … M) W[h … M) on the blocks `need` marks.
 * ∂J/∂x = Wᵀδ sums over all rows of W, so it is always these two sums (h = the middle of W in blocks of
 * four), added at the end, whether one thread computes them or two: the same values either way.
 * sum(r0, r1, into, list, mask) is the part that computes the sum over rows r0 … r1 into `into`. The
 * first goes straight into dX, the second into scratch, added to dX once both are done.
 */
export function dXByHalves(M: number, B: number, n: number, P: number, m: number, need: Uint8Array, dX: number, sum: (r0: number, r1: number, into: number, list: number, mask: number) => Part): void {
  const L = arena();
  const sizes = halvesScratch(B, n, P);
  const S = sizes.map((size, t) => scratch(L, size, t));
  if (!S.every((x) => x >= 0)) needArena(new Float32Array(0));
  const list = sizes[0] - B * P;
  const mask = S[0] + list;
  const second = S[1] + list;
  L.bytes.set(need.subarray(0, B * P), mask);
  const h = cut(M, 2, 4)[1];
  runParts([sum(0, h, dX, S[0], mask), h < M ? sum(h, M, second, S[1], mask) : null], threadsFor(B * M * P * m));
  if (h < M) L.k[KERNEL.addBlocks32](dX, second, mask, B, P, m, n);
}

/** θ ← θ − lr · (g + l2 · θ) (just θ − lr · g when l2 = 0), rounded to float32, then g ← 0, over
 *  `length` values. rowLength: θ's row length when it is W (cut where the products cut W). */
export function sgd(theta: Float32Array, g: Float32Array, length: number, lr: number, l2: number, rowLength = 1): void {
  needArena(theta, g);
  // W's work in a minibatch of 32 windows is 32 multiply-adds a weight
  const e = rowLength > 1 && length % rowLength === 0 ? rowsOfW(length / rowLength, length * 32).map((j) => j * rowLength) : cut(length, threadsFor(length * 4), 4);
  runByRows(e, (o, o1) => ({ op: KERNEL.sgd32, args: [theta.byteOffset + o * 4, g.byteOffset + o * 4, o1 - o], reals: [lr, l2] }));
}

const GATHER_SCRATCH = 64; // scratch slot of gather's lists (slots below 64 are the threads')

/**
 * X's word blocks for a minibatch (float32): block k (m values at k·m) is word row src[k] — own row
 * src[k] (float64, rounded) when src[k] ≥ 0, near row −src[k] − 1 (float32) otherwise — then m − d casing
 * values, one-hot at cases[k]. Returns false, having done nothing, when the arrays are not in the arena.
 */
export function gatherInArena(X: Float32Array, own: Float64Array, near: Float32Array, src: Int32Array, cases: Int32Array, blocks: number, m: number, d: number): boolean {
  const L = arena();
  if (d % 4 !== 0 || m < d || X.buffer !== L.buffer || X.length < blocks * m || own.buffer !== L.buffer || near.buffer !== L.buffer) return false;
  const S = scratch(L, blocks * 8, GATHER_SCRATCH);
  if (S < 0) return false;
  new Int32Array(L.buffer, S, blocks).set(src.subarray(0, blocks));
  new Int32Array(L.buffer, S + blocks * 4, blocks).set(cases.subarray(0, blocks));
  L.k[KERNEL.gather32](X.byteOffset, own.byteOffset, near.byteOffset, S, S + blocks * 4, blocks, m, d);
  return true;
}
