// Tag schemes: turning a tag sequence into entity spans (conlleval's chunk rules), detecting which
// scheme a corpus uses, and encoding spans back into tags. Pure: no I/O.
//
// A tag is `O` or `<prefix>-<type>` with prefix B, I, E or S (the type may itself contain hyphens;
// like conlleval we split at the first one). Chunk boundaries follow conlleval's startOfChunk and
// endOfChunk, extended the way the IOBES-aware ports of conlleval extend them (B- and S- always start
// a chunk; a chunk always ends after E- or S-). On B/I/O tags, which is all conlleval.pl 2004 knows,
// the extension changes nothing; conlleval.pl itself would merge `S-PER S-PER` into one chunk.

import { NerError } from '../errors.js';

export type TagScheme = 'IOB1' | 'IOB2' | 'IOBES' | 'IO';

/** An entity: token indices [start, end), end exclusive. */
export interface Span {
  type: string;
  start: number;
  end: number;
}

/** A tag split the way conlleval splits it: prefix before the first hyphen, type after it. */
export interface ParsedTag {
  prefix: string;
  type: string;
}

export function parseTag(tag: string): ParsedTag {
  const dash = tag.indexOf('-');
  return dash < 0 ? { prefix: tag, type: '' } : { prefix: tag.slice(0, dash), type: tag.slice(dash + 1) };
}

/**
 * Checks one tag against the grammar `O | (B|I|E|S)-TYPE`. Returns undefined when the tag is fine,
 * otherwise a sentence saying what is wrong with it (the caller adds the file and line).
 */
export function validateTag(tag: string): string | undefined {
  if (tag === 'O') return undefined;
  const { prefix, type } = parseTag(tag);
  if (tag.indexOf('-') < 0) {
    return `tag '${tag}' is not O and has no prefix: expected O or B-/I-/E-/S- followed by a type, e.g. B-PER`;
  }
  if (prefix !== 'B' && prefix !== 'I' && prefix !== 'E' && prefix !== 'S') {
    return `tag '${tag}' has unknown prefix '${prefix}-': expected O or B-/I-/E-/S- followed by a type, e.g. B-PER`;
  }
  if (type === '') return `tag '${tag}' has no entity type after '${prefix}-': expected e.g. ${prefix}-PER`;
  return undefined;
}

// conlleval's endOfChunk: did a chunk end between the previous tag and this one?
function endOfChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const p = prev.prefix;
  const t = cur.prefix;
  if (p === 'E' || p === 'S') return true;
  if ((p === 'B' || p === 'I') && (t === 'B' || t === 'S' || t === 'O')) return true;
  if (p !== 'O' && p !== '.' && prev.type !== cur.type) return true;
  return p === '[' || p === ']';
}

// conlleval's startOfChunk: did a chunk start between the previous tag and this one?
function startOfChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const p = prev.prefix;
  const t = cur.prefix;
  if (t === 'B' || t === 'S') return true;
  if ((p === 'E' || p === 'S' || p === 'O') && (t === 'E' || t === 'I')) return true;
  if (t !== 'O' && t !== '.' && prev.type !== cur.type) return true;
  return t === '[' || t === ']';
}

const OUTSIDE: ParsedTag = { prefix: 'O', type: '' };

/**
 * The entity spans of one sentence's tags, in order. The sentence is treated as surrounded by `O`
 * (conlleval's sentence boundary), so no chunk runs past its end. Linear in the number of tags.
 */
export function spansFromTags(tags: string[]): Span[] {
  return spansOfParsed(tags.length, (i) => parseTag(tags[i]));
}

/** spansFromTags of n tags already parsed: tag(i) is token i's (a tagger's outputs are parsed once, not
 *  once a token). */
export function spansOfParsed(n: number, tag: (i: number) => ParsedTag): Span[] {
  const spans: Span[] = [];
  let open: Span | undefined;
  let prev = OUTSIDE;
  for (let i = 0; i < n; i++) {
    const cur = tag(i);
    if (open && endOfChunk(prev, cur)) {
      open.end = i;
      spans.push(open);
      open = undefined;
    }
    if (startOfChunk(prev, cur)) {
      // With well-formed tags a start always follows an end; close defensively for odd tags.
      if (open) {
        open.end = i;
        spans.push(open);
      }
      open = { type: cur.type, start: i, end: i + 1 };
    }
    prev = cur;
  }
  if (open) {
    open.end = n;
    spans.push(open);
  }
  return spans;
}

/**
 * Which scheme a corpus is written in:
 *   any E- or S-                                  → IOBES
 *   no B- at all, but I- present                  → IO (indistinguishable from IOB1 without touching entities)
 *   some entity starts with I- (after O / another type) → IOB1 (B- then only separates touching entities)
 *   otherwise (every entity starts with B-, or no entities at all) → IOB2
 */
export function detectScheme(tagSeqs: string[][]): TagScheme {
  let hasB = false;
  let hasI = false;
  let startsWithI = false;
  for (const tags of tagSeqs) {
    let prev = OUTSIDE;
    for (const tag of tags) {
      const cur = parseTag(tag);
      if (cur.prefix === 'E' || cur.prefix === 'S') return 'IOBES';
      if (cur.prefix === 'B') hasB = true;
      if (cur.prefix === 'I') {
        hasI = true;
        if (startOfChunk(prev, cur)) startsWithI = true;
      }
      prev = cur;
    }
  }
  if (!hasB && hasI) return 'IO';
  return startsWithI ? 'IOB1' : 'IOB2';
}

/**
 * Tags for n tokens holding the given spans, in the given scheme; the inverse of spansFromTags.
 * Spans must lie inside [0, n), be non-empty and not overlap. In IO, touching spans of the same type
 * cannot be told apart and merge when decoded again.
 */
export function encodeSpans(spans: Span[], n: number, scheme: TagScheme): string[] {
  const tags = new Array<string>(n).fill('O');
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let lastEnd = 0;
  let last: Span | undefined;
  for (const span of sorted) {
    if (!(Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.end <= n)) {
      throw new NerError(`span ${span.type} [${span.start}, ${span.end}) is outside a sentence of ${n} tokens`, undefined, 2);
    }
    if (span.end <= span.start) throw new NerError(`span ${span.type} [${span.start}, ${span.end}) is empty`, undefined, 2);
    if (span.start < lastEnd) {
      throw new NerError(`span ${span.type} [${span.start}, ${span.end}) overlaps the span ending at ${lastEnd}`, undefined, 2);
    }
    if (span.type === '') throw new NerError(`span [${span.start}, ${span.end}) has no type`, undefined, 2);
    const length = span.end - span.start;
    for (let i = span.start; i < span.end; i++) {
      const first = i === span.start;
      const final = i === span.end - 1;
      let prefix: string;
      switch (scheme) {
        case 'IOB2':
          prefix = first ? 'B' : 'I';
          break;
        case 'IOB1':
          // B- only where this entity touches a previous one of the same type.
          prefix = first && last !== undefined && last.end === span.start && last.type === span.type ? 'B' : 'I';
          break;
        case 'IOBES':
          prefix = length === 1 ? 'S' : first ? 'B' : final ? 'E' : 'I';
          break;
        case 'IO':
          prefix = 'I';
          break;
      }
      tags[i] = `${prefix}-${span.type}`;
    }
    lastEnd = span.end;
    last = span;
  }
  return tags;
}

/** Sorted distinct entity types named by the tags (everything after the prefix of each non-O tag). */
export function entityTypes(tagSeqs: string[][]): string[] {
  const types = new Set<string>();
  for (const tags of tagSeqs) {
    for (const tag of tags) {
      if (tag === 'O') continue;
      const { type } = parseTag(tag);
      if (type !== '') types.add(type);
    }
  }
  return [...types].sort();
}
