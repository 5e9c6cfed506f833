// `ner eval`: score a model on labelled CoNLL files, conlleval-exact, as a table, conlleval's text or JSON.

import { Command, Option } from 'commander';
import { writeFileAtomic } from '../atomic.js';
import { formatPredictions, readConll, type Corpus } from '../conll.js';
import { evaluate, formatConlleval, type EvalResult } from '../metrics.js';
import { attachEmbeddings, readModelFile } from '../model-io.js';
import type { NerModel } from '../ner-model.js';
import { tagSentences } from '../predict.js';
import { encodeSpans } from '../tags.js';
import { DEFAULT_MODEL, DEMO_DEV, ink, intOption, loadEmbeddingsFor, out, shown } from './common.js';

export function evalCommand(): Command {
  return new Command('eval')
    .description('score a model on labelled CoNLL files: entity precision, recall and F1 exactly as conlleval computes them')
    .argument('[file...]', 'labelled CoNLL file(s); - reads stdin (default: the demo dev set data/demo/dev.conll)')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .addOption(new Option('--format <format>', 'table: readable; conlleval: conlleval.pl\'s text, byte for byte; json: for scripts').choices(['table', 'conlleval', 'json']).default('table'))
    .option('--predictions <file>', 'also write "token gold predicted" lines (conlleval.pl reads them)')
    .option('--tag-column <n>', 'column holding the gold tag (1-based; default: the last)', intOption('--tag-column', 2, 1000))
    .option('-q, --quiet', 'no progress messages')
    .addHelpText('after', `
Examples:
  $ ner eval                                         # models/ner.json on the demo dev set
  $ ner eval ../shared/data/conll2003/dev.txt --format conlleval --predictions /tmp/dev.pred`)
    .action(async (files: string[], opts) => {
      await runEval(files, opts);
    });
}

interface EvalOpts {
  model: string;
  embeddings?: string;
  format: 'table' | 'conlleval' | 'json';
  predictions?: string;
  tagColumn?: number;
  quiet?: boolean;
}

export interface Scored {
  corpus: Corpus;
  predicted: string[][]; // in the gold file's scheme
  result: EvalResult;
}

/** Tags a labelled corpus and scores it (the predictions are written in the gold file's tag scheme). */
export function scoreCorpus(model: NerModel, corpus: Corpus): Scored {
  const tokens = corpus.sentences.map((s) => s.tokens);
  const decoded = tagSentences(model, tokens);
  const predicted = decoded.map((d, i) => encodeSpans(d.spans, tokens[i].length, corpus.scheme));
  const result = evaluate(corpus.sentences.map((s) => s.tags), predicted, tokens);
  return { corpus, predicted, result };
}

const pct = (v: number) => v.toFixed(2).padStart(6);

export function formatTable(r: EvalResult, title: string): string {
  const lines: string[] = [];
  lines.push(ink.bold(title));
  lines.push(`${r.tokens.toLocaleString('en-US')} tokens, ${r.gold} gold entities, ${r.found} found, ${r.correct} correct; token accuracy ${r.accuracy.toFixed(2)} %`);
  lines.push('');
  lines.push(ink.bold(`${'type'.padEnd(10)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'F1'.padStart(6)} ${'gold'.padStart(6)} ${'found'.padStart(6)}`));
  for (const t of r.perType) {
    lines.push(`${t.type.padEnd(10)} ${pct(t.precision)} ${pct(t.recall)} ${pct(t.f1)} ${String(t.gold).padStart(6)} ${String(t.found).padStart(6)}`);
  }
  const f1 = r.f1 >= 85 ? ink.green(pct(r.f1)) : r.f1 >= 60 ? ink.yellow(pct(r.f1)) : ink.red(pct(r.f1));
  lines.push(ink.bold(`${'overall'.padEnd(10)} ${pct(r.precision)} ${pct(r.recall)} `) + f1 + ` ${String(r.gold).padStart(6)} ${String(r.found).padStart(6)}`);
  return lines.join('\n') + '\n';
}

export async function runEval(files: string[], opts: EvalOpts): Promise<void> {
  const inputs = files.length > 0 ? files : [DEMO_DEV];
  const corpora = inputs.map((f) => readConll(f, { tagColumn: opts.tagColumn }));
  const mf = readModelFile(opts.model);
  const emb = await loadEmbeddingsFor(opts.embeddings ?? mf.embeddings.source, !!opts.quiet);
  const model = attachEmbeddings(mf, emb);
  const scored = corpora.map((c) => scoreCorpus(model, c));
  if (opts.predictions) {
    writeFileAtomic(opts.predictions, scored.map((s) => formatPredictions(s.corpus.sentences, s.predicted)).join(''));
  }
  // Several files are scored as one stream, as conlleval would score their concatenation.
  const all =
    scored.length === 1
      ? scored[0].result
      : evaluate(
          scored.flatMap((s) => s.corpus.sentences.map((x) => x.tags)),
          scored.flatMap((s) => s.predicted),
          scored.flatMap((s) => s.corpus.sentences.map((x) => x.tokens)),
        );
  if (opts.format === 'conlleval') await out(formatConlleval(all));
  else if (opts.format === 'json') {
    await out(JSON.stringify({ model: mf.file, files: inputs, ...all }, null, 2) + '\n');
  } else await out(formatTable(all, `${shown(mf.file)} on ${inputs.map(shown).join(', ')}`));
}
