// Loads the tagger's SIMD scorer (src/fast/scorer.wat, assembled to dist/src/fast/scorer.wasm by `npm run
// build:wasm`) on the shared memory of kernels-wasm.ts, so that it runs in place on arrays from
// wasmAlloc32. A worker thread passes the memory it was given instead. Loaded lazily, once per memory;
// null when WebAssembly is off (NER_WASM=off), missing or unusable: fast-scorer.ts then runs its plain-JS
// version, which gives bit-identical results.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmMemory } from './kernels-wasm.js';

/** The module's functions; arguments are byte offsets into the memory and element counts (see scorer.wat). */
export interface ScorerKernels {
  part: (...args: number[]) => void;
  tanh: (z: number, h: number, len: number) => void;
  memory: WebAssembly.Memory;
}

let module: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, ScorerKernels>();

function compiled(): WebAssembly.Module | null {
  if (module !== undefined) return module;
  module = null;
  const flag = process.env.NER_WASM;
  if (flag === 'off' || flag === '0' || typeof WebAssembly !== 'object') return null;
  try {
    module = new WebAssembly.Module(readFileSync(fileURLToPath(new URL('./scorer.wasm', import.meta.url))));
  } catch {
    module = null; // missing file or no SIMD: the plain-JS scorer is used
  }
  return module;
}

/** The scorer instantiated on `memory` (default: this thread's kernels-wasm.ts memory), or null. */
export function scorerKernels(memory: WebAssembly.Memory | null = wasmMemory()): ScorerKernels | null {
  const m = compiled();
  if (m === null || memory === null) return null;
  let k = instances.get(memory);
  if (k === undefined) {
    const e = new WebAssembly.Instance(m, { env: { memory } }).exports;
    k = { part: e.part as ScorerKernels['part'], tanh: e.tanh as ScorerKernels['tanh'], memory };
    instances.set(memory, k);
  }
  return k;
}
