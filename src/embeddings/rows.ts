// The table a parser fills: the words in row order (a repeated word keeps its first row) and their
// vectors, and what a parser returns.

export interface Parsed {
  d: number;
  words: string[];
  index: Map<string, number>;
  vectors: Float32Array;
  unk?: Float32Array;
  duplicates: number;
  firstDuplicate?: { word: string; line: number };
}

/** The words read so far, in row order. A repeated word keeps its first row and is only counted. */
export class WordList {
  readonly words: string[] = [];
  readonly index = new Map<string, number>();
  duplicates = 0;
  firstDuplicate: { word: string; line: number } | undefined;

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** After its values were read: a new word takes the row just filled in `store`; a repeat is counted. */
  add(word: string, line: number, store: RowStore): void {
    if (!this.index.has(word)) {
      this.index.set(word, this.words.length);
      this.words.push(word);
      store.commit();
    } else {
      this.duplicates++;
      this.firstDuplicate ??= { word, line };
    }
  }
}

/** Rows of d floats, kept in blocks while the count is unknown; finish() gives one n×d array. */
export class RowStore {
  private readonly full: Float32Array[] = [];
  cur: Float32Array; // the block being filled
  private curRows = 0;
  private capRows: number;
  rows = 0;
  constructor(
    readonly d: number,
    hintRows: number,
    measured = false,
  ) {
    // A hint measured from the file (its line count) is trusted at any size; one it claims (a header, a
    // gzip estimate, a cap) up to 2^29 floats (2 GB): a lying header is caught at the end anyway.
    this.capRows = hintRows > 0 && (measured || hintRows * d <= 2 ** 29) ? hintRows : this.blockRows();
    this.cur = new Float32Array(this.capRows * d);
  }
  /** Offset in `cur` for the next row. */
  slot(): number {
    if (this.curRows === this.capRows) {
      this.full.push(this.cur);
      this.capRows = this.blockRows();
      this.cur = new Float32Array(this.capRows * this.d);
      this.curRows = 0;
    }
    return this.curRows * this.d;
  }
  /** Rows per block when the count is unknown: 16 MB blocks, so at most one block's worth is spare. */
  private blockRows(): number {
    return Math.max(1, Math.floor((4 << 20) / this.d));
  }
  commit(): void {
    this.curRows++;
    this.rows++;
  }
  finish(): Float32Array {
    const used = this.cur.subarray(0, this.curRows * this.d);
    if (this.full.length === 0) return this.curRows * 10 >= this.capRows * 9 ? used : used.slice();
    const all = new Float32Array(this.rows * this.d);
    let at = 0;
    for (const block of this.full) {
      all.set(block, at);
      at += block.length;
    }
    all.set(used, at);
    this.full.length = 0;
    return all;
  }
}
