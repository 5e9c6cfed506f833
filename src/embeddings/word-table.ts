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

  static build(text: string, n: number): WordTable | undefined {
    let size = 2;
    while (size < 2 * n) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    const starts = new Int32Array(n + 1);
    let row = 0;
    let start = 0;
    let h = FNV_OFFSET;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? text.charCodeAt(i) : 10;
      if (c !== 10) {
        h = Math.imul(h ^ c, FNV_PRIME);
        continue;
      }
      if (row === n) return undefined; // more words than the header says
      starts[row] = start;
      let at = h & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = row + 1;
      row++;
      start = i + 1;
      h = FNV_OFFSET;
    }
    if (row !== n) return undefined;
    starts[n] = text.length + 1;
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
