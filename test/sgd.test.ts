// backwardAndStep (sgd.ts): the fused backward and SGD step of a float32 tanh layer (both heads) must give
// exactly what backward followed by sgdStep gives, for any number of threads and any split of W's rows;
// and the word rows' step in WebAssembly exactly what scatterWordGrads followed by sgdRows gives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockSize, scatterWordGrads } from '../src/model/features.js';
import { inWasmMemory, kernelThreadStats, kernelsAvailable, setKernelShare, setKernelThreads, wasmAlloc, wasmAlloc32, wasmFree, wordRowsStepInArena } from '../src/fast/kernels-wasm.js';
import { type Dims, type Params, backward, convertParams, forward, freeCache, initParams, lossAndGrad, newBackScratch, newCache, wasmFreeParams, zerosLike } from '../src/model/model.js';
import { Rng } from '../src/rng.js';
import { backwardAndStep, sgdRows, sgdStep } from '../src/train/sgd.js';

const skip = kernelsAvailable() ? false : 'WebAssembly kernels unavailable';

function copy(p: Params<Float32Array>): Params<Float32Array> {
  const q = zerosLike(p);
  for (const k of ['W', 'b', 'U', 'c'] as const) q[k].set(p[k]);
  return q;
}

/** One minibatch from the same parameters: the reference (backward, sgdStep) and backwardAndStep. */
function both(d: Dims, B: number, P: number, seed: number, needRate = 0.3) {
  const rng = new Rng(seed);
  const p64 = initParams(d, (a) => rng.uniform(a * 2));
  for (let i = 0; i < p64.b.length; i++) p64.b[i] = rng.uniform(0.5);
  const p1 = convertParams<Float32Array>(p64, 'float32');
  const p2 = copy(p1);
  const cache = newCache<Float32Array>(d, B, 'float32');
  for (let i = 0; i < B * d.n; i++) cache.X[i] = rng.uniform(1);
  const y = Int32Array.from({ length: B }, () => Math.floor(rng.next() * (d.K + 1)));
  const need = Uint8Array.from({ length: B * P }, () => (rng.next() < needRate ? 1 : 0));
  const dx = { need, P, m: d.n / P };
  const run = (p: Params<Float32Array>, fused: boolean) => {
    const g = zerosLike(p);
    const scratch = newBackScratch<Float32Array>(d, B, 'float32');
    const dS = wasmAlloc32(B * d.K);
    forward(p, d, 'tanh', cache, B);
    const S = Float32Array.from(cache.S);
    lossAndGrad(d, cache.S, y, B, dS, 1 / B);
    let calls = 0;
    let dXThen = new Float32Array(0);
    // `then` runs once, when ∂J/∂x is complete (there the word rows' step reads it)
    const then = () => {
      calls++;
      dXThen = Float32Array.from(scratch.dX);
    };
    if (fused) {
      backwardAndStep(p, d, 'tanh', cache, dS, g, scratch, dx, 0.2, 0.001, then);
      assert.equal(calls, 1, 'then runs once');
      for (let i = 0; i < B; i++) for (let q = 0; q < P; q++) if (need[i * P + q]) for (let t = i * d.n + q * dx.m; t < i * d.n + (q + 1) * dx.m; t++) assert.equal(dXThen[t], scratch.dX[t], 'then sees the finished ∂J/∂x');
    } else {
      backward(p, d, 'tanh', cache, dS, g, scratch, dx);
      sgdStep(p, g, 0.2, 0.001);
    }
    const dX = new Float32Array(B * d.n);
    for (let i = 0; i < B; i++) for (let q = 0; q < P; q++) if (need[i * P + q]) dX.set(scratch.dX.subarray(i * d.n + q * dx.m, i * d.n + (q + 1) * dx.m), i * d.n + q * dx.m);
    // every array in the arena, or the fused step would not run (a full arena falls back to kernels.ts)
    assert.ok([p.W, g.W, scratch.Delta, scratch.dX, dS].every(inWasmMemory), 'the arrays are in the WebAssembly arena');
    const plain = (q: Params<Float32Array>) => ({ W: q.W.slice(), b: q.b.slice(), U: q.U.slice(), c: q.c.slice() });
    const out = { S, dX, g: plain(g), p: plain(p) };
    for (const a of [p, g]) wasmFreeParams(a);
    for (const a of [scratch.Delta, scratch.dX, dS]) wasmFree(a);
    return out;
  };
  const result = { ref: run(p1, false), got: run(p2, true) };
  freeCache(cache);
  return result;
}

function assertSame(ref: ReturnType<typeof both>['ref'], got: ReturnType<typeof both>['got'], at: string) {
  assert.deepEqual(Array.from(got.S), Array.from(ref.S), `S ${at}`);
  for (const k of ['W', 'b', 'U', 'c'] as const) {
    assert.deepEqual(Array.from(got.p[k]), Array.from(ref.p[k]), `${k} after the step ${at}`);
    assert.ok(got.g[k].every((v) => v === 0), `∂J/∂${k} left at zero ${at}`);
  }
  assert.deepEqual(Array.from(got.dX), Array.from(ref.dX), `∂J/∂x on the needed blocks ${at}`);
}

test('backwardAndStep (tanh, float32): the same parameters and ∂J/∂x as backward then sgdStep', { skip }, () => {
  for (const [d, B, P] of [
    [{ head: 'ovr', n: 540, H: 100, K: 4 }, 32, 5],
    [{ head: 'ovr', n: 15, H: 9, K: 3 }, 5, 3],
    [{ head: 'ovr', n: 21, H: 7, K: 1 }, 7, 1],
    [{ head: 'softmax', n: 540, H: 100, K: 9 }, 32, 5],
    [{ head: 'softmax', n: 15, H: 9, K: 3 }, 5, 3],
  ] as [Dims, number, number][]) {
    for (const needRate of [0.3, 0]) {
      const { ref, got } = both(d, B, P, 3, needRate);
      assertSame(ref, got, `(${d.head}, n=${d.n}, H=${d.H}, K=${d.K}, 1 thread, ${needRate ? 'with' : 'no'} ∂J/∂x)`);
    }
  }
});

test('backwardAndStep on 2 and 3 threads, with the rows of W split anywhere: the same values', { skip }, () => {
  for (const d of [{ head: 'ovr', n: 540, H: 100, K: 4 }, { head: 'softmax', n: 540, H: 100, K: 9 }] as Dims[]) twoAndThree(d);
});

function twoAndThree(d: Dims): void {
  const warm = { p: convertParams<Float32Array>(initParams(d, () => 0.01), 'float32'), cache: newCache<Float32Array>(d, 32, 'float32') };
  try {
    for (const threads of [2, 3])
      for (const share of [0.25, 0.5, 0.73]) {
        setKernelThreads(threads);
        setKernelShare(share);
        const before = kernelThreadStats().byWorkers;
        const until = Date.now() + 5000; // the workers take a moment to start
        while (kernelThreadStats().byWorkers === before && Date.now() < until) forward(warm.p, d, 'tanh', warm.cache, 32);
        assert.ok(kernelThreadStats().byWorkers > before, 'the workers run parts');
        for (const needRate of [0.3, 0]) {
          const { ref, got } = both(d, 32, 5, 11, needRate);
          assertSame(ref, got, `(${d.head}, ${threads} threads, share ${share}, ${needRate ? 'with' : 'no'} ∂J/∂x)`);
        }
      }
  } finally {
    setKernelShare(null);
    setKernelThreads(1);
  }
}

test('the word rows\' step in WebAssembly: the same float64 values as scatterWordGrads then sgdRows', { skip }, () => {
  const rng = new Rng(5);
  // several minibatches in a row, with shapes that change between calls (the kernel's slot numbers must
  // be left at zero for the next call), odd and even d, repeated rows and pretrained ids (≥ V) skipped
  for (const [window, d, useCasing, V, B] of [
    [1, 6, true, 7, 4],
    [1, 6, true, 7, 4],
    [2, 5, false, 3, 9],
    [0, 100, true, 40, 32],
    [2, 100, true, 400, 32],
    [1, 6, true, 7, 4],
  ] as const) {
    const s = { window, d, useCasing };
    const P = 2 * window + 1;
    const m = blockSize(s);
    const n = P * m;
    const ids = Int32Array.from({ length: B * P }, () => Math.floor(rng.next() * (V + 4)));
    const dX = wasmAlloc32(B * n);
    for (let i = 0; i < dX.length; i++) dX[i] = rng.uniform(1);
    const rows = wasmAlloc(V * d);
    for (let i = 0; i < rows.length; i++) rows[i] = rng.uniform(1);
    const want = Float64Array.from(rows);
    const dRows = new Float64Array(V * d).fill(9); // stale values: scatterWordGrads zeroes each row it meets
    const touched = new Int32Array(B * P);
    const count = scatterWordGrads(s, V, ids, dX, B, dRows, new Uint8Array(V), touched);
    sgdRows(want, dRows, touched, count, d, 0.3);
    assert.ok(count > 0 && count < B * P, 'some rows met, some of them more than once or pretrained');
    assert.equal(wordRowsStepInArena(ids, B * P, P, n, m, d, V, dX, rows, 0.3), true);
    assert.deepEqual(Array.from(rows), Array.from(want), `rows after the step (window ${window}, d ${d}, V ${V}, B ${B})`);
    wasmFree(dX);
    wasmFree(rows);
  }
  // outside the arena: nothing done
  const rows = new Float64Array(6);
  assert.equal(wordRowsStepInArena(new Int32Array(3), 3, 3, 3 * 2, 2, 2, 3, wasmAlloc32(6), rows, 0.3), false);
  assert.deepEqual(Array.from(rows), [0, 0, 0, 0, 0, 0]);
});
