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

import { type Encoded, blockSize, copyWordRow, neighbourWord } from './features.js';
import { dot } from './kernels.js';
import { activate, groups, probabilities } from './model.js';
import type { NerModel } from './ner-model.js';

const PAD_CASE = 7; // features.ts CASINGS.indexOf('pad')

// The products live in one store of `capacity` entries of P × GH values, plus a spare entry at its end.
// slotOf[word id] is the word's entry, or −1: one array and an Int32Array instead of a Map of small
// arrays, so no per-word objects for the garbage collector, and a lookup is two array reads.
// Which words are kept: a word is cached from its second occurrence on (one seen once never takes an
// entry). Once the store is full, an entry is freed by the "clock" of GCLOCK: every occurrence adds 1
// to the word's count (up to 255); a hand sweeps the entries, taking 1 from each count it passes, and
// frees the first entry whose count is 0, so the frequent words stay. An uncached word has only the one
// product the window needs computed, into the spare entry's block for that position (a window's
// uncached words do not overwrite each other); the current window's words are never freed. Which words
// are cached changes the speed only: every product is computed by the same loop (product()).

export class WindowScorer {
  private readonly P: number;
  private readonly GH: number;
  private readonly m: number;
  private readonly caseTerms: Float64Array | null; // P × C × GH
  private readonly capacity: number; // entries the budget allows
  // (capacity + 1) × P × GH: the cached entries, then the spare one. Allocated at full size at once: the
  // operating system gives a large zeroed array its pages as they are first written, so memory grows
  // only as entries are filled (a short text uses little), and no copy is made as it fills.
  private readonly store: Float64Array;
  private used = 0; // entries filled
  private readonly slotOf: Int32Array; // word id → entry, or −1
  private readonly owner: Int32Array; // entry → word id
  private readonly count: Uint8Array; // word id → occurrences, saturating at 255, worn down by the clock
  private hand = 0; // the clock's next entry
  private readonly window: Int32Array; // the word ids of the window being scored (never freed)
  private readonly e: Float64Array; // a word vector

  /** budgetBytes bounds the memory of the per-word products (default 64 MB). */
  constructor(
    private readonly model: NerModel,
    budgetBytes = 64 * 2 ** 20,
  ) {
    const { dims, shape } = model;
    this.P = 2 * shape.window + 1;
    this.GH = groups(dims) * dims.H;
    this.m = blockSize(shape);
    const entry = this.P * this.GH;
    this.capacity = Math.max(16, Math.floor(budgetBytes / (entry * 8)));
    this.store = new Float64Array((this.capacity + 1) * entry);
    const words = model.words;
    const ids = words.keys.length + (words.emb ? words.emb.count : 0);
    this.slotOf = new Int32Array(ids).fill(-1);
    this.count = new Uint8Array(ids);
    this.owner = new Int32Array(this.capacity);
    this.window = new Int32Array(this.P).fill(-1);
    this.e = new Float64Array(shape.d);
    if (shape.useCasing) {
      const C = this.m - shape.d;
      const W = model.params.W;
      const n = dims.n;
      this.caseTerms = new Float64Array(this.P * C * this.GH);
      for (let p = 0; p < this.P; p++)
        for (let c = 0; c < C; c++)
          for (let j = 0; j < this.GH; j++) this.caseTerms[(p * C + c) * this.GH + j] = W[j * n + p * this.m + shape.d + c];
    } else this.caseTerms = null;
  }

  /**
   * Offset in this.store of W_p,word e(id) (GH values) for window position p: the word's cached entry,
   * made (with all P products) from its second occurrence on, or block p of the spare entry.
   */
  private blockAt(id: number, p: number): number {
    const count = this.count;
    if (count[id] < 255) count[id]++;
    const slot = this.slotOf[id];
    const entry = this.P * this.GH;
    if (slot >= 0) return slot * entry + p * this.GH;
    if (count[id] > 1) {
      let free = -1;
      if (this.used < this.capacity) free = this.used++;
      else free = this.evict();
      if (free >= 0) {
        this.slotOf[id] = free;
        this.owner[free] = id;
        const at = free * entry;
        for (let q = 0; q < this.P; q++) this.product(id, q, at + q * this.GH);
        return at + p * this.GH;
      }
    }
    const at = this.capacity * entry + p * this.GH;
    this.product(id, p, at);
    return at;
  }

  /** Frees an entry by the clock (see the top of the file) and returns it, or −1 when every entry is in the window. */
  private evict(): number {
    const { count, owner, window } = this;
    for (let steps = 0; steps < 256 * this.capacity + this.P; steps++) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.capacity;
      const id = owner[slot];
      if (window.includes(id)) continue;
      if (count[id] > 0) count[id]--;
      else {
        this.slotOf[id] = -1;
        return slot;
      }
    }
    return -1;
  }

  /** store[at … at+GH) = W_p,word e(id): the word part of W's block for window position p times the word's vector. */
  private product(id: number, p: number, at: number): void {
    const out = this.store;
    const { W } = this.model.params;
    const { n } = this.model.dims;
    const d = this.model.shape.d;
    const e = this.e;
    copyWordRow(this.model.words, id, e, 0);
    const c0 = p * this.m;
    for (let j = 0; j < this.GH; j++) {
      out[at + j] = dot(W, j * n + c0, e, 0, d);
    }
  }

  /** Output probabilities (N × K) of every token of an encoded text. */
  probabilities(enc: Encoded, from = 0, to = enc.N): Float64Array {
    const { dims, config } = this.model;
    const { b, U, c } = this.model.params;
    const { H, K } = dims;
    const GH = this.GH;
    const P = this.P;
    const C = this.m - this.model.shape.d;
    const w = this.model.shape.window;
    const caseTerms = this.caseTerms;
    const N = to - from;
    const Pout = new Float64Array(N * K);
    const z = new Float64Array(GH);
    const h = new Float64Array(GH);
    const wo = new Int32Array(P); // offsets of the window's word products in this.store
    const co = new Int32Array(P); // offsets of its casing columns in caseTerms
    const ovr = dims.head === 'ovr';
    const { sentStart, sentEnd, caseId } = enc;
    for (let i = from; i < to; i++) {
      const win = this.window;
      for (let p = 0; p < P; p++) win[p] = neighbourWord(enc, i, p - w);
      for (let p = 0; p < P; p++) {
        wo[p] = this.blockAt(win[p], p);
        const k = i + p - w;
        const cid = k < sentStart[i] || k >= sentEnd[i] ? PAD_CASE : caseId[k];
        co[p] = (p * C + cid) * GH;
      }
      const T = this.store;
      // z = b + Σ_p (word terms + casing terms), added in that order for every unit j
      if (caseTerms !== null) {
        for (let j = 0; j < GH; j++) {
          let a = b[j];
          for (let p = 0; p < P; p++) {
            a += T[wo[p] + j];
            a += caseTerms[co[p] + j];
          }
          z[j] = a;
        }
      } else {
        for (let j = 0; j < GH; j++) {
          let a = b[j];
          for (let p = 0; p < P; p++) a += T[wo[p] + j];
          z[j] = a;
        }
      }
      activate(config.activation, z, h, GH);
      const so = (i - from) * K;
      for (let k = 0; k < K; k++) {
        const ho = ovr ? k * H : 0;
        Pout[so + k] = c[k] + dot(U, k * H, h, ho, H);
      }
    }
    probabilities(dims, Pout, N, Pout); // the scores S, in place
    return Pout;
  }
}
