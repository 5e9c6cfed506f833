// One guard for every path a command writes, checked before any work starts: a run that would destroy
// one of its inputs, write one file twice, write into installed packages, or fail to write at the end
// (a missing or read-only folder, a directory, a device, a full disk) is refused at once, not after
// minutes of training.
//
//   guardRun({
//     inputs:  [{ option: '--train', file: 't.conll' }, { option: '--model', file: 'm.json' }],
//     outputs: [{ option: '--output', file: 'm2.json', mkdir: true, bytes: 1 << 20 },
//               { option: '--report', file: 'r.html' }],
//   });
//
// Inputs: every file the run reads ('-' for stdin and undefined are skipped). Outputs: every file it
// writes. An output is refused when it is '' or '-' where a file is needed, the same file as an input
// or another output (same path, or same device and inode: a symlink or hard link counts), inside a
// node_modules folder (the default vectors live there), a directory or anything but a regular file,
// an existing file of another kind (with `replaces`: a model output never replaces the user's notes),
// in a missing folder (created instead with `mkdir: true`), or in a folder where a probe file of
// `bytes` bytes (default 64 KiB) cannot be written, flushed and removed (read-only, permission, full).

import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import { DEFAULT_EMBEDDINGS } from '../embeddings/embeddings.js';
import { writeErrorHint, writeErrorText } from './atomic.js';

export interface PathRole {
  /** The option or argument that named the file, for messages: '--output', '--report', 'checkpoint'. */
  option: string;
  file: string | undefined;
}

export interface OutputRole extends PathRole {
  /** Create a missing parent folder (mkdir -p) instead of refusing. */
  mkdir?: boolean;
  /** Size of the probe write (about the size the output will have, up to a few MB). */
  bytes?: number;
  /** An existing non-empty file is replaced only when its first 4 KiB match: a file of the kind this
   *  output writes (a model, a report), never the user's notes. Without it any file is replaced. */
  replaces?: RegExp;
}

export interface RunFiles {
  inputs: PathRole[];
  outputs: OutputRole[];
}

/** The device and inode of the file a path names (following symlinks), or undefined when there is none. */
export function fileIdentity(p: string): string | undefined {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Whether two paths name the same file: the same absolute path, or the same device and inode. */
export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  const ia = fileIdentity(a);
  return ia !== undefined && ia === fileIdentity(b);
}

/** The real path of `p`, resolving the symlinks of its longest existing prefix. */
function realPath(p: string): string {
  const abs = path.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

/** The folder of the default vectors package, when it is installed. */
function defaultVectorsFolder(): string | undefined {
  try {
    return path.dirname(fs.realpathSync(createRequire(import.meta.url).resolve(`${DEFAULT_EMBEDDINGS}/${DEFAULT_EMBEDDINGS}.json`)));
  } catch {
    return undefined;
  }
}

const other = (option: string, file: string) => {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const ext = path.extname(base);
  const renamed = `${base.slice(0, base.length - ext.length)}-2${ext}`;
  return `${option} ${dir === '.' ? renamed : path.join(dir, renamed)}`;
};

/** Refuses the run (a UsageError naming the option and the fix) when any output is unsafe to write. */
export function guardRun(files: RunFiles): void {
  const inputs = files.inputs.filter((i): i is { option: string; file: string } => i.file !== undefined && i.file !== '-');
  const outputs = files.outputs.filter((o) => o.file !== undefined) as (OutputRole & { file: string })[];
  const vectors = defaultVectorsFolder();
  outputs.forEach((o, k) => {
    const { option, file } = o;
    if (file.trim() === '' || file === '-') {
      throw new UsageError(`${option} ${JSON.stringify(file)}: expected a file name`, `e.g. ${option} ${option === '--report' ? 'report.html' : 'models/ner.json'}`);
    }
    for (const input of inputs) {
      if (sameFile(file, input.file)) {
        throw new UsageError(`${option} ${file} is also an input file (${input.option} ${input.file}); writing it would destroy the input`,
          `write to another file, e.g. ${other(option, file)}`);
      }
    }
    for (const o2 of outputs.slice(0, k)) {
      if (sameFile(file, o2.file)) {
        throw new UsageError(`${option} ${file} is also the ${o2.option} of this run; one would overwrite the other`,
          `give each output its own file, e.g. ${other(option, file)}`);
      }
    }
    const real = realPath(file);
    if (real.split(path.sep).includes('node_modules') || (vectors !== undefined && real.startsWith(vectors + path.sep))) {
      throw new UsageError(`${option} ${file} is inside node_modules${vectors !== undefined && real.startsWith(vectors + path.sep) ? ` (the default vectors ${DEFAULT_EMBEDDINGS})` : ''}, which npm manages; writing there would break installed packages`,
        `write to a folder of your own, e.g. ${option} models/${path.basename(file)}`);
    }
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) throw new UsageError(`${option} ${file} is a directory, expected a file name`, `e.g. ${option} ${path.join(file, option === '--report' ? 'report.html' : 'ner.json')}`);
    if (st && !st.isFile()) throw new UsageError(`${option} ${file} is not a regular file (a device, pipe or socket)`, `write to a file, e.g. ${option} models/ner.json`);
    if (st && st.size > 0 && o.replaces && !o.replaces.test(head(file))) {
      throw new UsageError(`${option} ${file} exists and is not a file this run writes (it does not look like one); replacing it would lose it`,
        `write to another file, e.g. ${other(option, file)}, or move that file away first`);
    }
    const dir = path.dirname(path.resolve(file));
    if (!fs.existsSync(dir)) {
      if (o.mkdir) {
        try {
          fs.mkdirSync(dir, { recursive: true });
        } catch (err) {
          throw new UsageError(`${option} ${file}: cannot create the folder ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
            writeErrorHint((err as NodeJS.ErrnoException).code) ?? 'choose a folder you can write to');
        }
      } else {
        throw new UsageError(`${option} ${file}: the directory ${path.dirname(file)} does not exist`, `create it first: mkdir -p ${path.dirname(file)}`);
      }
    } else if (!fs.statSync(dir).isDirectory()) {
      throw new UsageError(`${option} ${file}: ${path.dirname(file)} is not a directory`, 'choose a path inside a folder');
    }
    probeWrite(option, file, dir, o.bytes ?? 1 << 16);
  });
}

/** The first 4 KiB of a file as text ('' when it cannot be read). */
function head(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(4096);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes, flushes and removes a file of `bytes` bytes in `dir`: the write at the end of the run will then work. */
function probeWrite(option: string, file: string, dir: string, bytes: number): void {
  const probe = path.join(dir, `.ner-probe.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(probe, 'w', 0o600);
    const block = Buffer.alloc(Math.min(bytes, 1 << 20));
    for (let done = 0; done < bytes; ) done += fs.writeSync(fd, block, 0, Math.min(block.length, bytes - done));
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${file}: cannot write in ${path.dirname(file)} (${writeErrorText(code) ?? code ?? (err as Error).message})`,
      writeErrorHint(code) ?? 'choose a location you can write to');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(probe, { force: true });
  }
}
