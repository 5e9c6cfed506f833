// How closely src/tokenize.ts reproduces CoNLL-2003's own tokens.
// For each sentence of a CoNLL file it rebuilds plausible raw text two ways — tokens joined by single
// spaces, and "detokenised" (punctuation glued back: "Germany's", "(EU)", "said.") — tokenises it and
// compares with the file's tokens: exact token-sequence match per sentence, token span F1, and how
// often the sentence came back as exactly one sentence. It also joins each document's sentences
// (detokenised; one space apart after final punctuation, else a line break, as a headline or dateline
// stands on its own line) and scores the sentence boundaries found.
// Usage: node dist/scripts/tokenize-agreement.js ../shared/data/conll2003/dev.txt

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tokenize } from '../src/data/tokenize.js';

/** Read the first column of a CoNLL file as documents of sentences of tokens (-DOCSTART- splits documents). */
export function readConllTokens(text: string): string[][][] {
  const docs: string[][][] = [[]];
  let sentence: string[] = [];
  const endSentence = (): void => {
    if (sentence.length > 0) docs[docs.length - 1].push(sentence);
    sentence = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const word = line.trim().split(/\s+/)[0];
    if (word === '') endSentence();
    else if (word === '-DOCSTART-') {
      endSentence();
      if (docs[docs.length - 1].length > 0) docs.push([]);
    } else sentence.push(word);
  }
  endSentence();
  return docs.filter((d) => d.length > 0);
}

const NO_SPACE_BEFORE = new Set([',', '.', ':', ';', '?', '!', ')', ']', '%', "'s", "'S", "n't", "N'T", "'re", "'ve", "'ll", "'d", "'m"]);
const NO_SPACE_AFTER = new Set(['(', '[', '$']);

/** Rebuild raw text from tokens: glue punctuation back as a writer would. Returns the text and each token's start. */
export function detokenize(tokens: string[]): { text: string; starts: number[] } {
  let text = '';
  const starts: number[] = [];
  let glueNext = false;
  let openQuote = false;
  tokens.forEach((tok, i) => {
    let glue = i === 0 || glueNext || NO_SPACE_BEFORE.has(tok);
    glueNext = NO_SPACE_AFTER.has(tok);
    if (tok === '"') {
      if (openQuote) glue = i === 0 || true; // a closing quote sticks to the word before it
      else glueNext = true; // an opening quote sticks to the word after it
      openQuote = !openQuote;
    }
    if (!glue) text += ' ';
    starts.push(text.length);
    text += tok;
  });
  return { text, starts };
}

/** Join tokens with single spaces. */
export function spaceJoin(tokens: string[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let pos = 0;
  for (const tok of tokens) {
    starts.push(pos);
    pos += tok.length + 1;
  }
  return { text: tokens.join(' '), starts };
}

export interface Agreement {
  sentences: number;
  exact: number; // sentences whose token sequence is reproduced exactly
  oneSentence: number; // sentences that come back as exactly one sentence
  tokenPrecision: number;
  tokenRecall: number;
  tokenF1: number;
}

/** Tokenise each rebuilt sentence and compare with the gold tokens (spans must match exactly). */
export function agreement(sentences: string[][], rebuild: (tokens: string[]) => { text: string; starts: number[] }): Agreement {
  let exact = 0;
  let oneSentence = 0;
  let goldCount = 0;
  let predCount = 0;
  let matched = 0;
  for (const gold of sentences) {
    const { text, starts } = rebuild(gold);
    const predicted = tokenize(text);
    const flat = predicted.flat();
    if (predicted.length === 1) oneSentence++;
    if (flat.length === gold.length && flat.every((t, i) => t.text === gold[i])) exact++;
    const goldSpans = new Set(gold.map((t, i) => `${starts[i]}:${starts[i] + t.length}`));
    for (const t of flat) if (goldSpans.has(`${t.start}:${t.end}`)) matched++;
    goldCount += gold.length;
    predCount += flat.length;
  }
  const tokenPrecision = predCount === 0 ? 0 : matched / predCount;
  const tokenRecall = goldCount === 0 ? 0 : matched / goldCount;
  const tokenF1 = tokenPrecision + tokenRecall === 0 ? 0 : (2 * tokenPrecision * tokenRecall) / (tokenPrecision + tokenRecall);
  return { sentences: sentences.length, exact, oneSentence, tokenPrecision, tokenRecall, tokenF1 };
}

/** Sentence-boundary precision/recall when each document is one detokenised paragraph. */
export function boundaryAgreement(docs: string[][][]): { precision: number; recall: number; f1: number } {
  let gold = 0;
  let predicted = 0;
  let matched = 0;
  for (const doc of docs) {
    const parts = doc.map(detokenize);
    const goldEnds = new Set<number>();
    let text = '';
    parts.forEach((p, i) => {
      // A sentence without final punctuation (headline, dateline, table row) was a line of its own.
      if (i > 0) text += /[.?!"')]$/.test(doc[i - 1][doc[i - 1].length - 1]) ? ' ' : '\n';
      text += p.text;
      goldEnds.add(text.length);
    });
    const predEnds = tokenize(text).map((s) => s[s.length - 1].end);
    gold += goldEnds.size;
    predicted += predEnds.length;
    for (const e of predEnds) if (goldEnds.has(e)) matched++;
  }
  const precision = matched / predicted;
  const recall = matched / gold;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

function main(): void {
  const path = process.argv[2];
  if (path === undefined) {
    process.stderr.write('usage: node dist/scripts/tokenize-agreement.js <conll-file>\n');
    process.exitCode = 2;
    return;
  }
  const docs = readConllTokens(readFileSync(path, 'utf8'));
  const sentences = docs.flat();
  const pct = (x: number): string => (100 * x).toFixed(2).padStart(6);
  console.log(`${path}: ${sentences.length} sentences, ${sentences.reduce((n, s) => n + s.length, 0)} tokens, ${docs.length} documents`);
  console.log('rebuild        exact-match  one-sentence  token-P  token-R  token-F1');
  for (const [name, rebuild] of [['space-joined', spaceJoin], ['detokenised', detokenize]] as const) {
    const a = agreement(sentences, rebuild);
    console.log(
      `${name.padEnd(14)} ${pct(a.exact / a.sentences)} %     ${pct(a.oneSentence / a.sentences)} %    ${pct(a.tokenPrecision)}   ${pct(a.tokenRecall)}   ${pct(a.tokenF1)}`,
    );
  }
  const b = boundaryAgreement(docs);
  console.log(`sentence boundaries, documents rebuilt as running text: P ${pct(b.precision)}  R ${pct(b.recall)}  F1 ${pct(b.f1)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
