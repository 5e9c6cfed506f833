// Reading the bytes of an embeddings file: a plain file or a gunzip stream, through one reusable buffer
// that the parsers scan in place (a window [pos, end) that fill() slides forward).

import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataError, NerError } from '../errors.js';


export interface ByteSource {
  read(buf: Buffer, offset: number, length: number): Promise<number>; // 0 at the end
  close(): void;
}

export function plainSource(file: string): ByteSource {
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

export function gzipSource(file: string): ByteSource {
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

export const BUFFER_BYTES = 8 << 20;
const MAX_BUFFER_BYTES = 256 << 20;

/** A window [pos, end) on the input; fill() slides it forward. `line` is the 1-based current line. */
export class ByteReader {
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
