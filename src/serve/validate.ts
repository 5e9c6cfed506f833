// The request bodies `ner serve` accepts, checked by hand: a wrong shape is a 400 whose message says
// what was expected and what came, naming the field (e.g. `texts[3]`). The shapes are few and small,
// so a schema library would add a dependency for a few dozen lines.

import { OFFSET_UNITS, type OffsetUnit } from '../data/formats/index.js';
import { HttpError } from '../io/http.js';

export const badRequest = (message: string, fix?: string) => new HttpError(400, message, fix);

/** A short description of a JSON value, for "got …" in messages. */
export function described(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string${v.length > 40 ? '' : ` ${JSON.stringify(v)}`}`;
  if (typeof v === 'object') return `an object with keys ${Object.keys(v as object).slice(0, 8).map((k) => JSON.stringify(k)).join(', ') || '(none)'}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a request body as JSON (an empty body is a 400 too). */
export function parseJson(body: string): unknown {
  if (body.trim() === '') throw badRequest('the request body is empty, expected JSON', 'send a JSON body, e.g. {"text": "Paris is in France."}');
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON (${(err as Error).message})`, 'send a JSON body with Content-Type: application/json');
  }
}

export function expectObject(v: unknown, what: string, example: string): JsonObject {
  if (!isObject(v)) throw badRequest(`${what}: expected a JSON object, got ${described(v)}`, `e.g. ${example}`);
  return v;
}

export function expectString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw badRequest(`"${field}": expected a string, got ${described(v)}`);
  return v;
}

/** POST /tag: one text, several, or documents with ids; optional min_prob, and the unit of the offsets
 *  (code points by default, as `ner tag --offsets`). */
export type TagRequest = { minProb: number; unit: OffsetUnit } & (
  | { kind: 'text'; text: string }
  | { kind: 'texts'; texts: string[] }
  | { kind: 'documents'; ids: unknown[]; texts: string[] }
);

const TAG_EXAMPLE = '{"text": "Paris is in France."}, {"texts": ["…", "…"]} or {"documents": [{"id": 1, "text": "…"}]}';
export const MAX_TEXTS = 100_000;

export function tagRequest(body: unknown): TagRequest {
  const o = expectObject(body, 'POST /tag', TAG_EXAMPLE);
  const known = ['text', 'texts', 'documents', 'min_prob', 'offsets'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw badRequest(`POST /tag: unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected "text", "texts" or "documents", and optionally "min_prob" and "offsets"`, `e.g. ${TAG_EXAMPLE}`);
  const given = ['text', 'texts', 'documents'].filter((k) => k in o);
  if (given.length !== 1) throw badRequest(`POST /tag: expected exactly one of "text", "texts" or "documents", got ${given.length === 0 ? 'none' : given.map((k) => `"${k}"`).join(' and ')}`, `e.g. ${TAG_EXAMPLE}`);
  let minProb = 0;
  if ('min_prob' in o) {
    const p = o.min_prob;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw badRequest(`"min_prob": expected a probability from 0 to 1, got ${described(p)}`, 'e.g. "min_prob": 0.8');
    minProb = p;
  }
  let unit: OffsetUnit = 'codepoint';
  if ('offsets' in o) {
    if (!OFFSET_UNITS.includes(o.offsets as OffsetUnit)) throw badRequest(`"offsets": expected ${OFFSET_UNITS.map((u) => `"${u}"`).join(' or ')}, got ${described(o.offsets)}`, '"codepoint" counts as Python does, "utf16" as JavaScript and Java do');
    unit = o.offsets as OffsetUnit;
  }
  if ('text' in o) return { kind: 'text', text: expectString(o.text, 'text'), minProb, unit };
  if ('texts' in o) {
    const a = o.texts;
    if (!Array.isArray(a)) throw badRequest(`"texts": expected an array of strings, got ${described(a)}`, 'e.g. {"texts": ["Paris is in France.", "Ada Lovelace was born in London."]}');
    checkCount(a.length, 'texts');
    return { kind: 'texts', texts: a.map((t, i) => expectString(t, `texts[${i}]`)), minProb, unit };
  }
  const a = o.documents;
  if (!Array.isArray(a)) throw badRequest(`"documents": expected an array of {"id", "text"} objects, got ${described(a)}`, 'e.g. {"documents": [{"id": "a1", "text": "Paris is in France."}]}');
  checkCount(a.length, 'documents');
  const ids: unknown[] = [];
  const texts: string[] = [];
  a.forEach((d, i) => {
    const doc = expectObject(d, `documents[${i}]`, '{"id": "a1", "text": "…"}');
    if (!('id' in doc) || (typeof doc.id !== 'string' && typeof doc.id !== 'number')) throw badRequest(`"documents[${i}].id": expected a string or a number, got ${'id' in doc ? described(doc.id) : 'nothing'}`);
    ids.push(doc.id);
    texts.push(expectString(doc.text, `documents[${i}].text`));
  });
  return { kind: 'documents', ids, texts, minProb, unit };
}

function checkCount(n: number, field: string): void {
  if (n > MAX_TEXTS) throw new HttpError(413, `"${field}" holds ${n} items, at most ${MAX_TEXTS} are taken in one request`, 'send them in several requests');
}
