// Tests for the autodiff engine in src/graph.ts: the lecture-3 worked example, the node intuitions
// (+ distributes, max routes, × swaps), summing over paths, every op against centred finite differences,
// the two window models (a) binary and (b) softmax for each activation, and shape errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Node, leaf, add, sub, mul, max, matmul, neg, scale, tanh, sigmoid, relu, logSigmoid, softplus, sum, transpose, pick,
  logSoftmax, backward, topologicalOrder, sigmoidScalar, type Activation,
} from '../src/check/graph.js';
import { graphBinaryWindowLoss, graphSoftmaxWindowLoss } from './helpers/graph-window.js';
import { NerError } from '../src/errors.js';
import { Rng } from '../src/rng.js';

const STEP = 1e-5; // finite-difference step
const TOL = 1e-6; // relative error bound

/** ‖a − n‖ / (‖a‖ + ‖n‖), 0 when both are zero. */
function relErr(a: ArrayLike<number>, n: ArrayLike<number>): number {
  assert.equal(a.length, n.length);
  let diff = 0;
  let na = 0;
  let nn = 0;
  for (let k = 0; k < a.length; k++) {
    diff += (a[k] - n[k]) ** 2;
    na += a[k] ** 2;
    nn += n[k] ** 2;
  }
  const denom = Math.sqrt(na) + Math.sqrt(nn);
  return denom === 0 ? 0 : Math.sqrt(diff) / denom;
}

/** Centred finite difference of f with respect to every element of v (v is restored afterwards). */
function numericGrad(f: () => number, v: Float64Array): Float64Array {
  const g = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) {
    const old = v[k];
    v[k] = old + STEP;
    const fp = f();
    v[k] = old - STEP;
    const fm = f();
    v[k] = old;
    g[k] = (fp - fm) / (2 * STEP);
  }
  return g;
}

function randomArray(rng: Rng, size: number, a = 1): Float64Array {
  const v = new Float64Array(size);
  for (let k = 0; k < size; k++) v[k] = rng.uniform(a);
  return v;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

function approx(actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------------

test('lecture 3 worked example: f = (x + y)·max(y, z) at x=1, y=2, z=0', () => {
  const x = leaf('x', 1);
  const y = leaf('y', 2);
  const z = leaf('z', 0);
  const a = add(x, y, 'a');
  const b = max(y, z, 'b');
  const f = mul(a, b, 'f');
  backward(f);
  assert.equal(a.scalar, 3);
  assert.equal(b.scalar, 2);
  assert.equal(f.scalar, 6);
  assert.equal(x.grad[0], 2);
  assert.equal(y.grad[0], 5); // 2 via a (+) plus 3 via b (max), summed over y's two successors
  assert.equal(z.grad[0], 0);
  assert.equal(a.grad[0], 2); // × swaps: ∂f/∂a = b
  assert.equal(b.grad[0], 3); // ∂f/∂b = a
});

test('+ distributes the upstream gradient unchanged to both inputs', () => {
  const rng = new Rng(11);
  const a = leaf('a', randomArray(rng, 6), 2, 3);
  const b = leaf('b', randomArray(rng, 6), 2, 3);
  const G = randomArray(rng, 6); // the upstream gradient, injected by ⟨a+b, G⟩
  const out = sum(mul(add(a, b), leaf('G', G, 2, 3)));
  backward(out);
  assert.deepEqual([...a.grad], [...G]);
  assert.deepEqual([...b.grad], [...G]);
});

test('max routes the upstream gradient to the larger input only; a tie goes to the first input', () => {
  const a = leaf('a', [3, -1, 2, 5]);
  const b = leaf('b', [1, 4, 2, 6]);
  const G = [10, 20, 30, 40];
  backward(sum(mul(max(a, b), leaf('G', G))));
  assert.deepEqual([...a.grad], [10, 0, 30, 0]); // a wins at 0, ties at 2
  assert.deepEqual([...b.grad], [0, 20, 0, 40]);
  // Swapping the arguments moves the tie to the other input.
  const a2 = leaf('a', [3, -1, 2, 5]);
  const b2 = leaf('b', [1, 4, 2, 6]);
  backward(sum(mul(max(b2, a2), leaf('G', G))));
  assert.deepEqual([...b2.grad], [0, 20, 30, 40]);
  assert.deepEqual([...a2.grad], [10, 0, 0, 0]);
});

test('× swaps the inputs: ∂(ab)/∂a = b, ∂(ab)/∂b = a (times the upstream gradient)', () => {
  const a = leaf('a', [2, -3, 0.5]);
  const b = leaf('b', [7, 4, -6]);
  const G = [1, 2, 3];
  backward(sum(mul(mul(a, b), leaf('G', G))));
  assert.deepEqual([...a.grad], [7 * 1, 4 * 2, -6 * 3]);
  assert.deepEqual([...b.grad], [2 * 1, -3 * 2, 0.5 * 3]);
});

test('a node used twice gets the sum of both paths’ gradients', () => {
  // f = a·a → df/da = 2a
  const a = leaf('a', 3);
  backward(mul(a, a));
  assert.equal(a.grad[0], 6);
  // g = a·b + a → dg/da = b + 1 (one path through ×, one straight through +)
  const a2 = leaf('a', 3);
  const b2 = leaf('b', -4);
  backward(add(mul(a2, b2), a2));
  assert.equal(a2.grad[0], -3);
  assert.equal(b2.grad[0], 3);
  // A shared intermediate: h = tanh(v); out = sum(h) + sum(h ⊙ h) → dv = (1 + 2h)(1 − h²)
  const v = leaf('v', [0.3, -0.8]);
  const h = tanh(v);
  backward(add(sum(h), sum(mul(h, h))));
  for (let k = 0; k < 2; k++) approx(v.grad[k], (1 + 2 * h.value[k]) * (1 - h.value[k] ** 2), `dv[${k}]`);
});

test('backward zeroes old gradients first, so calling it twice gives the same result', () => {
  const x = leaf('x', 1);
  const y = leaf('y', 2);
  const z = leaf('z', 0);
  const f = mul(add(x, y), max(y, z));
  backward(f);
  backward(f);
  assert.deepEqual([x.grad[0], y.grad[0], z.grad[0]], [2, 5, 0]);
});

test('topologicalOrder puts every node after all of its inputs, each node once', () => {
  const x = leaf('x', 1);
  const y = leaf('y', 2);
  const a = add(x, y);
  const f = mul(a, max(y, a));
  const order = topologicalOrder(f);
  assert.equal(new Set(order).size, order.length);
  assert.equal(order.length, 5);
  assert.equal(order[order.length - 1], f);
  for (let t = 0; t < order.length; t++) {
    for (const p of order[t].inputs) assert.ok(order.indexOf(p) < t, `${p.name} comes before ${order[t].name}`);
  }
});

test('ops never mutate their inputs', () => {
  const data = Float64Array.of(1, -2, 3, 0.5);
  const a = leaf('a', data, 2, 2);
  data[0] = 99; // the leaf copied its data
  assert.equal(a.value[0], 1);
  const b = leaf('b', [4, 5, 6, 7], 2, 2);
  const before = [...a.value, ...b.value];
  backward(sum(add(mul(a, b), matmul(a, b))));
  sub(a, b);
  max(a, b);
  logSoftmax(a);
  assert.deepEqual([...a.value, ...b.value], before);
});

// ---------------------------------------------------------------------------------------------------
// Every op against centred finite differences. The scalar checked is L = Σ op(inputs) ⊙ R for a fixed
// random R, so each output element carries a different upstream gradient.

interface OpCase {
  name: string;
  shapes: Array<[number, number]>;
  build: (inputs: Node[]) => Node;
  /** Adjusts random inputs (in place) to keep them away from kinks of non-smooth ops. */
  prepare?: (values: Float64Array[]) => void;
  scaleInputs?: number;
}

/** Pushes every value at least `gap` away from zero (relu's kink) deterministically. */
function awayFromZero(v: Float64Array, gap = 1e-2): void {
  for (let k = 0; k < v.length; k++) if (Math.abs(v[k]) < gap) v[k] = v[k] < 0 ? v[k] - gap : v[k] + gap;
}

const opCases: OpCase[] = [
  { name: 'add', shapes: [[3, 2], [3, 2]], build: ([a, b]) => add(a, b) },
  { name: 'add (1×1 scalar broadcast on the right)', shapes: [[3, 2], [1, 1]], build: ([a, b]) => add(a, b) },
  { name: 'add (1×1 scalar broadcast on the left)', shapes: [[1, 1], [2, 3]], build: ([a, b]) => add(a, b) },
  { name: 'sub', shapes: [[4, 1], [4, 1]], build: ([a, b]) => sub(a, b) },
  { name: 'sub (1×1 broadcast)', shapes: [[4, 2], [1, 1]], build: ([a, b]) => sub(a, b) },
  { name: 'mul', shapes: [[2, 3], [2, 3]], build: ([a, b]) => mul(a, b) },
  { name: 'mul (1×1 broadcast)', shapes: [[1, 1], [3, 2]], build: ([a, b]) => mul(a, b) },
  {
    name: 'max',
    shapes: [[3, 3], [3, 3]],
    build: ([a, b]) => max(a, b),
    prepare: ([a, b]) => {
      for (let k = 0; k < a.length; k++) if (Math.abs(a[k] - b[k]) < 1e-2) b[k] = a[k] + 0.05;
    },
  },
  { name: 'matmul', shapes: [[3, 4], [4, 2]], build: ([A, B]) => matmul(A, B) },
  { name: 'matmul (matrix · vector)', shapes: [[5, 3], [3, 1]], build: ([A, B]) => matmul(A, B) },
  { name: 'tanh', shapes: [[3, 2]], build: ([a]) => tanh(a), scaleInputs: 2 },
  { name: 'sigmoid', shapes: [[3, 2]], build: ([a]) => sigmoid(a), scaleInputs: 4 },
  { name: 'relu', shapes: [[4, 2]], build: ([a]) => relu(a), prepare: ([a]) => awayFromZero(a) },
  { name: 'logSigmoid', shapes: [[3, 2]], build: ([a]) => logSigmoid(a), scaleInputs: 5 },
  { name: 'softplus', shapes: [[3, 2]], build: ([a]) => softplus(a), scaleInputs: 5 },
  { name: 'sum', shapes: [[3, 4]], build: ([a]) => sum(a) },
  { name: 'neg', shapes: [[2, 2]], build: ([a]) => neg(a) },
  { name: 'scale', shapes: [[2, 3]], build: ([a]) => scale(a, -2.5) },
  { name: 'transpose', shapes: [[2, 3]], build: ([a]) => transpose(a) },
  { name: 'pick', shapes: [[3, 2]], build: ([a]) => pick(a, 2, 1) },
  { name: 'logSoftmax (vector)', shapes: [[5, 1]], build: ([a]) => logSoftmax(a), scaleInputs: 3 },
  { name: 'logSoftmax (per column)', shapes: [[4, 3]], build: ([a]) => logSoftmax(a), scaleInputs: 3 },
  { name: 'composite: tanh(W x + b) through a shared node', shapes: [[3, 4], [4, 1], [3, 1]], build: ([W, x, b]) => { const z = add(matmul(W, x), b); return mul(tanh(z), z); } },
];

for (const [caseIndex, c] of opCases.entries()) {
  test(`finite differences: ${c.name}`, () => {
    const rng = new Rng(100 + caseIndex);
    const values = c.shapes.map(([r, cols]) => randomArray(rng, r * cols, c.scaleInputs ?? 1));
    c.prepare?.(values);
    const inputs = values.map((v, i) => leaf(`in${i}`, v, ...c.shapes[i]));
    const out = c.build(inputs);
    const R = randomArray(rng, out.size);
    backward(sum(mul(out, leaf('R', R, out.rows, out.cols))));
    // L rebuilt from the current (perturbed) values, for the finite differences.
    const loss = (): Node => {
      const o = c.build(values.map((v, i) => leaf(`in${i}`, v, ...c.shapes[i])));
      return sum(mul(o, leaf('R', R, o.rows, o.cols)));
    };
    for (let i = 0; i < inputs.length; i++) {
      const numeric = numericGrad(() => loss().scalar, values[i]);
      assert.ok(norm(numeric) > 1e-3, `${c.name}: input ${i} has a non-trivial gradient to check`);
      const err = relErr(inputs[i].grad, numeric);
      assert.ok(err < TOL, `${c.name}: input ${i} relative error ${err.toExponential(2)} ≥ ${TOL}`);
    }
  });
}

test('stable ops stay finite and correct far out in the tails', () => {
  const v = leaf('v', [-800, -40, 0, 40, 800]);
  const ls = logSigmoid(v);
  const sp = softplus(v);
  const sg = sigmoid(v);
  backward(add(sum(ls), add(sum(sp), sum(sg))));
  for (let k = 0; k < 5; k++) {
    assert.ok(Number.isFinite(ls.value[k]) && Number.isFinite(sp.value[k]) && Number.isFinite(sg.value[k]), `finite at ${v.value[k]}`);
    assert.ok(Number.isFinite(v.grad[k]));
  }
  assert.equal(ls.value[0], -800); // log σ(−800) = −800 − log1p(e^−800)
  assert.equal(sp.value[4], 800);
  approx(ls.value[2], -Math.LN2, 'log σ(0)');
  approx(sp.value[2], Math.LN2, 'softplus(0)');
  assert.equal(sg.value[0], 0); // σ(−800) underflows to 0, not NaN
  assert.equal(sg.value[4], 1);
  const big = leaf('s', [1000, 0, -1000]);
  const lsm = logSoftmax(big);
  assert.deepEqual([...lsm.value].map(Number.isFinite), [true, true, true]);
  approx(lsm.value[0], 0, 'logSoftmax of the dominant score');
  approx(lsm.value[1], -1000, 'logSoftmax of 0 against 1000');
});

// ---------------------------------------------------------------------------------------------------
// The two window models, for each activation. J from the graph is checked against a direct plain-number
// computation, and every gradient against finite differences of J.

const activations: Activation[] = ['tanh', 'relu', 'sigmoid'];
const fPlain: Record<Activation, (v: number) => number> = { tanh: Math.tanh, relu: (v) => Math.max(v, 0), sigmoid: sigmoidScalar };

/** z = W x + b in plain numbers — W: H×n, x: n, b: H → z: H. */
function plainZ(W: Float64Array, x: Float64Array, b: Float64Array, H: number, n: number): Float64Array {
  const z = new Float64Array(H);
  for (let i = 0; i < H; i++) {
    let s = b[i];
    for (let j = 0; j < n; j++) s += W[i * n + j] * x[j];
    z[i] = s;
  }
  return z;
}

/** Nudges b so no z_i lies near relu's kink (finite differences are meaningless across it). */
function keepZAwayFromZero(W: Float64Array, x: Float64Array, b: Float64Array, H: number, n: number): void {
  const z = plainZ(W, x, b, H, n);
  for (let i = 0; i < H; i++) if (Math.abs(z[i]) < 1e-2) b[i] += z[i] < 0 ? -0.05 : 0.05;
}

for (const f of activations) {
  for (const y of [0, 1]) {
    test(`model (a) binary window, f = ${f}, y = ${y}: J and gradients vs finite differences`, () => {
      const rng = new Rng(7 + y);
      const H = 4;
      const n = 6;
      const W = randomArray(rng, H * n);
      const b = randomArray(rng, H, 0.5);
      const u = randomArray(rng, H, 2);
      const x = randomArray(rng, n);
      keepZAwayFromZero(W, x, b, H, n);
      const snapshot = [...W, ...b, ...u, ...x];
      const r = graphBinaryWindowLoss({ W, b, u, x, y, f, H, n });
      assert.deepEqual([...W, ...b, ...u, ...x], snapshot, 'parameters are not modified');

      const z = plainZ(W, x, b, H, n);
      let s = 0;
      for (let i = 0; i < H; i++) s += u[i] * fPlain[f](z[i]);
      const sig = sigmoidScalar(s);
      approx(r.J, -(y * Math.log(sig) + (1 - y) * Math.log(1 - sig)), 'J', 1e-10);

      const J = (): number => graphBinaryWindowLoss({ W, b, u, x, y, f, H, n }).J;
      for (const [what, param, grad] of [['W', W, r.dW], ['b', b, r.db], ['u', u, r.du], ['x', x, r.dx]] as const) {
        assert.equal(grad.length, param.length, `d${what} has the shape of ${what}`);
        const numeric = numericGrad(J, param);
        assert.ok(norm(numeric) > 1e-4, `d${what} is non-trivial`);
        const err = relErr(grad, numeric);
        assert.ok(err < TOL, `d${what}: relative error ${err.toExponential(2)} ≥ ${TOL}`);
      }
    });
  }

  test(`model (b) softmax window, f = ${f}: J and gradients vs finite differences`, () => {
    const rng = new Rng(21);
    const H = 5;
    const n = 6;
    const K = 4;
    const W = randomArray(rng, H * n);
    const b = randomArray(rng, H, 0.5);
    const U = randomArray(rng, K * H, 2);
    const c = randomArray(rng, K, 0.5);
    const x = randomArray(rng, n);
    keepZAwayFromZero(W, x, b, H, n);
    for (const y of [0, K - 1]) {
      const r = graphSoftmaxWindowLoss({ W, b, U, c, x, y, f, H, n, K });

      const h = plainZ(W, x, b, H, n).map(fPlain[f]);
      const s = plainZ(U, h, c, K, H);
      const lse = Math.log(s.reduce((acc, v) => acc + Math.exp(v), 0));
      approx(r.J, lse - s[y], `J (y = ${y})`, 1e-10);

      const J = (): number => graphSoftmaxWindowLoss({ W, b, U, c, x, y, f, H, n, K }).J;
      for (const [what, param, grad] of [['W', W, r.dW], ['b', b, r.db], ['U', U, r.dU], ['c', c, r.dc], ['x', x, r.dx]] as const) {
        assert.equal(grad.length, param.length, `d${what} has the shape of ${what}`);
        const numeric = numericGrad(J, param);
        assert.ok(norm(numeric) > 1e-4, `d${what} is non-trivial`);
        const err = relErr(grad, numeric);
        assert.ok(err < TOL, `d${what} (y = ${y}): relative error ${err.toExponential(2)} ≥ ${TOL}`);
      }
      // dc = softmax(s) − onehot(y): a closed form the lecture derives, as a further cross-check.
      for (let k = 0; k < K; k++) approx(r.dc[k], Math.exp(s[k] - lse) - (k === y ? 1 : 0), `dc[${k}]`, 1e-12);
    }
  });
}

// ---------------------------------------------------------------------------------------------------

function throwsNaming(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NerError, 'throws a NerError');
    for (const p of parts) assert.ok(e.message.includes(p), `message "${e.message}" names ${p}`);
    return true;
  });
}

test('shape errors name both operands and both shapes', () => {
  const W = leaf('W', new Float64Array(6), 2, 3);
  const x = leaf('x', new Float64Array(2), 2, 1);
  throwsNaming(() => matmul(W, x), 'matmul', 'W is 2×3', 'x is 2×1');
  const a = leaf('a', [1, 2]);
  const b = leaf('b', [1, 2, 3]);
  throwsNaming(() => add(a, b), 'add', 'a is 2×1', 'b is 3×1');
  throwsNaming(() => sub(a, b), 'sub', 'a is 2×1', 'b is 3×1');
  throwsNaming(() => mul(a, b), 'mul', 'a is 2×1', 'b is 3×1');
  throwsNaming(() => max(a, b), 'max', 'a is 2×1', 'b is 3×1');
  throwsNaming(() => pick(a, 2), 'pick', '[2,0]', 'a', '2×1');
  throwsNaming(() => backward(a), 'backward', 'a is 2×1');
  throwsNaming(() => leaf('bad', [1, 2, 3], 2, 2), 'bad', '4 values', '3');
});

test('model helpers reject wrong parameter lengths and labels, naming both numbers', () => {
  const H = 2;
  const n = 3;
  const K = 3;
  const ok = { W: new Float64Array(H * n), b: new Float64Array(H), u: new Float64Array(H), x: new Float64Array(n), y: 1, f: 'tanh' as const, H, n };
  throwsNaming(() => graphBinaryWindowLoss({ ...ok, W: new Float64Array(5) }), 'W', '2×3', '6', '5');
  throwsNaming(() => graphBinaryWindowLoss({ ...ok, x: new Float64Array(4) }), 'x', '3', '4');
  throwsNaming(() => graphBinaryWindowLoss({ ...ok, y: 2 }), 'y', '0 or 1', '2');
  const sm = { W: ok.W, b: ok.b, U: new Float64Array(K * H), c: new Float64Array(K), x: ok.x, y: 0, f: 'relu' as const, H, n, K };
  throwsNaming(() => graphSoftmaxWindowLoss({ ...sm, U: new Float64Array(7) }), 'U', '3×2', '6', '7');
  throwsNaming(() => graphSoftmaxWindowLoss({ ...sm, c: new Float64Array(2) }), 'c', '3', '2');
  throwsNaming(() => graphSoftmaxWindowLoss({ ...sm, y: 3 }), 'y', '[0, 3)', '3');
});
