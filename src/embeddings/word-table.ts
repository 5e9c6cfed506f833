import type { Embeddings } from './embeddings.js';

/**
 * Word → row for a table read from the cache, without first making 341k strings and a Map: on these
 * machines split + Map cost 0.2–0.5 s, as much as reading all the vectors. The words stay one
 * "\n"-joined string; an open-addressing hash table (FNV-1a over UTF-16 code units, linear probing,
 * at most half full) maps a token to its row, comparing the token against the text in place.
 */
export class WordTable {
  private constructor(
    private readonly text: string,
    private readonly starts: Int32Array, // word i is text[starts[i], starts[i+1] - 1)
    private readonly slots: Int32Array, // row + 1; 0 = empty
  ) {}

  /** `base` as Embeddings that look words up in this table, with `words` and `index` made on first use
   *  (find() does not need them). */
  embeddings(base: Omit<Embeddings, 'words' | 'index' | 'find'>): Embeddings {
    let words: string[] | undefined;
    let index: Map<string, number> | undefined;
    const emb = { ...base, find: (word: string) => this.get(word) } as Embeddings;
    Object.defineProperties(emb, {
      words: { enumerable: true, get: () => (words ??= this.words()) },
      index: { enumerable: true, get: () => (index ??= new Map(emb.words.map((w, i) => [w, i]))) },
    });
    return emb;
  }

  /**
   * The table of the n words of `text` ("\n"-joined). `utf8`: the same text as UTF-8 bytes (valid UTF-8,
   * as Buffer.from(text) makes it), when the caller has them. The words are hashed from the bytes, decoding
   * them to the UTF-16 code units get() hashes: a loop over a typed array runs before the optimiser has
   * looked at it about twice as fast as one over a string's characters, and this loop runs once (75 ms of
   * `ner tag`'s start-up with the default vectors). Then the rows are inserted, in row order.
   */
  static build(text: string, n: number, utf8: Uint8Array = Buffer.from(text, 'utf8')): WordTable | undefined {
    if (n < 1) return undefined;
    const starts = new Int32Array(n + 1);
    const hashes = new Int32Array(n);
    const b = utf8;
    let row = 0;
    let u = 0; // UTF-16 units so far
    let h = FNV_OFFSET;
    for (let i = 0; i < b.length; ) {
      const c = b[i];
      if (c === 10) {
        if (row === n - 1) return undefined; // more words than the header says
        hashes[row] = h;
        starts[++row] = ++u;
        h = FNV_OFFSET;
        i++;
      } else if (c < 0x80) {
        h = Math.imul(h ^ c, FNV_PRIME);
        u++;
        i++;
      } else {
        let cp: number;
        if (c >= 0xf0) {
          cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63);
          i += 4;
        } else if (c >= 0xe0) {
          cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
          i += 3;
        } else {
          cp = ((c & 31) << 6) | (b[i + 1] & 63);
          i += 2;
        }
        if (cp > 0xffff) {
          // a surrogate pair, as the string holds it
          cp -= 0x10000;
          h = Math.imul(h ^ (0xd800 + (cp >> 10)), FNV_PRIME);
          h = Math.imul(h ^ (0xdc00 + (cp & 1023)), FNV_PRIME);
          u += 2;
        } else {
          h = Math.imul(h ^ cp, FNV_PRIME);
          u++;
        }
      }
    }
    if (row !== n - 1 || u !== text.length) return undefined; // fewer words than the header says (or bytes that are not the text)
    hashes[row] = h;
    starts[n] = text.length + 1;
    let size = 2;
    while (size < 2 * n) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let r = 0; r < n; r++) {
      let at = hashes[r] & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = r + 1;
    }
    return new WordTable(text, starts, slots);
  }

  /** The row of `word`, or -1. */
  get(word: string): number {
    let h = FNV_OFFSET;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
    const mask = this.slots.length - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = this.slots[at];
      if (slot === 0) return -1;
      const s = this.starts[slot - 1];
      if (this.starts[slot] - 1 - s === word.length && this.text.startsWith(word, s)) return slot - 1;
    }
  }

  words(): string[] {
    return this.text.split('\n');
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
