// WebAssembly SIMD versions of the three matrix products in kernels.ts, with the same signatures, and the
// allocator that places arrays where they can run: WebAssembly code reads only its own linear memory, so
// the arrays it works on (parameters, gradients, caches) are allocated there once, by wasmAlloc, and the
// products run on them in place, without copying W on every call.
//
// The module (src/fast/kernels.wat, assembled to dist/src/fast/kernels.wasm by `npm run build:wasm`) is loaded
// lazily and synchronously on first use. Its memory is one fixed arena of ARENA_BYTES that never grows:
// growing a WebAssembly memory detaches its ArrayBuffer, which would silently empty every Float64Array
// handed out before. When the arena is full, wasmAlloc returns an ordinary Float64Array instead.
//
// Correctness never depends on where an array lives: each product runs in WebAssembly only when all of
// its float arrays lie in the arena and are long enough, and otherwise calls the plain kernel in
// kernels.ts. Results agree with kernels.ts up to float64 rounding (the additions are grouped
// differently) and are bit-identical from one call to the next. Set NER_WASM=off to use only kernels.ts.
//
// Threads (setKernelThreads): the memory is shared, and worker threads (kernels-worker.ts) instantiate the
// same module on it. A product is then cut into parts that never write the same value: z = Wx + b,
// ∂J/∂W = δ xᵀ and the SGD step by rows of W in blocks of four (the kernels' tile). So each thread reads
// and writes only its own rows of W and ∂J/∂W, which then stay in its core's cache from one step to the
// next (moving them between cores costs more than computing with them). ∂J/∂x = Wᵀδ sums over the rows
// of W, so it is always computed as two sums, over the first and the second half of the rows, added at
// the end, one thread or two. Every value is computed by exactly the same instructions in the same order
// whatever the number of threads, so the results are bit-identical. The calling thread does the first
// part itself and then waits for the others.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as plain from './kernels.js';
import type { FloatArray } from './kernels.js';

/** Size of the WebAssembly memory, reserved once (untouched pages cost no RAM). */
export const ARENA_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;
const ALIGN = 64; // every block starts on a cache line

type Kernel = (...args: number[]) => void;

/**
 * The kernels by number (a job's OP), each with its count of whole-number arguments (byte offsets and
 * sizes) and of float64 ones, which follow them. The code names them through KERNEL below.
 */
export const KERNELS = [
  { name: 'stop', ints: 0, reals: 0 },
  { name: 'gemmXWt', ints: 8, reals: 0 },
  { name: 'gemmDtX', ints: 9, reals: 0 },
  { name: 'gemmDW', ints: 11, reals: 0 },
  { name: 'sgd', ints: 3, reals: 2 },
  { name: 'tanh', ints: 3, reals: 0 },
  { name: 'add', ints: 3, reals: 0 },
  { name: 'gemmXWt32', ints: 8, reals: 0 },
  { name: 'gemmDtX32', ints: 9, reals: 0 },
  { name: 'gemmDW32', ints: 11, reals: 0 },
  { name: 'sgd32', ints: 3, reals: 2 },
  { name: 'tanh32', ints: 3, reals: 0 },
  { name: 'add32', ints: 3, reals: 0 },
  { name: 'gather32', ints: 8, reals: 0 },
  { name: 'gemmXWtTanh32', ints: 9, reals: 0 },
  { name: 'ovrScores32', ints: 7, reals: 0 },
  { name: 'ovrDc32', ints: 4, reals: 0 },
  { name: 'ovrDeltaDx32', ints: 17, reals: 0 },
  { name: 'dWStep32', ints: 12, reals: 2 },
  { name: 'tanhDeltaDx32', ints: 13, reals: 0 },
  { name: 'ovrDeltaStep32', ints: 17, reals: 2 },
  { name: 'tanhDeltaStep32', ints: 13, reals: 2 },
  { name: 'addBlocks32', ints: 7, reals: 0 },
  { name: 'rowsStep64', ints: 12, reals: 1 },
] as const;

/** The module's functions, indexed like KERNELS. */
export function kernelTable(exports: WebAssembly.Exports): Kernel[] {
  return KERNELS.map((k) => (k.name === 'stop' ? () => {} : (exports[k.name] as Kernel)));
}

interface Loaded {
  k: Kernel[]; // indexed like KERNELS
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  buffer: ArrayBufferLike;
  bytes: Uint8Array; // the whole arena, for copying masks in
  free: { start: number; size: number }[]; // free ranges, sorted by start, never adjacent
  used: Map<number, number>; // start → size of every live block
  owners: WeakMap<FloatArray, number>; // the array wasmAlloc returned for each live block → its start
  scratch: { start: number; size: number }[]; // per thread: a block the kernels use for packing
  team: Team | null; // the worker threads, when setKernelThreads asked for more than one thread
}

let loaded: Loaded | null | undefined; // undefined: not tried yet; null: unavailable
let reason: string | null = null;

function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const flag = process.env.NER_WASM;
  if (flag === 'off' || flag === '0') {
    reason = `disabled by NER_WASM=${flag}`;
    return null;
  }
  if (typeof WebAssembly !== 'object') {
    reason = 'this JavaScript engine has no WebAssembly';
    return null;
  }
  const file = fileURLToPath(new URL('./kernels.wasm', import.meta.url));
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    reason = `${file} is missing: build it with \`npm run build:wasm\``;
    return null;
  }
  try {
    const module = new WebAssembly.Module(bytes);
    const pages = ARENA_BYTES / PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    loaded = {
      k: kernelTable(instance.exports),
      module,
      memory,
      buffer: memory.buffer,
      bytes: new Uint8Array(memory.buffer),
      free: [{ start: 0, size: ARENA_BYTES }],
      used: new Map(),
      owners: new WeakMap(),
      scratch: [],
      team: null,
    };
  } catch (e) {
    // a CompileError here means the engine lacks WebAssembly SIMD
    reason = `${file} could not be loaded: ${(e as Error).message}`;
  }
  return loaded;
}

/** True when the WebAssembly SIMD kernels are loaded and will run on arrays from wasmAlloc. */
export function kernelsAvailable(): boolean {
  return load() !== null;
}

/** Why the WebAssembly kernels are not in use, or null when they are. */
export function kernelsUnavailableReason(): string | null {
  load();
  return reason;
}

// ── the arena ────────────────────────────────────────────────────────────────────────────────────

function allocBytes(L: Loaded, bytes: number): number {
  const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  for (let r = 0; r < L.free.length; r++) {
    const range = L.free[r];
    if (range.size < size) continue;
    const start = range.start;
    if (range.size === size) L.free.splice(r, 1);
    else {
      range.start += size;
      range.size -= size;
    }
    L.used.set(start, size);
    return start;
  }
  return -1;
}

function freeBytes(L: Loaded, start: number): void {
  const size = L.used.get(start);
  if (size === undefined) return;
  L.used.delete(start);
  let r = 0;
  while (r < L.free.length && L.free[r].start < start) r++;
  L.free.splice(r, 0, { start, size });
  // merge with the next range, then with the previous one
  const next = L.free[r + 1];
  if (next && start + size === next.start) {
    L.free[r].size += next.size;
    L.free.splice(r + 1, 1);
  }
  const prev = L.free[r - 1];
  if (prev && prev.start + prev.size === start) {
    prev.size += L.free[r].size;
    L.free.splice(r, 1);
  }
}

/** Float64Array or Float32Array: the kernels take either, all the arrays of one call of the same kind. */
export type { FloatArray };

/**
 * A zero-filled Float64Array of `length` values inside the WebAssembly memory, where the kernels below
 * run on it in place. Falls back to an ordinary Float64Array when the kernels are unavailable or the
 * arena is full (the kernels then use kernels.ts for it; results are the same up to rounding).
 */
export function wasmAlloc(length: number): Float64Array {
  return alloc(length, Float64Array);
}

/** The same as wasmAlloc, for a Float32Array (training in single precision). */
export function wasmAlloc32(length: number): Float32Array {
  return alloc(length, Float32Array);
}

function alloc<T extends FloatArray>(length: number, Kind: { new (length: number): T; new (buffer: ArrayBufferLike, start: number, length: number): T; BYTES_PER_ELEMENT: number }): T {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`wasmAlloc: length must be a whole number ≥ 0, got ${length}`);
  const L = load();
  const start = L ? allocBytes(L, length * Kind.BYTES_PER_ELEMENT) : -1;
  if (!L || start < 0) return new Kind(length);
  const a = new Kind(L.buffer, start, length);
  a.fill(0); // the block may have held an array freed earlier
  L.owners.set(a, start);
  return a;
}

/**
 * Returns an array from wasmAlloc to the arena; neither it nor views of it may be used afterwards.
 * Anything else (an ordinary array, a subarray, an array already freed) is ignored, so a second free
 * can never release a block that has since been handed to someone else.
 */
export function wasmFree(a: FloatArray): void {
  const L = load();
  const start = L?.owners.get(a);
  if (!L || start === undefined) return;
  L.owners.delete(a);
  freeBytes(L, start);
}

/** The shared WebAssembly memory the arena lives in (for other modules to run on the same arrays), or null. */
export function wasmMemory(): WebAssembly.Memory | null {
  return load()?.memory ?? null;
}

/** True when `a` lies in the WebAssembly memory (so the kernels run on it without copying). */
export function inWasmMemory(a: ArrayBufferView): boolean {
  const L = load();
  return L !== null && a.buffer === L.buffer;
}

/** Bytes of the arena in use by live arrays (including the kernels' own scratch) and its capacity. */
export function wasmMemoryUsage(): { used: number; capacity: number } {
  const L = load();
  if (!L) return { used: 0, capacity: 0 };
  let used = 0;
  for (const size of L.used.values()) used += size;
  return { used, capacity: ARENA_BYTES };
}

/** Start of thread t's scratch block of at least `bytes`, or −1 when the arena cannot hold one. */
function scratch(L: Loaded, bytes: number, t = 0): number {
  const own = (L.scratch[t] ??= { start: -1, size: 0 });
  if (own.size >= bytes) return own.start;
  if (own.start >= 0) freeBytes(L, own.start);
  const size = Math.max(bytes, 4096);
  own.start = allocBytes(L, size);
  own.size = own.start >= 0 ? size : 0;
  return own.start;
}

function fits(L: Loaded, a: FloatArray, length: number): boolean {
  return a.buffer === L.buffer && a.length >= length;
}

/** 4 when every array is a Float32Array, 8 when every one is a Float64Array, 0 when they are mixed. */
function elementSize(...arrays: FloatArray[]): number {
  const size = arrays[0].BYTES_PER_ELEMENT;
  return arrays.every((a) => a.BYTES_PER_ELEMENT === size) ? size : 0;
}

function whole(...sizes: number[]): boolean {
  for (const s of sizes) if (!Number.isInteger(s) || s < 0) return false;
  return true;
}

// ── threads ──────────────────────────────────────────────────────────────────────────────────────
// Each worker has a control block (Int32s, then three float64s) in its own SharedArrayBuffer. The calling
// thread writes a job there (which kernel, its arguments, a sequence number) and then opens it by
// setting CLAIM to 0. Whoever changes CLAIM from 0 first runs the job: normally the worker, which is
// spinning on it, but when the worker has not started by the time the caller has finished its own part
// (the machine is busy and the worker is not running), the caller claims the job and runs it itself, so
// threads never make a busy machine much slower. The worker reports a finished job by setting DONE to
// its number (and the job's time in the third float64). Both sides spin briefly before sleeping
// (Atomics.wait), because in training the next job follows within a fraction of a millisecond and
// waking a sleeping thread costs more than that.

/** The Int32s of a control block (kernels-worker.ts reads the same layout). */
export const CONTROL = {
  SEQ: 0, // the job's number
  DONE: 1, // the number of the job the worker finished last
  FAILED: 2, // 1 once a job threw
  OP: 3, // the kernel (an index into KERNELS)
  CLAIM: 4, // 0: open; 1: taken by the worker; 2: taken by the caller
  ARGS: 5, // the whole-number arguments, up to 17 (Int32s 5 … 21)
  READY: 22, // 1 once the worker has its module instantiated and waits for jobs
} as const;
export const CONTROL_INTS = 24; // (a multiple of two: the float64s follow)
export const CONTROL_REALS = 3; // 2 float64 arguments, then the ms the worker spent on its last job
export const CONTROL_BYTES = CONTROL_INTS * 4 + CONTROL_REALS * 8;
const { SEQ, DONE, FAILED, OP, CLAIM, ARGS, READY } = CONTROL;
for (const k of KERNELS) if (ARGS + k.ints > READY || k.reals > 2) throw new Error(`kernels-wasm: ${k.name} has more arguments than a control block holds`);
/** Each kernel's number (its index in KERNELS) by name. */
const KERNEL = Object.fromEntries(KERNELS.map((k, i) => [k.name, i])) as Record<(typeof KERNELS)[number]['name'], number>;
export const OP_STOP = KERNEL.stop;

/**
 * Work smaller than this (multiply-adds) is not worth splitting. Measured on CoNLL-2003 (one epoch,
 * alternating runs): the softmax head's products (32 × 540 × 100 = 1.7M) train at 114–140k tok/s on two
 * threads against 79–123k on one, now that the split follows each core's speed and the workers are not
 * stopped for nothing (before that, two threads gained nothing); and where the machine makes them
 * slower, the products run on one thread anyway (see Way). The one-vs-rest head's
 * (32 × 540 × 400 = 6.9M) gain more. Smaller products lose to the cost of handing work over.
 */
const MIN_PARALLEL_WORK = 1_500_000;

interface Team {
  workers: Worker[];
  control: Int32Array[]; // one per worker
  reals: Float64Array[]; // the float64 arguments of each control block
  seq: number;
  ready: boolean; // every worker is ready: nothing is counted before
  way: Way; // solo or together
  // Balance: the share of W's rows the calling thread takes (the workers split the rest evenly), moved
  // after every product split by rows of W towards the share that would make all parts finish together,
  // from the rows each thread did and the time it took. The two cores of a virtual machine are not
  // always equally fast (measured here: one core at times 40 % slower than the other on these kernels),
  // and an even split then leaves the faster core waiting. Results never depend on the split.
  share: number;
  // The same for the SGD step of a minibatch when the calling thread also steps the word rows in it
  // (tanhBackwardStep's `alsoHere`): that thread then takes fewer of W's rows there than in the products.
  stepShare: number;
  fixedShare: boolean; // set by setKernelShare (tests)
}

/**
 * Solo or together: products that could be split run in windows of WINDOW products, the usual way (split
 * over the threads, or all on the calling thread while the workers sleep), except now and then a probe
 * window of PROBE_WINDOW products that runs the other way. When the probe's products took less time on
 * average than those of the window just before it (by 3 %), the other way becomes the usual one.
 * (Comparing neighbouring windows matters: this machine's speed drifts within seconds.) Two threads are not
 * always faster here: at times both virtual cores run these kernels at 30 GFLOP/s instead of 48 (as if they
 * shared one physical core's floating-point units; a guess), when handing small products over costs more
 * than it saves; and another program may hold a core. A probe costs time when it loses (measured on
 * CoNLL-2003, one-vs-rest, --fine-tune: a product took 0.52 ms alone against 0.31 ms together, and probes of
 * a full window every eighth window cost 7 % of the epoch), so probes are short, and the gap between them
 * doubles after each probe that lost by more than 15 % (up to GAP_MAX windows: a change of the machine's
 * mood is then seen within 3,840 products, a fifth of a one-vs-rest epoch), and goes back to PROBE after one
 * that won. Nothing is counted until every worker is ready. Results never depend on the way.
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

/** Counts a product that took `ms`; at the end of a window, chooses the next one's way (see Way) and
 *  returns true. */
export function countProduct(w: Way, ms: number): boolean {
  w.windowMs += ms;
  w.calls++;
  const probe = w.solo !== w.usualSolo;
  if (w.calls < (probe ? WAY.PROBE_WINDOW : WAY.WINDOW)) return false;
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
  return true;
}

/** One kernel call: the kernel (OP_*), its whole-number arguments, then its float64 ones. */
interface Part {
  op: number;
  args: number[];
  reals: number[];
}

/**
 * Runs the products on n threads (this one and n − 1 workers) from now on; 1 stops the workers. Results
 * are bit-identical for every n. Returns the number of threads in use (1 when the WebAssembly kernels
 * are unavailable).
 */
export function setKernelThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`threads must be a whole number from 1 to 64, got ${n}`);
  const L = load();
  if (!L) return 1;
  if (kernelThreads() === n) return n;
  if (L.team) stopTeam(L.team);
  L.team = null;
  if (n > 1) {
    const team: Team = { workers: [], control: [], reals: [], seq: 0, ready: false, way: newWay(), share: 1 / n, stepShare: 1 / n, fixedShare: false };
    const script = new URL('./kernels-worker.js', import.meta.url);
    for (let t = 1; t < n; t++) {
      const buffer = new SharedArrayBuffer(CONTROL_BYTES);
      const control = new Int32Array(buffer, 0, CONTROL_INTS);
      control[CLAIM] = 1; // nothing to do yet
      const w = new Worker(script, { workerData: { module: L.module, memory: L.memory, control } });
      w.unref(); // an idle worker never keeps the process alive
      team.workers.push(w);
      team.control.push(control);
      team.reals.push(new Float64Array(buffer, CONTROL_INTS * 4, CONTROL_REALS));
    }
    L.team = team;
  }
  return n;
}

const stats = { byWorkers: 0, taken: 0, soloWindows: 0 };

/** Parts of products posted to workers so far: run by a worker, or taken back by the calling thread; how
 *  many windows of products ran on the calling thread alone because that was faster; and the calling
 *  thread's current share of W's rows (1 without workers). */
export function kernelThreadStats(): { byWorkers: number; taken: number; soloWindows: number; share: number } {
  return { ...stats, share: load()?.team?.share ?? 1 };
}

/** The number of threads the products run on. */
export function kernelThreads(): number {
  const L = load();
  return L?.team ? L.team.workers.length + 1 : 1;
}

function stopTeam(team: Team): void {
  for (const c of team.control) {
    Atomics.store(c, OP, OP_STOP);
    Atomics.store(c, CLAIM, 0);
    Atomics.notify(c, CLAIM);
  }
  for (const w of team.workers) void w.terminate();
}

/**
 * Fixes the calling thread's share of W's rows in the products split by rows of W (0 < share < 1), or
 * with null lets it adapt again. For tests: results are the same whatever the share.
 */
export function setKernelShare(share: number | null): void {
  const team = load()?.team;
  if (!team) return;
  team.fixedShare = share !== null;
  team.share = team.stepShare = share ?? 1 / (team.workers.length + 1);
}

/** Runs a part on this thread. */
function runHere(L: Loaded, p: Part): void {
  L.k[p.op](...p.args, ...p.reals);
}

/**
 * Runs parts[0] here and the others on the workers (part t on worker t − 1), and returns when all are
 * done. Empty parts are null. A part no worker has taken by the time this thread is free runs here.
 * alsoHere: work for this thread alone, done after its own part while the workers do theirs; its rows of
 * W are then balanced by Team.stepShare instead of Team.share.
 */
function runParts(L: Loaded, parts: (Part | null)[], threads = parts.length, rows?: number[], alsoHere?: () => void): void {
  const team = L.team;
  if (team && !team.ready) team.ready = team.control.every((c) => Atomics.load(c, READY) === 1);
  if (!team || !team.ready || threads === 1 || parts.length === 1) {
    for (const p of parts) if (p) runHere(L, p);
    alsoHere?.();
    return;
  }
  const t0 = performance.now();
  if (team.way.solo) {
    for (const p of parts) if (p) runHere(L, p);
    alsoHere?.();
  } else runTogether(L, team, parts, rows, alsoHere);
  if (countProduct(team.way, performance.now() - t0) && team.way.solo) stats.soloWindows++;
}

/** runParts with the workers. */
function runTogether(L: Loaded, team: Team, parts: (Part | null)[], rows?: number[], alsoHere?: () => void): void {
  const t0 = performance.now();
  const seq = (team.seq + 1) & 0x3fffffff || 1; // never 0, the initial DONE
  team.seq = seq;
  for (let t = 1; t < parts.length; t++) {
    const p = parts[t];
    if (!p) continue;
    const c = team.control[t - 1];
    Atomics.store(c, OP, p.op);
    for (let a = 0; a < p.args.length; a++) Atomics.store(c, ARGS + a, p.args[a]);
    team.reals[t - 1].set(p.reals); // published by the atomic stores below
    Atomics.store(c, SEQ, seq);
    Atomics.store(c, CLAIM, 0);
    Atomics.notify(c, CLAIM);
  }
  if (parts[0]) runHere(L, parts[0]);
  alsoHere?.();
  const t1 = performance.now();
  let workerMs = 0;
  let workerRows = 0;
  for (let t = 1; t < parts.length; t++) {
    const p = parts[t];
    if (!p) continue;
    const c = team.control[t - 1];
    if (Atomics.compareExchange(c, CLAIM, 0, 2) === 0) {
      runHere(L, p); // the worker had not started it (asleep, or not given a core)
      stats.taken++;
      continue;
    }
    stats.byWorkers++;
    let spins = 0;
    const start = performance.now();
    while (Atomics.load(c, DONE) !== seq) {
      if (++spins < 1 << 14) continue;
      Atomics.wait(c, DONE, Atomics.load(c, DONE), 50);
      if (Atomics.load(c, DONE) !== seq && performance.now() - start > 60_000) throw new Error('a kernel worker thread stopped responding');
    }
    if (Atomics.load(c, FAILED) !== 0) throw new Error('a kernel worker thread failed (see the message above)');
    if (rows) {
      workerMs += team.reals[t - 1][2];
      workerRows += rows[t + 1] - rows[t];
    }
  }
  if (rows && !team.fixedShare && workerMs > 0 && t1 > t0) {
    // speeds in rows per ms; the share that would have made this thread finish with the workers
    const mine = (rows[1] - rows[0]) / (t1 - t0);
    const theirs = workerRows / workerMs;
    const target = mine / (mine + theirs / (parts.length - 1));
    const key = alsoHere ? 'stepShare' : 'share';
    team[key] = Math.min(0.8, Math.max(0.2, team[key] + 0.05 * (target - team[key])));
  }
}

/** Cuts [0, total) into `parts` ranges whose bounds are multiples of `unit`; returns the parts+1 bounds. */
function cut(total: number, parts: number, unit: number): number[] {
  const bounds = [0];
  for (let t = 1; t < parts; t++) bounds.push(Math.min(total, Math.round((total * t) / parts / unit) * unit));
  bounds.push(total);
  return bounds;
}

/** Whether a product of `work` multiply-adds is split over the threads (when there are several). */
export function splitsWork(work: number): boolean {
  return work >= MIN_PARALLEL_WORK;
}

/** How many threads a product of `work` multiply-adds is split over. */
function threadsFor(L: Loaded, work: number): number {
  return L.team && splitsWork(work) ? L.team.workers.length + 1 : 1;
}

/**
 * The rows of W (M of them) each part takes, in blocks of four (the kernels' tile), for a product of
 * `work` multiply-adds: the same cut for every product on W and ∂J/∂W and for the SGD step, so that each
 * thread's rows stay in its core's cache from one call to the next.
 */
function rowsOfW(L: Loaded, M: number, work: number, share: 'share' | 'stepShare' = 'share'): number[] {
  const threads = threadsFor(L, work);
  if (threads === 1 || !L.team) return [0, M];
  const first = Math.min(M, Math.round((M * L.team[share]) / 4) * 4);
  return [0, ...cut(M - first, threads - 1, 4).map((j) => first + j)];
}

/** gemmXWt's first eight arguments for rows j … j1 of W (the columns j … j1 of Z). */
function xwtArgs(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, B: number, n: number, M: number, j: number, j1: number, es: number): number[] {
  return [X.byteOffset, W.byteOffset + j * n * es, b.byteOffset + j * es, Z.byteOffset + j * es, B, n, j1 - j, M];
}

/** parts(range t) for the ranges [e[t], e[t+1]), null for the empty ones. */
function partsOf(e: number[], part: (from: number, to: number, t: number) => Part): (Part | null)[] {
  const parts: (Part | null)[] = [];
  for (let t = 0; t + 1 < e.length; t++) parts.push(e[t + 1] > e[t] ? part(e[t], e[t + 1], t) : null);
  return parts;
}

/** Runs part(rows of W e[t] … e[t+1], t) on thread t (rowsOfW's cut), each thread's share following its
 *  speed; alsoHere as runParts. */
function runByRows(L: Loaded, e: number[], part: (r0: number, r1: number, t: number) => Part, alsoHere?: () => void): void {
  runParts(L, partsOf(e, part), e.length - 1, e, alsoHere);
}

// ── the products ─────────────────────────────────────────────────────────────────────────────────

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). */
export function gemmXWt<T extends FloatArray>(X: T, W: T, b: T, Z: T, B: number, n: number, M: number): void {
  const L = load();
  const es = elementSize(X, W, b, Z);
  if (L && es && whole(B, n, M) && fits(L, X, B * n) && fits(L, W, M * n) && fits(L, b, M) && fits(L, Z, B * M)) {
    // by rows of W: part t computes the columns j … j1 of Z
    const op = es === 4 ? KERNEL.gemmXWt32 : KERNEL.gemmXWt;
    const e = rowsOfW(L, M, B * n * M);
    return runByRows(L, e, (j, j1) => ({ op, args: xwtArgs(X, W, b, Z, B, n, M, j, j1, es), reals: [] }));
  }
  plain.gemmXWt(X, W, b, Z, B, n, M);
}

/**
 * Z = X Wᵀ + b and H = tanh Z (as gemmXWt then tanhInArena, the same values) in one pass per thread, for
 * float32 arrays in the arena; returns false, having done nothing, otherwise.
 */
export function gemmXWtTanh(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, H: FloatArray, B: number, n: number, M: number): boolean {
  const L = load();
  if (!L || elementSize(X, W, b, Z, H) !== 4 || !whole(B, n, M) || !fits(L, X, B * n) || !fits(L, W, M * n) || !fits(L, b, M) || !fits(L, Z, B * M) || !fits(L, H, B * M)) return false;
  // by rows of W, as gemmXWt: part t computes the columns j … j1 of Z and of H
  const e = rowsOfW(L, M, B * n * M);
  runByRows(L, e, (j, j1) => ({ op: KERNEL.gemmXWtTanh32, args: [...xwtArgs(X, W, b, Z, B, n, M, j, j1, 4), H.byteOffset + j * 4], reals: [] }));
  return true;
}

/**
 * The forward pass of the tanh one-vs-rest head, K classifiers of H hidden units (float32 arrays in the
 * arena; returns false, having done nothing, otherwise): Z (B×KH) = X Wᵀ + b and Hh = tanh Z by rows of W
 * (gemmXWtTanh), then S[i,k] = c_k + u_k · h_k (U: K×H) on this thread, in WebAssembly. The same values as
 * gemmXWtTanh followed by model.ts's loop over k.
 */
export function ovrForward(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, Hh: FloatArray, U: FloatArray, c: FloatArray, S: FloatArray, B: number, n: number, H: number, K: number): boolean {
  const L = load();
  const M = K * H;
  if (!L || elementSize(X, W, b, Z, Hh, U, c, S) !== 4 || !whole(B, n, H, K) || !fits(L, U, M) || !fits(L, c, K) || !fits(L, S, B * K)) return false;
  if (!gemmXWtTanh(X, W, b, Z, Hh, B, n, M)) return false;
  L.k[KERNEL.ovrScores32](Hh.byteOffset, U.byteOffset, c.byteOffset, S.byteOffset, B, H, K);
  return true;
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. */
export function gemmDtX<T extends FloatArray>(Delta: T, X: T, dW: T, db: T, B: number, n: number, M: number): void {
  const L = load();
  const es = elementSize(Delta, X, dW, db);
  if (L && es && whole(B, n, M) && fits(L, Delta, B * M) && fits(L, X, B * n) && fits(L, dW, M * n) && fits(L, db, M)) {
    // by rows of dW: part t sums rows j … j1 over all windows
    const e = rowsOfW(L, M, B * n * M);
    const S = e.slice(0, -1).map((_, t) => scratch(L, B * 36, t));
    if (S.every((s) => s >= 0)) {
      const [d, x, w, bb] = [Delta.byteOffset, X.byteOffset, dW.byteOffset, db.byteOffset];
      const op = es === 4 ? KERNEL.gemmDtX32 : KERNEL.gemmDtX;
      return runByRows(L, e, (j, j1, t) => ({ op, args: [d + j * es, x, w + j * n * es, bb + j * es, B, n, j1 - j, S[t], M], reals: [] }));
    }
  }
  plain.gemmDtX(Delta, X, dW, db, B, n, M);
}

/**
 * dX (B×n) = Δ (B×M) · W (M×n), only for the column blocks [p·m, (p+1)·m) with need[i·P + p] set;
 * other entries of dX are left untouched. `need` may live anywhere (it is copied into the arena).
 */
export function gemmDW<T extends FloatArray>(
  Delta: T,
  W: T,
  dX: T,
  B: number,
  n: number,
  M: number,
  need: Uint8Array,
  P: number,
  m: number,
): void {
  const L = load();
  const es = elementSize(Delta, W, dX);
  if (
    L &&
    es &&
    whole(B, n, M, P, m) &&
    P * m <= n &&
    need.length >= B * P &&
    fits(L, Delta, B * M) &&
    fits(L, W, M * n) &&
    fits(L, dX, B * n)
  ) {
    const [d, w] = [Delta.byteOffset, W.byteOffset];
    const op = es === 4 ? KERNEL.gemmDW32 : KERNEL.gemmDW;
    const sum = (r0: number, r1: number, into: number, list: number, mask: number): Part =>
      ({ op, args: [d + r0 * es, w + r0 * n * es, into, B, n, r1 - r0, mask, P, m, list, M], reals: [] });
    if (dXByHalves(L, es, M, B, n, P, m, need, dX.byteOffset, sum)) return;
  }
  plain.gemmDW(Delta, W, dX, B, n, M, need, P, m);
}

/** Where ∂J/∂x = Wᵀδ is cut into two sums, over rows 0 … h and h … M of W (the same for any thread count). */
function halfOfW(M: number): number {
  return cut(M, 2, 4)[1];
}

/** Bytes of the scratch blocks 0 and 1 dXByHalves takes: each a list of windows, then block 0 the mask
 *  and block 1 the second sum (laid out as dX, es bytes a value). */
function halvesScratch(B: number, n: number, P: number, es: number): [number, number] {
  const list = Math.ceil(((B + 1) * 4) / 64) * 64;
  return [list + B * P, list + B * n * es];
}

/**
 * dX (B×n, at byte offset dX) = Δ[:, 0 … h) W[0 … h) + Δ[:, h … M) W[h … M) on the blocks `need` marks,
 * always as these two sums (h = halfOfW(M)), so the values are the same for any number of threads:
 * sum(r0, r1, into, list, mask) is the part that computes the sum over rows r0 … r1 into `into` (with a
 * list scratch and the mask in the arena). The first goes straight into dX, the second into scratch and
 * is added to dX once both are done. Returns false, having done nothing, when the arena has no room.
 */
function dXByHalves(L: Loaded, es: number, M: number, B: number, n: number, P: number, m: number, need: Uint8Array, dX: number, sum: (r0: number, r1: number, into: number, list: number, mask: number) => Part): boolean {
  const sizes = halvesScratch(B, n, P, es);
  const S = sizes.map((size, t) => scratch(L, size, t));
  if (!S.every((x) => x >= 0)) return false;
  const list = sizes[0] - B * P;
  const mask = S[0] + list;
  const second = S[1] + list;
  L.bytes.set(need.subarray(0, B * P), mask);
  const h = halfOfW(M);
  runParts(L, [sum(0, h, dX, S[0], mask), h < M ? sum(h, M, second, S[1], mask) : null], threadsFor(L, B * M * P * m));
  if (h < M && es === 4) L.k[KERNEL.addBlocks32](dX, second, mask, B, P, m, n);
  else if (h < M) {
    const add = L.k[KERNEL.add];
    for (let i = 0; i < B; i++)
      for (let p = 0; p < P; p++) {
        const o = (i * n + p * m) * es;
        if (need[i * P + p]) add(dX + o, second + o, m);
      }
  }
  return true;
}

let ones = new Uint8Array(0); // a mask of ones: every window

/** Whether any of the first `length` entries of `need` is set. */
function needsDx(need: Uint8Array, length: number): boolean {
  for (let k = 0; k < length; k++) if (need[k] !== 0) return true;
  return false;
}

/**
 * model.ts's backward followed by sgd.ts's sgdStep, for a tanh hidden layer on float32 arrays in the
 * arena, with two hand-offs between threads instead of four, and the head's loops in WebAssembly:
 *   this thread:      ovr: dc += Σ_i dS;  softmax: dU += dSᵀ h, dc += Σ_i dS, dh = Uᵀ dS (into Δ)
 *   the two halves of W's rows, as gemmDW cuts them:  δ on those hidden units (ovr: also dU there), then
 *                     that half's sum of ∂J/∂x = Wᵀδ (before W changes; the blocks `need` marks); this
 *                     thread then adds the halves, as gemmDW does
 *   rows of W, as the products cut them:  the SGD step on those rows of W with their gradient δᵀX,
 *                     applied as it is summed (so ∂J/∂W, zero before, stays zero); db += Σ δ and the step
 *                     on those entries of b
 *   (when `need` marks no block, the last two are one hand-off: each thread makes δ on its own rows of
 *   W, then steps them)
 *   this thread, during the step on W (when ∂J/∂x is made):  alsoHere, which must not touch W, b, U, c,
 *                     their gradients or δ (train.ts: the word rows' step); this thread's share of W's
 *                     rows in the step then follows its time with alsoHere (Team.stepShare)
 *   this thread:      the SGD step on U and c
 * The same operations in the same order on every value, so the same results. Returns false, having done
 * nothing, when an array is not in the arena. The gradients must be zero on entry, as the training step
 * leaves them.
 */
export function tanhBackwardStep(
  head: 'ovr' | 'softmax',
  g: { dS: FloatArray; Hh: FloatArray; U: FloatArray; dU: FloatArray; c: FloatArray; dc: FloatArray; Delta: FloatArray; X: FloatArray; W: FloatArray; dW: FloatArray; b: FloatArray; db: FloatArray; dX: FloatArray },
  need: Uint8Array,
  P: number,
  m: number,
  B: number,
  n: number,
  H: number,
  K: number,
  lr: number,
  l2: number,
  alsoHere?: () => void,
): boolean {
  const L = load();
  const M = head === 'ovr' ? K * H : H; // rows of W
  const { dS, Hh, U, dU, c, dc, Delta, X, W, dW, b, db, dX } = g;
  if (!L || elementSize(dS, Hh, U, dU, c, dc, Delta, X, W, dW, b, db, dX) !== 4 || !whole(B, n, H, K, P, m) || P * m > n || need.length < B * P) return false;
  if (!fits(L, dS, B * K) || !fits(L, Hh, B * M) || !fits(L, U, K * H) || !fits(L, dU, K * H) || !fits(L, c, K) || !fits(L, dc, K) || !fits(L, Delta, B * M)) return false;
  if (!fits(L, X, B * n) || !fits(L, W, M * n) || !fits(L, dW, M * n) || !fits(L, b, M) || !fits(L, db, M) || !fits(L, dX, B * n)) return false;
  const e = rowsOfW(L, M, B * n * M);
  // the scratch blocks all the calls below take (gemmDtX32's: B·36 bytes a part), reserved before
  // anything changes, so that none of them can then fail for want of room
  const [s0, s1] = halvesScratch(B, Math.max(n, H), P, 4);
  const S = Array.from({ length: Math.max(2, e.length - 1) }, (_, t) => scratch(L, Math.max(t === 0 ? s0 : t === 1 ? s1 : 0, B * 36), t));
  if (!S.every((x) => x >= 0)) return false;
  const [pS, pH, pU, pdU, pD, pW] = [dS, Hh, U, dU, Delta, W].map((a) => a.byteOffset);
  if (head === 'ovr') L.k[KERNEL.ovrDc32](pS, dc.byteOffset, B, K);
  else {
    if (ones.length < B) ones = new Uint8Array(B).fill(1);
    gemmDtX(dS, Hh, dU, dc, B, H, K); // dU += dS hᵀ ; dc += dS
    gemmDW(dS, U, Delta, B, H, K, ones, 1, H); // dh = Uᵀ dS
  }
  const [pX, pdW, pb, pdb] = [X, dW, b, db].map((a) => a.byteOffset);
  if (needsDx(need, B * P)) {
    const deltaDx = (r0: number, r1: number, into: number, list: number, mask: number): Part =>
      head === 'ovr'
        ? { op: KERNEL.ovrDeltaDx32, args: [pS, pH, pU, pdU, pD, pW, into, mask, P, m, list, B, n, H, K, r0, r1], reals: [] }
        : { op: KERNEL.tanhDeltaDx32, args: [pH, pD, pW, into, mask, P, m, list, B, n, M, r0, r1], reals: [] };
    dXByHalves(L, 4, M, B, n, P, m, need, dX.byteOffset, deltaDx);
    // alsoHere runs on this thread during the step, which then takes fewer rows of W (its own share)
    const f = alsoHere ? rowsOfW(L, M, B * n * M, 'stepShare') : e;
    runByRows(L, f, (r0, r1, t) => ({ op: KERNEL.dWStep32, args: [pD, pX, pW, pdW, pb, pdb, S[t], B, n, M, r0, r1], reals: [lr, l2] }), alsoHere);
  } else {
    // no ∂J/∂x to make: each thread makes δ on its own rows of W and steps them, in one hand-off
    const deltaStep = (r0: number, r1: number, t: number): Part =>
      head === 'ovr'
        ? { op: KERNEL.ovrDeltaStep32, args: [pS, pH, pU, pdU, pD, pX, pW, pdW, pb, pdb, S[t], B, n, H, K, r0, r1], reals: [lr, l2] }
        : { op: KERNEL.tanhDeltaStep32, args: [pH, pD, pX, pW, pdW, pb, pdb, S[t], B, n, M, r0, r1], reals: [lr, l2] };
    runByRows(L, e, deltaStep);
    alsoHere?.();
  }
  const sgd = L.k[KERNEL.sgd32];
  sgd(pU, pdU, K * H, lr, l2);
  sgd(c.byteOffset, dc.byteOffset, K, lr, 0);
  return true;
}

/** θ ← θ − lr · (g + l2 · θ) (just θ − lr · g when l2 = 0), then g ← 0; over `length` values. Bit-identical
 *  to sgd.ts's plain loop in float64 (float32: rounded at every step). Returns false, having done
 *  nothing, when θ or g is not in the arena. rowLength: θ's row length, when it is a matrix. */
export function sgdInArena<T extends FloatArray>(theta: T, g: T, length: number, lr: number, l2: number, rowLength = 1): boolean {
  const L = load();
  const es = elementSize(theta, g);
  if (!L || !es || !whole(length) || !fits(L, theta, length) || !fits(L, g, length)) return false;
  // with rowLength (θ is a matrix of such rows, W): cut where the products cut W, whose work in a
  // minibatch of 32 windows is 32 multiply-adds a weight
  const e = rowLength > 1 && length % rowLength === 0
    ? rowsOfW(L, length / rowLength, length * 32).map((j) => j * rowLength)
    : cut(length, threadsFor(L, length * 4), 4);
  const op = es === 4 ? KERNEL.sgd32 : KERNEL.sgd;
  runParts(L, partsOf(e, (o, o1) => ({ op, args: [theta.byteOffset + o * es, g.byteOffset + o * es, o1 - o], reals: [lr, l2] })));
  return true;
}

/** h = tanh(z) for `length` values: float64 within a few units in the last place of Math.tanh; float32
 *  the tagger's float32 tanh (src/fast/scorer.wat). Returns false, having done nothing, when z or h is not in
 *  the arena. */
export function tanhInArena<T extends FloatArray>(z: T, h: T, length: number): boolean {
  const L = load();
  const es = elementSize(z, h);
  if (!L || !es || !whole(length) || !fits(L, z, length) || !fits(L, h, length)) return false;
  const e = cut(length, threadsFor(L, length * 16), 4);
  const op = es === 4 ? KERNEL.tanh32 : KERNEL.tanh;
  runParts(L, partsOf(e, (o, o1) => ({ op, args: [z.byteOffset + o * es, h.byteOffset + o * es, o1 - o], reals: [] })));
  return true;
}

/** Scratch blocks of this thread's, apart from the products': gather32's lists, rowsStep64's. */
const GATHER_SCRATCH = 64;
const ROWS_SCRATCH = 65;
let zeroSlots = { start: -1, end: -1 }; // bytes known to be zero for rowsStep64's slot numbers (it leaves them so)

/**
 * The SGD step on the own word rows a minibatch touched, rows[id] −= lr · Σ (the word part of dX's blocks
 * with that id), for the K = B·P blocks whose ids[k] < V: sgd.ts's scatterWordGrads then sgdRows, the same
 * float64 operations in the same order, in one WebAssembly call (dX: float32, B×n, blocks of m values, the
 * first d of them the word's; rows: float64, V×d). Returns false, having done nothing, when the arrays are
 * not in the arena or it has no room.
 */
export function wordRowsStepInArena(ids: Int32Array, K: number, P: number, n: number, m: number, d: number, V: number, dX: Float32Array, rows: Float64Array, lr: number): boolean {
  const L = load();
  if (!L || !whole(K, P, n, m, d, V) || P < 1 || d > m || ids.length < K || !fits(L, dX, Math.ceil(K / P) * n) || !fits(L, rows, V * d)) return false;
  const idsBytes = Math.ceil((K * 4) / 64) * 64;
  const slotBytes = Math.ceil((V * 4) / 64) * 64;
  const S = scratch(L, 2 * idsBytes + slotBytes + K * d * 8, ROWS_SCRATCH);
  if (S < 0) return false;
  const slot = S + 2 * idsBytes;
  if (slot !== zeroSlots.start || slot + slotBytes !== zeroSlots.end) {
    // a layout other than the last one: rowsStep64 needs its slot numbers at zero, and a smaller layout's
    // staging rows (after its slots) have overwritten part of a larger one's slots
    L.bytes.fill(0, slot, slot + slotBytes);
    zeroSlots = { start: slot, end: slot + slotBytes };
  }
  new Int32Array(L.buffer, S, K).set(ids.subarray(0, K));
  L.k[KERNEL.rowsStep64](S, K, P, n, m, d, V, dX.byteOffset, rows.byteOffset, slot + slotBytes, slot, S + idsBytes, lr);
  return true;
}

/**
 * X's word blocks for a minibatch (float32): block k (m values at k·m) is word row src[k] — own row
 * src[k] (float64, rounded) when src[k] ≥ 0, near row −src[k] − 1 (float32) otherwise — then m − d casing
 * values, one-hot at cases[k]. Returns false, having done nothing, when the arrays are not in the arena.
 */
export function gatherInArena(X: Float32Array, own: Float64Array, near: Float32Array, src: Int32Array, cases: Int32Array, blocks: number, m: number, d: number): boolean {
  const L = load();
  if (!L || d % 4 !== 0 || !whole(blocks, m, d) || m < d || !fits(L, X, blocks * m) || own.buffer !== L.buffer || near.buffer !== L.buffer) return false;
  const S = scratch(L, blocks * 8, GATHER_SCRATCH);
  if (S < 0) return false;
  new Int32Array(L.buffer, S, blocks).set(src.subarray(0, blocks));
  new Int32Array(L.buffer, S + blocks * 4, blocks).set(cases.subarray(0, blocks));
  L.k[KERNEL.gather32](X.byteOffset, own.byteOffset, near.byteOffset, S, S + blocks * 4, blocks, m, d);
  return true;
}
