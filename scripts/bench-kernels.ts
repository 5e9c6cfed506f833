// Times the three hot matrix products at the sizes training uses (B = 32 windows, n = 540 inputs,
// M = 400 hidden units for the 'ovr' head, 100 for 'softmax'; 5 blocks of 108 for ∂J/∂x), the plain
// kernels of src/kernels.ts against the WebAssembly SIMD ones of src/kernels-wasm.ts, on the same arrays
// in the same run, and prints GFLOP/s and the speed-up. Usage: node dist/scripts/bench-kernels.js [seconds]
// (time per measurement, default 0.3). Run it with `nice` on a shared machine; the ratios are what count.
// A third column times the float32 (f32x4) kernels, which training uses, on the same values rounded to
// float32, and prints their largest error against the float64 result (relative to Σ|terms|), so a wrong
// kernel cannot look fast; a fourth, the float32 kernels split over two threads (setKernelThreads).

import * as plain from '../src/fast/kernels.js';
import { gemmDW, gemmDtX, gemmXWt, kernelsAvailable, kernelsUnavailableReason, setKernelThreads, wasmAlloc, wasmAlloc32 } from '../src/fast/kernels-wasm.js';
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

/** A float32 copy of `a` in the arena (what training uses). */
function f32Copy(a: Float64Array): Float32Array {
  const v = wasmAlloc32(a.length);
  v.set(a);
  return v;
}
/** max |got − want| / scale over all entries. */
function worst(got: Float32Array, want: Float64Array, scale: Float64Array): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale[i]);
  return e;
}
const abs = (a: Float64Array) => a.map(Math.abs);

const B = 32;
const n = 540;
const P = 5;
const m = n / P;
const rows: string[] = [];
rows.push(['kernel', 'M', 'JS ms', 'JS GFLOP/s', 'f64x2 ms', 'f64x2 GFLOP/s', 'f64x2/JS', 'f32x4 ms', 'f32x4 GFLOP/s', 'f32x4/JS', 'f32 error', 'f32x4 2 threads ms', '2 threads/JS'].join('\t'));
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
  const [X4, W4, b4, Z4, D4, dW4, db4, dX4] = [X, W, b, Z, Delta, dW, db, dX].map(f32Copy);
  const f32XWt = () => gemmXWt(X4, W4, b4, Z4, B, n, M);
  const f32DtX = () => gemmDtX(D4, X4, dW4, db4, B, n, M);
  const f32DW = () => gemmDW(D4, W4, dX4, B, n, M, need, P, m);
  // float32 results against the float64 ones, once, from zeroed gradients
  const err: number[] = [];
  {
    const want = new Float64Array(B * M);
    const scale = new Float64Array(B * M);
    plain.gemmXWt(X, W, b, want, B, n, M);
    plain.gemmXWt(abs(X), abs(W), abs(b), scale, B, n, M);
    f32XWt();
    err.push(worst(Z4, want, scale));
    const wantW = new Float64Array(M * n);
    const wantb = new Float64Array(M);
    const scaleW = new Float64Array(M * n);
    plain.gemmDtX(Delta, X, wantW, wantb, B, n, M);
    plain.gemmDtX(abs(Delta), abs(X), scaleW, new Float64Array(M), B, n, M);
    dW4.fill(0);
    db4.fill(0);
    f32DtX();
    err.push(worst(dW4, wantW, scaleW));
    const wantX = new Float64Array(B * n).fill(1);
    const scaleX = new Float64Array(B * n).fill(1);
    plain.gemmDW(Delta, W, wantX, B, n, M, need, P, m);
    plain.gemmDW(abs(Delta), abs(W), scaleX, B, n, M, need, P, m);
    dX4.fill(1);
    f32DW();
    err.push(worst(dX4, wantX, scaleX));
  }
  const cases: [string, number, () => void, () => void, () => void][] = [
    ['gemmXWt', 2 * B * n * M, () => plain.gemmXWt(X, W, b, Z, B, n, M), () => gemmXWt(X, W, b, Z, B, n, M), f32XWt],
    ['gemmDtX', 2 * B * n * M, () => plain.gemmDtX(Delta, X, dW, db, B, n, M), () => gemmDtX(Delta, X, dW, db, B, n, M), f32DtX],
    ['gemmDW', 2 * needed * m * M, () => plain.gemmDW(Delta, W, dX, B, n, M, need, P, m), () => gemmDW(Delta, W, dX, B, n, M, need, P, m), f32DW],
  ];
  cases.forEach(([name, flops, js, wasm, single], c) => {
    const tj = time(js);
    const tw = time(wasm);
    const ts = time(single);
    setKernelThreads(2);
    const t2 = time(single);
    setKernelThreads(1);
    const g = (ms: number) => (flops / (ms * 1e6)).toFixed(2);
    const x = (ms: number) => (tj / ms).toFixed(2) + '×';
    rows.push([name, M, tj.toFixed(3), g(tj), tw.toFixed(3), g(tw), x(tw), ts.toFixed(3), g(ts), x(ts), err[c].toExponential(1), t2.toFixed(3), x(t2)].join('\t'));
  });
}
process.stdout.write(rows.join('\n') + '\n');
