// Character spans ↔ tokens with IOB2 tags.
//
// docSentences: a text with labelled character spans → sentences of tokens, each token tagged. The tokens
// are the file's own (doc.sentences) or the tokenizer's. Spans are cleaned first: spaces at their edges
// are trimmed, a span given twice is kept once, and of two overlapping spans the later one is left out
// (an error: IOB tags hold one entity per token). A span boundary that falls inside a token splits that
// token there (a warning: the annotation is kept as drawn); a span across a sentence end joins the
// sentences. Every such case is counted in `problems` with the record it is in.
//
// docOfSentences: the inverse for tagged tokens (a CoNLL file): the tokens joined by single spaces, the
// sentences by line breaks (where the tokenizer always ends a sentence), each entity a span.

import { spansFromTags } from '../tags.js';
import { tokenize, type Token } from '../tokenize.js';
import { quote, type AnnotatedDoc, type CharSpan, type TokenSentence } from './doc.js';
import type { Problems, Where } from './problems.js';

const SPACE = /\s/u;

/** The spans with their edges' spaces trimmed, sorted, duplicates and overlaps removed (and counted). */
export function cleanSpans(doc: AnnotatedDoc, problems: Problems): CharSpan[] {
  const { text, where } = doc;
  const trimmed: CharSpan[] = [];
  for (const span of doc.spans) {
    let { start, end } = span;
    while (start < end && SPACE.test(text[start])) start++;
    while (end > start && SPACE.test(text[end - 1])) end--;
    if (start === end) {
      problems.add('empty-span', where, `${span.label} span ${quote(text.slice(span.start, span.end))} holds only spaces`);
      continue;
    }
    if (start !== span.start || end !== span.end) {
      problems.add('trimmed', where, `${span.label} span ${quote(text.slice(span.start, span.end))} → ${quote(text.slice(start, end))}`);
    }
    trimmed.push({ ...span, start, end });
  }
  trimmed.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: CharSpan[] = [];
  for (const span of trimmed) {
    const last = kept[kept.length - 1];
    if (last !== undefined && last.start === span.start && last.end === span.end && last.label === span.label) {
      problems.add('duplicate', where, `${span.label} ${quote(text.slice(span.start, span.end))}`);
    } else if (last !== undefined && span.start < last.end) {
      problems.add('overlap', where, `${span.label} ${quote(text.slice(span.start, span.end))} overlaps ${last.label} ${quote(text.slice(last.start, last.end))}`);
    } else kept.push(span);
  }
  return kept;
}

/** Sentences of tokens tagged IOB2 from a document's spans (see the header). */
export function docSentences(doc: AnnotatedDoc, problems: Problems): TokenSentence[] {
  const { text, where } = doc;
  const spans = cleanSpans(doc, problems);
  const given = doc.sentences ?? tokenize(text);

  // Every span boundary strictly inside a token splits that token.
  const cuts = new Map<number, CharSpan>();
  for (const s of spans) {
    if (!cuts.has(s.start)) cuts.set(s.start, s);
    if (!cuts.has(s.end)) cuts.set(s.end, s);
  }
  const bounds = [...cuts.keys()].sort((a, b) => a - b);
  const tokens: Token[] = [];
  const sentenceOf: number[] = [];
  let b = 0;
  given.forEach((sentence, si) => {
    for (const t of sentence) {
      while (b < bounds.length && bounds[b] <= t.start) b++;
      let from = t.start;
      for (; b < bounds.length && bounds[b] < t.end; b++) {
        const at = bounds[b];
        const span = cuts.get(at)!;
        problems.add('inside-token', where,
          `${span.label} ${quote(text.slice(span.start, span.end))} ${at === span.start ? 'starts' : 'ends'} inside the token ${quote(t.text)}`);
        tokens.push({ text: text.slice(from, at), start: from, end: at });
        sentenceOf.push(si);
        from = at;
      }
      tokens.push(from === t.start ? t : { text: text.slice(from, t.end), start: from, end: t.end });
      sentenceOf.push(si);
    }
  });

  // Each span's tokens; a span across sentences joins them (joinTo[s] = the first sentence s is part of).
  const tags = new Array<string>(tokens.length).fill('O');
  const joinTo = given.map((_, i) => i);
  let k = 0;
  for (const span of spans) {
    while (k < tokens.length && tokens[k].end <= span.start) k++;
    // (after the cuts no token straddles the span's start or end: tokens k … j-1 are inside it)
    let j = k;
    while (j < tokens.length && tokens[j].end <= span.end) j++;
    if (k >= j) {
      problems.add('no-token', where, `${span.label} ${quote(text.slice(span.start, span.end))} covers no token`);
      continue;
    }
    for (let i = k; i < j; i++) tags[i] = `${i === k ? 'B' : 'I'}-${span.label}`;
    if (sentenceOf[k] !== sentenceOf[j - 1]) {
      problems.add('joined', where, `${span.label} ${quote(text.slice(span.start, span.end))}`);
      for (let s = sentenceOf[k] + 1; s <= sentenceOf[j - 1]; s++) joinTo[s] = joinTo[sentenceOf[k]];
    }
    k = j;
  }

  const out: TokenSentence[] = [];
  let current = -1;
  for (let i = 0; i < tokens.length; i++) {
    const group = joinTo[sentenceOf[i]];
    if (group !== current) {
      out.push({ tokens: [], tags: [], where });
      current = group;
    }
    out[out.length - 1].tokens.push(tokens[i]);
    out[out.length - 1].tags.push(tags[i]);
  }
  return out;
}

/**
 * A document from tagged sentences (any tag scheme): tokens joined by single spaces, sentences by line
 * breaks, each entity a span, and the sentences kept as the document's own tokens.
 */
export function docOfSentences(sentences: { tokens: string[]; tags: string[] }[], where: Where, id?: string | number): AnnotatedDoc {
  let text = '';
  const spans: CharSpan[] = [];
  const given: Token[][] = [];
  for (const s of sentences) {
    if (text.length > 0) text += '\n';
    const tokens: Token[] = [];
    for (const t of s.tokens) {
      if (tokens.length > 0) text += ' ';
      tokens.push({ text: t, start: text.length, end: text.length + t.length });
      text += t;
    }
    for (const e of spansFromTags(s.tags)) spans.push({ start: tokens[e.start].start, end: tokens[e.end - 1].end, label: e.type });
    given.push(tokens);
  }
  return { id, text, spans, where, sentences: given };
}
