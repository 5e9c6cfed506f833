// Prediction without the big matrix product. W x splits by window position p into Σ_p W_p x_p, and x_p is
// a word vector plus a one-hot casing indicator, so
//
//   z = b + Σ_p ( W_p,word e(w_p) + W_p,case[:, case(w_p)] )
//
// The casing terms are columns of W (a table of (2w+1)·C vectors); the word terms depend only on the word
// and the position, so each distinct word's 2w+1 products are computed once and reused for every window it
// appears in. A token then costs (2w+1) cached vector additions instead of a GH × n product. Same model,
// same numbers up to float rounding (test/fast-scorer.test.ts); used for `ner tag`, `ner eval` and the dev
// score during training. Pure: no I/O.
//
// Work is done a chunk of windows at a time, in two steps:
//   plan     (one thread, bookkeeping only) decides for every token which entry of the store holds its
//            word's products, and which entries must be filled (from which word vector) before which window;
//   hidden   computes the fills and h = f(z) of every window for a range of hidden units [a, b). Units are
//            independent, so a second thread (tag-worker.ts) can do part of them at the same time; each
//            value is computed by the same instructions whoever does it, so the result does not depend on
//            the split. The output layer s = U h + c then runs on the whole of h.

import { type Encoded, blockSize, copyWordRow } from './features.js';
import { dot } from './kernels.js';
import { inWasmMemory, wasmAlloc, wasmFree } from './kernels-wasm.js';
import { type Activation, activate, groups, probabilities } from './model.js';
import type { NerModel } from './ner-model.js';

const PAD_CASE = 7; // features.ts CASINGS.indexOf('pad')

/** Windows per chunk: bounds the per-chunk buffers (h is CHUNK × GH) whatever the sentence length. */
export const CHUNK = 2048;

// The products live in one store of `capacity` entries of P × GH values, plus R spare entries at its end.
// slotOf[word id] is the word's entry, or −1: one array and an Int32Array instead of a Map of small
// arrays, so no per-word objects for the garbage collector, and a lookup is two array reads. Entries 0
// and 1 belong to the padding words <s> and </s> for good.
// Which words are kept: every word while there is room; once the store is full, a word is cached from
// its second occurrence on (one seen once never takes an entry), and an entry is freed by the "clock" of GCLOCK: every occurrence adds 1
// to the word's count (up to 255); a hand sweeps the entries, taking 1 from each count it passes, and
// frees the first entry whose count is 0, so the frequent words stay. An uncached token has its products
// computed into spare entry (token index mod R), which stays untouched while any window holds the token
// (R > 2w). The words of the last R tokens are never freed. Which words are cached changes the speed
// only: every product is computed by the same loop (fill()).

/** What the `hidden` step reads: shared with the worker thread (SharedArrayBuffers) when there is one. */
export interface Compute {
  P: number; // 2w + 1
  GH: number;
  n: number; // columns of W
  m: number; // block size of one window position in x
  d: number; // word vector size
  C: number; // casing slots per position (0 without casing)
  activation: Activation;
  W: Float64Array; // GH × n
  b: Float64Array; // GH
  caseTerms: Float64Array; // P × C × GH (empty without casing)
  store: Float64Array; // entries × P × GH: the per-word products
  // the plan of one chunk
  wo: Int32Array; // CHUNK × P: store offset of each window position's word products
  co: Int32Array; // CHUNK × P: caseTerms offset of each window position's casing column
  fillAt: Int32Array; // fills, in window order: the window before which entry fillEntry[f] is filled
  fillEntry: Int32Array; // store offset of the entry
  rows: Float64Array; // fills × d: the word vector of each fill
  Hout: Float64Array; // CHUNK × GH: h of every window
  // the output layer
  K: number;
  H: number;
  ovr: boolean;
  U: Float64Array; // K × H
  c: Float64Array; // K
  Sout: Float64Array; // CHUNK × K: the scores of every window
}

/** Allocates an array for a Compute: shared between threads when `shared`. */
function alloc<T extends Float64Array | Int32Array>(Type: { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number }, length: number, shared: boolean): T {
  const bytes = length * Type.BYTES_PER_ELEMENT;
  return new Type(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

/**
 * The `hidden` step for chunk windows [0, B) and hidden units [a, b): fills the planned entries (units
 * [a, b) of each) just before the first window that uses them, then Hout[i, j] = f(z_j) of window i.
 * Zloc: scratch of at least B × (b − a).
 */
export function hidden(c: Compute, B: number, nFills: number, a: number, b: number, Zloc: Float64Array): void {
  const { P, GH, n, m, d, W, store, wo, co, fillAt, fillEntry, rows, caseTerms } = c;
  const bias = c.b;
  const U = b - a;
  let f = 0;
  for (let i = 0; i < B; i++) {
    for (; f < nFills && fillAt[f] === i; f++) {
      const at = fillEntry[f];
      for (let p = 0; p < P; p++) products(W, n, p * m, rows, f * d, d, store, at + p * GH, a, b);
    }
    // z = b + Σ_p (word terms + casing terms), added in that order for every unit j
    const wi = i * P;
    const zo = i * U - a;
    if (c.C > 0 && P === 5) {
      // the usual window (w = 2) written out: the same additions in the same order, without the inner loop
      const w0 = wo[wi];
      const w1 = wo[wi + 1];
      const w2 = wo[wi + 2];
      const w3 = wo[wi + 3];
      const w4 = wo[wi + 4];
      const c0 = co[wi];
      const c1 = co[wi + 1];
      const c2 = co[wi + 2];
      const c3 = co[wi + 3];
      const c4 = co[wi + 4];
      for (let j = a; j < b; j++) {
        let acc = bias[j];
        acc += store[w0 + j];
        acc += caseTerms[c0 + j];
        acc += store[w1 + j];
        acc += caseTerms[c1 + j];
        acc += store[w2 + j];
        acc += caseTerms[c2 + j];
        acc += store[w3 + j];
        acc += caseTerms[c3 + j];
        acc += store[w4 + j];
        acc += caseTerms[c4 + j];
        Zloc[zo + j] = acc;
      }
    } else if (c.C > 0) {
      for (let j = a; j < b; j++) {
        let acc = bias[j];
        for (let p = 0; p < P; p++) {
          acc += store[wo[wi + p] + j];
          acc += caseTerms[co[wi + p] + j];
        }
        Zloc[zo + j] = acc;
      }
    } else {
      for (let j = a; j < b; j++) {
        let acc = bias[j];
        for (let p = 0; p < P; p++) acc += store[wo[wi + p] + j];
        Zloc[zo + j] = acc;
      }
    }
  }
  activate(c.activation, Zloc, Zloc, B * U);
  const { Hout } = c;
  for (let i = 0; i < B; i++) {
    const ho = i * GH;
    const zo = i * U - a;
    for (let j = a; j < b; j++) Hout[ho + j] = Zloc[zo + j];
  }
}

/** Sout[i, k] = s_k = c_k + U_k · h for chunk windows i ∈ [i0, i1) (ovr: u_k · h_k, group k's units); s: K scratch. */
export function scores(cm: Compute, i0: number, i1: number, s: Float64Array): void {
  const { K, H, GH, U, c, Hout, Sout } = cm;
  for (let i = i0; i < i1; i++) {
    const so = i * K;
    const ho = i * GH;
    if (cm.ovr) for (let k = 0; k < K; k++) Sout[so + k] = c[k] + dot(U, k * H, Hout, ho + k * H, H);
    else {
      products(U, H, 0, Hout, ho, H, s, 0, 0, K);
      for (let k = 0; k < K; k++) Sout[so + k] = c[k] + s[k];
    }
  }
}

/**
 * out[o + j] = W[j, c0 … c0+d) · e[eo … eo+d) for rows j ∈ [a, b): the word part of W's block for one
 * window position times a word vector. Each value is exactly kernels.ts dot() (four running sums,
 * ((s0 + s1) + (s2 + s3))); two rows are done at once so that e is loaded once for both.
 */
export function products(W: Float64Array, n: number, c0: number, e: Float64Array, eo: number, d: number, out: Float64Array, o: number, a: number, b: number): void {
  const d4 = d - (d % 4);
  let j = a;
  for (; j + 2 <= b; j += 2) {
    const r = j * n + c0;
    const q = r + n;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let t = 0;
    for (; t < d4; t += 4) {
      const e0 = e[eo + t];
      const e1 = e[eo + t + 1];
      const e2 = e[eo + t + 2];
      const e3 = e[eo + t + 3];
      a0 += W[r + t] * e0;
      a1 += W[r + t + 1] * e1;
      a2 += W[r + t + 2] * e2;
      a3 += W[r + t + 3] * e3;
      b0 += W[q + t] * e0;
      b1 += W[q + t + 1] * e1;
      b2 += W[q + t + 2] * e2;
      b3 += W[q + t + 3] * e3;
    }
    for (; t < d; t++) {
      a0 += W[r + t] * e[eo + t];
      b0 += W[q + t] * e[eo + t];
    }
    out[o + j] = a0 + a1 + (a2 + a3);
    out[o + j + 1] = b0 + b1 + (b2 + b3);
  }
  for (; j < b; j++) out[o + j] = dot(W, j * n + c0, e, eo, d);
}

// z of a chunk, in this thread's WebAssembly memory when there is room, so that activate() takes the
// SIMD tanh of kernels-wasm.ts (the one training uses: within a few ulps of Math.tanh, 3× faster) instead
// of Math.tanh. One buffer per thread, shared by every scorer of the thread (they run one at a time).
let zBuffer: Float64Array | null = null;

/** This thread's z scratch of at least `length` values. */
export function zScratch(length: number): Float64Array {
  if (zBuffer === null || zBuffer.length < length) {
    if (zBuffer !== null) wasmFree(zBuffer);
    zBuffer = wasmAlloc(length);
  }
  return zBuffer;
}

/** Whether this thread's z scratch takes the SIMD tanh (a helper thread must agree, or results would depend on the split). */
export function simdTanh(length: number): boolean {
  return inWasmMemory(zScratch(length));
}

/** Another thread that takes part of each chunk's work (tag-worker.ts implements it). */
export interface Helper {
  /** Whether it can take work now (false while it starts, or when its tanh is not this thread's). */
  ready(simd: boolean): boolean;
  /** Starts hidden(units [x, y)) of the planned chunk (op 1) or scores(windows [x, y)) (op 2). */
  start(op: 1 | 2, x: number, y: number, B: number, nFills: number): void;
  /** Waits until the started work is done (throws when the helper failed). */
  finish(): void;
}

export class WindowScorer {
  readonly compute: Compute;
  private readonly P: number;
  private readonly GH: number;
  private readonly R: number; // spare entries: token k uses spare entry k mod R
  private readonly capacity: number; // entries the budget allows (pads included)
  private used = 2; // entries taken (0 and 1: the padding words)
  private readonly padFilled = [false, false];
  private readonly slotOf: Int32Array; // word id → entry, or −1
  private readonly owner: Int32Array; // entry → word id
  private readonly count: Uint8Array; // word id → occurrences, saturating at 255, worn down by the clock
  private hand = 2; // the clock's next entry
  private readonly recent: Int32Array; // word ids of the last R tokens planned (never freed)
  private readonly tokEntry: Int32Array; // entry of each of the last R tokens planned (by index mod R)
  private nextTok = 0; // the next token to plan
  private nFills = 0;
  private readonly s: Float64Array; // K: U h of one window
  private helper: Helper | null = null;

  /** budgetBytes bounds the memory of the per-word products (default 64 MB); shared: the worker thread may read them. */
  constructor(
    private readonly model: NerModel,
    budgetBytes = 64 * 2 ** 20,
    shared = false,
  ) {
    const { dims, shape } = model;
    const P = 2 * shape.window + 1;
    const GH = groups(dims) * dims.H;
    const m = blockSize(shape);
    const d = shape.d;
    const n = dims.n;
    this.P = P;
    this.GH = GH;
    this.R = P + 1;
    const entry = P * GH;
    this.capacity = Math.max(16, Math.min(Math.floor(budgetBytes / (entry * 8)), Math.floor(2 ** 31 / entry) - this.R - 1));
    const words = model.words;
    const ids = words.keys.length + (words.emb ? words.emb.count : 0);
    this.slotOf = new Int32Array(ids).fill(-1);
    this.slotOf[0] = 0;
    this.slotOf[1] = 1;
    this.count = new Uint8Array(ids);
    this.owner = new Int32Array(this.capacity);
    this.owner[1] = 1;
    this.recent = new Int32Array(this.R).fill(-1);
    this.tokEntry = new Int32Array(this.R);
    this.s = new Float64Array(dims.K);
    const C = shape.useCasing ? m - d : 0;
    const W = alloc(Float64Array, GH * n, shared);
    W.set(model.params.W);
    const b = alloc(Float64Array, GH, shared);
    b.set(model.params.b);
    const caseTerms = alloc(Float64Array, P * C * GH, shared);
    for (let p = 0; p < P; p++)
      for (let c = 0; c < C; c++)
        for (let j = 0; j < GH; j++) caseTerms[(p * C + c) * GH + j] = W[j * n + p * m + d + c];
    const maxFills = CHUNK + 2 * this.R + 2;
    this.compute = {
      P,
      GH,
      n,
      m,
      d,
      C,
      activation: model.config.activation,
      W,
      b,
      caseTerms,
      // Allocated at full size at once: the operating system gives a large zeroed array its pages as they
      // are first written, so memory grows only as entries are filled (a short text uses little).
      store: alloc(Float64Array, (this.capacity + this.R) * entry, shared),
      wo: alloc(Int32Array, CHUNK * P, shared),
      co: alloc(Int32Array, CHUNK * P, shared),
      fillAt: alloc(Int32Array, maxFills, shared),
      fillEntry: alloc(Int32Array, maxFills, shared),
      rows: alloc(Float64Array, maxFills * d, shared),
      Hout: alloc(Float64Array, CHUNK * GH, shared),
      K: dims.K,
      H: dims.H,
      ovr: dims.head === 'ovr',
      U: alloc(Float64Array, dims.K * dims.H, shared),
      c: alloc(Float64Array, dims.K, shared),
      Sout: alloc(Float64Array, CHUNK * dims.K, shared),
    };
    this.compute.U.set(model.params.U);
    this.compute.c.set(model.params.c);
  }

  /** Lets another thread compute part of the hidden units of each chunk (null: this thread does all). */
  setHelper(helper: Helper | null): void {
    this.helper = helper;
  }

  /** Plans a fill of `entry` (store entry index) with word `id`'s products before chunk window `at`. */
  private addFill(at: number, entry: number, id: number): void {
    const f = this.nFills++;
    const c = this.compute;
    c.fillAt[f] = at;
    c.fillEntry[f] = entry * this.P * this.GH;
    copyWordRow(this.model.words, id, c.rows, f * c.d);
  }

  /** Plans token k (word id) when the first window holding it, chunk window `at`, is reached; returns its entry. */
  private planToken(id: number, k: number, at: number): number {
    const count = this.count;
    if (count[id] < 255) count[id]++;
    this.recent[k % this.R] = id;
    let slot = this.slotOf[id];
    if (slot >= 0) {
      if (id < 2 && !this.padFilled[id]) {
        this.padFilled[id] = true;
        this.addFill(at, slot, id);
      }
      return slot;
    }
    if (count[id] > 1 || this.used < this.capacity) {
      slot = this.used < this.capacity ? this.used++ : this.evict();
      if (slot >= 0) {
        this.slotOf[id] = slot;
        this.owner[slot] = id;
        this.addFill(at, slot, id);
        return slot;
      }
    }
    slot = this.capacity + (k % this.R);
    this.addFill(at, slot, id);
    return slot;
  }

  /** Frees an entry by the clock (see the top of the file) and returns it, or −1 when every entry is in use. */
  private evict(): number {
    const { count, owner, recent } = this;
    for (let steps = 0; steps < 256 * this.capacity + this.R; steps++) {
      const slot = this.hand;
      this.hand = this.hand + 1 < this.capacity ? this.hand + 1 : 2;
      const id = owner[slot];
      if (recent.includes(id)) continue;
      if (count[id] > 0) count[id]--;
      else {
        this.slotOf[id] = -1;
        return slot;
      }
    }
    return -1;
  }

  /** The padding word's entry (0: <s>, 1: </s>), filled before chunk window `at` the first time. */
  private padEntry(id: number, at: number): number {
    if (!this.padFilled[id]) {
      this.padFilled[id] = true;
      this.addFill(at, id, id);
    }
    return id;
  }

  /** The plan of windows [i0, i1) (see the top of the file); returns the number of fills. */
  private plan(enc: Encoded, i0: number, i1: number): number {
    const { P, GH, R } = this;
    const { wo, co } = this.compute;
    const C = this.compute.C;
    const w = (P - 1) / 2;
    const entry = P * GH;
    const { word, sentStart, sentEnd, caseId } = enc;
    this.nFills = 0;
    for (let i = i0; i < i1; i++) {
      const at = i - i0;
      const s0 = sentStart[i];
      const s1 = sentEnd[i];
      const last = Math.min(i + w, s1 - 1);
      for (; this.nextTok <= last; this.nextTok++) {
        const k = this.nextTok;
        this.tokEntry[k % R] = this.planToken(word[k], k, at);
      }
      for (let p = 0; p < P; p++) {
        const k = i + p - w;
        const e = k < s0 ? this.padEntry(0, at) : k >= s1 ? this.padEntry(1, at) : this.tokEntry[k % R];
        wo[at * P + p] = e * entry + p * GH;
        const cid = k < s0 || k >= s1 ? PAD_CASE : caseId[k];
        co[at * P + p] = (p * C + cid) * GH;
      }
    }
    return this.nFills;
  }

  /** Output probabilities (N × K) of every token of an encoded text. */
  probabilities(enc: Encoded, from = 0, to = enc.N): Float64Array {
    const { dims } = this.model;
    const K = dims.K;
    const GH = this.GH;
    const N = to - from;
    const Pout = new Float64Array(N * K);
    if (N <= 0) return Pout;
    const w = (this.P - 1) / 2;
    this.nextTok = Math.max(enc.sentStart[from], from - w);
    for (let i0 = from; i0 < to; i0 += CHUNK) {
      const i1 = Math.min(to, i0 + CHUNK);
      const B = i1 - i0;
      const nFills = this.plan(enc, i0, i1);
      const cm = this.compute;
      const Zloc = zScratch(CHUNK * GH);
      const helper = this.helper !== null && this.helper.ready(inWasmMemory(Zloc)) ? this.helper : null;
      if (helper !== null) {
        // the helper takes the upper half of the units, then the upper half of the windows
        const a = 2 * Math.floor(GH / 4);
        helper.start(1, a, GH, B, nFills);
        hidden(cm, B, nFills, 0, a, Zloc);
        helper.finish();
        const half = B >> 1;
        helper.start(2, half, B, B, nFills);
        scores(cm, 0, half, this.s);
        helper.finish();
      } else {
        hidden(cm, B, nFills, 0, GH, Zloc);
        scores(cm, 0, B, this.s);
      }
      Pout.set(cm.Sout.subarray(0, B * K), (i0 - from) * K);
    }
    probabilities(dims, Pout, N, Pout); // the scores S, in place
    return Pout;
  }
}
