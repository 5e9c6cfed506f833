// `ner select`: the N sentences of a raw text that a model would learn most from, pre-annotated by it, for
// people who label in another tool (CoNLL, doccano JSONL or a Label Studio task list with predictions).
// The choice is `ner annotate`'s (src/annotate/select.ts); the writers are src/data/formats'.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import { DataError } from '../errors.js';
import { tokenize } from '../data/tokenize.js';
import { docOfEntities, formatDocs, Problems } from '../data/formats/index.js';
import { mostUseful, shuffled } from '../annotate/select.js';
import { MEASURES, scoreSentences, type Measure } from '../annotate/uncertainty.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Rng } from '../rng.js';
import { DEFAULT_MODEL, intOption, loadModelFor, out, paint, shown } from './common.js';
import { guardRun } from '../io/outputs.js';

const OUT_FORMATS = ['conll', 'doccano', 'labelstudio'] as const;

interface SelectOpts {
  n: number;
  model: string;
  by: Measure;
  format: (typeof OUT_FORMATS)[number];
  output?: string;
  seed: number;
  embeddings?: string;
  quiet?: boolean;
}

export function selectCommand(): Command {
  return new Command('select')
    .description('the N sentences of a text most worth labelling (the model is least sure of them), pre-annotated, for labelling in another tool')
    .argument('<text>', 'raw text file (one paragraph or sentence per line)')
    .option('-n <n>', 'how many sentences', intOption('-n', 1), 100)
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .addOption(new Option('--by <measure>', 'lc: least-confident Viterbi path (default); margin: the least decided token; entropy: total token entropy; random').choices([...MEASURES]).default('lc'))
    .addOption(new Option('--format <format>', 'conll (token and IOB2 tag per line), doccano (JSONL), labelstudio (a JSON task list with the entities as predictions)').choices([...OUT_FORMATS]).default('conll'))
    .option('-o, --output <file>', 'write here (atomically) instead of stdout')
    .option('--seed <n>', 'seed of --by random', intOption('--seed', 0), 1)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .option('-q, --quiet', 'no progress messages')
    .addHelpText('after', `
Examples:
  $ ner select notes.txt -n 200 --model models/ner.json > first-200.conll
  $ ner select notes.txt -n 500 --format labelstudio --output tasks.json     # import into Label Studio
  $ ner select notes.txt -n 500 --format doccano --by margin > batch.jsonl`)
    .action(async (text: string, opts: SelectOpts) => {
      await runSelect(text, opts);
    });
}

async function runSelect(file: string, opts: SelectOpts): Promise<void> {
  guardRun({ inputs: [{ option: 'the text', file }, { option: '--model', file: opts.model }], outputs: [{ option: '--output', file: opts.output }] });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError(file, undefined, 'file not found', 'check the path');
  }
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new DataError(file, undefined, 'the text has no words', 'pass a text file with one paragraph or sentence per line');
  const model = await loadModelFor(opts.model, opts.embeddings, opts.quiet ?? false);
  const sentences = tokens.map((s) => s.map((t) => t.text));
  const all = sentences.map((_, i) => i);
  const scored = scoreSentences(model, sentences, opts.by);
  const chosen = opts.by === 'random' ? shuffled(all, new Rng(opts.seed)).slice(0, opts.n) : mostUseful(sentences, all, scored, opts.n);
  // each sentence as its own document: its text from the input, the model's entities in offsets into it
  const docs = chosen.map((i) => {
    const toks = tokens[i];
    const from = toks[0].start;
    const entities = scored[i].spans.map((e) => ({ start: toks[e.start].start - from, end: toks[e.end - 1].end - from, type: e.type, prob: e.prob }));
    return docOfEntities(text.slice(from, toks.at(-1)!.end), entities, i + 1);
  });
  const problems = new Problems();
  const body = formatDocs(opts.format, docs, problems, { labelStudio: { prediction: true, modelVersion: shown(opts.model) } });
  if (opts.output !== undefined) writeFileAtomic(opts.output, body);
  else await out(body);
  if (!opts.quiet) {
    const nTok = chosen.reduce((s, i) => s + sentences[i].length, 0);
    const ents = chosen.reduce((s, i) => s + scored[i].spans.length, 0);
    process.stderr.write(`${paint.dim(`${shown(file)}: chose ${chosen.length} of ${sentences.length} sentences (${nTok.toLocaleString('en-US')} tokens, ${ents} entities proposed) by ${opts.by}${opts.output ? `; wrote ${shown(opts.output)}` : ''}`)}\n`);
  }
}
