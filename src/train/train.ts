// The training loop: minibatch SGD over shuffled windows, one dev evaluation per epoch (the same scoring
// as `ner eval`), early stopping on dev F1, and the best epoch's parameters kept. Pure computation: the
// caller does the I/O and receives progress through hooks.
//
//   for epoch = 1 … E:
//     shuffle the training tokens (one seeded Rng drives all randomness)
//     for each minibatch of B windows:
//       X ← gather(windows);  forward (src/fast/forward.ts);  J, ∂J/∂s ← loss (model.ts);
//       backward and SGD step (src/fast/backward-sgd.ts, the only place parameters change; it leaves ∇
//       zeroed for the next minibatch);  route ∂J/∂x to the word rows it came from and step them
//     score dev;  keep the parameters if dev F1 improved;  stop after `patience` epochs without gain

import type { Corpus } from '../data/conll.js';
import { type Embeddings, embeddingsInfo } from '../embeddings/embeddings.js';
import { NerError } from '../errors.js';
import {
  type WindowShape,
  PAD_END,
  PAD_START,
  UNK,
  blockSize,
  encode,
  gather,
  inputSize,
  lookupKeys,
  newWordTable,
  pretrainedId,
  withNearRows,
  type WordTable,
  type TokenFeature,
  firstFormId,
} from '../model/features.js';
import { type Subwords, gramsOf, newSubwords } from '../model/subword.js';
import { featuresOf } from '../model/groups.js';
import { makeLabels, outputCount, targets } from '../model/labels.js';
import { scoreCorpus } from '../eval/analysis.js';
import { type Dims, type Params, initParams, lossAndGrad, snapshotParams } from '../model/model.js';
import { type EpochRecord, type ModelConfig, type NerModel } from '../model/ner-model.js';
import { needArena, wasmAlloc, wasmAlloc32, wasmFree } from '../fast/arena.js';
import { releaseSubwordTable } from '../fast/kernels.js';
import { forward, free32, newWorkspace, toArena32, zerosLike32 } from '../fast/forward.js';
import { backwardAndStep, stepSubwordRows, stepWordRows } from '../fast/backward-sgd.js';
import { Rng } from '../rng.js';
import { detectScheme, entityTypes } from '../data/tags.js';
import { GAZETTEER_GROUP, type Gazetteer, gazetteerFeature, gazetteerWithTraining, jackknifeClasses, trainingEntries } from '../data/gazetteer.js';

export interface TrainHooks {
  onBatch?: (done: number, total: number, meanLoss: number) => void;
  /** After each finished epoch; `end` gives, on demand, the best model so far and the state that resumes
   *  at the next epoch (the caller saves them so that a kill at any moment loses at most one epoch). */
  onEpoch?: (record: EpochRecord, isBest: boolean, end: EpochEnd) => void;
  /** Checked before every minibatch: return true to stop there (the result then carries the state). */
  shouldStop?: () => boolean;
  now?: () => number; // ms clock (injectable for tests)
}

/** Everything needed to continue an interrupted run exactly where it stopped. */
export interface TrainState {
  epoch: number; // the epoch in progress
  step: number; // how many of this epoch's shuffled windows are done
  rngAtEpochStart: number; // the Rng state before this epoch's shuffle (the shuffle is replayed)
  J: number; // this epoch's summed loss so far
  seen: number;
  params: Params;
  rows: Float64Array; // the word table's own rows
  sub?: Float32Array; // the subword table Z (subword models)
  best: { f1: number; params: Params; rows: Float64Array; sub?: Float32Array } | null;
  bestEpoch: number;
  sinceBest: number;
  history: EpochRecord[];
}

export interface EpochEnd {
  /** Whether training stops after this epoch (the last one, or early stopping). */
  last: boolean;
  /** The best model so far: the model train() returns if this epoch is the last. */
  model(): NerModel;
  /** The state that resumes at the start of the next epoch. */
  state(): TrainState;
}

export type StopReason = 'done' | 'early' | 'interrupted' | 'diverged';

export interface TrainResult {
  /** The model with the best epoch's parameters (the last epoch's without a dev set). Meaningful when
   *  at least one epoch finished (model.history.length > 0). */
  model: NerModel;
  stop: StopReason;
  /** When interrupted: the state to resume from. */
  state?: TrainState;
  /** When diverged: where. */
  diverged?: { epoch: number; loss: number };
}

/** A copy of the subword table, as a state records it. */
function subCopy(sub: Subwords | undefined): { sub?: Float32Array } {
  return sub ? { sub: Float32Array.from(sub.Z) } : {};
}

/** The word table with these rows (and subword table), for a model to keep (no training-only copies). */
function withRows(words: WordTable, kept: { rows: Float64Array; sub?: Float32Array }): WordTable {
  const { near: _near, ...rest } = words;
  return { ...rest, rows: kept.rows, ...(rest.sub && kept.sub ? { sub: { ...rest.sub, Z: kept.sub } } : {}) };
}

function sentencesOf(corpora: Corpus[]): { tokens: string[][]; tags: string[][] } {
  const tokens: string[][] = [];
  const tags: string[][] = [];
  for (const c of corpora) for (const s of c.sentences) {
    tokens.push(s.tokens);
    tags.push(s.tags);
  }
  return { tokens, tags };
}

/** The model's own word rows: padding, <unk>, frequent training words with no pretrained vector, and
 *  (fine-tuning) copies of the pretrained vectors of the training words. */
function buildWordTable(emb: Embeddings, tokens: string[][], config: ModelConfig, rng: Rng) {
  const d = emb.d;
  const keys = [PAD_START, PAD_END, UNK];
  const counts = new Map<string, number>();
  const copies: number[] = [];
  const seen = new Set<string>();
  for (const s of tokens)
    for (const tok of s) {
      const pre = pretrainedId(emb, tok);
      if (pre < 0) {
        const key = lookupKeys(tok).at(-1)!; // the most normalised form
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } else if (config.fineTune) {
        const key = emb.words[pre];
        if (!seen.has(key)) {
          seen.add(key);
          keys.push(key);
          copies.push(pre);
        }
      }
    }
  const extra = [...counts].filter(([, c]) => c >= config.minCount).map(([k]) => k).sort();
  const firstExtra = keys.length;
  keys.push(...extra);
  const rows = new Float64Array(keys.length * d);
  copies.forEach((pre, i) => emb.readRow(pre, rows, (3 + i) * d));
  // own rows start small and random (the pretrained vectors have norm ≈ 1 … 5 per word; scale by 1/√d)
  const a = 1 / Math.sqrt(d);
  for (let r = 0; r < keys.length; r++) if (r < 3 || r >= firstExtra) for (let j = 0; j < d; j++) rows[r * d + j] = rng.uniform(a);
  // the n-gram rows start small and random like the own rows (from zero, W's columns for ch(w) and Z
  // would both start at 0 and grow only slowly)
  const sub = config.subword > 0 ? newSubwords(config.subword, config.buckets) : undefined;
  if (sub) for (let i = 0; i < sub.Z.length; i++) sub.Z[i] = rng.uniform(1 / Math.sqrt(config.subword));
  return newWordTable(d, keys, rows, emb, sub);
}

/** Marks the training tokens whose word occurs once (the candidates for word dropout); padding and <unk> never. */
export function checkConfig(c: ModelConfig): void {
  const bad = (what: string, fix: string) => {
    throw new NerError(`invalid option: ${what}`, fix);
  };
  if (!Number.isInteger(c.epochs) || c.epochs < 1) bad(`--epochs ${c.epochs}`, 'use a whole number ≥ 1, e.g. --epochs 10');
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) bad(`--lr ${c.lr}`, 'use a positive learning rate, e.g. --lr 0.2');
  if (!(c.lrEmbed >= 0) || !Number.isFinite(c.lrEmbed)) bad(`--lr-embed ${c.lrEmbed}`, 'use a rate ≥ 0');
  if (!Number.isInteger(c.hidden) || c.hidden < 1 || c.hidden > 4096) bad(`--hidden ${c.hidden}`, 'use a whole number from 1 to 4096, e.g. --hidden 100');
  if (!Number.isInteger(c.window) || c.window < 0 || c.window > 10)
    bad(`--window ${c.window}`, 'the window is the number of words on EACH side of the centre word: use 0 to 10 (default 2, i.e. 5 words)');
  if (!Number.isInteger(c.batch) || c.batch < 1 || c.batch > 4096) bad(`--batch ${c.batch}`, 'use a whole number from 1 to 4096');
  if (!Number.isInteger(c.patience) || c.patience < 1) bad(`--patience ${c.patience}`, 'use a whole number ≥ 1');
  if (!(c.l2 >= 0)) bad(`--l2 ${c.l2}`, 'use a value ≥ 0');
  if (!(c.lrDecay >= 0)) bad(`--lr-decay ${c.lrDecay}`, 'use a value ≥ 0');
  if (!(c.wordDropout >= 0 && c.wordDropout < 1)) bad(`--word-dropout ${c.wordDropout}`, 'use a probability in [0, 1)');
  if (!(c.threshold > 0 && c.threshold < 1)) bad(`--threshold ${c.threshold}`, 'use a probability in (0, 1)');
  if (!(c.lrSubword >= 0) || !Number.isFinite(c.lrSubword)) bad(`--lr-subword ${c.lrSubword}`, 'use a rate ≥ 0');
  if (!Number.isInteger(c.subword) || c.subword < 0 || c.subword > 1024) bad(`--subword ${c.subword}`, 'use a whole number from 0 (none) to 1024, e.g. --subword 16');
  if (!Number.isInteger(c.buckets) || c.buckets < 1 || c.buckets > 2 ** 24) bad(`--buckets ${c.buckets}`, 'use a whole number from 1 to 16777216');
  if (!Number.isInteger(c.minCount) || c.minCount < 1) bad(`--min-count ${c.minCount}`, 'use a whole number ≥ 1');
  if (!Number.isInteger(c.seed) || c.seed < 0) bad(`--seed ${c.seed}`, 'use a whole number ≥ 0');
  if (!Number.isInteger(c.gazetteerFolds) || c.gazetteerFolds < 0 || c.gazetteerFolds === 1 || c.gazetteerFolds > 100) {
    bad(`--gazetteer-folds ${c.gazetteerFolds}`, 'use 2 to 100 folds, or 0 to let each training sentence see its own entities');
  }
}

/** Entity-level P/R/F1 of a model on a labelled corpus: the numbers `ner eval` prints (scoreCorpus writes
 *  the predictions in the corpus's own scheme, so an IO dev file merges touching entities as eval does). */
export function devScore(model: NerModel, dev: Corpus | { tokens: string[][]; tags: string[][] }) {
  const corpus: Corpus = 'sentences' in dev ? dev
    : { file: '', sentences: dev.tokens.map((tokens, i) => ({ tokens, tags: dev.tags[i], line: 0 })), scheme: detectScheme(dev.tags), types: [], tokens: 0 };
  const r = scoreCorpus(model, corpus).result;
  return { precision: r.precision, recall: r.recall, f1: r.f1 };
}


export async function train(
  trainCorpora: Corpus[],
  dev: Corpus | null,
  emb: Embeddings,
  config: ModelConfig,
  hooks: TrainHooks = {},
  resume?: TrainState,
  lists: Gazetteer | null = null, // phrase lists: the files of config.gazetteers (read by the caller), or a model's gazetteer
): Promise<TrainResult> {
  checkConfig(config);
  if (lists === null && config.gazetteers.length > 0) {
    throw new NerError(`config.gazetteers lists ${config.gazetteers.length} files but no gazetteer was given`, 'read them with readGazetteers(config.gazetteers, config.gazetteerCase)');
  }
  const now = hooks.now ?? (() => performance.now());
  const rng = new Rng(config.seed);
  const data = sentencesOf(trainCorpora);

  let types = entityTypes(data.tags);
  if (config.entity.length > 0) {
    const missing = config.entity.filter((t) => !types.includes(t));
    if (missing.length > 0)
      throw new NerError(`--entity ${missing.join(', ')}: no such entity type in the training data`, `the training data has: ${types.join(', ')}`);
    types = [...config.entity].sort();
  }
  if (types.length === 0) throw new NerError('the training data has no entities', 'label some tokens with B-/I- tags (e.g. B-PER) before training');
  const labels = makeLabels(config.head, types, config.scheme);

  const words = buildWordTable(emb, data.tokens, config, rng);
  // the one-hot groups after casing: those the config asks for (word shape), then the gazetteer's matches
  // (external lists, and the training entities)
  const fromTrain = config.gazetteerFromTrain ? trainingEntries(data.tokens, data.tags) : [];
  const gazetteer = config.gazetteerFromTrain ? gazetteerWithTraining(data.tokens, data.tags, lists, config.gazetteerCase, fromTrain) : lists;
  const features: TokenFeature[] = [...featuresOf(config), ...(gazetteer ? [gazetteerFeature(gazetteer)] : [])];
  const shape: WindowShape = {
    window: config.window,
    d: emb.d,
    useCasing: config.casing,
    ...(config.subword > 0 ? { sub: config.subword } : {}),
    ...(features.length > 0 ? { groups: features.map(({ name, size }) => ({ name, size })) } : {}),
  };
  const dims: Dims = { head: config.head, n: inputSize(shape), H: config.hidden, K: outputCount(labels) };
  // Training runs in float32 (the SIMD kernels do twice the work per instruction); the model keeps
  // float64 copies, which hold the float32 values exactly. The initial values are drawn in float64.
  const params = toArena32(initParams(dims, (a) => rng.uniform(a)));

  const e = encode(words, data.tokens, features);
  // the training tokens' gazetteer classes: the training entities' part from the other folds only (see
  // gazetteer.ts), in place of the classes the full gazetteer gives
  if (gazetteer && config.gazetteerFromTrain && config.gazetteerFolds > 0) {
    const jk = jackknifeClasses(data.tokens, data.tags, lists, gazetteer, config.gazetteerFolds, config.seed, fromTrain);
    const G = features.length;
    const g = features.findIndex((f) => f.name === GAZETTEER_GROUP);
    for (let i = 0; i < e.N; i++) e.feat![i * G + g] = jk[i];
  }
  const y = new Int32Array(e.N);
  {
    let o = 0;
    for (const tags of data.tags) {
      y.set(targets(labels, tags), o);
      o += tags.length;
    }
  }

  const model: NerModel = {
    config,
    labels,
    inputScheme: trainCorpora[0].scheme,
    dims,
    shape,
    params: snapshotParams(params),
    words,
    embeddings: embeddingsInfo(emb),
    history: [],
    bestEpoch: 0,
    trainedOn: { files: trainCorpora.map((c) => c.file), sentences: data.tokens.length, tokens: e.N },
    ...(features.length > 0 ? { features } : {}),
    ...(gazetteer ? { gazetteer } : {}),
  };

  const B = config.batch;
  const P = 2 * config.window + 1;
  const work = newWorkspace(dims, B);
  const grads = zerosLike32(params); // zero now, and again after every sgd step
  const dS = wasmAlloc32(B * dims.K);
  needArena(params.W, params.b, params.U, params.c, work.X, work.dX, grads.W, dS);
  // Then, with what room the WebAssembly memory has left after the parameters and buffers above, the own
  // word rows (which training updates) and a compact copy of the training words' pretrained rows, from
  // which the SIMD gather builds X (anything that does not fit is gathered by the plain loop instead).
  const arenaRows = wasmAlloc(words.rows.length);
  arenaRows.set(words.rows);
  words.rows = arenaRows;
  const near = withNearRows(words, e);
  // the subword table too, where its kernels (gather's ch(w), the step on Z) work on it in place
  const arenaZ = words.sub ? wasmAlloc32(words.sub.Z.length) : undefined;
  if (words.sub && arenaZ) {
    arenaZ.set(words.sub.Z);
    words.sub.Z = arenaZ;
  }
  const ids = new Int32Array(B * P);
  let spareX = wasmAlloc32(B * dims.n); // the next minibatch's X, gathered during this one's step
  let gathered = -1; // the minibatch (its first token in `order`) whose X is in work.X already
  needArena(spareX);
  // X's columns after each block's word part [e(w); ch(w)] are one-hot: the products read them from a list
  const oneHot = { P, m: blockSize(shape), hot: shape.d + (shape.sub ?? 0) };
  const need = new Uint8Array(B * P);
  const idx = new Int32Array(B);
  const yb = new Int32Array(B);
  const V = words.keys.length;
  const rowBuffers = { dRows: new Float64Array(words.rows.length), mark: new Uint8Array(V), touched: new Int32Array(B * P) };
  const sub = words.sub;
  // the own row each block's e(w) is: a form found nowhere (subword models) is <unk>'s
  const rowIds = new Int32Array(B * P);
  const eIds = new Int32Array(B * P);
  const firstForm = firstFormId(words);
  // the word ids with n-grams (their blocks' ∂J/∂ch(w) steps Z): the training words, padding and <unk>
  let maxId = 2;
  for (let i = 0; i < e.N; i++) maxId = Math.max(maxId, e.word[i]);
  const hasGrams = new Uint8Array(maxId + 1);
  if (sub) for (let id = 0; id <= maxId; id++) hasGrams[id] = gramsOf(sub, id).length > 0 ? 1 : 0;
  const order = new Int32Array(e.N);
  for (let i = 0; i < e.N; i++) order[i] = i;
  // word dropout: each epoch a token's e(w) is <unk>'s row with probability p, while its ch(w), casing and
  // features stay, as for a word no vector knows; the model learns to read a word by what it looks like
  const dropped = config.wordDropout > 0 ? new Int32Array(e.N) : undefined;

  let best: TrainState['best'] = null;
  let sinceBest = 0;
  let stop: StopReason = 'done';
  let diverged: TrainResult['diverged'];
  let state: TrainState | undefined;
  let startEpoch = 1;
  let firstLoss: number | undefined;
  if (resume) {
    // Same seed → the same word table, parameters and Rng draws were made above; now overwrite them
    // with where the interrupted run stood.
    const sizes = (p: { W: ArrayLike<number>; b: ArrayLike<number>; U: ArrayLike<number>; c: ArrayLike<number> }, rows: ArrayLike<number>) => [p.W.length, p.b.length, p.U.length, p.c.length, rows.length].join(', ');
    const want = sizes(params, words.rows);
    if (sizes(resume.params, resume.rows) !== want || (resume.best && sizes(resume.best.params, resume.best.rows) !== want)) {
      throw new NerError(`the checkpoint's parameters (W, b, U, c, word rows: ${sizes(resume.params, resume.rows)}) do not fit this run's model (${want})`,
        'the checkpoint was edited or belongs to other data: train again without --resume');
    }
    params.W.set(resume.params.W);
    params.b.set(resume.params.b);
    params.U.set(resume.params.U);
    params.c.set(resume.params.c);
    words.rows.set(resume.rows);
    if (sub && resume.sub?.length !== sub.Z.length) throw new NerError('the checkpoint has no subword table of this run\'s size', 'the checkpoint was edited or belongs to other options: train again without --resume');
    if (sub) sub.Z.set(resume.sub!);
    best = resume.best;
    sinceBest = resume.sinceBest;
    model.history = [...resume.history];
    model.bestEpoch = resume.bestEpoch;
    startEpoch = resume.epoch;
  }

  let lastYield = now();
  // a state saved after the epoch that stopped early resumes to the end at once
  const stoppedEarly = resume !== undefined && dev !== null && resume.step === 0 && resume.sinceBest >= config.patience;
  if (stoppedEarly && resume.epoch <= config.epochs) stop = 'early';
  for (let epoch = startEpoch; epoch <= config.epochs && !stoppedEarly; epoch++) {
    const t0 = now();
    const lr = config.lr / (1 + config.lrDecay * (epoch - 1));
    const lrEmbed = config.lrEmbed / (1 + config.lrDecay * (epoch - 1));
    const lrSubword = config.lrSubword / (1 + config.lrDecay * (epoch - 1));
    const continuing = resume !== undefined && epoch === resume.epoch;
    if (continuing) rng.state = resume.rngAtEpochStart;
    const rngAtEpochStart = rng.state;
    for (let i = 0; i < e.N; i++) order[i] = i;
    rng.shuffle(order);
    if (dropped) for (let i = 0; i < e.N; i++) dropped[i] = e.word[i] > 2 && rng.next() < config.wordDropout ? 2 : e.word[i];
    let J = continuing ? resume.J : 0;
    let seen = continuing ? resume.seen : 0;
    for (let from = continuing ? resume.step : 0; from < e.N; from += B) {
      if (now() - lastYield > 100) {
        // let the event loop run (signal handlers, progress output) about ten times a second
        await new Promise((r) => setImmediate(r));
        lastYield = now();
      }
      if (hooks.shouldStop?.()) {
        state = { epoch, step: from, rngAtEpochStart, J, seen, params: snapshotParams(params), rows: words.rows.slice(), ...subCopy(sub), best, bestEpoch: model.bestEpoch, sinceBest, history: [...model.history] };
        break;
      }
      const b = Math.min(B, e.N - from);
      for (let i = 0; i < b; i++) {
        idx[i] = order[from + i];
        yb[i] = y[idx[i]];
      }
      if (gathered !== from) gather(near, shape, e, idx, b, work.X, ids, dropped, eIds);
      gathered = -1;
      forward(params, dims, config.activation, work, b, oneHot);
      const Jb = lossAndGrad(dims, work.S, yb, b, dS, 1 / b);
      J += Jb;
      // Diverged: the loss is no longer a number, or a minibatch's loss is 100× the very first one's
      // (saturated units keep a runaway loss finite, so a finite check alone misses it).
      firstLoss ??= Jb / b;
      if (!Number.isFinite(J) || Jb / b > 100 * Math.max(firstLoss, 1)) {
        J = Number.isFinite(J) ? Jb / b : J;
        break;
      }
      // ∂J/∂x is needed only on the word part [e(w); ch(w)] of the window positions whose word vector is
      // one of the model's own rows (need 1) or has n-grams (ch(w) only: need 2), and not at all when the
      // word vectors do not learn (--lr-embed 0); the one-hot columns after it learn nothing
      for (let k = 0; k < b * P; k++) {
        rowIds[k] = eIds[k] >= firstForm ? 2 : eIds[k];
        need[k] = lrEmbed > 0 && rowIds[k] < V ? 1 : lrSubword > 0 && hasGrams[ids[k]] === 1 ? 2 : 0;
      }
      // This thread's work while the worker threads step W: the word rows' and n-grams' steps (they read
      // ∂J/∂x), then the next minibatch's X (it reads those rows, not W) into the spare buffer, which
      // becomes X. The values are those of stepping, then gathering, one after the other.
      const next = from + b;
      const alongside = () => {
        if (lrEmbed > 0) stepWordRows(shape, V, rowIds, work.dX, b, words.rows, lrEmbed, rowBuffers);
        if (sub && lrSubword > 0) stepSubwordRows(sub, shape, ids, work.dX, b, lrSubword);
        if (next >= e.N) return;
        const nb = Math.min(B, e.N - next);
        for (let i = 0; i < nb; i++) idx[i] = order[next + i];
        gather(near, shape, e, idx, nb, spareX, ids, dropped, eIds);
        gathered = next;
      };
      backwardAndStep(params, dims, config.activation, work, dS, grads, { need, P, m: oneHot.m, from: shape.d, to: oneHot.hot }, lr, config.l2, alongside);
      if (gathered === next) [work.X, spareX] = [spareX, work.X];
      seen += b;
      hooks.onBatch?.(seen, e.N, J / seen);
    }
    if (state) {
      stop = 'interrupted';
      break;
    }
    if (seen < e.N) {
      stop = 'diverged';
      diverged = { epoch, loss: J };
      break;
    }
    const t1 = now();
    model.params = snapshotParams(params); // this epoch's parameters, in float64, for scoring and keeping
    const devResult = dev ? devScore(model, dev) : null;
    const t2 = now();
    const record: EpochRecord = {
      epoch,
      loss: J / Math.max(seen, 1),
      lr,
      dev: devResult,
      seconds: (t2 - t0) / 1000,
      tokensPerSecond: seen / Math.max((t1 - t0) / 1000, 1e-9),
      devSeconds: (t2 - t1) / 1000,
    };
    model.history.push(record);
    const f1 = devResult ? devResult.f1 : epoch; // without dev, the latest epoch is the best
    const isBest = best === null || f1 > best.f1;
    if (isBest) {
      best = { f1, params: model.params, rows: words.rows.slice(), ...subCopy(sub) };
      model.bestEpoch = devResult ? epoch : 0;
      sinceBest = 0;
    } else sinceBest++;
    const early = dev !== null && sinceBest >= config.patience;
    const kept = best!;
    hooks.onEpoch?.(record, isBest, {
      last: early || epoch === config.epochs,
      model: () => ({ ...model, history: [...model.history], params: kept.params, words: withRows(words, kept) }),
      // after an epoch that improved, the parameters are the best ones: the state shares their copies
      state: () => ({ epoch: epoch + 1, step: 0, rngAtEpochStart: rng.state, J: 0, seen: 0, ...(isBest ? { params: kept.params, rows: kept.rows, ...(kept.sub ? { sub: kept.sub } : {}) } : { params: snapshotParams(params), rows: words.rows.slice(), ...subCopy(sub) }), best: kept, bestEpoch: model.bestEpoch, sinceBest, history: [...model.history] }),
    });
    if (early) {
      if (epoch < config.epochs) stop = 'early';
      break;
    }
  }
  if (best) {
    model.params = best.params;
    model.words = withRows(words, best);
  } else model.words = withRows(words, { rows: words.rows.slice(), ...subCopy(sub) });
  // The arena lends this run's buffers only while it trains: a process that trains many models (ner
  // annotate, ner serve's retraining, the active-learning simulation) would otherwise fill it.
  free32(params.W, params.b, params.U, params.c, grads.W, grads.b, grads.U, grads.c, dS);
  free32(work.X, spareX, work.Z, work.Hh, work.S, work.Delta, work.dX);
  wasmFree(arenaRows);
  if (arenaZ) wasmFree(arenaZ);
  releaseSubwordTable();
  if (near.near) wasmFree(near.near.rows);
  return { model, stop, state, diverged };
}
