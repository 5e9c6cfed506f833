// Two fingerprints of word vectors:
//   - fingerprintOf: of the parsed table (d, the words, the float32 values). A model records it, and a
//     model is joined only with the very table it was trained with.
//   - sourceKey: of a source file's bytes, cheap enough to take on every load; it names the cache entry,
//     so the same vectors share one entry wherever they are installed, and other vectors (a same-size
//     copy with its mtime kept, say) get their own.

import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** sha256 over d, n, the words joined by "\n" and the float32 bytes; the first 16 hex digits. */
export function fingerprintOf(d: number, words: string[], vectors: Float32Array): string {
  const h = createHash('sha256');
  h.update(`ner-embeddings\n${d}\n${words.length}\n`);
  h.update(words.join('\n'));
  // In pieces: one update() takes at most 2 GiB, and vectors may be larger.
  const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  for (let at = 0; at < bytes.length; at += HASH_PIECE) h.update(bytes.subarray(at, Math.min(bytes.length, at + HASH_PIECE)));
  return h.digest('hex').slice(0, 16);
}

const HASH_PIECE = 1 << 30;

/** Bytes hashed by sourceKey: the whole file up to SAMPLE_ALL, else SAMPLES blocks of SAMPLE_BYTES. */
const SAMPLE_ALL = 4 << 20;
const SAMPLES = 256;
const SAMPLE_BYTES = 4096;

/**
 * sha256 over the file's size and its bytes (all of a file up to 4 MiB; of a larger one, 256 blocks of
 * 4 KiB at evenly spaced offsets, the first and the last block included: 1 MiB read), first 16 hex digits.
 * Two copies of a file get the same key; a different vectors file of the same size differs in its very
 * first block. An edit inside one large file that changes no sampled byte keeps the key: the cache's own
 * row checks (cache.ts) are what guard its contents.
 */
export function sourceKey(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const h = createHash('sha256');
    h.update(`ner-source\n${size}\n`);
    const buf = Buffer.allocUnsafe(size <= SAMPLE_ALL ? Math.max(size, 1) : SAMPLE_BYTES);
    if (size <= SAMPLE_ALL) {
      h.update(buf.subarray(0, readFully(fd, buf, size, 0)));
    } else {
      const step = (size - SAMPLE_BYTES) / (SAMPLES - 1);
      for (let i = 0; i < SAMPLES; i++) h.update(buf.subarray(0, readFully(fd, buf, SAMPLE_BYTES, Math.round(i * step))));
    }
    return h.digest('hex').slice(0, 16);
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  for (let k = 1; done < length && k > 0; done += k) k = fs.readSync(fd, buf, done, length - done, position + done);
  return done;
}
