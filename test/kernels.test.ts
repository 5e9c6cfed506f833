// The WebAssembly kernels (src/kernels-wasm.ts) against the plain ones (src/kernels.ts) on random inputs of
// awkward sizes, masked blocks and dead units; bit-identical repeats; the fallback for arrays outside the
// arena; the arena allocator; and the NER_WASM=off switch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as plain from '../src/fast/kernels.js';
import {
  ARENA_BYTES,
  countProduct,
  gemmDW,
  gemmDtX,
  gemmXWt,
  gemmXWtTanh,
  inWasmMemory,
  kernelsAvailable,
  kernelsUnavailableReason,
  newWay,
  ovrForward,
  kernelThreadStats,
  kernelThreads,
  setKernelShare,
  setKernelThreads,
  sgdInArena,
  tanhInArena,
  wasmAlloc,
  wasmAlloc32,
  wasmFree,
  wasmMemoryUsage,
  WAY,
} from '../src/fast/kernels-wasm.js';
import { Rng } from '../src/rng.js';
import { tanh32 } from '../src/predict/fast-scorer.js';

const skip = kernelsAvailable() ? false : `WebAssembly SIMD kernels unavailable: ${kernelsUnavailableReason()}`;
const rng = new Rng(2024);

/** A wasmAlloc'd array of uniform values in [−1, 1), with about `zeros` of them set to 0. */
function random(length: number, zeros = 0): Float64Array {
  const a = wasmAlloc(length);
  for (let i = 0; i < length; i++) a[i] = rng.next() < zeros ? 0 : rng.next() * 2 - 1;
  return a;
}

function abs(a: Float64Array): Float64Array {
  return a.map(Math.abs);
}

/**
 * got ≈ want: |got − want| ≤ 1e-12 · scale, where scale is Σ|terms| of each entry (the same product on
 * absolute values). Relative to the entry itself the bound would fail on sums that cancel to near 0;
 * relative to the sum of magnitudes it is the error bound of any order of float64 additions.
 */
function assertClose(got: Float64Array, want: Float64Array, scale: Float64Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= 1e-12 * scale[i]) && got[i] !== want[i]) {
      assert.fail(`${what}[${i}]: WebAssembly ${got[i]} vs plain ${want[i]} (difference ${err}, scale ${scale[i]})`);
    }
  }
}

const sizes: [number, number, number][] = [
  [1, 1, 1],
  [2, 2, 4],
  [3, 5, 7],
  [7, 13, 11],
  [1, 9, 6],
  [9, 3, 2],
  [5, 17, 5],
  [33, 541, 101],
  [32, 540, 400],
];

test('the compiled module is shipped next to the loader', () => {
  const file = fileURLToPath(new URL('../src/fast/kernels.wasm', import.meta.url));
  assert.ok(existsSync(file), `${file} is missing: run \`npm run build:wasm\``);
});

test('gemmXWt: Z = X Wᵀ + b matches the plain kernel', { skip }, () => {
  for (const [B, n, M] of sizes) {
    const X = random(B * n);
    const W = random(M * n);
    const b = random(M);
    const Z = wasmAlloc(B * M);
    assert.ok(inWasmMemory(X) && inWasmMemory(W) && inWasmMemory(b) && inWasmMemory(Z));
    gemmXWt(X, W, b, Z, B, n, M);
    const want = new Float64Array(B * M);
    plain.gemmXWt(X, W, b, want, B, n, M);
    const scale = new Float64Array(B * M);
    plain.gemmXWt(abs(X), abs(W), abs(b), scale, B, n, M);
    assertClose(Z, want, scale, `Z (B=${B}, n=${n}, M=${M})`);
    const again = wasmAlloc(B * M);
    gemmXWt(X, W, b, again, B, n, M);
    assert.deepEqual(again, Z, 'a second call gives bit-identical results');
    for (const a of [X, W, b, Z, again]) wasmFree(a);
  }
});

test('gemmDtX: dW += Δᵀ X and db += Σ Δ match the plain kernel, with dead units', { skip }, () => {
  for (const [B, n, M] of sizes) {
    for (const zeros of [0, 0.7]) {
      const Delta = random(B * M, zeros);
      // a whole window and a whole block of four units without gradient, as relu gives
      if (B > 2) Delta.fill(0, M, 2 * M);
      if (M >= 4) for (let i = 0; i < B; i++) Delta.fill(0, i * M, i * M + 4);
      const X = random(B * n);
      const dW = random(M * n);
      const db = random(M);
      const dW0 = dW.slice();
      const db0 = db.slice();
      gemmDtX(Delta, X, dW, db, B, n, M);
      const wantW = dW0.slice();
      const wantb = db0.slice();
      plain.gemmDtX(Delta, X, wantW, wantb, B, n, M);
      const scaleW = abs(dW0);
      const scaleb = abs(db0);
      plain.gemmDtX(abs(Delta), abs(X), scaleW, scaleb, B, n, M);
      assertClose(dW, wantW, scaleW, `dW (B=${B}, n=${n}, M=${M})`);
      assertClose(db, wantb, scaleb, `db (B=${B}, n=${n}, M=${M})`);
      const W2 = wasmAlloc(M * n);
      const b2 = wasmAlloc(M);
      W2.set(dW0);
      b2.set(db0);
      gemmDtX(Delta, X, W2, b2, B, n, M);
      assert.deepEqual(W2, dW, 'a second call gives bit-identical results');
      assert.deepEqual(b2, db);
      for (const a of [Delta, X, dW, db, W2, b2]) wasmFree(a);
    }
  }
});

test('gemmDW: dX = Δ W on the masked blocks only, other entries untouched', { skip }, () => {
  const cases: [number, number, number, number][] = [
    // B, M, P, m (n = P·m, or one more to leave a column no block covers)
    [1, 1, 1, 1],
    [3, 7, 1, 9],
    [7, 11, 3, 5],
    [5, 4, 5, 13],
    [8, 6, 2, 17],
    [33, 101, 5, 108],
    [32, 400, 5, 108],
  ];
  for (const [B, M, P, m] of cases) {
    for (const extra of [0, 1]) {
      const n = P * m + extra;
      const Delta = random(B * M, 0.2);
      const W = random(M * n);
      const need = new Uint8Array(B * P);
      for (let k = 0; k < need.length; k++) need[k] = rng.next() < 0.6 ? 1 : 0;
      if (B * P > 1) need[B * P - 1] = 0;
      const dX = random(B * n); // whatever was there must stay where need is 0
      const before = dX.slice();
      gemmDW(Delta, W, dX, B, n, M, need, P, m);
      const want = before.slice();
      plain.gemmDW(Delta, W, want, B, n, M, need, P, m);
      const scale = new Float64Array(B * n);
      plain.gemmDW(abs(Delta), abs(W), scale, B, n, M, need, P, m);
      for (let i = 0; i < B; i++) {
        for (let t = 0; t < n; t++) {
          const p = Math.floor(t / m);
          if (p >= P || !need[i * P + p]) assert.equal(dX[i * n + t], before[i * n + t], `dX[${i},${t}] must not change`);
        }
      }
      assertClose(dX, want, scale, `dX (B=${B}, n=${n}, M=${M}, P=${P}, m=${m})`);
      const again = wasmAlloc(B * n);
      again.set(before);
      gemmDW(Delta, W, again, B, n, M, need, P, m);
      assert.deepEqual(again, dX, 'a second call gives bit-identical results');
      for (const a of [Delta, W, dX, again]) wasmFree(a);
    }
  }
});

test('threads: every product is bit-identical on 1, 2 and 3 threads', { skip }, () => {
  // big enough to be split (≥ 3,000,000 multiply-adds), with sizes that do not divide evenly
  const shapes: [number, number, number][] = [[33, 541, 201], [32, 540, 400], [64, 600, 90], [7, 1100, 401]];
  try {
    for (const [B, n, M] of shapes) {
      const X = random(B * n);
      const W = random(M * n);
      const b = random(M);
      const Delta = random(B * M, 0.3);
      const P = 5;
      const m = Math.floor(n / P);
      const need = new Uint8Array(B * P).map(() => (rng.next() < 0.5 ? 1 : 0));
      const run = (threads: number) => {
        assert.equal(setKernelThreads(threads), threads);
        assert.equal(kernelThreads(), threads);
        const Z = wasmAlloc(B * M);
        const dW = wasmAlloc(M * n);
        const db = wasmAlloc(M);
        const dX = wasmAlloc(B * n).fill(-7); // entries of blocks nobody needs must stay −7
        gemmXWt(X, W, b, Z, B, n, M);
        gemmDtX(Delta, X, dW, db, B, n, M);
        gemmDtX(Delta, X, dW, db, B, n, M); // accumulates
        gemmDW(Delta, W, dX, B, n, M, need, P, m);
        const out = [Z, dW, db, dX].map((a) => Array.from(a));
        for (const a of [Z, dW, db, dX]) wasmFree(a);
        return out;
      };
      const one = run(1);
      for (const threads of [2, 3]) {
        // until the workers have run parts themselves (a part a starting worker has not taken runs here)
        const before = kernelThreadStats().byWorkers;
        for (let k = 0; k < 3000 && kernelThreadStats().byWorkers < before + 20; k++)
          assert.deepEqual(run(threads), one, `B=${B}, n=${n}, M=${M}: ${threads} threads differ from 1`);
        assert.ok(kernelThreadStats().byWorkers >= before + 20, 'the workers ran parts');
      }
    }
  } finally {
    setKernelThreads(1);
  }
});

test('float32: the three products on Float32Arrays agree with float64 sums of the same values', { skip }, () => {
  const f32 = (a: Float64Array) => {
    const out = wasmAlloc32(a.length);
    out.set(a);
    return out;
  };
  /** |got − want| ≤ (terms + 2) · 2⁻²⁴ · Σ|terms|: the error bound of float32 sums in any order. */
  const close = (got: Float32Array, want: Float64Array, scale: Float64Array, terms: number, what: string) => {
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(got[i] - want[i]);
      if (!(err <= (terms + 2) * 2 ** -24 * scale[i])) assert.fail(`${what}[${i}]: float32 ${got[i]} vs float64 ${want[i]} (scale ${scale[i]})`);
    }
  };
  for (const [B, n, M] of sizes) {
    // float64 arrays holding float32 values, so both sides start from the same numbers
    const X = Float64Array.from(f32(random(B * n)));
    const W = Float64Array.from(f32(random(M * n)));
    const b = Float64Array.from(f32(random(M)));
    const Delta = Float64Array.from(f32(random(B * M, 0.3)));
    const Z = wasmAlloc32(B * M);
    gemmXWt(f32(X), f32(W), f32(b), Z, B, n, M);
    const wantZ = new Float64Array(B * M);
    plain.gemmXWt(X, W, b, wantZ, B, n, M);
    const scaleZ = new Float64Array(B * M);
    plain.gemmXWt(abs(X), abs(W), abs(b), scaleZ, B, n, M);
    close(Z, wantZ, scaleZ, n + 1, `Z (B=${B}, n=${n}, M=${M})`);
    const dW = wasmAlloc32(M * n);
    const db = wasmAlloc32(M);
    gemmDtX(f32(Delta), f32(X), dW, db, B, n, M);
    const [wantW, wantb] = [new Float64Array(M * n), new Float64Array(M)];
    plain.gemmDtX(Delta, X, wantW, wantb, B, n, M);
    const [scaleW, scaleb] = [new Float64Array(M * n), new Float64Array(M)];
    plain.gemmDtX(abs(Delta), abs(X), scaleW, scaleb, B, n, M);
    close(dW, wantW, scaleW, B, `dW (B=${B}, n=${n}, M=${M})`);
    close(db, wantb, scaleb, B, `db (B=${B}, n=${n}, M=${M})`);
    const P = n >= 5 ? 5 : 1;
    const m = Math.floor(n / P);
    const need = new Uint8Array(B * P).map(() => (rng.next() < 0.6 ? 1 : 0));
    const dX = wasmAlloc32(B * n).fill(-7);
    gemmDW(f32(Delta), f32(W), dX, B, n, M, need, P, m);
    const wantX = new Float64Array(B * n).fill(-7);
    plain.gemmDW(Delta, W, wantX, B, n, M, need, P, m);
    const scaleX = new Float64Array(B * n).fill(0);
    plain.gemmDW(abs(Delta), abs(W), scaleX, B, n, M, need, P, m);
    close(dX, wantX, scaleX, M, `dX (B=${B}, n=${n}, M=${M})`);
  }
});

test('float32: threads give bit-identical products, tanh and sgd', { skip }, () => {
  const [B, n, M] = [32, 540, 400];
  const fill = (a: Float32Array) => {
    for (let i = 0; i < a.length; i++) a[i] = rng.next() - 0.5;
    return a;
  };
  const X = fill(wasmAlloc32(B * n));
  const W = fill(wasmAlloc32(M * n));
  const results: number[][] = [];
  try {
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const before = kernelThreadStats().byWorkers;
      const [b, Z, H, dW, db, dX, theta] = [M, B * M, B * M, M * n, M, B * n, M * n].map((k) => wasmAlloc32(k));
      // repeated until the workers have run parts (parts a starting or paused worker does not take run here)
      for (let k = 0; k < 3000 && (k === 0 || kernelThreadStats().byWorkers < before + 10); k++) {
        for (const a of [dW, db]) a.fill(0);
        theta.set(W);
        gemmXWt(X, W, b, Z, B, n, M);
        tanhInArena(Z, H, B * M);
        gemmDtX(H, X, dW, db, B, n, M);
        gemmDW(H, W, dX, B, n, M, new Uint8Array(B * 5).fill(1), 5, 108);
        sgdInArena(theta, dW, M * n, 0.1, 0, n);
      }
      if (threads > 1) assert.ok(kernelThreadStats().byWorkers >= before + 10, 'the workers ran parts');
      results.push([...Z, ...H, ...db, ...dX, ...theta]);
      for (const a of [b, Z, H, dW, db, dX, theta]) wasmFree(a);
    }
    assert.deepEqual(results[1], results[0]);
  } finally {
    setKernelThreads(1);
  }
});

test('gemmXWtTanh: z = Wx + b and h = tanh z in one pass, bit for bit as the two steps, on 1 and 2 threads', { skip }, () => {
  const fill = (a: Float32Array) => {
    for (let i = 0; i < a.length; i++) a[i] = (rng.next() - 0.5) * 0.2;
    return a;
  };
  try {
    for (const [B, n, M] of [[32, 540, 400], [5, 17, 9], [33, 541, 203]]) {
      const [X, W, b] = [fill(wasmAlloc32(B * n)), fill(wasmAlloc32(M * n)), fill(wasmAlloc32(M))];
      const [Z1, H1, Z2, H2] = [0, 0, 0, 0].map(() => wasmAlloc32(B * M));
      gemmXWt(X, W, b, Z1, B, n, M);
      assert.ok(tanhInArena(Z1, H1, B * M));
      for (const threads of [1, 2]) {
        setKernelThreads(threads);
        const before = kernelThreadStats().byWorkers;
        for (let k = 0; k < 3000 && (k === 0 || (threads > 1 && B * n * M >= 1.5e6 && kernelThreadStats().byWorkers < before + 5)); k++)
          assert.ok(gemmXWtTanh(X, W, b, Z2, H2, B, n, M));
        assert.deepEqual(Array.from(Z2), Array.from(Z1), `Z (B=${B}, n=${n}, M=${M}, ${threads} threads)`);
        assert.deepEqual(Array.from(H2), Array.from(H1), `H (B=${B}, n=${n}, M=${M}, ${threads} threads)`);
      }
      for (const a of [X, W, b, Z1, H1, Z2, H2]) wasmFree(a);
    }
    assert.equal(gemmXWtTanh(new Float32Array(4), new Float32Array(4), new Float32Array(2), new Float32Array(4), new Float32Array(4), 2, 2, 2), false, 'outside the arena: left to the caller');
  } finally {
    setKernelThreads(1);
  }
});

test('ovrForward: bit for bit as gemmXWtTanh with model.ts\'s loop for the scores, on 1 and 2 threads', { skip }, () => {
  const fill = (a: Float32Array, scale = 0.2) => {
    for (let i = 0; i < a.length; i++) a[i] = (rng.next() - 0.5) * scale;
    return a;
  };
  try {
    for (const [B, n, H, K] of [[32, 540, 100, 4], [5, 17, 9, 3], [33, 541, 50, 1]]) {
      const M = K * H;
      const [X, W, b, U, c] = [fill(wasmAlloc32(B * n)), fill(wasmAlloc32(M * n)), fill(wasmAlloc32(M)), fill(wasmAlloc32(M), 2), fill(wasmAlloc32(K))];
      const [Z1, H1] = [wasmAlloc32(B * M), wasmAlloc32(B * M)];
      const S1 = wasmAlloc32(B * K);
      assert.ok(gemmXWtTanh(X, W, b, Z1, H1, B, n, M));
      for (let i = 0; i < B; i++)
        for (let k = 0; k < K; k++) {
          let acc = c[k];
          for (let t = 0; t < H; t++) acc += U[k * H + t] * H1[i * M + k * H + t];
          S1[i * K + k] = acc;
        }
      const [Z2, H2, S2] = [B * M, B * M, B * K].map((l) => wasmAlloc32(l));
      for (const threads of [1, 2]) {
        setKernelThreads(threads);
        assert.ok(ovrForward(X, W, b, Z2, H2, U, c, S2, B, n, H, K));
        const at = `(B=${B}, n=${n}, H=${H}, K=${K}, ${threads} threads)`;
        assert.deepEqual(Array.from(Z2), Array.from(Z1), `Z ${at}`);
        assert.deepEqual(Array.from(H2), Array.from(H1), `H ${at}`);
        assert.deepEqual(Array.from(S2), Array.from(S1), `S ${at}`);
      }
    }
    const out = () => new Float32Array(8);
    assert.equal(ovrForward(out(), out(), out(), out(), out(), out(), out(), out(), 2, 2, 2, 2), false, 'outside the arena: left to the caller');
  } finally {
    setKernelThreads(1);
  }
});

test('tanh: within 4 units in the last place of Math.tanh, signs and special values kept', { skip }, () => {
  const values = [0, -0, NaN, Infinity, -Infinity, 1e-300, -1e-300, 5e-324, 1e-9, 0.125, -0.125, 0.3466, 0.35, 1, -1, 19, 19.1, 25, -40, 710, -1e308];
  for (let i = 0; i < 20000; i++) values.push((rng.next() - 0.5) * 10 ** (rng.next() * 6 - 4));
  for (const length of [values.length, 1, 2, 3, 5]) {
    const z = wasmAlloc(length);
    z.set(values.slice(0, length));
    const h = wasmAlloc(length);
    assert.ok(tanhInArena(z, h, length));
    for (let i = 0; i < length; i++) {
      const want = Math.tanh(z[i]);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(h[i]), `tanh(${z[i]}) = ${h[i]}`);
      else if (want === 0) assert.ok(Object.is(h[i], want), `tanh(${Object.is(z[i], -0) ? '-0' : z[i]}) = ${h[i]}`);
      else {
        const ulps = Math.abs(h[i] - want) / Math.max(Math.abs(want) * 2 ** -52, Number.MIN_VALUE);
        assert.ok(ulps <= 4, `tanh(${z[i]}) = ${h[i]}, Math.tanh gives ${want} (${ulps.toFixed(1)} ulps apart)`);
      }
    }
    wasmFree(z);
    wasmFree(h);
  }
  assert.equal(tanhInArena(new Float64Array(4), new Float64Array(4), 4), false, 'arrays outside the arena are left to the caller');
});

test('tanh on float32 arrays: the float32 tanh of the tagger (fast-scorer.ts tanh32), bit for bit', { skip }, () => {
  const values = [0, -0, 1e-30, -1e-30, 0.125, -0.3466, 1, -1, 9, 15, 16, -40, 1e30];
  for (let i = 0; i < 40_000; i++) values.push((rng.next() - 0.5) * 10 ** (rng.next() * 5 - 3));
  for (const length of [values.length, 1, 2, 3, 5]) {
    const z = wasmAlloc32(length);
    z.set(values.slice(0, length));
    const h = wasmAlloc32(length);
    assert.ok(tanhInArena(z, h, length));
    for (let i = 0; i < length; i++) assert.ok(Object.is(h[i], Math.fround(tanh32(z[i]))), `tanh(${z[i]}) = ${h[i]}, the tagger's ${tanh32(z[i])}`);
    wasmFree(z);
    wasmFree(h);
  }
});

test('sgd: the same values as the plain loop, bit for bit, and the gradient left at zero', { skip }, () => {
  for (const [length, l2] of [[1, 0], [7, 0], [1000, 0], [9, 0.01], [1001, 0.001]] as const) {
    const theta = random(length);
    const g = random(length, 0.2);
    const want = theta.map((t, i) => (l2 === 0 ? t - 0.2 * g[i] : t - 0.2 * (g[i] + l2 * t)));
    assert.ok(sgdInArena(theta, g, length, 0.2, l2));
    assert.deepEqual(theta, want, `θ (length ${length}, l2 ${l2})`);
    assert.ok(g.every((v) => v === 0), 'g is zeroed');
    wasmFree(theta);
    wasmFree(g);
  }
});

test('threads: tanh and sgd are bit-identical on 1 and 3 threads', { skip }, () => {
  try {
    // big enough to be split: tanh of 200,001 values; an SGD step on a 401 × 540 matrix (rowLength 540)
    const [rows, n] = [401, 540];
    const length = 200_001;
    const z = random(length);
    const theta = random(rows * n);
    const g = random(rows * n);
    const results: number[][] = [];
    for (const threads of [1, 3]) {
      setKernelThreads(threads);
      const before = kernelThreadStats().byWorkers;
      const h = wasmAlloc(length);
      const th = wasmAlloc(rows * n);
      const gg = wasmAlloc(rows * n);
      // repeated until the workers have run parts (parts a starting or paused worker does not take run here)
      for (let k = 0; k < 3000 && (k === 0 || kernelThreadStats().byWorkers < before + 10); k++) {
        th.set(theta);
        gg.set(g);
        tanhInArena(z, h, length);
        sgdInArena(th, gg, rows * n, 0.1, 0.001, n);
      }
      if (threads > 1) assert.ok(kernelThreadStats().byWorkers >= before + 10, 'the workers ran parts');
      results.push([...h, ...th, ...gg]);
      for (const a of [h, th, gg]) wasmFree(a);
    }
    assert.deepEqual(results[1], results[0]);
  } finally {
    setKernelThreads(1);
  }
});

test('arrays outside the arena fall back to the plain kernels, with identical results', () => {
  const [B, n, M] = [5, 17, 6];
  const X = random(B * n);
  const W = new Float64Array(M * n).map(() => rng.next() - 0.5); // not from wasmAlloc
  const b = random(M);
  const Z = wasmAlloc(B * M);
  const want = new Float64Array(B * M);
  gemmXWt(X, W, b, Z, B, n, M);
  plain.gemmXWt(X, W, b, want, B, n, M);
  assert.deepEqual(Z, want);

  const Delta = new Float64Array(B * M).map(() => rng.next() - 0.5);
  const dW = wasmAlloc(M * n);
  const db = wasmAlloc(M);
  const wantW = new Float64Array(M * n);
  const wantb = new Float64Array(M);
  gemmDtX(Delta, X, dW, db, B, n, M);
  plain.gemmDtX(Delta, X, wantW, wantb, B, n, M);
  assert.deepEqual(dW, wantW);
  assert.deepEqual(db, wantb);

  const need = new Uint8Array(B).fill(1);
  const dX = wasmAlloc(B * n);
  const wantX = new Float64Array(B * n);
  gemmDW(Delta, W, dX, B, n, M, need, 1, n);
  plain.gemmDW(Delta, W, wantX, B, n, M, need, 1, n);
  assert.deepEqual(dX, wantX);
  // an array in the arena but shorter than the sizes say is not handed to WebAssembly either
  const short = wasmAlloc(B * M - 1);
  const shortWant = new Float64Array(B * M - 1);
  gemmXWt(X, W, b, short, B, n, M);
  plain.gemmXWt(X, W, b, shortWant, B, n, M);
  assert.deepEqual(short, shortWant);
  for (const a of [X, b, Z, dW, db, dX, short]) wasmFree(a);
});

test('wasmAlloc: aligned, zero-filled, disjoint blocks; freed space is merged and reused', { skip }, () => {
  const used0 = wasmMemoryUsage().used;
  const a = wasmAlloc(10);
  const b = wasmAlloc(3);
  const c = wasmAlloc(100);
  for (const v of [a, b, c]) {
    assert.ok(inWasmMemory(v));
    assert.equal(v.byteOffset % 64, 0);
    assert.ok(v.every((x) => x === 0));
  }
  const spans = [a, b, c].map((v) => [v.byteOffset, v.byteOffset + v.byteLength]).sort((p, q) => p[0] - q[0]);
  for (let k = 1; k < spans.length; k++) assert.ok(spans[k - 1][1] <= spans[k][0], 'blocks overlap');
  a.fill(7);
  b.fill(7);
  wasmFree(a);
  wasmFree(b);
  // a and b were adjacent and are merged back, so one block of both sizes fits where a was
  const d = wasmAlloc(16);
  assert.equal(d.byteOffset, Math.min(a.byteOffset, b.byteOffset));
  assert.ok(d.every((x) => x === 0), 'a reused block is zeroed');
  wasmFree(a); // a second free of a is ignored: its block now belongs to d
  wasmFree(d.subarray(0)); // so is a view that wasmAlloc did not return
  const e = wasmAlloc(16);
  assert.notEqual(e.byteOffset, d.byteOffset, 'd is still live');
  wasmFree(c);
  wasmFree(d);
  wasmFree(e);
  wasmFree(new Float64Array(4)); // not from the arena: ignored
  assert.equal(wasmMemoryUsage().used, used0);
});

test('wasmAlloc: a request larger than the arena gives an ordinary array that still works', { skip }, () => {
  const big = wasmAlloc(ARENA_BYTES / 8 + 1);
  assert.equal(inWasmMemory(big), false);
  assert.equal(big.length, ARENA_BYTES / 8 + 1);
  const small = wasmAlloc(4);
  assert.ok(inWasmMemory(small), 'the arena is still usable');
  wasmFree(small);
  assert.throws(() => wasmAlloc(-1), /whole number/);
});

test('NER_WASM=off: no WebAssembly, ordinary arrays, plain results', () => {
  const loader = new URL('../src/fast/kernels-wasm.js', import.meta.url).href;
  const script = `
    import { kernelsAvailable, kernelsUnavailableReason, wasmAlloc, inWasmMemory, gemmXWt } from ${JSON.stringify(loader)};
    const X = wasmAlloc(6), W = wasmAlloc(9), b = wasmAlloc(3), Z = wasmAlloc(6);
    X.set([1, 2, 3, 4, 5, 6]); W.set([1, 0, 0, 0, 1, 0, 0, 0, 1]); b.set([0.5, 0, -1]);
    gemmXWt(X, W, b, Z, 2, 3, 3);
    console.log(JSON.stringify({ on: kernelsAvailable(), why: kernelsUnavailableReason(), arena: inWasmMemory(X), Z: [...Z] }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NER_WASM: 'off' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.on, false);
  assert.match(out.why, /NER_WASM=off/);
  assert.equal(out.arena, false);
  assert.deepEqual(out.Z, [1.5, 2, 2, 4.5, 5, 5]);
});

test('solo or together: short probes, the gap doubling after each lost probe and reset by a won one', () => {
  const w = newWay();
  // runs `calls` products of `ms` each; returns how many of them ran solo
  const run = (calls: number, ms: (solo: boolean) => number): number => {
    let solo = 0;
    for (let k = 0; k < calls; k++) {
      if (w.solo) solo++;
      countProduct(w, ms(w.solo));
    }
    return solo;
  };
  const together = (solo: boolean) => (solo ? 0.5 : 0.3); // together clearly faster
  // warm-up windows run the usual way only; then a probe window of PROBE_WINDOW products after PROBE windows
  assert.equal(run((WAY.WARM_UP + 1) * WAY.WINDOW, together), 0);
  const first = run((WAY.PROBE - WAY.WARM_UP - 1) * WAY.WINDOW + WAY.PROBE_WINDOW + (WAY.PROBE - 1) * WAY.WINDOW, together);
  assert.equal(first, WAY.PROBE_WINDOW);
  assert.equal(w.gap, 2 * WAY.PROBE, 'a probe that lost by more than LOST doubles the gap');
  assert.equal(w.usualSolo, false);
  // the next probe comes after 2·PROBE usual windows, then the gap grows to GAP_MAX and stays there
  let windows = 0;
  while (!w.solo) { run(WAY.WINDOW, together); windows++; }
  assert.equal(windows, 2 * WAY.PROBE - (WAY.PROBE - 1));
  for (let k = 0; k < 10; k++) {
    run(WAY.PROBE_WINDOW, together);
    while (!w.solo) run(WAY.WINDOW, together);
  }
  assert.equal(w.gap, WAY.GAP_MAX);
  // now the calling thread alone is faster: the probe wins, solo becomes the usual way, the gap is reset
  const alone = (solo: boolean) => (solo ? 0.2 : 0.5);
  assert.equal(run(WAY.PROBE_WINDOW, alone), WAY.PROBE_WINDOW);
  assert.equal(w.usualSolo, true);
  assert.equal(w.gap, WAY.PROBE);
  assert.equal(run(WAY.WINDOW, alone), WAY.WINDOW);
  // a probe that loses by less than LOST keeps the gap
  const close = (solo: boolean) => (solo ? 0.2 : 0.22);
  while (w.solo) run(1, close);
  run(WAY.PROBE_WINDOW, close);
  assert.equal(w.gap, WAY.PROBE);
  assert.equal(w.usualSolo, true);
});
