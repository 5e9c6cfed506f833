// The one shape every annotation-tool format is read into and written from: a text with labelled
// character spans (UTF-16 units, JavaScript string indices), and optionally its tokens when the file
// gives them (CoNLL, spaCy/Prodigy "tokens"). Shared checks of raw spans from a file live here too.

import type { Token } from '../tokenize.js';
import { OffsetMap, type OffsetUnit } from './offsets.js';
import type { Problems, Where } from './problems.js';

/** A labelled span of the text: [start, end) in UTF-16 units. */
export interface CharSpan {
  start: number;
  end: number;
  label: string;
  /** A model's probability for a predicted span (written to Label Studio predictions and doccano). */
  score?: number;
}

export interface AnnotatedDoc {
  /** The record's id in the file, when it has one. */
  id?: string | number;
  text: string;
  spans: CharSpan[];
  where: Where;
  /** The file's own tokens, in sentences, offsets into text; without them the tokenizer makes them. */
  sentences?: Token[][];
}

/** A sentence of tokens (offsets into its document's text) with one IOB2 tag each. */
export interface TokenSentence {
  tokens: Token[];
  tags: string[];
  where: Where;
}

/** A JSON value's short rendering for messages. */
export function shortJson(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A text quoted for messages, clipped. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);
}

/**
 * A span from a file's raw start, end and label (in `unit`), checked: whole numbers, a non-empty string
 * label, inside the text, not empty, and (when the file records it) the text at the offsets equal to
 * `expected`. A bad span is counted in `problems` and undefined returned.
 */
export function checkedSpan(map: OffsetMap, unit: OffsetUnit, start: unknown, end: unknown, label: unknown,
  where: Where, problems: Problems, expected?: unknown): CharSpan | undefined {
  if (typeof label !== 'string' || label.trim() === '') {
    problems.add('bad-span', where, `label ${shortJson(label)} is not a non-empty string (span ${shortJson(start)}-${shortJson(end)})`);
    return undefined;
  }
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    problems.add('bad-span', where, `${label} span has offsets ${shortJson(start)} and ${shortJson(end)}, expected whole numbers`);
    return undefined;
  }
  const s = start as number;
  const e = end as number;
  const length = map.length(unit);
  if (s < 0 || e > length) {
    problems.add('past-end', where, `${label} span [${s}, ${e}) but the text has ${length} ${unit === 'utf16' ? 'UTF-16 units' : 'characters'}`);
    return undefined;
  }
  if (e <= s) {
    problems.add('empty-span', where, `${label} span [${s}, ${e}) is empty`);
    return undefined;
  }
  const span = { start: map.toUtf16(s, unit), end: map.toUtf16(e, unit), label };
  if (typeof expected === 'string' && expected !== map.text.slice(span.start, span.end)) {
    problems.add('text-mismatch', where, `${label} span [${s}, ${e}) is recorded as ${quote(expected)} but the text there is ${quote(map.text.slice(span.start, span.end))}`);
    return undefined;
  }
  return span;
}

/**
 * The spans of a record's list `field`, each item an object (or, with keys [0, 1, 2], an array) holding
 * the raw start, end and label under `keys`: checkedSpan on each, a bad item counted and passed over.
 * A field that is not a list is counted and gives undefined: the record is refused.
 */
export function listSpans(list: unknown, field: string, keys: readonly (string | number)[], map: OffsetMap, unit: OffsetUnit,
  where: Where, problems: Problems): CharSpan[] | undefined {
  const tuple = typeof keys[0] === 'number';
  const shape = tuple ? '[start, end, "LABEL"]' : `{${keys.map((k) => `"${k}"`).join(', ')}}`;
  if (!Array.isArray(list)) {
    problems.add('bad-span', where, `"${field}" is ${shortJson(list)}, expected a list of ${shape}`);
    return undefined;
  }
  const spans: CharSpan[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null || Array.isArray(item) !== tuple || (tuple && (item as unknown[]).length < 3)) {
      const hint = tuple && typeof item === 'string' ? ' (a text-classification export has labels without offsets)' : '';
      problems.add('bad-span', where, `${shortJson(item)} in "${field}" is not ${shape}${hint}`);
      continue;
    }
    const o = item as Record<string | number, unknown>;
    const span = checkedSpan(map, unit, o[keys[0]], o[keys[1]], o[keys[2]], where, problems);
    if (span) spans.push(span);
  }
  return spans;
}

/** The text of a record: a string, else a 'no-text' problem and undefined. */
export function checkedText(text: unknown, where: Where, problems: Problems, field: string): string | undefined {
  if (typeof text === 'string') return text;
  problems.add('no-text', where, text === undefined ? `no ${field} field` : `${field} is ${shortJson(text)}, not a string`);
  return undefined;
}
