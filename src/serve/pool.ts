// The tagging threads of `ner serve` (tag-thread.ts), one per core by default: the main thread reads
// requests and writes answers, the threads tokenize and tag. Each job goes to the thread with the least
// work waiting; a request of many texts is cut into one share per thread. Every thread holds the same
// model versions and the Tagger gives the same entities whatever its cache holds, so an answer never
// depends on the thread or on how many there are (test: the same answers with 1 and 2 threads).
//
// A thread that dies fails only the jobs it held (their requests answer 500); a new thread takes its
// place and loads the versions in use again.

import { Worker } from 'node:worker_threads';
import { NerError } from '../errors.js';
import type { FromThread, TextResult, ToThread } from './tag-thread.js';

interface Pending {
  resolve: (r: TextResult[]) => void;
  reject: (e: Error) => void;
  chars: number;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  chars: number; // text waiting in this thread: how its load is compared
  loads: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
}

/** A share of a request's texts smaller than this is not worth a second thread's hand-over. */
const SPLIT_CHARS = 16_384;

export class TagPool {
  private readonly slots: Slot[] = [];
  private readonly live = new Map<number, ToThread & { kind: 'load' }>(); // versions every thread must hold
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly embeddings: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  private spawn(i: number): Slot {
    const worker = new Worker(new URL('./tag-thread.js', import.meta.url), { workerData: { kind: 'ner-serve-tag-thread' } });
    const slot: Slot = { worker, pending: new Map(), chars: 0, loads: new Map() };
    worker.on('message', (m: FromThread) => this.receive(slot, m));
    worker.on('error', (err) => this.log(`tagging thread ${i} failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (this.closed) return;
      this.log(`tagging thread ${i} stopped (exit ${code}); starting a new one`);
      const failure = new Error(`the tagging thread stopped (exit ${code}) while tagging this request`);
      for (const p of slot.pending.values()) p.reject(failure);
      for (const l of slot.loads.values()) l.reject(failure);
      const next = this.spawn(i);
      this.slots[i] = next;
      for (const load of this.live.values()) this.post(next, load).catch(() => {});
    });
    return slot;
  }

  private receive(slot: Slot, m: FromThread): void {
    if (m.kind === 'loaded' || m.kind === 'load-failed') {
      const l = slot.loads.get(m.version);
      slot.loads.delete(m.version);
      if (m.kind === 'loaded') l?.resolve();
      else l?.reject(new NerError(m.message, m.hint));
      return;
    }
    const p = slot.pending.get(m.id);
    if (p === undefined) return;
    slot.pending.delete(m.id);
    slot.chars -= p.chars;
    if (m.kind === 'tagged') p.resolve(m.results);
    else p.reject(new Error(m.message));
  }

  private post(slot: Slot, load: ToThread & { kind: 'load' }): Promise<void> {
    return new Promise((resolve, reject) => {
      slot.loads.set(load.version, { resolve, reject });
      slot.worker.postMessage(load);
    });
  }

  /** Loads a model version (its file's text) in every thread; fails, leaving no thread holding it, if
   *  any thread cannot load it (the error of the first that could not). */
  async load(version: number, text: string, file: string): Promise<void> {
    const load: ToThread & { kind: 'load' } = { kind: 'load', version, text, file, embeddings: this.embeddings };
    const done = await Promise.allSettled(this.slots.map((s) => this.post(s, load)));
    const failed = done.find((d) => d.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      this.drop(version);
      throw failed.reason;
    }
    this.live.set(version, load);
  }

  /** Frees a version in every thread (after the jobs already sent on it). */
  drop(version: number): void {
    this.live.delete(version);
    for (const s of this.slots) s.worker.postMessage({ kind: 'drop', version } satisfies ToThread);
  }

  /** Tags texts on a version: one job, or one share per thread when the texts are many and long. */
  async tag(version: number, texts: string[], minProb: number): Promise<TextResult[]> {
    const chars = texts.reduce((a, t) => a + t.length, 0);
    const shares = texts.length > 1 && chars >= 2 * SPLIT_CHARS ? Math.min(this.size, texts.length, Math.floor(chars / SPLIT_CHARS)) : 1;
    if (shares === 1) return this.job(version, texts, minProb, chars);
    const jobs: Promise<TextResult[]>[] = [];
    let from = 0;
    let seen = 0;
    for (let k = 1; k <= shares; k++) {
      // contiguous shares of about equal text, so the answers stay in order when joined
      let to = from;
      let part = 0;
      while (to < texts.length && (k === shares || seen + part < (chars * k) / shares)) part += texts[to++].length;
      jobs.push(this.job(version, texts.slice(from, to), minProb, part));
      seen += part;
      from = to;
    }
    return (await Promise.all(jobs)).flat();
  }

  private job(version: number, texts: string[], minProb: number, chars: number): Promise<TextResult[]> {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.chars < slot.chars) slot = s;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, chars });
      slot.chars += chars;
      slot.worker.postMessage({ kind: 'tag', id, version, texts, minProb } satisfies ToThread);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
