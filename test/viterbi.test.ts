// Viterbi (labels.ts) picks exactly what trying every allowed pair of tags picks (the reference below,
// which was the implementation before the shortcut for tags that may follow any tag), ties included,
// on random and on tied log-probabilities, for BIO and IOBES.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLabels, transitions, viterbi } from '../src/model/labels.js';
import { Rng } from '../src/rng.js';

function reference(logP: Float64Array, N: number, K: number, tr: ReturnType<typeof transitions>): Int32Array {
  const path = new Int32Array(N);
  if (N === 0) return path;
  let score = new Float64Array(K);
  let next = new Float64Array(K);
  const back = new Int32Array(N * K);
  for (let b = 0; b < K; b++) score[b] = tr.start[b] ? logP[b] : -Infinity;
  for (let i = 1; i < N; i++) {
    for (let b = 0; b < K; b++) {
      let best = -Infinity;
      let arg = 0;
      for (let a = 0; a < K; a++) {
        if (tr.allowed[a * K + b] && score[a] > best) {
          best = score[a];
          arg = a;
        }
      }
      next[b] = best + logP[i * K + b];
      back[i * K + b] = arg;
    }
    [score, next] = [next, score];
  }
  let best = -Infinity;
  for (let a = 0; a < K; a++) {
    if (tr.end[a] && score[a] > best) {
      best = score[a];
      path[N - 1] = a;
    }
  }
  for (let i = N - 1; i > 0; i--) path[i - 1] = back[i * K + path[i]];
  return path;
}

for (const scheme of ['BIO', 'IOBES'] as const) {
  test(`viterbi = every pair tried: ${scheme}`, () => {
    const labels = makeLabels('softmax', ['LOC', 'MISC', 'ORG', 'PER'], scheme);
    const K = labels.outputs.length;
    const tr = transitions(labels);
    const rng = new Rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const N = 1 + (trial % 40);
      const tied = trial % 3 === 0; // few distinct values: many ties
      const logP = new Float64Array(N * K).map(() => (tied ? -Math.round(rng.uniform(0.5) * 4 + 2) : rng.uniform(5) - 5));
      assert.deepEqual(viterbi(logP, N, K, tr), reference(logP, N, K, tr), `trial ${trial}`);
    }
  });
}
