// The labelled output of `ner annotate`: a CoNLL file (`token TAG`, IOB2, a blank line after each
// sentence) to which each accepted sentence is appended and flushed to disk at once, so that a crash, a
// Ctrl-C or a SIGKILL loses nothing accepted. A sentence is written in one write() that ends with its
// blank line; a file that does not end so was cut in the middle of a write, and opening it drops that
// torn last sentence (it was never acknowledged to the page). Undo of the last accept truncates the file
// back to where that sentence began.

import * as fs from 'node:fs';
import { parseConll } from '../data/conll.js';
import { encodeSpans, spansFromTags, type Span } from '../data/tags.js';
import { NerError } from '../errors.js';

export interface LabelledSentence {
  tokens: string[];
  spans: Span[];
}

/** The CoNLL block of one sentence, blank line included. */
export function conllBlock(s: LabelledSentence): string {
  const tags = encodeSpans(s.spans, s.tokens.length, 'IOB2');
  return s.tokens.map((t, i) => `${t} ${tags[i]}\n`).join('') + '\n';
}

/** A sentence's identity for "already labelled": its tokens joined by single spaces. */
export function sentenceKey(tokens: string[]): string {
  return tokens.join(' ');
}

export class LabelledFile {
  /** How many times each sentence (by key) is in the file. */
  readonly counts = new Map<string, number>();
  sentences = 0;
  entities = 0;
  /** Bytes cut off a torn last sentence when the file was opened. */
  readonly repairedBytes: number;
  private size: number;

  constructor(readonly file: string) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new NerError(`cannot read ${file}: ${(err as Error).message}`, 'check the path and its permissions');
    }
    let keep = text.length;
    if (keep > 0 && !text.endsWith('\n\n')) {
      const end = text.lastIndexOf('\n\n');
      keep = end < 0 ? 0 : end + 2;
    }
    this.repairedBytes = Buffer.byteLength(text.slice(keep));
    text = text.slice(0, keep);
    if (this.repairedBytes > 0) {
      fs.truncateSync(file, Buffer.byteLength(text));
    }
    if (text.trim() !== '') {
      for (const s of parseConll(text, file).sentences) this.count(s.tokens, spansFromTags(s.tags).length, 1);
    }
    this.size = Buffer.byteLength(text);
  }

  private count(tokens: string[], entities: number, by: 1 | -1): void {
    const k = sentenceKey(tokens);
    const c = (this.counts.get(k) ?? 0) + by;
    if (c > 0) this.counts.set(k, c);
    else this.counts.delete(k);
    this.sentences += by;
    this.entities += by * entities;
  }

  has(tokens: string[]): boolean {
    return this.counts.has(sentenceKey(tokens));
  }

  /** Appends one sentence and flushes it to disk; returns the file's size before, for undo. */
  append(s: LabelledSentence): number {
    const before = this.size;
    const data = Buffer.from(conllBlock(s), 'utf8');
    const fd = fs.openSync(this.file, 'a');
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.size = before + data.length;
    this.count(s.tokens, s.spans.length, 1);
    return before;
  }

  /** Removes the sentence appended last (append returned `before`). */
  removeLast(s: LabelledSentence, before: number): void {
    fs.truncateSync(this.file, before);
    const fd = fs.openSync(this.file, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.size = before;
    this.count(s.tokens, s.spans.length, -1);
  }
}
