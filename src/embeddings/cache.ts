// Binary cache of parsed embeddings, so a 341k×100 table loads in a fraction of a second after the
// first run. One file per source path, in defaultCacheDir():
//
//   bytes 0..7     magic "NEREMBC\n"
//   bytes 8..11    uint32 LE: length H of the JSON header
//   bytes 12..     header JSON (format version, source path/size/mtime, d, n, offsets, fingerprint)
//   wordsOffset    the words, UTF-8, joined by "\n"                     (4-byte aligned start)
//   vectorsOffset  n×d float32, row-major, host byte order (LE checked)  (4-byte aligned start)
//   unkOffset      d float32 (only when the source has an UNK vector)
//
// A cache is used only when version, byte order, source path, size and mtime all match; anything
// else (or a damaged file) is a miss and the caller rebuilds it. Writes go to a temporary file in the
// same directory and are renamed into place, so a reader never sees half a file.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export const CACHE_FORMAT = 'ner-embeddings-cache';
export const CACHE_VERSION = 1;
const MAGIC = Buffer.from('NEREMBC\n', 'latin1');

/** What a cache file must match to be valid for a source file. */
export interface CacheKey {
  sourcePath: string; // absolute path of the source file
  size: number;
  mtimeMs: number;
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
  d: number;
  n: number;
  wordsText: string; // the n words joined by "\n"
  vectors: Float32Array; // n×d, a view on the file's bytes (empty when read lazily)
  /** Lazy reads: the open cache file and where its vectors start; rows are read on demand. */
  rows?: { fd: number; offset: number };
  unk?: Float32Array; // d
  fingerprint: string;
}

interface CacheHeader {
  format: string;
  version: number;
  endianness: string;
  sourcePath: string;
  size: number;
  mtimeMs: number;
  d: number;
  n: number;
  wordsOffset: number;
  wordsBytes: number;
  vectorsOffset: number;
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

/** The cache file for a source: readable base name plus a hash of the absolute path. */
export function cacheFileFor(cacheDir: string, sourcePath: string): string {
  const base = path.basename(sourcePath).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  const h = createHash('sha1').update(sourcePath).digest('hex').slice(0, 12);
  return path.join(cacheDir, `embeddings-${base}-${h}.bin`);
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Reads a cache file. Returns { hit } on a hit, or { miss: reason } when the file is absent,
 * stale (source changed, other format version) or damaged. Never throws for a bad cache.
 */
export function readCache(file: string, key: CacheKey, lazy = false): { hit: CacheHit } | { miss: string } {
  // Eagerly the whole file is read; lazily only the header and the word list, and the file stays open
  // so that rows can be read when they are needed (`ner tag` then never holds the 137 MB of vectors).
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
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
    if (h.sourcePath !== key.sourcePath || h.size !== key.size || h.mtimeMs !== key.mtimeMs) {
      return { miss: 'source file changed since the cache was written' };
    }
    const vectorBytes = h.n * h.d * 4;
    const expectedLength = h.unkOffset !== null ? h.unkOffset + h.d * 4 : h.vectorsOffset + vectorBytes;
    if (size !== expectedLength || h.wordsOffset + h.wordsBytes > h.vectorsOffset) {
      return { miss: `cache file damaged (${size} bytes, expected ${expectedLength})` };
    }
    const readAt = (offset: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const k = fs.readSync(fd!, b, done, length - done, offset + done);
        if (k === 0) break;
        done += k;
      }
      return b;
    };
    const wordsText = readAt(h.wordsOffset, h.wordsBytes).toString('utf8');
    const unk = h.unkOffset !== null ? new Float32Array(readAt(h.unkOffset, h.d * 4).buffer.slice(0)) : undefined;
    if (lazy) {
      const hit: CacheHit = { d: h.d, n: h.n, wordsText, vectors: new Float32Array(0), unk, fingerprint: h.fingerprint, rows: { fd, offset: h.vectorsOffset } };
      fd = undefined; // stays open for the rows
      return { hit };
    }
    const vectors = new Float32Array(h.n * h.d);
    const into = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
    let done = 0;
    while (done < into.length) {
      const k = fs.readSync(fd, into, done, into.length - done, h.vectorsOffset + done);
      if (k === 0) return { miss: 'cache file damaged (short read)' };
      done += k;
    }
    return { hit: { d: h.d, n: h.n, wordsText, vectors, unk, fingerprint: h.fingerprint } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { miss: code === 'ENOENT' ? 'no cache yet' : `cache unreadable (${code ?? String(err)})` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}


/** Writes the cache atomically (temporary file in the same directory, then rename). Throws on I/O failure. */
export function writeCache(file: string, key: CacheKey, table: CachedTable): void {
  const n = table.words.length;
  const wordBytes = Buffer.from(table.words.join('\n'), 'utf8');
  const header: CacheHeader = {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    endianness: os.endianness(),
    sourcePath: key.sourcePath,
    size: key.size,
    mtimeMs: key.mtimeMs,
    d: table.d,
    n,
    wordsOffset: 0,
    wordsBytes: wordBytes.length,
    vectorsOffset: 0,
    unkOffset: null,
    fingerprint: table.fingerprint,
  };
  // The offsets depend on the header's own length: measure it with the widest possible offsets, so
  // the real (shorter or equal) header always fits in the space reserved.
  const widest = Number.MAX_SAFE_INTEGER;
  const reserved = Buffer.byteLength(JSON.stringify({ ...header, wordsOffset: widest, vectorsOffset: widest, unkOffset: widest }));
  header.wordsOffset = align4(12 + reserved);
  header.vectorsOffset = align4(header.wordsOffset + wordBytes.length);
  header.unkOffset = table.unk ? header.vectorsOffset + n * table.d * 4 : null;
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');

  const prefix = Buffer.alloc(header.wordsOffset);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 12);
  const gap = Buffer.alloc(header.vectorsOffset - header.wordsOffset - wordBytes.length);
  const vectorBytes = Buffer.from(table.vectors.buffer, table.vectors.byteOffset, table.vectors.byteLength);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const parts: Uint8Array[] = [prefix, wordBytes, gap, vectorBytes];
  if (table.unk) parts.push(Buffer.from(table.unk.buffer, table.unk.byteOffset, table.unk.byteLength));
  writeFileAtomic(file, parts);
}
