// The matrix products of training in float32 WebAssembly SIMD (src/fast/kernels.wat), on arrays in the
// arena (arena.ts), split over the threads by rows of W (team.ts). They compute the lecture's formulas
// for a minibatch at once: z = Wx + b, ∂J/∂W += δ xᵀ, ∂J/∂x = Wᵀ δ, and the gather of x. The readable
// version of the same formulas is ../model/model.ts; test/fast.test.ts checks these against it.
//
// Every kernel adds in a fixed order, so the same inputs give bit-identical outputs on any number of
// threads. Arrays must lie in the arena (needArena says so clearly otherwise).

import { type FloatArray, KERNEL, arena, inWasmMemory, needArena, scratch, wasmAlloc32, wasmFree } from './arena.js';
import { type Part, cut, rowsOfW, runByRows, runParts, threadsFor } from './team.js';
import type { Subwords } from '../model/subword.js';

export type { FloatArray };

/** gemmXWt's first twelve arguments for rows j … j1 of W (the columns j … j1 of Z); E: X's hot list. */
function xwtArgs(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, B: number, n: number, M: number, j: number, j1: number, x: OneHotLayout, E: number): number[] {
  return [X.byteOffset, W.byteOffset + j * n * 4, b.byteOffset + j * 4, Z.byteOffset + j * 4, B, n, j1 - j, M, x.P, x.m, x.hot, E];
}

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). With X's one-hot layout x, its one-hot columns are read from
 *  their hot list E (hotList), not multiplied through. */
export function gemmXWt(X: Float32Array, W: Float32Array, b: Float32Array, Z: Float32Array, B: number, n: number, M: number, x = NO_ONE_HOT, E = hotList(X, B, n, x)): void {
  needArena(X, W, b, Z);
  runByRows(rowsOfW(M, B * n * M), (j, j1) => ({ op: KERNEL.gemmXWt32, args: xwtArgs(X, W, b, Z, B, n, M, j, j1, x, E), reals: [] }));
}

/** Z = X Wᵀ + b and H = tanh Z (float32 tanh, the tagger's: scorer.wat's $tanh4) in one pass per thread;
 *  E: X's hot list (hotList) for the layout x. */
export function gemmXWtTanh(X: Float32Array, W: Float32Array, b: Float32Array, Z: Float32Array, H: Float32Array, B: number, n: number, M: number, x = NO_ONE_HOT, E = hotList(X, B, n, x)): void {
  needArena(X, W, b, Z, H);
  runByRows(rowsOfW(M, B * n * M), (j, j1) => ({ op: KERNEL.gemmXWtTanh32, args: [...xwtArgs(X, W, b, Z, B, n, M, j, j1, x, E), H.byteOffset + j * 4], reals: [] }));
}

const HOT_LIST = 68; // scratch slot of X's hot list

/** Whether X laid out as x has one-hot columns (columns the products take from a hot list). */
function hasOneHot(x: OneHotLayout): boolean {
  return x.P > 0 && x.hot < x.m;
}

/**
 * The list of X's non-zero one-hot values (hotList32), made once a minibatch in the arena's scratch: the
 * forward and backward products read it instead of X's mostly zero one-hot columns. 0 when x has none.
 */
export function hotList(X: Float32Array, B: number, n: number, x: OneHotLayout): number {
  if (!hasOneHot(x)) return 0;
  const L = arena();
  const E = scratch(L, 4 * (B + 1) + 16 + 16 * B * x.P * (x.m - x.hot), HOT_LIST);
  if (E < 0) needArena(new Float32Array(0));
  L.k[KERNEL.hotList32](X.byteOffset, B, n, x.P, x.m, x.hot, E);
  return E;
}

/** The one-vs-rest scores S[i,k] = c_k + u_k · h_k (U: K×H, Hh: B×KH), on this thread. */
export function ovrScores(Hh: Float32Array, U: Float32Array, c: Float32Array, S: Float32Array, B: number, H: number, K: number): void {
  needArena(Hh, U, c, S);
  arena().k[KERNEL.ovrScores32](Hh.byteOffset, U.byteOffset, c.byteOffset, S.byteOffset, B, H, K);
}

/** How X's columns lie: P blocks of m columns, each block's columns `hot` … m one-hot features (mostly
 *  zero: the products skip their zeros, with the same values). NO_ONE_HOT: none. */
export interface OneHotLayout {
  P: number;
  m: number;
  hot: number;
}
export const NO_ONE_HOT: OneHotLayout = { P: 0, m: 0, hot: 0 };

/** Bytes of the scratch block gemmDtXCore32 (kernels.wat) takes for B windows of X laid out as `x`. */
export function dtxScratch(B: number, x: OneHotLayout): number {
  const nh = hasOneHot(x) ? x.P * (x.m - x.hot) : 0;
  return 28 * B + 16 + 16 * nh;
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. E: X's hot list for the layout x. */
export function gemmDtX(Delta: Float32Array, X: Float32Array, dW: Float32Array, db: Float32Array, B: number, n: number, M: number, x = NO_ONE_HOT, E = hotList(X, B, n, x)): void {
  needArena(Delta, X, dW, db);
  const L = arena();
  const e = rowsOfW(M, B * n * M);
  const S = e.slice(0, -1).map((_, t) => scratch(L, dtxScratch(B, x), t));
  if (!S.every((s) => s >= 0)) needArena(new Float32Array(0));
  const [d, xx, w, bb] = [Delta.byteOffset, X.byteOffset, dW.byteOffset, db.byteOffset];
  runByRows(e, (j, j1, t) => ({ op: KERNEL.gemmDtX32, args: [d + j * 4, xx, w + j * n * 4, bb + j * 4, B, n, j1 - j, S[t], M, x.P, x.m, x.hot, E], reals: [] }));
}

/**
 * dX (B×n) = Δ (B×M) · W (M×n), only for the column blocks [p·m, (p+1)·m) with need[i·P + p] set: the
 * block's columns [0, to) where need is 1, [from, to) where it is 2 (the block's other columns then hold
 * anything); other entries of dX are left untouched. `need` may live anywhere (it is copied into the arena).
 */
export function gemmDW(Delta: Float32Array, W: Float32Array, dX: Float32Array, B: number, n: number, M: number, need: Uint8Array, P: number, m: number, from = 0, to = m): void {
  needArena(Delta, W, dX);
  const [d, w] = [Delta.byteOffset, W.byteOffset];
  dXByHalves(M, B, n, P, m, need, from, to, dX.byteOffset, (r0, r1, into, list, mask) => ({ op: KERNEL.gemmDW32, args: [d + r0 * 4, w + r0 * n * 4, into, B, n, r1 - r0, mask, P, m, list, M, from, to], reals: [] }));
}

/** Bytes of the scratch blocks 0 and 1 dXByHalves takes: each a list of windows, then block 0 the mask
 *  and block 1 the second sum (laid out as dX). */
export function halvesScratch(B: number, n: number, P: number): [number, number] {
  const list = Math.ceil(((B + 2) * 4) / 64) * 64;
  return [list + B * P, list + B * n * 4];
}

/**
 * dX (B×n, at byte offset dX) = Δ[:, 0 … h) W[0 … h) + Δ[:, h … M) W[h … M) on the blocks `need` marks
 * (gemmDW's columns: [0, to) where need is 1, [from, to) where it is 2).
 * ∂J/∂x = Wᵀδ sums over all rows of W, so it is always these two sums (h = the middle of W in blocks of
 * four), added at the end, whether one thread computes them or two: the same values either way.
 * sum(r0, r1, into, list, mask) is the part that computes the sum over rows r0 … r1 into `into`. The
 * first goes straight into dX, the second into scratch, added to dX once both are done.
 */
export function dXByHalves(M: number, B: number, n: number, P: number, m: number, need: Uint8Array, from: number, to: number, dX: number, sum: (r0: number, r1: number, into: number, list: number, mask: number) => Part): void {
  if (!(0 <= from && from <= to && to <= m)) throw new RangeError(`∂J/∂x columns: need 0 ≤ from ≤ to ≤ m, got from ${from}, to ${to}, m ${m}`);
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
  if (h < M) L.k[KERNEL.addBlocks32](dX, second, mask, B, P, m, n, from, to);
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
 * src[k] (float64, rounded) when src[k] ≥ 0, near row −src[k] − 1 (float32) otherwise — then m − d zeros
 * but a 1 at column d + hot[k·Q + q] for each q < Q where that is ≥ 0 (the one-hot features). Returns
 * false, having done nothing, when the arrays are not in the arena.
 */
export function gatherInArena(X: Float32Array, own: Float64Array, near: Float32Array, src: Int32Array, hot: Int32Array, Q: number, blocks: number, m: number, d: number): boolean {
  const L = arena();
  if (d % 4 !== 0 || m < d || X.buffer !== L.buffer || X.length < blocks * m || own.buffer !== L.buffer || near.buffer !== L.buffer) return false;
  const S = scratch(L, blocks * 4 * (1 + Q), GATHER_SCRATCH);
  if (S < 0) return false;
  new Int32Array(L.buffer, S, blocks).set(src.subarray(0, blocks));
  new Int32Array(L.buffer, S + blocks * 4, blocks * Q).set(hot.subarray(0, blocks * Q));
  L.k[KERNEL.gather32](X.byteOffset, own.byteOffset, near.byteOffset, S, S + blocks * 4, blocks, m, d, Q);
  return true;
}

const SUBWORD_PACK = 66; // scratch slots of the subword kernels' pack and of the step's sums
const SUBWORD_SUMS = 67;

/** Where packSubwords put its lists (byte offsets in the arena) and how many words it found. */
export interface SubwordPack {
  U: number;
  word: number;
  first: number;
  span: number;
  rows: number;
}

/**
 * The n-gram rows of every word id a table has noted, laid end to end in the arena (rows), with each id's
 * place (at) and count (len) here: the kernels read a word's rows where they lie, so a minibatch's pack
 * holds only where they are. One table at a time (the one training works on); it follows sw.grams as
 * it grows (ids are only ever added, in insertion order).
 */
interface Flat {
  sw: Subwords;
  synced: number; // how many of sw.grams's entries are in rows
  at: Int32Array; // by word id
  len: Int32Array; // by word id (0: none, or never noted)
  rows: Float32Array; // arena block, read as int32s
  used: number;
  slot: Int32Array; // by word id: 1 + the word's number in the current pack (0 elsewhere)
}
let flat: Flat | null = null;

function flatFor(sw: Subwords): Flat | null {
  if (flat && flat.sw !== sw) releaseSubwordTable();
  flat ??= { sw, synced: 0, at: new Int32Array(0), len: new Int32Array(0), rows: new Float32Array(0), used: 0, slot: new Int32Array(0) };
  const f = flat;
  if (f.synced === sw.grams.size) return f;
  let maxId = f.at.length - 1;
  let need = f.used;
  let e = 0;
  for (const [id, rows] of sw.grams)
    if (e++ >= f.synced) {
      maxId = Math.max(maxId, id);
      need += rows.length;
    }
  if (maxId >= f.at.length) {
    const size = Math.max(maxId + 1, 2 * f.at.length);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    [f.at, f.len, f.slot] = [grow(f.at), grow(f.len), grow(f.slot)];
  }
  if (need > f.rows.length) {
    const rows = wasmAlloc32(Math.max(need, 2 * f.rows.length, 4096));
    if (!inWasmMemory(rows)) return null;
    rows.set(f.rows.subarray(0, f.used));
    wasmFree(f.rows);
    f.rows = rows;
  }
  const I = new Int32Array(f.rows.buffer, f.rows.byteOffset, f.rows.length);
  e = 0;
  for (const [id, rows] of sw.grams)
    if (e++ >= f.synced) {
      f.at[id] = f.used;
      f.len[id] = rows.length;
      I.set(rows, f.used);
      f.used += rows.length;
    }
  f.synced = sw.grams.size;
  return f;
}

/** Frees the arena block of the n-gram rows the subword kernels read (training calls it at its end). */
export function releaseSubwordTable(): void {
  if (flat) wasmFree(flat.rows);
  flat = null;
}

let packed: { sw: Subwords; ids: Int32Array; pack: SubwordPack } | null = null;

/**
 * The lists subwordMean32 and subwordStep32 read for blocks 0 … K) with word ids[k] (kernels.wat says
 * what they hold), in the arena's scratch; null when they do not fit. The words are numbered in the order
 * they first appear. With `reuse`, the last pack is returned when it was made for the same table and ids
 * (a minibatch's step reads its gather's pack).
 */
export function packSubwords(sw: Subwords, ids: Int32Array, K: number, reuse = false): SubwordPack | null {
  if (reuse && packed && packed.sw === sw && packed.ids.length === K && sameIds(packed.ids, ids, K)) return packed.pack;
  packed = null;
  const f = flatFor(sw);
  const L = arena();
  const S = f ? scratch(L, K * 16, SUBWORD_PACK) : -1;
  if (!f || S < 0) return null;
  const I = new Int32Array(L.buffer, S, K * 4); // word: K, then first: U, then span: 2U (U ≤ K)
  const { at, len, slot } = f;
  const n = at.length;
  let U = 0;
  for (let k = 0; k < K; k++) {
    const id = ids[k];
    if (id >= n || len[id] === 0) {
      I[k] = -1;
      continue;
    }
    if (slot[id] === 0) slot[id] = ++U;
    I[k] = slot[id] - 1;
  }
  for (let k = 0; k < K; k++) {
    const id = ids[k];
    if (id >= n || slot[id] === 0) continue;
    const v = slot[id] - 1;
    slot[id] = 0;
    I[K + v] = k;
    I[K + U + 2 * v] = at[id];
    I[K + U + 2 * v + 1] = at[id] + len[id];
  }
  const pack = { U, word: S, first: S + K * 4, span: S + (K + U) * 4, rows: f.rows.byteOffset };
  packed = { sw, ids: ids.slice(0, K), pack };
  return pack;
}

function sameIds(a: Int32Array, b: Int32Array, K: number): boolean {
  for (let k = 0; k < K; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * ch(w) of blocks 0 … K) (word ids[k]) into X at k·m + d, by subwordMean32: the values of subword.ts's
 * subwordVector. The ch(w) of blocks without n-grams must already be zero (gather32 leaves them so).
 * Returns false, having done nothing, when Z or X is not in the arena.
 */
export function subwordVectorsInArena(sw: Subwords, ids: Int32Array, K: number, X: Float32Array, m: number, d: number): boolean {
  const L = arena();
  if (!(sw.Z instanceof Float32Array) || sw.Z.buffer !== L.buffer || X.buffer !== L.buffer) return false;
  const p = packSubwords(sw, ids, K);
  if (!p) return false;
  L.k[KERNEL.subwordMean32](sw.Z.byteOffset, sw.D, X.byteOffset, m, d, K, p.U, p.word, p.first, p.span, p.rows);
  return true;
}

/** Scratch for subwordStep32's sums g_v (U·D float32s, padded to 16 bytes) and one word's step (D float64s), or −1. */
export function subwordSums(U: number, D: number): number {
  return scratch(arena(), Math.ceil((U * D) / 4) * 16 + D * 8, SUBWORD_SUMS);
}
