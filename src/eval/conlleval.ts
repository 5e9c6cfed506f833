// Entity-level scoring exactly as conlleval computes it, and conlleval's text report byte for byte.
// Pure: no I/O.
//
// conlleval streams `token gold guess` lines and counts a phrase as correct when gold and guess start a
// chunk on the same token with the same type and end it on the same token; a blank line between
// sentences is an `O` for both, so no chunk crosses a sentence. For tags of the form O / B-, I-, E-,
// S-TYPE that is exactly "the (type, start, end) span is in both span sets of the sentence", which is
// how it is computed here (chunks come from spansFromTags, which uses conlleval's chunk rules).
// Token accuracy counts every token, O included, whose guessed tag equals the gold tag.

import { assertShape, NerError } from '../errors.js';
import { spansFromTags, validateTag } from '../data/tags.js';

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

/** The overall Score of a corpus: phrases in the gold tags, found in the predicted tags, found and
 *  correct, and the percentages (0 where conlleval would divide by zero). */
export interface ConllevalResult extends Score {
  /** Tokens processed (sentence boundaries are not tokens). */
  tokens: number;
  /** Tokens whose predicted tag equals the gold tag, O tokens included. */
  correctTags: number;
  /** 100 · correctTags / tokens (0 when there are no tokens). */
  accuracy: number;
  /** Every type with a gold or a predicted phrase, sorted the way conlleval sorts them. */
  perType: TypeScore[];
}

/** conlleval's counts and scores of predicted tags against gold tags (S sentences × n_s tags each). */
export function conlleval(gold: string[][], predicted: string[][]): ConllevalResult {
  assertShape(predicted.length === gold.length, 'evaluate (sentences predicted vs gold)', gold.length, predicted.length);
  let tokenCount = 0;
  let correctTags = 0;
  const goldPerType = new Map<string, number>();
  const foundPerType = new Map<string, number>();
  const correctPerType = new Map<string, number>();
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s];
    const p = predicted[s];
    assertShape(p.length === g.length, `evaluate (tags of sentence ${s + 1}, predicted vs gold)`, g.length, p.length);
    for (let i = 0; i < g.length; i++) {
      checkTag(g[i], 'gold', s, i);
      checkTag(p[i], 'predicted', s, i);
      if (g[i] === p[i]) correctTags++;
    }
    tokenCount += g.length;
    const predSpans = spansFromTags(p);
    const predByBounds = new Map(predSpans.map((span) => [`${span.start}:${span.end}`, span]));
    for (const span of predSpans) increment(foundPerType, span.type);
    for (const span of spansFromTags(g)) {
      increment(goldPerType, span.type);
      if (predByBounds.get(`${span.start}:${span.end}`)?.type === span.type) increment(correctPerType, span.type);
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
  };
}

/** conlleval's report for a result, byte for byte (its default, non-LaTeX output). */
export function formatConlleval(result: ConllevalResult): string {
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

export function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sum(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}

// Perl's sort and printf work on UTF-8 bytes: sort by bytes and pad to a width in bytes.
const utf8 = new TextEncoder();

export function sortBytes(strings: string[]): string[] {
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
