// Writing files so that a crash or kill at any moment leaves either the old file or the new one, never a
// torn one: write a temporary file in the same directory, flush it to disk, then rename it over the target.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { NerError } from './errors.js';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) {
    throw new NerError(`cannot write ${file}: the directory ${dir} does not exist`, `create it first (mkdir -p ${dir}) or choose another path`);
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new NerError(`cannot write ${file}: it is a directory`, 'give a file name, e.g. models/ner.json');
    if (code === 'EACCES' || code === 'EPERM') throw new NerError(`cannot write ${file}: permission denied`, 'choose a writable location');
    if (code === 'ENOSPC') throw new NerError(`cannot write ${file}: no space left on the device`, 'free some disk space');
    throw new NerError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
