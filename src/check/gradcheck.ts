// `ner gradcheck`: the hand-derived δ-form gradients of model.ts, checked on real windows against two
// independent sources. Pure: no I/O, no printing; the CLI formats the report.
//
//   take B real windows (centre tokens of a CoNLL corpus, half of them inside entities), gather their x
//   through the real feature pipeline (word vectors, subword vectors, casing), and with J = (1/B) Σ_i J_i
//   (the training loss):
//   1. analytic  forward → lossAndGrad → backward (the function under test, injectable) → scatterWordGrads
//                and scatterSubwordGrad, giving ∂J/∂W, ∂J/∂b, ∂J/∂U, ∂J/∂c, ∂J/∂x, ∂J/∂e(w) for the
//                word-table rows x came from and ∂J/∂Z for the n-gram rows its subword vectors came from
//   2. numeric   centred finite differences (J(θ+ε) − J(θ−ε)) / 2ε on a seeded sample of entries per block,
//                using the real forward (and, for word rows, the real gather); with relu, an entry whose
//                ±ε step moves some z across the kink at 0 is skipped (the difference is meaningless there)
//   3. graph     the same loss built in the autodiff engine of graph.ts, x assembled from one leaf per word
//                row and per n-gram row (x = Σ_p S_p e(w_p) + Σ_p T_p (1/|G|) Σ_g Z_g + casing), so the
//                engine also routes ∂J/∂x to the rows by itself;
//                compared on every entry
//   per block: max |analytic − numeric| and the relative error ‖a − n‖ / (‖a‖ + ‖n‖); a block passes when
//   both relative errors (vs numeric and vs graph) are below the tolerance.
//
// Finally the lecture's statements for one window and one score s are checked with the backward under test
// (∂J/∂s set to 1 for that score): ∂s/∂W = δ xᵀ (W's shape), ∂s/∂b = δ, ∂s/∂u = h (u's shape),
// ∂s/∂x = Wᵀ δ (x's shape), with δ = u ∘ f'(z) recomputed here from z.

import { SHAPE_FEATURE } from '../model/shape.js';
import type { Embeddings } from '../embeddings/embeddings.js';
import { NerError } from '../errors.js';
import {
  type Encoded,
  type WindowShape,
  type WordTable,
  PAD_END,
  PAD_START,
  UNK,
  blockSize,
  copyWordRow,
  encode,
  gather,
  inputSize,
  lookupKeys,
  newWordTable,
  pretrainedId,
  scatterWordGrads,
  firstFormId,
} from '../model/features.js';
import { gramsOf, newSubwords, scatterSubwordGrad } from '../model/subword.js';
import * as g from './graph.js';
import { type LabelSet, makeLabels, outputCount, targets } from '../model/labels.js';
import {
  type Activation,
  type Dims,
  type Head,
  type Params,
  backward,
  forward,
  groups,
  initParams,
  lossAndGrad,
  newBackScratch,
  newCache,
  zerosLike,
} from '../model/model.js';
import type { NerModel } from '../model/ner-model.js';
import { Rng } from '../rng.js';
import { entityTypes } from '../data/tags.js';

/** The backward pass under test (model.ts's by default; tests pass broken ones). */
export type BackwardFn = typeof backward;

/** Everything the check needs: a model, its word table and B windows of encoded text. */
export interface GradcheckProblem {
  dims: Dims;
  f: Activation;
  params: Params;
  words: WordTable;
  shape: WindowShape;
  outputs: string[]; // names of the K scores
  encoded: Encoded;
  centres: Int32Array; // B: token index (into encoded) of each window's centre word
  y: Int32Array; // B: targets (ovr: 0 = O, k+1 = type k; softmax, logistic: tag index)
  tokens: string[]; // B: the centre words, for the report
}

export interface GradcheckOptions {
  samples?: number; // finite-difference entries per block (default 200)
  eps?: number; // finite-difference step (default 1e-5)
  tolerance?: number; // a block passes when its relative errors are below this (default 1e-6)
  seed?: number; // picks the sampled entries (default 1)
  backward?: BackwardFn;
}

export const DEFAULT_SAMPLES = 200;
export const DEFAULT_EPS = 1e-5;
export const DEFAULT_TOLERANCE = 1e-6;

export interface BlockReport {
  name: string; // W, b, U, c, x, e(w)
  shape: string; // e.g. 500×540
  size: number;
  checked: number; // entries compared with finite differences
  kinks: number; // sampled entries skipped because ±ε crossed a relu kink
  maxAbsNumeric: number; // max |analytic − numeric| over the checked entries
  relNumeric: number;
  maxAbsGraph: number; // max |analytic − graph| over every entry
  relGraph: number;
  pass: boolean;
}

export interface ShapeStatement {
  formula: string; // e.g. '∂s/∂W = δ xᵀ'
  gradShape: string; // the shape of the gradient backward produced
  param: string; // what it is the gradient with respect to, e.g. 'W', 'u_LOC'
  paramShape: string; // that thing's shape
  relError: number; // ‖backward − formula‖ / (‖backward‖ + ‖formula‖)
  ok: boolean;
  note: string;
}

export interface GradcheckReport {
  head: Head;
  activation: Activation;
  dims: Dims;
  shape: WindowShape;
  B: number;
  J: number; // mean loss of the windows (forward)
  JGraph: number; // the same loss from the graph engine
  lossOk: boolean;
  eps: number;
  tolerance: number;
  blocks: BlockReport[];
  statement: { window: number; token: string; output: string };
  shapes: ShapeStatement[];
  pass: boolean;
}

// ── building the problem from a corpus ──────────────────────────────────────────────────────────

export interface LabelledSentence {
  tokens: string[];
  tags: string[];
}

export interface WindowSample {
  sentences: string[][]; // the sentences the windows come from (each once)
  centres: Int32Array; // token index of each centre in the flattened sentences
  y: Int32Array;
  tokens: string[];
}

/**
 * Picks `count` windows (seeded, without repetition): half centred on tokens inside an entity the labels
 * know, the rest on other tokens (either side fills in when the other runs short).
 */
export function sampleWindows(corpus: LabelledSentence[], labels: LabelSet, count: number, rng: Rng): WindowSample {
  const entity: [number, number][] = [];
  const other: [number, number][] = [];
  const ys: Int32Array[] = corpus.map((s) => targets(labels, s.tags));
  ys.forEach((y, si) => {
    for (let t = 0; t < y.length; t++) (y[t] !== 0 ? entity : other).push([si, t]); // target 0 is O in both heads
  });
  const total = entity.length + other.length;
  if (total === 0) throw new NerError('the data has no tokens to take windows from', 'pass a CoNLL file with at least one sentence: --data FILE');
  const want = Math.min(count, total);
  const fromEntity = Math.min(entity.length, Math.max(Math.ceil(want / 2), want - other.length));
  const picked = [...pickFrom(entity, fromEntity, rng), ...pickFrom(other, want - fromEntity, rng)];
  picked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  const sentences: string[][] = [];
  const offset = new Map<number, number>();
  let N = 0;
  for (const [si] of picked) {
    if (offset.has(si)) continue;
    offset.set(si, N);
    sentences.push(corpus[si].tokens);
    N += corpus[si].tokens.length;
  }
  return {
    sentences,
    centres: Int32Array.from(picked, ([si, t]) => offset.get(si)! + t),
    y: Int32Array.from(picked, ([si, t]) => ys[si][t]),
    tokens: picked.map(([si, t]) => corpus[si].tokens[t]),
  };
}

/** k distinct items of a, seeded (partial Fisher–Yates on a copy of the indices). */
function pickFrom<T>(a: T[], k: number, rng: Rng): T[] {
  const idx = Int32Array.from(a.keys());
  const out: T[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
    out.push(a[idx[i]]);
  }
  return out;
}

/** A word table in which every word of the sentences has its own trainable row (as with --fine-tune):
 *  a copy of its pretrained vector, or a small random one; plus <s>, </s>, <unk>. So ∂J/∂e(w) is
 *  checked for every word of every window. */
export function fineTuneWordTable(emb: Embeddings, sentences: string[][], rng: Rng): WordTable {
  const d = emb.d;
  const keys = [PAD_START, PAD_END, UNK];
  const source: number[] = [-1, -1, -1]; // pretrained row copied into each key's row, or −1 (random)
  const seen = new Set(keys);
  for (const s of sentences)
    for (const tok of s) {
      const pre = pretrainedId(emb, tok);
      const key = pre >= 0 ? emb.words[pre] : lookupKeys(tok).at(-1)!; // the key wordId() will find first
      if (seen.has(key)) continue;
      seen.add(key);
      keys.push(key);
      source.push(pre);
    }
  const rows = new Float64Array(keys.length * d);
  const a = 1 / Math.sqrt(d);
  source.forEach((pre, r) => {
    if (pre >= 0) emb.readRow(pre, rows, r * d);
    else for (let j = 0; j < d; j++) rows[r * d + j] = rng.uniform(a);
  });
  return newWordTable(d, keys, rows, emb);
}

export interface RandomModelSpec {
  head: Head;
  activation: Activation;
  hidden: number;
  window: number;
  casing: boolean;
  scheme: 'BIO' | 'IOBES'; // softmax targets
  subword?: number; // D of the subword vectors (0 or absent: none)
  buckets?: number; // their table's rows (default 64: small, so that n-grams share rows as they do in training)
  shape?: boolean; // the word-shape one-hot group
}

/** A freshly initialised model (seeded) on `count` windows of the corpus. */
export function randomProblem(emb: Embeddings, corpus: LabelledSentence[], spec: RandomModelSpec, count: number, seed: number): GradcheckProblem {
  const types = entityTypes(corpus.map((s) => s.tags));
  if (types.length === 0) throw new NerError('the data has no entities, so the model has no outputs to check', 'pass a CoNLL file with B-/I- tags: --data FILE');
  const labels = makeLabels(spec.head, types, spec.scheme);
  const rng = new Rng(seed);
  const sample = sampleWindows(corpus, labels, count, rng);
  const words = fineTuneWordTable(emb, sample.sentences, rng);
  if (spec.subword) {
    // a trained table is not zero: random rows, so that every ch(w) matters
    words.sub = newSubwords(spec.subword, spec.buckets ?? 64);
    for (let i = 0; i < words.sub.Z.length; i++) words.sub.Z[i] = rng.uniform(0.5);
    words.forms = new Map();
  }
  const features = spec.shape ? [SHAPE_FEATURE] : [];
  const shape: WindowShape = { window: spec.window, d: emb.d, useCasing: spec.casing, ...(spec.subword ? { sub: spec.subword } : {}), ...(spec.shape ? { groups: [SHAPE_FEATURE] } : {}) };
  const dims: Dims = { head: spec.head, n: inputSize(shape), H: spec.hidden, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a));
  // Training starts the biases at 0; small random ones here make every term of the forward pass matter.
  for (let i = 0; i < params.b.length; i++) params.b[i] = rng.uniform(0.1);
  for (let i = 0; i < params.c.length; i++) params.c[i] = rng.uniform(0.1);
  return { dims, f: spec.activation, params, words, shape, outputs: labels.outputs, encoded: encode(words, sample.sentences, features), ...windowsOf(sample) };
}

/** A trained model (its own parameters and word table) on `count` windows of the corpus. */
export function modelProblem(model: NerModel, corpus: LabelledSentence[], count: number, seed: number): GradcheckProblem {
  const sample = sampleWindows(corpus, model.labels, count, new Rng(seed));
  return {
    dims: model.dims,
    f: model.config.activation,
    params: model.params,
    words: model.words,
    shape: model.shape,
    outputs: model.labels.outputs,
    encoded: encode(model.words, sample.sentences, model.features),
    ...windowsOf(sample),
  };
}

function windowsOf(s: WindowSample) {
  return { centres: s.centres, y: s.y, tokens: s.tokens };
}

// ── the check ───────────────────────────────────────────────────────────────────────────────────

/** a, n: the same length → ‖a − n‖ / (‖a‖ + ‖n‖) (0 when both are zero) and max |a − n|. */
export function compare(a: ArrayLike<number>, n: ArrayLike<number>): { rel: number; maxAbs: number } {
  let diff = 0;
  let na = 0;
  let nn = 0;
  let maxAbs = 0;
  for (let k = 0; k < a.length; k++) {
    const e = a[k] - n[k];
    diff += e * e;
    na += a[k] * a[k];
    nn += n[k] * n[k];
    maxAbs = Math.max(maxAbs, Math.abs(e)); // a NaN anywhere makes maxAbs and rel NaN, which fails
  }
  const denom = Math.sqrt(na) + Math.sqrt(nn);
  return { rel: denom === 0 ? (diff === 0 ? 0 : Infinity) : Math.sqrt(diff) / denom, maxAbs };
}

/** k distinct indices of [0, size), sorted (all of them when size ≤ k). */
function sampleIndices(size: number, k: number, rng: Rng): Int32Array {
  if (size <= k) return Int32Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.int(size));
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

export function gradcheck(problem: GradcheckProblem, opts: GradcheckOptions = {}): GradcheckReport {
  const samples = opts.samples ?? DEFAULT_SAMPLES;
  const eps = opts.eps ?? DEFAULT_EPS;
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const backwardUnderTest = opts.backward ?? backward;
  const rng = new Rng(opts.seed ?? 1);
  // the subword table in float64 for the check (it trains in float32, where ±ε would round away)
  if (problem.words.sub) problem = { ...problem, words: { ...problem.words, sub: { ...problem.words.sub, Z: Float64Array.from(problem.words.sub.Z) } } };
  const { dims, f, params, words, shape, encoded, centres, y } = problem;
  const { n, H, K } = dims;
  const GH = groups(dims) * H;
  const B = centres.length;
  const P = 2 * shape.window + 1;
  const d = shape.d;
  const V = words.keys.length;
  if (B === 0) throw new NerError('gradcheck needs at least one window', 'use --windows 1 or more');
  if (inputSize(shape) !== n) throw new NerError(`the window gives x of size ${inputSize(shape)} but the model expects n = ${n}`, undefined, 2);

  // 1. analytic
  const X = new Float64Array(B * n);
  const ids = new Int32Array(B * P);
  gather(words, shape, encoded, centres, B, X, ids);
  const cache = newCache(dims, B);
  cache.X.set(X);
  forward(params, dims, f, cache, B);
  const dS = new Float64Array(B * K);
  const J = lossAndGrad(dims, cache.S, y, B, dS, 1 / B) / B;
  const grads = zerosLike(params);
  const scratch = newBackScratch(dims, B);
  backwardUnderTest(params, dims, f, cache, dS, grads, scratch, true);
  const dX = scratch.dX.slice(0, B * n);
  const dRows = new Float64Array(words.rows.length);
  const touched = new Int32Array(B * P);
  const count = scatterWordGrads(shape, V, ids, dX, B, dRows, new Uint8Array(V), touched);
  const rowIds = Array.from(touched.subarray(0, count)).sort((a, b) => a - b);
  const sub = words.sub;
  const dZ = new Float64Array(sub ? sub.Z.length : 0);
  const gramTouched = new Int32Array(sub ? sub.R : 0);
  let gramCount = 0;
  const gramMark = new Uint8Array(sub ? sub.R : 0);
  if (sub) for (let k = 0; k < B * P; k++) gramCount = scatterSubwordGrad(sub, ids[k], dX, k * blockSize(shape) + d, dZ, gramMark, gramTouched, gramCount);
  const aboveKink = cache.Z.slice(0, B * GH).map((z) => (z > 0 ? 1 : 0));

  // 2. numeric. J is a mean over windows, and a window that an entry does not feed gives the same J_i at
  // +ε and −ε, so only the windows an entry feeds are re-run: all of them for W, b, U, c; window i for an
  // entry of x_i; the windows containing a word for an entry of its row. (Exact, and less rounding.)
  const all = Int32Array.from({ length: B }, (_, i) => i);
  const probe = newCache(dims, B);
  const probeY = new Int32Array(B);
  const probeDS = new Float64Array(B * K);
  const probeIds = new Int32Array(B * P);
  const probeCentres = new Int32Array(B);
  /** (1/B) Σ_{i ∈ which} J_i with probe.X filled by fill(which); forward only. */
  const lossOver = (which: Int32Array, fill: (which: Int32Array) => void): number => {
    fill(which);
    for (let r = 0; r < which.length; r++) probeY[r] = y[which[r]];
    forward(params, dims, f, probe, which.length);
    return lossAndGrad(dims, probe.S, probeY, which.length, probeDS, 1) / B;
  };
  /** relu only: did some z of these windows land on the other side of 0 than in the unperturbed pass? */
  const crossedKink = (which: Int32Array): boolean => {
    if (f !== 'relu') return false;
    for (let r = 0; r < which.length; r++)
      for (let j = 0; j < GH; j++) if ((probe.Z[r * GH + j] > 0 ? 1 : 0) !== aboveKink[which[r] * GH + j]) return true;
    return false;
  };
  const fromX = (which: Int32Array) => {
    for (let r = 0; r < which.length; r++) probe.X.set(X.subarray(which[r] * n, which[r] * n + n), r * n);
  };
  const regather = (which: Int32Array) => {
    for (let r = 0; r < which.length; r++) probeCentres[r] = centres[which[r]];
    gather(words, shape, encoded, probeCentres, which.length, probe.X, probeIds);
  };

  // 3. graph
  const graph = graphGradients(problem, X, ids);

  const blocks: BlockReport[] = [];
  const check = (
    name: string,
    shapeText: string,
    size: number,
    theta: Float64Array, // the values the entries index (perturbed in place, restored)
    entries: Int32Array,
    analytic: Float64Array,
    graphGrad: Float64Array,
    fed: (entry: number) => Int32Array, // the windows an entry feeds
    fill: (which: Int32Array) => void,
  ) => {
    const a: number[] = [];
    const num: number[] = [];
    let kinks = 0;
    for (const k of entries) {
      const which = fed(k);
      const old = theta[k];
      theta[k] = old + eps;
      const jp = lossOver(which, fill);
      const kp = crossedKink(which);
      theta[k] = old - eps;
      const jm = lossOver(which, fill);
      const km = crossedKink(which);
      theta[k] = old;
      if (kp || km) {
        kinks++;
        continue;
      }
      a.push(analytic[k]);
      num.push((jp - jm) / (2 * eps));
    }
    const vsNumeric = compare(a, num);
    const vsGraph = compare(analytic, graphGrad);
    blocks.push({
      name,
      shape: shapeText,
      size,
      checked: a.length,
      kinks,
      maxAbsNumeric: vsNumeric.maxAbs,
      relNumeric: vsNumeric.rel,
      maxAbsGraph: vsGraph.maxAbs,
      relGraph: vsGraph.rel,
      pass: vsNumeric.rel < tolerance && vsGraph.rel < tolerance && a.length > 0,
    });
  };
  const every = () => all;
  check('W', `${GH}×${n}`, params.W.length, params.W, sampleIndices(params.W.length, samples, rng), grads.W, graph.W, every, fromX);
  check('b', `${GH}`, params.b.length, params.b, sampleIndices(params.b.length, samples, rng), grads.b, graph.b, every, fromX);
  check('U', `${K}×${H}`, params.U.length, params.U, sampleIndices(params.U.length, samples, rng), grads.U, graph.U, every, fromX);
  check('c', `${K}`, params.c.length, params.c, sampleIndices(params.c.length, samples, rng), grads.c, graph.c, every, fromX);
  check('x', `${B}×${n}`, X.length, X, sampleIndices(X.length, samples, rng), dX, graph.X, (k) => Int32Array.of(Math.floor(k / n)), fromX);
  // word rows: the block is the rows x's blocks came from; entries index words.rows itself
  const rowEntries = sampleIndices(rowIds.length * d, samples, rng).map((k) => rowIds[Math.floor(k / d)] * d + (k % d));
  const analyticRows = new Float64Array(words.rows.length);
  const graphRows = new Float64Array(words.rows.length);
  for (const id of rowIds) {
    analyticRows.set(dRows.subarray(id * d, id * d + d), id * d);
    graphRows.set(graph.rows.get(id) ?? new Float64Array(d), id * d);
  }
  // rows the graph reached but the scatter did not (a broken scatter) count against it too
  for (const [id, gr] of graph.rows) if (!rowIds.includes(id)) graphRows.set(gr, id * d);
  const windowsWith = new Map<number, Int32Array>();
  for (const id of rowIds) windowsWith.set(id, all.filter((i) => ids.subarray(i * P, i * P + P).includes(id)));
  const rowsShape = `${rowIds.length}×${d}`;
  check('e(w)', rowsShape, rowIds.length * d, words.rows, rowEntries, analyticRows, graphRows, (k) => windowsWith.get(Math.floor(k / d))!, regather);
  if (sub) {
    // the n-gram rows the windows' subword vectors came from
    const D = sub.D;
    const gramIds = Array.from(new Set(Array.from(ids).flatMap((id) => Array.from(gramsOf(sub, id))))).sort((a, b) => a - b);
    const entries = sampleIndices(gramIds.length * D, samples, rng).map((k) => gramIds[Math.floor(k / D)] * D + (k % D));
    const graphZ = new Float64Array(sub.Z.length);
    for (const [r, gz] of graph.grams) graphZ.set(gz, r * D);
    const windowsWithGram = (k: number) => all.filter((i) => ids.subarray(i * P, i * P + P).some((id) => gramsOf(sub, id).includes(Math.floor(k / D))));
    check('Z (n-grams)', `${gramIds.length}×${D} of ${sub.R}×${D}`, gramIds.length * D, sub.Z as Float64Array, entries, dZ, graphZ, windowsWithGram, regather);
  }

  const lossOk = Math.abs(J - graph.J) <= tolerance * Math.max(1, Math.abs(J));
  const st = lectureStatements(problem, X, backwardUnderTest, tolerance);
  return {
    head: dims.head,
    activation: f,
    dims,
    shape,
    B,
    J,
    JGraph: graph.J,
    lossOk,
    eps,
    tolerance,
    blocks,
    statement: st.statement,
    shapes: st.shapes,
    pass: lossOk && blocks.every((b) => b.pass) && st.shapes.every((s) => s.ok),
  };
}

// ── the graph engine's gradients ────────────────────────────────────────────────────────────────

interface GraphGradients {
  J: number;
  W: Float64Array;
  b: Float64Array;
  U: Float64Array;
  c: Float64Array;
  X: Float64Array; // B×n
  rows: Map<number, Float64Array>; // the model's own word rows (id < V) → ∂J/∂e(w)
  grams: Map<number, Float64Array>; // the n-gram rows of Z → ∂J/∂Z[r]
}

/** The loss of model.ts rebuilt in the graph engine: x from word-row leaves, ovr as K binary classifiers
 *  with their own W_k, b_k, u_k, c_k, logistic as K binary classifiers on one shared h. X (B×n) supplies only the casing part; ids (B×P) the word rows. */
function graphGradients(problem: GradcheckProblem, X: Float64Array, ids: Int32Array): GraphGradients {
  const { dims, f, params, words, shape, y } = problem;
  const { n, H, K } = dims;
  const B = y.length;
  const P = 2 * shape.window + 1;
  const m = blockSize(shape);
  const d = shape.d;
  const V = words.keys.length;

  // e(w): one leaf per distinct row; S_p (n×d) puts a d-vector into block p of x
  const rowLeaf = new Map<number, g.Node>();
  const sub = words.sub;
  const D = sub ? sub.D : 0;
  for (const id of ids) {
    if (rowLeaf.has(id)) continue;
    const row = new Float64Array(d + D);
    copyWordRow(words, id, row, 0); // the model's own row or the pretrained one (however it is loaded)
    const name = id < V ? words.keys[id] : id < firstFormId(words) ? words.emb!.words[id - V] : `form ${id}`;
    rowLeaf.set(id, g.leaf(`e(${name})`, row.subarray(0, d), d, 1));
  }
  // ch(w) = (1/|G(w)|) Σ_g Z_g, from one leaf per n-gram row; T_p (n×D) puts it into block p of x
  const gramLeaf = new Map<number, g.Node>();
  const subOf = new Map<number, g.Node | null>();
  if (sub)
    for (const id of ids) {
      if (subOf.has(id)) continue;
      const rows = gramsOf(sub, id);
      let acc: g.Node | null = null;
      for (const r of rows) {
        if (!gramLeaf.has(r)) gramLeaf.set(r, g.leaf(`Z${r}`, Float64Array.from(sub.Z.subarray(r * D, r * D + D)), D, 1));
        acc = acc ? g.add(acc, gramLeaf.get(r)!) : gramLeaf.get(r)!;
      }
      subOf.set(id, acc ? g.scale(acc, 1 / rows.length) : null);
    }
  const T: g.Node[] = [];
  for (let p = 0; p < P && sub; p++) {
    const sel = new Float64Array(n * D);
    for (let j = 0; j < D; j++) sel[(p * m + d + j) * D + j] = 1;
    T.push(g.leaf(`T${p}`, sel, n, D));
  }
  const S: g.Node[] = [];
  for (let p = 0; p < P; p++) {
    const sel = new Float64Array(n * d);
    for (let j = 0; j < d; j++) sel[(p * m + j) * d + j] = 1;
    S.push(g.leaf(`S${p}`, sel, n, d));
  }
  const xs: g.Node[] = [];
  for (let i = 0; i < B; i++) {
    let x: g.Node | null = null;
    if (shape.useCasing) {
      const casingPart = X.slice(i * n, i * n + n);
      for (let p = 0; p < P; p++) casingPart.fill(0, p * m, p * m + d + D);
      x = g.leaf(`casing${i}`, casingPart, n, 1);
    }
    for (let p = 0; p < P; p++) {
      const part = g.matmul(S[p], rowLeaf.get(ids[i * P + p])!);
      x = x ? g.add(x, part) : part;
      const s = subOf.get(ids[i * P + p]);
      if (s) x = g.add(x, g.matmul(T[p], s));
    }
    xs.push(x!);
  }

  const terms: g.Node[] = [];
  let leaves: { W: g.Node[]; b: g.Node[]; U: g.Node[]; c: g.Node[] };
  if (dims.head === 'ovr') {
    const W: g.Node[] = [], b: g.Node[] = [], U: g.Node[] = [], c: g.Node[] = [];
    for (let k = 0; k < K; k++) {
      W.push(g.leaf(`W${k}`, params.W.subarray(k * H * n, (k + 1) * H * n), H, n));
      b.push(g.leaf(`b${k}`, params.b.subarray(k * H, (k + 1) * H), H, 1));
      U.push(g.leaf(`u${k}`, params.U.subarray(k * H, (k + 1) * H), H, 1));
      c.push(g.leaf(`c${k}`, params.c[k]));
    }
    leaves = { W, b, U, c };
    for (let i = 0; i < B; i++)
      for (let k = 0; k < K; k++) {
        const h = g.activate(f, g.add(g.matmul(W[k], xs[i]), b[k])); // h_k = f(W_k x + b_k)
        const s = g.add(g.matmul(g.transpose(U[k]), h), c[k]); // s_k = u_kᵀ h_k + c_k
        const yk = y[i] === k + 1 ? 1 : 0;
        terms.push(g.neg(g.add(g.scale(g.logSigmoid(s), yk), g.scale(g.logSigmoid(g.neg(s)), 1 - yk)))); // binary cross-entropy
      }
  } else {
    const W = g.leaf('W', params.W, H, n);
    const b = g.leaf('b', params.b, H, 1);
    const U = g.leaf('U', params.U, K, H);
    const c = g.leaf('c', params.c, K, 1);
    leaves = { W: [W], b: [b], U: [U], c: [c] };
    for (let i = 0; i < B; i++) {
      const h = g.activate(f, g.add(g.matmul(W, xs[i]), b)); // h = f(W x + b)
      const s = g.add(g.matmul(U, h), c); // s = U h + c
      if (dims.head === 'softmax') terms.push(g.neg(g.pick(g.logSoftmax(s), y[i]))); // −log softmax(s)_y
      else {
        // logistic: −Σ_k [y_k log σ(s_k) + (1 − y_k) log σ(−s_k)], y = onehot(tag), constants as leaves
        const yk = new Float64Array(K);
        yk[y[i]] = 1;
        const on = g.leaf(`y${i}`, yk, K, 1);
        const off = g.leaf(`1−y${i}`, yk.map((v) => 1 - v), K, 1);
        terms.push(g.neg(g.sum(g.add(g.mul(on, g.logSigmoid(s)), g.mul(off, g.logSigmoid(g.neg(s)))))));
      }
    }
  }
  let total = terms[0];
  for (let t = 1; t < terms.length; t++) total = g.add(total, terms[t]);
  const J = g.scale(total, 1 / B, 'J');
  g.backward(J);

  const concat = (nodes: g.Node[]) => {
    const out = new Float64Array(nodes.reduce((a, v) => a + v.size, 0));
    let o = 0;
    for (const v of nodes) {
      out.set(v.grad, o);
      o += v.size;
    }
    return out;
  };
  const dXg = new Float64Array(B * n);
  xs.forEach((x, i) => dXg.set(x.grad, i * n));
  const rows = new Map<number, Float64Array>();
  for (const [id, v] of rowLeaf) if (id < V) rows.set(id, v.grad.slice());
  const grams = new Map<number, Float64Array>();
  for (const [r, v] of gramLeaf) grams.set(r, v.grad.slice());
  return { J: J.scalar, W: concat(leaves.W), b: concat(leaves.b), U: concat(leaves.U), c: concat(leaves.c), X: dXg, rows, grams };
}

// ── the lecture's statements ────────────────────────────────────────────────────────────────────

function slope(f: Activation, z: number): number {
  if (f === 'tanh') return 1 - Math.tanh(z) ** 2;
  if (f === 'relu') return z > 0 ? 1 : 0;
  const s = 1 / (1 + Math.exp(-z));
  return s * (1 - s);
}

/**
 * For window 0 and the score s of its target (ovr: its type's classifier, or the first for O; softmax,
 * logistic: its tag), runs the backward under test with ∂J/∂s = 1 and checks ∂s/∂W = δ xᵀ, ∂s/∂b = δ, ∂s/∂u = h and
 * ∂s/∂x = Wᵀδ, with δ = u ∘ f'(z) computed here. W: GH×n, x: n, δ: GH, u and h: H.
 */
function lectureStatements(problem: GradcheckProblem, X: Float64Array, bwd: BackwardFn, tolerance: number) {
  const { dims, f, params } = problem;
  const { n, H, K } = dims;
  const GH = groups(dims) * H;
  const ovr = dims.head === 'ovr';
  const k = ovr ? Math.max(0, problem.y[0] - 1) : problem.y[0];
  const cache = newCache(dims, 1);
  cache.X.set(X.subarray(0, n));
  forward(params, dims, f, cache, 1);
  const dS = new Float64Array(K);
  dS[k] = 1;
  const grads = zerosLike(params);
  const scratch = newBackScratch(dims, 1);
  bwd(params, dims, f, cache, dS, grads, scratch, true);

  // δ = u_k ∘ f'(z) on the hidden units that feed s_k (ovr: group k only; softmax, logistic: all of h)
  const g0 = ovr ? k * H : 0;
  const delta = new Float64Array(GH);
  const h = new Float64Array(H);
  for (let t = 0; t < H; t++) {
    delta[g0 + t] = params.U[k * H + t] * slope(f, cache.Z[g0 + t]);
    h[t] = cache.Hh[g0 + t];
  }
  const x = cache.X.subarray(0, n);
  const deltaXT = new Float64Array(GH * n);
  for (let j = 0; j < GH; j++) for (let t = 0; t < n; t++) deltaXT[j * n + t] = delta[j] * x[t];
  const WTdelta = new Float64Array(n);
  for (let j = 0; j < GH; j++) for (let t = 0; t < n; t++) WTdelta[t] += params.W[j * n + t] * delta[j];
  const dU = new Float64Array(K * H); // ∂s/∂U: row k is h (the h_k of classifier k for ovr), other rows 0
  dU.set(h, k * H);

  const name = problem.outputs[k];
  const stmt = (formula: string, got: Float64Array, want: Float64Array, gradShape: string, param: string, paramShape: string, note: string): ShapeStatement => {
    const { rel } = compare(got, want);
    const ok = got.length === want.length && gradShape === paramShape && rel < tolerance;
    return { formula, gradShape, param, paramShape, relError: rel, ok, note };
  };
  const shapes = [
    stmt('∂s/∂W = δ xᵀ', grads.W, deltaXT, `${grads.W.length / n}×${n}`, 'W', `${params.W.length / n}×${n}`, ovr ? `only W_${name}'s ${H} rows are non-zero` : ''),
    stmt('∂s/∂b = δ', grads.b, delta, `${grads.b.length}`, 'b', `${params.b.length}`, ovr ? `δ is 0 outside b_${name}` : ''),
    stmt('∂s/∂u = h', grads.U, dU, `${grads.U.length / K}`, ovr ? `u_${name}` : 'u', `${H}`, `row ${name} of U; its other rows get 0`),
    stmt('∂s/∂x = Wᵀ δ', scratch.dX.subarray(0, n), WTdelta, `${scratch.dX.length}`, 'x', `${x.length}`, ''),
  ];
  return { statement: { window: 0, token: problem.tokens[0], output: name }, shapes };
}
