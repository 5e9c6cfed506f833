// A small reverse-mode automatic-differentiation engine over a computation graph (CS224N lecture 3,
// "backprop in a general computation graph"). It exists ONLY as an independent second check of the
// hand-derived gradients in the model code (`ner gradcheck`); nothing trains through it.
//
// The algorithm, written out once:
//   forward:  every op computes its value as soon as it is built from its inputs, so building the graph IS
//             the forward pass, in topological order (an input always exists before any node that uses it).
//   backward: sort the nodes reachable from the output topologically, zero their gradients, seed the
//             output's gradient with 1 (∂J/∂J), then visit the nodes in reverse topological order. Each node
//             passes  upstream gradient × local gradient  to each of its inputs, ACCUMULATING with +=, so when
//             a node is reached its gradient is already the sum over all of its successors (a node used twice
//             receives the sum of both paths).
//
// Values are dense row-major matrices (Float64Array + rows × cols); a scalar is 1×1, a vector is n×1.
// Op inputs are never mutated. Shapes are checked on every op; a mismatch throws a NerError (exit code 2,
// it is a bug) naming both operands and both shapes.

import { NerError, assertShape } from '../errors.js';

export class Node {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Forward value, row-major rows×cols. */
  readonly value: Float64Array;
  /** ∂(output of the last backward call)/∂(this node), row-major rows×cols, filled by backward(). */
  readonly grad: Float64Array;
  /** The nodes this node was computed from (its predecessors in the graph). */
  readonly inputs: readonly Node[];
  /** Adds this node's upstream gradient × local gradient into each input's grad (+=, never =). */
  readonly backwardStep: () => void;

  constructor(name: string, rows: number, cols: number, value: Float64Array, inputs: readonly Node[] = [], backwardStep: () => void = () => {}) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new NerError(`graph node ${name}: shape must be positive integers, got ${rows}×${cols}`, undefined, 2);
    }
    assertShape(value.length === rows * cols, `graph node ${name} (${rows}×${cols})`, `${rows * cols} values`, `${value.length}`);
    this.name = name;
    this.rows = rows;
    this.cols = cols;
    this.value = value;
    this.grad = new Float64Array(rows * cols);
    this.inputs = inputs;
    this.backwardStep = backwardStep;
  }

  get shape(): string {
    return `${this.rows}×${this.cols}`;
  }
  get size(): number {
    return this.rows * this.cols;
  }
  /** The value of a 1×1 node. */
  get scalar(): number {
    if (this.size !== 1) throw new NerError(`graph node ${this.name} is ${this.shape}, not a 1×1 scalar`, undefined, 2);
    return this.value[0];
  }
}

// ---------------------------------------------------------------------------------------------------
// Leaves

/** A leaf (input or parameter). The data is copied, so later changes to it do not reach the graph.
 *  value: a number (1×1), or rows*cols numbers row-major (default: a column vector of value.length). */
export function leaf(name: string, value: number | ArrayLike<number>, rows?: number, cols?: number): Node {
  if (typeof value === 'number') return new Node(name, 1, 1, Float64Array.of(value));
  const r = rows ?? value.length;
  const c = cols ?? 1;
  return new Node(name, r, c, Float64Array.from(value));
}

// ---------------------------------------------------------------------------------------------------
// Shape helpers

function shapeError(op: string, a: Node, b: Node, why: string): NerError {
  return new NerError(`${op}: ${why}: ${a.name} is ${a.shape}, ${b.name} is ${b.shape}`, 'this is a bug in the code building the graph', 2);
}

/** For elementwise binary ops: same shape, or one side 1×1 (broadcast). Returns the output shape. */
function broadcastShape(op: string, a: Node, b: Node): [number, number] {
  if (a.rows === b.rows && a.cols === b.cols) return [a.rows, a.cols];
  if (b.size === 1) return [a.rows, a.cols];
  if (a.size === 1) return [b.rows, b.cols];
  throw shapeError(op, a, b, 'shapes differ (only equal shapes or a 1×1 scalar broadcast are allowed)');
}

/** Index into a node for output element k: a 1×1 node broadcasts, so it always reads element 0. */
function at(n: Node, k: number): number {
  return n.size === 1 ? 0 : k;
}

// ---------------------------------------------------------------------------------------------------
// Binary ops

/** a + b — a, b: same shape (or one 1×1) → that shape. Local gradient 1: + hands the upstream gradient
 *  unchanged to both inputs (summed over the broadcast for a 1×1 input). */
export function add(a: Node, b: Node, name = `(${a.name} + ${b.name})`): Node {
  const [r, c] = broadcastShape('add', a, b);
  const out = new Float64Array(r * c);
  for (let k = 0; k < out.length; k++) out[k] = a.value[at(a, k)] + b.value[at(b, k)];
  const node: Node = new Node(name, r, c, out, [a, b], () => {
    for (let k = 0; k < out.length; k++) {
      a.grad[at(a, k)] += node.grad[k]; // ∂(a+b)/∂a = 1
      b.grad[at(b, k)] += node.grad[k]; // ∂(a+b)/∂b = 1
    }
  });
  return node;
}

/** a − b — same shapes as add. Local gradients +1 and −1. */
export function sub(a: Node, b: Node, name = `(${a.name} − ${b.name})`): Node {
  const [r, c] = broadcastShape('sub', a, b);
  const out = new Float64Array(r * c);
  for (let k = 0; k < out.length; k++) out[k] = a.value[at(a, k)] - b.value[at(b, k)];
  const node: Node = new Node(name, r, c, out, [a, b], () => {
    for (let k = 0; k < out.length; k++) {
      a.grad[at(a, k)] += node.grad[k]; // ∂(a−b)/∂a = 1
      b.grad[at(b, k)] -= node.grad[k]; // ∂(a−b)/∂b = −1
    }
  });
  return node;
}

/** a ⊙ b (elementwise) — same shapes as add. × swaps its inputs: ∂(ab)/∂a = b, ∂(ab)/∂b = a. */
export function mul(a: Node, b: Node, name = `(${a.name} ⊙ ${b.name})`): Node {
  const [r, c] = broadcastShape('mul', a, b);
  const out = new Float64Array(r * c);
  for (let k = 0; k < out.length; k++) out[k] = a.value[at(a, k)] * b.value[at(b, k)];
  const node: Node = new Node(name, r, c, out, [a, b], () => {
    for (let k = 0; k < out.length; k++) {
      const ia = at(a, k);
      const ib = at(b, k);
      a.grad[ia] += node.grad[k] * b.value[ib]; // ∂(ab)/∂a = b
      b.grad[ib] += node.grad[k] * a.value[ia]; // ∂(ab)/∂b = a
    }
  });
  return node;
}

/** max(a, b) (elementwise) — same shapes as add. max routes the whole upstream gradient to the larger
 *  input and nothing to the other. On a tie (a = b) it goes to the FIRST input, a. */
export function max(a: Node, b: Node, name = `max(${a.name}, ${b.name})`): Node {
  const [r, c] = broadcastShape('max', a, b);
  const out = new Float64Array(r * c);
  for (let k = 0; k < out.length; k++) out[k] = Math.max(a.value[at(a, k)], b.value[at(b, k)]);
  const node: Node = new Node(name, r, c, out, [a, b], () => {
    for (let k = 0; k < out.length; k++) {
      const ia = at(a, k);
      const ib = at(b, k);
      if (a.value[ia] >= b.value[ib]) a.grad[ia] += node.grad[k]; // a won (or tied): ∂/∂a = 1, ∂/∂b = 0
      else b.grad[ib] += node.grad[k]; // b won: ∂/∂b = 1, ∂/∂a = 0
    }
  });
  return node;
}

/** A B (matrix product) — A: m×k, B: k×n → m×n. dA = dOut Bᵀ, dB = Aᵀ dOut. */
export function matmul(A: Node, B: Node, name = `${A.name}·${B.name}`): Node {
  if (A.cols !== B.rows) throw shapeError('matmul', A, B, `inner dimensions differ (${A.cols} ≠ ${B.rows})`);
  const m = A.rows;
  const k = A.cols;
  const n = B.cols;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A.value[i * k + t] * B.value[t * n + j];
      out[i * n + j] = s;
    }
  }
  const node: Node = new Node(name, m, n, out, [A, B], () => {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const g = node.grad[i * n + j];
        for (let t = 0; t < k; t++) {
          A.grad[i * k + t] += g * B.value[t * n + j]; // dA[i,t] += dOut[i,j] B[t,j]
          B.grad[t * n + j] += g * A.value[i * k + t]; // dB[t,j] += A[i,t] dOut[i,j]
        }
      }
    }
  });
  return node;
}

// ---------------------------------------------------------------------------------------------------
// Unary elementwise ops. Each passes the local derivative f'(a) (computed from the input a and/or the
// output y) to elementwise(), which applies  da += dOut ⊙ f'(a).

function elementwise(opName: string, a: Node, name: string, f: (v: number) => number, dfdv: (v: number, y: number) => number): Node {
  const out = new Float64Array(a.size);
  for (let k = 0; k < out.length; k++) out[k] = f(a.value[k]);
  const node: Node = new Node(name || `${opName}(${a.name})`, a.rows, a.cols, out, [a], () => {
    for (let k = 0; k < out.length; k++) a.grad[k] += node.grad[k] * dfdv(a.value[k], out[k]);
  });
  return node;
}

/** Numerically stable logistic function σ(v) = 1 / (1 + e^−v) on a plain number. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v); // v < 0: e^v cannot overflow
  return e / (1 + e);
}

/** −a — a: r×c → r×c. Local gradient −1. */
export function neg(a: Node, name = ''): Node {
  return elementwise('neg', a, name, (v) => -v, () => -1);
}

/** k·a for a constant k — a: r×c → r×c. Local gradient k. */
export function scale(a: Node, k: number, name = `${k}·${a.name}`): Node {
  return elementwise('scale', a, name, (v) => k * v, () => k);
}

/** tanh(a) — a: r×c → r×c. tanh' = 1 − tanh². */
export function tanh(a: Node, name = ''): Node {
  return elementwise('tanh', a, name, Math.tanh, (_v, y) => 1 - y * y);
}

/** σ(a) — a: r×c → r×c. σ' = σ(1 − σ). */
export function sigmoid(a: Node, name = ''): Node {
  return elementwise('sigmoid', a, name, sigmoidScalar, (_v, y) => y * (1 - y));
}

/** relu(a) = max(a, 0) — a: r×c → r×c. relu' = 1 for a > 0, else 0 (0 at the kink a = 0). */
export function relu(a: Node, name = ''): Node {
  return elementwise('relu', a, name, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0));
}

/** log σ(a), computed without overflow or log(0) — a: r×c → r×c. (log σ)' = 1 − σ(a) = σ(−a). */
export function logSigmoid(a: Node, name = ''): Node {
  // log σ(v) = −log(1 + e^−v) = min(v, 0) − log1p(e^−|v|)
  return elementwise('logSigmoid', a, name, (v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))), (v) => sigmoidScalar(-v));
}

/** softplus(a) = log(1 + e^a), computed without overflow — a: r×c → r×c. softplus' = σ(a). */
export function softplus(a: Node, name = ''): Node {
  // log(1 + e^v) = max(v, 0) + log1p(e^−|v|)
  return elementwise('softplus', a, name, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), (v) => sigmoidScalar(v));
}

// ---------------------------------------------------------------------------------------------------
// Reductions and reshaping

/** Σ of all elements — a: r×c → 1×1. Every element's local gradient is 1. */
export function sum(a: Node, name = `sum(${a.name})`): Node {
  let s = 0;
  for (let k = 0; k < a.size; k++) s += a.value[k];
  const node: Node = new Node(name, 1, 1, Float64Array.of(s), [a], () => {
    for (let k = 0; k < a.size; k++) a.grad[k] += node.grad[0];
  });
  return node;
}

/** aᵀ — a: r×c → c×r. The gradient is transposed back. */
export function transpose(a: Node, name = `${a.name}ᵀ`): Node {
  const r = a.rows;
  const c = a.cols;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a.value[i * c + j];
  const node: Node = new Node(name, c, r, out, [a], () => {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) a.grad[i * c + j] += node.grad[j * r + i];
  });
  return node;
}

/** a[i, j] — a: r×c → 1×1. The upstream gradient goes to that one element only. */
export function pick(a: Node, i: number, j = 0, name = `${a.name}[${i},${j}]`): Node {
  if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || i >= a.rows || j < 0 || j >= a.cols) {
    throw new NerError(`pick: index [${i},${j}] is outside ${a.name}, which is ${a.shape}`, 'this is a bug in the code building the graph', 2);
  }
  const k = i * a.cols + j;
  const node: Node = new Node(name, 1, 1, Float64Array.of(a.value[k]), [a], () => {
    a.grad[k] += node.grad[0];
  });
  return node;
}

/** log softmax of each column, stable (shifted by the column max) — a: r×c → r×c.
 *  y = a − logΣexp(a) per column; dA = dY − softmax(a) · Σ dY (column sums). */
export function logSoftmax(a: Node, name = `logSoftmax(${a.name})`): Node {
  const r = a.rows;
  const c = a.cols;
  const out = new Float64Array(r * c);
  for (let j = 0; j < c; j++) {
    let m = -Infinity;
    for (let i = 0; i < r; i++) m = Math.max(m, a.value[i * c + j]);
    let z = 0;
    for (let i = 0; i < r; i++) z += Math.exp(a.value[i * c + j] - m);
    const lse = m + Math.log(z);
    for (let i = 0; i < r; i++) out[i * c + j] = a.value[i * c + j] - lse;
  }
  const node: Node = new Node(name, r, c, out, [a], () => {
    for (let j = 0; j < c; j++) {
      let gsum = 0;
      for (let i = 0; i < r; i++) gsum += node.grad[i * c + j];
      for (let i = 0; i < r; i++) a.grad[i * c + j] += node.grad[i * c + j] - Math.exp(out[i * c + j]) * gsum;
    }
  });
  return node;
}

// ---------------------------------------------------------------------------------------------------
// Backward

/** Nodes reachable from out, each after all of its inputs (depth-first post-order, iterative). */
export function topologicalOrder(out: Node): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: Array<[Node, number]> = [[out, 0]];
  seen.add(out);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [n, next] = top;
    if (next < n.inputs.length) {
      top[1] = next + 1;
      const p = n.inputs[next];
      if (!seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(n);
    }
  }
  return order;
}

/** Fills node.grad = ∂out/∂node for every node reachable from out (a 1×1 node). Gradients from an earlier
 *  backward call are zeroed first, so calling it twice gives the same result, not double. */
export function backward(out: Node): void {
  if (out.size !== 1) throw new NerError(`backward: output ${out.name} is ${out.shape}; it must be a 1×1 scalar`, 'reduce it first, e.g. with sum()', 2);
  const order = topologicalOrder(out);
  for (const n of order) n.grad.fill(0);
  out.grad[0] = 1; // ∂out/∂out
  for (let t = order.length - 1; t >= 0; t--) order[t].backwardStep();
}

// ---------------------------------------------------------------------------------------------------
// The project's two models, built in the graph, for `ner gradcheck`.

export type Activation = 'tanh' | 'relu' | 'sigmoid';

/** h = f(z) as a graph op. */
export function activate(f: Activation, z: Node, name = 'h'): Node {
  switch (f) {
    case 'tanh':
      return tanh(z, name);
    case 'relu':
      return relu(z, name);
    case 'sigmoid':
      return sigmoid(z, name);
    default:
      throw new NerError(`unknown activation ${String(f)}`, 'use one of tanh, relu, sigmoid', 2);
  }
}
