// The library API (`import { train, loadModel, tag, evaluate } from 'ner'`): the same work as the CLI
// verbs, as plain async functions over files or in-memory corpora, with TypeScript types. Nothing here
// prints or exits; failures are NerErrors with a message and a hint.
//
//   const model = await train({ train: DEMO.train, dev: DEMO.dev, epochs: 5 });
//   saveModel(model, 'models/ner.json');
//   tag(model, 'Paris Hilton wowed the crowd in Cannes.');   // [{ text, type, start, end, prob }, …]
//   evaluate(model, DEMO.dev).f1;

import { fileURLToPath } from 'node:url';
import { readGazetteers } from './data/gazetteer.js';
import { setKernelThreads } from './fast/team.js';
import { evaluateWithOov, type OovSplit } from './eval/analysis.js';
import { readConll, type ConllOptions, type Corpus } from './data/conll.js';
import { DEFAULT_EMBEDDINGS, loadEmbeddings, type Embeddings } from './embeddings/embeddings.js';
import { embeddingsForModel } from './embeddings/locate.js';
import { findEntities, type Entity } from './predict/entities.js';
import { UsageError } from './errors.js';
import type { EvalResult } from './eval/metrics.js';
import { attachEmbeddings, readModelFile } from './io/model-io.js';
import { DEFAULT_CONFIG, type EpochRecord, type ModelConfig, type NerModel } from './model/ner-model.js';
import { tokenize } from './data/tokenize.js';
import { train as trainLoop } from './train/train.js';

export { bracketed, findEntities, jsonEntity, type Entity, type TaggedSentence } from './predict/entities.js';
export { startServer, type RunningServer, type ServeOptions } from './serve/server.js';
export { evaluateWithOov, oovSplit, scoreCorpus, type GroupScore, type OovSplit } from './eval/analysis.js';
export { parseConll, readConll, formatPredictions, type ConllOptions, type Corpus, type Sentence } from './data/conll.js';
export { DEFAULT_EMBEDDINGS, loadEmbeddings, type Embeddings, type LoadOptions as EmbeddingsLoadOptions } from './embeddings/embeddings.js';
export { DataError, InterruptedError, NerError, UsageError } from './errors.js';
export { evaluate as scoreTags, type ConfusionMatrix, type ErrorCount, type EvalResult } from './eval/metrics.js';
export { formatConlleval, type TypeScore } from './eval/conlleval.js';
export { parseModel, readModelFile, saveModel, serialiseModel, type ModelFile } from './io/model-io.js';
export { DEFAULT_CONFIG, type EmbeddingsInfo, type EpochRecord, type ModelConfig, type NerModel } from './model/ner-model.js';
export { evalReportHtml, reportHtml, trainReportHtml, type EvalSection, type ModelSummary, type ReportInput } from './report/report.js';
export { asciiChart, sparkline, trainingChart } from './report/chart.js';
export { SentenceSplitter, tokenize, type Token } from './data/tokenize.js';
export { SHAPES, shape } from './model/shape.js';
export { buildGazetteer, gazetteerClasses, parseGazetteer, readGazetteers, type Gazetteer, type GazetteerCase, type GazetteerEntry } from './data/gazetteer.js';
export { kernelThreads, setKernelThreads } from './fast/team.js';
export { packageModel, type PackageOptions } from './io/package.js';
export { QUANTIZE, type Quantize } from './embeddings/packaged.js';
export { NER_VERSION } from './version.js';
export {
  detectFormat, docOfEntities, docOfSentences, docSentences, doccanoRecord, formatDocs, labelStudioTask, readDocs, readLabelled, recordSentences, spacyRecord, writeBrat,
  FORMATS, Problems, type AnnotatedDoc, type CharSpan, type FormatName, type OffsetUnit, type TokenSentence,
} from './data/formats/index.js';

/** The demo corpus and sample text that come with the package, as absolute paths (usable from any project). */
export const DEMO = {
  train: fileURLToPath(new URL('../../data/demo/train.conll', import.meta.url)),
  dev: fileURLToPath(new URL('../../data/demo/dev.conll', import.meta.url)),
  text: fileURLToPath(new URL('../../data/sample.txt', import.meta.url)),
};

/** Embeddings given by source (a file path, or DEFAULT_EMBEDDINGS) or already loaded. */
export type EmbeddingsSpec = string | Embeddings;

async function embeddingsOf(spec: EmbeddingsSpec | undefined, fallback: string, onProgress?: (msg: string) => void): Promise<Embeddings> {
  if (spec !== undefined && typeof spec !== 'string') return spec;
  const source = spec ?? fallback;
  return loadEmbeddings(source === DEFAULT_EMBEDDINGS ? undefined : source, { onProgress });
}

export interface LoadModelOptions {
  /** The word vectors the model was trained with (default: the source recorded in the model file). */
  embeddings?: EmbeddingsSpec;
  onProgress?: (msg: string) => void;
}

/**
 * Reads a model file written by `ner train`, `ner package` or saveModel() and attaches its embeddings:
 * the ones given, else the vectors the file carries, else the ones it was trained with, found by what they
 * are (embeddings/locate.ts).
 */
export async function loadModel(file: string, opts: LoadModelOptions = {}): Promise<NerModel> {
  const mf = readModelFile(file);
  const given = opts.embeddings;
  const emb = given !== undefined && typeof given !== 'string' ? given : await embeddingsForModel(mf, given, { onProgress: opts.onProgress });
  return attachEmbeddings(mf, emb);
}

export interface TagOptions {
  /** Drop entities whose probability is below this (default 0: keep all). */
  minProb?: number;
}

/** The entities in raw text, with character offsets into `text` and a probability each, in text order. */
export function tag(model: NerModel, text: string, opts: TagOptions = {}): Entity[] {
  return findEntities(model, tokenize(text), opts.minProb ?? 0).flatMap((s) => s.entities.map(({ tokenStart: _s, tokenEnd: _e, ...e }) => e));
}

/** A labelled corpus: a CoNLL file path or one already read (readConll / parseConll). */
export type CorpusSpec = string | Corpus;

function corpusOf(spec: CorpusSpec, opts: ConllOptions): Corpus {
  return typeof spec === 'string' ? readConll(spec, opts) : spec;
}

export interface EvaluateOptions {
  tagColumn?: number;
}

/**
 * Scores a model on labelled data, exactly as conlleval would (several corpora are scored as one
 * stream); `oov` splits the entity scores by whether an entity has a word with no pretrained vector.
 */
export function evaluate(model: NerModel, data: CorpusSpec | CorpusSpec[], opts: EvaluateOptions = {}): EvalResult & { oov: OovSplit } {
  const specs = Array.isArray(data) ? data : [data];
  if (specs.length === 0) throw new UsageError('evaluate: no corpus given', 'pass a CoNLL file path or a Corpus');
  return evaluateWithOov(model, specs.map((s) => corpusOf(s, opts)));
}

export interface TrainOptions extends Partial<ModelConfig> {
  /** Training data: CoNLL file path(s) or corpora. */
  train: CorpusSpec | CorpusSpec[];
  /** Dev data, scored every epoch; the best epoch is kept and training stops early on it. */
  dev?: CorpusSpec;
  /** Word vectors (default: DEFAULT_EMBEDDINGS, the wink GloVe-style 100-d vectors). */
  embeddings?: EmbeddingsSpec;
  tagColumn?: number;
  /** Threads for the matrix products from now on (setKernelThreads); the model is the same for any number. */
  threads?: number;
  onEpoch?: (record: EpochRecord, isBest: boolean) => void;
  onProgress?: (msg: string) => void;
}

/** Trains a model with DEFAULT_CONFIG overridden by the options given (lrEmbed defaults to lr). */
export async function train(opts: TrainOptions): Promise<NerModel> {
  const { train: trainSpec, dev, embeddings, tagColumn, threads, onEpoch, onProgress, ...overrides } = opts;
  const specs = Array.isArray(trainSpec) ? trainSpec : [trainSpec];
  if (specs.length === 0) throw new UsageError('train: no training data given', 'pass train: "path/to/train.conll" (or a Corpus)');
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  const unknown = Object.keys(overrides).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new UsageError(`train: unknown option ${unknown.join(', ')}`, `the options are train, dev, embeddings, tagColumn, threads, onEpoch, onProgress and ${[...known].join(', ')}`);
  const config: ModelConfig = { ...DEFAULT_CONFIG, ...overrides, lrEmbed: overrides.lrEmbed ?? overrides.lr ?? DEFAULT_CONFIG.lrEmbed };
  const conllOpts = { tagColumn };
  const corpora = specs.map((s) => corpusOf(s, conllOpts));
  const devCorpus = dev === undefined ? null : corpusOf(dev, conllOpts);
  const emb = await embeddingsOf(embeddings, DEFAULT_EMBEDDINGS, onProgress);
  if (threads !== undefined) setKernelThreads(threads);
  const result = await trainLoop(corpora, devCorpus, emb, config, { onEpoch }, undefined, readGazetteers(config.gazetteers, config.gazetteerCase));
  return result.model;
}
