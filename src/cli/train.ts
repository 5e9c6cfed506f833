// `ner train`: parse options, read the CoNLL files and embeddings, call train(), show progress, save.

import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { createHash } from 'node:crypto';
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
import { serialiseModel } from '../io/model-io.js';
import { guardRun } from '../io/outputs.js';
import { setKernelThreads, splitsWork } from '../fast/team.js';
import { DEFAULT_CONFIG, type EpochRecord, type ModelConfig, type NerModel } from '../model/ner-model.js';
import { train, type TrainState } from '../train/train.js';
import { GAZETTEER_CASES, type GazetteerCase, readGazetteers } from '../data/gazetteer.js';
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
    .addOption(new Option('--head <type>', 'ovr: one binary classifier per entity type (the lecture); softmax: shared hidden layer, softmax over tags; logistic: shared hidden layer, one binary logistic classifier per tag').choices(HEADS).default(D.head))
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
    .option('--shape', 'add the word shape of any script (capitalisation, length, marks, digits: 37 classes) to each window position', D.shape)
    .option('--no-shape', 'leave the word shape out')
    .option('--subword <D>', 'size of each window position\'s character n-gram vector (0: none)', intOption('--subword', 0, 1024), D.subword)
    .option('--buckets <R>', 'rows of the hashed character n-gram table', intOption('--buckets', 1, 2 ** 24), D.buckets)
    .option('--lr-subword <rate>', 'learning rate of the n-gram table: its rows are sparse and each gets 1/|n-grams| of a word\'s gradient, so it is higher than --lr', numberOption('--lr-subword', (v) => v >= 0, 'a number ≥ 0'), D.lrSubword)
    .option('--fine-tune', 'also update the pretrained word vectors of the training words', D.fineTune)
    .addOption(new Option('--scheme <scheme>', 'softmax and logistic heads: tag scheme of the targets').choices(['BIO', 'IOBES']).default(D.scheme))
    .option('--min-count <n>', 'give training words without a pretrained vector their own vector from this count on', intOption('--min-count', 1), D.minCount)
    .option('--word-dropout <p>', "give a training token <unk>'s vector e(w) with this probability (its subword vector and features stay)", numberOption('--word-dropout', (v) => v >= 0 && v < 1, 'a probability in [0, 1)'), D.wordDropout)
    .option('--threshold <p>', 'ovr head: minimum probability for an entity', numberOption('--threshold', (v) => v > 0 && v < 1, 'a probability in (0, 1)'), D.threshold)
    .option('--entity <type>', 'train only this entity type, e.g. --entity LOC (repeatable; default: every type in the data)', collect)
    .option('--gazetteer <file>', 'phrase list, one TYPE<TAB>phrase a line: whether a token begins / is inside / ends / is a listed phrase of each type is a feature (repeatable; the phrases are kept in the model file)', collect)
    .option('--no-gazetteer-from-train', 'do not also list the training data\'s own entities as a gazetteer (by default they are, each training sentence seeing only the other folds\' entities)')
    .option('--gazetteer-folds <k>', 'folds for --gazetteer-from-train (0: every training sentence sees its own entities too)', intOption('--gazetteer-folds', 0, 100), D.gazetteerFolds)
    .addOption(new Option('--gazetteer-case <mode>', 'exact: phrases match as written; fold: also in any case (exact preferred)').choices(GAZETTEER_CASES).default(D.gazetteerCase))
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
    .action(async (opts, cmd: Command) => {
      // the options the user typed (not defaults): --resume refuses those that would change the run
      await runTrain(opts, cmd.options.filter((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long ?? o.flags));
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
  shape: boolean;
  subword: number;
  buckets: number;
  lrSubword: number;
  fineTune: boolean;
  scheme: ModelConfig['scheme'];
  minCount: number;
  wordDropout: number;
  threshold: number;
  entity?: string[];
  gazetteer?: string[];
  gazetteerFromTrain: boolean;
  gazetteerFolds: number;
  gazetteerCase: GazetteerCase;
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
    shape: opts.shape,
    subword: opts.subword,
    buckets: opts.buckets,
    lrSubword: opts.lrSubword,
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
    gazetteers: (opts.gazetteer ?? []).map((f) => path.resolve(f)),
    gazetteerFromTrain: opts.gazetteerFromTrain,
    gazetteerFolds: opts.gazetteerFolds,
    gazetteerCase: opts.gazetteerCase,
    seed: opts.seed,
  };
}

/** Options --resume takes: where the results go and how the run is shown or sped up, never what it computes. */
const RESUME_TAKES = new Set(['--resume', '--output', '--report', '--threads', '--quiet']);

/** The run to do: from the options, or from a checkpoint with --resume. */
function runSpec(opts: TrainOpts, given: string[]): { run: Omit<RunSpec, 'fingerprint' | 'tokens'>; resume?: Checkpoint } {
  if (opts.resume) {
    const refused = given.filter((flag) => !RESUME_TAKES.has(flag));
    if (refused.length > 0) {
      throw new UsageError(`--resume continues the interrupted run with the options and data it was started with; ${refused.join(', ')} cannot change them`,
        `leave out ${refused.join(', ')} (--output, --report, --threads and -q may be given), or train again without --resume`);
    }
    const ckpt = readCheckpoint(opts.resume);
    return { run: ckpt.run, resume: ckpt };
  }
  const train = (opts.train ?? [DEMO_TRAIN]).map((f) => path.resolve(f));
  const dev = opts.dev ?? (opts.train ? undefined : DEMO_DEV);
  return {
    run: { config: configFrom(opts), train, dev: dev ? path.resolve(dev) : null, tagColumn: opts.tagColumn, embeddings: opts.embeddings, ...(opts.maxWords ? { maxWords: opts.maxWords } : {}), output: path.resolve(opts.output) },
  };
}

/** Options that mean nothing for the chosen head: refused rather than silently ignored. */
function refuseConflicts(config: ModelConfig, given: string[]): void {
  const gazetteerOptions = given.filter((o) => o === '--gazetteer-folds' || o === '--gazetteer-case');
  if (gazetteerOptions.length > 0 && config.gazetteers.length === 0 && !config.gazetteerFromTrain) {
    throw new UsageError(`${gazetteerOptions.join(' and ')} ${gazetteerOptions.length > 1 ? 'set' : 'sets'} how gazetteers are used, but none is given`, 'add --gazetteer FILE, or leave out --no-gazetteer-from-train or this option');
  }
  if (given.includes('--gazetteer-folds') && !config.gazetteerFromTrain) {
    throw new UsageError('--gazetteer-folds splits the training entities (listed unless --no-gazetteer-from-train) into folds; the --gazetteer files are used whole', 'leave out --no-gazetteer-from-train or --gazetteer-folds');
  }
  if (config.head === 'ovr' && given.includes('--scheme')) {
    throw new UsageError('--scheme sets the tag scheme of the softmax and logistic heads\' outputs; --head ovr has one binary classifier per type and no scheme', 'leave out --scheme, or use --head softmax');
  }
  if (config.head !== 'ovr' && given.includes('--threshold')) {
    throw new UsageError(`--threshold is the one-vs-rest head's minimum probability; the ${config.head} head decodes with Viterbi and has none`, 'leave out --threshold, or use --head ovr');
  }
}

/** sha256 of a file's bytes, or null when there is no such file. */
function hashOfFile(file: string): string | null {
  try {
    if (!fs.statSync(file).isFile()) return null; // a device (/dev/full) or a directory: the guard refuses it
    return hashOf(fs.readFileSync(file));
  } catch {
    return null;
  }
}
const hashOf = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** models/ner.json → models/ner.partial.json: where an unfinished run keeps its best model when --output held one before. */
export function partialFileOf(output: string): string {
  const ext = path.extname(output);
  return ext ? `${output.slice(0, -ext.length)}.partial${ext}` : `${output}.partial`;
}

const MODEL_FILE = /"format"\s*:\s*"ner-window-classifier"/;
const CHECKPOINT_FILE = /"format"\s*:\s*"ner-train-checkpoint"/;
const HTML_FILE = /<!doctype html|<html/i;

// What a run may replace. --output gets a model only from this run, and an existing model there is
// replaced only by a model of this run that finished (every epoch, or early stopping). While the run is
// unfinished, its best model so far is written (atomically, after each epoch that improves dev F1) to
// --output when --output held no model before the run, else beside it, to NAME.partial.json; so a kill
// at any moment leaves at --output either the model the user had or a complete model of one of this
// run's epochs, and an interrupted run never replaces a model with a worse, partial one. The checkpoint
// (NAME.json.ckpt, written after every epoch and on Ctrl-C) records what --output may hold; when another
// run has replaced the file since, --resume refuses rather than overwrite that run's model.
export async function runTrain(opts: TrainOpts, given: string[] = []): Promise<void> {
  const quiet = !!opts.quiet;
  const say = (s: string) => {
    if (!quiet) process.stderr.write(s + '\n');
  };
  const warn = (s: string) => process.stderr.write(paint.yellow(`warning: ${s}`) + '\n');
  const { run, resume } = runSpec(opts, given);
  const { config } = run;
  if (!resume) refuseConflicts(config, given);
  if (opts.output.trim() === '') throw new UsageError(`--output ${JSON.stringify(opts.output)}: expected a file name`, 'e.g. --output models/ner.json');
  const output = resume && given.includes('--output') ? path.resolve(opts.output) : run.output;
  const sameOutput = !resume || output === run.output;
  const checkpointFile = resume && sameOutput ? path.resolve(opts.resume!) : `${output}.ckpt`;
  let outputHash = hashOfFile(output);
  if (resume && sameOutput && run.outputHashes && !run.outputHashes.includes(outputHash)) {
    throw new NerError(`${shown(output)} has changed since the checkpoint ${shown(checkpointFile)} was written (another run wrote it?); resuming would replace it`,
      `resume into another file: ner train --resume ${shown(checkpointFile)} --output ${shown(partialFileOf(output).replace('.partial', '-resumed'))}, or delete the stale checkpoint`);
  }
  const bestTo = resume && sameOutput ? run.bestTo ?? output : outputHash === null ? output : partialFileOf(output);
  guardRun({
    inputs: [
      ...run.train.map((file) => ({ option: '--train', file: shown(file) })),
      ...config.gazetteers.map((file) => ({ option: '--gazetteer', file: shown(file) })),
      { option: '--dev', file: run.dev ? shown(run.dev) : undefined },
      { option: '--embeddings', file: run.embeddings === DEFAULT_EMBEDDINGS ? undefined : run.embeddings },
      { option: '--resume', file: resume && !sameOutput ? opts.resume : undefined },
    ],
    outputs: [
      { option: '--output', file: shown(output), mkdir: true, bytes: 1 << 20, replaces: MODEL_FILE },
      { option: 'the checkpoint', file: shown(checkpointFile), replaces: CHECKPOINT_FILE },
      { option: 'the unfinished run\'s best model', file: bestTo === output ? undefined : shown(bestTo), replaces: MODEL_FILE },
      { option: '--report', file: opts.report, replaces: HTML_FILE },
    ],
  });
  if (!resume && fs.existsSync(checkpointFile)) {
    warn(`${shown(checkpointFile)} holds the checkpoint of an interrupted run; this run replaces it (to continue that run instead: ner train --resume ${shown(checkpointFile)})`);
  }

  const readOpts = { ...opts, tagColumn: run.tagColumn };
  const corpora = run.train.map((f) => readLabelledFor(f, readOpts));
  const dev = run.dev ? readLabelledFor(run.dev, readOpts) : null;
  for (const c of [...corpora, ...(dev ? [dev] : [])]) {
    say(`${shown(c.file)}: ${c.sentences.length.toLocaleString('en-US')} sentences, ${c.tokens.toLocaleString('en-US')} tokens, scheme ${c.scheme}, types ${c.types.join(' ')}`);
  }
  const trainTypes = new Set(corpora.flatMap((c) => c.types));
  const devOnly = dev ? dev.types.filter((t) => !trainTypes.has(t)) : [];
  if (devOnly.length > 0) warn(`${shown(dev!.file)} has entity types the training data lacks: ${devOnly.join(', ')}; the model cannot find them, so they count as misses in dev F1`);
  const tokens = corpora.reduce((a, c) => a + c.tokens, 0);
  const lists = readGazetteers(config.gazetteers, config.gazetteerCase);
  if (lists) say(`gazetteers ${lists.sources.join(', ')}: ${lists.phrases.length.toLocaleString('en-US')} phrases, types ${lists.types.join(' ')}`);
  const emb = await loadEmbeddingsFor(run.embeddings, quiet, true, run.maxWords);
  if (resume && (resume.run.fingerprint !== emb.fingerprint || resume.run.tokens !== tokens)) {
    throw new NerError(`${shown(opts.resume!)}: the training files or embeddings changed since the checkpoint was written`, 'resume only with the same data, or train again without --resume');
  }
  for (const c of [...corpora, ...(dev ? [dev] : [])]) say(`${shown(c.file)}: ${fmt(oovRate(emb, c), 1)} % of tokens have no pretrained vector`);

  const bar =
    !quiet && process.stderr.isTTY
      ? new SingleBar({ format: '  epoch {epoch} |{bar}| {percentage}% {value}/{total} tokens  loss {loss}  {eta}s left', hideCursor: true, stream: process.stderr, clearOnComplete: true, etaBuffer: 200 })
      : null;
  let epoch = resume ? resume.state.epoch : 1;
  let barStarted = false;
  if (resume) say(`resuming ${shown(opts.resume!)}: epoch ${resume.state.epoch}, ${resume.state.step.toLocaleString('en-US')} windows done`);
  // the minibatch's product z = Wx + b: batch × n × GH multiply-adds (ovr: one classifier per type)
  const types = config.entity.length > 0 ? config.entity.length : trainTypes.size;
  const GH = (config.head === 'ovr' ? types : 1) * config.hidden;
  const n = inputSize({ window: config.window, d: emb.d, useCasing: config.casing });
  const threads = setKernelThreads(opts.threads ?? (splitsWork(config.batch * n * GH) ? CORES : 1));
  const features = [
    ...(config.subword > 0 ? [`subword ${config.subword}`] : []),
    ...(config.shape ? ['shape'] : []),
    ...(config.gazetteerFromTrain || config.gazetteers.length > 0 ? [`gazetteer (${[...(config.gazetteerFromTrain ? ['training entities'] : []), ...config.gazetteers.map((f) => path.basename(f))].join(', ')})`] : []),
  ];
  say(`training: ${config.head} head, ${config.activation}, H=${config.hidden}, window ${config.window}${features.map((f) => ', ' + f).join('')}, lr ${config.lr}, batch ${config.batch}, seed ${config.seed}${config.fineTune ? ', fine-tuning the vectors' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`);
  say(paint.bold('epoch     loss  dev P  dev R dev F1    tok/s    time'));

  const runOf = (): RunSpec => ({ ...run, output, fingerprint: emb.fingerprint, tokens, bestTo });
  /** Saves a checkpoint, then (when given) a model to `dest`: a kill between the two leaves --output in a state the checkpoint accepts. */
  const save = (state: TrainState, model?: NerModel, dest = bestTo): void => {
    const text = model ? serialiseModel(model) : undefined;
    const newHash = text !== undefined && dest === output ? hashOf(text) : outputHash;
    saveCheckpoint({ run: { ...runOf(), outputHashes: [...new Set([outputHash, newHash])] }, state }, checkpointFile);
    if (text !== undefined) {
      writeFileAtomic(dest, text);
      if (dest === output) outputHash = newHash;
    }
  };

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
  let finalSaved = false; // the last epoch's save wrote the finished run's model to --output
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
        onEpoch: (r, isBest, end) => {
          if (bar && barStarted) bar.stop();
          barStarted = false;
          epoch = r.epoch + 1;
          say(epochLine(r, isBest));
          // the last epoch's model is the finished run's: it goes to --output
          save(end.state(), isBest || end.last ? end.model() : undefined, end.last ? output : bestTo);
          if (end.last) finalSaved = true;
        },
        shouldStop: () => signalled !== null,
      },
      resume?.state,
      lists,
    );
  } finally {
    if (bar && barStarted) bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const m = result.model;
  const seconds = (performance.now() - t0) / 1000;
  const hasModel = m.history.length > 0;
  const best = m.bestEpoch ? m.history[m.bestEpoch - 1] : m.history[m.history.length - 1];
  const score = best?.dev
    ? `dev P ${fmt(best.dev.precision)}  R ${fmt(best.dev.recall)}  F1 ${fmt(best.dev.f1)} (epoch ${best.epoch})`
    : `no dev set: kept the last epoch (${best?.epoch})`;
  const kept = bestTo === output ? '' : `; ${shown(output)} still holds the model it held before (only a finished run replaces it)`;

  if (result.stop === 'interrupted' && result.state) {
    save(result.state, hasModel ? m : undefined);
    throw new InterruptedError(
      `interrupted in epoch ${result.state.epoch}; checkpoint saved to ${shown(checkpointFile)}` +
        (hasModel ? `; best model so far saved to ${shown(bestTo)} (${score})${kept}` : ` (no epoch had finished, so no model was saved${kept})`),
      `continue with: ner train --resume ${shown(checkpointFile)}`,
    );
  }
  if (result.stop === 'diverged' && result.diverged) {
    if (hasModel) writeFileAtomic(bestTo, serialiseModel(m));
    fs.rmSync(checkpointFile, { force: true });
    throw new NerError(
      `training diverged in epoch ${result.diverged.epoch}: the loss became ${result.diverged.loss}` +
        (hasModel ? `; the last good model was saved to ${shown(bestTo)} (${score})${kept}` : '; no model was saved'),
      `use a smaller learning rate, e.g. --lr ${config.lr / 4}`,
    );
  }
  // Finished: the model is at --output (written after the last epoch; a resume from the last epoch's
  // checkpoint writes it here), and the checkpoint and any partial model are done with.
  if (!finalSaved) {
    const text = serialiseModel(m);
    if (hashOf(text) !== outputHash) writeFileAtomic(output, text);
  }
  fs.rmSync(checkpointFile, { force: true });
  if (bestTo !== output) fs.rmSync(bestTo, { force: true });
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
