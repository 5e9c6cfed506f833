// CoNLL files: reading `token ... tag` columns into sentences (with every kind of bad input turned into
// a DataError naming the file, the line and the fix), and writing `token gold predicted` lines that
// conlleval.pl reads. parseConll is pure; readConll and readConllBytes do the file work.

import * as fs from 'node:fs';
import { assertShape, DataError, UsageError } from '../errors.js';
import { detectScheme, entityTypes, validateTag, type TagScheme } from './tags.js';

export interface Sentence {
  tokens: string[];
  /** One tag per token; [] when the file has no tag column (only allowed with requireTags: false). */
  tags: string[];
  /** 1-based line number of the sentence's first token. */
  line: number;
}

export interface Corpus {
  file: string;
  sentences: Sentence[];
  scheme: TagScheme;
  types: string[];
  /** Number of tokens in all sentences (-DOCSTART- lines are not tokens). */
  tokens: number;
}

export interface ConllOptions {
  /** 1-based column holding the tag; default: the last column. */
  tagColumn?: number;
  /** Whether every line must have a tag column (default true). With false, a one-column file gives tags []. */
  requireTags?: boolean;
}

const DOCSTART = '-DOCSTART-';
const FORMAT_HINT = 'A CoNLL file has one token per line, columns separated by spaces or tabs, '
  + 'the token first and the NER tag last (e.g. "Paris NNP B-NP B-LOC"), and a blank line between sentences';

/** Parses CoNLL text. `file` is used only in error messages and in the result. */
export function parseConll(text: string, file: string, opts: ConllOptions = {}): Corpus {
  const requireTags = opts.requireTags ?? true;
  const tagColumn = opts.tagColumn;
  if (tagColumn !== undefined && !(Number.isInteger(tagColumn) && tagColumn >= 2)) {
    throw new UsageError(`tag column must be a whole number of at least 2 (column 1 is the token), got ${tagColumn}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) throw new DataError(file, undefined, 'file is empty, expected CoNLL text', FORMAT_HINT);
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    throw new DataError(file, lineOfOffset(text, nul), 'this looks like a binary file, not CoNLL text (it contains a NUL byte)',
      'pass a plain-text CoNLL file');
  }

  const sentences: Sentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  let firstLine = 0;
  let columns = 0; // set by the first token line
  let columnsLine = 0;
  let tokenCount = 0;
  const endSentence = (): void => {
    if (tokens.length > 0) sentences.push({ tokens, tags, line: firstLine });
    tokens = [];
    tags = [];
  };

  // Unix, Windows and old Mac (CR only) line endings alike
  const lines = text.split(/\r\n?|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    if (line.trim() === '') {
      endSentence();
      continue;
    }
    const fields = line.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);
    if (fields[0] === DOCSTART) {
      endSentence(); // a document start also ends any sentence before it
      continue;
    }
    if (tokens.length === 0 && isComment(fields, columns, tagColumn)) continue;
    if (columns === 0) {
      columns = fields.length;
      columnsLine = lineNo;
      if (columns === 1 && requireTags) {
        throw new DataError(file, lineNo, `found one column ("${clip(line)}"), expected a token and a tag`,
          `${FORMAT_HINT}; a file of bare tokens can only be tagged, not used for training or evaluation`);
      }
      if (tagColumn !== undefined && tagColumn > columns) {
        throw new DataError(file, lineNo, `tag column ${tagColumn} asked for, but the line has only ${columns} columns`,
          `choose a tag column between 2 and ${columns}, or leave it out to use the last column`);
      }
    } else if (fields.length !== columns) {
      throw new DataError(file, lineNo,
        `found ${fields.length} column${fields.length === 1 ? '' : 's'} ("${clip(line)}"), expected ${columns} like the first token line (line ${columnsLine})`,
        `every token line needs the same columns; separate sentences with an empty line. ${FORMAT_HINT}`);
    }
    if (tokens.length === 0) firstLine = lineNo;
    tokens.push(fields[0]);
    tokenCount++;
    if (columns > 1) {
      const column = tagColumn ?? columns;
      const tag = fields[column - 1];
      const problem = validateTag(tag);
      if (problem !== undefined) {
        throw new DataError(file, lineNo, `${problem} (column ${column})`,
          tagColumn === undefined
            ? 'the NER tag must be in the last column, or in the column chosen with the tag-column option'
            : `check that column ${column} holds the NER tags`);
      }
      tags.push(tag);
    }
  }
  endSentence();

  if (sentences.length === 0) {
    throw new DataError(file, undefined, 'no sentences found (only blank lines and -DOCSTART- lines)', FORMAT_HINT);
  }
  const tagSeqs = sentences.map((s) => s.tags);
  return { file, sentences, scheme: detectScheme(tagSeqs), types: entityTypes(tagSeqs), tokens: tokenCount };
}

/**
 * A comment line before a sentence (CoNLL-U's `# sent_id = 1`, `# text = …`): it starts with '#' and is
 * not a token line, i.e. its tag column holds no valid tag or its column count differs from the file's.
 * `#` as a token (`# O`, `#hashtag B-MISC`) still reads as a token.
 */
function isComment(fields: string[], columns: number, tagColumn: number | undefined): boolean {
  if (!fields[0].startsWith('#')) return false;
  if (columns !== 0 && fields.length !== columns) return true;
  if (fields.length < 2) return true;
  const tag = fields[(tagColumn ?? fields.length) - 1];
  return tag === undefined || validateTag(tag) !== undefined;
}

/**
 * Reads and parses a CoNLL file ('-' reads standard input). Every failure is a DataError with a clear
 * message: a missing file, a directory, no read permission, a binary or UTF-16 file, invalid UTF-8, a
 * file too large (an endless device such as /dev/zero stops there, or at its first NUL byte).
 */
export function readConll(path: string, opts: ConllOptions = {}): Corpus {
  const file = path === '-' ? '<stdin>' : path;
  return parseConll(decodeUtf8(readBytes(path), file), file, opts);
}

/** readConll for the command line: standard input is read as a stream, which a pipe that is not ready
 *  yet (a slow writer) only makes wait, where a synchronous read fails with EAGAIN. */
export async function readConllAsync(path: string, opts: ConllOptions = {}): Promise<Corpus> {
  if (path !== '-') return readConll(path, opts);
  const bytes = new ByteCollector('<stdin>');
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) bytes.push(chunk);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError('<stdin>', undefined, `cannot read standard input: ${(err as Error).message}`);
  }
  return parseConll(decodeUtf8(bytes.done(), '<stdin>'), '<stdin>', opts);
}

/** The most a CoNLL file may hold: CoNLL-2003's training file is 3 MB. */
export const MAX_CONLL_BYTES = 1 << 30;

/** Gathers a file's bytes chunk by chunk, stopping at the first NUL byte (a binary file or /dev/zero) or
 *  past MAX_CONLL_BYTES (an endless stream), each with the line where it happens. */
class ByteCollector {
  private parts: Buffer[] = [];
  private size = 0;
  private line = 1;
  constructor(private readonly file: string, private readonly max = MAX_CONLL_BYTES) {}

  push(chunk: Buffer): void {
    if (this.size === 0) utf16Check(chunk, this.file);
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      throw new DataError(this.file, this.line + lineOfByte(chunk.subarray(0, nul), nul) - 1,
        'this looks like a binary file, not CoNLL text (it contains a NUL byte)', 'pass a plain-text CoNLL file');
    }
    this.size += chunk.length;
    if (this.size > this.max) {
      throw new DataError(this.file, undefined, `more than ${this.max / 2 ** 20} MB, too large for a CoNLL file (an endless stream?)`,
        'pass a CoNLL file, or split a huge corpus into several files');
    }
    this.line += lineOfByte(chunk, chunk.length) - 1;
    this.parts.push(chunk);
  }

  done(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
  }
}

/** Reads a file's bytes, turning the usual file-system errors into DataErrors. */
export function readBytes(path: string): Buffer {
  const file = path === '-' ? '<stdin>' : path;
  let fd: number | undefined;
  try {
    if (path !== '-') {
      const st = fs.statSync(path);
      if (st.isDirectory()) throw new DataError(path, undefined, 'is a directory, expected a CoNLL file', 'pass the path of a file inside it');
      if (st.isFile() && st.size > MAX_CONLL_BYTES) tooLarge(path, st.size);
    }
    fd = path === '-' ? 0 : fs.openSync(path, 'r');
    const bytes = new ByteCollector(file);
    for (;;) {
      const buf = Buffer.allocUnsafe(1 << 20);
      const n = readSomeSync(fd, buf);
      if (n === 0) break;
      bytes.push(buf.subarray(0, n));
    }
    return bytes.done();
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (path === '-') throw new DataError('<stdin>', undefined, `cannot read standard input: ${(err as Error).message}`);
    if (code === 'ENOENT') throw new DataError(path, undefined, 'file not found', 'check the path (it is relative to the current directory)');
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DataError(path, undefined, 'permission denied: cannot read this file', 'make it readable (chmod u+r) or pass another file');
    }
    if (code === 'EISDIR') throw new DataError(path, undefined, 'is a directory, expected a CoNLL file', 'pass the path of a file inside it');
    if (code === 'ENOTDIR') throw new DataError(path, undefined, 'file not found (a part of the path is not a directory)', 'check the path');
    throw new DataError(path, undefined, `cannot read file (${code ?? (err as Error).message})`);
  } finally {
    if (fd !== undefined && fd !== 0) fs.closeSync(fd);
  }
}

function tooLarge(path: string, size: number): never {
  throw new DataError(path, undefined, `${(size / 2 ** 20).toFixed(0)} MB, more than ${MAX_CONLL_BYTES / 2 ** 20} MB: too large for a CoNLL file`,
    'split a huge corpus into several files');
}

/** One read; a non-blocking descriptor (a pipe on stdin) that has no data yet is waited for, 10 ms at a time. */
function readSomeSync(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** Refuses text that starts with a UTF-16 byte order mark (its NUL bytes would otherwise read as a binary file). */
function utf16Check(bytes: Uint8Array, file: string): void {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DataError(file, 1, 'this file is UTF-16 text, expected UTF-8', 'convert it, e.g. iconv -f UTF-16 -t UTF-8 in > out');
  }
}

/** Decodes UTF-8 strictly; on a bad byte sequence names the line it is on. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  utf16Check(bytes, file);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataError(file, lineOfByte(bytes, nul), 'this looks like a binary file, not CoNLL text (it contains a NUL byte)',
      'pass a plain-text CoNLL file');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(file, badUtf8Line(bytes), 'invalid UTF-8 text', 'save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 in > out)');
  }
}

/** The 1-based line of `bytes` that holds the first invalid UTF-8 sequence (lines.length + 1 when none). */
export function badUtf8Line(bytes: Uint8Array): number {
  // A newline byte never occurs inside a multi-byte UTF-8 sequence, so decoding line by line finds the culprit.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 1;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      break;
    }
    start = end + 1;
    line++;
  }
  return line;
}

/**
 * `token gold predicted` lines, one blank line after each sentence: the input conlleval.pl expects.
 * predicted[i] holds the tags predicted for sentences[i].
 */
export function formatPredictions(sentences: Sentence[], predicted: string[][]): string {
  assertShape(predicted.length === sentences.length, 'formatPredictions (sentences)', sentences.length, predicted.length);
  const out: string[] = [];
  for (let s = 0; s < sentences.length; s++) {
    const { tokens, tags, line } = sentences[s];
    const guess = predicted[s];
    if (tags.length !== tokens.length) {
      throw new UsageError(`sentence at line ${line} has no gold tags; formatPredictions needs a tagged corpus`);
    }
    assertShape(guess.length === tokens.length, `formatPredictions (tags of the sentence at line ${line})`, tokens.length, guess.length);
    for (let i = 0; i < tokens.length; i++) out.push(`${tokens[i]} ${tags[i]} ${guess[i]}\n`);
    out.push('\n');
  }
  return out.join('');
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function clip(line: string): string {
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
