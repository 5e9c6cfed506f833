// A second thread for the tagger: it takes part of every chunk of fast-scorer.ts's work (the upper half
// of the hidden units, then the upper half of the windows' output scores) while the calling thread does
// the rest, so tagging uses two cores. Both threads work on the same memory (SharedArrayBuffers: the
// cached per-word products are stored once) and run the same functions (hidden, scores), so the result
// is bit-identical with or without this thread. The calling thread plans each chunk alone (which words
// are cached where), so no locks are needed: it hands the thread a job through a small control array and
// waits for it with Atomics, synchronously, as the scorer's interface is synchronous.
//
// This file is both the worker's code (run by `new Worker`) and the calling side (ScoringThread).

import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { type Compute, type Helper, CHUNK, hidden, scores, simdTanh, zScratch } from './fast-scorer.js';
import { NerError } from './errors.js';

// the control array: a job is (op, x, y, B, nFills) with a sequence number; the thread answers in DONE
const SEQ = 0;
const DONE = 1;
const OP = 2;
const X = 3;
const Y = 4;
const BATCH = 5;
const FILLS = 6;
const READY = 7;
const FAILED = 8;
const SIMD = 9; // 1 when the thread's tanh is the SIMD one
const CONTROL = 10;
const OP_STOP = 0;

const KIND = 'ner-tag-worker';
const TIMEOUT_MS = 120_000; // a chunk takes milliseconds: this long means the thread is gone

/** The calling side: starts the worker on a shared Compute and hands it jobs. */
export class ScoringThread implements Helper {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL * 4));
  private readonly worker: Worker;
  private seq = 0;
  private error: string | null = null;

  constructor(compute: Compute) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { kind: KIND, compute, ctl: this.ctl } });
    this.worker.unref(); // never keeps the process alive
    this.worker.on('error', (err) => {
      this.error = err.message;
    });
  }

  ready(simd: boolean): boolean {
    const c = this.ctl;
    return this.error === null && Atomics.load(c, READY) === 1 && Atomics.load(c, FAILED) === 0 && (c[SIMD] === 1) === simd;
  }

  start(op: 1 | 2, x: number, y: number, B: number, nFills: number): void {
    const c = this.ctl;
    c[OP] = op;
    c[X] = x;
    c[Y] = y;
    c[BATCH] = B;
    c[FILLS] = nFills;
    this.seq++;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
  }

  finish(): void {
    const c = this.ctl;
    const t0 = Date.now();
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) break;
      if (Atomics.wait(c, DONE, done, 1000) === 'timed-out' && Date.now() - t0 > TIMEOUT_MS) {
        throw new NerError('the tagger\'s second thread stopped responding', 'run ner tag again');
      }
    }
    if (Atomics.load(c, FAILED) !== 0) throw new NerError('the tagger\'s second thread failed', 'run ner tag again');
  }

  /** Stops the thread (the scorer must not use it afterwards). */
  close(): void {
    this.ctl[OP] = OP_STOP;
    Atomics.store(this.ctl, SEQ, ++this.seq);
    Atomics.notify(this.ctl, SEQ);
    void this.worker.terminate();
  }
}

/** The worker: waits for a job, runs it, answers, until told to stop. */
function serve(compute: Compute, ctl: Int32Array): void {
  const Zloc = zScratch(CHUNK * compute.GH);
  const s = new Float64Array(compute.K);
  let seen = 0;
  ctl[SIMD] = simdTanh(CHUNK * compute.GH) ? 1 : 0;
  Atomics.store(ctl, READY, 1);
  for (;;) {
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    const op = ctl[OP];
    if (op === OP_STOP) return;
    try {
      if (op === 1) hidden(compute, ctl[BATCH], ctl[FILLS], ctl[X], ctl[Y], Zloc);
      else scores(compute, ctl[X], ctl[Y], s);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.store(ctl, DONE, seen);
    Atomics.notify(ctl, DONE);
  }
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === KIND) {
  const data = workerData as { compute: Compute; ctl: Int32Array };
  serve(data.compute, data.ctl);
}
