// Times the three hot matrix products at the sizes training uses (B = 32 windows, n = 540 inputs,
// M = 400 hidden units for the 'ovr' head, 100 for 'softmax'; 5 blocks of 108 for ∂J/∂x), the plain
// kernels of src/kernels.ts against the WebAssembly SIMD ones of src/kernels-wasm.ts, on the same arrays
// in the same run, and prints GFLOP/s and the speed-up. Usage: node dist/scripts/bench-kernels.js [seconds]
// (time per measurement, default 0.3). Run it with `nice` on a shared machine; the ratios are what count.

import * as plain from '../src/kernels.js';
import { gemmDW, gemmDtX, gemmXWt, kernelsAvailable, kernelsUnavailableReason, wasmAlloc } from '../src/kernels-wasm.js';
import { Rng } from '../src/rng.js';

const seconds = Number(process.argv[2] ?? 0.3);
const rng = new Rng(7);

function random(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.next() * 2 - 1;
  return a;
}

/** Best time per call (ms) over three rounds of at least `seconds` each. */
function time(run: () => void): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < seconds * 1000) {
      for (let r = 0; r < 10; r++) run();
      calls += 10;
      t1 = performance.now();
    }
    best = Math.min(best, (t1 - t0) / calls);
  }
  return best;
}

if (!kernelsAvailable()) {
  process.stderr.write(`WebAssembly kernels unavailable: ${kernelsUnavailableReason()}\n`);
  process.exit(1);
}

const B = 32;
const n = 540;
const P = 5;
const m = n / P;
const rows: string[] = [];
rows.push(['kernel', 'M', 'JS ms', 'JS GFLOP/s', 'WASM ms', 'WASM GFLOP/s', 'speed-up'].join('\t'));
for (const M of [400, 100]) {
  const X = random(wasmAlloc(B * n));
  const W = random(wasmAlloc(M * n));
  const b = random(wasmAlloc(M));
  const Z = wasmAlloc(B * M);
  const Delta = random(wasmAlloc(B * M));
  const dW = wasmAlloc(M * n);
  const db = wasmAlloc(M);
  const dX = wasmAlloc(B * n);
  // in training about 9 in 10 window positions hold one of the model's own word vectors
  const need = new Uint8Array(B * P);
  for (let k = 0; k < need.length; k++) need[k] = rng.next() < 0.9 ? 1 : 0;
  let needed = 0;
  for (const v of need) needed += v;
  const cases: [string, number, () => void, () => void][] = [
    ['gemmXWt', 2 * B * n * M, () => plain.gemmXWt(X, W, b, Z, B, n, M), () => gemmXWt(X, W, b, Z, B, n, M)],
    ['gemmDtX', 2 * B * n * M, () => plain.gemmDtX(Delta, X, dW, db, B, n, M), () => gemmDtX(Delta, X, dW, db, B, n, M)],
    ['gemmDW', 2 * needed * m * M, () => plain.gemmDW(Delta, W, dX, B, n, M, need, P, m), () => gemmDW(Delta, W, dX, B, n, M, need, P, m)],
  ];
  for (const [name, flops, js, wasm] of cases) {
    const tj = time(js);
    const tw = time(wasm);
    const g = (ms: number) => (flops / (ms * 1e6)).toFixed(2);
    rows.push([name, M, tj.toFixed(3), g(tj), tw.toFixed(3), g(tw), (tj / tw).toFixed(2) + '×'].join('\t'));
  }
}
process.stdout.write(rows.join('\n') + '\n');
