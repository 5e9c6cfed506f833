// The tagging threads of `ner serve` (tag-thread.ts), one per core by default: the main thread reads
// requests and writes answers, the threads tokenize and tag. A request's work is cut into jobs (tag());
// each goes to the thread with the least work waiting. Every thread holds the same
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

/** About 5,000 tokens of text: a job's hand-over costs little next to it, and a short request waits
 *  for at most one such job in a thread. */
const JOB_CHARS = 32_768;

/** A piece of a request's text `of`, starting at offset `at` in it. */
interface Piece {
  of: number;
  at: number;
  text: string;
}

/** The texts cut into pieces (a long text at line breaks) and grouped into jobs of about JOB_CHARS, in
 *  order. Depends on the texts only, never on the number of threads. */
export function jobsOf(texts: string[]): Piece[][] {
  const jobs: Piece[][] = [];
  let cur: Piece[] = [];
  let size = 0;
  const add = (p: Piece) => {
    if (size > 0 && size + p.text.length > JOB_CHARS) {
      jobs.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += p.text.length;
  };
  texts.forEach((text, of) => {
    let at = 0;
    while (text.length - at > JOB_CHARS) {
      // the last line break in the next JOB_CHARS, else the first after them; none: the rest is one piece
      let cut = text.lastIndexOf('\n', at + JOB_CHARS);
      if (cut <= at) cut = text.indexOf('\n', at + JOB_CHARS);
      if (cut < 0) break;
      add({ of, at, text: text.slice(at, cut + 1) });
      at = cut + 1;
    }
    add({ of, at, text: at === 0 ? text : text.slice(at) });
  });
  if (cur.length > 0) jobs.push(cur);
  return jobs;
}

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

  /**
   * Tags texts on a version. The work is cut into jobs of about JOB_CHARS: short texts are grouped, a
   * long text is cut at line breaks (where the tokenizer always ends a sentence, so the pieces give the
   * entities of the whole, their offsets moved by where each piece starts). A request has at most one
   * job per thread at a time, so a short request is never queued behind all of a long one, and a model
   * swap completes between two of a long request's jobs (which go on with the version they started on).
   */
  async tag(version: number, texts: string[], minProb: number): Promise<TextResult[]> {
    const jobs = jobsOf(texts);
    const answers: TextResult[][] = new Array(jobs.length);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const j = next++;
        const chars = jobs[j].reduce((a, p) => a + p.text.length, 0);
        answers[j] = await this.job(version, jobs[j].map((p) => p.text), minProb, chars);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.size, jobs.length) }, lane));
    // joined in the order of the pieces, whatever order the jobs ended in
    const results: TextResult[] = texts.map(() => ({ entities: [], tokens: 0 }));
    jobs.forEach((pieces, j) => pieces.forEach((p, k) => {
      const r = results[p.of];
      r.tokens += answers[j][k].tokens;
      for (const e of answers[j][k].entities) r.entities.push(p.at === 0 ? e : { ...e, start: e.start + p.at, end: e.end + p.at });
    }));
    return results;
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
