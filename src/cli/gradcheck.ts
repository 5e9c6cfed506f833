// `ner gradcheck`: parse options, build (or load) a model and take real windows from a CoNLL file, call
// gradcheck() for one head × activation (or all of them), print its table; a failing block exits 1.

import { Command, Option } from 'commander';
import { readConllAsync } from '../data/conll.js';
import { DEFAULT_EMBEDDINGS, type Embeddings } from '../embeddings/embeddings.js';
import { NerError, UsageError } from '../errors.js';
import { C } from '../model/features.js';
import {
  type GradcheckProblem,
  type GradcheckReport,
  DEFAULT_SAMPLES,
  DEFAULT_TOLERANCE,
  gradcheck,
  modelProblem,
  randomProblem,
} from '../check/gradcheck.js';
import { ACTIVATIONS, HEADS, type Activation, type Head } from '../model/model.js';
import { DEFAULT_CONFIG } from '../model/ner-model.js';
import { DEMO_TRAIN, ink, intOption, loadEmbeddingsFor, loadModelFor, numberOption, out, paint, shown } from './common.js';

const D = DEFAULT_CONFIG;
const DEFAULT_WINDOWS = 8;
/** Options that describe a fresh model, so they make no sense with --model. */
const MODEL_SHAPE_OPTIONS = ['head', 'activation', 'hidden', 'window', 'casing', 'subword', 'shape', 'all'];

export function gradcheckCommand(): Command {
  return new Command('gradcheck')
    .description('check the hand-derived gradients (every parameter block, x and the word vectors) against finite differences and an autodiff graph, on real windows')
    .option('-m, --model <file>', 'check a trained model (default: a fresh model initialised from --seed)')
    .option('--embeddings <file>', `word vectors (default: ${DEFAULT_EMBEDDINGS}; with --model, the ones it was trained with)`)
    .addOption(new Option('--head <type>', 'ovr: one binary classifier per entity type; softmax: softmax over tags; logistic: one binary classifier per tag').choices(HEADS).default(D.head))
    .addOption(new Option('--activation <f>', 'hidden non-linearity f').choices(ACTIVATIONS).default(D.activation))
    .option('--hidden <H>', 'hidden units (per classifier for ovr)', intOption('--hidden', 1, 4096), D.hidden)
    .option('--window <w>', 'words on each side of the centre word', intOption('--window', 0, 10), D.window)
    .option('--no-casing', 'drop the casing feature from x')
    .option('--shape', 'add the word-shape one-hot group to x')
    .option('--subword <D>', 'size of the character n-gram vector in each block of x (0: none); its table rows are checked too', intOption('--subword', 0, 1024), D.subword)
    .option('--all', `check every head × activation combination (${HEADS.length * ACTIVATIONS.length} checks)`)
    .option('--data <file>', 'CoNLL file the windows are taken from (default: the demo corpus data/demo/train.conll)')
    .option('--tag-column <n>', 'column holding the tag (1-based; default: the last)', intOption('--tag-column', 2, 1000))
    .option('--windows <N>', 'number of windows (half of them centred inside entities)', intOption('--windows', 1, 256), DEFAULT_WINDOWS)
    .option('--samples <N>', 'entries per block checked by finite differences (the graph engine checks every entry)', intOption('--samples', 1, 1_000_000), DEFAULT_SAMPLES)
    .option('--seed <n>', 'seed for the model, the windows and the sampled entries', intOption('--seed', 0, 2 ** 31 - 1), D.seed)
    .addOption(new Option('--tolerance <t>', 'a block passes when its relative errors are below this')
      .argParser(numberOption('--tolerance', (v) => v > 0 && v < 1, 'a number in (0, 1), e.g. 1e-6')).default(DEFAULT_TOLERANCE, DEFAULT_TOLERANCE.toExponential()))
    .option('-q, --quiet', 'no progress messages')
    .addHelpText('after', `
Exit code 1 when any block fails.

Examples:
  $ ner gradcheck                                   # the defaults (${D.head} head, ${D.activation}) on ${DEFAULT_WINDOWS} windows of the demo corpus
  $ ner gradcheck --all --data ../shared/data/conll2003/train.txt
  $ ner gradcheck --model models/ner.json`)
    .action(async (opts: GradcheckOpts, cmd: Command) => {
      if (opts.model) {
        const clash = MODEL_SHAPE_OPTIONS.filter((o) => cmd.getOptionValueSource(o) === 'cli');
        if (clash.length > 0) {
          throw new UsageError(`--model cannot be combined with ${clash.map((o) => (o === 'casing' ? '--no-casing' : `--${o}`)).join(', ')}`,
            'a model file fixes its head, activation and sizes: drop those options, or drop --model to check a fresh model');
        }
      }
      if (opts.all) {
        const clash = ['head', 'activation'].filter((o) => cmd.getOptionValueSource(o) === 'cli');
        if (clash.length > 0) throw new UsageError(`--all checks every head and activation, so it cannot be combined with ${clash.map((o) => `--${o}`).join(', ')}`, 'drop one of them');
      }
      await runGradcheck(opts);
    });
}

interface GradcheckOpts {
  model?: string;
  embeddings?: string;
  head: Head;
  activation: Activation;
  hidden: number;
  window: number;
  casing: boolean;
  shape?: boolean;
  subword: number;
  all?: boolean;
  data?: string;
  tagColumn?: number;
  windows: number;
  samples: number;
  seed: number;
  tolerance: number;
  quiet?: boolean;
}

export async function runGradcheck(opts: GradcheckOpts): Promise<void> {
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(paint.dim(s) + '\n');
  };
  const dataFile = opts.data ?? DEMO_TRAIN;
  const corpus = await readConllAsync(dataFile, { tagColumn: opts.tagColumn });
  say(`${shown(corpus.file)}: ${corpus.sentences.length.toLocaleString('en-US')} sentences, ${corpus.tokens.toLocaleString('en-US')} tokens, types ${corpus.types.join(' ')}`);

  const problems: (() => GradcheckProblem)[] = [];
  if (opts.model) {
    const model = await loadModelFor(opts.model, opts.embeddings, !!opts.quiet);
    problems.push(() => modelProblem(model, corpus.sentences, opts.windows, opts.seed));
  } else {
    const emb: Embeddings = await loadEmbeddingsFor(opts.embeddings ?? DEFAULT_EMBEDDINGS, !!opts.quiet);
    const combos = opts.all ? HEADS.flatMap((head) => ACTIVATIONS.map((activation) => ({ head, activation }))) : [{ head: opts.head, activation: opts.activation }];
    for (const c of combos) {
      const spec = { ...c, hidden: opts.hidden, window: opts.window, casing: opts.casing, shape: !!opts.shape, subword: opts.subword, scheme: D.scheme };
      problems.push(() => randomProblem(emb, corpus.sentences, spec, opts.windows, opts.seed));
    }
  }

  const failed: string[] = [];
  for (const [i, make] of problems.entries()) {
    const t0 = performance.now();
    const problem = make();
    const report = gradcheck(problem, { samples: opts.samples, tolerance: opts.tolerance, seed: opts.seed });
    say(`checked ${report.head} × ${report.activation} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (i === 0) {
      const what = opts.model ? `gradcheck of model ${shown(opts.model)}` : `gradcheck of a fresh model (seed ${opts.seed})`;
      await out(formatLegend(what, report.B, shown(corpus.file), report.eps, report.tolerance, opts.samples));
    }
    await out('\n' + formatReport(report, problem));
    if (!report.pass) failed.push(`${report.head} × ${report.activation}: ${failures(report).join(', ')}`);
  }
  if (problems.length > 1) {
    const passed = problems.length - failed.length;
    await out(`\n${passed} of ${problems.length} head × activation checks pass\n`);
  }
  if (failed.length > 0) {
    throw new NerError(`gradient check failed (${failed.join('; ')})`,
      'the hand-derived gradient disagrees with the finite differences and/or the graph engine: see the table; x and e(w) come from backward\'s ∂J/∂x and features.ts scatterWordGrads');
  }
}

function failures(r: GradcheckReport): string[] {
  return [
    ...(r.lossOk ? [] : ['J differs from the graph engine\'s']),
    ...r.blocks.filter((b) => !b.pass).map((b) => b.name),
    ...r.shapes.filter((s) => !s.ok).map((s) => s.formula),
  ];
}

// ── formatting ──────────────────────────────────────────────────────────────────────────────────

const sci = (v: number) => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(1) : String(v));
const num = (v: number) => v.toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? ink.green('pass') : ink.red('FAIL'));

/** Left-aligned columns (the last one may be coloured: widths are taken before colouring). */
function table(rows: string[][], last: string[]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => '  ' + r.map((cell, j) => cell.padEnd(widths[j])).join('   ') + '   ' + last[i]);
}

/** What the columns mean; printed once before the reports. */
export function formatLegend(what: string, B: number, dataFile: string, eps: number, tolerance: number, samples: number): string {
  return [
    `${what}; ${B} windows from ${dataFile}; J = the mean loss over the windows`,
    `a = the hand-derived gradient (model.ts backward, δ form; e(w): ∂J/∂x routed to the word-table rows by scatterWordGrads)`,
    `fd = centred finite differences, ε = ${eps.toExponential()}, on up to ${samples} seeded entries per block; graph = the autodiff engine (graph.ts), every entry`,
    `a block passes when ‖a − fd‖ / (‖a‖ + ‖fd‖) and ‖a − graph‖ / (‖a‖ + ‖graph‖) are both < ${tolerance.toExponential()}`,
  ].join('\n') + '\n';
}

/** The centre words and their targets, e.g. "Toshiba/MISC", at most `max` of them. */
function windowList(p: GradcheckProblem, head: string, max = 10): string {
  const name = (y: number) => (head === 'ovr' ? (y === 0 ? 'O' : p.outputs[y - 1]) : p.outputs[y]);
  const items = p.tokens.slice(0, max).map((t, i) => `${t}/${name(p.y[i])}`);
  return items.join(' ') + (p.tokens.length > max ? ` … (${p.tokens.length - max} more)` : '');
}

export function formatReport(r: GradcheckReport, p: GradcheckProblem): string {
  const { dims, shape } = r;
  const lines: string[] = [];
  const P = 2 * shape.window + 1;
  const parts = [`${shape.d}`, ...(shape.sub ? [`${shape.sub} subword`] : []), ...(shape.useCasing ? [`${C} casing`] : []), ...(shape.groups ?? []).map((g) => `${g.size} ${g.name}`)];
  const m = parts.length > 1 ? `(${parts.join(' + ')})` : parts[0];
  const outputs = r.head === 'ovr' ? `K = ${dims.K} classifiers (${p.outputs.join(' ')})` : `K = ${dims.K} tags (${p.outputs.slice(0, 4).join(' ')} …)`;
  lines.push(ink.bold(`${r.head} head, ${r.activation}, H = ${dims.H}, window ${shape.window}: n = ${P} × ${m} = ${dims.n}, ${outputs}`));
  lines.push(`  windows centred on: ${windowList(p, r.head)}`);
  lines.push(`  J = ${r.J.toFixed(6)}, graph engine J = ${r.JGraph.toFixed(6)}${r.lossOk ? '' : ' ' + ink.red('DIFFERENT')}`);
  lines.push('');
  const rows = [['block', 'shape', 'checked by fd', 'max |a − fd|', 'rel err fd', 'rel err graph']];
  const last = ['result'];
  for (const b of r.blocks) {
    const checked = `${num(b.checked)} of ${num(b.size)}${b.kinks ? ` (${b.kinks} at a relu kink skipped)` : ''}`;
    rows.push([b.name, b.shape, checked, sci(b.maxAbsNumeric), sci(b.relNumeric), sci(b.relGraph)]);
    last.push(verdict(b.pass));
  }
  const t = table(rows, last);
  lines.push(ink.bold(t[0]), ...t.slice(1));
  lines.push('');
  const s = r.statement;
  lines.push(`  the lecture's statements for window 1 ("${s.token}") and its score s = s_${s.output}, with δ = u ∘ f'(z):`);
  const srows = r.shapes.map((x) => [x.formula, x.gradShape, `= the shape of ${x.param}${x.note ? ` (${x.note})` : ''}`, `rel err ${sci(x.relError)}`]);
  lines.push(...table(srows, r.shapes.map((x) => (x.ok ? ink.green('ok') : ink.red('FAIL')))));
  lines.push(`  ${r.pass ? ink.green('all gradients agree') : ink.red('FAILED: ' + failures(r).join(', '))}`);
  return lines.join('\n') + '\n';
}
