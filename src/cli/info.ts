// `ner info`: what is in a model file — format, head, labels, every hyperparameter, the seed, the embeddings
// it needs, parameter counts per block, the file size, what it was trained on and how training went
// (best epoch, dev scores, a chart of dev F1 per epoch). Reads the file only: no embeddings are loaded.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gazetteerClassCount } from '../data/gazetteer.js';
import { asciiChart, sparkline } from '../report/chart.js';
import { C } from '../model/features.js';
import { groups } from '../model/model.js';
import { FORMAT, VERSION as FORMAT_VERSION, readModelFile, type ModelFile } from '../io/model-io.js';
import { DEFAULT_MODEL, ink, out, shown } from './common.js';

export function infoCommand(): Command {
  return new Command('info')
    .description('describe a model file: labels, hyperparameters, seed, embeddings, parameter counts, training history')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL)
    .addOption(new Option('--format <format>', 'text: for people; json: for scripts').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'also list every epoch (loss, learning rate, dev P/R/F1)')
    .addHelpText('after', `
Examples:
  $ ner info                                         # models/ner.json
  $ ner info --model models/loc.json --verbose
  $ ner info --format json | jq .parameters.total`)
    .action(async (opts: { model: string; format: 'text' | 'json'; verbose?: boolean }) => {
      const mf = readModelFile(opts.model);
      const info = describeModel(mf, fs.statSync(opts.model).size);
      await out(opts.format === 'json' ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info, !!opts.verbose));
    });
}

export interface ParameterBlock {
  name: string;
  shape: number[];
  count: number;
  what: string;
}

export interface ModelInfo {
  file: string;
  bytes: number;
  format: string;
  version: number;
  nerVersion: string | null; // the ner that wrote the file (null: older than the field)
  packaged: { words: number; dtype: string } | null; // the vectors the file carries
  head: string;
  activation: string;
  labels: string[];
  outputs: string[];
  targetScheme: string | null; // softmax, logistic: the tag scheme of its outputs; ovr: none (one sigmoid per type)
  inputScheme: string;
  seed: number;
  config: ModelFile['config'];
  input: { window: number; positions: number; wordDim: number; subwordDim: number; casingDim: number; groups: { name: string; size: number }[]; n: number };
  embeddings: ModelFile['embeddings'];
  gazetteer: { sources: string[]; types: string[]; phrases: number; match: string; classes: number } | null;
  parameters: { blocks: ParameterBlock[]; total: number; frozenPretrained: number };
  trainedOn: ModelFile['trainedOn'];
  training: {
    epochs: number;
    bestEpoch: number; // 0: no dev set, the last epoch was kept
    best: { epoch: number; loss: number; dev: { precision: number; recall: number; f1: number } | null } | null;
    history: ModelFile['history'];
  };
}

/** Everything `ner info` shows, as plain data (the JSON output). */
export function describeModel(mf: ModelFile, bytes: number): ModelInfo {
  const { dims, shape, config } = mf;
  const G = groups(dims);
  const casingDim = shape.useCasing ? C : 0;
  const blocks: ParameterBlock[] = [
    { name: 'W', shape: [G * dims.H, dims.n], count: G * dims.H * dims.n, what: dims.head === 'ovr' ? `hidden weights, ${G} classifiers × ${dims.H} units` : 'hidden weights' },
    { name: 'b', shape: [G * dims.H], count: G * dims.H, what: 'hidden biases' },
    { name: 'U', shape: [dims.K, dims.H], count: dims.K * dims.H, what: 'output weights (u per output)' },
    { name: 'c', shape: [dims.K], count: dims.K, what: 'output biases' },
    { name: 'words', shape: [mf.wordKeys.length, shape.d], count: mf.wordRows.length, what: 'the model\'s own word vectors (padding, <unk>, new or fine-tuned words)' },
    ...(mf.subwords ? [{ name: 'Z', shape: [mf.subwords.R, mf.subwords.D], count: mf.subwords.Z.length, what: `character ${mf.subwords.minn}…${mf.subwords.maxn}-gram vectors (hashed)` }] : []),
  ];
  const history = mf.history;
  const bestRecord = mf.bestEpoch ? history.find((r) => r.epoch === mf.bestEpoch) : history[history.length - 1];
  return {
    file: mf.file,
    bytes,
    format: FORMAT,
    version: FORMAT_VERSION,
    nerVersion: mf.nerVersion ?? null,
    packaged: mf.packed ? { words: mf.packed.n, dtype: mf.packed.dtype } : null,
    head: config.head,
    activation: config.activation,
    labels: mf.labels.types,
    outputs: mf.labels.outputs,
    targetScheme: config.head !== 'ovr' ? mf.labels.scheme : null,
    inputScheme: mf.inputScheme,
    seed: config.seed,
    config,
    input: { window: shape.window, positions: 2 * shape.window + 1, wordDim: shape.d, subwordDim: shape.sub ?? 0, casingDim, groups: shape.groups ?? [], n: dims.n },
    embeddings: mf.embeddings,
    gazetteer: mf.gazetteer
      ? { sources: mf.gazetteer.sources, types: mf.gazetteer.types, phrases: mf.gazetteer.phrases.length, match: mf.gazetteer.match, classes: gazetteerClassCount(mf.gazetteer) }
      : null,
    parameters: { blocks, total: blocks.reduce((a, b) => a + b.count, 0), frozenPretrained: mf.embeddings.count * mf.embeddings.d },
    trainedOn: mf.trainedOn,
    training: {
      epochs: history.length,
      bestEpoch: mf.bestEpoch,
      best: bestRecord ? { epoch: bestRecord.epoch, loss: bestRecord.loss, dev: bestRecord.dev } : null,
      history,
    },
  };
}

const int = (v: number) => v.toLocaleString('en-US');

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** The text `ner info` prints. */
export function formatInfo(i: ModelInfo, verbose: boolean): string {
  const L: string[] = [];
  const key = (k: string) => ink.bold(k.padEnd(13));
  L.push(`${ink.bold(shown(i.file))}  ${ink.dim(`${size(i.bytes)}, format ${i.format} version ${i.version}, written by ner ${i.nerVersion ?? '(not recorded)'}`)}`);
  L.push('');
  const outputs =
    i.head === 'softmax' ? `softmax over ${i.outputs.length} ${i.targetScheme} tags` : i.head === 'logistic' ? `one sigmoid per ${i.targetScheme} tag (${i.outputs.length})` : `one sigmoid per type (${i.outputs.length})`;
  L.push(`${key('model')}${i.head} head: h = ${i.activation}(Wx + b), ${outputs}; H = ${i.config.hidden}`);
  L.push(`${key('labels')}${i.labels.join(' ')}  ${ink.dim(`(training data in ${i.inputScheme})`)}`);
  const block = [`${i.input.wordDim} vector`, ...(i.input.subwordDim ? [`${i.input.subwordDim} subword`] : []), ...(i.input.casingDim ? [`${i.input.casingDim} casing`] : []), ...i.input.groups.map((g) => `${g.size} ${g.name}`)];
  L.push(`${key('input x')}${i.input.positions} words (window ${i.input.window}) × (${block.join(' + ')}) = ${int(i.input.n)}`);
  L.push(`${key('embeddings')}${i.embeddings.source}  ${int(i.embeddings.count)} × ${i.embeddings.d}  ${ink.dim(`fingerprint ${i.embeddings.fingerprint}`)}`);
  if (i.gazetteer) {
    const g = i.gazetteer;
    L.push(`${key('gazetteer')}${g.sources.join(', ')}: ${int(g.phrases)} phrases of ${g.types.join(' ')} (${g.match} match), ${g.classes} classes per word`);
  }
  if (i.packaged) L.push(`${key('')}${int(i.packaged.words)} of its vectors are in this file (${i.packaged.dtype}): it needs no other`);
  const files = i.trainedOn.files.map(shown).join(', ') || '–';
  L.push(`${key('trained on')}${files}: ${int(i.trainedOn.sentences)} sentences, ${int(i.trainedOn.tokens)} tokens`);
  L.push(`${key('seed')}${i.seed}`);

  L.push('');
  L.push(ink.bold('parameters'));
  const w = Math.max(...i.parameters.blocks.map((b) => int(b.count).length), int(i.parameters.total).length);
  for (const b of i.parameters.blocks) {
    L.push(`  ${b.name.padEnd(6)} ${b.shape.map(int).join(' × ').padEnd(14)} ${int(b.count).padStart(w)}  ${ink.dim(b.what)}`);
  }
  L.push(`  ${'total'.padEnd(6)} ${''.padEnd(14)} ${ink.bold(int(i.parameters.total).padStart(w))}  ${ink.dim(i.packaged
    ? `+ ${int(i.packaged.words * i.input.wordDim)} pretrained vector values, stored as ${i.packaged.dtype} (the vectors this file carries)`
    : `+ ${int(i.parameters.frozenPretrained)} pretrained vector values, not stored (they come from the embeddings)`)}`);

  L.push('');
  L.push(ink.bold('hyperparameters'));
  const entries = Object.entries(i.config).map(([k, v]) => `${k} ${Array.isArray(v) ? (v.length ? v.map((x) => (k === 'gazetteers' ? path.basename(x) : x)).join(',') : k === 'gazetteers' ? 'none' : 'all') : String(v)}`);
  let line = ' ';
  for (const e of entries) {
    if (line.length + e.length + 3 > 100) {
      L.push(line);
      line = ' ';
    }
    line += ` ${e} ${ink.dim('·')}`;
  }
  L.push(line.replace(/ \S*·\S*$/, ''));

  L.push('');
  const t = i.training;
  if (t.epochs === 0) L.push(`${ink.bold('training')}     no history in this file`);
  else {
    const best = t.best;
    const dev = best?.dev ? `dev P ${best.dev.precision.toFixed(2)}  R ${best.dev.recall.toFixed(2)}  F1 ${ink.bold(best.dev.f1.toFixed(2))}` : 'no dev set';
    L.push(`${ink.bold('training')}     ${t.epochs} epochs; ${t.bestEpoch ? `best epoch ${t.bestEpoch} (kept): ${dev}` : `kept the last epoch (${dev})`}`);
    L.push(`${key('loss')}${sparkline(t.history.map((r) => r.loss))}  ${t.history[0].loss.toFixed(4)} → ${t.history[t.history.length - 1].loss.toFixed(4)}`);
    if (verbose) {
      L.push('');
      L.push(ink.bold(`${'epoch'.padStart(5)} ${'loss'.padStart(8)} ${'lr'.padStart(8)} ${'dev P'.padStart(6)} ${'dev R'.padStart(6)} ${'dev F1'.padStart(6)}`));
      for (const r of t.history) {
        const d = r.dev ? `${r.dev.precision.toFixed(2).padStart(6)} ${r.dev.recall.toFixed(2).padStart(6)} ${r.dev.f1.toFixed(2).padStart(6)}` : `${'–'.padStart(6)} ${'–'.padStart(6)} ${'–'.padStart(6)}`;
        L.push(`${String(r.epoch).padStart(5)} ${r.loss.toFixed(4).padStart(8)} ${String(Number(r.lr.toPrecision(4))).padStart(8)} ${d}${r.epoch === t.bestEpoch ? ink.green(' ★') : ''}`);
      }
    }
    if (t.history.every((r) => r.dev)) {
      L.push('');
      L.push(ink.bold('dev F1 per epoch') + (t.bestEpoch ? ink.dim(' (★ best, kept)') : ''));
      const chart = asciiChart(t.history.map((r) => r.dev!.f1), { height: 8, digits: 1, mark: t.bestEpoch ? t.bestEpoch - 1 : undefined });
      L.push(...chart.trimEnd().split('\n').map((l) => `  ${l}`));
    }
  }
  return L.join('\n') + '\n';
}
