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
import { activate, groups, probabilities } from './model.js';
import type { NerModel } from './ner-model.js';

const PAD_CASE = 7; // features.ts CASINGS.indexOf('pad')

export class WindowScorer {
  private readonly P: number;
  private readonly GH: number;
  private readonly m: number;
  private readonly caseTerms: Float64Array | null; // P × C × GH
  private readonly cache = new Map<number, Float64Array>(); // word id → P × GH
  private readonly maxEntries: number;
  private readonly e: Float64Array; // a word vector
  private readonly spare: Float64Array; // products of a word that does not fit in the cache

  /** budgetBytes bounds the memory of the per-word products (default 64 MB). */
  constructor(
    private readonly model: NerModel,
    budgetBytes = 64 * 2 ** 20,
  ) {
    const { dims, shape } = model;
    this.P = 2 * shape.window + 1;
    this.GH = groups(dims) * dims.H;
    this.m = blockSize(shape);
    this.maxEntries = Math.max(16, Math.floor(budgetBytes / (this.P * this.GH * 8)));
    this.e = new Float64Array(shape.d);
    this.spare = new Float64Array(this.P * this.GH);
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

  /** The P × GH products W_p,word e(id) of one word (cached while the budget lasts). */
  private wordTerms(id: number): Float64Array {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const out = this.cache.size < this.maxEntries ? new Float64Array(this.P * this.GH) : this.spare;
    const { W } = this.model.params;
    const { n } = this.model.dims;
    const d = this.model.shape.d;
    const e = this.e;
    copyWordRow(this.model.words, id, e, 0);
    for (let p = 0; p < this.P; p++) {
      const c0 = p * this.m;
      for (let j = 0; j < this.GH; j++) {
        const wo = j * n + c0;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let t = 0;
        for (; t + 4 <= d; t += 4) {
          a0 += W[wo + t] * e[t];
          a1 += W[wo + t + 1] * e[t + 1];
          a2 += W[wo + t + 2] * e[t + 2];
          a3 += W[wo + t + 3] * e[t + 3];
        }
        for (; t < d; t++) a0 += W[wo + t] * e[t];
        out[p * this.GH + j] = a0 + a1 + (a2 + a3);
      }
    }
    if (out !== this.spare) this.cache.set(id, out);
    return out;
  }

  /** Output probabilities (N × K) of every token of an encoded text. */
  probabilities(enc: Encoded, from = 0, to = enc.N): Float64Array {
    const { dims, config } = this.model;
    const { b, U, c } = this.model.params;
    const { H, K } = dims;
    const GH = this.GH;
    const C = this.m - this.model.shape.d;
    const w = this.model.shape.window;
    const caseTerms = this.caseTerms;
    const N = to - from;
    const Pout = new Float64Array(N * K);
    const z = new Float64Array(GH);
    const h = new Float64Array(GH);
    const S = new Float64Array(K);
    const ovr = dims.head === 'ovr';
    const { sentStart, sentEnd, caseId } = enc;
    for (let i = from; i < to; i++) {
      for (let j = 0; j < GH; j++) z[j] = b[j];
      for (let p = -w; p <= w; p++) {
        const terms = this.wordTerms(neighbourWord(enc, i, p));
        const o = (p + w) * GH;
        for (let j = 0; j < GH; j++) z[j] += terms[o + j];
        if (caseTerms !== null) {
          const k = i + p;
          const cid = k < sentStart[i] || k >= sentEnd[i] ? PAD_CASE : caseId[k];
          const co = ((p + w) * C + cid) * GH;
          for (let j = 0; j < GH; j++) z[j] += caseTerms[co + j];
        }
      }
      activate(config.activation, z, h, GH);
      for (let k = 0; k < K; k++) {
        const ho = ovr ? k * H : 0;
        const uo = k * H;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let t = 0;
        for (; t + 4 <= H; t += 4) {
          a0 += U[uo + t] * h[ho + t];
          a1 += U[uo + t + 1] * h[ho + t + 1];
          a2 += U[uo + t + 2] * h[ho + t + 2];
          a3 += U[uo + t + 3] * h[ho + t + 3];
        }
        for (; t < H; t++) a0 += U[uo + t] * h[ho + t];
        S[k] = c[k] + (a0 + a1 + (a2 + a3));
      }
      probabilities(dims, S, 1, S);
      Pout.set(S, (i - from) * K);
    }
    return Pout;
  }
}
