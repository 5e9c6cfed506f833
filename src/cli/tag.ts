// `ner tag`: text in (files, a folder, or stdin; raw text, one token a line, or JSON Lines: tag-input.ts),
// entities out, in order. The input is streamed: read in chunks, split into sentences as it arrives and
// tagged a batch at a time, so memory stays flat on huge inputs and output starts before the input ends;
// JSON Lines in and out makes it a filter for Hadoop Streaming, Spark's pipe() or GNU parallel. Entity
// offsets count code points by default (what Python and the annotation tools count), UTF-16 units with
// --offsets utf16 (JavaScript, Java); an entity's text is always the input's own slice. With no file and a
// terminal on stdin it is an interactive prompt instead: type a sentence, see its entities, Ctrl-D to quit.

import { Command, Option } from 'commander';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as v8 from 'node:v8';
import { bracketed, findEntities, jsonEntity, taggedSentences, type Entity, type TaggedSentence } from '../predict/entities.js';
import { type BatchTagger, type TagThread, batchTagger, startTagThread } from '../predict/tag-pipeline.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { NerModel } from '../model/ner-model.js';
import { tokenize, type Token } from '../data/tokenize.js';
import { OFFSET_UNITS, type OffsetUnit } from '../data/formats/index.js';
import { DEFAULT_MODEL, ink, intOption, loadModelFor, numberOption, out, paint, refuseClosedStdout, shown } from './common.js';
import { inputFiles, readItems, type Doc, type InputMode, type Item } from './tag-input.js';

type Format = 'inline' | 'conll' | 'json' | 'jsonl' | 'brackets';
const FORMATS: readonly Format[] = ['inline', 'conll', 'json', 'jsonl', 'brackets'];
const INPUTS: readonly InputMode[] = ['text', 'tokens', 'jsonl'];
/** The output format when none is asked for: the one that suits the input. */
const FORMAT_FOR: Record<InputMode, Format> = { text: 'inline', tokens: 'conll', jsonl: 'jsonl' };

export function tagCommand(): Command {
  return new Command('tag')
    .description('find the entities in text: files, a folder or stdin (with no file on a terminal: an interactive prompt)')
    .argument('[files...]', 'text files or folders; - or a pipe reads stdin; none on a terminal: type sentences interactively')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .addOption(new Option('--input <kind>', 'text: raw text; tokens: one token per line, a blank line between sentences (a CoNLL file; other columns ignored); jsonl: one {"id", "text"} object a line (default: jsonl for .jsonl files, tokens for .conll, else text)').choices([...INPUTS]))
    .addOption(
      new Option('--format <format>', 'inline: the text with entities marked (coloured on a terminal); conll: a token and its tag per line; json: entities with offsets and probability; jsonl: one {"id", "text", "entities"} line per document or record; brackets: one tokenized sentence per line, [Paris Hilton]PER (default: inline for text, conll for tokens, jsonl for jsonl)')
        .choices([...FORMATS]),
    )
    .addOption(new Option('--offsets <unit>', 'unit of the json and jsonl offsets: codepoint (Python, the annotation tools) or utf16 (JavaScript, Java)').choices([...OFFSET_UNITS]).default('codepoint'))
    .option('--min-prob <p>', 'drop entities whose probability is below p', numberOption('--min-prob', (v) => v >= 0 && v <= 1, 'a probability in [0, 1], e.g. 0.8'), 0)
    .option('--threads <n>', 'threads: 2 lets a second thread score whole batches of sentences while this one reads and writes; the same output either way (default: 2 on a machine with 2 or more cores, else 1)', intOption('--threads', 1, 2))
    .option('-q, --quiet', 'no progress messages')
    .option('-v, --verbose', 'report sentences, tokens, entities and speed at the end (stderr)')
    .addHelpText('after', `
Several files or a folder: one JSON Lines record per file (its path as "id"); inline, brackets and conll
output start each file with a "# path" line.

Examples:
  $ ner tag                                          # interactive: type a sentence, Ctrl-D to quit
  $ ner tag data/sample.txt                          # the sample text, with models/ner.json
  $ echo "Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989." | ner tag
  $ ner tag news.txt --format brackets --min-prob 0.9
  $ ner tag news/ --format jsonl > entities.jsonl    # a folder: a record per file
  $ ner tag test.conll --input tokens > pred.conll   # lines up with test.conll: paste, conlleval
  $ ner tag --input jsonl < docs.jsonl > tagged.jsonl  # a filter: {"id", "text"} in, + "entities" out`)
    .action(async (files: string[], opts) => {
      await runTag(files, opts);
    });
}

interface TagOpts {
  model: string;
  embeddings?: string;
  input?: InputMode;
  format?: Format;
  offsets: OffsetUnit;
  minProb: number;
  threads?: number;
  quiet?: boolean;
  verbose?: boolean;
}

/** One entity of `--format json` and of each `--format jsonl` record. */
export type TaggedEntity = Entity;

// Memory for the tagger's cached per-word products (float32, in the WebAssembly arena of src/fast/arena.ts,
// which caps it at what the arena has free: about 56 MB). A large text's whole vocabulary fits for the
// softmax head (CoNLL: ~18k words × 2 KB); the ovr head needs 8 KB a word, so about 7k of them are kept
// (the most frequent). The process stays under 300 MB peak.
const TAG_CACHE_BYTES = 96 * 2 ** 20;

// Sentences are tagged a batch at a time: at most this many tokens, or what one read of the input (64 KB,
// about 12k tokens of English) completes, so that output starts while input still arrives. Each batch costs
// a round trip to the second thread, so a read is one batch, not three or four.
const BATCH_TOKENS = 16_384;

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

const PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** A UTF-16 offset into a document (at or after its cursor) in the unit asked for; moves the cursor there. */
function offsetIn(doc: Doc, at: number, unit: OffsetUnit): number {
  if (unit === 'utf16') return at;
  // code points = UTF-16 units less one for each surrogate pair (the cursor never stops inside a pair)
  const piece = doc.text.slice(doc.at - doc.base, at - doc.base);
  doc.cp += piece.length - (piece.match(PAIR)?.length ?? 0);
  doc.at = at;
  return doc.cp;
}

/** Streams the tagged items to stdout in the chosen format, in input order. */
class Writer {
  private first = true; // no entity written yet (json)
  counts = { sentences: 0, tokens: 0, entities: 0 };
  private readonly tagger: BatchTagger;
  // each batch is written as soon as it is tagged and the batches before it are written (the chain),
  // without waiting for more input; `written` holds a promise for each batch not written yet
  private chain: Promise<void> = Promise.resolve();
  private readonly written: Promise<void>[] = [];
  // the entities of the document being written (jsonl)
  private entities: TaggedEntity[] = [];
  constructor(
    private readonly model: NerModel,
    private readonly format: Format,
    private readonly input: InputMode,
    private readonly colour: boolean,
    private readonly minProb: number,
    private readonly unit: OffsetUnit,
    private readonly several: boolean,
    threads: number,
    thread: TagThread | undefined,
  ) {
    this.tagger = batchTagger(model, { budgetBytes: TAG_CACHE_BYTES, threads, thread });
  }

  /** Sends a batch to the tagger, to be written once tagged, and returns unless more than three batches
   *  are waiting (then it waits for the oldest). */
  async write(items: Item[]): Promise<void> {
    if (items.length === 0) return;
    const sentences = items.flatMap((it) => (it.kind === 'sentence' ? [it.tokens] : []));
    const spans = sentences.length > 0 ? this.tagger.tag(sentences.map((s) => s.map((t) => t.text))) : Promise.resolve([]);
    spans.catch(() => {}); // (awaited in the chain: see below)
    this.chain = this.chain.then(async () => this.emit(items, taggedSentences(sentences, await spans, this.minProb)));
    const done = this.chain;
    done.catch(() => {}); // a failure is thrown where the batch is awaited, not reported as unhandled
    this.written.push(done);
    while (this.written.length > 3) await this.written.shift();
  }

  private async emit(items: Item[], tagged: TaggedSentence[]): Promise<void> {
    const parts: string[] = [];
    const { format } = this;
    let k = 0;
    for (const it of items) {
      const doc = it.doc;
      if (it.kind === 'start') {
        this.entities = [];
        if (this.several && format !== 'json' && format !== 'jsonl') parts.push(`# ${doc.id}\n`);
        continue;
      }
      if (it.kind === 'line') {
        if (format === 'conll') parts.push(it.line + '\n');
        continue;
      }
      if (it.kind === 'end') {
        if (format === 'inline') parts.push(doc.text);
        else if (format === 'jsonl') {
          // a record goes out as it came in, byte for byte, with "entities" added at its end
          const entities = JSON.stringify(this.entities);
          const line = doc.line ?? JSON.stringify({ id: doc.id, text: doc.text });
          parts.push(`${line.slice(0, -1)},"entities":${entities}}\n`); // (never {}: a record has a text)
        }
        doc.text = ''; // (a document's text is not needed once it is written)
        continue;
      }
      const s = tagged[k++];
      this.counts.sentences++;
      this.counts.tokens += s.tokens.length;
      this.counts.entities += s.entities.length;
      if (format === 'conll') {
        s.tokens.forEach((t, i) => parts.push(`${t.text} ${s.tags[i]}\n`));
        if (this.input !== 'tokens') parts.push('\n'); // (tokens: the blank lines are the input's own)
      } else if (format === 'brackets') {
        parts.push(bracketed(s) + '\n');
      } else if (format === 'inline') {
        for (const e of s.entities) {
          parts.push(doc.text.slice(0, e.start - doc.base), mark(this.model, doc.text.slice(e.start - doc.base, e.end - doc.base), e.type, this.colour));
          doc.text = doc.text.slice(e.end - doc.base);
          doc.base = e.end;
        }
        const upto = s.tokens[s.tokens.length - 1].end;
        parts.push(doc.text.slice(0, upto - doc.base));
        doc.text = doc.text.slice(upto - doc.base);
        doc.base = upto;
      } else {
        for (const e of s.entities) {
          const text = this.input === 'tokens' ? e.text : doc.text.slice(e.start - doc.base, e.end - doc.base);
          const start = this.input === 'tokens' ? e.start : offsetIn(doc, e.start, this.unit);
          const end = this.input === 'tokens' ? e.end : offsetIn(doc, e.end, this.unit);
          const ent: TaggedEntity = jsonEntity(text, e.type, start, end, e.prob);
          if (format === 'jsonl') this.entities.push(ent);
          else {
            const withDoc = this.several ? { ...ent, doc: doc.id } : ent;
            parts.push(`${this.first ? '[\n' : ',\n'}  ${JSON.stringify(withDoc)}`);
            this.first = false;
          }
        }
        if (format === 'json' && this.input === 'text' && s.tokens.length > 0) {
          // the text before this sentence's end is not needed again (offsets only grow): let it go
          const upto = s.tokens[s.tokens.length - 1].end;
          offsetIn(doc, upto, this.unit);
          doc.text = doc.text.slice(upto - doc.base);
          doc.base = upto;
        }
      }
    }
    if (parts.length > 0) await out(parts.join(''));
  }

  cacheStats(): { capacity: number; fills: number } {
    return this.tagger.cacheStats();
  }

  close(): void {
    this.tagger.close();
  }

  async end(): Promise<void> {
    await this.chain;
    this.written.length = 0;
    if (this.format === 'json') await out(this.first ? '[]\n' : '\n]\n');
  }
}

/** The input kind a file's name suggests when --input is not given. */
function inputFor(files: string[]): InputMode {
  if (files.length > 0 && files.every((f) => f.endsWith('.jsonl'))) return 'jsonl';
  if (files.length > 0 && files.every((f) => /\.(conll|bio|iob)$/.test(f))) return 'tokens';
  return 'text';
}

// V8 lets the old generation grow to about four times what survived its last full collection before it
// collects again. A tagged stream is garbage in bulk that lived through a few scavenges (a batch lives
// until it is written), so the heap then grew to ~150 MB for ~30 MB of live data and tagging 1M tokens
// peaked at ~350 MB. Growing by half of what survived keeps that peak under 300 MB, for a few more
// full collections (about 5 % more CPU time on the 1M-token benchmark). V8 reads this flag whenever it
// sets the next limit, so setting it here, once, is enough; it changes when memory is collected, never
// what is computed.
const HEAP_GROWING_PERCENT = 50;

export async function runTag(args: string[], opts: TagOpts): Promise<void> {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const interactive = args.length === 0 && !!process.stdin.isTTY;
  if (!interactive) refuseClosedStdout();
  const files = args.length === 0 ? ['-'] : inputFiles(args);
  const input = opts.input ?? inputFor(files);
  const format = opts.format ?? FORMAT_FOR[input];
  if (input === 'tokens' && format !== 'conll' && format !== 'brackets') {
    throw new UsageError(`--input tokens writes --format conll or brackets, not ${format}: the tokens have no text to give offsets into`, 'use --format conll (it lines up with the input) or brackets');
  }
  const threads = interactive ? 1 : (opts.threads ?? defaultThreads());
  const thread = threads > 1 ? startTagThread() : undefined; // it starts up while the model loads
  let model: NerModel;
  try {
    model = await loadModelFor(opts.model, opts.embeddings, !!opts.quiet);
  } catch (err) {
    void thread?.worker.terminate();
    throw err;
  }
  if (interactive) return interact(model, opts.model, opts);
  const t0 = performance.now();
  const writer = new Writer(model, format, input, ink.level > 0 && !!process.stdout.isTTY, opts.minProb, opts.offsets, files.length > 1, threads, thread);
  try {
    let batch: Item[] = [];
    let tokens = 0;
    const flush = async () => {
      await writer.write(batch);
      batch = [];
      tokens = 0;
    };
    for await (const items of readItems(files, input)) {
      for (const it of items) {
        batch.push(it);
        if (it.kind !== 'sentence') continue;
        tokens += it.tokens.length;
        if (tokens >= BATCH_TOKENS) await flush();
      }
      if (tokens > 0) await flush();
    }
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
