// WebAssembly SIMD versions of the three matrix products in kernels.ts, with the same signatures, and the
// allocator that places arrays where they can run: WebAssembly code reads only its own linear memory, so
// the arrays it works on (parameters, gradients, caches) are allocated there once, by wasmAlloc, and the
// products run on them in place, without copying W on every call.
//
// The module (wasm/kernels.wat, assembled to dist/src/kernels.wasm by `npm run build:wasm`) is loaded
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
// same module on it. A product is then cut into parts that never write the same value: z = Wx + b and
// ∂J/∂x = Wᵀδ by windows (each window's row of Z or dX is its own sum), ∂J/∂W = δ xᵀ by rows of W in
// blocks of four (each row sums over all windows). Every value is computed by exactly the same
// instructions in the same order as with one thread, so the result is bit-identical whatever the
// number of threads. The calling thread does the first part itself and then waits for the others.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as plain from './kernels.js';

/** Size of the WebAssembly memory, reserved once (untouched pages cost no RAM). */
export const ARENA_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;
const ALIGN = 64; // every block starts on a cache line

interface Exports {
  gemmXWt(X: number, W: number, b: number, Z: number, B: number, n: number, M: number): void;
  gemmDtX(Delta: number, X: number, dW: number, db: number, B: number, n: number, M: number, S: number, ld: number): void;
  gemmDW(Delta: number, W: number, dX: number, B: number, n: number, M: number, need: number, P: number, m: number, S: number): void;
}

interface Loaded {
  k: Exports;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  buffer: ArrayBufferLike;
  bytes: Uint8Array; // the whole arena, for copying masks in
  free: { start: number; size: number }[]; // free ranges, sorted by start, never adjacent
  used: Map<number, number>; // start → size of every live block
  owners: WeakMap<Float64Array, number>; // the array wasmAlloc returned for each live block → its start
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
      k: instance.exports as unknown as Exports,
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

/**
 * A zero-filled Float64Array of `length` values inside the WebAssembly memory, where the kernels below
 * run on it in place. Falls back to an ordinary Float64Array when the kernels are unavailable or the
 * arena is full (the kernels then use kernels.ts for it; results are the same up to rounding).
 */
export function wasmAlloc(length: number): Float64Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`wasmAlloc: length must be a whole number ≥ 0, got ${length}`);
  const L = load();
  const start = L ? allocBytes(L, length * 8) : -1;
  if (!L || start < 0) return new Float64Array(length);
  const a = new Float64Array(L.buffer, start, length);
  a.fill(0); // the block may have held an array freed earlier
  L.owners.set(a, start);
  return a;
}

/**
 * Returns an array from wasmAlloc to the arena; neither it nor views of it may be used afterwards.
 * Anything else (an ordinary array, a subarray, an array already freed) is ignored, so a second free
 * can never release a block that has since been handed to someone else.
 */
export function wasmFree(a: Float64Array): void {
  const L = load();
  const start = L?.owners.get(a);
  if (!L || start === undefined) return;
  L.owners.delete(a);
  freeBytes(L, start);
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

function fits(L: Loaded, a: Float64Array, length: number): boolean {
  return a.buffer === L.buffer && a.length >= length;
}

function whole(...sizes: number[]): boolean {
  for (const s of sizes) if (!Number.isInteger(s) || s < 0) return false;
  return true;
}

// ── threads ──────────────────────────────────────────────────────────────────────────────────────
// Each worker has a control block of Int32s in its own SharedArrayBuffer: the calling thread writes a
// job (which kernel, its arguments), bumps SEQ and wakes the worker; the worker runs it and sets DONE to
// the same number. Both sides spin briefly before sleeping (Atomics.wait), because in training the next
// job follows within a fraction of a millisecond and waking a sleeping thread costs more than that.

const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const OP = 3;
const ARGS = 4; // up to 10 arguments
export const CONTROL_INTS = 16;
export const OP_STOP = 0;
export const OP_XWT = 1;
export const OP_DTX = 2;
export const OP_DW = 3;

/** Work smaller than this (multiply-adds) is not worth waking another thread for. */
const MIN_PARALLEL_WORK = 100_000;

interface Team {
  workers: Worker[];
  control: Int32Array[]; // one per worker
  seq: number;
}

let requestedThreads = 1;

/**
 * Runs the products on n threads (this one and n − 1 workers) from now on; 1 stops the workers. Results
 * are bit-identical for every n. Returns the number of threads in use (1 when the WebAssembly kernels
 * are unavailable).
 */
export function setKernelThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`threads must be a whole number from 1 to 64, got ${n}`);
  requestedThreads = n;
  const L = load();
  if (!L) return 1;
  const have = L.team ? L.team.workers.length + 1 : 1;
  if (have === n) return n;
  if (L.team) stopTeam(L.team);
  L.team = null;
  if (n > 1) {
    const workers: Worker[] = [];
    const control: Int32Array[] = [];
    const script = new URL('./kernels-worker.js', import.meta.url);
    for (let t = 1; t < n; t++) {
      const c = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
      const w = new Worker(script, { workerData: { module: L.module, memory: L.memory, control: c } });
      w.unref(); // an idle worker never keeps the process alive
      workers.push(w);
      control.push(c);
    }
    L.team = { workers, control, seq: 0 };
  }
  return n;
}

/** The number of threads the products run on. */
export function kernelThreads(): number {
  const L = load();
  return L?.team ? L.team.workers.length + 1 : 1;
}

function stopTeam(team: Team): void {
  for (const c of team.control) {
    Atomics.store(c, OP, OP_STOP);
    Atomics.store(c, SEQ, -1);
    Atomics.notify(c, SEQ);
  }
  for (const w of team.workers) void w.terminate();
}

/** Posts job `args` (op, then its arguments) to worker w of the team. */
function post(team: Team, w: number, op: number, args: number[]): void {
  const c = team.control[w];
  Atomics.store(c, OP, op);
  for (let a = 0; a < args.length; a++) Atomics.store(c, ARGS + a, args[a]);
  Atomics.store(c, SEQ, team.seq);
  Atomics.notify(c, SEQ);
}

/** Waits until every worker with a job (posted[w]) has finished it. */
function join(team: Team, posted: boolean[]): void {
  for (let w = 0; w < team.workers.length; w++) {
    if (!posted[w]) continue;
    const c = team.control[w];
    let spins = 0;
    const start = performance.now();
    while (Atomics.load(c, DONE) !== team.seq) {
      if (++spins < 1 << 14) continue;
      Atomics.wait(c, DONE, Atomics.load(c, DONE), 50);
      if (Atomics.load(c, DONE) !== team.seq && performance.now() - start > 60_000)
        throw new Error('a kernel worker thread stopped responding');
    }
    if (Atomics.load(c, FAILED) !== 0) throw new Error('a kernel worker thread failed (see the message above)');
  }
}

/** Cuts [0, total) into `parts` ranges whose bounds are multiples of `unit`; returns the parts+1 bounds. */
function cut(total: number, parts: number, unit: number): number[] {
  const bounds = [0];
  for (let t = 1; t < parts; t++) bounds.push(Math.min(total, Math.round((total * t) / parts / unit) * unit));
  bounds.push(total);
  return bounds;
}

/** The team to use for a product of `work` multiply-adds, or null (run it here alone). */
function teamFor(L: Loaded, work: number): Team | null {
  if (!L.team || work < MIN_PARALLEL_WORK) return null;
  const seq = (L.team.seq + 1) | 0;
  L.team.seq = seq === 0 || seq === -1 ? 1 : seq; // never 0 (the initial DONE) nor −1 (stop)
  return L.team;
}

// ── the products ─────────────────────────────────────────────────────────────────────────────────

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). */
export function gemmXWt(X: Float64Array, W: Float64Array, b: Float64Array, Z: Float64Array, B: number, n: number, M: number): void {
  const L = load();
  if (L && whole(B, n, M) && fits(L, X, B * n) && fits(L, W, M * n) && fits(L, b, M) && fits(L, Z, B * M)) {
    const [x, w, bb, z] = [X.byteOffset, W.byteOffset, b.byteOffset, Z.byteOffset];
    const team = teamFor(L, B * n * M);
    if (!team) return L.k.gemmXWt(x, w, bb, z, B, n, M);
    // by windows: thread t computes the rows of Z of windows i[t] … i[t+1)
    const i = cut(B, team.workers.length + 1, 1);
    const posted: boolean[] = [];
    for (let t = 1; t < i.length - 1; t++) {
      posted.push(i[t + 1] > i[t]);
      if (i[t + 1] > i[t]) post(team, t - 1, OP_XWT, [x + i[t] * n * 8, w, bb, z + i[t] * M * 8, i[t + 1] - i[t], n, M]);
    }
    L.k.gemmXWt(x, w, bb, z, i[1], n, M);
    return join(team, posted);
  }
  plain.gemmXWt(X, W, b, Z, B, n, M);
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. */
export function gemmDtX(Delta: Float64Array, X: Float64Array, dW: Float64Array, db: Float64Array, B: number, n: number, M: number): void {
  const L = load();
  if (L && whole(B, n, M) && fits(L, Delta, B * M) && fits(L, X, B * n) && fits(L, dW, M * n) && fits(L, db, M)) {
    const [d, x, w, bb] = [Delta.byteOffset, X.byteOffset, dW.byteOffset, db.byteOffset];
    const team = teamFor(L, B * n * M);
    // by rows of dW, in blocks of four (the kernel's tile): thread t sums rows j[t] … j[t+1) over all windows
    const j = cut(M, team ? team.workers.length + 1 : 1, 4);
    const S = j.slice(0, -1).map((_, t) => scratch(L, B * 36, t));
    if (S.every((s) => s >= 0)) {
      const posted: boolean[] = [];
      for (let t = 1; t < j.length - 1; t++) {
        posted.push(j[t + 1] > j[t]);
        if (j[t + 1] > j[t]) post(team!, t - 1, OP_DTX, [d + j[t] * 8, x, w + j[t] * n * 8, bb + j[t] * 8, B, n, j[t + 1] - j[t], S[t], M]);
      }
      L.k.gemmDtX(d, x, w, bb, B, n, j[1], S[0], M);
      if (team) join(team, posted);
      return;
    }
  }
  plain.gemmDtX(Delta, X, dW, db, B, n, M);
}

/**
 * dX (B×n) = Δ (B×M) · W (M×n), only for the column blocks [p·m, (p+1)·m) with need[i·P + p] set;
 * other entries of dX are left untouched. `need` may live anywhere (it is copied into the arena).
 */
export function gemmDW(
  Delta: Float64Array,
  W: Float64Array,
  dX: Float64Array,
  B: number,
  n: number,
  M: number,
  need: Uint8Array,
  P: number,
  m: number,
): void {
  const L = load();
  if (
    L &&
    whole(B, n, M, P, m) &&
    P * m <= n &&
    need.length >= B * P &&
    fits(L, Delta, B * M) &&
    fits(L, W, M * n) &&
    fits(L, dX, B * n)
  ) {
    const [d, w, x] = [Delta.byteOffset, W.byteOffset, dX.byteOffset];
    const team = teamFor(L, B * M * P * m);
    // by windows: thread t computes the rows of dX of windows i[t] … i[t+1)
    const i = cut(B, team ? team.workers.length + 1 : 1, 1);
    // thread 0's scratch: its list of windows ((B + 1)·4 bytes), then the whole mask; the others: a list
    const list = (B + 1) * 4;
    const S = i.slice(0, -1).map((_, t) => scratch(L, t === 0 ? list + B * P : list, t));
    if (S.every((s) => s >= 0)) {
      const mask = S[0] + list;
      L.bytes.set(need.subarray(0, B * P), mask);
      const posted: boolean[] = [];
      for (let t = 1; t < i.length - 1; t++) {
        posted.push(i[t + 1] > i[t]);
        if (i[t + 1] > i[t]) post(team!, t - 1, OP_DW, [d + i[t] * M * 8, w, x + i[t] * n * 8, i[t + 1] - i[t], n, M, mask + i[t] * P, P, m, S[t]]);
      }
      L.k.gemmDW(d, w, x, i[1], n, M, mask, P, m, S[0]);
      if (team) join(team, posted);
      return;
    }
  }
  plain.gemmDW(Delta, W, dX, B, n, M, need, P, m);
}
