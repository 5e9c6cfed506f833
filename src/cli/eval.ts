// `ner eval`: score a model on labelled CoNLL files, conlleval-exact, and show what to improve: per-type
// scores, the entity-type confusion matrix, the most frequent errors and OOV vs in-vocabulary F1 — as a
// table, conlleval's text (byte for byte), JSON, and optionally an HTML report.

import { Command, Option } from 'commander';
import { combine, oovSplit, scoreCorpus, type OovSplit } from '../eval/analysis.js';
import { writeFileAtomic } from '../io/atomic.js';
import { guardRun } from '../io/outputs.js';
import { formatPredictions } from '../data/conll.js';
import { addInputFormatOptions, readLabelledFor, type InputFormatOpts } from './input-format.js';
import { pretrainedId } from '../model/features.js';
import { formatConlleval } from '../eval/conlleval.js';
import type { EvalResult } from '../eval/metrics.js';
import { evalReportHtml } from '../report/report.js';
import { DEFAULT_MODEL, DEMO_DEV, ink, intOption, loadModelFor, out, paint, shown } from './common.js';

export function evalCommand(): Command {
  return addInputFormatOptions(new Command('eval'))
    .description('score a model on labelled CoNLL files: entity precision, recall and F1 exactly as conlleval computes them, with an error analysis')
    .argument('[file...]', 'labelled CoNLL file(s); - reads stdin (default: the demo dev set data/demo/dev.conll)')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .addOption(new Option('--format <format>', 'table: readable, with the error analysis; conlleval: conlleval.pl\'s text, byte for byte; json: everything, for scripts').choices(['table', 'conlleval', 'json']).default('table'))
    .option('--report <file.html>', 'also write a self-contained HTML report (training curves, per-type scores, confusion matrix, errors, configuration)')
    .option('--predictions <file>', 'also write "token gold predicted" lines (conlleval.pl reads them)')
    .option('--errors <n>', 'how many of the most frequent errors the table lists', intOption('--errors', 0, 100000), 10)
    .option('--tag-column <n>', 'column holding the gold tag (1-based; default: the last)', intOption('--tag-column', 2, 1000))
    .option('-q, --quiet', 'no progress messages')
    .option('-v, --verbose', 'also print timings and, for several files, each file\'s own scores (stderr)')
    .addHelpText('after', `
Examples:
  $ ner eval                                         # models/ner.json on the demo dev set
  $ ner eval ../shared/data/conll2003/dev.txt --report dev.html
  $ ner eval dev.conll --format conlleval --predictions /tmp/dev.pred
  $ ner eval dev.conll --format json | jq '.oov, .perType'`)
    .action(async (files: string[], opts) => {
      await runEval(files, opts);
    });
}

interface EvalOpts extends InputFormatOpts {
  model: string;
  embeddings?: string;
  format: 'table' | 'conlleval' | 'json';
  report?: string;
  predictions?: string;
  errors: number;
  tagColumn?: number;
  quiet?: boolean;
  verbose?: boolean;
}

const pct = (v: number) => v.toFixed(2).padStart(6);
const coloured = (f1: number) => (f1 >= 85 ? ink.green(pct(f1)) : f1 >= 60 ? ink.yellow(pct(f1)) : ink.red(pct(f1)));

/** The per-type score table, then the error analysis sections. */
export function formatTable(r: EvalResult, title: string, oov?: OovSplit, topErrors = 10): string {
  const lines: string[] = [];
  lines.push(ink.bold(title));
  lines.push(`${r.tokens.toLocaleString('en-US')} tokens, ${r.gold} gold entities, ${r.found} found, ${r.correct} correct; token accuracy ${r.accuracy.toFixed(2)} %`);
  lines.push('');
  lines.push(ink.bold(`${'type'.padEnd(10)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'F1'.padStart(6)} ${'gold'.padStart(6)} ${'found'.padStart(6)}`));
  for (const t of r.perType) {
    lines.push(`${t.type.padEnd(10)} ${pct(t.precision)} ${pct(t.recall)} ${pct(t.f1)} ${String(t.gold).padStart(6)} ${String(t.found).padStart(6)}`);
  }
  lines.push(ink.bold(`${'overall'.padEnd(10)} ${pct(r.precision)} ${pct(r.recall)} `) + coloured(r.f1) + ` ${String(r.gold).padStart(6)} ${String(r.found).padStart(6)}`);

  if (oov) {
    lines.push('');
    lines.push(ink.bold('OOV vs in-vocabulary entities') + ink.dim(` (OOV: a word with no pretrained vector; ${oov.oovTokenRate.toFixed(1)} % of tokens)`));
    lines.push(ink.bold(`${''.padEnd(10)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'F1'.padStart(6)} ${'gold'.padStart(6)} ${'found'.padStart(6)}`));
    for (const [name, g] of [['OOV', oov.oov], ['in-vocab', oov.inVocab]] as const) {
      lines.push(`${name.padEnd(10)} ${pct(g.precision)} ${pct(g.recall)} ${pct(g.f1)} ${String(g.gold).padStart(6)} ${String(g.found).padStart(6)}`);
    }
  }

  if (r.confusion.types.length > 0) {
    lines.push('');
    lines.push(ink.bold('confusion matrix') + ink.dim(' (rows: gold type, columns: predicted type, same boundaries; missed/spurious: no span with those boundaries)'));
    lines.push(...formatConfusion(r));
  }

  if (topErrors > 0) {
    lines.push('');
    const shownErrors = r.errors.slice(0, topErrors);
    lines.push(ink.bold(`most frequent errors`) + ink.dim(` (${shownErrors.length} of ${r.errors.length} distinct; --errors N for more)`));
    if (shownErrors.length === 0) lines.push('  none');
    const countWidth = Math.max(5, ...shownErrors.map((e) => String(e.count).length));
    for (const e of shownErrors) {
      const detail =
        e.kind === 'wrong type' ? `${ink.bold(e.text ?? '')} ${ink.dim(`(${e.gold} → ${e.predicted})`)}`
        : e.kind === 'wrong boundary' ? `${ink.bold(e.text ?? '')} ${ink.dim(`(${e.gold})`)} → ${e.predictedText ?? ''} ${ink.dim(`(${e.predicted})`)}`
        : e.kind === 'missed' ? `${ink.bold(e.text ?? '')} ${ink.dim(`(${e.gold})`)}`
        : `${ink.bold(e.text ?? '')} ${ink.dim(`(${e.predicted})`)}`;
      lines.push(`${String(e.count).padStart(countWidth)}  ${e.kind.padEnd(15)}${detail}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The confusion matrix as aligned text rows; the diagonal in green, errors in red. */
export function formatConfusion(r: EvalResult): string[] {
  const { rowLabels, colLabels, counts } = r.confusion;
  const T = r.confusion.types.length;
  const first = Math.max(10, ...rowLabels.map((l) => l.length + 1));
  const width = Math.max(6, ...colLabels.map((l) => l.length + 1), ...counts.flat().map((v) => String(v).length + 1));
  const lines = [ink.bold(`${'gold \\ pred'.padEnd(first)}${colLabels.map((c) => c.padStart(width)).join('')}`)];
  counts.forEach((row, i) => {
    const cells = row.map((v, j) => {
      const text = (i === T && j === T ? '·' : String(v)).padStart(width);
      if (v === 0 || (i === T && j === T)) return ink.dim(text);
      return i === j ? ink.green(text) : ink.red(text);
    });
    lines.push(`${rowLabels[i].padEnd(first)}${cells.join('')}`);
  });
  return lines;
}

export async function runEval(files: string[], opts: EvalOpts): Promise<void> {
  const t0 = performance.now();
  const inputs = files.length > 0 ? files : [DEMO_DEV];
  guardRun({
    inputs: [...inputs.map((file) => ({ option: 'the file', file })), { option: '--model', file: opts.model }, { option: '--embeddings', file: opts.embeddings }],
    outputs: [{ option: '--predictions', file: opts.predictions }, { option: '--report', file: opts.report, replaces: /<!doctype html|<html/i }],
  });
  const corpora = inputs.map((f) => readLabelledFor(f, opts));
  const model = await loadModelFor(opts.model, opts.embeddings, !!opts.quiet);
  const emb = model.words.emb;
  for (const c of corpora) {
    const unseen = c.types.filter((t) => !model.labels.types.includes(t));
    if (unseen.length > 0) {
      process.stderr.write(paint.yellow(`warning: ${shown(c.file)} has entity types the model was never trained on: ${unseen.join(', ')}; they count as misses\n`));
    }
  }
  const t1 = performance.now();
  const scored = corpora.map((c) => scoreCorpus(model, c));
  const t2 = performance.now();
  if (opts.predictions) {
    writeFileAtomic(opts.predictions, scored.map((s) => formatPredictions(s.corpus.sentences, s.predicted)).join(''));
  }
  // Several files are scored as one stream, as conlleval would score their concatenation.
  const all = combine(scored);
  const extra = all.result.perType.filter((t) => t.gold === 0 && t.found > 0);
  if (extra.length > 0) {
    process.stderr.write(paint.yellow(`warning: the model found ${extra.map((t) => `${t.type} (${t.found})`).join(', ')}, which the gold data never has; these entities all count as spurious\n`));
  }
  const oov = oovSplit(all.gold, all.predicted, all.tokens, (t) => pretrainedId(emb, t) < 0);
  const name = inputs.map(shown).join(', ');
  if (opts.report) writeFileAtomic(opts.report, evalReportHtml(model, { name, result: all.result, oov }, shown(opts.model)));

  if (opts.verbose) {
    const tokens = all.result.tokens;
    process.stderr.write(paint.dim(`read and loaded in ${((t1 - t0) / 1000).toFixed(2)} s; tagged ${tokens.toLocaleString('en-US')} tokens in ${((t2 - t1) / 1000).toFixed(2)} s (${Math.round(tokens / Math.max((t2 - t1) / 1000, 1e-9)).toLocaleString('en-US')} tokens/s)\n`));
    if (scored.length > 1) for (const s of scored) {
      process.stderr.write(paint.dim(`${shown(s.corpus.file)}: P ${s.result.precision.toFixed(2)}  R ${s.result.recall.toFixed(2)}  F1 ${s.result.f1.toFixed(2)}\n`));
    }
  }
  if (opts.format === 'conlleval') await out(formatConlleval(all.result));
  else if (opts.format === 'json') {
    await out(JSON.stringify({ model: opts.model, files: inputs, ...all.result, oov }, null, 2) + '\n');
  } else await out(formatTable(all.result, `${shown(opts.model)} on ${name}`, oov, opts.errors));
  if (opts.report && !opts.quiet) process.stderr.write(`${paint.green('wrote')} ${shown(opts.report)}\n`);
}
