// Prediction: tokens → windows → scores → probabilities → entity spans. Pure (no I/O).

import { type Decoded, decode, tagOutputs, transitions } from '../model/labels.js';
import { type Encoded, type TokenFeature, casing, clearForms, encodeFeatures, wordId } from '../model/features.js';
import type { NerModel } from '../model/ner-model.js';
import { WindowScorer } from './fast-scorer.js';

// A token's word id and casing, packed as id · CASE_SLOTS + casing id, are remembered by the WordEncoder:
// text repeats its words (Zipf), so most tokens skip the lookup chain (exact → lowercase → digits, up to
// three hash probes and two new strings) and the casing scan. Bounded: the memo is emptied when full.
const CASE_SLOTS = 8; // casing() < 8
const MEMO_MAX = 100_000;
// With subword vectors every form found nowhere gets an id of its own (features.ts wordId), so a tagger
// that runs for long (ner serve) would keep every such form it ever met. Once there are MAX_FORMS of
// them, the next batch starts them over (clearForms): within a batch an id means one form.
export const MAX_FORMS = 2 ** 15;

/** features.ts encode(words, sentences), with a memo of the tokens seen (the same result). */
export class WordEncoder {
  private readonly memo = new Map<string, number>(); // token → word id · CASE_SLOTS + casing id
  private formsCleared: number; // words.formsCleared when the memo was started

  constructor(
    private readonly words: NerModel['words'],
    private readonly features: readonly TokenFeature[] = [],
    private readonly maxForms = MAX_FORMS,
  ) {
    this.formsCleared = words.formsCleared ?? 0;
  }

  encode(sentences: string[][]): Encoded {
    let N = 0;
    for (const s of sentences) N += s.length;
    const e: Encoded = { N, word: new Int32Array(N), caseId: new Int32Array(N), sentStart: new Int32Array(N), sentEnd: new Int32Array(N) };
    const memo = this.memo;
    if (this.words.forms && this.words.forms.size >= this.maxForms) clearForms(this.words);
    if ((this.words.formsCleared ?? 0) !== this.formsCleared) {
      memo.clear(); // it holds ids of forms that other forms may now have (another encoder may have cleared them)
      this.formsCleared = this.words.formsCleared ?? 0;
    }
    let i = 0;
    for (const s of sentences) {
      const start = i;
      for (const tok of s) {
        let packed = memo.get(tok);
        if (packed === undefined) {
          packed = wordId(this.words, tok).id * CASE_SLOTS + casing(tok);
          if (memo.size >= MEMO_MAX) memo.clear();
          memo.set(tok, packed);
        }
        e.word[i] = Math.floor(packed / CASE_SLOTS);
        e.caseId[i] = packed % CASE_SLOTS;
        i++;
      }
      e.sentStart.fill(start, start, i);
      e.sentEnd.fill(i, start, i);
    }
    encodeFeatures(e, sentences, this.features);
    return e;
  }
}

/** Tags sentences with one model, reusing the per-word products across calls (see fast-scorer.ts). */
export class Tagger {
  private readonly scorer: WindowScorer;
  private readonly tr: ReturnType<typeof transitions> | undefined;
  private readonly encoder: WordEncoder;
  /**
   * budgetBytes: memory for the cached per-word products (see fast-scorer.ts; default 32 MB); maxForms: the
   * forms found nowhere kept between batches (MAX_FORMS). Call close()
   * when done: it returns the scorer's arrays to the WebAssembly arena.
   */
  constructor(
    readonly model: NerModel,
    opts: { budgetBytes?: number; maxForms?: number } = {},
  ) {
    this.scorer = new WindowScorer(model, opts.budgetBytes);
    this.tr = tagOutputs(model.labels.head) ? transitions(model.labels) : undefined;
    this.encoder = new WordEncoder(model.words, model.features, opts.maxForms);
  }

  /** The scorer's cache: words it holds at most, and word products computed so far (see fast-scorer.ts). */
  cacheStats(): { capacity: number; fills: number } {
    return { capacity: this.scorer.capacity, fills: this.scorer.fills };
  }

  /** Frees the scorer: the Tagger must not be used afterwards. */
  close(): void {
    this.scorer.close();
  }

  /** P (N×K): the output probabilities of every token of the sentences, in order. */
  probabilities(sentences: string[][]): ReturnType<WindowScorer['probabilities']> {
    return this.scorer.probabilities(this.encoder.encode(sentences));
  }

  /** Entities (and IOB2 tags) for each sentence of tokens. */
  tag(sentences: string[][]): Decoded[] {
    const { model } = this;
    const P = this.probabilities(sentences);
    const K = model.dims.K;
    const out: Decoded[] = [];
    let o = 0;
    for (const s of sentences) {
      out.push(decode(model.labels, P.subarray(o * K, (o + s.length) * K), s.length, model.config.threshold, this.tr));
      o += s.length;
    }
    return out;
  }
}

/** Entities (and IOB2 tags) for each sentence of tokens. */
export function tagSentences(model: NerModel, sentences: string[][]): Decoded[] {
  const tagger = new Tagger(model);
  try {
    return tagger.tag(sentences);
  } finally {
    tagger.close();
  }
}

