// `ner tag`: raw text in (a file, or stdin), entities out. The text is streamed: it is read in chunks,
// split into sentences as it arrives and tagged a batch at a time, so memory stays flat on huge inputs
// and output starts before the input ends.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import { DataError } from '../errors.js';
import { attachEmbeddings, readModelFile } from '../model-io.js';
import type { NerModel } from '../ner-model.js';
import { tagSentences } from '../predict.js';
import { SentenceSplitter, type Token } from '../tokenize.js';
import { DEFAULT_MODEL, DEMO_TEXT, ink, loadEmbeddingsFor, out } from './common.js';

type Format = 'inline' | 'conll' | 'json';

export function tagCommand(): Command {
  return new Command('tag')
    .description('find the entities in raw text')
    .argument('[file]', 'text file; - or a pipe reads stdin (default: the sample text data/sample.txt)')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .addOption(new Option('--format <format>', 'inline: the text with entities marked; conll: a token and its tag per line; json: entities with offsets and probability').choices(['inline', 'conll', 'json']).default('inline'))
    .option('-q, --quiet', 'no progress messages')
    .addHelpText('after', `
Examples:
  $ ner tag                                          # the sample text, with models/ner.json
  $ echo "Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989." | ner tag
  $ ner tag news.txt --format json > entities.json`)
    .action(async (file: string | undefined, opts) => {
      await runTag(file, opts);
    });
}

interface TagOpts {
  model: string;
  embeddings?: string;
  format: Format;
  quiet?: boolean;
}

export interface TaggedEntity {
  text: string;
  type: string;
  start: number; // offsets into the input text (UTF-16 code units, end exclusive)
  end: number;
  prob: number;
}

/** Reads the input in chunks, decoding UTF-8 strictly and naming the line of a bad byte. */
async function* chunks(file: string | undefined): AsyncGenerator<string> {
  const name = file === undefined || file === '-' ? '<stdin>' : file;
  let stream: NodeJS.ReadableStream;
  if (name === '<stdin>') stream = process.stdin;
  else {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(name);
    } catch {
      throw new DataError(name, undefined, 'file not found', 'check the path, or pipe text in: echo "…" | ner tag');
    }
    if (stat.isDirectory()) throw new DataError(name, undefined, 'is a directory, expected a text file', 'pass a file inside it');
    stream = fs.createReadStream(name, { highWaterMark: 1 << 20 });
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  try {
    for await (const buf of stream as AsyncIterable<Buffer>) {
      if (buf.includes(0)) throw new DataError(name, line + countLines(buf.subarray(0, buf.indexOf(0))), 'this looks like a binary file (it contains a NUL byte), expected text', 'pass a plain-text file');
      let text: string;
      try {
        text = decoder.decode(buf, { stream: true });
      } catch {
        throw new DataError(name, line, 'invalid UTF-8 text (near this line)', 'save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 in > out)');
      }
      line += countLines(buf);
      yield text;
    }
    yield decoder.decode();
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new DataError(name, undefined, 'permission denied: cannot read this file', 'make it readable (chmod u+r)');
    throw new DataError(name, line, `cannot read: ${(err as Error).message}`);
  }
}

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  return n;
}

const TYPE_COLOURS = [ink.bgBlue, ink.bgGreen, ink.bgMagenta, ink.bgCyan, ink.bgYellow, ink.bgRed];

/** Streams entities for each batch of sentences to a writer, in the chosen format. */
class Writer {
  private text = ''; // input text not yet written (inline format)
  private base = 0; // stream offset of text[0]
  private first = true;
  constructor(
    private readonly model: NerModel,
    private readonly format: Format,
    private readonly colour: boolean,
  ) {}

  mark(span: string, type: string): string {
    if (!this.colour) return `[${span}]${type}`;
    const i = this.model.labels.types.indexOf(type);
    return TYPE_COLOURS[i % TYPE_COLOURS.length].black(span) + ink.dim(type);
  }

  feed(chunk: string): void {
    if (this.format === 'inline') this.text += chunk;
  }

  async write(sentences: Token[][]): Promise<void> {
    if (sentences.length === 0) return;
    const decoded = tagSentences(this.model, sentences.map((s) => s.map((t) => t.text)));
    const parts: string[] = [];
    if (this.format === 'json' && this.first) parts.push('[');
    let pos = this.base;
    sentences.forEach((s, si) => {
      const d = decoded[si];
      if (this.format === 'conll') {
        s.forEach((t, i) => parts.push(`${t.text} ${d.tags[i]}\n`));
        parts.push('\n');
        return;
      }
      for (const e of d.spans) {
        const start = s[e.start].start;
        const end = s[e.end - 1].end;
        if (this.format === 'json') {
          const ent: TaggedEntity = { text: '', type: e.type, start, end, prob: Math.round(e.prob * 1e4) / 1e4 };
          ent.text = s.slice(e.start, e.end).map((t) => t.text).join(' ');
          parts.push(`${this.first ? '\n' : ',\n'}  ${JSON.stringify(ent)}`);
          this.first = false;
        } else {
          parts.push(this.text.slice(pos - this.base, start - this.base), this.mark(this.text.slice(start - this.base, end - this.base), e.type));
          pos = end;
        }
      }
    });
    if (this.format === 'inline') {
      const last = sentences[sentences.length - 1];
      const upto = last[last.length - 1].end;
      parts.push(this.text.slice(pos - this.base, upto - this.base));
      this.text = this.text.slice(upto - this.base);
      this.base = upto;
    }
    if (this.format === 'json' && this.first) {
      parts.shift(); // nothing to open yet
      if (parts.length === 0) return;
    }
    await out(parts.join(''));
  }

  async end(): Promise<void> {
    if (this.format === 'inline') await out(this.text);
    if (this.format === 'json') await out(this.first ? '[]\n' : '\n]\n');
  }
}

export async function runTag(file: string | undefined, opts: TagOpts): Promise<void> {
  const input = file ?? (process.stdin.isTTY ? DEMO_TEXT : '-');
  const mf = readModelFile(opts.model);
  const emb = await loadEmbeddingsFor(opts.embeddings ?? mf.embeddings.source, !!opts.quiet);
  const model = attachEmbeddings(mf, emb);
  const writer = new Writer(model, opts.format, ink.level > 0 && !!process.stdout.isTTY);
  const splitter = new SentenceSplitter();
  let batch: Token[][] = [];
  let tokens = 0;
  const flush = async () => {
    await writer.write(batch);
    batch = [];
    tokens = 0;
  };
  for await (const chunk of chunks(input)) {
    writer.feed(chunk);
    for (const s of splitter.push(chunk)) {
      batch.push(s);
      tokens += s.length;
      if (tokens >= 4096) await flush();
    }
    if (tokens > 0) await flush();
  }
  batch.push(...splitter.end());
  await flush();
  await writer.end();
}
