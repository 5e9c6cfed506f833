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

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as plain from './kernels.js';

/** Size of the WebAssembly memory, reserved once (untouched pages cost no RAM). */
export const ARENA_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;
const ALIGN = 64; // every block starts on a cache line

interface Exports {
  gemmXWt(X: number, W: number, b: number, Z: number, B: number, n: number, M: number): void;
  gemmDtX(Delta: number, X: number, dW: number, db: number, B: number, n: number, M: number, S: number): void;
  gemmDW(Delta: number, W: number, dX: number, B: number, n: number, M: number, need: number, P: number, m: number, S: number): void;
}

interface Loaded {
  k: Exports;
  buffer: ArrayBuffer;
  bytes: Uint8Array; // the whole arena, for copying masks in
  free: { start: number; size: number }[]; // free ranges, sorted by start, never adjacent
  used: Map<number, number>; // start → size of every live block
  owners: WeakMap<Float64Array, number>; // the array wasmAlloc returned for each live block → its start
  scratch: number; // a block the kernels use for packing (start), or −1
  scratchSize: number;
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
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    loaded = {
      k: instance.exports as unknown as Exports,
      buffer: memory.buffer,
      bytes: new Uint8Array(memory.buffer),
      free: [{ start: 0, size: ARENA_BYTES }],
      used: new Map(),
      owners: new WeakMap(),
      scratch: -1,
      scratchSize: 0,
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

/** Start of a scratch block of at least `bytes`, or −1 when the arena cannot hold one. */
function scratch(L: Loaded, bytes: number): number {
  if (L.scratchSize >= bytes) return L.scratch;
  if (L.scratch >= 0) freeBytes(L, L.scratch);
  const size = Math.max(bytes, 4096);
  L.scratch = allocBytes(L, size);
  L.scratchSize = L.scratch >= 0 ? size : 0;
  return L.scratch;
}

function fits(L: Loaded, a: Float64Array, length: number): boolean {
  return a.buffer === L.buffer && a.length >= length;
}

function whole(...sizes: number[]): boolean {
  for (const s of sizes) if (!Number.isInteger(s) || s < 0) return false;
  return true;
}

// ── the products ─────────────────────────────────────────────────────────────────────────────────

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). */
export function gemmXWt(X: Float64Array, W: Float64Array, b: Float64Array, Z: Float64Array, B: number, n: number, M: number): void {
  const L = load();
  if (L && whole(B, n, M) && fits(L, X, B * n) && fits(L, W, M * n) && fits(L, b, M) && fits(L, Z, B * M)) {
    L.k.gemmXWt(X.byteOffset, W.byteOffset, b.byteOffset, Z.byteOffset, B, n, M);
  } else plain.gemmXWt(X, W, b, Z, B, n, M);
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. */
export function gemmDtX(Delta: Float64Array, X: Float64Array, dW: Float64Array, db: Float64Array, B: number, n: number, M: number): void {
  const L = load();
  if (L && whole(B, n, M) && fits(L, Delta, B * M) && fits(L, X, B * n) && fits(L, dW, M * n) && fits(L, db, M)) {
    const S = scratch(L, B * 36);
    if (S >= 0) {
      L.k.gemmDtX(Delta.byteOffset, X.byteOffset, dW.byteOffset, db.byteOffset, B, n, M, S);
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
    // scratch: the list of windows ((B + 1)·4 bytes), then a copy of the mask
    const list = (B + 1) * 4;
    const S = scratch(L, list + B * P);
    if (S >= 0) {
      L.bytes.set(need.subarray(0, B * P), S + list);
      L.k.gemmDW(Delta.byteOffset, W.byteOffset, dX.byteOffset, B, n, M, S + list, P, m, S);
      return;
    }
  }
  plain.gemmDW(Delta, W, dX, B, n, M, need, P, m);
}
