// spaCy / Prodigy JSONL (offsets in code points, end exclusive):
//   {"text", "tokens"?: [{"text", "start", "end", "id", "ws"?}], "spans": [{"start", "end", "label", "token_start"?, "token_end"?}], "answer"?}
// Records answered "reject" or "ignore" are skipped (and counted). When a record has tokens, they are
// used instead of ner's tokenizer (a line break between two tokens ends a sentence); writing keeps the
// document's tokens, so CoNLL → spaCy → CoNLL gives back the same tokens whatever the tokenizer does.

import type { Token } from '../tokenize.js';
import { checkedText, listSpans, shortJson, type AnnotatedDoc } from './doc.js';
import { OffsetMap, type OffsetUnit } from './offsets.js';
import type { Problems, Where } from './problems.js';

export function isSpacy(r: Record<string, unknown>): boolean {
  return 'spans' in r || 'answer' in r || 'tokens' in r;
}

export function spacyDoc(r: unknown, where: Where, unit: OffsetUnit, problems: Problems): AnnotatedDoc | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    problems.add('bad-record', where, `expected an object {"text", "spans": [{"start", "end", "label"}]}, got ${shortJson(r)}`);
    return undefined;
  }
  const rec = r as Record<string, unknown>;
  if (rec.answer === 'reject' || rec.answer === 'ignore') {
    problems.add('rejected', where, `answer "${rec.answer}"`);
    return undefined;
  }
  const text = checkedText(rec.text, where, problems, '"text"');
  if (text === undefined) return undefined;
  const map = new OffsetMap(text);
  const spans = rec.spans === undefined ? [] : listSpans(rec.spans, 'spans', ['start', 'end', 'label'], map, unit, where, problems);
  if (spans === undefined) return undefined;
  let sentences: Token[][] | undefined;
  if (Array.isArray(rec.tokens) && rec.tokens.length > 0) {
    sentences = [[]];
    let prevEnd = 0;
    for (const t of rec.tokens as unknown[]) {
      const o = (t ?? {}) as Record<string, unknown>;
      const s = o.start;
      const e = o.end;
      const inside = Number.isInteger(s) && Number.isInteger(e) && (s as number) >= 0 && (e as number) > (s as number) && (e as number) <= map.length(unit);
      const start = inside ? map.toUtf16(s as number, unit) : 0;
      const end = inside ? map.toUtf16(e as number, unit) : 0;
      if (!inside || start < prevEnd) {
        problems.add('bad-record', where, `token ${shortJson(t)} needs whole-number offsets, in order, inside the text; the record's tokens are not used`);
        sentences = undefined;
        break;
      }
      if (sentences[sentences.length - 1].length > 0 && /[\n\r]/.test(text.slice(prevEnd, start))) sentences.push([]);
      sentences[sentences.length - 1].push({ text: text.slice(start, end), start, end });
      prevEnd = end;
    }
  }
  const meta = rec.meta as Record<string, unknown> | undefined;
  const rawId = rec.id ?? meta?.id;
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined;
  return { id, text, spans, where, sentences };
}

/** A spaCy/Prodigy record; with the document's tokens when it has them ("token_start"/"token_end" then too). */
export function spacyRecord(doc: AnnotatedDoc, unit: OffsetUnit): Record<string, unknown> {
  const map = new OffsetMap(doc.text);
  const tokens = doc.sentences?.flat();
  const rec: Record<string, unknown> = { text: doc.text };
  if (tokens !== undefined) {
    rec.tokens = tokens.map((t, i) => ({ text: t.text, start: map.fromUtf16(t.start, unit), end: map.fromUtf16(t.end, unit), id: i, ws: doc.text.charAt(t.end) === ' ' }));
  }
  rec.spans = doc.spans.map((s) => {
    const o: Record<string, unknown> = { start: map.fromUtf16(s.start, unit), end: map.fromUtf16(s.end, unit), label: s.label };
    if (tokens !== undefined) {
      const first = tokens.findIndex((t) => t.start === s.start);
      const last = tokens.findIndex((t) => t.end === s.end);
      if (first >= 0 && last >= first) Object.assign(o, { token_start: first, token_end: last });
    }
    if (s.score !== undefined) o.score = Math.round(s.score * 1e4) / 1e4;
    return o;
  });
  if (doc.id !== undefined) rec.meta = { id: doc.id };
  rec.answer = 'accept';
  return rec;
}
