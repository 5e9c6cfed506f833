// Training's float32 SIMD path (src/fast/) against the reference (src/model/model.ts: ml-matrix,
// float64): the forward pass to float32 rounding; the backward pass and SGD step (backward-sgd.ts) to a
// stated tolerance, for every head, every activation, with and without ∂J/∂x; bit for bit on 1, 2 and 3
// threads; the word rows' step in WebAssembly = scatterWordGrads then sgdRows, bit for bit; training's
// tanh = the tagger's, bit for bit; the arena allocator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ARENA_BYTES, inWasmMemory, wasmAlloc, wasmAlloc32, wasmFree, wasmMemoryUsage } from '../src/fast/arena.js';
import { backwardAndStep, sgdRows, stepWordRows } from '../src/fast/backward-sgd.js';
import { forward as fastForward, free32, newWorkspace, toArena32, zerosLike32 } from '../src/fast/forward.js';
import { gemmXWtTanh } from '../src/fast/kernels.js';
import { scorerKernels } from '../src/fast/scorer-wasm.js';
import { kernelThreadStats, setKernelThreads } from '../src/fast/team.js';
import { blockSize, scatterWordGrads } from '../src/model/features.js';
import { type Activation, type Dims, type Params, backward, forward, initParams, lossAndGrad, newBackScratch, newCache, zerosLike } from '../src/model/model.js';
import { Rng } from '../src/rng.js';

const LR = 0.2;
const L2 = 0.001;

interface Problem {
  d: Dims;
  f: Activation;
  B: number;
  P: number;
  p: Params; // float64 values that float32 holds exactly
  X: Float64Array;
  y: Int32Array;
  need: Uint8Array; // 0, 1 (the block's columns [0, to)) or 2 (its columns [from, to))
  from: number;
  to?: number; // the block's one-hot columns start here (default: none)
  l2?: number; // the step's weight decay λ (default L2)
}

function problem(d: Dims, f: Activation, B: number, P: number, seed: number, needRate: number): Problem {
  const rng = new Rng(seed);
  const p = initParams(d, (a) => Math.fround(rng.uniform(a * 2)));
  for (let i = 0; i < p.b.length; i++) p.b[i] = Math.fround(rng.uniform(0.5));
  for (let i = 0; i < p.c.length; i++) p.c[i] = Math.fround(rng.uniform(0.5));
  const X = Float64Array.from({ length: B * d.n }, () => Math.fround(rng.uniform(1)));
  const y = Int32Array.from({ length: B }, () => Math.floor(rng.next() * (d.head === 'ovr' ? d.K + 1 : d.K)));
  const need = Uint8Array.from({ length: B * P }, () => {
    const r = rng.next();
    return r < needRate / 2 ? 1 : r < needRate ? 2 : 0;
  });
  // in the middle of a block and of a tile of gemmDW32's
  const from = Math.floor(d.n / P / 2) + 1;
  return { d, f, B, P, p, X, y, need, from };
}

const SENTINEL = 7;

/** The fast path on a problem: S after forward, the parameters after one step, ∂J/∂x (SENTINEL where not
 *  needed). Forward reads the one-hot columns from their hot list when q has them, or when `hotFrom` says
 *  where they start (for a backward pass that does not know of them). */
function fast(q: Problem, hotFrom = q.to) {
  const { d, f, B, P } = q;
  const p = toArena32(q.p);
  const g = zerosLike32(p);
  const w = newWorkspace(d, B);
  const dS = wasmAlloc32(B * d.K);
  w.X.set(q.X);
  w.dX.fill(SENTINEL);
  fastForward(p, d, f, w, B, hotFrom === undefined ? undefined : { P, m: d.n / P, hot: hotFrom });
  const S = Float64Array.from(w.S.subarray(0, B * d.K));
  lossAndGrad(d, w.S, q.y, B, dS, 1 / B);
  let calls = 0;
  let dXThen = new Float32Array(0);
  backwardAndStep(p, d, f, w, dS, g, { need: q.need, P, m: d.n / P, from: q.from, to: q.to }, LR, q.l2 ?? L2, () => {
    calls++;
    dXThen = w.dX.slice(0, B * d.n);
  });
  assert.equal(calls, 1, 'then runs once');
  assert.deepEqual(dXThen, w.dX.slice(0, B * d.n), 'then sees the finished ∂J/∂x');
  for (const k of ['W', 'b', 'U', 'c'] as const) assert.ok(g[k].every((v) => v === 0), `∂J/∂${k} left at zero`);
  const out = { S, p: { W: Float64Array.from(p.W), b: Float64Array.from(p.b), U: Float64Array.from(p.U), c: Float64Array.from(p.c) }, dX: Float64Array.from(w.dX.subarray(0, B * d.n)) };
  free32(p.W, p.b, p.U, p.c, g.W, g.b, g.U, g.c, w.X, w.Z, w.Hh, w.S, w.Delta, w.dX, dS);
  return out;
}

/** The reference: model.ts's forward, lossAndGrad and backward in float64, then θ ← θ − α (g + λθ) (no λ on biases). */
function reference(q: Problem) {
  const { d, f, B, P } = q;
  const cache = newCache(d, B);
  cache.X.set(q.X);
  forward(q.p, d, f, cache, B);
  const dS = new Float64Array(B * d.K);
  lossAndGrad(d, cache.S, q.y, B, dS, 1 / B);
  const g = zerosLike(q.p);
  const scratch = newBackScratch(d, B);
  scratch.dX.fill(SENTINEL);
  backward(q.p, d, f, cache, dS, g, scratch, { need: q.need, P, m: d.n / P, from: q.from, to: q.to });
  const step = (theta: Float64Array, grad: Float64Array, l2: number) => theta.map((v, i) => v - LR * (grad[i] + l2 * v));
  const l2 = q.l2 ?? L2;
  return { S: cache.S, p: { W: step(q.p.W, g.W, l2), b: step(q.p.b, g.b, 0), U: step(q.p.U, g.U, l2), c: step(q.p.c, g.c, 0) }, dX: scratch.dX };
}

/** |got − want| ≤ tol · max|want| + abs at every entry. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, abs: number, what: string): void {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * scale + abs)) assert.fail(`${what}[${i}]: fast ${got[i]} vs reference ${want[i]} (scale ${scale})`);
  }
}

/**
 * q with one-hot columns in every block, as gather makes them: columns [to, m) all 0 but one 1 in each of
 * two groups (the first of `first` columns), or all 0 in some blocks (a one-hot value of another size).
 */
function withOneHot(q: Problem, to: number, first: number, seed: number, secondRate = 1): Problem {
  const rng = new Rng(seed);
  const { d, B, P } = q;
  const m = d.n / P;
  const X = Float64Array.from(q.X);
  for (let k = 0; k < B * P; k++) {
    const o = k * m;
    X.fill(0, o + to, o + m);
    if (rng.next() < 0.1) continue;
    X[o + to + Math.floor(rng.next() * first)] = 1;
    if (to + first < m && rng.next() < secondRate) X[o + to + first + Math.floor(rng.next() * (m - to - first))] = rng.next() < 0.1 ? 0.5 : 1;
  }
  return { ...q, X, to };
}

const BIG: Dims[] = [
  { head: 'ovr', n: 540, H: 100, K: 4 },
  { head: 'softmax', n: 540, H: 100, K: 17 },
];
// the reference is slow in ml-matrix: mid-sized problems (several tiles of every kernel) for it
const MID: Dims[] = [
  { head: 'ovr', n: 135, H: 24, K: 4 },
  { head: 'softmax', n: 135, H: 40, K: 17 },
  { head: 'logistic', n: 135, H: 40, K: 17 },
];
const ODD: Dims[] = [
  { head: 'ovr', n: 21, H: 5, K: 3 },
  { head: 'softmax', n: 21, H: 7, K: 5 },
  { head: 'logistic', n: 21, H: 7, K: 5 },
];

/** The fast path's result on q against the reference's; returns the fast one. */
function assertFastIsReference(q: Problem): ReturnType<typeof fast> {
  const { d, B, P } = q;
  const got = fast(q);
  const want = reference(q);
  // float32 sums over n ≤ 540 terms: scores within 1e-5 of their scale
  assertClose(got.S, want.S, 1e-5, 1e-6, 'S');
  // the step: (θ₀ − θ₁)/α, the gradient plus decay, within 1e-3 of its scale (float32 rounding of
  // the sums, and of θ₁ itself: 1e-7 · |θ| / α)
  for (const k of ['W', 'b', 'U', 'c'] as const) {
    const grad = (p: Float64Array) => p.map((v, i) => (q.p[k][i] - v) / LR);
    assertClose(grad(got.p[k]), grad(want.p[k]), 1e-3, 2e-6, `${k}'s step`);
  }
  // ∂J/∂x on [0, to) (need 1) and [from, to) (need 2) only: the rest of a block may hold anything, and
  // SENTINEL stays on the blocks not asked for and on the columns from `to` on
  const m = d.n / P;
  const dX = Float64Array.from(got.dX);
  for (let k = 0; k < B * P; k++) if (q.need[k] === 2) dX.fill(SENTINEL, k * m, k * m + q.from);
  assertClose(dX, want.dX, 1e-4, 1e-9, '∂J/∂x (SENTINEL off the needed blocks and columns)');
  return got;
}

for (const f of ['tanh', 'relu', 'sigmoid'] as const)
  for (const [d, B, P] of [...MID.map((d) => [d, 32, 5] as const), ...ODD.map((d) => [d, 7, 3] as const)])
    for (const needRate of [0.3, 0])
      test(`fast = reference: ${d.head} ${f}, n ${d.n}, H ${d.H}, B ${B}, ${needRate ? 'with' : 'no'} ∂J/∂x`, () => {
        const q = problem(d, f, B, P, 7, needRate);
        assert.ok(q.need.includes(2) || needRate === 0);
        assertFastIsReference(q);
      });

for (const f of ['tanh', 'relu'] as const)
  for (const [d, B, P, to, first] of [...MID.map((d) => [d, 32, 5, 20, 3] as const), ...ODD.map((d) => [d, 7, 3, 5, 1] as const)])
    for (const needRate of [0.3, 0])
      for (const [l2, wide] of [[L2, false], [L2, true], [0, true]] as const)
      // wide: more one-hot columns, the second group's set in few windows, so that no window of the
      // minibatch sets some of them (a step without decay leaves their weights as they are; with decay, it
      // shrinks them)
      test(`one-hot columns: fast = reference, and = the dense products bit for bit: ${d.head} ${f}, n ${d.n}, ${needRate ? 'with' : 'no'} ∂J/∂x, λ ${l2}${wide ? ', columns no window sets' : ''}`, () => {
        const base = problem(d, f, B, P, 7, needRate);
        const q = { ...(wide ? withOneHot(base, base.from + 2, first, 8, 0.3) : withOneHot(base, to, first, 8)), l2 };
        const got = assertFastIsReference(q);
        // the same problem with a backward pass that does not know of the one-hot columns runs the dense
        // products: the same parameters, bit for bit (the zeros' products add nothing), and the same ∂J/∂x
        // where both computed it (forward, which sums the hot list after the dense columns, is the same in both)
        const m = d.n / P;
        for (let k = 0; k < B * P; k++) if (q.need[k] === 2) got.dX.fill(SENTINEL, k * m, k * m + q.from);
        const dense = fast({ ...q, to: undefined }, q.to);
        assert.deepEqual(got.p, dense.p, 'parameters after the step');
        for (let k = 0; k < B * P; k++) dense.dX.fill(SENTINEL, k * m + q.to!, (k + 1) * m);
        for (let k = 0; k < B * P; k++) if (q.need[k] === 2) dense.dX.fill(SENTINEL, k * m, k * m + q.from);
        assert.deepEqual(got.dX, dense.dX, '∂J/∂x');
      });

test('threads: the forward pass, backward pass and step are bit-identical on 1, 2 and 3 threads', () => {
  const cases = BIG.flatMap((d) => (['tanh', 'relu'] as const).flatMap((f) => [0.3, 0].map((needRate) => problem(d, f, 32, 5, 11, needRate))));
  cases.push(...BIG.flatMap((d) => [0.3, 0].map((needRate) => withOneHot(problem(d, 'tanh', 32, 5, 12, needRate), 100, 5, 13))));
  const one = cases.map((q) => fast(q));
  try {
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      const before = kernelThreadStats().byWorkers;
      const until = Date.now() + 10_000; // the workers take a moment to start
      while (kernelThreadStats().byWorkers === before && Date.now() < until) fast(cases[0]);
      assert.ok(kernelThreadStats().byWorkers > before, 'the workers run parts');
      cases.forEach((q, i) => assert.deepEqual(fast(q), one[i], `${q.d.head} ${q.f}, ${threads} threads`));
    }
  } finally {
    setKernelThreads(1);
  }
});

test("the word rows' step in WebAssembly: the same float64 values as scatterWordGrads then sgdRows", () => {
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
    const n = P * blockSize(s);
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
    const plain = { dRows: new Float64Array(V * d), mark: new Uint8Array(V), touched: new Int32Array(B * P) };
    const outside = Float64Array.from(rows); // rows outside the arena take the plain path: the same values
    stepWordRows(s, V, ids, dX, B, rows, 0.3, plain);
    stepWordRows(s, V, ids, dX, B, outside, 0.3, plain);
    assert.deepEqual(Array.from(rows), Array.from(want), `rows after the step (window ${window}, d ${d}, V ${V}, B ${B})`);
    assert.deepEqual(Array.from(outside), Array.from(want), 'the plain path');
    wasmFree(dX);
    wasmFree(rows);
  }
});

test("training's tanh (kernels.wat) is the tagger's (scorer.wat), bit for bit", () => {
  const rng = new Rng(3);
  const N = 20_000;
  const X = wasmAlloc32(N);
  const [W, b, Z, H, h] = [wasmAlloc32(1), wasmAlloc32(1), wasmAlloc32(N), wasmAlloc32(N), wasmAlloc32(N)];
  const special = [0, 1e-30, -1e-8, 0.5, -0.5, 1, 3, 8.9, 9.1, -20, 50, 1e30, -Infinity, Infinity];
  for (let i = 0; i < N; i++) X[i] = i < special.length ? special[i] : rng.uniform(1) * 10 ** (rng.uniform(1) * 3 - 1);
  W[0] = 1; // z = 1·x + 0 = x exactly
  gemmXWtTanh(X, W, b, Z, H, N, 1, 1);
  assert.deepEqual(Z, X);
  scorerKernels().tanh(X.byteOffset, h.byteOffset, N);
  assert.deepEqual(H, h);
  free32(X, W, b, Z, H, h);
});

test('wasmAlloc32: aligned, zero-filled, disjoint blocks; freed space is merged and reused; none at offset 0', () => {
  const used0 = wasmMemoryUsage().used;
  const a = wasmAlloc32(10);
  const b = wasmAlloc32(3);
  const c = wasmAlloc32(100);
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
  // a and b were adjacent (64 bytes each) and are merged back, so one block of both sizes fits where a was
  const d = wasmAlloc32(32);
  assert.equal(d.byteOffset, Math.min(a.byteOffset, b.byteOffset));
  assert.ok(d.every((x) => x === 0), 'a reused block is zeroed');
  wasmFree(a); // a second free of a is ignored: its block now belongs to d
  wasmFree(d.subarray(0)); // so is a view that wasmAlloc did not return
  const e = wasmAlloc32(16);
  assert.notEqual(e.byteOffset, d.byteOffset, 'd is still live');
  for (const v of [c, d, e]) wasmFree(v);
  wasmFree(new Float32Array(4)); // not from the arena: ignored
  assert.equal(wasmMemoryUsage().used, used0);
  // a request larger than the arena gives an ordinary array; the arena is still usable
  assert.equal(inWasmMemory(wasmAlloc32(ARENA_BYTES / 4 + 1)), false);
  assert.throws(() => wasmAlloc32(-1), /whole number/);
  // the kernels take offset 0 for "no array": a fresh arena never hands it out
  const arena = new URL('../src/fast/arena.js', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { wasmAlloc32 } from ${JSON.stringify(arena)}; console.log(wasmAlloc32(4).byteOffset)`], { encoding: 'utf8' });
  assert.ok(Number(r.stdout) > 0, `first block at ${r.stdout}${r.stderr}`);
});

