// Entity-level scoring exactly as conlleval computes it, conlleval's text report byte for byte, and the
// error analysis behind the eval report (a type confusion matrix over spans and the most frequent
// errors). Pure: no I/O.
//
// conlleval streams `token gold guess` lines and counts a phrase as correct when gold and guess start a
// chunk on the same token with the same type and end it on the same token; a blank line between
// sentences is an `O` for both, so no chunk crosses a sentence. For tags of the form O / B-, I-, E-,
// S-TYPE that is exactly "the (type, start, end) span is in both span sets of the sentence", which is
// how it is computed here (chunks come from spansFromTags, which uses conlleval's chunk rules).
// Token accuracy counts every token, O included, whose guessed tag equals the gold tag.

import { assertShape, NerError } from '../errors.js';
import { spansFromTags, validateTag, type Span } from '../data/tags.js';

/** Counts and entity-level scores (percentages, as conlleval prints them) of a group of entities. */
export interface Score {
  gold: number;
  found: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The scores of one entity type. */
export interface TypeScore extends Score {
  type: string;
}

/**
 * Gold type (rows) against predicted type (columns) for spans with the same boundaries.
 * counts is (T+1)×(T+1) for T = types.length: row T counts predicted spans with no gold span of the
 * same boundaries ('spurious'), column T counts gold spans with no predicted span of the same
 * boundaries ('missed'); counts[T][T] is always 0.
 */
export interface ConfusionMatrix {
  types: string[];
  rowLabels: string[]; // [...types, 'spurious']
  colLabels: string[]; // [...types, 'missed']
  counts: number[][];
}

/**
 * One kind of error and how often it happened.
 *   missed          a gold span that no predicted span overlaps
 *   spurious        a predicted span that overlaps no gold span
 *   wrong type      a predicted span with the gold span's boundaries but another type
 *   wrong boundary  a gold span overlapped by predicted spans, none with its boundaries
 * text is the gold span's words (the predicted span's for 'spurious'); predictedText gives the
 * overlapping predicted spans' words for 'wrong boundary'. Both need the tokens.
 */
export interface ErrorCount {
  kind: 'missed' | 'spurious' | 'wrong type' | 'wrong boundary';
  text?: string;
  predictedText?: string;
  gold?: string;
  predicted?: string;
  count: number;
}

/** The overall Score: phrases in the gold tags, found in the predicted tags, found and correct, and
 *  the percentages (0 where conlleval would divide by zero). */
export interface EvalResult extends Score {
  /** Tokens processed (sentence boundaries are not tokens). */
  tokens: number;
  /** Tokens whose predicted tag equals the gold tag, O tokens included. */
  correctTags: number;
  /** 100 · correctTags / tokens (0 when there are no tokens). */
  accuracy: number;
  /** Every type with a gold or a predicted phrase, sorted the way conlleval sorts them. */
  perType: TypeScore[];
  confusion: ConfusionMatrix;
  /** Most frequent first. */
  errors: ErrorCount[];
}

/**
 * Scores predicted tags against gold tags, sentence by sentence.
 * gold, predicted: S sentences × n_s tags each; tokens (optional): S × n_s words, for error texts.
 */
export function evaluate(gold: string[][], predicted: string[][], tokens?: string[][]): EvalResult {
  assertShape(predicted.length === gold.length, 'evaluate (sentences predicted vs gold)', gold.length, predicted.length);
  if (tokens) assertShape(tokens.length === gold.length, 'evaluate (sentences of tokens vs gold)', gold.length, tokens.length);

  let tokenCount = 0;
  let correctTags = 0;
  const goldPerType = new Map<string, number>();
  const foundPerType = new Map<string, number>();
  const correctPerType = new Map<string, number>();
  const confusionPairs = new Map<string, number>(); // "gold\u0000predicted" (either may be '' for none)
  const errorCounts = new Map<string, ErrorCount>();

  const addError = (error: Omit<ErrorCount, 'count'>): void => {
    const key = [error.kind, error.text, error.predictedText, error.gold, error.predicted].join('\u0000');
    const seen = errorCounts.get(key);
    if (seen) seen.count++;
    else errorCounts.set(key, { ...error, count: 1 });
  };

  for (let s = 0; s < gold.length; s++) {
    const g = gold[s];
    const p = predicted[s];
    const words = tokens?.[s];
    assertShape(p.length === g.length, `evaluate (tags of sentence ${s + 1}, predicted vs gold)`, g.length, p.length);
    if (words) assertShape(words.length === g.length, `evaluate (tokens of sentence ${s + 1} vs gold tags)`, g.length, words.length);
    for (let i = 0; i < g.length; i++) {
      checkTag(g[i], 'gold', s, i);
      checkTag(p[i], 'predicted', s, i);
      if (g[i] === p[i]) correctTags++;
    }
    tokenCount += g.length;

    const goldSpans = spansFromTags(g);
    const predSpans = spansFromTags(p);
    for (const span of goldSpans) increment(goldPerType, span.type);
    for (const span of predSpans) increment(foundPerType, span.type);

    const text = (span: Span): string | undefined => words?.slice(span.start, span.end).join(' ');
    const predByBounds = new Map<string, Span>(predSpans.map((span) => [`${span.start}:${span.end}`, span]));
    const goldByBounds = new Map<string, Span>(goldSpans.map((span) => [`${span.start}:${span.end}`, span]));
    const predAt = coverage(predSpans, g.length);
    const goldAt = coverage(goldSpans, g.length);

    for (const span of goldSpans) {
      const match = predByBounds.get(`${span.start}:${span.end}`);
      if (match) {
        increment(confusionPairs, `${span.type}\u0000${match.type}`);
        if (match.type === span.type) increment(correctPerType, span.type);
        else addError({ kind: 'wrong type', text: text(span), gold: span.type, predicted: match.type });
        continue;
      }
      increment(confusionPairs, `${span.type}\u0000`);
      const overlapping = overlappingSpans(span, predAt, predSpans);
      if (overlapping.length === 0) {
        addError({ kind: 'missed', text: text(span), gold: span.type });
      } else {
        addError({
          kind: 'wrong boundary',
          text: text(span),
          predictedText: words ? overlapping.map(text).join(' | ') : undefined,
          gold: span.type,
          predicted: [...new Set(overlapping.map((o) => o.type))].join('/'),
        });
      }
    }
    for (const span of predSpans) {
      if (goldByBounds.has(`${span.start}:${span.end}`)) continue;
      increment(confusionPairs, `\u0000${span.type}`);
      // A predicted span overlapping a gold span is already part of that span's 'wrong boundary'.
      if (overlappingSpans(span, goldAt, goldSpans).length === 0) {
        addError({ kind: 'spurious', text: text(span), predicted: span.type });
      }
    }
  }

  const types = sortBytes([...new Set([...goldPerType.keys(), ...foundPerType.keys()])]);
  const perType = types.map((type) => {
    const g = goldPerType.get(type) ?? 0;
    const f = foundPerType.get(type) ?? 0;
    const c = correctPerType.get(type) ?? 0;
    return { type, gold: g, found: f, correct: c, ...scores(c, g, f) };
  });
  const goldTotal = sum(goldPerType);
  const foundTotal = sum(foundPerType);
  const correctTotal = sum(correctPerType);

  return {
    tokens: tokenCount,
    correctTags,
    accuracy: tokenCount > 0 ? (100 * correctTags) / tokenCount : 0,
    gold: goldTotal,
    found: foundTotal,
    correct: correctTotal,
    ...scores(correctTotal, goldTotal, foundTotal),
    perType,
    confusion: confusionMatrix(types, confusionPairs),
    errors: sortErrors([...errorCounts.values()]),
  };
}

/** conlleval's report for a result, byte for byte (its default, non-LaTeX output). */
export function formatConlleval(result: EvalResult): string {
  let out = `processed ${result.tokens} tokens with ${result.gold} phrases; `
    + `found: ${result.found} phrases; correct: ${result.correct}.\n`;
  if (result.tokens > 0) {
    out += `accuracy: ${f62(result.accuracy)}%; precision: ${f62(result.precision)}%; `
      + `recall: ${f62(result.recall)}%; FB1: ${f62(result.f1)}\n`;
  }
  for (const t of result.perType) {
    out += `${padBytes(t.type, 17)}: precision: ${f62(t.precision)}%; recall: ${f62(t.recall)}%; `
      + `FB1: ${f62(t.f1)}  ${t.found}\n`;
  }
  return out;
}

/**
 * C's printf("%6.2f", x) for x ≥ 0. toFixed rounds an exact tie (x = k + odd/8, e.g. 12.625) up,
 * while C rounds it to even (12.62); every other value is rounded the same by both.
 */
export function f62(x: number): string {
  let text: string;
  if (Number.isInteger(x * 8) && !Number.isInteger(x * 4)) {
    const lo = Math.floor(x * 100); // exact: x * 100 = integer + 0.5
    text = ((lo % 2 === 0 ? lo : lo + 1) / 100).toFixed(2);
  } else {
    text = x.toFixed(2);
  }
  return text.padStart(6);
}

// Precision, recall and F1 in percent, computed in conlleval's order of operations.
/** Precision, recall and F1 in percent from counts; 0 where conlleval would divide by zero. */
export function scores(correct: number, gold: number, found: number): { precision: number; recall: number; f1: number } {
  const precision = found > 0 ? (100 * correct) / found : 0;
  const recall = gold > 0 ? (100 * correct) / gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

function checkTag(tag: string, which: string, s: number, i: number): void {
  const problem = validateTag(tag);
  if (problem !== undefined) throw new NerError(`${which} tags, sentence ${s + 1}, token ${i + 1}: ${problem}`);
}

// For each token, the index of the span covering it, or -1.
function coverage(spans: Span[], n: number): Int32Array {
  const at = new Int32Array(n).fill(-1);
  spans.forEach((span, k) => at.fill(k, span.start, span.end));
  return at;
}

function overlappingSpans(span: Span, at: Int32Array, spans: Span[]): Span[] {
  const found: Span[] = [];
  let last = -1;
  for (let i = span.start; i < span.end; i++) {
    if (at[i] >= 0 && at[i] !== last) {
      last = at[i];
      found.push(spans[last]);
    }
  }
  return found;
}

function confusionMatrix(types: string[], pairs: Map<string, number>): ConfusionMatrix {
  const index = new Map(types.map((type, k) => [type, k]));
  const none = types.length;
  const counts = Array.from({ length: none + 1 }, () => new Array<number>(none + 1).fill(0));
  for (const [key, count] of pairs) {
    const [g, p] = key.split('\u0000');
    counts[g === '' ? none : index.get(g)!][p === '' ? none : index.get(p)!] += count;
  }
  return { types, rowLabels: [...types, 'spurious'], colLabels: [...types, 'missed'], counts };
}

const KIND_ORDER = ['wrong type', 'wrong boundary', 'missed', 'spurious'];

function sortErrors(errors: ErrorCount[]): ErrorCount[] {
  const key = (e: ErrorCount): string => [e.text ?? '', e.gold ?? '', e.predicted ?? '', e.predictedText ?? ''].join('\u0000');
  return errors.sort((a, b) => b.count - a.count
    || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)
    || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sum(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}

// Perl's sort and printf work on UTF-8 bytes: sort by bytes and pad to a width in bytes.
const utf8 = new TextEncoder();

function sortBytes(strings: string[]): string[] {
  return strings
    .map((s) => ({ s, b: utf8.encode(s) }))
    .sort((x, y) => {
      const n = Math.min(x.b.length, y.b.length);
      for (let i = 0; i < n; i++) if (x.b[i] !== y.b[i]) return x.b[i] - y.b[i];
      return x.b.length - y.b.length;
    })
    .map((x) => x.s);
}

function padBytes(s: string, width: number): string {
  const pad = width - utf8.encode(s).length;
  return pad > 0 ? ' '.repeat(pad) + s : s;
}
