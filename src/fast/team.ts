// The worker threads that share the training kernels (setKernelThreads), and their protocol.
//
// Worker threads (kernels-worker.ts) instantiate the kernels' module on the arena's shared memory. A
// product is cut into parts that never write the same value (kernels.ts and backward-sgd.ts cut
// by rows of W, in blocks of four, the kernels' tile), so each thread reads and writes only its own rows
// of W and ∂J/∂W, which then stay in its core's cache from one step to the next. Every value is computed
// by the same instructions in the same order whatever the number of threads: results are bit-identical.
//
// Each worker has a control block (Int32s, then three float64s) in its own SharedArrayBuffer. The calling
// thread writes a job there (which kernel, its arguments, a sequence number) and opens it by setting
// CLAIM to 0. Whoever changes CLAIM from 0 first runs the job: normally the worker, which is spinning on
// it; but when the worker has not started by the time the caller has finished its own part (a busy
// machine has not given it a core), the caller claims the job and runs it itself, so a second thread
// never makes a busy machine much slower. The worker reports a finished job by setting DONE to its
// number. Both sides spin briefly before sleeping (Atomics.wait): in training the next job follows
// within a fraction of a millisecond, and waking a sleeping thread costs more than that.

import { Worker } from 'node:worker_threads';
import { type Arena, KERNELS, arena } from './arena.js';

/** The Int32s of a control block (kernels-worker.ts reads the same layout). */
export const CONTROL = {
  SEQ: 0, // the job's number
  DONE: 1, // the number of the job the worker finished last
  FAILED: 2, // 1 once a job threw
  OP: 3, // the kernel (an index into KERNELS)
  CLAIM: 4, // 0: open; 1: taken by the worker; 2: taken by the caller
  ARGS: 5, // the whole-number arguments, up to 26 (Int32s 5 … 30)
  READY: 31, // 1 once the worker has its module instantiated and waits for jobs
} as const;
export const CONTROL_INTS = 32; // (a multiple of two: the float64s follow)
export const CONTROL_REALS = 2; // the float64 arguments
export const CONTROL_BYTES = CONTROL_INTS * 4 + CONTROL_REALS * 8;
export const OP_STOP = 0;
const { SEQ, DONE, FAILED, OP, CLAIM, ARGS, READY } = CONTROL;
for (const k of KERNELS) if (ARGS + k.ints > READY || k.reals > CONTROL_REALS) throw new Error(`team: ${k.name} has more arguments than a control block holds`);

/**
 * Work smaller than this (multiply-adds) is not worth splitting: handing a part over costs more. Both
 * heads' products with the defaults are above it (softmax 32 × 540 × 100 = 1.7M, ovr 6.9M).
 */
const MIN_PARALLEL_WORK = 1_500_000;

interface Team {
  workers: Worker[];
  control: Int32Array[]; // one per worker
  reals: Float64Array[]; // the float64 arguments of each control block
  seq: number;
  ready: boolean; // every worker is ready: until then the calling thread does everything
  way: Way; // solo or together
}

// Kept: it earns 30 % (CoNLL-2003 ovr --lr-embed 0 epoch: 7.7–8.2 s with it, 11.1–11.8 s without; paired, 2 cores, load 3).
/**
 * Solo or together: products that could be split run in windows of WINDOW products the usual way (split
 * over the threads, or all on the calling thread while the workers sleep), except now and then a probe
 * window of PROBE_WINDOW products that runs the other way. When the probe's products took less time on
 * average than those of the window just before it (by 3 %), the other way becomes the usual one. Two
 * threads lose when another program holds a core; a probe costs time when it loses, so probes are short
 * and the gap between them doubles after each probe that lost by more than 15 % (up to GAP_MAX windows),
 * and goes back to PROBE after one that won. Results never depend on the way.
 */
export interface Way {
  solo: boolean; // the current window runs on the calling thread alone
  usualSolo: boolean; // the usual way
  calls: number; // products in the current window
  windowMs: number; // their time
  windows: number; // windows finished
  lastMs: number; // ms per product in the last usual window
  gap: number; // usual windows between two probes
  sinceProbe: number; // usual windows since the last probe
}

export const WAY = { WINDOW: 240, PROBE_WINDOW: 60, PROBE: 8, GAP_MAX: 16, WARM_UP: 4, WON: 0.97, LOST: 1.15 } as const;

export function newWay(): Way {
  return { solo: false, usualSolo: false, calls: 0, windowMs: 0, windows: 0, lastMs: 0, gap: WAY.PROBE, sinceProbe: 0 };
}

/** Counts a product that took `ms`; at the end of a window, chooses the next one's way (see Way). */
export function countProduct(w: Way, ms: number): void {
  w.windowMs += ms;
  w.calls++;
  const probe = w.solo !== w.usualSolo;
  if (w.calls < (probe ? WAY.PROBE_WINDOW : WAY.WINDOW)) return;
  const perCall = w.windowMs / w.calls;
  if (probe) {
    if (perCall < WAY.WON * w.lastMs) {
      w.usualSolo = w.solo;
      w.gap = WAY.PROBE;
      w.lastMs = perCall;
    } else if (perCall > WAY.LOST * w.lastMs) w.gap = Math.min(WAY.GAP_MAX, 2 * w.gap);
  } else {
    w.lastMs = perCall;
    w.sinceProbe++;
  }
  w.calls = 0;
  w.windowMs = 0;
  w.windows++;
  // the first windows (code still being compiled, caches cold) only run the usual way
  const probeNext = !probe && w.windows > WAY.WARM_UP && w.sinceProbe >= w.gap;
  if (probeNext) w.sinceProbe = 0;
  w.solo = probeNext ? !w.usualSolo : w.usualSolo;
}

let team: Team | null = null;

/** One kernel call: the kernel (an index into KERNELS), its whole-number arguments, then its float64 ones. */
export interface Part {
  op: number;
  args: number[];
  reals: number[];
}

/**
 * Runs the kernels on n threads (this one and n − 1 workers) from now on; 1 stops the workers. Results
 * are bit-identical for every n. Returns n.
 */
export function setKernelThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`threads must be a whole number from 1 to 64, got ${n}`);
  if (kernelThreads() === n) return n;
  if (team) stopTeam(team);
  team = null;
  if (n === 1) return n;
  const L = arena();
  const t: Team = { workers: [], control: [], reals: [], seq: 0, ready: false, way: newWay() };
  const script = new URL('./kernels-worker.js', import.meta.url);
  for (let i = 1; i < n; i++) {
    const buffer = new SharedArrayBuffer(CONTROL_BYTES);
    const control = new Int32Array(buffer, 0, CONTROL_INTS);
    control[CLAIM] = 1; // nothing to do yet
    const w = new Worker(script, { workerData: { module: L.module, memory: L.memory, control } });
    w.unref(); // an idle worker never keeps the process alive
    t.workers.push(w);
    t.control.push(control);
    t.reals.push(new Float64Array(buffer, CONTROL_INTS * 4, CONTROL_REALS));
  }
  team = t;
  return n;
}

/** The number of threads the kernels run on. */
export function kernelThreads(): number {
  return team ? team.workers.length + 1 : 1;
}

const stats = { byWorkers: 0, taken: 0 };

/** Parts posted to workers so far: run by a worker, or taken back by the calling thread. */
export function kernelThreadStats(): { byWorkers: number; taken: number } {
  return { ...stats };
}

function stopTeam(t: Team): void {
  for (const c of t.control) {
    Atomics.store(c, OP, OP_STOP);
    Atomics.store(c, CLAIM, 0);
    Atomics.notify(c, CLAIM);
  }
  for (const w of t.workers) void w.terminate();
}

/** Whether a product of `work` multiply-adds is split over the threads (when there are several). */
export function splitsWork(work: number): boolean {
  return work >= MIN_PARALLEL_WORK;
}

/** How many threads a product of `work` multiply-adds is split over. */
export function threadsFor(work: number): number {
  return team && splitsWork(work) ? team.workers.length + 1 : 1;
}

/** Cuts [0, total) into `parts` ranges whose bounds are multiples of `unit`; returns the parts+1 bounds. */
export function cut(total: number, parts: number, unit: number): number[] {
  const bounds = [0];
  for (let t = 1; t < parts; t++) bounds.push(Math.min(total, Math.round((total * t) / parts / unit) * unit));
  bounds.push(total);
  return bounds;
}

/** The rows of W (M of them) each thread takes, in blocks of four, for a product of `work` multiply-adds:
 *  the same cut for every product on W and ∂J/∂W and for the SGD step, so each thread's rows stay in its
 *  core's cache from one call to the next. */
export function rowsOfW(M: number, work: number): number[] {
  return cut(M, threadsFor(work), 4);
}

/** part(range t) for the ranges [e[t], e[t+1]), null for the empty ones. */
export function partsOf(e: number[], part: (from: number, to: number, t: number) => Part): (Part | null)[] {
  const parts: (Part | null)[] = [];
  for (let t = 0; t + 1 < e.length; t++) parts.push(e[t + 1] > e[t] ? part(e[t], e[t + 1], t) : null);
  return parts;
}

function runHere(L: Arena, p: Part): void {
  L.k[p.op](...p.args, ...p.reals);
}

/**
 * Runs parts[0] here and the others on the workers (part t on worker t − 1), and returns when all are
 * done; empty parts are null; with threads 1, all run here. alsoHere: work for this thread alone, done after its own part while the
 * workers do theirs. A part no worker has taken by the time this thread is free runs here. Returns
 * whether this thread, its own work done, then waited for a worker to finish.
 */
export function runParts(parts: (Part | null)[], threads = parts.length, alsoHere?: () => void): boolean {
  const L = arena();
  const t = team;
  if (t && !t.ready) t.ready = t.control.every((c) => Atomics.load(c, READY) === 1);
  if (!t || !t.ready || threads === 1 || parts.length === 1) {
    for (const p of parts) if (p) runHere(L, p);
    alsoHere?.();
    return false;
  }
  const t0 = performance.now();
  let waited = false;
  if (t.way.solo) {
    for (const p of parts) if (p) runHere(L, p);
    alsoHere?.();
  } else waited = runTogether(L, t, parts, alsoHere);
  countProduct(t.way, performance.now() - t0);
  return waited;
}

/** runParts with the workers. */
function runTogether(L: Arena, t: Team, parts: (Part | null)[], alsoHere?: () => void): boolean {
  let waited = false;
  const seq = (t.seq + 1) & 0x3fffffff || 1; // never 0, the initial DONE
  t.seq = seq;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (!p) continue;
    const c = t.control[i - 1];
    Atomics.store(c, OP, p.op);
    for (let a = 0; a < p.args.length; a++) Atomics.store(c, ARGS + a, p.args[a]);
    t.reals[i - 1].set(p.reals); // published by the atomic stores below
    Atomics.store(c, SEQ, seq);
    Atomics.store(c, CLAIM, 0);
    Atomics.notify(c, CLAIM);
  }
  if (parts[0]) runHere(L, parts[0]);
  alsoHere?.();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (!p) continue;
    const c = t.control[i - 1];
    if (Atomics.compareExchange(c, CLAIM, 0, 2) === 0) {
      runHere(L, p); // the worker had not started it (asleep, or not given a core)
      stats.taken++;
      continue;
    }
    stats.byWorkers++;
    if (Atomics.load(c, DONE) !== seq) waited = true;
    let spins = 0;
    const start = performance.now();
    while (Atomics.load(c, DONE) !== seq) {
      if (++spins < 1 << 14) continue;
      Atomics.wait(c, DONE, Atomics.load(c, DONE), 50);
      if (Atomics.load(c, DONE) !== seq && performance.now() - start > 60_000) throw new Error('a kernel worker thread stopped responding');
    }
    if (Atomics.load(c, FAILED) !== 0) throw new Error('a kernel worker thread failed (see the message above)');
  }
  return waited;
}

/** Runs part(rows of W e[t] … e[t+1], t) on thread t; alsoHere and the result as runParts. */
export function runByRows(e: number[], part: (r0: number, r1: number, t: number) => Part, alsoHere?: () => void): boolean {
  return runParts(partsOf(e, part), e.length - 1, alsoHere);
}
