// Packaging a model: the model plus the pretrained vectors it can need, in one file that tags with
// nothing else installed. The rows kept are the source's first maxWords words (embedding files list words
// by frequency, so these cover most unseen text) and every row the given vocabulary (the training words)
// looks up; any other word falls back to <unk>, as a word missing from the full vectors does.

import { type Quantize, packVectors } from '../embeddings/packaged.js';
import { UsageError } from '../errors.js';
import { pretrainedId } from '../model/features.js';
import type { NerModel } from '../model/ner-model.js';

export interface PackageOptions {
  maxWords: number; // the source's first maxWords words
  quantize: Quantize;
  vocabulary: Iterable<string>; // tokens whose rows are kept too (the training data's)
}

/** The model with the vectors it needs inside (`packed`); how many rows came from each rule. */
export function packageModel(model: NerModel, opts: PackageOptions): { model: NerModel; rows: number; fromVocabulary: number } {
  const emb = model.words.emb;
  if (emb === null) throw new UsageError('this model has no pretrained vectors attached', 'load it with its embeddings first');
  const keep = new Uint8Array(emb.count);
  const first = Math.min(opts.maxWords, emb.count);
  keep.fill(1, 0, first);
  let fromVocabulary = 0;
  for (const token of opts.vocabulary) {
    const id = pretrainedId(emb, token);
    if (id >= first && !keep[id]) {
      keep[id] = 1;
      fromVocabulary++;
    }
  }
  const ids: number[] = [];
  for (let id = 0; id < keep.length; id++) if (keep[id]) ids.push(id);
  const packed = packVectors(emb, ids, opts.quantize, first);
  return { model: { ...model, packed }, rows: ids.length, fromVocabulary };
}

