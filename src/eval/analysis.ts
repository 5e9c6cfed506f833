// Error analysis around `evaluate`: tagging a labelled corpus and scoring it (what `ner eval` and the
// library's evaluate() share), and entity F1 split by whether an entity contains a word the pretrained
// vectors do not cover (OOV) — the usual first suspect when a model misses names. Pure: no I/O.

import type { Corpus } from '../data/conll.js';
import { pretrainedId } from '../model/features.js';
import { scores, type Score } from './conlleval.js';
import { evaluate, type EvalResult } from './metrics.js';
import type { NerModel } from '../model/ner-model.js';
import { tagSentences } from '../predict/predict.js';
import { encodeSpans, spansFromTags } from '../data/tags.js';

/** Counts and entity-level scores (percent) of one group of entities. */
export type GroupScore = Score;

/** Entities with at least one token that has no pretrained vector (oov) and the others (inVocab). */
export interface OovSplit {
  oov: GroupScore;
  inVocab: GroupScore;
  /** Share of tokens (percent) with no pretrained vector. */
  oovTokenRate: number;
}

/**
 * Entity P/R/F1 for OOV and in-vocabulary entities. A gold or predicted span is OOV when any of its
 * tokens is (isOov(token)); a predicted span is correct when the gold has the same (type, start, end),
 * and then both spans cover the same tokens, so they fall in the same group.
 * gold, predicted, tokens: S sentences × n_s each.
 */
export function oovSplit(gold: string[][], predicted: string[][], tokens: string[][], isOov: (token: string) => boolean): OovSplit {
  const count = { oov: { gold: 0, found: 0, correct: 0 }, inVocab: { gold: 0, found: 0, correct: 0 } };
  let oovTokens = 0;
  let allTokens = 0;
  for (let s = 0; s < gold.length; s++) {
    const words = tokens[s];
    const oovAt = words.map(isOov);
    for (const o of oovAt) if (o) oovTokens++;
    allTokens += words.length;
    const group = (span: { start: number; end: number }) => (oovAt.slice(span.start, span.end).some(Boolean) ? count.oov : count.inVocab);
    const goldSpans = spansFromTags(gold[s]);
    const goldKeys = new Set(goldSpans.map((x) => `${x.type}\u0000${x.start}:${x.end}`));
    for (const span of goldSpans) group(span).gold++;
    for (const span of spansFromTags(predicted[s])) {
      const g = group(span);
      g.found++;
      if (goldKeys.has(`${span.type}\u0000${span.start}:${span.end}`)) g.correct++;
    }
  }
  return {
    oov: { ...count.oov, ...scores(count.oov.correct, count.oov.gold, count.oov.found) },
    inVocab: { ...count.inVocab, ...scores(count.inVocab.correct, count.inVocab.gold, count.inVocab.found) },
    oovTokenRate: allTokens > 0 ? (100 * oovTokens) / allTokens : 0,
  };
}


export interface Scored {
  corpus: Corpus;
  predicted: string[][]; // in the gold file's tag scheme
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

/** Several scored files as one stream, as conlleval would score their concatenation. */
export function combine(scored: Scored[]): { gold: string[][]; predicted: string[][]; tokens: string[][]; result: EvalResult } {
  const gold = scored.flatMap((s) => s.corpus.sentences.map((x) => x.tags));
  const predicted = scored.flatMap((s) => s.predicted);
  const tokens = scored.flatMap((s) => s.corpus.sentences.map((x) => x.tokens));
  const result = scored.length === 1 ? scored[0].result : evaluate(gold, predicted, tokens);
  return { gold, predicted, tokens, result };
}

/**
 * Tags and scores labelled corpora (as one stream) and splits the scores by OOV entities, using the
 * model's own pretrained vectors to decide what is OOV: the numbers `ner eval` and the reports show.
 */
export function evaluateWithOov(model: NerModel, corpora: Corpus[]): EvalResult & { oov: OovSplit } {
  const all = combine(corpora.map((c) => scoreCorpus(model, c)));
  const emb = model.words.emb;
  const oov = oovSplit(all.gold, all.predicted, all.tokens, (t) => pretrainedId(emb, t) < 0);
  return { ...all.result, oov };
}
