// doccano JSONL (offsets in code points, end exclusive), both shapes of its sequence-labelling export:
//   {"id", "text", "label": [[start, end, "LABEL"], …]}                       (also "labels"; old versions: "data" for the text)
//   {"id", "text", "entities": [{"id", "start_offset", "end_offset", "label"}], "relations": […]}
// Written in the first shape, with a "score" after each predicted span's label when it has one.

import { checkedText, listSpans, shortJson, type AnnotatedDoc, type CharSpan } from './doc.js';
import { OffsetMap, type OffsetUnit } from './offsets.js';
import type { Problems, Where } from './problems.js';

export function isDoccano(r: Record<string, unknown>): boolean {
  return 'label' in r || 'labels' in r || ('entities' in r && Array.isArray(r.entities) && (r.entities.length === 0 || (typeof r.entities[0] === 'object' && r.entities[0] !== null && 'start_offset' in r.entities[0])));
}

/** One doccano record; undefined (and the problem counted) when it has no text. */
export function doccanoDoc(r: unknown, where: Where, unit: OffsetUnit, problems: Problems): AnnotatedDoc | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    problems.add('bad-record', where, `expected an object {"text", "label": [[start, end, "LABEL"], …]}, got ${shortJson(r)}`);
    return undefined;
  }
  const rec = r as Record<string, unknown>;
  const text = checkedText('text' in rec ? rec.text : rec.data, where, problems, '"text"');
  if (text === undefined) return undefined;
  const map = new OffsetMap(text);
  const labels = rec.label ?? rec.labels;
  let spans: CharSpan[] | undefined = [];
  if (labels !== undefined) spans = listSpans(labels, 'label', [0, 1, 2], map, unit, where, problems);
  else if (rec.entities !== undefined) {
    spans = listSpans(rec.entities, 'entities', ['start_offset', 'end_offset', 'label'], map, unit, where, problems);
    if (Array.isArray(rec.relations) && rec.relations.length > 0) problems.add('ignored', where, `${rec.relations.length} relation(s)`);
  }
  if (spans === undefined) return undefined;
  const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? rec.id : undefined;
  return { id, text, spans, where };
}

/** A doccano record (first shape) for a document. */
export function doccanoRecord(doc: AnnotatedDoc, unit: OffsetUnit, id?: string | number): Record<string, unknown> {
  const map = new OffsetMap(doc.text);
  const label = doc.spans.map((s) => {
    const l: (string | number)[] = [map.fromUtf16(s.start, unit), map.fromUtf16(s.end, unit), s.label];
    if (s.score !== undefined) l.push(Math.round(s.score * 1e4) / 1e4);
    return l;
  });
  const rid = id ?? doc.id;
  return { ...(rid !== undefined ? { id: rid } : {}), text: doc.text, label };
}
