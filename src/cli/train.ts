// `ner train`: parse options, read the CoNLL files and embeddings, call train(), show progress, save.

import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Corpus } from '../data/conll.js';
import { addInputFormatOptions, readLabelledFor, type InputFormatOpts } from './input-format.js';
import { DEFAULT_EMBEDDINGS, type Embeddings } from '../embeddings/embeddings.js';
import { InterruptedError, NerError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { evaluateWithOov } from '../eval/analysis.js';
import { trainingChart } from '../report/chart.js';
import { trainReportHtml } from '../report/report.js';
import { type Checkpoint, type RunSpec, readCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { inputSize, pretrainedId } from '../model/features.js';
import { ACTIVATIONS, HEADS } from '../model/model.js';
import { saveModel } from '../io/model-io.js';
import { setKernelThreads, splitsWork } from '../fast/team.js';
import { DEFAULT_CONFIG, type EpochRecord, type ModelConfig } from '../model/ner-model.js';
import { train } from '../train/train.js';
import {
  DEFAULT_MODEL,
  DEMO_DEV,
  DEMO_TRAIN,
  choiceOption,
  collect,
  intOption,
  loadEmbeddingsFor,
  numberOption,
  paint,
  refuseOverwritingInput,
  shown,
} from './common.js';

const D = DEFAULT_CONFIG;
/** With products big enough to share (splitsWork): one thread per core, up to 8; else one. */
const CORES = Math.min(8, os.availableParallelism());

export function trainCommand(): Command {
  return addInputFormatOptions(new Command('train'))
    .description('train a model on CoNLL files (defaults: the demo corpus in data/ and the wink GloVe vectors)')
    .option('--train <file...>', 'training CoNLL file(s) (default: the demo corpus data/demo/train.conll)')
    .option('--dev <file>', 'dev CoNLL file: scored every epoch, the best epoch is kept (default with the demo corpus: data/demo/dev.conll)')
    .option('--embeddings <file>', 'word vectors: GloVe text, word2vec/fastText .vec, optionally .gz', DEFAULT_EMBEDDINGS)
    .option('--max-words <N>', 'read only the first N words of the vectors (their most frequent): memory grows with N, not the file', intOption('--max-words', 1))
    .option('-o, --output <file>', 'where to write the model', DEFAULT_MODEL)
    .addOption(new Option('--head <type>', 'ovr: one binary classifier per entity type (the lecture); softmax: shared hidden layer, softmax over tags').choices(HEADS).default(D.head))
    .addOption(new Option('--activation <f>', 'hidden non-linearity f').choices(ACTIVATIONS).default(D.activation))
    .option('--hidden <H>', 'hidden units (per classifier for ovr)', intOption('--hidden', 1, 4096), D.hidden)
    .option('--window <w>', 'words on each side of the centre word (2 → a 5-word window)', intOption('--window', 0, 10), D.window)
    .option('--epochs <n>', 'maximum number of passes over the training data', intOption('--epochs', 1, 10000), D.epochs)
    .option('--patience <n>', 'stop after this many epochs without a better dev F1', intOption('--patience', 1, 10000), D.patience)
    .option('--lr <rate>', 'SGD learning rate α', numberOption('--lr', (v) => v > 0, 'a positive number, e.g. 0.2'), D.lr)
    .option('--lr-embed <rate>', 'learning rate of the word vectors (default: --lr)', numberOption('--lr-embed', (v) => v >= 0, 'a number ≥ 0'))
    .option('--lr-decay <k>', 'α_epoch = α / (1 + k·(epoch−1))', numberOption('--lr-decay', (v) => v >= 0, 'a number ≥ 0'), D.lrDecay)
    .option('--batch <B>', 'minibatch size (loss is the mean over the batch)', intOption('--batch', 1, 4096), D.batch)
    .option('--l2 <lambda>', 'L2 weight decay on W and U', numberOption('--l2', (v) => v >= 0, 'a number ≥ 0'), D.l2)
    .option('--no-casing', 'drop the casing feature (the default vectors are lowercase only)')
    .option('--fine-tune', 'also update the pretrained word vectors of the training words', D.fineTune)
    .addOption(new Option('--scheme <scheme>', 'softmax head: tag scheme of the targets').choices(['BIO', 'IOBES']).default(D.scheme))
    .option('--min-count <n>', 'give training words without a pretrained vector their own vector from this count on', intOption('--min-count', 1), D.minCount)
    .option('--word-dropout <p>', 'replace singleton training words by <unk> with this probability', numberOption('--word-dropout', (v) => v >= 0 && v < 1, 'a probability in [0, 1)'), D.wordDropout)
    .option('--threshold <p>', 'ovr head: minimum probability for an entity', numberOption('--threshold', (v) => v > 0 && v < 1, 'a probability in (0, 1)'), D.threshold)
    .option('--entity <type>', 'train only this entity type, e.g. --entity LOC (repeatable; default: every type in the data)', collect)
    .option('--tag-column <n>', 'column holding the tag (1-based; default: the last)', intOption('--tag-column', 2, 1000))
    .option('--seed <n>', 'random seed: the same seed and data give the same model file', intOption('--seed', 0, 2 ** 31 - 1), D.seed)
    .option('--threads <n>', `threads for the matrix products (the model file is the same for any number) (default: ${CORES} when the minibatch's products are big enough to share (1.5M+ multiply-adds, as both heads' are with the defaults), else 1)`, intOption('--threads', 1, 64))
    .option('--resume <checkpoint>', 'continue an interrupted run from the checkpoint it saved (its options and data are reused)')
    .option('--report <file.html>', 'also write a self-contained HTML report: loss and dev P/R/F1 per epoch, per-type dev scores, confusion matrix, configuration')
    .option('-q, --quiet', 'print only the final summary')
    .addHelpText('after', `
Examples:
  $ ner train                                       # demo corpus, default vectors → models/ner.json
  $ ner train --train ../shared/data/conll2003/train.txt --dev ../shared/data/conll2003/dev.txt
  $ ner train --train my.conll --entity LOC --hidden 50 --output models/loc.json
  $ ner train --resume models/ner.json.ckpt              # after Ctrl-C`)
    .action(async (opts) => {
      await runTrain(opts);
    });
}

interface TrainOpts extends InputFormatOpts {
  train?: string[];
  dev?: string;
  embeddings: string;
  maxWords?: number;
  output: string;
  head: ModelConfig['head'];
  activation: ModelConfig['activation'];
  hidden: number;
  window: number;
  epochs: number;
  patience: number;
  lr: number;
  lrEmbed?: number;
  lrDecay: number;
  batch: number;
  l2: number;
  casing: boolean;
  fineTune: boolean;
  scheme: ModelConfig['scheme'];
  minCount: number;
  wordDropout: number;
  threshold: number;
  entity?: string[];
  tagColumn?: number;
  seed: number;
  threads?: number;
  quiet?: boolean;
  resume?: string;
  report?: string;
}

/** Share of tokens with no pretrained vector (after the exact → lower → digits fallbacks). */
function oovRate(emb: Embeddings, c: Corpus): number {
  let miss = 0;
  for (const s of c.sentences) for (const t of s.tokens) if (pretrainedId(emb, t) < 0) miss++;
  return c.tokens ? (100 * miss) / c.tokens : 0;
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

function epochLine(r: EpochRecord, isBest: boolean): string {
  const dev = r.dev ? `${fmt(r.dev.precision).padStart(6)} ${fmt(r.dev.recall).padStart(6)} ${fmt(r.dev.f1).padStart(6)}` : '     –      –      –';
  const tps = Math.round(r.tokensPerSecond).toLocaleString('en-US').padStart(8);
  const mark = isBest ? paint.green(' ★') : '';
  return `${String(r.epoch).padStart(5)} ${r.loss.toFixed(4).padStart(8)} ${dev} ${tps} ${(r.seconds.toFixed(1) + 's').padStart(7)}${mark}`;
}

function configFrom(opts: TrainOpts): ModelConfig {
  return {
    head: opts.head,
    activation: opts.activation,
    hidden: opts.hidden,
    window: opts.window,
    casing: opts.casing,
    fineTune: !!opts.fineTune,
    scheme: opts.scheme,
    epochs: opts.epochs,
    patience: opts.patience,
    lr: opts.lr,
    lrEmbed: opts.lrEmbed ?? opts.lr,
    lrDecay: opts.lrDecay,
    batch: opts.batch,
    l2: opts.l2,
    minCount: opts.minCount,
    wordDropout: opts.wordDropout,
    threshold: opts.threshold,
    entity: opts.entity ?? [],
    seed: opts.seed,
  };
}

/** The run to do: from the options, or from a checkpoint with --resume. */
function runSpec(opts: TrainOpts): { run: Omit<RunSpec, 'fingerprint' | 'tokens'>; resume?: Checkpoint } {
  if (opts.resume) {
    const ckpt = readCheckpoint(opts.resume);
    return { run: ckpt.run, resume: ckpt };
  }
  const train = (opts.train ?? [DEMO_TRAIN]).map((f) => path.resolve(f));
  const dev = opts.dev ?? (opts.train ? undefined : DEMO_DEV);
  return {
    run: { config: configFrom(opts), train, dev: dev ? path.resolve(dev) : null, tagColumn: opts.tagColumn, embeddings: opts.embeddings, ...(opts.maxWords ? { maxWords: opts.maxWords } : {}), output: path.resolve(opts.output) },
  };
}

export async function runTrain(opts: TrainOpts): Promise<void> {
  const quiet = !!opts.quiet;
  const say = (s: string) => {
    if (!quiet) process.stderr.write(s + '\n');
  };
  const { run, resume } = runSpec(opts);
  const { config, output } = run;
  refuseOverwritingInput('--output', opts.resume ? output : opts.output, [...run.train, ...(run.dev ? [run.dev] : []), ...(run.embeddings !== DEFAULT_EMBEDDINGS ? [run.embeddings] : [])]);
  if (!resume && opts.output === DEFAULT_MODEL) fs.mkdirSync(path.dirname(output), { recursive: true });
  else if (!fs.existsSync(path.dirname(output))) {
    throw new UsageError(`--output ${shown(output)}: the directory ${shown(path.dirname(output))} does not exist`, `create it first: mkdir -p ${shown(path.dirname(output))}`);
  }
  const checkpointFile = opts.resume ? path.resolve(opts.resume) : `${output}.ckpt`;

  const readOpts = { ...opts, tagColumn: run.tagColumn };
  const corpora = run.train.map((f) => readLabelledFor(f, readOpts));
  const dev = run.dev ? readLabelledFor(run.dev, readOpts) : null;
  for (const c of [...corpora, ...(dev ? [dev] : [])]) {
    say(`${shown(c.file)}: ${c.sentences.length.toLocaleString('en-US')} sentences, ${c.tokens.toLocaleString('en-US')} tokens, scheme ${c.scheme}, types ${c.types.join(' ')}`);
  }
  const tokens = corpora.reduce((a, c) => a + c.tokens, 0);
  const emb = await loadEmbeddingsFor(run.embeddings, quiet, true, run.maxWords);
  if (resume && (resume.run.fingerprint !== emb.fingerprint || resume.run.tokens !== tokens)) {
    throw new NerError(`${shown(checkpointFile)}: the training files or embeddings changed since the checkpoint was written`, 'resume only with the same data, or train again without --resume');
  }
  for (const c of [...corpora, ...(dev ? [dev] : [])]) say(`${shown(c.file)}: ${fmt(oovRate(emb, c), 1)} % of tokens have no pretrained vector`);

  const bar =
    !quiet && process.stderr.isTTY
      ? new SingleBar({ format: '  epoch {epoch} |{bar}| {percentage}% {value}/{total} tokens  loss {loss}  {eta}s left', hideCursor: true, stream: process.stderr, clearOnComplete: true, etaBuffer: 200 })
      : null;
  let epoch = resume ? resume.state.epoch : 1;
  let barStarted = false;
  if (resume) say(`resuming ${shown(checkpointFile)}: epoch ${resume.state.epoch}, ${resume.state.step.toLocaleString('en-US')} windows done`);
  // the minibatch's product z = Wx + b: batch × n × GH multiply-adds (ovr: one classifier per type)
  const types = config.entity.length > 0 ? config.entity.length : new Set(corpora.flatMap((c) => c.types)).size;
  const GH = (config.head === 'ovr' ? types : 1) * config.hidden;
  const n = inputSize({ window: config.window, d: emb.d, useCasing: config.casing });
  const threads = setKernelThreads(opts.threads ?? (splitsWork(config.batch * n * GH) ? CORES : 1));
  say(`training: ${config.head} head, ${config.activation}, H=${config.hidden}, window ${config.window}, lr ${config.lr}, batch ${config.batch}, seed ${config.seed}${config.fineTune ? ', fine-tuning the vectors' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`);
  say(paint.bold('epoch     loss  dev P  dev R dev F1    tok/s    time'));

  // Ctrl-C / SIGTERM: stop before the next minibatch, save a checkpoint and the best model so far.
  // A second Ctrl-C abandons the run at once.
  let signalled: string | null = null;
  const onSignal = (sig: string) => {
    if (signalled) process.exit(130);
    signalled = sig;
    process.stderr.write(paint.yellow(`\n${sig}: stopping after this step (Ctrl-C again to abandon)\n`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const t0 = performance.now();
  let result;
  try {
    result = await train(
      corpora,
      dev,
      emb,
      config,
      {
        onBatch: (done, total, loss) => {
          if (!bar) return;
          if (!barStarted) {
            bar.start(total, 0, { epoch, loss: '–' });
            barStarted = true;
          }
          if (done === total || done % (config.batch * 50) < config.batch) bar.update(done, { epoch, loss: loss.toFixed(4) });
        },
        onEpoch: (r, isBest) => {
          if (bar && barStarted) bar.stop();
          barStarted = false;
          epoch = r.epoch + 1;
          say(epochLine(r, isBest));
        },
        shouldStop: () => signalled !== null,
      },
      resume?.state,
    );
  } finally {
    if (bar && barStarted) bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const m = result.model;
  const seconds = (performance.now() - t0) / 1000;
  const hasModel = m.history.length > 0;
  if (hasModel) saveModel(m, output);
  const best = m.bestEpoch ? m.history[m.bestEpoch - 1] : m.history[m.history.length - 1];
  const score = best?.dev
    ? `dev P ${fmt(best.dev.precision)}  R ${fmt(best.dev.recall)}  F1 ${fmt(best.dev.f1)} (epoch ${best.epoch})`
    : `no dev set: kept the last epoch (${best?.epoch})`;

  if (result.stop === 'interrupted' && result.state) {
    saveCheckpoint({ run: { ...run, fingerprint: emb.fingerprint, tokens }, state: result.state }, checkpointFile);
    throw new InterruptedError(
      `interrupted in epoch ${result.state.epoch}; checkpoint saved to ${shown(checkpointFile)}` +
        (hasModel ? `; best model so far saved to ${shown(output)} (${score})` : ' (no epoch had finished, so no model was saved)'),
      `continue with: ner train --resume ${shown(checkpointFile)}`,
    );
  }
  if (result.stop === 'diverged' && result.diverged) {
    throw new NerError(
      `training diverged in epoch ${result.diverged.epoch}: the loss became ${result.diverged.loss}` +
        (hasModel ? `; the last good model was saved to ${shown(output)} (${score})` : '; no model was saved'),
      `use a smaller learning rate, e.g. --lr ${config.lr / 4}`,
    );
  }
  if (opts.resume) fs.rmSync(checkpointFile, { force: true });
  process.stderr.write(
    `${paint.green('saved')} ${shown(output)}  ${score}  ${m.history.length} epochs in ${seconds.toFixed(1)} s${result.stop === 'early' ? ' (early stop)' : ''}\n`,
  );
  if (!quiet) process.stderr.write(trainingChart(m.history, m.bestEpoch));
  if (opts.report) {
    const ev = dev ? evaluateWithOov(m, [dev]) : undefined;
    writeFileAtomic(opts.report, trainReportHtml(m, ev && { name: shown(dev!.file), result: ev, oov: ev.oov }, shown(output)));
    process.stderr.write(`${paint.green('wrote')} ${shown(opts.report)}\n`);
  }
  if (best?.dev && best.dev.f1 === 0) {
    process.stderr.write(paint.yellow('warning: the model finds no correct entity on the dev set; try more epochs, another --lr, or check the tags\n'));
  }
}
