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

/** The text of a record: a string, else a 'no-text' problem and undefined. */
export function checkedText(text: unknown, where: Where, problems: Problems, field: string): string | undefined {
  if (typeof text === 'string') return text;
  problems.add('no-text', where, text === undefined ? `no ${field} field` : `${field} is ${shortJson(text)}, not a string`);
  return undefined;
}
