// A second thread for the tagger: it runs part 1 of every chunk (fast-scorer.ts: the upper part of the
// hidden units, their fills, h and share of the scores) while the calling thread runs part 0. Each part
// has its own arrays, so each thread keeps its own data (the cached products of its units stay in its
// core's cache; only the small plan and the part's scores cross between cores). Both threads run the
// same WebAssembly code (scorer.wat) on the same shared memory, and the parts are the same as with one
// thread, so the result is bit-identical with or without this thread. The calling thread plans each
// chunk alone, so no locks are needed: it hands the thread a job through a small control array and
// waits for it, spinning briefly first (a chunk takes about a millisecond, a wake-up from Atomics.wait
// a good part of that on a busy machine).
//
// This file is both the worker's code (run by `new Worker`) and the calling side (ScoringThread).

import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { type Helper, type Part, type Plan, partArgs } from './fast-scorer.js';
import { NerError } from '../errors.js';
import { scorerKernels } from '../fast/scorer-wasm.js';

// the control array: a job is (B, nFills) with a sequence number; the thread answers in DONE
const SEQ = 0;
const DONE = 1;
const BATCH = 2;
const FILLS = 3;
const READY = 4;
const FAILED = 5;
const STOP = 6;
const CONTROL = 8;

const KIND = 'ner-tag-worker';
const TIMEOUT_MS = 120_000; // a chunk takes milliseconds: this long means the thread is gone
const SPINS = 20_000; // Atomics.load polls before sleeping in Atomics.wait (some tens of microseconds)

/** A typed array as (byte offset, length) in the shared memory, to rebuild it in the worker. */
type View = [number, number];
type PartViews = { a: number; w: number } & Record<'WT' | 'bias' | 'caseT' | 'segTable' | 'h' | 'U' | 'S' | 'kr', View>;
type PlanViews = { P: number; d: number; K: number; act: number } & Record<'wo' | 'co' | 'fillAt' | 'fillEntry' | 'rows', View>;

function views<T extends object>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (ArrayBuffer.isView(v)) out[k] = [v.byteOffset, (v as Float32Array).length];
    else if (typeof v === 'number') out[k] = v; // the store's segments are reached through segTable
  }
  return out;
}

/** The calling side: starts the worker on part 1 of a scorer (whose arrays lie in `memory`) and hands it jobs. */
export class ScoringThread implements Helper {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL * 4));
  private readonly worker: Worker;
  private seq = 0;
  private error: string | null = null;

  constructor(memory: WebAssembly.Memory, part: Part, plan: Plan) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { kind: KIND, memory, part: views(part), plan: views(plan), ctl: this.ctl } });
    this.worker.unref(); // never keeps the process alive
    this.worker.on('error', (err) => {
      this.error = err.message;
    });
  }

  ready(): boolean {
    const c = this.ctl;
    return this.error === null && Atomics.load(c, READY) === 1 && Atomics.load(c, FAILED) === 0;
  }

  start(B: number, nFills: number): void {
    const c = this.ctl;
    c[BATCH] = B;
    c[FILLS] = nFills;
    this.seq++;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
  }

  finish(): void {
    const c = this.ctl;
    for (let spin = 0; spin < SPINS && Atomics.load(c, DONE) !== this.seq; spin++);
    const t0 = Date.now();
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) break;
      if (Atomics.wait(c, DONE, done, 1000) === 'timed-out' && Date.now() - t0 > TIMEOUT_MS) {
        throw new NerError("the tagger's second thread stopped responding", 'run ner tag again');
      }
    }
    if (Atomics.load(c, FAILED) !== 0) throw new NerError("the tagger's second thread failed", 'run ner tag again (with --threads 1)');
  }

  /** Stops the thread (the scorer must not use it afterwards). */
  close(): void {
    this.ctl[STOP] = 1;
    Atomics.store(this.ctl, SEQ, ++this.seq);
    Atomics.notify(this.ctl, SEQ);
    void this.worker.terminate();
  }
}

/** The worker: waits for a job, runs part 1 of the chunk, answers, until told to stop. */
function serve(memory: WebAssembly.Memory, pv: PartViews, lv: PlanViews, ctl: Int32Array): void {
  const kernels = scorerKernels(memory);
  if (kernels === null) {
    Atomics.store(ctl, FAILED, 1);
    return;
  }
  const buf = memory.buffer;
  const f32 = ([o, n]: View) => new Float32Array(buf, o, n);
  const i32 = ([o, n]: View) => new Int32Array(buf, o, n);
  const part: Part = { a: pv.a, w: pv.w, WT: f32(pv.WT), bias: f32(pv.bias), caseT: f32(pv.caseT), segs: [], segTable: i32(pv.segTable), h: f32(pv.h), U: f32(pv.U), kr: i32(pv.kr), S: f32(pv.S) };
  const plan: Plan = { P: lv.P, d: lv.d, K: lv.K, act: lv.act, wo: i32(lv.wo), co: i32(lv.co), fillAt: i32(lv.fillAt), fillEntry: i32(lv.fillEntry), rows: f32(lv.rows) };
  let seen = 0;
  Atomics.store(ctl, READY, 1);
  for (;;) {
    for (let spin = 0; spin < SPINS && Atomics.load(ctl, SEQ) === seen; spin++);
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    if (ctl[STOP] === 1) return;
    try {
      kernels.part(...partArgs(part, plan, ctl[BATCH], ctl[FILLS]));
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.store(ctl, DONE, seen);
    Atomics.notify(ctl, DONE);
  }
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === KIND) {
  const data = workerData as { memory: WebAssembly.Memory; part: PartViews; plan: PlanViews; ctl: Int32Array };
  serve(data.memory, data.part, data.plan, data.ctl);
}
