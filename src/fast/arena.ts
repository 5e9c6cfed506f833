// The WebAssembly module of the training kernels (src/fast/kernels.wat, assembled to
// dist/src/fast/kernels.wasm by `npm run build:wasm`) and the arena it works in: WebAssembly code reads
// only its own linear memory, so the arrays the kernels work on (parameters, gradients, caches) are
// allocated there once, by wasmAlloc32, and the kernels run on them in place, without copies.
//
// The memory is one fixed arena of ARENA_BYTES that never grows: growing a WebAssembly memory detaches
// its ArrayBuffer, which would silently empty every array handed out before. It is shared, so that the
// worker threads of team.ts run the same module on the same arrays. Loaded lazily, on first use.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NerError } from '../errors.js';

/** Float64Array or Float32Array. */
export type FloatArray = Float64Array | Float32Array;

/** Size of the WebAssembly memory, reserved once (untouched pages cost no RAM). */
export const ARENA_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;
const ALIGN = 64; // every block starts on a cache line; none at 0, which kernels.wat takes for "no array"

type Kernel = (...args: number[]) => void;

/**
 * The kernels by number (a job's OP in team.ts), each with its count of whole-number arguments (byte
 * offsets and sizes) and of float64 ones, which follow them.
 */
export const KERNELS = [
  { name: 'stop', ints: 0, reals: 0 },
  { name: 'gemmXWt32', ints: 12, reals: 0 },
  { name: 'gemmDtX32', ints: 13, reals: 0 },
  { name: 'gemmDW32', ints: 13, reals: 0 },
  { name: 'sgd32', ints: 3, reals: 2 },
  { name: 'gather32', ints: 9, reals: 0 },
  { name: 'gemmXWtTanh32', ints: 13, reals: 0 },
  { name: 'ovrScores32', ints: 7, reals: 0 },
  { name: 'ovrDc32', ints: 4, reals: 0 },
  { name: 'ovrDeltaDx32', ints: 19, reals: 0 },
  { name: 'dWStep32', ints: 16, reals: 2 },
  { name: 'tanhDeltaDx32', ints: 15, reals: 0 },
  { name: 'ovrDeltaStep32', ints: 21, reals: 2 },
  { name: 'tanhDeltaStep32', ints: 17, reals: 2 },
  { name: 'addBlocks32', ints: 9, reals: 0 },
  { name: 'rowsStep64', ints: 12, reals: 1 },
  { name: 'subwordMean32', ints: 11, reals: 0 },
  { name: 'subwordStep32', ints: 11, reals: 1 },
  { name: 'hotList32', ints: 7, reals: 0 },
] as const;

/** Each kernel's number (its index in KERNELS) by name. */
export const KERNEL = Object.fromEntries(KERNELS.map((k, i) => [k.name, i])) as Record<(typeof KERNELS)[number]['name'], number>;

/** The module's functions, indexed like KERNELS. */
export function kernelTable(exports: WebAssembly.Exports): Kernel[] {
  return KERNELS.map((k) => (k.name === 'stop' ? () => {} : (exports[k.name] as Kernel)));
}

export interface Arena {
  k: Kernel[]; // indexed like KERNELS
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  buffer: ArrayBufferLike;
  bytes: Uint8Array; // the whole arena, for copying masks in
  free: { start: number; size: number }[]; // free ranges, sorted by start, never adjacent
  used: Map<number, number>; // start → size of every live block
  owners: WeakMap<FloatArray, number>; // the array wasmAlloc returned for each live block → its start
  scratch: { start: number; size: number }[]; // by slot: blocks the kernels use for packing and lists
}

let loaded: Arena | undefined;

/** The arena, loading the module on first use. Node ≥ 20 has WebAssembly SIMD and threads everywhere. */
export function arena(): Arena {
  if (loaded) return loaded;
  const file = fileURLToPath(new URL('./kernels.wasm', import.meta.url));
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    throw new NerError(`${file} is missing`, 'build it with `npm run build:wasm` (npm install does it)');
  }
  const module = new WebAssembly.Module(bytes);
  const pages = ARENA_BYTES / PAGE;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  loaded = { k: kernelTable(instance.exports), module, memory, buffer: memory.buffer, bytes: new Uint8Array(memory.buffer), free: [{ start: ALIGN, size: ARENA_BYTES - ALIGN }], used: new Map(), owners: new WeakMap(), scratch: [] };
  return loaded;
}

function allocBytes(L: Arena, bytes: number): number {
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

function freeBytes(L: Arena, start: number): void {
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
 * A zero-filled Float32Array of `length` values inside the arena. When the arena is full it is an
 * ordinary array instead: callers that need the kernels check with inWasmMemory (the tagger's store
 * stops growing there; training refuses with a message, see needArena).
 */
export function wasmAlloc32(length: number): Float32Array {
  return alloc(length, Float32Array);
}

/** The same for a Float64Array (the word rows, which stay float64). */
export function wasmAlloc(length: number): Float64Array {
  return alloc(length, Float64Array);
}

function alloc<T extends FloatArray>(length: number, Kind: { new (length: number): T; new (buffer: ArrayBufferLike, start: number, length: number): T; BYTES_PER_ELEMENT: number }): T {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`wasmAlloc: length must be a whole number ≥ 0, got ${length}`);
  const L = arena();
  const start = allocBytes(L, length * Kind.BYTES_PER_ELEMENT);
  if (start < 0) return new Kind(length);
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
  const L = arena();
  const start = L.owners.get(a);
  if (start === undefined) return;
  L.owners.delete(a);
  freeBytes(L, start);
}

/** The shared WebAssembly memory the arena lives in (the tagger's scorer runs on it too). */
export function wasmMemory(): WebAssembly.Memory {
  return arena().memory;
}

/** True when `a` lies in the arena (so the kernels run on it in place). */
export function inWasmMemory(a: ArrayBufferView): boolean {
  return a.buffer === arena().buffer;
}

/** Throws a clear error unless every array lies in the arena (training's arrays must). */
export function needArena(...arrays: ArrayBufferView[]): void {
  if (!arrays.every(inWasmMemory))
    throw new NerError(`the model does not fit in the ${ARENA_BYTES / 2 ** 20} MB the SIMD kernels work in`, 'use a smaller --hidden, --window or --batch');
}

/** Bytes of the arena in use by live arrays (including the kernels' own scratch) and its capacity. */
export function wasmMemoryUsage(): { used: number; capacity: number } {
  const L = arena();
  let used = 0;
  for (const size of L.used.values()) used += size;
  return { used, capacity: ARENA_BYTES };
}

/** Start of scratch block `slot` (at least `bytes`, kept and grown across calls), or −1 when the arena
 *  cannot hold it. Slot t < 64 is thread t's packing space in the products; others are named users'. */
export function scratch(L: Arena, bytes: number, slot = 0): number {
  const own = (L.scratch[slot] ??= { start: -1, size: 0 });
  if (own.size >= bytes) return own.start;
  if (own.start >= 0) freeBytes(L, own.start);
  const size = Math.max(bytes, 4096);
  own.start = allocBytes(L, size);
  own.size = own.start >= 0 ? size : 0;
  return own.start;
}
