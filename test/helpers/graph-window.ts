// The two window models of the lecture built in the autodiff engine (src/check/graph.ts) one window at a
// time, for its tests: (a) a binary classifier, (b) a softmax over K classes.

import { assertShape, NerError } from '../../src/errors.js';
import { type Activation, activate, add, backward, leaf, logSigmoid, logSoftmax, matmul, neg, pick, scale, transpose } from '../../src/check/graph.js';

function checkLength(what: string, a: ArrayLike<number>, expected: number, shape: string): void {
  assertShape(a.length === expected, `${what} (${shape})`, `${expected} values`, `${a.length}`);
}

export interface BinaryWindowInput {
  W: ArrayLike<number>;
  b: ArrayLike<number>;
  u: ArrayLike<number>;
  x: ArrayLike<number>;
  y: number;
  f: Activation;
  H: number;
  n: number;
}
export interface BinaryWindowResult {
  J: number;
  dW: Float64Array;
  db: Float64Array;
  du: Float64Array;
  dx: Float64Array;
}

/** Builds the binary window model (a) in the graph and backprops through it.
 *  W: H×n (row-major), b: H, u: H, x: n, y ∈ {0,1} → J = −[y log σ(s) + (1−y) log(1−σ(s))], grads of the same shapes. */
export function graphBinaryWindowLoss(p: BinaryWindowInput): BinaryWindowResult {
  const { H, n } = p;
  checkLength('W', p.W, H * n, `H×n = ${H}×${n}`);
  checkLength('b', p.b, H, `H = ${H}`);
  checkLength('u', p.u, H, `H = ${H}`);
  checkLength('x', p.x, n, `n = ${n}`);
  if (p.y !== 0 && p.y !== 1) throw new NerError(`graphBinaryWindowLoss: label y must be 0 or 1, got ${p.y}`, undefined, 2);
  const W = leaf('W', p.W, H, n);
  const b = leaf('b', p.b, H, 1);
  const u = leaf('u', p.u, H, 1);
  const x = leaf('x', p.x, n, 1);
  const z = add(matmul(W, x), b, 'z'); // z = W x + b
  const h = activate(p.f, z, 'h'); // h = f(z)
  const s = matmul(transpose(u), h, 's'); // s = uᵀ h
  // log(1 − σ(s)) = log σ(−s); both terms are kept so the graph mirrors the formula for either label.
  const J = neg(add(scale(logSigmoid(s), p.y), scale(logSigmoid(neg(s)), 1 - p.y)), 'J');
  backward(J);
  return { J: J.scalar, dW: W.grad, db: b.grad, du: u.grad, dx: x.grad };
}

export interface SoftmaxWindowInput {
  W: ArrayLike<number>;
  b: ArrayLike<number>;
  U: ArrayLike<number>;
  c: ArrayLike<number>;
  x: ArrayLike<number>;
  y: number;
  f: Activation;
  H: number;
  n: number;
  K: number;
}
export interface SoftmaxWindowResult {
  J: number;
  dW: Float64Array;
  db: Float64Array;
  dU: Float64Array;
  dc: Float64Array;
  dx: Float64Array;
}

/** Builds the softmax window model (b) in the graph and backprops through it.
 *  W: H×n, b: H, U: K×H (row-major), c: K, x: n, y ∈ [0, K) → J = −log softmax(U f(W x + b) + c)[y], grads of the same shapes. */
export function graphSoftmaxWindowLoss(p: SoftmaxWindowInput): SoftmaxWindowResult {
  const { H, n, K } = p;
  checkLength('W', p.W, H * n, `H×n = ${H}×${n}`);
  checkLength('b', p.b, H, `H = ${H}`);
  checkLength('U', p.U, K * H, `K×H = ${K}×${H}`);
  checkLength('c', p.c, K, `K = ${K}`);
  checkLength('x', p.x, n, `n = ${n}`);
  if (!Number.isInteger(p.y) || p.y < 0 || p.y >= K) throw new NerError(`graphSoftmaxWindowLoss: label y must be an integer in [0, ${K}), got ${p.y}`, undefined, 2);
  const W = leaf('W', p.W, H, n);
  const b = leaf('b', p.b, H, 1);
  const U = leaf('U', p.U, K, H);
  const c = leaf('c', p.c, K, 1);
  const x = leaf('x', p.x, n, 1);
  const z = add(matmul(W, x), b, 'z'); // z = W x + b
  const h = activate(p.f, z, 'h'); // h = f(z)
  const s = add(matmul(U, h), c, 's'); // s = U h + c
  const J = neg(pick(logSoftmax(s), p.y), 'J'); // J = −log softmax(s)[y]
  backward(J);
  return { J: J.scalar, dW: W.grad, db: b.grad, dU: U.grad, dc: c.grad, dx: x.grad };
}
