// The same model as model.ts, one window at a time, written with ml-matrix so that every line reads like
// the lecture's formula. It is the clear reference: tests check that the fast batched kernels in model.ts
// compute the same numbers. (ml-matrix's mmul does not check shapes and its instance add/mul mutate in
// place, so shapes are asserted here and every operation below works on fresh matrices.)

import { Matrix } from 'ml-matrix';
import { assertShape } from '../errors.js';
import { type Activation, type Dims, type Params, groups, sigmoid, softplus } from './model.js';

function column(v: ArrayLike<number>): Matrix {
  return Matrix.columnVector(Array.from(v));
}

function mmul(A: Matrix, B: Matrix, what: string): Matrix {
  assertShape(A.columns === B.rows, what, `${A.rows}×k · k×${B.columns}`, `${A.rows}×${A.columns} · ${B.rows}×${B.columns}`);
  return A.mmul(B);
}

function f(act: Activation, z: Matrix): Matrix {
  return mapValues(z, (v) => (act === 'tanh' ? Math.tanh(v) : act === 'relu' ? Math.max(0, v) : sigmoid(v)));
}

function mapValues(m: Matrix, fn: (v: number) => number): Matrix {
  const out = new Matrix(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.set(i, j, fn(m.get(i, j)));
  return out;
}

function fPrime(act: Activation, z: Matrix, h: Matrix): Matrix {
  const out = new Matrix(z.rows, 1);
  for (let i = 0; i < z.rows; i++) {
    const zi = z.get(i, 0);
    const hi = h.get(i, 0);
    out.set(i, 0, act === 'tanh' ? 1 - hi * hi : act === 'relu' ? (zi > 0 ? 1 : 0) : hi * (1 - hi));
  }
  return out;
}

export interface ReferenceResult {
  J: number;
  s: number[];
  dW: Matrix; // GH×n
  db: Matrix; // GH×1
  dU: Matrix; // K×H
  dc: Matrix; // K×1
  dx: Matrix; // n×1
}

/** One window x (n) with target y → J and all gradients, straight from the lecture's formulas. */
export function referenceLossAndGrad(p: Params, d: Dims, act: Activation, x: ArrayLike<number>, y: number): ReferenceResult {
  const { n, H, K } = d;
  const G = groups(d);
  assertShape(x.length === n, 'x', n, x.length);
  const W = Matrix.from1DArray(G * H, n, Array.from(p.W));
  const b = column(p.b);
  const U = Matrix.from1DArray(K, H, Array.from(p.U));
  const c = column(p.c);
  const xv = column(x);

  const z = Matrix.add(mmul(W, xv, 'z = W x'), b); // GH×1
  const h = f(act, z);
  const s = new Matrix(K, 1);
  const dU = new Matrix(K, H);
  const dh = new Matrix(G * H, 1);
  let J = 0;
  const ds = new Matrix(K, 1);
  if (d.head === 'ovr') {
    // classifier k: s_k = u_kᵀ h_k + c_k, J_k = softplus(s_k) − y_k s_k
    for (let k = 0; k < K; k++) {
      const hk = h.subMatrix(k * H, k * H + H - 1, 0, 0);
      const uk = U.getRowVector(k); // 1×H
      const sk = mmul(uk, hk, 's = uᵀ h').get(0, 0) + c.get(k, 0);
      s.set(k, 0, sk);
      const yk = y === k + 1 ? 1 : 0;
      J += softplus(sk) - yk * sk;
      const dsk = sigmoid(sk) - yk;
      ds.set(k, 0, dsk);
      dU.setRow(k, Matrix.mul(hk.transpose(), dsk).getRow(0)); // ∂J/∂u_k = (∂J/∂s_k) h_k
      const dhk = Matrix.mul(uk.transpose(), dsk); // ∂J/∂h_k = (∂J/∂s_k) u_k
      for (let t = 0; t < H; t++) dh.set(k * H + t, 0, dhk.get(t, 0));
    }
  } else {
    const sv = Matrix.add(mmul(U, h, 's = U h'), c);
    for (let k = 0; k < K; k++) s.set(k, 0, sv.get(k, 0));
    const m = sv.max();
    const lse = m + Math.log(sv.to1DArray().reduce((a, v) => a + Math.exp(v - m), 0));
    J = lse - sv.get(y, 0);
    for (let k = 0; k < K; k++) ds.set(k, 0, Math.exp(sv.get(k, 0) - lse) - (k === y ? 1 : 0));
    dU.setSubMatrix(mmul(ds, h.transpose(), 'dU = ds hᵀ'), 0, 0);
    dh.setSubMatrix(mmul(U.transpose(), ds, 'dh = Uᵀ ds'), 0, 0);
  }
  const delta = Matrix.mul(dh, fPrime(act, z, h)); // δ = ∂J/∂h ∘ f'(z) (elementwise)
  const dW = mmul(delta, xv.transpose(), 'dW = δ xᵀ');
  const dx = mmul(W.transpose(), delta, 'dx = Wᵀ δ');
  return { J, s: s.to1DArray(), dW, db: delta, dU, dc: ds, dx };
}
