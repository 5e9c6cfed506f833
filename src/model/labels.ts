// What the classifier predicts for each token, and back: the label set of a model, the per-token
// training targets, and the decoding of per-token probabilities into entity spans.
//
//   'ovr'     one output per entity type; target k+1 = "the token is inside an entity of type k", 0 = O.
//             Decoding: the most probable type if its σ(s) ≥ threshold, else O; runs of one type are one
//             entity (the lecture's per-word decisions: two touching entities of one type merge).
//   'softmax' one output per tag of the target scheme (BIO or IOBES). Decoding: Viterbi over the
//             log-probabilities restricted to legal tag sequences (no I-X after O, …), so the output is
//             always a well-formed sequence.
//   'logistic' the same outputs, targets and decoding as 'softmax', each output a binary classifier:
//             Viterbi over log σ(s_k) (model.ts's probabilities says why they are not normalised).

import type { Head } from './model.js';
import { type ParsedTag, type Span, encodeSpans, parseTag, spansFromTags, spansOfParsed } from '../data/tags.js';

export type TargetScheme = 'BIO' | 'IOBES';

export interface LabelSet {
  head: Head;
  types: string[];
  scheme: TargetScheme; // softmax and logistic; ovr always uses inside/outside targets
  outputs: string[]; // ovr: the types; softmax, logistic: the tags, 'O' first
}

export function makeLabels(head: Head, types: string[], scheme: TargetScheme): LabelSet {
  if (head === 'ovr') return { head, types, scheme, outputs: [...types] };
  const prefixes = scheme === 'IOBES' ? ['B', 'I', 'E', 'S'] : ['B', 'I'];
  const outputs = ['O'];
  for (const t of types) for (const p of prefixes) outputs.push(`${p}-${t}`);
  return { head, types, scheme, outputs };
}

/** The target of every token of one sentence (gold tags in any scheme; unknown types become O). */
export function targets(labels: LabelSet, tags: string[]): Int32Array {
  const y = new Int32Array(tags.length);
  const spans = spansFromTags(tags).filter((s) => labels.types.includes(s.type));
  if (labels.head === 'ovr') {
    for (const s of spans) y.fill(labels.types.indexOf(s.type) + 1, s.start, s.end);
    return y;
  }
  const index = new Map(labels.outputs.map((t, i) => [t, i]));
  const encoded = encodeSpans(spans, tags.length, labels.scheme === 'IOBES' ? 'IOBES' : 'IOB2');
  for (let i = 0; i < tags.length; i++) y[i] = index.get(encoded[i]) ?? 0;
  return y;
}

/** Whether the head's outputs are the tags of a scheme, decoded by Viterbi (softmax, logistic), rather
 *  than one inside/outside classifier per type (ovr). */
export function tagOutputs(head: Head): boolean {
  return head !== 'ovr';
}

/** Number of outputs K. */
export function outputCount(labels: LabelSet): number {
  return labels.outputs.length;
}

// ── decoding ────────────────────────────────────────────────────────────────────────────────────

export interface Decoded {
  spans: (Span & { prob: number })[];
  tags: string[]; // IOB2
}

function splitTag(t: string): [string, string] {
  return t === 'O' ? ['O', ''] : [t.slice(0, 1), t.slice(2)];
}

/** allowed[a·K + b] = 1 when tag b may follow tag a; start[b] / end[a]: may begin / end a sentence;
 *  sets: the distinct lists of allowed predecessors (each in tag order), setOf[b]: b's list in sets. */
export function transitions(labels: LabelSet): { allowed: Uint8Array; start: Uint8Array; end: Uint8Array; sets: Int32Array[]; setOf: Int32Array } {
  const tags = labels.outputs;
  const K = tags.length;
  const iobes = labels.scheme === 'IOBES';
  const allowed = new Uint8Array(K * K);
  const start = new Uint8Array(K);
  const end = new Uint8Array(K);
  // "continues": a tag that needs a same-type predecessor; "open": a tag after which the entity must go on
  const continues = (p: string) => p === 'I' || p === 'E';
  const open = (p: string) => iobes && (p === 'B' || p === 'I');
  for (let b = 0; b < K; b++) {
    const [pb] = splitTag(tags[b]);
    start[b] = continues(pb) ? 0 : 1;
    end[b] = open(pb) ? 0 : 1;
  }
  for (let a = 0; a < K; a++) {
    const [pa, ta] = splitTag(tags[a]);
    for (let b = 0; b < K; b++) {
      const [pb, tb] = splitTag(tags[b]);
      let ok: boolean;
      if (open(pa)) ok = continues(pb) && ta === tb; // inside an IOBES entity: only I-/E- of its type
      else if (continues(pb)) ok = pa !== 'O' && ta === tb && (iobes ? pa === 'B' || pa === 'I' : true);
      else ok = true;
      allowed[a * K + b] = ok ? 1 : 0;
    }
  }
  // many tags share their predecessors (O, B-X and S-X may all follow O, E-Y or S-Y): viterbi finds the
  // best of each distinct list once per token
  const sets: Int32Array[] = [];
  const index = new Map<string, number>();
  const setOf = new Int32Array(K);
  for (let b = 0; b < K; b++) {
    const from: number[] = [];
    for (let a = 0; a < K; a++) if (allowed[a * K + b]) from.push(a);
    const key = from.join(',');
    if (!index.has(key)) {
      index.set(key, sets.length);
      sets.push(Int32Array.from(from));
    }
    setOf[b] = index.get(key)!;
  }
  return { allowed, start, end, sets, setOf };
}

/**
 * Most probable legal tag sequence. logP: N×K log-probabilities. Each step takes, for every tag b, the
 * best-scoring allowed predecessor (the first in tag order on a tie). The best of each distinct list of
 * predecessors is found once per step, in tag order: the same choices as trying every pair.
 */
export function viterbi(logP: Float64Array, N: number, K: number, tr: ReturnType<typeof transitions>): Int32Array {
  const path = new Int32Array(N);
  if (N === 0) return path;
  const { sets, setOf } = tr;
  const L = sets.length;
  if (setBest.length < L) [setBest, setArg] = [new Float64Array(L), new Int32Array(L)];
  if (scoreA.length < K) [scoreA, scoreB] = [new Float64Array(K), new Float64Array(K)];
  if (back.length < N * K) back = new Int32Array(2 * N * K);
  // locals, not the module's bindings, in the hot loop below
  const bestOf = setBest;
  const argOf = setArg;
  const choices = back;
  let score = scoreA;
  let next = scoreB;
  for (let b = 0; b < K; b++) score[b] = tr.start[b] ? logP[b] : -Infinity;
  for (let i = 1; i < N; i++) {
    for (let l = 0; l < L; l++) {
      const from = sets[l];
      let best = -Infinity;
      let arg = 0;
      for (let q = 0; q < from.length; q++) {
        const v = score[from[q]];
        if (v > best) {
          best = v;
          arg = from[q];
        }
      }
      bestOf[l] = best;
      argOf[l] = arg;
    }
    for (let b = 0; b < K; b++) {
      const l = setOf[b];
      next[b] = bestOf[l] + logP[i * K + b];
      choices[i * K + b] = argOf[l];
    }
    const t = score;
    score = next;
    next = t;
  }
  let best = -Infinity;
  let arg = 0;
  for (let a = 0; a < K; a++) {
    const v = tr.end[a] ? score[a] : -Infinity;
    if (v > best) {
      best = v;
      arg = a;
    }
  }
  path[N - 1] = arg;
  for (let i = N - 1; i > 0; i--) path[i - 1] = choices[i * K + path[i]];
  return path;
}

// viterbi's scratch (kept across calls: it runs once per sentence): the best score and predecessor of each
// list of predecessors at one step, the scores of each tag at two steps, each step's choices (back)
let setBest = new Float64Array(0);
let setArg = new Int32Array(0);
let scoreA = new Float64Array(0);
let scoreB = new Float64Array(0);
let back = new Int32Array(0);
let logScratch = new Float64Array(0); // chooseOutputs' log-probabilities

/**
 * Per-token probabilities P (N×K, σ(s) for ovr and logistic, softmax(s) for softmax) → entity spans with a
 * probability each (the mean over its tokens of the chosen output's probability) and IOB2 tags.
 */
export function decode(labels: LabelSet, P: Float64Array, N: number, threshold = 0.5, tr?: ReturnType<typeof transitions>): Decoded {
  const spans = decodeSpans(labels, P, N, threshold, tr);
  return { spans, tags: encodeSpans(spans, N, 'IOB2') };
}

/** decode's spans alone, without the IOB2 tags. */
export function decodeSpans(labels: LabelSet, P: Float64Array, N: number, threshold = 0.5, tr?: ReturnType<typeof transitions>): Decoded['spans'] {
  const choice = new Int32Array(N);
  const prob = new Float64Array(N);
  chooseOutputs(labels, P, N, choice, prob, threshold, tr);
  return spansOfChoice(labels, choice, prob);
}

/**
 * The numbers of decoding: for each of the N tokens, the output chosen (softmax, logistic: an index into
 * labels.outputs, along the best path; ovr: the most probable type if its probability reaches the
 * threshold, else −1 for O) into choice, and the probability of that choice into prob.
 */
export function chooseOutputs(labels: LabelSet, P: Float64Array, N: number, choice: Int32Array, prob: Float64Array, threshold = 0.5, tr?: ReturnType<typeof transitions>): void {
  const K = labels.outputs.length;
  if (labels.head === 'ovr') {
    // IO tags: the best type if confident enough
    for (let i = 0; i < N; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (P[i * K + k] > P[i * K + best]) best = k;
      const p = P[i * K + best];
      choice[i] = p >= threshold ? best : -1;
      prob[i] = p >= threshold ? p : 1 - p;
    }
  } else {
    if (logScratch.length < N * K) logScratch = new Float64Array(2 * N * K);
    const logP = logScratch;
    for (let i = 0; i < N * K; i++) logP[i] = Math.log(Math.max(P[i], 1e-300));
    const path = viterbi(logP, N, K, tr ?? transitions(labels));
    for (let i = 0; i < N; i++) {
      choice[i] = path[i];
      prob[i] = P[i * K + path[i]];
    }
  }
}

const parsedOutputs = new WeakMap<LabelSet, ParsedTag[]>(); // spansOfChoice's tags of each output

/** The entity spans of chooseOutputs' choices, each with the mean probability of its tokens' choices. */
export function spansOfChoice(labels: LabelSet, choice: Int32Array, prob: Float64Array): Decoded['spans'] {
  let tags = parsedOutputs.get(labels);
  if (!tags) {
    // ovr: −1 is O, type c is I-type; the other heads: the output's tag. Kept at index c + 1.
    const ovr = labels.head === 'ovr';
    tags = [parseTag('O'), ...(ovr ? labels.types.map((t) => parseTag(`I-${t}`)) : labels.outputs.map(parseTag))];
    parsedOutputs.set(labels, tags);
  }
  const parsed = tags;
  return spansOfParsed(choice.length, (i) => parsed[choice[i] + 1]).map((s) => {
    let m = 0;
    for (let i = s.start; i < s.end; i++) m += prob[i];
    return { ...s, prob: m / (s.end - s.start) };
  });
}
