// Which sentences to ask about next: the most uncertain first (uncertainty.ts), with diversity, or a
// seeded random order. Pure.
//
// Diversity: uncertainty alone asks about the same unknown name again and again (CoNLL-2003 has dozens
// of sentences per football club), and each repeat teaches the model little once one is labelled. So a
// sentence is held back while a batch (or the recent questions) already has one of its names: the texts
// of the entities the model sees in it, and its least certain token when that is capitalised. Identical
// sentences count as one. Held-back sentences fill the batch only when nothing else is left.

import { Rng } from '../rng.js';
import type { Scored } from './uncertainty.js';

/** The names a sentence would teach about (lowercased). */
export function namesOf(tokens: string[], s: Scored | null): string[] {
  if (s === null) return [];
  const names = s.spans.map((e) => tokens.slice(e.start, e.end).join(' ').toLowerCase());
  const w = tokens[s.weakest];
  if (w !== undefined && /^\p{Lu}/u.test(w)) names.push(w.toLowerCase());
  return names;
}

/** Indices ordered by uncertainty, highest first (ties: lower index first). */
export function byUncertainty(scored: Scored[], among: number[]): number[] {
  return [...among].sort((a, b) => scored[b].u - scored[a].u || a - b);
}

/** Indices in a random order drawn from `rng`. */
export function shuffled(among: number[], rng: Rng): number[] {
  const order = [...among];
  rng.shuffle(order);
  return order;
}

/**
 * Up to `size` indices from `order` (best first), skipping a sentence whose names or text are already in
 * the batch or in `recent`, unless nothing else is left. `recent` is not changed.
 */
export function pickDiverse(order: number[], size: number, tokensOf: (i: number) => string[], namesOfIndex: (i: number) => string[], recent: ReadonlySet<string> = new Set()): number[] {
  const taken: number[] = [];
  const held: number[] = [];
  const seen = new Set(recent);
  for (const i of order) {
    if (taken.length >= size) break;
    const text = tokensOf(i).join(' ');
    const keys = [`text:${text}`, ...namesOfIndex(i)];
    if (keys.some((k) => seen.has(k))) {
      held.push(i);
      continue;
    }
    for (const k of keys) seen.add(k);
    taken.push(i);
  }
  for (const i of held) {
    if (taken.length >= size) break;
    taken.push(i);
  }
  return taken;
}

/**
 * The n sentences (indices into `sentences`, among `among`) to label first: by uncertainty with the
 * diversity rule, from scores of those sentences (scored[j] belongs to among[j]).
 */
export function mostUseful(sentences: string[][], among: number[], scored: Scored[], n: number): number[] {
  const at = new Map(among.map((i, j) => [i, j]));
  const order = byUncertainty(scored, among.map((_, j) => j)).map((j) => among[j]);
  return pickDiverse(order, n, (i) => sentences[i], (i) => namesOf(sentences[i], scored[at.get(i)!]));
}
