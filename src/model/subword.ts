// Subword vectors: what a word looks like, for the words no pretrained vector knows (and for the rest).
// Pure: no I/O.
//
// Each window position's block carries, after the word vector e(w), a vector of the word's character
// n-grams, fastText-style (Bojanowski et al. 2017):
//
//   ch(w) = (1/|G(w)|) Σ_{g ∈ G(w)} Z[hash(g) mod R]        ∈ R^D     Z: R×D, trained with the rest
//
// G(w) is the set of character n-grams (n = minn … maxn, counted in code points) of "<" + form + ">",
// where form is the token lowercased with its digits written 0 (the casing and shape features carry the
// capitals; "1996" and "2003" look alike). The boundary markers make the n-grams at the ends prefixes and
// suffixes ("<ber", "lin>"). Hashing (FNV-1a, 32-bit) into R rows keeps the table a fixed size whatever
// the vocabulary; collisions share a row.
//
// Gradient: x's block is [e(w); ch(w); …], so ∂J/∂ch(w) is that block's slice of ∂J/∂x = Wᵀδ, and
//   ∂J/∂Z[r] += (1/|G(w)|) ∂J/∂ch(w)   for every n-gram g of w with hash(g) mod R = r (once per occurrence).
// Z starts at zero: a word's ch(w) is zero until its n-grams have been trained, and rows that no training
// n-gram reaches stay zero.

/** The n-gram table and the word ids whose n-grams are known. */
export interface Subwords {
  D: number; // dimension of ch(w)
  R: number; // rows (hash buckets)
  minn: number;
  maxn: number;
  Z: Float32Array | Float64Array; // R×D (float32 in models; the gradient check works on a float64 copy)
  /** The row of each n-gram of a word id, once looked up (ids of tokens without any vector: see features.ts). */
  grams: Map<number, Int32Array>;
}

export function newSubwords(D: number, R: number, minn = 3, maxn = 5, Z?: Float32Array | Float64Array): Subwords {
  return { D, R, minn, maxn, Z: Z ?? new Float32Array(R * D), grams: new Map() };
}

/** The form whose n-grams a token has: lowercase, every decimal digit (any script) → '0'. */
export function formOf(token: string): string {
  return token.toLowerCase().replace(/\p{Nd}/gu, '0');
}

/** FNV-1a over the UTF-16 code units of s[from … to). */
function fnv1a(s: string, from = 0, to = s.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The table rows of form's n-grams (with repeats, so a repeated n-gram weighs more, as in fastText). */
export function ngramRows(sw: Pick<Subwords, 'R' | 'minn' | 'maxn'>, form: string): Int32Array {
  // each n-gram hashed where it stands in w (no string made per n-gram)
  const w = '<' + form + '>';
  const at: number[] = []; // where each code point starts in w
  for (let i = 0; i < w.length; i += (w.codePointAt(i)! > 0xffff ? 2 : 1)) at.push(i);
  at.push(w.length);
  const C = at.length - 1;
  const rows = new Int32Array(Math.max(0, sw.maxn - sw.minn + 1) * C);
  let r = 0;
  for (let n = sw.minn; n <= sw.maxn; n++) {
    for (let i = 0; i + n <= C; i++) rows[r++] = fnv1a(w, at[i], at[i + n]) % sw.R;
  }
  return rows.slice(0, r);
}

/** Records word id's n-grams (from the key it was found by, or the token) the first time it is seen. */
export function noteGrams(sw: Subwords, id: number, key: string): void {
  if (!sw.grams.has(id)) sw.grams.set(id, ngramRows(sw, formOf(key)));
}

const NONE = new Int32Array(0);

/** The n-gram rows of word id (none for the padding words and ids never noted). */
export function gramsOf(sw: Subwords, id: number): Int32Array {
  return sw.grams.get(id) ?? NONE;
}

/** out[o … o+D) = ch(w) of word id: the mean of its n-gram rows (zeros when it has none). Each column is
 *  summed over the rows in float64, in row order, then scaled: training's kernel (subwordMean32) does the
 *  same operations, so the tagger and the plain gather get its bits. */
export function subwordVector(sw: Subwords, id: number, out: Float32Array | Float64Array, o: number): void {
  const { Z, D } = sw;
  const rows = gramsOf(sw, id);
  const n = rows.length;
  const a = n > 0 ? 1 / n : 0;
  for (let j = 0; j < D; j++) {
    let s0 = 0;
    for (let g = 0; g < n; g++) s0 += Z[rows[g] * D + j];
    out[o + j] = s0 * a;
  }
}

/**
 * ∂J/∂Z from one block's ∂J/∂s (dx[o … o+D)): dZ[r] += dx / |G(w)| for each n-gram row r of word id.
 * Rows are zeroed when first touched since the last reset (mark), and listed in touched; returns the
 * new count of touched rows.
 */
export function scatterSubwordGrad(sw: Subwords, id: number, dx: Float64Array, o: number, dZ: Float64Array, mark: Uint8Array, touched: Int32Array, count: number): number {
  const rows = gramsOf(sw, id);
  if (rows.length === 0) return count;
  const D = sw.D;
  const a = 1 / rows.length;
  for (let g = 0; g < rows.length; g++) {
    const rr = rows[g];
    const r = rr * D;
    if (!mark[rr]) {
      mark[rr] = 1;
      touched[count++] = rr;
      dZ.fill(0, r, r + D);
    }
    for (let j = 0; j < D; j++) dZ[r + j] += a * dx[o + j];
  }
  return count;
}
