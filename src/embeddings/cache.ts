// Binary cache of parsed embeddings, so a 341k×100 table loads in a fraction of a second after the first
// run. One entry per vectors content: the file name carries the source's content key (fingerprint.ts
// sourceKey), so every clone or reinstall of the same vectors finds the same entry, in defaultCacheDir():
//
//   bytes 0..7     magic "NEREMBC\n"
//   bytes 8..11    uint32 LE: length H of the JSON header
//   bytes 12..     header JSON (format version, source key/name/path, d, n, offsets, checks, fingerprint)
//   wordsOffset    the words, UTF-8, joined by "\n"                     (4-byte aligned start)
//   vectorsOffset  n×d float32, row-major, host byte order (LE checked)  (4-byte aligned start)
//   checksOffset   n uint32: rowCheck of each row
//   unkOffset      d float32 (only when the source has an UNK vector)
//
// What is checked on use, and its cost: the header and the file's length; the words against a sha256 in
// the header (3.4 MB for the default vectors); every vector row against its 32-bit check when it is read
// (all n rows when read eagerly, each row on its first read when read on demand). A file damaged in place
// is then never used silently. Writes go to a temporary file in the same directory and are renamed into
// place, so readers (and a second process writing the same entry) never see half a file.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export const CACHE_FORMAT = 'ner-embeddings-cache';
export const CACHE_VERSION = 2;
const MAGIC = Buffer.from('NEREMBC\n', 'latin1');
const PREFIX = 'embeddings-';

/** Which table an entry holds: the vectors' content key, and the word cap it was read with (null: all words). */
export interface CacheKey {
  sourceKey: string;
  maxWords: number | null;
}

/** The parsed table, as written to a cache file. */
export interface CachedTable {
  d: number;
  words: string[];
  vectors: Float32Array; // n×d
  unk?: Float32Array; // d
  fingerprint: string;
}

/** A table read back from a cache file: the words stay one "\n"-joined string (see WordTable). */
export interface CacheHit {
  file: string;
  header: CacheHeader;
  d: number;
  n: number;
  wordsText: string; // the n words joined by "\n"
  wordsBytes: Buffer; // the same, UTF-8 (for WordTable.build)
  vectors: Float32Array; // n×d (empty when read lazily)
  /** Lazy reads: the open cache file, where its vectors start, and each row's check. */
  rows?: { fd: number; offset: number; checks: Uint32Array };
  unk?: Float32Array; // d
  fingerprint: string;
}

export interface CacheHeader {
  format: string;
  version: number;
  endianness: string;
  sourceKey: string;
  sourceName: string; // the source's file name (DEFAULT_EMBEDDINGS for the default package)
  sourcePath: string; // where the source was when the entry was written
  maxWords: number | null;
  d: number;
  n: number;
  wordsOffset: number;
  wordsBytes: number;
  wordsSha256: string;
  vectorsOffset: number;
  checksOffset: number;
  unkOffset: number | null;
  fingerprint: string;
}

/** $NER_CACHE_DIR, else $XDG_CACHE_HOME/ner, else ~/.cache/ner. */
export function defaultCacheDir(): string {
  const own = process.env.NER_CACHE_DIR;
  if (own) return path.resolve(own);
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg) return path.join(path.resolve(xdg), 'ner');
  return path.join(os.homedir(), '.cache', 'ner');
}

/**
 * The entry for a source: the one already holding its content (whatever the source's name was when it
 * was written), else a new one named by the source's name, its content key and the word cap.
 */
export function cacheFileFor(cacheDir: string, sourceName: string, key: CacheKey): string {
  const tail = `-${key.sourceKey}${key.maxWords === null ? '' : `-max${key.maxWords}`}.bin`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    // no cache directory yet
  }
  const existing = names.find((n) => n.startsWith(PREFIX) && n.endsWith(tail));
  const base = path.basename(sourceName).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return path.join(cacheDir, existing ?? `${PREFIX}${base}${tail}`);
}

/** 32-bit check of row `id` (d values from bits[at]): the row id is mixed in, so swapped rows fail too. */
export function rowCheck(bits: Int32Array, at: number, d: number, id: number): number {
  let h = Math.imul(id ^ 0x5bd1e995, 0x9e3779b1);
  for (let j = 0; j < d; j++) {
    h = Math.imul(h ^ bits[at + j], 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

const align4 = (n: number): number => (n + 3) & ~3;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The header of a cache file, or why it has none that this ner reads. Never throws for a bad file. */
export function readCacheHeader(file: string): { header: CacheHeader; bytes: number } | { miss: string } {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    return headerOf(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { miss: code === 'ENOENT' ? 'no cache yet' : `cache unreadable (${code ?? String(err)})` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function headerOf(fd: number): { header: CacheHeader; bytes: number } | { miss: string } {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(Math.min(size, 12));
  fs.readSync(fd, head, 0, head.length, 0);
  if (head.length < 12 || !head.subarray(0, 8).equals(MAGIC)) return { miss: 'cache file damaged (bad magic)' };
  const headerLength = head.readUInt32LE(8);
  if (12 + headerLength > size) return { miss: 'cache file damaged (short header)' };
  const headerBytes = Buffer.alloc(headerLength);
  fs.readSync(fd, headerBytes, 0, headerLength, 12);
  let h: CacheHeader;
  try {
    h = JSON.parse(headerBytes.toString('utf8')) as CacheHeader;
  } catch {
    return { miss: 'cache file damaged (bad header)' };
  }
  if (h.format !== CACHE_FORMAT || h.version !== CACHE_VERSION) return { miss: `cache format v${h.version} is not v${CACHE_VERSION}` };
  if (h.endianness !== os.endianness()) return { miss: 'cache written on a machine of other byte order' };
  const expected = h.unkOffset !== null ? h.unkOffset + h.d * 4 : h.checksOffset + h.n * 4;
  if (size !== expected || h.wordsOffset + h.wordsBytes > h.vectorsOffset || h.vectorsOffset + h.n * h.d * 4 !== h.checksOffset) {
    return { miss: `cache file damaged (${size} bytes, expected ${expected})` };
  }
  return { header: h, bytes: size };
}

/**
 * Reads a cache entry. Returns { hit } on a hit, or { miss: reason } when the file is absent, holds
 * other vectors than `key` says (when given), another format version, or is damaged. Never throws for
 * a bad cache. Eagerly every row is read and checked; lazily only the words and the checks, and the file
 * stays open so that rows can be read (and checked) when needed: `ner tag` then never holds the 137 MB
 * of vectors.
 */
export function readCache(file: string, key: CacheKey | undefined, lazy = false): { hit: CacheHit } | { miss: string } {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = headerOf(fd);
    if ('miss' in head) return head;
    const h = head.header;
    if (key !== undefined && (h.sourceKey !== key.sourceKey || h.maxWords !== key.maxWords)) return { miss: 'cache entry holds other vectors' };
    const words = readAt(fd, h.wordsOffset, h.wordsBytes);
    if (sha256(words) !== h.wordsSha256) return { miss: 'cache file damaged (word list)' };
    const checks = new Uint32Array(h.n);
    readInto(fd, new Uint8Array(checks.buffer), h.checksOffset);
    const unk = h.unkOffset !== null ? new Float32Array(readAt(fd, h.unkOffset, h.d * 4).buffer.slice(0)) : undefined;
    const base = { file, header: h, d: h.d, n: h.n, wordsText: words.toString('utf8'), wordsBytes: words, unk, fingerprint: h.fingerprint };
    if (lazy) {
      const hit: CacheHit = { ...base, vectors: new Float32Array(0), rows: { fd, offset: h.vectorsOffset, checks } };
      fd = undefined; // stays open for the rows
      return { hit };
    }
    const vectors = new Float32Array(h.n * h.d);
    if (readInto(fd, new Uint8Array(vectors.buffer), h.vectorsOffset) < vectors.byteLength) return { miss: 'cache file damaged (short read)' };
    const bits = new Int32Array(vectors.buffer);
    for (let i = 0; i < h.n; i++) {
      if (rowCheck(bits, i * h.d, h.d, i) !== checks[i]) return { miss: `cache file damaged (row ${i} does not match its check)` };
    }
    return { hit: { ...base, vectors } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { miss: code === 'ENOENT' ? 'no cache yet' : `cache unreadable (${code ?? String(err)})` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  readInto(fd, b, offset);
  return b;
}

/** Reads into all of `into` from `offset` (in pieces: one read returns at most 2 GiB); returns the bytes read. */
function readInto(fd: number, into: Uint8Array, offset: number): number {
  let done = 0;
  for (let k = 1; done < into.length && k > 0; done += k) k = fs.readSync(fd, into, done, Math.min(into.length - done, PIECE), offset + done);
  return done;
}

const PIECE = 1 << 30;

/** Where the entry's table came from, written into its header. */
export interface CacheSource extends CacheKey {
  sourceName: string;
  sourcePath: string;
}

/**
 * Writes the entry atomically (temporary file in the same directory, then rename), then removes the
 * entries that an earlier version of the same source file left (same path and cap, other content).
 * Throws on I/O failure.
 */
export function writeCache(file: string, source: CacheSource, table: CachedTable): void {
  const n = table.words.length;
  const d = table.d;
  const wordBytes = Buffer.from(table.words.join('\n'), 'utf8');
  const header: CacheHeader = {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    endianness: os.endianness(),
    sourceKey: source.sourceKey,
    sourceName: source.sourceName,
    sourcePath: source.sourcePath,
    maxWords: source.maxWords,
    d,
    n,
    wordsOffset: 0,
    wordsBytes: wordBytes.length,
    wordsSha256: sha256(wordBytes),
    vectorsOffset: 0,
    checksOffset: 0,
    unkOffset: null,
    fingerprint: table.fingerprint,
  };
  // The offsets depend on the header's own length: measure it with the widest possible offsets, so
  // the real (shorter or equal) header always fits in the space reserved.
  const widest = Number.MAX_SAFE_INTEGER;
  const reserved = Buffer.byteLength(JSON.stringify({ ...header, wordsOffset: widest, vectorsOffset: widest, checksOffset: widest, unkOffset: widest }));
  header.wordsOffset = align4(12 + reserved);
  header.vectorsOffset = align4(header.wordsOffset + wordBytes.length);
  header.checksOffset = header.vectorsOffset + n * d * 4;
  header.unkOffset = table.unk ? header.checksOffset + n * 4 : null;
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');

  const prefix = Buffer.alloc(header.wordsOffset);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 12);
  const gap = Buffer.alloc(header.vectorsOffset - header.wordsOffset - wordBytes.length);
  const bits = new Int32Array(table.vectors.buffer, table.vectors.byteOffset, n * d);
  const checks = new Uint32Array(n);
  for (let i = 0; i < n; i++) checks[i] = rowCheck(bits, i * d, d, i);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const parts: Uint8Array[] = [prefix, wordBytes, gap];
  const vectorBytes = new Uint8Array(table.vectors.buffer, table.vectors.byteOffset, n * d * 4);
  for (let at = 0; at < vectorBytes.length; at += PIECE) parts.push(vectorBytes.subarray(at, Math.min(vectorBytes.length, at + PIECE)));
  parts.push(new Uint8Array(checks.buffer));
  if (table.unk) parts.push(new Uint8Array(table.unk.buffer, table.unk.byteOffset, table.unk.byteLength));
  writeFileAtomic(file, parts);
  for (const e of listCache(path.dirname(file))) {
    const h = e.header;
    if (e.file !== file && h !== undefined && h.sourcePath === source.sourcePath && h.maxWords === source.maxWords && h.sourceKey !== source.sourceKey) removeEntry(e.file);
  }
}

/** Marks an entry as used now (its mtime is the "last use" that `ner cache` shows and cleans by). */
export function touchEntry(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // a read-only cache still works; only its last-use date stays old
  }
}

export function removeEntry(file: string): void {
  fs.rmSync(file, { force: true });
}

export interface CacheEntry {
  file: string;
  bytes: number;
  lastUsed: Date;
  header?: CacheHeader; // undefined: another format version or damaged (`problem` says which)
  problem?: string;
}

/** The entries of a cache directory (none when it does not exist), most recently used first. */
export function listCache(dir: string): CacheEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const entries: CacheEntry[] = [];
  for (const name of names) {
    if (!name.startsWith(PREFIX) || !name.endsWith('.bin')) continue;
    const file = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue; // removed meanwhile
    }
    const head = readCacheHeader(file);
    entries.push({ file, bytes: st.size, lastUsed: st.mtime, ...('header' in head ? { header: head.header } : { problem: head.miss }) });
  }
  return entries.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}

/** The entry holding the table with this fingerprint and dimension, if the cache has one. */
export function findByFingerprint(dir: string, fingerprint: string, d: number): string | undefined {
  return listCache(dir).find((e) => e.header?.fingerprint === fingerprint && e.header.d === d)?.file;
}
