// Writing files so that a crash or kill at any moment leaves either the old file or the new one, never a
// torn one: write a temporary file in the same directory, flush it to disk, then rename it over the target.
//
// A process killed mid-write (kill -9, power loss) leaves its temporary file `.<name>.<pid>.<time>.tmp`
// behind. The next write to the same target removes those whose process is gone, so at most one
// temporary file per target stays around between runs: the one of the last killed writer.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { NerError } from '../errors.js';

/** Writes `data` (a string, bytes, or byte parts written one after another, each made as it is written
 *  when they come from a generator) to `file` atomically. */
export function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<Uint8Array>): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) {
    throw new NerError(`cannot write ${file}: the directory ${dir} does not exist`, `create it first (mkdir -p ${dir}) or choose another path`);
  }
  const base = path.basename(file);
  removeStaleTemps(dir, base);
  const tmp = path.join(dir, `.${base}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    if (typeof data === 'string' || data instanceof Uint8Array) fs.writeFileSync(fd, data);
    else for (const part of data) writeAll(fd, part);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new NerError(`cannot write ${file}: it is a directory`, 'give a file name, e.g. models/ner.json');
    throw new NerError(`cannot write ${file}: ${writeErrorText(code) ?? (err as Error).message}`, writeErrorHint(code) ?? 'choose another location and try again');
  }
  syncDir(dir);
}

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
}

/** The temporary files that writers of `base` in `dir` left behind (any process). */
export function tempFilesOf(dir: string, base: string): string[] {
  const prefix = `.${base}.`;
  try {
    return fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && /^\d+\.\d+\.tmp$/.test(n.slice(prefix.length)));
  } catch {
    return [];
  }
}

/** Removes temporary files of `base` whose writing process no longer exists (it was killed mid-write). */
function removeStaleTemps(dir: string, base: string): void {
  for (const name of tempFilesOf(dir, base)) {
    const pid = Number(name.slice(base.length + 2).split('.')[0]);
    if (pid !== process.pid && !isAlive(pid)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Flushes the directory entry of the rename to disk, where the platform allows it (not on Windows). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort: the rename itself is already atomic
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What a failed write means and how to fix it, by error code. */
const WRITE_ERRORS: Record<string, [string, string]> = {
  EACCES: ['permission denied', 'choose a writable location, or make the folder writable (chmod u+w)'],
  EPERM: ['permission denied', 'choose a writable location, or make the folder writable (chmod u+w)'],
  EROFS: ['the file system is read-only', 'write to a folder on a writable disk, e.g. under your home folder'],
  ENOSPC: ['no space left on the device', 'free some disk space, or write to another disk'],
  EDQUOT: ['disk quota exceeded', 'free some space in your quota, or write to another disk'],
  EFBIG: ['the file is too large for this file system', 'write to a file system that holds large files (not FAT32), or make the output smaller'],
  ENAMETOOLONG: ['the file name is too long', 'choose a shorter name'],
  EIO: ['an input/output error on the device', 'check the disk, or write to another one'],
};

/** What a write that failed with `code` means, in words, or undefined for a code with no known meaning. */
export function writeErrorText(code: string | undefined): string | undefined {
  return code === undefined ? undefined : WRITE_ERRORS[code]?.[0];
}

/** The `fix:` line for a write that failed with `code`, or undefined for a code with no known fix. */
export function writeErrorHint(code: string | undefined): string | undefined {
  return code === undefined ? undefined : WRITE_ERRORS[code]?.[1];
}
