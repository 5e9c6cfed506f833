// From tokens to window vectors x: the word table (pretrained vectors plus the model's own rows), the
// casing feature, and the gather of x = [e(w−2); …; e(w+2)] for a minibatch. Pure: no I/O.
//
// Each window position contributes a block of m values: the word's vector e(w) (d), its subword vector
// ch(w) (D, optional: subword.ts), a one-hot casing indicator (C, optional) and any further one-hot
// groups (word shape, gazetteer matches: one class of each per token). With window size w there are 2w+1
// blocks, so n = (2w+1)·m. The word part [e(w); ch(w)] depends on the token only; the one-hot groups are
// columns of W that the tagger adds (predict/fast-scorer.ts).

import type { Embeddings } from '../embeddings/embeddings.js';
import { findWord } from '../embeddings/embeddings.js';
import type { FloatArray } from '../fast/kernels.js';
import { wasmAlloc32 } from '../fast/arena.js';
import { gatherInArena, subwordVectorsInArena } from '../fast/kernels.js';
import { type Subwords, noteGrams, subwordVector } from './subword.js';

// ── casing ──────────────────────────────────────────────────────────────────────────────────────
// The default vectors are lowercase only, so capitalisation has to come in as a feature.
export const CASINGS = ['lower', 'allcaps', 'initcap', 'numeric', 'hasdigit', 'mixed', 'other', 'pad'] as const;
export const C = CASINGS.length;
const PAD_CASE = CASINGS.indexOf('pad');

const [LOWER, ALLCAPS, INITCAP, NUMERIC, HASDIGIT, MIXED, OTHER] = [0, 1, 2, 3, 4, 5, 6];

export function casing(token: string): number {
  let upper = 0;
  let lower = 0;
  let digit = 0;
  for (const ch of token) {
    if (ch >= '0' && ch <= '9') digit++;
    else if (ch.toLowerCase() !== ch) upper++;
    else if (ch.toUpperCase() !== ch) lower++;
  }
  if (digit > 0) return /^[\d.,:/-]+$/.test(token) ? NUMERIC : HASDIGIT; // "1996-08-22" vs "F-16"
  if (upper + lower === 0) return OTHER; // punctuation, symbols
  if (upper === 0) return LOWER;
  if (lower === 0) return ALLCAPS; // "EU", "U.S.", "I"
  const first = token[0];
  if (first.toLowerCase() !== first && upper === 1) return INITCAP;
  return MIXED; // "McDonald", "iPhone"
}

// ── the word table ──────────────────────────────────────────────────────────────────────────────
// Row ids 0 … V−1 are the model's own trainable rows: <s>, </s>, <unk>, the frequent training words the
// pretrained vectors lack (numbers, "'s", "a", …) and, with fine-tuning, copies of the pretrained vectors
// of the training words. Ids V … V+|E|−1 are the pretrained vectors themselves (never changed).

export const PAD_START = '<s>';
export const PAD_END = '</s>';
export const UNK = '<unk>';

export interface WordTable {
  d: number;
  keys: string[]; // the model's own rows, by lookup key
  keyIndex: Map<string, number>;
  rows: Float64Array; // V×d
  emb: Embeddings | null;
  /** The n-gram table, when the model has subword vectors. Then every token without a vector of its own
   *  gets an id of its own (≥ V + |E|, by form, in `forms`) so that its ch(w) is its own. */
  sub?: Subwords;
  forms?: Map<string, number>;
  /** How many times `forms` was emptied (clearForms): each time the ids of the forms found nowhere start
   *  over, so whatever is kept by word id for those ids is stale. Absent: never. */
  formsCleared?: number;
  /** Training only (withNearRows): float32 copies of the pretrained rows a corpus uses, by slot[id − V]
   *  (or −1). Gathering windows then reads a few MB, not rows scattered over the whole table. */
  near?: { slot: Int32Array; rows: Float32Array };
}

export function newWordTable(d: number, keys: string[], rows: Float64Array, emb: Embeddings | null, sub?: Subwords): WordTable {
  return { d, keys, keyIndex: new Map(keys.map((k, i) => [k, i])), rows, emb, ...(sub ? { sub, forms: new Map() } : {}) };
}

/** The size of a word's part of a block: d, plus D with subword vectors. */
export function wordSize(t: { d: number; sub?: { D: number } }): number {
  return t.d + (t.sub ? t.sub.D : 0);
}

/** Every ASCII digit → '0' ("1996" → "0000", "F-16" → "F-00"). */
export function normaliseDigits(w: string): string {
  return w.replace(/[0-9]/g, '0');
}

/** The keys a token is looked up by, in order: exact → lowercase → digits normalised; then, for a token
 *  outside ASCII, the same three for its Unicode-normalised spelling (unicodeKey). */
export function lookupKeys(token: string): string[] {
  const keys = asciiKeys(token);
  if (isAscii(token)) return keys;
  const u = unicodeKey(token);
  for (const k of asciiKeys(u)) if (!keys.includes(k)) keys.push(k);
  const folded = foldAccents(u);
  for (const k of asciiKeys(folded)) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/** The word without the diacritics of the Latin, Greek and Cyrillic alphabets (U+0300–U+036F after NFD:
 *  "Bogotá" → "Bogota", "Björk" → "Bjork"), as English text often writes foreign names. The vowel signs of
 *  other scripts are letters' parts, in other blocks, and stay. */
export function foldAccents(w: string): string {
  return w.normalize('NFD').replace(/[\u0300-\u036f]/g, '').normalize('NFC');
}

function asciiKeys(token: string): string[] {
  const lower = token.toLowerCase();
  const digits = normaliseDigits(lower);
  const keys = [token];
  if (lower !== token) keys.push(lower);
  if (digits !== lower) keys.push(digits);
  return keys;
}

// Characters that never change a word: zero-width space, non-joiner and joiner, word joiner, byte order
// mark, soft hyphen. Pasted text carries them inside words ("Pa\u200dris"); vector files rarely do.
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/gu;

/**
 * A token's spelling as vector files write it: NFC (text may arrive decomposed, "Ngu\u0303gi\u0303"),
 * without invisible characters, and with the digits of any script as ASCII digits ("١٩٩٦" → "1996").
 * These keys come after the exact ones, so every token found before is found as before: a model file
 * tags the text it tagged the same way, and only tokens that were <unk> gain a row.
 */
export function unicodeKey(token: string): string {
  return token
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(/\p{Nd}/gu, (ch) => (ch >= '0' && ch <= '9' ? ch : String(digitValue(ch))));
}

/** The value 0–9 of a decimal digit of any script: Unicode encodes \p{Nd} in runs of ten, 0 to 9 (a few
 *  runs touch, as the five of mathematical digits do), so it is the distance from its run's start mod 10. */
function digitValue(ch: string): number {
  let c = ch.codePointAt(0)!;
  let n = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(c - 1))) {
    c--;
    n++;
  }
  return n % 10;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export type Found = 'model' | 'pretrained' | 'unk';

/** Row id of a token (model rows first at each step of the fallback chain) and where it was found. With
 *  subword vectors a token found nowhere gets the id of its form (its e(w) is <unk>'s row). */
export function wordId(t: WordTable, token: string): { id: number; found: Found } {
  for (const key of lookupKeys(token)) {
    const own = t.keyIndex.get(key);
    if (own !== undefined && own > 2) return { id: own, found: 'model', ...noted(t, own, key) };
    if (own !== undefined) return { id: own, found: 'unk' };
    const pre = t.emb ? findWord(t.emb, key) : -1;
    if (pre >= 0) return { id: t.keys.length + pre, found: 'pretrained', ...noted(t, t.keys.length + pre, key) };
  }
  if (!t.sub || !t.forms) return { id: 2, found: 'unk' };
  let id = t.forms.get(token);
  if (id === undefined) {
    id = firstFormId(t) + t.forms.size;
    t.forms.set(token, id);
    noteGrams(t.sub, id, token);
  }
  return { id, found: 'unk' };
}

/** Forgets the forms found nowhere and their n-grams (a tagger bounds its memory so, between batches):
 *  the next such forms take their ids again. */
export function clearForms(t: WordTable): void {
  if (!t.forms) return;
  for (const id of t.forms.values()) t.sub?.grams.delete(id);
  t.forms.clear();
  t.formsCleared = (t.formsCleared ?? 0) + 1;
}

function noted(t: WordTable, id: number, key: string): object {
  if (t.sub) noteGrams(t.sub, id, key);
  return {};
}

/** The first id of the tokens found nowhere (subword models): after the own and the pretrained rows. */
export function firstFormId(t: WordTable): number {
  return t.keys.length + (t.emb ? t.emb.count : 0);
}

/** Row id of a pretrained vector for a key, or −1 (no model rows consulted). */
export function pretrainedId(emb: Embeddings | null, token: string): number {
  if (!emb) return -1;
  for (const key of lookupKeys(token)) {
    const id = findWord(emb, key);
    if (id >= 0) return id;
  }
  return -1;
}

/** Copies word `id`'s part of a block into out[o … o + wordSize(t)): its row of the word table, then its
 *  subword vector ch(w) with subword vectors. */
export function copyWordRow(t: WordTable, id: number, out: FloatArray, o: number): void {
  const d = t.d;
  const V = t.keys.length;
  if (t.forms && id >= firstFormId(t)) copy(t.rows, 2 * d, out, o, d); // a form found nowhere: <unk>'s row
  else if (id < V) copy(t.rows, id * d, out, o, d);
  else if (t.near && t.near.slot[id - V] >= 0) copy(t.near.rows, t.near.slot[id - V] * d, out, o, d);
  else t.emb!.readRow(id - V, out, o);
  if (t.sub) subwordVector(t.sub, id, out, o + d);
}

function copy(from: FloatArray, f: number, to: FloatArray, o: number, d: number): void {
  for (let j = 0; j < d; j++) to[o + j] = from[f + j];
}

/**
 * The table with `near` copies of the pretrained rows that the encoded text uses (the same values), for
 * training. The copies live in the WebAssembly memory when they fit, where gather copies them with SIMD
 * (as it does the own rows, when those are there too: train.ts allocates them so).
 */
export function withNearRows(t: WordTable, e: Encoded): WordTable {
  if (!t.emb) return t;
  const V = t.keys.length;
  const slot = new Int32Array(t.emb.count).fill(-1);
  let used = 0;
  for (let i = 0; i < e.N; i++) if (e.word[i] >= V && e.word[i] < V + t.emb.count && slot[e.word[i] - V] < 0) slot[e.word[i] - V] = used++;
  const rows = wasmAlloc32(used * t.d);
  for (let id = 0; id < slot.length; id++) if (slot[id] >= 0) t.emb.readRow(id, rows, slot[id] * t.d);
  return { ...t, near: { slot, rows } };
}

// ── encoded text ────────────────────────────────────────────────────────────────────────────────

/** A one-hot feature of each window position beyond casing (word shape, gazetteer matches): `size`
 *  classes, the last of which ('pad') marks positions outside the sentence. */
export interface OneHot {
  name: string;
  size: number;
}

/** A OneHot with the rule that gives each token of a sentence its class (< size − 1). */
export interface TokenFeature extends OneHot {
  classes(sentence: string[]): ArrayLike<number>;
}

/** Sentences flattened: per token its word id, casing id and the class of each further one-hot group
 *  (feat: N × groups, token-major), and its sentence's [start, end). */
export interface Encoded {
  N: number;
  word: Int32Array;
  caseId: Int32Array;
  feat?: Int32Array;
  sentStart: Int32Array;
  sentEnd: Int32Array;
}

export function encode(t: WordTable, sentences: string[][], features: readonly TokenFeature[] = []): Encoded {
  let N = 0;
  for (const s of sentences) N += s.length;
  const e: Encoded = {
    N,
    word: new Int32Array(N),
    caseId: new Int32Array(N),
    sentStart: new Int32Array(N),
    sentEnd: new Int32Array(N),
  };
  let i = 0;
  for (const s of sentences) {
    const start = i;
    for (const tok of s) {
      e.word[i] = wordId(t, tok).id;
      e.caseId[i] = casing(tok);
      i++;
    }
    e.sentStart.fill(start, start, i);
    e.sentEnd.fill(i, start, i);
  }
  encodeFeatures(e, sentences, features);
  return e;
}

/** Fills e.feat with each group's classes of every token (nothing without groups). */
export function encodeFeatures(e: Encoded, sentences: string[][], features: readonly TokenFeature[]): void {
  const G = features.length;
  if (G === 0) return;
  const feat = new Int32Array(e.N * G);
  let i = 0;
  for (const s of sentences) {
    features.forEach((f, g) => {
      const c = f.classes(s);
      for (let k = 0; k < s.length; k++) feat[(i + k) * G + g] = c[k];
    });
    i += s.length;
  }
  e.feat = feat;
}

export interface WindowShape {
  window: number; // w: 2w+1 positions
  d: number;
  useCasing: boolean;
  sub?: number; // D: the subword vector's size (0 or absent: none)
  groups?: OneHot[]; // one-hot groups after casing
}

/** The one-hot columns of a block: casing's, then each group's. */
export function oneHotSize(s: WindowShape): number {
  return (s.useCasing ? C : 0) + (s.groups ?? []).reduce((a, g) => a + g.size, 0);
}

export function blockSize(s: WindowShape): number {
  return s.d + (s.sub ?? 0) + oneHotSize(s);
}

export function inputSize(s: WindowShape): number {
  return (2 * s.window + 1) * blockSize(s);
}

/** The word id at position p (−w … w) around token i, with the sentence padding ids. */
export function neighbourWord(e: Encoded, i: number, p: number, wordOverride?: Int32Array): number {
  const j = i + p;
  if (j < e.sentStart[i]) return 0; // <s>
  if (j >= e.sentEnd[i]) return 1; // </s>
  return wordOverride ? wordOverride[j] : e.word[j];
}

/**
 * The one-hot columns set for the block of position p around token i: their offsets within the block's
 * one-hot part, casing first (into out; returns how many).
 */
export function oneHotColumns(s: WindowShape, e: Encoded, i: number, p: number, out: Int32Array): number {
  const j = i + p;
  const pad = j < e.sentStart[i] || j >= e.sentEnd[i];
  let k = 0;
  let o = 0;
  if (s.useCasing) {
    out[k++] = pad ? PAD_CASE : e.caseId[j];
    o = C;
  }
  const groups = s.groups ?? [];
  for (let g = 0; g < groups.length; g++) {
    out[k++] = o + (pad ? groups[g].size - 1 : e.feat![j * groups.length + g]);
    o += groups[g].size;
  }
  return k;
}

/**
 * Gathers x for the windows centred on tokens idx[0 … B) into X (B×n), and records each block's word
 * id in ids (B×(2w+1)) and the word whose e(w) it holds in eIds (they differ where wordOverride drops a
 * word), so the backward pass can route ∂J/∂x to the right rows.
 */
export function gather(
  t: WordTable,
  s: WindowShape,
  e: Encoded,
  idx: ArrayLike<number>,
  B: number,
  X: FloatArray,
  ids: Int32Array,
  wordOverride?: Int32Array,
  eIds: Int32Array = ids,
): void {
  const w = s.window;
  const P = 2 * w + 1;
  const m = blockSize(s);
  const dw = s.d + (s.sub ?? 0); // the word part [e(w); ch(w)]
  const V = t.keys.length;
  const firstForm = firstFormId(t);
  const Q = (s.useCasing ? 1 : 0) + (s.groups?.length ?? 0); // one-hot groups
  if (src.length < B * P) src = new Int32Array(B * P);
  if (hot.length < B * P * Q) hot = new Int32Array(B * P * Q);
  // the word id and one-hot columns (after the word part) of every block; where each row comes from
  // (own: r ≥ 0, near: −slot − 1; a form found nowhere: <unk>'s own row)
  let fromNear = t.near !== undefined;
  for (let bi = 0; bi < B; bi++) {
    const i = idx[bi];
    for (let p = -w; p <= w; p++) {
      const k = bi * P + p + w;
      // word dropout swaps e(w) for <unk>'s row; ch(w) stays the word's, as for a word no vector knows
      const id = neighbourWord(e, i, p);
      const eid = wordOverride ? neighbourWord(e, i, p, wordOverride) : id;
      ids[k] = id;
      eIds[k] = eid;
      oneHotColumns(s, e, i, p, cols);
      for (let q = 0; q < Q; q++) hot[k * Q + q] = dw - s.d + cols[q];
      if (eid < V) src[k] = eid;
      else if (t.forms && eid >= firstForm) src[k] = 2;
      else {
        const slot = t.near ? t.near.slot[eid - V] : -1;
        if (slot < 0) fromNear = false; // not among the near rows: the plain copy below reads it
        src[k] = -slot - 1;
      }
    }
  }
  // the SIMD gather writes e(w) and zeros after it, with the one-hot columns set; ch(w) here
  if (fromNear && X instanceof Float32Array && gatherInArena(X, t.rows, t.near!.rows, src, hot, Q, B * P, m, s.d)) {
    if (t.sub && !subwordVectorsInArena(t.sub, ids, B * P, X, m, s.d)) subwordVectors(t.sub, ids, B * P, X, m, s.d);
    return;
  }
  for (let k = 0; k < B * P; k++) {
    const o = k * m;
    copyWordRow(t, eIds[k], X, o);
    if (t.sub && eIds[k] !== ids[k]) subwordVector(t.sub, ids[k], X, o + s.d);
    X.fill(0, o + dw, o + m);
    for (let q = 0; q < Q; q++) X[o + s.d + hot[k * Q + q]] = 1;
  }
}

const cols = new Int32Array(64); // one-hot columns of a block

/** ch(w) of blocks 0 … K) (word ids[k]) into X at k·m + d: each word's computed once, then copied. */
function subwordVectors(sw: Subwords, ids: Int32Array, K: number, X: FloatArray, m: number, d: number): void {
  const D = sw.D;
  seen.clear();
  for (let k = 0; k < K; k++) {
    const o = k * m + d;
    const first = seen.get(ids[k]);
    if (first === undefined) {
      seen.set(ids[k], o);
      subwordVector(sw, ids[k], X, o);
    } else X.copyWithin(o, first, first + D);
  }
}
const seen = new Map<number, number>(); // word id → where its ch(w) is in X

// gather's per-block scratch (grown as needed)
let src = new Int32Array(0);
let hot = new Int32Array(0);

/**
 * Routes ∂J/∂x back to the word table: for every window block whose word is one of the model's own rows
 * (id < V), dRows[id] += the block's word part of dX. Rows are zeroed when first touched in this call;
 * their ids are listed in `touched` (returns how many). dX: B×n, ids: B×(2w+1), dRows: V×d.
 */
export function scatterWordGrads(
  s: WindowShape,
  V: number,
  ids: Int32Array,
  dX: FloatArray,
  B: number,
  dRows: Float64Array,
  mark: Uint8Array,
  touched: Int32Array,
): number {
  const P = 2 * s.window + 1;
  const m = blockSize(s);
  const n = P * m;
  const d = s.d;
  let count = 0;
  for (let bi = 0; bi < B; bi++) {
    for (let p = 0; p < P; p++) {
      const id = ids[bi * P + p];
      if (id >= V) continue;
      const r = id * d;
      if (!mark[id]) {
        mark[id] = 1;
        touched[count++] = id;
        dRows.fill(0, r, r + d);
      }
      const o = bi * n + p * m;
      for (let j = 0; j < d; j++) dRows[r + j] += dX[o + j];
    }
  }
  for (let t = 0; t < count; t++) mark[touched[t]] = 0;
  return count;
}
