// Gazetteers: lists of phrases by type (places, people's names, companies …) turned into one feature
// class per token, a one-hot group of each window position's block in x.
//
//   class(token) = 0                       no listed phrase covers the token
//                = 1 + 4·t + {0 B, 1 I, 2 E, 3 S}   the token Begins / is Inside / Ends a listed phrase
//                                          of type t (of T), or is a Single-token one
//   pad          = 1 + 4·T                 window positions outside the sentence (the group's last class)
//
// Matching is longest match, left to right: at token i the longest listed phrase starting there covers
// i … i+L−1 and the scan goes on at i+L; where none starts, at i+1. Each phrase has one type: a phrase
// listed under several types keeps the one listed most often (the first listed on a tie), so a token
// has exactly one class.
//
// Case: phrases match exactly by default ('exact'). With 'fold' a phrase also matches in any case
// ("JAPAN" in a headline matches "Japan"; the longer match wins, the exact one on a tie). Folding finds
// few more entities and many more wrong matches ("will", "may"): with the training entities, 66.2 % of
// CoNLL-2003 dev's entities are matched against 65.2 % exactly, but only 48.4 % of the matches are
// entities against 78.4 %; dev F1 is the same within seed noise (docs/accuracy.md, Gazetteers).
//
// Phrases are tokenised with the project's tokenizer as if in mid-sentence ("Acme Inc." keeps its
// period, as "U.S." does, the way CoNLL writes them inside a sentence).
//
// A gazetteer made from the training data's own entities lists every training entity, so on the
// training sentences its features would be always right and the model would learn to trust them
// alone; jackknifeClasses gives each training sentence the features of a gazetteer made from the
// OTHER folds' entities only (folds: seeded blocks of consecutive sentences, so that an article's
// repeated names tend to fall in one fold, as a dev article's names are not in the training data).
//
// Pure except readGazetteerFile and readGazetteers (the file reader).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../errors.js';
import type { TokenFeature } from '../model/features.js';
import { Rng } from '../rng.js';
import { spansFromTags } from './tags.js';
import { tokenize } from './tokenize.js';

export type GazetteerCase = 'exact' | 'fold';
export const GAZETTEER_CASES: GazetteerCase[] = ['exact', 'fold'];

/** A phrase as a token list, with the index of its type in Gazetteer.types. */
export interface Phrase {
  type: number;
  tokens: string[];
}

export interface Gazetteer {
  types: string[]; // T types, sorted
  match: GazetteerCase;
  phrases: Phrase[];
  sources: string[]; // what it was made from (file names, "training entities"), for `ner info`
}

/** A listed phrase before types are numbered: one line of a file, or one training entity. */
export interface GazetteerEntry {
  type: string;
  tokens: string[];
}

/** Types beyond this would make a one-hot group wider than the word vector it sits beside. */
export const MAX_GAZETTEER_TYPES = 32;
const TYPE_NAME = /^[\p{L}\p{N}_.:-]+$/u;

/** 2 + 4T: no match, B/I/E/S per type, pad. */
export function gazetteerClassCount(g: Gazetteer): number {
  return 2 + 4 * g.types.length;
}

/** The class of window positions outside the sentence: the group's last one. */
export function gazetteerPadClass(g: Gazetteer): number {
  return 1 + 4 * g.types.length;
}

/** The name of a class, e.g. "B-LOC", "O", "pad" (for `ner info` and tests). */
export function gazetteerClassName(g: Gazetteer, c: number): string {
  if (c === 0) return 'O';
  if (c === gazetteerPadClass(g)) return 'pad';
  return `${'BIES'[(c - 1) % 4]}-${g.types[Math.floor((c - 1) / 4)]}`;
}

/** The name of the gazetteer's one-hot group in a model's window shape. */
export const GAZETTEER_GROUP = 'gazetteer';

/** The gazetteer as a one-hot group of each window position (features.ts TokenFeature). */
export function gazetteerFeature(g: Gazetteer): TokenFeature {
  return { name: GAZETTEER_GROUP, size: gazetteerClassCount(g), classes: (sentence) => gazetteerClasses(g, sentence) };
}

/** A phrase's tokens, as the tokenizer splits it in mid-sentence (see the header). */
export function phraseTokens(phrase: string): string[] {
  const tokens = tokenize(`${phrase} x`).flat().map((t) => t.text);
  tokens.pop(); // the "x" that stands for the rest of the sentence
  return tokens;
}

/**
 * Parses a gazetteer file: one `TYPE<TAB>phrase` a line; blank lines and lines starting with # are
 * skipped. `file` names the file in errors (file:line, what is wrong, the fix).
 */
export function parseGazetteer(text: string, file: string): GazetteerEntry[] {
  const entries: GazetteerEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const no = i + 1;
    const tab = line.indexOf('\t');
    const example = 'e.g. "LOC<TAB>New York" (a tab character between the type and the phrase)';
    if (tab < 0) {
      const hint = /^\S+ +\S/.test(line) ? 'the type and the phrase are separated by spaces, not a tab: ' : '';
      throw new DataError(file, no, `expected TYPE<TAB>phrase, found no tab in ${JSON.stringify(line.slice(0, 60))}`, `${hint}write one entry a line, ${example}`);
    }
    const type = line.slice(0, tab).trim();
    const phrase = line.slice(tab + 1).trim();
    if (type === '') throw new DataError(file, no, 'the type before the tab is empty', `write the type first, ${example}`);
    if (!TYPE_NAME.test(type)) {
      throw new DataError(file, no, `the type ${JSON.stringify(type)} has characters other than letters, digits and _ . : -`, `use a single word such as LOC or PER, ${example}`);
    }
    if (phrase.includes('\t')) throw new DataError(file, no, 'the phrase holds a tab', `separate a phrase's words with spaces; one entry a line, ${example}`);
    if (phrase === '') throw new DataError(file, no, `type ${type} has no phrase after the tab`, `write the phrase after the tab, ${example}, or delete the line`);
    const tokens = phraseTokens(phrase);
    if (tokens.length === 0) throw new DataError(file, no, `the phrase ${JSON.stringify(phrase)} has no tokens`, 'write a word or name after the tab');
    entries.push({ type, tokens });
  }
  return entries;
}

/** Reads and parses a gazetteer file (UTF-8), with file-system errors as DataErrors that say the fix. */
export function readGazetteerFile(file: string): GazetteerEntry[] {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).isDirectory()) throw new DataError(file, undefined, 'is a directory, expected a gazetteer file', 'pass a text file with one TYPE<TAB>phrase a line');
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'gazetteer file not found', 'check the path (it is relative to the current directory)');
    if (code === 'EACCES' || code === 'EPERM') throw new DataError(file, undefined, 'permission denied: cannot read the gazetteer file', 'make it readable (chmod u+r)');
    throw new DataError(file, undefined, `cannot read the gazetteer file (${code ?? (err as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(file, undefined, 'the gazetteer file is not UTF-8 text', 'save it as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 in > out)');
  }
  if (text.includes('\0')) throw new DataError(file, undefined, 'this looks like a binary file (it contains a NUL byte), not a gazetteer', 'pass a text file with one TYPE<TAB>phrase a line');
  const entries = parseGazetteer(text, file);
  if (entries.length === 0) throw new DataError(file, undefined, 'the gazetteer file lists no phrases', 'write one TYPE<TAB>phrase a line (lines starting with # are comments)');
  return entries;
}

/** The gazetteer of several files (null for none): readGazetteerFile on each, then buildGazetteer. */
export function readGazetteers(files: string[], match: GazetteerCase): Gazetteer | null {
  if (files.length === 0) return null;
  return buildGazetteer(files.flatMap((f) => readGazetteerFile(f)), match, files.map((f) => path.basename(f)));
}

/** The entities of labelled sentences, as gazetteer entries (one per occurrence). */
export function entityEntries(sentences: string[][], tags: string[][]): GazetteerEntry[] {
  const out: GazetteerEntry[] = [];
  for (let s = 0; s < sentences.length; s++) {
    for (const sp of spansFromTags(tags[s])) out.push({ type: sp.type, tokens: sentences[s].slice(sp.start, sp.end) });
  }
  return out;
}

/**
 * A gazetteer from entries: each distinct token sequence once, with the type it is listed under most
 * often (the first listed on a tie). `types`: the types to number (default: those of the entries), so
 * that gazetteers made from parts of the same data share one class numbering.
 */
export function buildGazetteer(entries: GazetteerEntry[], match: GazetteerCase, sources: string[], types?: string[]): Gazetteer {
  const allTypes = types ?? [...new Set(entries.map((e) => e.type))].sort();
  if (allTypes.length > MAX_GAZETTEER_TYPES) {
    throw new DataError(sources.join(', '), undefined, `the gazetteers have ${allTypes.length} types, at most ${MAX_GAZETTEER_TYPES} are supported`, 'merge related types (e.g. CITY and COUNTRY into LOC)');
  }
  const typeIndex = new Map(allTypes.map((t, i) => [t, i]));
  // per distinct phrase: how often each type lists it, and where each type first lists it
  const byKey = new Map<string, { tokens: string[]; counts: number[]; first: number[] }>();
  entries.forEach((e, i) => {
    const t = typeIndex.get(e.type);
    if (t === undefined) return;
    const key = e.tokens.join('\u0001');
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = { tokens: e.tokens, counts: new Array(allTypes.length).fill(0), first: new Array(allTypes.length).fill(Infinity) }));
    p.counts[t]++;
    if (p.first[t] === Infinity) p.first[t] = i;
  });
  const phrases: Phrase[] = [];
  for (const p of byKey.values()) {
    let best = 0;
    for (let t = 1; t < allTypes.length; t++) if (p.counts[t] > p.counts[best] || (p.counts[t] === p.counts[best] && p.first[t] < p.first[best])) best = t;
    phrases.push({ type: best, tokens: p.tokens });
  }
  return { types: allTypes, match, phrases, sources };
}

/** Several gazetteers as one (their types merged; a phrase in several keeps the first one's type). */
export function mergeGazetteers(gs: Gazetteer[], match: GazetteerCase): Gazetteer {
  const types = [...new Set(gs.flatMap((g) => g.types))].sort();
  const entries: GazetteerEntry[] = [];
  for (const g of gs) for (const p of g.phrases) entries.push({ type: g.types[p.type], tokens: p.tokens });
  // buildGazetteer keeps a phrase's most listed type: list each once so that the first gazetteer wins
  const seen = new Set<string>();
  const once = entries.filter((e) => {
    const key = e.tokens.join('\u0001');
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return buildGazetteer(once, match, gs.flatMap((g) => g.sources), types);
}

// ── matching ────────────────────────────────────────────────────────────────────────────────────
// A trie over tokens: node.type ≥ 0 where a listed phrase ends. Built once per gazetteer (and per
// case: 'fold' has a second trie over lowercased tokens).

interface Node {
  next: Map<string, Node>;
  type: number;
}

const tries = new WeakMap<Gazetteer, { exact: Node; lower: Node | null }>();

function trieOf(g: Gazetteer): { exact: Node; lower: Node | null } {
  let t = tries.get(g);
  if (t) return t;
  const insert = (root: Node, tokens: string[], type: number): void => {
    let n = root;
    for (const tok of tokens) {
      let c = n.next.get(tok);
      if (!c) n.next.set(tok, (c = { next: new Map(), type: -1 }));
      n = c;
    }
    if (n.type < 0) n.type = type; // lowercase collisions ("US", "us"): the first listed keeps it
  };
  const exact: Node = { next: new Map(), type: -1 };
  const lower: Node | null = g.match === 'fold' ? { next: new Map(), type: -1 } : null;
  for (const p of g.phrases) insert(exact, p.tokens, p.type);
  if (lower) for (const p of g.phrases) insert(lower, p.tokens.map((x) => x.toLowerCase()), p.type);
  t = { exact, lower };
  tries.set(g, t);
  return t;
}

/** The longest listed phrase starting at tokens[i]: [length, type], length 0 when none. */
function longestAt(root: Node, tokens: string[], i: number, lower: boolean, out: [number, number]): void {
  out[0] = 0;
  out[1] = -1;
  let n: Node | undefined = root;
  for (let j = i; j < tokens.length; j++) {
    n = n.next.get(lower ? tokens[j].toLowerCase() : tokens[j]);
    if (!n) return;
    if (n.type >= 0) {
      out[0] = j - i + 1;
      out[1] = n.type;
    }
  }
}

/** The class of every token of one sentence (see the header): Int32Array of tokens.length. */
export function gazetteerClasses(g: Gazetteer, tokens: string[], out = new Int32Array(tokens.length), o = 0): Int32Array {
  const { exact, lower } = trieOf(g);
  const a: [number, number] = [0, -1];
  const b: [number, number] = [0, -1];
  for (let i = 0; i < tokens.length; ) {
    longestAt(exact, tokens, i, false, a);
    if (lower) {
      longestAt(lower, tokens, i, true, b);
      if (b[0] > a[0]) [a[0], a[1]] = b;
    }
    const L = a[0];
    if (L === 0) {
      out[o + i] = 0;
      i++;
      continue;
    }
    const base = 1 + 4 * a[1];
    if (L === 1) out[o + i] = base + 3;
    else {
      out[o + i] = base;
      for (let k = 1; k < L - 1; k++) out[o + i + k] = base + 1;
      out[o + i + L - 1] = base + 2;
    }
    i += L;
  }
  return out;
}

/** The classes of all tokens of several sentences, flattened in order. */
export function gazetteerClassesOf(g: Gazetteer, sentences: string[][]): Int32Array {
  let N = 0;
  for (const s of sentences) N += s.length;
  const out = new Int32Array(N);
  let o = 0;
  for (const s of sentences) {
    gazetteerClasses(g, s, out, o);
    o += s.length;
  }
  return out;
}

// ── the training entities as a gazetteer, without teaching the model to trust it blindly ──────────

/** Sentences per fold block (a few articles): with 5 folds, the jackknifed features of CoNLL-2003 train find as many of its entities (65.0 %, 78.6 % of matches right) as the full gazetteer finds of dev's (65.2 %, 78.4 %); 98.0 % / 88.8 % without the jackknife. */
export const FOLD_BLOCK = 64;

/**
 * The fold (0 … k−1) of each sentence: blocks of FOLD_BLOCK consecutive sentences, each block given a
 * fold by a seeded shuffle (so the folds are the same size within a block).
 */
export function foldsOf(count: number, k: number, seed: number): Int32Array {
  const blocks = Math.ceil(count / FOLD_BLOCK);
  const order = new Int32Array(blocks);
  for (let b = 0; b < blocks; b++) order[b] = b % k;
  new Rng(seed).shuffle(order);
  const fold = new Int32Array(count);
  for (let s = 0; s < count; s++) fold[s] = order[Math.floor(s / FOLD_BLOCK)];
  return fold;
}

/**
 * The gazetteer classes of the training tokens (flattened) when the gazetteer holds the training
 * entities: sentence s gets the classes of `external` merged with the entities of the sentences in
 * the other folds (jackknife, k folds, seeded), never its own. The model is then trained on features
 * that miss some entities, as they do on new text. `full` (external + every training entity) is the
 * gazetteer the model keeps for tagging; its types number the classes of every fold.
 */
export function jackknifeClasses(
  sentences: string[][],
  tags: string[][],
  external: Gazetteer | null,
  full: Gazetteer,
  k: number,
  seed: number,
  kept: readonly GazetteerEntry[] = trainingEntries(sentences, tags), // as gazetteerWithTraining takes them
): Int32Array {
  const fold = foldsOf(sentences.length, k, seed);
  const offset = new Int32Array(sentences.length + 1);
  for (let s = 0; s < sentences.length; s++) offset[s + 1] = offset[s] + sentences[s].length;
  const out = new Int32Array(offset[sentences.length]);
  // the phrases trainingEntries keeps (judged on all the training text)
  const keep = new Set(kept.map((e) => e.tokens.join('\u0001')));
  for (let f = 0; f < k; f++) {
    const entries: GazetteerEntry[] = [];
    if (external) for (const p of external.phrases) entries.push({ type: external.types[p.type], tokens: p.tokens });
    const others: number[] = [];
    for (let s = 0; s < sentences.length; s++) if (fold[s] !== f) others.push(s);
    // the external lists first: a phrase in one keeps its type there, as in mergeGazetteers
    const listed = new Set(entries.map((e) => e.tokens.join('\u0001')));
    const fromTrain = entityEntries(others.map((s) => sentences[s]), others.map((s) => tags[s])).filter((e) => keep.has(e.tokens.join('\u0001')) && !listed.has(e.tokens.join('\u0001')));
    const g = buildGazetteer([...entries, ...fromTrain], full.match, full.sources, full.types);
    for (let s = 0; s < sentences.length; s++) if (fold[s] === f) gazetteerClasses(g, sentences[s], out, offset[s]);
  }
  return out;
}

/** A training phrase is kept when, of its occurrences in the training text, at least this share is tagged as an entity of its type. */
export const MIN_PHRASE_PRECISION = 0.5;

/**
 * The training entities as gazetteer entries, without the phrases that are usually not that entity
 * where they occur in the training text: stray tags ("de" once tagged ORG in CoNLL-2002 matches 3,102
 * times in esp.testa, wrongly), sentence-initial "The" inside a LOC, "3" of a team name.
 */
export function trainingEntries(sentences: string[][], tags: string[][]): GazetteerEntry[] {
  const entries = entityEntries(sentences, tags);
  const g = buildGazetteer(entries, 'exact', []);
  // every occurrence of every phrase in the text (all starts, all lengths), and how many are its entity
  const { exact } = trieOf(g);
  const seen = new Map<Node, number>();
  for (const s of sentences) {
    for (let i = 0; i < s.length; i++) {
      let n: Node | undefined = exact;
      for (let j = i; j < s.length && (n = n.next.get(s[j])) !== undefined; j++) if (n.type >= 0) seen.set(n, (seen.get(n) ?? 0) + 1);
    }
  }
  const hits = new Map<string, number>();
  for (const e of entries) {
    const key = e.type + '\u0002' + e.tokens.join('\u0001');
    hits.set(key, (hits.get(key) ?? 0) + 1);
  }
  const keep = new Set<string>();
  for (const p of g.phrases) {
    let n: Node | undefined = exact;
    for (const t of p.tokens) n = n!.next.get(t);
    const key = p.tokens.join('\u0001');
    const hit = hits.get(g.types[p.type] + '\u0002' + key) ?? 0;
    if (hit >= MIN_PHRASE_PRECISION * (seen.get(n!) ?? 1)) keep.add(key);
  }
  return entries.filter((e) => keep.has(e.tokens.join('\u0001')));
}

/** The gazetteer of external lists plus the training entities (trainingEntries; external lists win a phrase's type). */
export function gazetteerWithTraining(sentences: string[][], tags: string[][], external: Gazetteer | null, match: GazetteerCase, entries: readonly GazetteerEntry[] = trainingEntries(sentences, tags)): Gazetteer {
  const fromTrain = buildGazetteer([...entries], match, ['training entities']);
  return external ? mergeGazetteers([external, fromTrain], match) : fromTrain;
}

// ── in the model file ───────────────────────────────────────────────────────────────────────────

/** The gazetteer as the model file stores it: phrases as [type index, tokens]. */
export function gazetteerToJson(g: Gazetteer): { match: GazetteerCase; types: string[]; sources: string[]; phrases: [number, string[]][] } {
  return { match: g.match, types: g.types, sources: g.sources, phrases: g.phrases.map((p) => [p.type, p.tokens]) };
}

/** The gazetteer of a model file, checked; returns a description of what is wrong, or the gazetteer. */
export function gazetteerFromJson(doc: unknown): Gazetteer | string {
  const o = doc as { match?: unknown; types?: unknown; sources?: unknown; phrases?: unknown };
  if (!o || typeof o !== 'object') return 'gazetteer is not an object';
  if (!GAZETTEER_CASES.includes(o.match as GazetteerCase)) return `gazetteer.match is ${JSON.stringify(o.match)}, expected one of ${GAZETTEER_CASES.join(', ')}`;
  const types = o.types;
  if (!Array.isArray(types) || types.length === 0 || types.length > MAX_GAZETTEER_TYPES || types.some((t) => typeof t !== 'string' || !TYPE_NAME.test(t))) {
    return `gazetteer.types should list 1 to ${MAX_GAZETTEER_TYPES} type names`;
  }
  const sources = o.sources;
  if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string')) return 'gazetteer.sources should list names';
  if (!Array.isArray(o.phrases)) return 'gazetteer.phrases is not a list';
  const phrases: Phrase[] = [];
  for (let i = 0; i < o.phrases.length; i++) {
    const p = o.phrases[i];
    const ok = Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && p[0] >= 0 && p[0] < types.length
      && Array.isArray(p[1]) && p[1].length > 0 && p[1].every((t: unknown) => typeof t === 'string' && t !== '');
    if (!ok) return `gazetteer.phrases[${i}] should be [type index < ${types.length}, [token, …]]`;
    phrases.push({ type: p[0], tokens: p[1] });
  }
  return { types: types as string[], match: o.match as GazetteerCase, phrases, sources: sources as string[] };
}
