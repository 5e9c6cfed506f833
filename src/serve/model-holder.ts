// The model `ner serve` answers with, swapped without a restart. A new model (the file changed, POST
// /reload, or a retrained one) is checked here and given its tagging threads while the old one keeps
// answering; only then does it become current. A request takes the current version when it
// starts and holds it until it ends, so requests in flight finish on the old model; the old version is
// freed when its last request ends. A bad new model is refused with a log line, and the old one stays.
// Swaps run one at a time.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, NerError } from '../errors.js';
import { parseModel, type ModelFile } from '../io/model-io.js';
import type { TagPool } from './pool.js';

export interface ModelVersion {
  id: number; // 1, 2, … in the order they were installed
  name: string; // model_version for the clients: the file's base name and its content's hash
  file: string;
  source: string; // where it came from: 'file', 'reload', 'watch', 'retrain'
  model: ModelFile;
  text: string; // the model file's text (the retrainer starts from its config)
  bytes: number;
  inflight: number;
}

/** model_version: the same file gives the same name in every run (Label Studio keys predictions by it). */
export function versionName(file: string, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `${path.basename(file).replace(/\.json$/, '')}-${hash}`;
}

export class ModelHolder {
  private cur!: ModelVersion;
  private nextId = 1;
  private swapping: Promise<unknown> = Promise.resolve();
  private watcher: (() => void) | null = null;

  constructor(
    readonly file: string,
    private readonly pool: TagPool,
    private readonly log: (line: string) => void,
  ) {}

  get current(): ModelVersion {
    return this.cur;
  }

  /** Loads the model file for the first time (a bad file fails the start). */
  async start(): Promise<ModelVersion> {
    return this.install(readText(this.file), this.file, 'file');
  }

  /** Installs a model given as the text of a model file; refuses (throws, old model kept) a bad one.
   *  The same text as the current model's is not loaded again. */
  install(text: string, file: string, source: string): Promise<ModelVersion> {
    const run = this.swapping.then(async () => {
      if (this.cur !== undefined && this.cur.text === text) return this.cur;
      const model = parseModel(text, file); // the file's own checks, before any thread is bothered
      const v: ModelVersion = { id: this.nextId++, name: versionName(file, text), file, source, model, text, bytes: Buffer.byteLength(text), inflight: 0 };
      await this.pool.load(v.id, model);
      const old = this.cur;
      this.cur = v;
      if (old !== undefined) {
        this.log(`model ${v.name} now serving (${source}; was ${old.name})`);
        if (old.inflight === 0) this.pool.drop(old.id);
      }
      return v;
    });
    this.swapping = run.catch(() => {});
    return run;
  }

  /** Reads the model file again and installs it if it changed; a bad file is logged and refused. */
  async reload(source: string): Promise<{ version: ModelVersion; changed: boolean }> {
    const before = this.cur;
    try {
      const v = await this.install(readText(this.file), this.file, source);
      return { version: v, changed: v !== before };
    } catch (err) {
      const e = err as NerError;
      this.log(`model reload refused (${source}): ${e.message}; still serving ${this.cur.name}`);
      throw err;
    }
  }

  /** The current version, held until release(): it is not freed while a request uses it. */
  acquire(): ModelVersion {
    this.cur.inflight++;
    return this.cur;
  }

  release(v: ModelVersion): void {
    v.inflight--;
    if (v.inflight === 0 && v !== this.cur) this.pool.drop(v.id);
  }

  /** Reloads when the file changes. Polls its status (fs.watchFile): an atomic save renames a new file
   *  over the old one, which fs.watch on the file itself stops seeing. */
  watch(intervalMs: number): void {
    const onChange = (now: fs.Stats, before: fs.Stats) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
      if (now.nlink === 0 && now.size === 0) return; // gone for a moment: wait for the new file
      this.reload('file changed').catch(() => {});
    };
    fs.watchFile(this.file, { interval: intervalMs, persistent: false }, onChange);
    this.watcher = () => fs.unwatchFile(this.file, onChange);
  }

  close(): void {
    this.watcher?.();
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'model file not found', `train one first: ner train --output ${file}`);
    if (code === 'EISDIR') throw new DataError(file, undefined, 'is a directory, expected a model file', 'pass e.g. models/ner.json');
    throw new DataError(file, undefined, `cannot read the model file (${code ?? (err as Error).message})`);
  }
}
