// The hand-derived gradients of model.ts (the ml-matrix reference) against centred finite differences
// (every parameter block and x, every activation, both heads), the lecture's shape statements, and
// accumulation. test/fast.test.ts checks training's SIMD path against this reference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Activation,
  type Dims,
  type Head,
  type Params,
  ACTIVATIONS,
  HEADS,
  backward,
  forward,
  initParams,
  lossAndGrad,
  newBackScratch,
  newCache,
  zerosLike,
} from '../src/model/model.js';
import { Rng } from '../src/rng.js';

function setup(head: Head, f: Activation, seed = 7) {
  const rng = new Rng(seed);
  const d: Dims = { head, n: 12, H: 5, K: head === 'ovr' ? 3 : 4 };
  const p = initParams(d, (a) => rng.uniform(a * 2));
  for (let i = 0; i < p.b.length; i++) p.b[i] = rng.uniform(0.5);
  for (let i = 0; i < p.c.length; i++) p.c[i] = rng.uniform(0.5);
  const B = 3;
  const X = new Float64Array(B * d.n).map(() => rng.uniform(1));
  const y = head === 'ovr' ? [0, 2, 3] : [1, 0, 3];
  return { d, p, X, y, B };
}

/** Mean loss of the batch (what training minimises). */
function J(p: Params, d: Dims, f: Activation, X: Float64Array, y: number[], B: number): number {
  const c = newCache(d, B);
  c.X.set(X);
  forward(p, d, f, c, B);
  return lossAndGrad(d, c.S, y, B, new Float64Array(B * d.K), 1 / B) / B;
}

function analytic(p: Params, d: Dims, f: Activation, X: Float64Array, y: number[], B: number) {
  const c = newCache(d, B);
  c.X.set(X);
  forward(p, d, f, c, B);
  const dS = new Float64Array(B * d.K);
  lossAndGrad(d, c.S, y, B, dS, 1 / B);
  const g = zerosLike(p);
  const scratch = newBackScratch(d, B);
  backward(p, d, f, c, dS, g, scratch, true);
  return { g, dX: scratch.dX.slice(0, B * d.n) };
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-8, Math.abs(a) + Math.abs(b));
}

/** Centred finite differences of J over every entry of theta (changed and restored in place). */
function numeric(theta: Float64Array, loss: () => number, eps = 1e-5): Float64Array {
  const out = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const old = theta[i];
    theta[i] = old + eps;
    const jp = loss();
    theta[i] = old - eps;
    const jm = loss();
    theta[i] = old;
    out[i] = (jp - jm) / (2 * eps);
  }
  return out;
}

/** ‖a − n‖ / (‖a‖ + ‖n‖): the whole block at once, so entries near zero (where the rounding of the
 *  differences dominates) do not swamp the measure. */
function blockRelErr(a: ArrayLike<number>, n: ArrayLike<number>): number {
  let diff = 0;
  let na = 0;
  let nn = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - n[i]) ** 2;
    na += a[i] ** 2;
    nn += n[i] ** 2;
  }
  return Math.sqrt(diff) / (Math.sqrt(na) + Math.sqrt(nn));
}

for (const head of HEADS) {
  for (const f of ACTIVATIONS) {
    test(`gradients match finite differences: ${head} head, ${f}`, () => {
      const { d, p, X, y, B } = setup(head, f);
      const { g, dX } = analytic(p, d, f, X, y, B);
      const blocks: [string, Float64Array, Float64Array][] = [
        ['W', p.W, g.W],
        ['b', p.b, g.b],
        ['U', p.U, g.U],
        ['c', p.c, g.c],
        ['x', X, dX],
      ];
      for (const [name, theta, grad] of blocks) {
        const num = numeric(theta, () => J(p, d, f, X, y, B));
        assert.ok(grad.some((v) => Math.abs(v) > 1e-6), `∂J/∂${name} is not all zero`);
        const e = blockRelErr(grad, num);
        assert.ok(e < 1e-6, `${head}/${f}: ∂J/∂${name}: relative error ${e}`);
      }
    });
  }
}

test('∂J/∂W = δ xᵀ has the shape of W, and ∂J/∂b = δ (the lecture\'s shape statements)', () => {
  const { d, p, X, y } = setup('softmax', 'tanh');
  const x = X.slice(0, d.n);
  const { g } = analytic(p, d, 'tanh', x, [y[0]], 1);
  assert.equal(g.W.length, d.H * d.n);
  assert.equal(g.b.length, d.H);
  // one window: δ = ∂J/∂b, and column t of δ xᵀ is δ · x_t
  for (let t = 0; t < d.n; t++) for (let j = 0; j < d.H; j++) assert.ok(Math.abs(g.W[j * d.n + t] - g.b[j] * x[t]) < 1e-12);
});

test('gradients accumulate: two backward calls give twice the gradient', () => {
  const { d, p, X, y, B } = setup('ovr', 'tanh');
  const c = newCache(d, B);
  c.X.set(X);
  forward(p, d, 'tanh', c, B);
  const dS = new Float64Array(B * d.K);
  lossAndGrad(d, c.S, y, B, dS, 1 / B);
  const g = zerosLike(p);
  const scratch = newBackScratch(d, B);
  backward(p, d, 'tanh', c, dS, g, scratch, false);
  const once = g.W.slice();
  backward(p, d, 'tanh', c, dS, g, scratch, false);
  for (let i = 0; i < once.length; i++) assert.ok(Math.abs(g.W[i] - 2 * once[i]) < 1e-15);
});

test('a deliberately wrong gradient is caught by the finite-difference comparison', () => {
  const { d, p, X, y, B } = setup('softmax', 'tanh');
  const { g } = analytic(p, d, 'tanh', X, y, B);
  g.W[3] *= 1.01; // a 1 % error
  const eps = 1e-6;
  const old = p.W[3];
  p.W[3] = old + eps;
  const jp = J(p, d, 'tanh', X, y, B);
  p.W[3] = old - eps;
  const jm = J(p, d, 'tanh', X, y, B);
  p.W[3] = old;
  assert.ok(relErr((jp - jm) / (2 * eps), g.W[3]) > 1e-3);
});
