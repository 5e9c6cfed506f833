// From tokenized sentences to entities a user can use: the text, type, character offsets into the input
// and probability of each entity, optionally dropping those below a probability. Shared by `ner tag` and
// the library's tag(). Pure: no I/O.

import type { NerModel } from '../model/ner-model.js';
import type { Decoded } from '../model/labels.js';
import { Tagger } from './predict.js';
import { encodeSpans } from '../data/tags.js';
import type { Token } from '../data/tokenize.js';

export interface Entity {
  text: string; // the entity's tokens joined by single spaces
  type: string;
  start: number; // offsets into the input text (UTF-16 code units, end exclusive)
  end: number;
  prob: number; // mean probability of the chosen output over the entity's tokens
}

export interface TaggedSentence {
  tokens: Token[];
  tags: string[]; // IOB2, after the minProb filter
  entities: (Entity & { tokenStart: number; tokenEnd: number })[]; // token indices, end exclusive
}

/**
 * Tags sentences of tokens; entities with prob < minProb are dropped (and their tags become O). Pass a
 * Tagger to reuse its per-word products across calls (a stream of batches).
 */
export function findEntities(by: NerModel | Tagger, sentences: Token[][], minProb = 0): TaggedSentence[] {
  if (sentences.length === 0) return [];
  const own = !(by instanceof Tagger);
  const tagger = by instanceof Tagger ? by : new Tagger(by);
  let decoded: ReturnType<Tagger["tag"]>;
  try {
    decoded = tagger.tag(sentences.map((s) => s.map((t) => t.text)));
  } finally {
    if (own) tagger.close(); // returns its arrays to the WebAssembly arena
  }
  return taggedSentences(sentences, decoded, minProb);
}

/** The sentences of tokens with their decoded spans; the tags are decode's when every span is kept and
 *  decode made them (Tagger.tag), else they are made from the spans kept (the pipeline sends spans only). */
export function taggedSentences(sentences: Token[][], decoded: (Pick<Decoded, 'spans'> & Partial<Pick<Decoded, 'tags'>>)[], minProb = 0): TaggedSentence[] {
  return sentences.map((tokens, si) => {
    const kept = decoded[si].spans.filter((e) => e.prob >= minProb);
    const entities = kept.map((e) => ({
      text: tokens.slice(e.start, e.end).map((t) => t.text).join(' '),
      type: e.type,
      start: tokens[e.start].start,
      end: tokens[e.end - 1].end,
      prob: e.prob,
      tokenStart: e.start,
      tokenEnd: e.end,
    }));
    const made = decoded[si].tags;
    const tags = made !== undefined && kept.length === decoded[si].spans.length ? made : encodeSpans(kept, tokens.length, 'IOB2');
    return { tokens, tags, entities };
  });
}

/** An entity as `ner tag --format json` and `ner serve` give it: its text as the input has it, its
 *  offsets in the unit asked for, these five fields in this order, the probability rounded to 4 decimals. */
export function jsonEntity(text: string, type: string, start: number, end: number, prob: number): Entity {
  return { text, type, start, end, prob: Math.round(prob * 1e4) / 1e4 };
}

/** One sentence as `[Paris Hilton]PER wowed the crowd .`: tokens joined by spaces, entities bracketed. */
export function bracketed(s: TaggedSentence): string {
  const parts: string[] = [];
  let i = 0;
  for (const e of s.entities) {
    for (; i < e.tokenStart; i++) parts.push(s.tokens[i].text);
    parts.push(`[${s.tokens.slice(e.tokenStart, e.tokenEnd).map((t) => t.text).join(' ')}]${e.type}`);
    i = e.tokenEnd;
  }
  for (; i < s.tokens.length; i++) parts.push(s.tokens[i].text);
  return parts.join(' ');
}
