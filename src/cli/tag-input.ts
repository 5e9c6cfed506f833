// What `ner tag` reads, as a stream of items in input order: for each document (a file, or a JSON Lines
// record) a start, its sentences of tokens, lines passed through unchanged (--input tokens: blank lines
// and -DOCSTART-), and an end. Text is read in 64 KB chunks, so memory stays flat on huge inputs.
//   text    raw text, split into sentences by the tokenizer as it arrives; a BOM is kept as the text's
//           first character, so offsets index the file as most programs read it (Python, Node)
//   tokens  one token per line (the first column; other columns, tags included, ignored), a blank line
//           between sentences: a CoNLL file, tagged as given
//   jsonl   one {"id", "text", …} object a line; each record is a document

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../errors.js';
import { SentenceSplitter, tokenize, type Token } from '../data/tokenize.js';
import { badUtf8Line } from '../data/conll.js';

export type InputMode = 'text' | 'tokens' | 'jsonl';

/** A document being tagged: its text from `base` on (UTF-16 units), what is known of it so far. */
export interface Doc {
  /** The file's path, or the JSON Lines record's id (absent when the record has none). */
  id: string | number | undefined;
  /** JSON Lines: the record's line as read (trimmed), written back with its "entities" added. */
  line?: string;
  /** The document's text from `base` on (text input: the part not yet written; JSON Lines: all of it). */
  text: string;
  base: number;
  /** A cursor for code-point offsets: `cp` code points come before UTF-16 offset `at`. */
  at: number;
  cp: number;
}

export type Item =
  | { kind: 'start'; doc: Doc }
  | { kind: 'sentence'; doc: Doc; tokens: Token[] }
  | { kind: 'line'; doc: Doc; line: string }
  | { kind: 'end'; doc: Doc };

const JSONL_FIX = 'each line must be one JSON object with a "text" string, e.g. {"id": 1, "text": "Paris is nice."}';

/** The files named: a folder stands for its files (not hidden ones), in name order; - is stdin. */
export function inputFiles(args: string[]): string[] {
  const files: string[] = [];
  for (const a of args) {
    let st: fs.Stats | undefined;
    try {
      st = a === '-' ? undefined : fs.statSync(a);
    } catch {
      throw new DataError(a, undefined, 'file not found', 'check the path, or pipe text in: echo "…" | ner tag');
    }
    if (st?.isDirectory()) {
      const inside = fs.readdirSync(a).filter((n) => !n.startsWith('.')).sort().map((n) => path.join(a, n)).filter((f) => fs.statSync(f).isFile());
      if (inside.length === 0) throw new DataError(a, undefined, 'is a folder with no files in it', 'pass a folder of text files, or the files themselves');
      files.push(...inside);
    } else files.push(a);
  }
  return files;
}

/** Reads one input in chunks, decoding UTF-8 strictly and naming the line of a bad byte. */
async function* chunks(name: string, keepBom: boolean): AsyncGenerator<string> {
  const stream: NodeJS.ReadableStream = name === '-' ? process.stdin : fs.createReadStream(name, { highWaterMark: 1 << 16 }); // 64 KB: the tokens of a chunk are live at once
  const shownName = name === '-' ? '<stdin>' : name;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: keepBom });
  let line = 1;
  try {
    for await (const buf of stream as AsyncIterable<Buffer>) {
      if (buf.includes(0)) throw new DataError(shownName, line + countLines(buf.subarray(0, buf.indexOf(0))), 'this looks like a binary file (it contains a NUL byte), expected text', 'pass a plain-text file');
      let text: string;
      try {
        text = decoder.decode(buf, { stream: true });
      } catch {
        const at = Math.min(badUtf8Line(buf), countLines(buf) + 1); // the line in this chunk (its first when the bad bytes began in the chunk before)
        throw new DataError(shownName, line + at - 1, 'invalid UTF-8 text', 'save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 in > out)');
      }
      line += countLines(buf);
      yield text;
    }
    yield decoder.decode();
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new DataError(shownName, undefined, 'permission denied: cannot read this file', 'make it readable (chmod u+r)');
    if (code === 'EISDIR') throw new DataError(shownName, undefined, 'is a directory, expected a text file', 'pass a file inside it');
    throw new DataError(shownName, line, `cannot read: ${(err as Error).message}`);
  }
}

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  return n;
}

/** Whole lines of an input, with their 1-based numbers; a BOM at the start is dropped. */
async function* lines(name: string): AsyncGenerator<{ line: string; no: number }[]> {
  let rest = '';
  let no = 0;
  for await (const chunk of chunks(name, false)) {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop()!;
    yield parts.map((l) => ({ line: l.endsWith('\r') ? l.slice(0, -1) : l, no: ++no }));
  }
  if (rest.length > 0) yield [{ line: rest.endsWith('\r') ? rest.slice(0, -1) : rest, no: ++no }];
}

function newDoc(id: string | number | undefined, text = '', line?: string): Doc {
  return { id, text, base: 0, at: 0, cp: 0, line };
}

/** The items of every input, a chunk's worth at a time. */
export async function* readItems(files: string[], mode: InputMode): AsyncGenerator<Item[]> {
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    if (mode === 'text') {
      const doc = newDoc(name);
      yield [{ kind: 'start', doc }];
      const splitter = new SentenceSplitter();
      for await (const chunk of chunks(file, true)) {
        doc.text += chunk;
        yield splitter.push(chunk).map((tokens) => ({ kind: 'sentence', doc, tokens }));
      }
      yield [...splitter.end().map((tokens): Item => ({ kind: 'sentence', doc, tokens })), { kind: 'end', doc }];
    } else if (mode === 'tokens') {
      const doc = newDoc(name);
      yield [{ kind: 'start', doc }];
      let sentence: Token[] = [];
      let at = 0; // the tokens' offsets: into the tokens joined by single spaces
      for await (const batch of lines(file)) {
        const out: Item[] = [];
        const end = () => {
          if (sentence.length > 0) out.push({ kind: 'sentence', doc, tokens: sentence });
          sentence = [];
        };
        for (const { line } of batch) {
          const token = line.trim().split(/[ \t]+/)[0];
          if (token === '' || token === '-DOCSTART-') {
            end();
            out.push({ kind: 'line', doc, line: token === '' ? '' : '-DOCSTART- O' });
            continue;
          }
          sentence.push({ text: token, start: at, end: at + token.length });
          at += token.length + 1;
        }
        yield out;
      }
      yield [...(sentence.length > 0 ? [{ kind: 'sentence', doc, tokens: sentence } as Item] : []), { kind: 'end', doc }];
    } else {
      for await (const batch of lines(file)) {
        const out: Item[] = [];
        for (const { line, no } of batch) {
          if (line.trim() === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (err) {
            throw new DataError(name, no, `not valid JSON (${(err as Error).message})`, JSONL_FIX);
          }
          if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(name, no, `expected a JSON object, got ${line.slice(0, 40)}`, JSONL_FIX);
          const record = value as Record<string, unknown>;
          if (typeof record.text !== 'string') {
            throw new DataError(name, no, record.text === undefined ? 'the record has no "text" field' : `"text" is ${JSON.stringify(record.text).slice(0, 40)}, not a string`, JSONL_FIX);
          }
          const id = typeof record.id === 'string' || typeof record.id === 'number' ? record.id : undefined;
          if ('entities' in record) {
            throw new DataError(name, no, 'the record already has an "entities" field', 'rename it: ner tag adds "entities" to each record');
          }
          const doc = newDoc(id, record.text, line.trim());
          out.push({ kind: 'start', doc }, ...tokenize(record.text).map((tokens): Item => ({ kind: 'sentence', doc, tokens })), { kind: 'end', doc });
        }
        yield out;
      }
    }
  }
}
