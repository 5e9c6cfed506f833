// The three matrix products that take nearly all of the training time, on contiguous row-major
// Float64Arrays. They compute exactly the lecture's formulas (z = Wx + b, ∂J/∂W += δ xᵀ, ∂J/∂x = Wᵀ δ),
// for a minibatch at once; the loops are unrolled by four so that the CPU can keep four independent sums
// in flight instead of waiting on one (a plain `acc += a*b` loop is bound by the latency of one add).
// model.ts calls these; test/model.test.ts checks them against the ml-matrix reference.

/** Float64Array or Float32Array (the loops below are the same for both; sums are float64). */
export type FloatArray = Float64Array | Float32Array;

/** a[ao … ao+n) · b[bo … bo+n), with four running sums ((s0 + s1) + (s2 + s3)): one rounding order everywhere. */
export function dot(a: FloatArray, ao: number, b: FloatArray, bo: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    a0 += a[ao + t] * b[bo + t];
    a1 += a[ao + t + 1] * b[bo + t + 1];
    a2 += a[ao + t + 2] * b[bo + t + 2];
    a3 += a[ao + t + 3] * b[bo + t + 3];
  }
  for (; t < n; t++) a0 += a[ao + t] * b[bo + t];
  return a0 + a1 + (a2 + a3);
}

/** Z (B×M) = X (B×n) · Wᵀ (W: M×n) + b (M). */
export function gemmXWt(X: FloatArray, W: FloatArray, b: FloatArray, Z: FloatArray, B: number, n: number, M: number): void {
  for (let i = 0; i < B; i++) {
    const xo = i * n;
    const zo = i * M;
    let j = 0;
    // four rows of W against one x: x is loaded once for four dot products
    for (; j + 4 <= M; j += 4) {
      const w0 = j * n;
      const w1 = w0 + n;
      const w2 = w1 + n;
      const w3 = w2 + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = 0; t < n; t++) {
        const x = X[xo + t];
        a0 += W[w0 + t] * x;
        a1 += W[w1 + t] * x;
        a2 += W[w2 + t] * x;
        a3 += W[w3 + t] * x;
      }
      Z[zo + j] = a0 + b[j];
      Z[zo + j + 1] = a1 + b[j + 1];
      Z[zo + j + 2] = a2 + b[j + 2];
      Z[zo + j + 3] = a3 + b[j + 3];
    }
    for (; j < M; j++) Z[zo + j] = dot(W, j * n, X, xo, n) + b[j];
  }
}

/** dW (M×n) += Δᵀ (Δ: B×M) · X (B×n), and db (M) += column sums of Δ. */
export function gemmDtX(Delta: FloatArray, X: FloatArray, dW: FloatArray, db: FloatArray, B: number, n: number, M: number): void {
  for (let j = 0; j < M; j++) {
    const wo = j * n;
    let i = 0;
    let dbj = 0;
    // four windows at a time: each row of dW is read and written once per four
    for (; i + 4 <= B; i += 4) {
      const d0 = Delta[i * M + j];
      const d1 = Delta[(i + 1) * M + j];
      const d2 = Delta[(i + 2) * M + j];
      const d3 = Delta[(i + 3) * M + j];
      dbj += d0 + d1 + d2 + d3;
      if (d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0) continue; // relu's dead units
      const x0 = i * n;
      const x1 = x0 + n;
      const x2 = x1 + n;
      const x3 = x2 + n;
      for (let t = 0; t < n; t++) dW[wo + t] += d0 * X[x0 + t] + d1 * X[x1 + t] + (d2 * X[x2 + t] + d3 * X[x3 + t]);
    }
    for (; i < B; i++) {
      const d0 = Delta[i * M + j];
      dbj += d0;
      if (d0 === 0) continue;
      const x0 = i * n;
      for (let t = 0; t < n; t++) dW[wo + t] += d0 * X[x0 + t];
    }
    db[j] += dbj;
  }
}

/**
 * dX (B×n) = Δ (B×M) · W (M×n), only for the column blocks [p·m, (p+1)·m) with need[i·P + p] set
 * (the window positions whose vectors are trainable); other entries of dX are left untouched.
 */
export function gemmDW(
  Delta: FloatArray,
  W: FloatArray,
  dX: FloatArray,
  B: number,
  n: number,
  M: number,
  need: Uint8Array,
  P: number,
  m: number,
): void {
  for (let i = 0; i < B; i++) {
    for (let p = 0; p < P; p++) {
      if (!need[i * P + p]) continue;
      const c0 = p * m;
      const xo = i * n + c0;
      for (let t = 0; t < m; t++) dX[xo + t] = 0;
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        const d0 = Delta[i * M + j];
        const d1 = Delta[i * M + j + 1];
        const d2 = Delta[i * M + j + 2];
        const d3 = Delta[i * M + j + 3];
        const w0 = j * n + c0;
        const w1 = w0 + n;
        const w2 = w1 + n;
        const w3 = w2 + n;
        for (let t = 0; t < m; t++) dX[xo + t] += d0 * W[w0 + t] + d1 * W[w1 + t] + (d2 * W[w2 + t] + d3 * W[w3 + t]);
      }
      for (; j < M; j++) {
        const d0 = Delta[i * M + j];
        const w0 = j * n + c0;
        for (let t = 0; t < m; t++) dX[xo + t] += d0 * W[w0 + t];
      }
    }
  }
}
