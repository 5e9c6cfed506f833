// `ner tag`: raw text in (a file, or stdin), entities out. The text is streamed: it is read in chunks,
// split into sentences as it arrives and tagged a batch at a time, so memory stays flat on huge inputs
// and output starts before the input ends. With no file and a terminal on stdin it is an interactive
// prompt instead: type a sentence, see its entities highlighted, Ctrl-D to quit.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as readline from 'node:readline';
import { Tagger } from '../predict/predict.js';
import { bracketed, findEntities, taggedSentences, type Entity, type TaggedSentence } from '../predict/entities.js';
import type { Decoded } from '../model/labels.js';
import { TagPipeline } from '../predict/tag-pipeline.js';
import { DataError, InterruptedError } from '../errors.js';
import type { NerModel } from '../model/ner-model.js';
import { SentenceSplitter, tokenize, type Token } from '../data/tokenize.js';
import { badUtf8Line } from '../data/conll.js';
import { DEFAULT_MODEL, ink, intOption, loadModelFor, numberOption, out, paint, shown } from './common.js';

type Format = 'inline' | 'conll' | 'json' | 'brackets';

export function tagCommand(): Command {
  return new Command('tag')
    .description('find the entities in raw text (with no file on a terminal: an interactive prompt)')
    .argument('[file]', 'text file; - or a pipe reads stdin; none on a terminal: type sentences interactively')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .addOption(
      new Option('--format <format>', 'inline: the text with entities marked (coloured on a terminal); conll: a token and its tag per line; json: entities with offsets and probability; brackets: one tokenized sentence per line, [Paris Hilton]PER')
        .choices(['inline', 'conll', 'json', 'brackets'])
        .default('inline'),
    )
    .option('--min-prob <p>', 'drop entities whose probability is below p', numberOption('--min-prob', (v) => v >= 0 && v <= 1, 'a probability in [0, 1], e.g. 0.8'), 0)
    .option('--threads <n>', 'threads: 2 lets a second thread score half of the hidden units (a large hidden layer, as the ovr head has) or whole batches of sentences while this one reads and writes (a small one); the same output either way (default: 2 on a machine with 2 or more cores, else 1)', intOption('--threads', 1, 2))
    .option('-q, --quiet', 'no progress messages')
    .option('-v, --verbose', 'report sentences, tokens, entities and speed at the end (stderr)')
    .addHelpText('after', `
Examples:
  $ ner tag                                          # interactive: type a sentence, Ctrl-D to quit
  $ ner tag data/sample.txt                          # the sample text, with models/ner.json
  $ echo "Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989." | ner tag
  $ ner tag news.txt --format brackets --min-prob 0.9
  $ ner tag news.txt --format json > entities.json`)
    .action(async (file: string | undefined, opts) => {
      await runTag(file, opts);
    });
}

interface TagOpts {
  model: string;
  embeddings?: string;
  format: Format;
  minProb: number;
  threads?: number;
  quiet?: boolean;
  verbose?: boolean;
}

/** One entity of `--format json`. */
export type TaggedEntity = Entity;

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
    stream = fs.createReadStream(name, { highWaterMark: 1 << 16 }); // 64 KB: the tokens of a chunk are live at once
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
        const at = Math.min(badUtf8Line(buf), countLines(buf) + 1); // the line in this chunk (its first when the bad bytes began in the chunk before)
        throw new DataError(name, line + at - 1, 'invalid UTF-8 text', 'save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 in > out)');
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

// Memory for the tagger's cached per-word products (float32, in the WebAssembly arena of kernels-wasm.ts,
// which caps it at what the arena has free: about 56 MB). A large text's whole vocabulary fits for the
// softmax head (CoNLL: ~18k words × 2 KB); the ovr head needs 8 KB a word, so about 7k of them are kept
// (the most frequent). The process stays under 300 MB peak.
const TAG_CACHE_BYTES = 96 * 2 ** 20;

// Sharing the hidden units with a second thread pays when each chunk has much work per token (the ovr
// head: 4 groups of hidden units, 400 with the defaults); with the softmax head's 100 units the hand-over
// costs about what the thread saves (1M-token benchmark: ovr 143k → 211k tokens/s, softmax 291k → 261k),
// and the second thread tags whole batches instead (tag-pipeline.ts: softmax 3.54–3.98 s → 2.91–2.96 s
// for 1M tokens, the whole process, three alternating pairs; the ovr head through the pipeline took
// 6.27–6.36 s against 5.76–5.78 s with its units shared).
const THREADS_FROM_UNITS = 256;

/** Whether a second thread takes half of the model's hidden units (tag-worker.ts); if not, it tags whole
 *  batches while this thread reads and writes (tag-pipeline.ts). */
function sharesUnits(model: NerModel): boolean {
  return (model.dims.head === 'ovr' ? model.dims.K : 1) * model.dims.H >= THREADS_FROM_UNITS;
}

/** The default --threads on this machine: 2 with two cores or more. */
function defaultThreads(): number {
  return os.availableParallelism() >= 2 ? 2 : 1;
}

const TYPE_COLOURS = [ink.bgBlue, ink.bgGreen, ink.bgMagenta, ink.bgCyan, ink.bgYellow, ink.bgRed];

/** An entity's text marked for the terminal (coloured background) or as [text]TYPE without colour. */
function mark(model: NerModel, span: string, type: string, colour: boolean): string {
  if (!colour) return `[${span}]${type}`;
  const i = model.labels.types.indexOf(type);
  return TYPE_COLOURS[(i < 0 ? 0 : i) % TYPE_COLOURS.length].black(span) + ink.dim(type);
}

/** Streams entities for each batch of sentences to stdout, in the chosen format. */
class Writer {
  private text = ''; // input text not yet written (inline format)
  private base = 0; // stream offset of text[0]
  private first = true;
  counts = { sentences: 0, tokens: 0, entities: 0 };
  private readonly tagger: Tagger | null = null;
  private readonly pipeline: TagPipeline | null = null;
  // through the pipeline: each batch sent is written as soon as the thread has tagged it and the batches
  // before it are written (the chain), without waiting for more input; `written` holds a promise for each
  // batch not written yet
  private chain: Promise<void> = Promise.resolve();
  private readonly written: Promise<void>[] = [];
  constructor(
    private readonly model: NerModel,
    private readonly format: Format,
    private readonly colour: boolean,
    private readonly minProb: number,
    threads: number,
  ) {
    if (threads > 1 && !sharesUnits(model)) this.pipeline = new TagPipeline(model, TAG_CACHE_BYTES);
    else this.tagger = new Tagger(model, { budgetBytes: TAG_CACHE_BYTES, threads });
  }

  feed(chunk: string): void {
    if (this.format === 'inline') this.text += chunk;
  }

  /** Tags a batch and writes it; through the pipeline, sends it to the thread, to be written once tagged,
   *  and returns unless more than three batches are waiting there (then it waits for the oldest). */
  async write(sentences: Token[][]): Promise<void> {
    if (sentences.length === 0) return;
    if (this.pipeline === null) return this.emit(findEntities(this.tagger!, sentences, this.minProb), sentences);
    const spans = this.pipeline.tag(sentences.map((s) => s.map((t) => t.text)));
    spans.catch(() => {}); // (awaited in the chain: see below)
    this.chain = this.chain.then(async () => this.emit(taggedSentences(sentences, await spans, this.minProb), sentences));
    const done = this.chain;
    done.catch(() => {}); // a failure is thrown where the batch is awaited, not reported as unhandled
    this.written.push(done);
    while (this.written.length > 3) await this.written.shift();
  }

  private async emit(tagged: TaggedSentence[], sentences: Token[][]): Promise<void> {
    const parts: string[] = [];
    if (this.format === 'json' && this.first) parts.push('[');
    let pos = this.base;
    for (const s of tagged) {
      this.counts.sentences++;
      this.counts.tokens += s.tokens.length;
      this.counts.entities += s.entities.length;
      if (this.format === 'conll') {
        s.tokens.forEach((t, i) => parts.push(`${t.text} ${s.tags[i]}\n`));
        parts.push('\n');
      } else if (this.format === 'brackets') {
        parts.push(bracketed(s) + '\n');
      } else if (this.format === 'json') {
        for (const e of s.entities) {
          const ent: TaggedEntity = { text: e.text, type: e.type, start: e.start, end: e.end, prob: Math.round(e.prob * 1e4) / 1e4 };
          parts.push(`${this.first ? '\n' : ',\n'}  ${JSON.stringify(ent)}`);
          this.first = false;
        }
      } else {
        for (const e of s.entities) {
          parts.push(this.text.slice(pos - this.base, e.start - this.base), mark(this.model, this.text.slice(e.start - this.base, e.end - this.base), e.type, this.colour));
          pos = e.end;
        }
      }
    }
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

  cacheStats(): { capacity: number; fills: number } {
    return (this.tagger ?? this.pipeline!).cacheStats();
  }

  close(): void {
    this.tagger?.close();
    this.pipeline?.close();
  }

  async end(): Promise<void> {
    await this.chain;
    this.written.length = 0;
    if (this.format === 'inline') await out(this.text);
    if (this.format === 'json') await out(this.first ? '[]\n' : '\n]\n');
  }
}

export async function runTag(file: string | undefined, opts: TagOpts): Promise<void> {
  const interactive = file === undefined && !!process.stdin.isTTY;
  const input = file ?? '-';
  const model = await loadModelFor(opts.model, opts.embeddings, !!opts.quiet);
  if (interactive) return interact(model, opts.model, opts);
  const t0 = performance.now();
  const writer = new Writer(model, opts.format, ink.level > 0 && !!process.stdout.isTTY, opts.minProb, opts.threads ?? defaultThreads());
  try {
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
    if (opts.verbose) {
      const { capacity, fills } = writer.cacheStats();
      process.stderr.write(paint.dim(`word products computed ${fills.toLocaleString('en-US')} times (cache: ${capacity.toLocaleString('en-US')} words)\n`));
    }
  } finally {
    writer.close();
  }
  if (opts.verbose) {
    const c = writer.counts;
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(paint.dim(`${c.sentences.toLocaleString('en-US')} sentences, ${c.tokens.toLocaleString('en-US')} tokens, ${c.entities.toLocaleString('en-US')} entities in ${seconds.toFixed(2)} s (${Math.round(c.tokens / Math.max(seconds, 1e-9)).toLocaleString('en-US')} tokens/s)\n`));
  }
}

/** One typed line, tagged: the line with its entities highlighted, then each entity with its probability. */
export function formatInteractive(model: NerModel, line: string, sentences: TaggedSentence[], colour: boolean): string {
  const entities = sentences.flatMap((s) => s.entities);
  let text = '';
  let pos = 0;
  for (const e of entities) {
    text += line.slice(pos, e.start) + mark(model, line.slice(e.start, e.end), e.type, colour);
    pos = e.end;
  }
  text += line.slice(pos);
  const list = entities.map((e) => `${e.type} ${ink.bold(e.text)} ${ink.dim(e.prob.toFixed(2))}`).join(ink.dim('  ·  '));
  return `  ${text.trim()}\n  ${entities.length ? list : ink.dim('(no entities)')}\n`;
}

/** The interactive prompt: a line in, its entities out, until Ctrl-D (exit 0) or Ctrl-C twice (exit 130). */
async function interact(model: NerModel, file: string, opts: TagOpts): Promise<void> {
  const colour = ink.level > 0 && !!process.stdout.isTTY;
  const output = process.stdout.isTTY ? process.stdout : process.stderr;
  if (!opts.quiet) {
    process.stderr.write(`${paint.bold('ner tag')} ${paint.dim(`${shown(file)}: ${model.labels.types.join(' ')}`)}\n`);
    process.stderr.write(paint.dim(`type a sentence and press Enter; Ctrl-D to quit${opts.minProb > 0 ? `; entities below p = ${opts.minProb} are hidden` : ''}\n`));
  }
  const rl = readline.createInterface({ input: process.stdin, output, prompt: colour ? ink.cyan('> ') : '> ', historySize: 200, terminal: true });
  let interrupted = false;
  let warned = false;
  rl.on('SIGINT', () => {
    // Ctrl-C clears a typed line; on an empty line it asks once, and quits the second time
    if (rl.line.length > 0 || !warned) {
      output.write(rl.line.length > 0 ? '^C\n' : paint.dim('\n(press Ctrl-C again or Ctrl-D to quit)\n'));
      warned = rl.line.length === 0;
      Object.assign(rl, { line: '', cursor: 0 }); // drop the typed text (readline has no public call for this)
      rl.prompt();
      return;
    }
    interrupted = true;
    rl.close();
  });
  rl.prompt();
  for await (const line of rl) {
    warned = false;
    if (line.trim()) {
      const tagged = findEntities(model, tokenize(line), opts.minProb);
      await out(formatInteractive(model, line, tagged, colour));
    }
    rl.prompt();
  }
  output.write('\n');
  if (interrupted) throw new InterruptedError('interrupted (Ctrl-C)');
}
