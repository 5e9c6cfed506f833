// Prediction without the big matrix product. W x splits by window position p into Σ_p W_p x_p, and x_p is
// the word's part [e(w_p); s(w_p)] (its vector, and its subword vector with subword models) plus one-hot
// indicators (casing, and any further groups), so
//
//   z = b + Σ_p ( W_p,word [e(w_p); s(w_p)] + Σ_{one-hot columns c set at p} W_p[:, c] )
//
// The one-hot terms are columns of W, summed once for each combination of classes met at a position and
// kept in a table (caseT); the word terms depend only on the word and the position, so each distinct
// word's 2w+1 products are computed once and reused for every window it appears in. A token then costs (2w+1) cached vector additions instead of a GH × n product. Used for
// `ner tag`, `ner eval` and the dev score during training. Pure: no I/O.
//
// Numbers: float32 (the model is trained in float32), every operation rounded to float32 in a fixed
// order, run by WebAssembly SIMD (src/fast/scorer.wat, through scorer-wasm.ts); the float32 tanh is the
// one training uses (kernels.wat's $tanh4f is the same instructions). The scores and probabilities are
// then float64.
//
// The scorer's arrays (Units) hold the products of the hidden units for every cached word, their columns
// of W, b, U and the casing terms, with the units padded to a multiple of 4 per group (zero weights, so
// zero h and no effect on s). S[i, k] = Σ_j U[k, j] h_j is float32, and s = c + S in float64.
//
// Work is done a chunk of windows at a time: the plan (this thread, bookkeeping only) decides for every
// token which entry of the store holds its word's products, and which entries must be filled (from which
// word vector) before which window; then scorer.wat fills those entries and computes h and S for every
// window of the chunk, in one call.

import { type Encoded, blockSize, copyWordRow, wordSize } from '../model/features.js';
import { inWasmMemory, wasmAlloc32, wasmFree, wasmMemoryUsage } from '../fast/arena.js';
import { NerError } from '../errors.js';
import { type Activation, groups, probabilities } from '../model/model.js';
import type { NerModel } from '../model/ner-model.js';
import { type ScorerKernels, scorerKernels } from '../fast/scorer-wasm.js';


const cols = new Int32Array(64); // the one-hot columns of a position

/** Windows per chunk: bounds the per-chunk buffers whatever the sentence length. */
export const CHUNK = 2048;

// The products live in a store of `capacity` entries (P × w values each), cut in segments of
// SEG entries that are allocated as the store fills up (a short text takes little memory, and nothing is
// zeroed for nothing), until the budget or the arena's free room is reached. slotOf[word id] is the
// word's entry, or −1. Entries 0 and 1 belong to the padding words <s> and </s> for good, entries
// 2 … R + 1 are spare entries, the rest hold cached words. Which words are kept: every word while there
// is room; then a sampled LFU: every occurrence adds 1 to the word's count (up to 255), and a word not in
// the store takes the entry of the least counted of the next SAMPLE entries a hand sweeps round, if that
// word has a lower count than it (so a word seen once never displaces one seen twice, and the frequent
// words stay; on the 1M-token benchmark with 7k entries for 18k words this computes 25% fewer products
// than the clock of GCLOCK). An uncached token has its products computed into spare entry
// 2 + (token index mod R), which stays untouched while any window holds the token (R > 2w). The words of
// the last R tokens are never displaced. Which words are cached changes the speed only: every product is
// computed the same way.
const SAMPLE = 4;
const SEG_SHIFT = 10; // SEG = 1024 entries a segment (scorer.wat's $entry has the same numbers)
const SEG = 1 << SEG_SHIFT;

/** The hidden units, padded: w units, a multiple of 4. */
export interface Units {
  w: number;
  WT: Float32Array; // P × d × w: W_p,word transposed
  bias: Float32Array; // w
  caseT: Float32Array; // combos × w: each combination's sum of one-hot columns of W (row 0: none, zero)
  rowOfUnit: Int32Array; // w: the row of W of each padded unit, or −1 (padding)
  segs: Float32Array[]; // the store's segments: SEG × P × w values each (the last one may be shorter)
  segTable: Int32Array; // the byte address of each segment (for scorer.wat)
  h: Float32Array; // w: h of the window being scored
  U: Float32Array; // K × w: U's weights (zero where s_k does not use a unit)
  kr: Int32Array; // K × 2: the units [lo, hi) that s_k uses
  S: Float32Array; // CHUNK × K: U h of each window
}

/** The plan of one chunk. */
export interface Plan {
  P: number; // 2w + 1
  d: number; // word vector size
  K: number;
  act: number; // the activation f: 0 tanh, 1 relu, 2 sigmoid (ACT_CODES)
  wo: Int32Array; // CHUNK × P: the store entry of each window position's word
  co: Int32Array; // CHUNK × P: the caseT row of each window position's one-hot columns
  fillAt: Int32Array; // fills, in window order: the window before which entry fillEntry[f] is filled
  fillEntry: Int32Array;
  rows: Float32Array; // fills × d: the word vector of each fill
}

/** The arguments of scorer.wat's `windows` for one chunk (byte offsets into the wasm memory). */
function windowsArgs(units: Units, pl: Plan, B: number, nFills: number): number[] {
  return [B, nFills, pl.P, units.w, pl.d, pl.K, units.WT.byteOffset, units.bias.byteOffset, units.caseT.byteOffset, units.segTable.byteOffset, pl.wo.byteOffset, pl.co.byteOffset, pl.fillAt.byteOffset, pl.fillEntry.byteOffset, pl.rows.byteOffset, units.h.byteOffset, units.U.byteOffset, units.kr.byteOffset, units.S.byteOffset, pl.act];
}

/** scorer.wat's codes of the activations. */
export const ACT_CODES: Record<Activation, number> = { tanh: 0, relu: 1, sigmoid: 2 };

// Arena left free for everything else (training's own arrays, the kernels' scratch) when the store is sized.
const ARENA_RESERVE = 2 * 2 ** 20;

// A scorer dropped without close() still returns its arena blocks, once the garbage collector takes it.
const freeOnCollect = new FinalizationRegistry<Float32Array[]>((blocks) => {
  for (const a of blocks) wasmFree(a);
});

export class WindowScorer {
  readonly units: Units;
  readonly plan: Plan;
  private readonly kernels: ScorerKernels;
  private readonly blocks: Float32Array[] = []; // the arena blocks to free on close()
  private readonly P: number;
  private readonly R: number; // spare entries: token k uses spare entry 2 + k mod R
  private readonly first: number; // the first entry for cached words (2 + R)
  capacity: number; // entries (pads and spares included); lowered if the arena cannot hold a new segment
  private used: number; // entries taken
  private readonly alloc: (length: number) => Float32Array;
  private readonly padFilled = [false, false];
  private slotOf: Int32Array; // word id → entry, or −1 (grown for the ids of forms found nowhere)
  private readonly ids: number; // the word ids of the own and pretrained rows
  private formsCleared = 0; // model.words.formsCleared when the store was started
  private readonly owner: Int32Array; // entry → word id
  private count: Uint8Array; // word id → occurrences, saturating at 255
  private hand: number; // the next entry to look at for displacing
  private readonly recent: Int32Array; // word ids of the last R tokens planned (never displaced)
  private readonly tokEntry: Int32Array; // entry of each of the last R tokens planned (by index mod R)
  private nextTok = 0; // the next token to plan
  private nFills = 0;
  // A position's one-hot classes (casing, then each group's class) are one number, their code in mixed
  // radix; (position p, code) has its caseT row at rowOf[p · codes + code], 0 until summed. Positions
  // outside the sentence have every group's last class ('pad'), so the code codes − 1.
  private readonly radix: number[]; // one-hot column count of each group (casing first)
  private readonly codes: number; // Π radix
  private readonly rowOf: Int32Array; // P × codes
  private readonly tokCode: Int32Array; // the code of each of the last R tokens planned (by index mod R)
  private nCombos = 0; // caseT rows in use after row 0
  private readonly comboCap: number; // caseT rows
  private readonly dw: number; // the word part's size: d (+ D with subword vectors)
  private readonly c: Float64Array; // K: the output biases
  /** Word products computed so far (a word's 2w+1 products count once). */
  fills = 0;

  /** budgetBytes bounds the memory of the per-word products (default 32 MB; less when the arena is fuller). */
  constructor(
    private readonly model: NerModel,
    budgetBytes = 32 * 2 ** 20,
  ) {
    const { dims, shape } = model;
    const P = 2 * shape.window + 1;
    const G = groups(dims);
    const H = dims.H;
    const K = dims.K;
    const Hp = Math.ceil(H / 4) * 4;
    const GHp = G * Hp;
    const m = blockSize(shape);
    const d = wordSize({ d: shape.d, sub: shape.sub ? { D: shape.sub } : undefined });
    const n = dims.n;
    this.dw = d;
    this.radix = [...(shape.useCasing ? [m - d - (shape.groups ?? []).reduce((a, g) => a + g.size, 0)] : []), ...(shape.groups ?? []).map((g) => g.size)];
    // every combination a position can meet, or as many as one chunk can need: a chunk stops early when the
    // table is full, and the next one starts it from empty (texts meet a few thousand combinations of
    // casing, shape and gazetteer classes, so it is seldom emptied)
    this.codes = this.radix.reduce((a, r) => a * r, 1);
    this.comboCap = 1 + Math.min(P * this.codes, CHUNK * P);
    this.rowOf = new Int32Array(P * this.codes);
    this.P = P;
    this.R = P + 1;
    this.first = 2 + this.R;
    this.used = this.first;
    this.hand = this.first;
    const alloc = (length: number): Float32Array => {
      const a = wasmAlloc32(length);
      this.blocks.push(a);
      return a;
    };
    const ints = (length: number): Int32Array => {
      const a = alloc(length);
      return new Int32Array(a.buffer, a.byteOffset, length);
    };
    const maxFills = CHUNK + 2 * this.R + 2;
    this.plan = { P, d, K, act: ACT_CODES[model.config.activation], wo: ints(CHUNK * P), co: ints(CHUNK * P), fillAt: ints(maxFills), fillEntry: ints(maxFills), rows: alloc(maxFills * d) };
    const { W, b, U } = model.params;
    const w = GHp;
    const units: Units = { w, WT: alloc(P * d * w), bias: alloc(w), caseT: alloc(this.comboCap * w), rowOfUnit: new Int32Array(w).fill(-1), segs: [], segTable: new Int32Array(0), h: alloc(w), U: alloc(K * w), kr: ints(2 * K), S: alloc(CHUNK * K) };
    for (let j = 0; j < w; j++) {
      if (j % Hp >= H) continue; // padding: zero weights
      const r = Math.floor(j / Hp) * H + (j % Hp); // the row of W of padded unit j
      units.rowOfUnit[j] = r;
      units.bias[j] = b[r];
      for (let p = 0; p < P; p++) for (let t = 0; t < d; t++) units.WT[(p * d + t) * w + j] = W[r * n + p * m + t];
    }
    units.caseT.fill(0, 0, w); // row 0: no one-hot column
    for (let k = 0; k < K; k++) {
      const lo = dims.head === 'ovr' ? k * Hp : 0; // the padded units s_k uses: [lo, lo + Hp)
      units.kr[2 * k] = lo;
      units.kr[2 * k + 1] = lo + Hp;
      for (let j = lo; j < lo + Hp; j++) if (j % Hp < H) units.U[k * w + j] = U[k * H + (j % Hp)];
    }
    this.units = units;
    // the store: as many entries as the budget and the arena's free room allow, segment 0 (the pads and
    // the spare entries) now, the others as they are needed
    const entryBytes = P * GHp * 4;
    const arena = wasmMemoryUsage();
    const room = arena.capacity > 0 ? Math.min(budgetBytes, arena.capacity - arena.used - ARENA_RESERVE) : budgetBytes;
    this.capacity = Math.max(this.first + 16, Math.min(Math.floor(room / entryBytes), 2 ** 24));
    this.units.segTable = ints(Math.ceil(this.capacity / SEG));
    this.alloc = alloc;
    this.addSegment(0);
    freeOnCollect.register(this, this.blocks, this);
    if (!this.blocks.every((a) => inWasmMemory(a))) {
      this.close();
      throw new NerError('the WebAssembly arena is too full to tag with this model', 'close the taggers no longer in use (Tagger.close)');
    }
    this.kernels = scorerKernels();
    const words = model.words;
    this.ids = words.keys.length + (words.emb ? words.emb.count : 0);
    [this.slotOf, this.count] = [new Int32Array(0), new Uint8Array(0)];
    this.owner = new Int32Array(this.capacity);
    this.recent = new Int32Array(this.R);
    this.forget();
    this.tokEntry = new Int32Array(this.R);
    this.tokCode = new Int32Array(this.R);
    this.c = Float64Array.from(model.params.c);
  }

  /** Allocates segment g of the store; false when it does not fit where the SIMD scorer can use it. */
  private addSegment(g: number): boolean {
    const entries = Math.min(SEG, this.capacity - g * SEG);
    const { units } = this;
    const seg = this.alloc(entries * this.P * units.w);
    units.segs[g] = seg;
    units.segTable[g] = seg.byteOffset;
    return inWasmMemory(seg);
  }

  /** Returns the scorer's arrays to the WebAssembly arena; the scorer must not be used afterwards. */
  close(): void {
    for (const a of this.blocks) wasmFree(a);
    this.blocks.length = 0;
    freeOnCollect.unregister(this);
  }

  /** Plans a fill of `entry` with word `id`'s products before chunk window `at`. */
  private addFill(at: number, entry: number, id: number): void {
    const f = this.nFills++;
    const pl = this.plan;
    pl.fillAt[f] = at;
    pl.fillEntry[f] = entry;
    copyWordRow(this.model.words, id, pl.rows, f * pl.d);
  }

  /** The code of token k's one-hot classes (see rowOf). */
  private classCode(enc: Encoded, k: number): number {
    const { radix } = this;
    const casing = this.model.shape.useCasing ? 1 : 0;
    const G = radix.length - casing;
    let code = casing ? enc.caseId[k] : 0;
    for (let g = 0; g < G; g++) code = code * radix[casing + g] + enc.feat![k * G + g];
    return code;
  }

  /** The caseT row of the classes `code` at position p, summing their columns of W into it the first time. */
  private comboRow(p: number, code: number): number {
    const key = p * this.codes + code;
    if (this.rowOf[key] > 0 || this.radix.length === 0) return this.rowOf[key];
    const row = ++this.nCombos;
    this.rowOf[key] = row;
    // the classes' columns (offsets after the word part), casing first
    const c = this.radix.length;
    for (let q = c - 1, rest = code, o = this.radix.reduce((a, r) => a + r, 0); q >= 0; q--) {
      o -= this.radix[q];
      cols[q] = o + (rest % this.radix[q]);
      rest = Math.floor(rest / this.radix[q]);
    }
    const { W } = this.model.params;
    const n = this.model.dims.n;
    const at = p * blockSize(this.model.shape) + this.dw;
    const { units } = this;
    for (let j = 0; j < units.w; j++) {
      const u = units.rowOfUnit[j];
      let v = 0;
      if (u >= 0) for (let q = 0; q < c; q++) v += W[u * n + at + cols[q]];
      units.caseT[row * units.w + j] = v;
    }
    return row;
  }

  /** Plans token k (word id) when the first window holding it, chunk window `at`, is reached; returns its entry. */
  private planToken(id: number, k: number, at: number): number {
    if (id >= this.slotOf.length) this.growIds(id);
    const count = this.count;
    if (count[id] < 255) count[id]++;
    this.recent[k % this.R] = id;
    let slot = this.slotOf[id];
    if (slot >= 0) {
      if (id < 2) return this.padEntry(id, at);
      return slot;
    }
    slot = this.used < this.capacity ? this.newEntry() : this.displace(count[id]);
    if (slot >= 0) {
      this.slotOf[id] = slot;
      this.owner[slot] = id;
      this.addFill(at, slot, id);
      return slot;
    }
    slot = 2 + (k % this.R);
    this.addFill(at, slot, id);
    return slot;
  }

  /** Empties the store (the pads' entries stay): the ids of forms found nowhere were given to other forms
   *  (features.ts clearForms), and slotOf and count shrink back to the own and pretrained rows. */
  private forget(): void {
    this.slotOf = new Int32Array(this.ids).fill(-1);
    this.slotOf[0] = 0;
    this.slotOf[1] = 1;
    this.count = new Uint8Array(this.ids);
    this.recent.fill(-1);
    this.used = this.first;
    this.hand = this.first;
    this.formsCleared = this.model.words.formsCleared ?? 0;
  }

  /** Room in slotOf and count for word ids up to id (the forms found nowhere get ids as they come). */
  private growIds(id: number): void {
    const size = Math.max(id + 1, Math.ceil(this.slotOf.length * 1.5));
    const slotOf = new Int32Array(size).fill(-1);
    slotOf.set(this.slotOf);
    const count = new Uint8Array(size);
    count.set(this.count);
    [this.slotOf, this.count] = [slotOf, count];
  }

  /** The next unused entry (allocating its segment when it starts one), or −1 when the arena is full. */
  private newEntry(): number {
    const e = this.used;
    if (e % SEG === 0 && !this.units.segs[e / SEG] && !this.addSegment(e / SEG)) {
      // the arena is full: the store ends here (the segment's block goes back)
      wasmFree(this.blocks.pop()!);
      this.capacity = e;
      return -1;
    }
    this.used++;
    return e;
  }

  /** Frees the least counted of the next SAMPLE entries if its count is below c (see the top of the file); returns it, or −1. */
  private displace(c: number): number {
    const { count, owner, recent } = this;
    let best = -1;
    let low = c;
    for (let seen = 0, steps = 0; seen < SAMPLE && steps < this.capacity && this.capacity > this.first; steps++) {
      const slot = this.hand;
      this.hand = this.hand + 1 < this.capacity ? this.hand + 1 : this.first;
      const id = owner[slot];
      if (recent.includes(id)) continue;
      seen++;
      if (count[id] < low) {
        low = count[id];
        best = slot;
      }
    }
    if (best >= 0) this.slotOf[owner[best]] = -1;
    return best;
  }

  /** The padding word's entry (0: <s>, 1: </s>), filled before chunk window `at` the first time. */
  private padEntry(id: number, at: number): number {
    if (!this.padFilled[id]) {
      this.padFilled[id] = true;
      this.addFill(at, id, id);
    }
    return id;
  }

  /** The plan of windows [i0, end), end ≤ i1 (see the top of the file): returns end, fills in nFills. */
  private planChunk(enc: Encoded, i0: number, i1: number): number {
    const { P, R } = this;
    const { wo, co } = this.plan;
    const w = (P - 1) / 2;
    const { word, sentStart, sentEnd } = enc;
    const { codes, rowOf, tokCode } = this;
    const everyCombo = this.comboCap > P * codes; // (a table that holds every combination is never emptied)
    this.nFills = 0;
    let end = i1;
    for (let i = i0; i < i1; i++) {
      if (!everyCombo && this.nCombos + P >= this.comboCap) {
        // window i might not find a free row: the chunk ends here, or the table starts over
        if (i > i0) {
          end = i;
          break;
        }
        rowOf.fill(0);
        this.nCombos = 0;
      }
      const at = i - i0;
      const s0 = sentStart[i];
      const s1 = sentEnd[i];
      const last = Math.min(i + w, s1 - 1);
      for (; this.nextTok <= last; this.nextTok++) {
        const k = this.nextTok;
        this.tokEntry[k % R] = this.planToken(word[k], k, at);
        tokCode[k % R] = this.classCode(enc, k);
      }
      for (let p = 0; p < P; p++) {
        const k = i + p - w;
        wo[at * P + p] = k < s0 ? this.padEntry(0, at) : k >= s1 ? this.padEntry(1, at) : this.tokEntry[k % R];
        const code = k < s0 || k >= s1 ? codes - 1 : tokCode[k % R];
        co[at * P + p] = rowOf[p * codes + code] || this.comboRow(p, code);
      }
    }
    this.fills += this.nFills;
    return end;
  }

  /** Output probabilities (N × K) of every token of an encoded text, or of tokens [from, to): in `into`'s
   *  first N × K values when it is given (it must hold that many), else in a new array. */
  probabilities(enc: Encoded, from = 0, to = enc.N, into?: Float64Array): Float64Array {
    const { dims } = this.model;
    const K = dims.K;
    const N = to - from;
    if (into && into.length < N * K) throw new RangeError(`probabilities: ${into.length} values cannot hold ${N} × ${K}`);
    const Pout = into ? into.subarray(0, Math.max(N, 0) * K) : new Float64Array(Math.max(N, 0) * K);
    if (N <= 0) return Pout;
    const w = (this.P - 1) / 2;
    if ((this.model.words.formsCleared ?? 0) !== this.formsCleared) this.forget();
    this.nextTok = Math.max(enc.sentStart[from], from - w);
    const { c, kernels, plan, units } = this;
    for (let i0 = from, i1 = from; i0 < to; i0 = i1) {
      i1 = this.planChunk(enc, i0, Math.min(to, i0 + CHUNK));
      const B = i1 - i0;
      kernels.windows(...windowsArgs(units, plan, B, this.nFills));
      const S = units.S;
      const o = (i0 - from) * K;
      for (let i = 0; i < B * K; i += K) for (let k = 0; k < K; k++) Pout[o + i + k] = c[k] + S[i + k];
      const chunk = Pout.subarray(o, o + B * K);
      probabilities(dims, chunk, B, chunk); // from the scores, in place (while they are in the cache)
    }
    return Pout;
  }
}
