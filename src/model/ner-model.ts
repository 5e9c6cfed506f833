// A trained (or training) NER model: the classifier's parameters plus everything needed to turn tokens
// into windows and scores into entities. Plain data; the file format lives in model-io.ts.

import type { TagScheme } from '../data/tags.js';
import type { Activation, Dims, Head, Params } from './model.js';
import type { LabelSet, TargetScheme } from './labels.js';
import type { TokenFeature, WindowShape, WordTable } from './features.js';
import type { PackedVectors } from '../embeddings/packaged.js';
import type { Gazetteer, GazetteerCase } from '../data/gazetteer.js';

/** Every choice that shapes training; stored whole in the model file. */
export interface ModelConfig {
  head: Head;
  activation: Activation;
  hidden: number;
  window: number;
  casing: boolean;
  shape: boolean; // the word-shape one-hot group (shape.ts) after casing
  subword: number; // D: size of the subword (character n-gram) vector of each window position; 0: none
  buckets: number; // rows of the n-gram table
  lrSubword: number; // learning rate of the n-gram table
  fineTune: boolean;
  scheme: TargetScheme; // softmax and logistic targets
  epochs: number;
  patience: number;
  lr: number;
  lrEmbed: number;
  lrDecay: number; // lr_epoch = lr / (1 + lrDecay · (epoch − 1))
  batch: number;
  l2: number;
  minCount: number; // training words without a pretrained vector get their own row from this count on
  wordDropout: number; // probability of giving a training token <unk>'s e(w) (its ch(w) and features stay)
  threshold: number; // ovr: minimum σ(s) for an entity
  entity: string[]; // restrict to these types (empty: all types in the training data)
  gazetteers: string[]; // gazetteer files (their phrases travel in the model file: NerModel.gazetteer)
  gazetteerFromTrain: boolean; // the training entities as a gazetteer too
  gazetteerFolds: number; // training sentences see the training entities of the other folds only (0: all, their own too)
  gazetteerCase: GazetteerCase;
  seed: number;
}

// head: the lecture's binary logistic classifier, one per IOBES tag on a shared hidden layer. On
// CoNLL-2003 dev (seeds 1, 2, 3, the other options at their defaults) it scores 93.89 against the softmax
// head's 93.63; issue 18 made it the default if it came within 0.3 (docs/accuracy.md has the runs).
export const DEFAULT_CONFIG: ModelConfig = {
  head: 'logistic',
  activation: 'tanh',
  hidden: 100,
  window: 2,
  casing: true,
  shape: true,
  subword: 16,
  buckets: 2 ** 16,
  lrSubword: 6,
  fineTune: false,
  scheme: 'IOBES',
  epochs: 15,
  patience: 5,
  lr: 0.2,
  lrEmbed: 0.2,
  lrDecay: 0.1,
  batch: 32,
  l2: 0,
  minCount: 2,
  wordDropout: 0.15,
  threshold: 0.5,
  entity: [],
  gazetteers: [],
  gazetteerFromTrain: true,
  gazetteerFolds: 5,
  gazetteerCase: 'exact',
  seed: 1,
};

export interface EpochRecord {
  epoch: number;
  loss: number; // mean training loss per token
  lr: number;
  dev: { precision: number; recall: number; f1: number } | null;
  seconds: number;
  tokensPerSecond: number;
  devSeconds: number;
}

export interface EmbeddingsInfo {
  source: string; // DEFAULT_EMBEDDINGS, or the absolute path the vectors were read from
  d: number;
  count: number;
  fingerprint: string; // of the table (embeddings/fingerprint.ts): what the model must be joined with
  file?: string; // the source's file name, looked for beside the model when the path is gone
  sourceKey?: string; // the source file's content key (names its cache entry)
  maxWords?: number; // the source was read with this cap on its words
}

export interface NerModel {
  config: ModelConfig;
  labels: LabelSet;
  inputScheme: TagScheme; // the tag scheme of the training data
  dims: Dims;
  shape: WindowShape;
  params: Params;
  words: WordTable;
  embeddings: EmbeddingsInfo;
  history: EpochRecord[];
  bestEpoch: number; // 0 when there was no dev set (the last epoch is kept)
  trainedOn: { files: string[]; sentences: number; tokens: number };
  packed?: PackedVectors; // the pretrained vectors the model file carries (a packaged model)
  /** The rules that give each token its class of the one-hot groups of shape.groups, in the same order
   *  (built from the config and the model file's data; not stored themselves). */
  features?: TokenFeature[];
  gazetteer?: Gazetteer; // the phrase lists whose matches are a feature of each window position
}
