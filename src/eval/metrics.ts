// The error analysis behind `ner eval` and its report, on top of conlleval's scores (conlleval.ts): a
// type confusion matrix over spans with the same boundaries, and the most frequent errors. Pure: no I/O.

import { assertShape } from '../errors.js';
import { spansFromTags, type Span } from '../data/tags.js';
import { type ConllevalResult, conlleval, increment } from './conlleval.js';

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

/** conlleval's scores, with the confusion matrix and the errors. */
export interface EvalResult extends ConllevalResult {
  confusion: ConfusionMatrix;
  /** Most frequent first. */
  errors: ErrorCount[];
}

/**
 * Scores predicted tags against gold tags, sentence by sentence.
 * gold, predicted: S sentences × n_s tags each; tokens (optional): S × n_s words, for error texts.
 */
export function evaluate(gold: string[][], predicted: string[][], tokens?: string[][]): EvalResult {
  const counts = conlleval(gold, predicted);
  if (tokens) assertShape(tokens.length === gold.length, 'evaluate (sentences of tokens vs gold)', gold.length, tokens.length);
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
    if (words) assertShape(words.length === g.length, `evaluate (tokens of sentence ${s + 1} vs gold tags)`, g.length, words.length);
    const goldSpans = spansFromTags(g);
    const predSpans = spansFromTags(p);
    const text = (span: Span): string | undefined => words?.slice(span.start, span.end).join(' ');
    const predByBounds = new Map<string, Span>(predSpans.map((span) => [`${span.start}:${span.end}`, span]));
    const goldByBounds = new Map<string, Span>(goldSpans.map((span) => [`${span.start}:${span.end}`, span]));
    const predAt = coverage(predSpans, g.length);
    const goldAt = coverage(goldSpans, g.length);

    for (const span of goldSpans) {
      const match = predByBounds.get(`${span.start}:${span.end}`);
      if (match) {
        increment(confusionPairs, `${span.type}\u0000${match.type}`);
        if (match.type !== span.type) addError({ kind: 'wrong type', text: text(span), gold: span.type, predicted: match.type });
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

  return { ...counts, confusion: confusionMatrix(counts.perType.map((t) => t.type), confusionPairs), errors: sortErrors([...errorCounts.values()]) };
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
