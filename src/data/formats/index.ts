// Annotation-tool formats: read labelled data from doccano, Label Studio, brat, spaCy/Prodigy (and CoNLL),
// write it back in any of them. Everything meets in one shape, AnnotatedDoc (doc.ts): a text with
// labelled character spans in UTF-16 units. Files count in code points unless told (offsets.ts).
//
// API (ner serve, ner annotate and ner convert build on it):
//
//   One record in → labelled sentences (tokens with IOB2 tags):
//     const { sentences, problems } = recordSentences('labelstudio', task);   // or 'doccano' / 'spacy' record
//     sentences: TokenSentence[] = [{ tokens: [{ text, start, end }], tags: ['B-PER', …], where }]
//     problems.errors() > 0 → something in it would be lost (problems.describe(['error']) says what);
//     a skipped task (cancelled, no annotation, rejected) gives sentences [] and a 'skipped' problem.
//     Lower level: recordDoc(format, record, where, unit, problems) → AnnotatedDoc | undefined, then
//     docSentences(doc, problems) (align.ts).
//
//   Text + predicted entities out → one record:
//     const doc = docOfEntities(text, entities, id);     // entities: { start, end, type, prob? } in UTF-16 units
//     labelStudioTask(doc, 'codepoint', { prediction: true, modelVersion })   // a task with "predictions"
//     doccanoRecord(doc, 'codepoint')                                        // {"id", "text", "label": [[s, e, L, p]]}
//     spacyRecord(doc, 'codepoint')
//     Labelled sentences (tokens + tags) out → docOfSentences(sentences, where, id) then any writer above.
//
//   Whole files:
//     readLabelled(path, { format: 'auto', skipInvalid }) → { corpus, format, problems }   (train, eval)
//     readDocs(path, opts) → { docs, format, problems }                                     (convert)
//     formatDocs(format, docs, { unit }) → the file's text; writeBrat(dir, docs, unit) → files written
//     detectFormat(path, text) → which format a file holds, from its content.
//
// Problems (problems.ts) carry counts and the first examples (file, record, line): readLabelled throws a
// DataError listing every error unless skipInvalid; warnings and skipped records are the caller's to show.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, UsageError } from '../../errors.js';
import { decodeUtf8, parseConll, readBytes, type ConllOptions, type Corpus, type Sentence } from '../conll.js';
import { detectScheme, encodeSpans, entityTypes, spansFromTags, type TagScheme } from '../tags.js';
import { docOfSentences, docSentences } from './align.js';
import { bratAnn, readBrat } from './brat.js';
import { doccanoDoc, doccanoRecord, isDoccano } from './doccano.js';
import { shortJson, type AnnotatedDoc, type CharSpan, type TokenSentence } from './doc.js';
import { jsonRecords } from './json.js';
import { isLabelStudio, labelStudioDoc, labelStudioTask, type LabelStudioOptions } from './labelstudio.js';
import type { OffsetUnit } from './offsets.js';
import { Problems, type Where } from './problems.js';
import { isSpacy, spacyDoc, spacyRecord } from './spacy.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Token } from '../tokenize.js';

export { docOfSentences, docSentences } from './align.js';
export { doccanoRecord } from './doccano.js';
export type { AnnotatedDoc, CharSpan, TokenSentence } from './doc.js';
export { labelStudioTask } from './labelstudio.js';
export { OffsetMap, OFFSET_UNITS, type OffsetUnit } from './offsets.js';
export { Problems } from './problems.js';
export { spacyRecord } from './spacy.js';

export const FORMATS = ['conll', 'doccano', 'labelstudio', 'brat', 'spacy'] as const;
export type FormatName = (typeof FORMATS)[number];
export type InputFormat = FormatName | 'auto';
/** The formats whose records are JSON objects. */
export type RecordFormat = 'doccano' | 'labelstudio' | 'spacy';

export interface ReadOptions extends ConllOptions {
  /** The file's format, or 'auto' (the default): detected from the content. */
  format?: InputFormat;
  /** The unit of the file's offsets (default 'codepoint', as the tools write them). */
  unit?: OffsetUnit;
  /** Leave out spans and records that have errors (each is counted) instead of stopping. */
  skipInvalid?: boolean;
}

const SHAPES = 'doccano {"text", "label": [[0, 5, "PER"]]}, Label Studio [{"data": {"text"}, "annotations": [...]}], spaCy/Prodigy {"text", "spans": [{"start", "end", "label"}]}';

/** Which JSON format a record is in, from its fields. */
function recordFormat(r: unknown): RecordFormat | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
  const o = r as Record<string, unknown>;
  if (isLabelStudio(o)) return 'labelstudio';
  if (isSpacy(o)) return 'spacy';
  if (isDoccano(o)) return 'doccano';
  if (typeof o.text === 'string') return 'doccano'; // a text with no labels yet
  return undefined;
}

/** Whether text starts like JSON ("[{", "[]", '{"'), as no CoNLL file does. */
function looksLikeJson(text: string): boolean {
  return /^\uFEFF?\s*(\[\s*[{\]]|\{\s*")/.test(text.slice(0, 200));
}

/**
 * The format of a file (or folder) from its content: a folder, an .ann file or a .txt with an .ann
 * beside it is brat; JSON is told apart by the first record's fields; anything else is CoNLL.
 */
export function detectFormat(p: string, text?: string): FormatName {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return 'brat';
  if (p.endsWith('.ann') || (p.endsWith('.txt') && fs.existsSync(p.slice(0, -4) + '.ann'))) return 'brat';
  const t = text ?? (p === '-' ? '' : fs.readFileSync(p, 'utf8').slice(0, 1 << 16));
  if (!looksLikeJson(t)) return 'conll';
  const records = jsonRecords(t.replace(/\n[^\n]*$/, '\n'), p, new Problems()); // (the head may end mid-record)
  const first = records.find((r) => recordFormat(r.value) !== undefined);
  if (first === undefined) {
    throw new DataError(p, records[0]?.where.line, `JSON, but not an export format ner reads (first record: ${shortJson(records[0]?.value)})`,
      `ner reads ${SHAPES}; name the format with --input-format if the first records are not typical`);
  }
  return recordFormat(first.value)!;
}

/** One JSON record of a format → a document (undefined when skipped or unusable; the reason is in problems). */
export function recordDoc(format: RecordFormat, record: unknown, where: Where, unit: OffsetUnit, problems: Problems): AnnotatedDoc | undefined {
  if (format === 'labelstudio') return labelStudioDoc(record, where, unit, problems);
  if (format === 'spacy') return spacyDoc(record, where, unit, problems);
  return doccanoDoc(record, where, unit, problems);
}

/** One record (a Label Studio task, a doccano or spaCy record) → sentences of tokens with IOB2 tags. */
export function recordSentences(format: RecordFormat, record: unknown,
  opts: { unit?: OffsetUnit; where?: Where } = {}): { sentences: TokenSentence[]; problems: Problems } {
  const problems = new Problems();
  const doc = recordDoc(format, record, opts.where ?? { file: '<record>', record: 1 }, opts.unit ?? 'codepoint', problems);
  return { sentences: doc ? docSentences(doc, problems) : [], problems };
}

/** A document for a text and a model's entities (offsets in UTF-16 units), ready for any writer. */
export function docOfEntities(text: string, entities: { start: number; end: number; type: string; prob?: number }[], id?: string | number): AnnotatedDoc {
  const spans: CharSpan[] = entities.map((e) => ({ start: e.start, end: e.end, label: e.type, ...(e.prob !== undefined ? { score: e.prob } : {}) }));
  return { id, text, spans, where: { file: '<text>', record: 1 } };
}

function fileText(p: string): string {
  const file = p === '-' ? '<stdin>' : p;
  return decodeUtf8(readBytes(p), file);
}

/** The format of a path (opts.format unless 'auto') and, for a single file, its text (read once: stdin too). */
function resolve(p: string, opts: ReadOptions): { format: FormatName; text?: string } {
  const asked = opts.format ?? 'auto';
  const file = p === '-' ? '<stdin>' : p;
  if (asked === 'brat') return { format: 'brat' };
  if (p !== '-' && fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    if (asked === 'auto') return { format: 'brat' };
    throw new DataError(p, undefined, `is a folder; only brat data (--input-format brat) is read from a folder, not ${asked}`, 'pass a file inside it');
  }
  if (asked === 'auto' && p !== '-' && (p.endsWith('.ann') || (p.endsWith('.txt') && fs.existsSync(p.slice(0, -4) + '.ann')))) return { format: 'brat' };
  const text = fileText(p);
  return { format: asked === 'auto' ? detectFormat(file, text) : asked, text };
}

/** The documents of a labelled file in any format (CoNLL: one document per sentence, with its tokens). */
export function readDocs(p: string, opts: ReadOptions = {}): { docs: AnnotatedDoc[]; format: FormatName; problems: Problems } {
  const unit = opts.unit ?? 'codepoint';
  const problems = new Problems();
  const file = p === '-' ? '<stdin>' : p;
  const { format, text } = resolve(p, opts);
  if (format === 'brat') return { docs: readBrat(p, unit, problems), format, problems };
  if (format === 'conll') {
    const corpus = parseConll(text!, file, opts);
    const docs = corpus.sentences.map((s, i) => docOfSentences([s], { file, record: i + 1, line: s.line }));
    return { docs, format, problems };
  }
  const docs: AnnotatedDoc[] = [];
  for (const r of jsonRecords(text!, file, problems)) {
    const doc = recordDoc(format, r.value, r.where, unit, problems);
    if (doc) docs.push(doc);
  }
  return { docs, format, problems };
}

/** A Corpus (what training and evaluation read) from tagged sentences. */
export function corpusOfSentences(file: string, sentences: TokenSentence[]): Corpus {
  const list: Sentence[] = sentences.map((s) => ({ tokens: s.tokens.map((t) => t.text), tags: s.tags, line: s.where.line ?? s.where.record }));
  if (list.length === 0) {
    throw new DataError(file, undefined, 'no labelled sentences in this file (every record was skipped or empty)', 'check the export: the problems above say why records were left out');
  }
  const tags = list.map((s) => s.tags);
  return { file, sentences: list, scheme: detectScheme(tags), types: entityTypes(tags), tokens: list.reduce((a, s) => a + s.tokens.length, 0) };
}

/**
 * A labelled file of any format as a Corpus for training or evaluation. Errors (spans or records that
 * would be lost) throw one DataError listing them all, unless skipInvalid; the problems returned hold the
 * warnings and skipped records for the caller to show.
 */
export function readLabelled(p: string, opts: ReadOptions = {}): { corpus: Corpus; format: FormatName; problems: Problems } {
  const file = p === '-' ? '<stdin>' : p;
  const { format, text } = resolve(p, opts);
  if (format === 'conll') return { corpus: parseConll(text!, file, opts), format, problems: new Problems() };
  const problems = new Problems();
  const unit = opts.unit ?? 'codepoint';
  const docs = format === 'brat' ? readBrat(p, unit, problems)
    : jsonRecords(text!, file, problems).map((r) => recordDoc(format, r.value, r.where, unit, problems)).filter((d): d is AnnotatedDoc => d !== undefined);
  const sentences = docs.flatMap((d) => docSentences(d, problems));
  problems.check(file, !!opts.skipInvalid);
  return { corpus: corpusOfSentences(file, sentences), format, problems };
}

export interface WriteOptions {
  unit?: OffsetUnit;
  /** CoNLL: the tag scheme to write (default IOB2). */
  scheme?: TagScheme;
  /** Label Studio: write the spans as predictions. */
  labelStudio?: LabelStudioOptions;
}

/** One document of several: their texts joined by line breaks, their spans and tokens moved along. */
export function joinDocs(docs: AnnotatedDoc[], id?: string | number): AnnotatedDoc {
  let text = '';
  const spans: CharSpan[] = [];
  const sentences: Token[][] = [];
  const tokens = docs.every((d) => d.sentences !== undefined);
  for (const d of docs) {
    if (text.length > 0) text += '\n';
    const at = text.length;
    text += d.text;
    for (const s of d.spans) spans.push({ ...s, start: s.start + at, end: s.end + at });
    if (tokens) for (const s of d.sentences!) sentences.push(s.map((t) => ({ text: t.text, start: t.start + at, end: t.end + at })));
  }
  return { id, text, spans, where: docs[0]?.where ?? { file: '<text>', record: 1 }, ...(tokens ? { sentences } : {}) };
}

/** The text of a file holding the documents in a format (not brat: see writeBrat). */
export function formatDocs(format: Exclude<FormatName, 'brat'>, docs: AnnotatedDoc[], problems: Problems, opts: WriteOptions = {}): string {
  const unit = opts.unit ?? 'codepoint';
  switch (format) {
    case 'conll': {
      const out: string[] = [];
      for (const d of docs) {
        for (const s of docSentences(d, problems)) {
          const tags = opts.scheme === undefined || opts.scheme === 'IOB2' ? s.tags : encodeSpans(spansFromTags(s.tags), s.tags.length, opts.scheme);
          for (let i = 0; i < s.tokens.length; i++) out.push(`${s.tokens[i].text} ${tags[i]}\n`);
          out.push('\n');
        }
      }
      return out.join('');
    }
    case 'doccano':
      return docs.map((d) => JSON.stringify(doccanoRecord(d, unit)) + '\n').join('');
    case 'spacy':
      return docs.map((d) => JSON.stringify(spacyRecord(d, unit)) + '\n').join('');
    case 'labelstudio':
      return `[\n${docs.map((d) => JSON.stringify(labelStudioTask(d, unit, opts.labelStudio))).join(',\n')}\n]\n`;
  }
}

/** A file name for a document in a brat folder: its id when that is a plain name, else doc-N. */
function bratName(doc: AnnotatedDoc, i: number, used: Set<string>): string {
  let name = doc.id !== undefined && /^[\w.-]{1,100}$/u.test(String(doc.id)) && !String(doc.id).startsWith('.') ? String(doc.id) : `doc-${i + 1}`;
  while (used.has(name)) name += '_';
  used.add(name);
  return name;
}

/** Writes each document as dir/NAME.txt + dir/NAME.ann (the folder is made); returns the files written. */
export function writeBrat(dir: string, docs: AnnotatedDoc[], unit: OffsetUnit = 'codepoint'): string[] {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`${dir} is a file; brat output is a folder of .txt and .ann files`, 'name a folder (it is made if missing)');
  }
  fs.mkdirSync(dir, { recursive: true });
  const used = new Set<string>();
  const files: string[] = [];
  docs.forEach((d, i) => {
    const name = bratName(d, i, used);
    writeFileAtomic(path.join(dir, `${name}.txt`), d.text);
    writeFileAtomic(path.join(dir, `${name}.ann`), bratAnn(d, unit));
    files.push(path.join(dir, `${name}.txt`), path.join(dir, `${name}.ann`));
  });
  return files;
}
