// Simulates `ner annotate`'s loop on a labelled corpus, to measure what active learning saves: the pool is
// CoNLL-2003 train with its gold labels playing the person. Each run starts from `--start` random
// sentences, then repeatedly trains a model (the default configuration, early stopping on dev, as
// `ner train --dev` does), scores dev, and "labels" the next `--batch` sentences that its strategy picks:
//
//   lc       the most uncertain first (uncertainty.ts: least-confident Viterbi path, length-normalised),
//            with the diversity rule of select.ts, exactly as `ner annotate` and `ner select` choose
//   margin, entropy   the other measures, same rule
//   random   a seeded random order
//
// Rounds run round-major (round r of every strategy and seed before round r + 1), so a time-bounded run
// leaves curves of equal length. Every finished round is appended to --out (JSON lines, fsynced), with
// the batch its model chose next; a rerun with the same --out continues where the last one stopped.
// `full` records are the same training on the whole pool (the "full data" line).
//
//   node dist/scripts/simulate-active-learning.js --data ../shared/data/conll2003 --out docs/active-learning.jsonl \
//     [--strategies lc,random] [--seeds 1,2,3] [--start 200] [--batch 200] [--max-frac 0.4] [--max-rounds 18] [--minutes 60] [--threads 1]

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Corpus, Sentence } from '../src/data/conll.js';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings, type Embeddings } from '../src/embeddings/embeddings.js';
import { setKernelThreads } from '../src/fast/team.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { Rng } from '../src/rng.js';
import { train } from '../src/train/train.js';
import { mostUseful, shuffled } from '../src/annotate/select.js';
import { MEASURES, scoreSentences, type Measure } from '../src/annotate/uncertainty.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** One training: on how much, and its best epoch's dev scores. */
interface Trained {
  seed: number;
  sentences: number;
  tokens: number;
  f1: number;
  precision: number;
  recall: number;
  epochs: number;
  seconds: number;
}

interface RoundRecord extends Trained {
  kind: 'round';
  strategy: Measure;
  round: number;
  /** Round 0: the pool indices of the start set. */
  labelled?: number[];
  /** The pool indices this round's model chose to label next. */
  next: number[];
}

interface FullRecord extends Trained {
  kind: 'full';
}

type Rec = RoundRecord | FullRecord;

function append(file: string, rec: Rec): void {
  const fd = fs.openSync(file, 'a');
  fs.writeSync(fd, JSON.stringify(rec) + '\n');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

function subset(pool: Corpus, idx: Iterable<number>): Corpus {
  const sentences: Sentence[] = [];
  let tokens = 0;
  for (const i of idx) {
    sentences.push(pool.sentences[i]);
    tokens += pool.sentences[i].tokens.length;
  }
  return { ...pool, file: `${pool.file} (${sentences.length} sentences)`, sentences, tokens };
}

async function fit(corpus: Corpus, dev: Corpus, emb: Embeddings, seed: number) {
  const t0 = performance.now();
  const { model } = await train([corpus], dev, emb, { ...DEFAULT_CONFIG, seed });
  const best = model.history[model.bestEpoch - 1].dev!;
  return { model, best, epochs: model.history.length, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const dataDir = arg('--data', '../shared/data/conll2003');
  const out = arg('--out', 'docs/active-learning.jsonl');
  const strategies = arg('--strategies', 'lc,random').split(',') as Measure[];
  for (const s of strategies) if (!MEASURES.includes(s)) throw new Error(`unknown strategy ${s}; known: ${MEASURES.join(', ')}`);
  const seeds = arg('--seeds', '1,2,3').split(',').map(Number);
  const start = Number(arg('--start', '200'));
  const batch = Number(arg('--batch', '200'));
  const maxFrac = Number(arg('--max-frac', '0.4'));
  const maxRounds = Number(arg('--max-rounds', '18'));
  const deadline = performance.now() + Number(arg('--minutes', '60')) * 60_000;
  const fullSeeds = arg('--full-seeds', '1,2,3').split(',').filter((s) => s !== '').map(Number);
  setKernelThreads(Number(arg('--threads', '1')));

  const pool = readConll(path.join(dataDir, 'train.txt'));
  const dev = readConll(path.join(dataDir, 'dev.txt'));
  const emb = await loadEmbeddings(undefined);
  const sentences = pool.sentences.map((s) => s.tokens);
  const lengths = sentences.map((s) => s.length);

  const done: Rec[] = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) : [];
  process.stderr.write(`${out}: ${done.length} records already\n`);

  // the state of one curve: its labelled set and its next batch
  interface Run { strategy: Measure; seed: number; round: number; labelled: Set<number>; next: number[]; tokens: number }
  const runs: Run[] = [];
  for (const seed of seeds)
    for (const strategy of strategies) {
      const mine = done.filter((r): r is RoundRecord => r.kind === 'round' && r.strategy === strategy && r.seed === seed).sort((a, b) => a.round - b.round);
      let labelled: Set<number>;
      let next: number[];
      let round = 0;
      if (mine.length === 0) {
        // the start set depends on the seed only, so every strategy starts from the same sentences
        labelled = new Set(shuffled(sentences.map((_, i) => i), new Rng(seed)).slice(0, start));
        next = [];
      } else {
        labelled = new Set(mine[0].labelled);
        for (const r of mine.slice(0, -1)) for (const i of r.next) labelled.add(i);
        next = mine.at(-1)!.next;
        round = mine.at(-1)!.round + 1;
      }
      let tokens = 0;
      for (const i of labelled) tokens += lengths[i];
      runs.push({ strategy, seed, round, labelled, next, tokens });
    }

  const fullDone = new Set(done.filter((r) => r.kind === 'full').map((r) => r.seed));
  const runFull = async (seed: number) => {
    if (fullDone.has(seed)) return;
    const r = await fit(pool, dev, emb, seed);
    append(out, { kind: 'full', seed, sentences: pool.sentences.length, tokens: pool.tokens, f1: r.best.f1, precision: r.best.precision, recall: r.best.recall, epochs: r.epochs, seconds: r.seconds });
    process.stderr.write(`full seed ${seed}: F1 ${r.best.f1.toFixed(2)} (${r.seconds.toFixed(0)} s)\n`);
  };
  if (fullSeeds.length > 0) await runFull(fullSeeds[0]);

  const maxTokens = maxFrac * pool.tokens;
  for (;;) {
    const open = runs.filter((r) => r.round < maxRounds && (r.tokens < maxTokens || r.next.length > 0));
    if (open.length === 0 || performance.now() > deadline) break;
    const round = Math.min(...open.map((r) => r.round));
    for (const run of open.filter((r) => r.round === round)) {
      if (performance.now() > deadline) break;
      const first = run.round === 0;
      const startSet = first ? [...run.labelled] : undefined;
      for (const i of run.next) run.labelled.add(i);
      run.tokens = 0;
      for (const i of run.labelled) run.tokens += lengths[i];
      const r = await fit(subset(pool, run.labelled), dev, emb, run.seed);
      const rest = sentences.map((_, i) => i).filter((i) => !run.labelled.has(i));
      let next: number[] = [];
      if (run.tokens < maxTokens && run.round + 1 < maxRounds) {
        if (run.strategy === 'random') next = shuffled(rest, new Rng(run.seed * 1000 + run.round + 1)).slice(0, batch);
        else {
          next = mostUseful(sentences, rest, scoreSentences(r.model, rest.map((i) => sentences[i]), run.strategy), batch);
        }
      }
      append(out, {
        kind: 'round', strategy: run.strategy, seed: run.seed, round: run.round, sentences: run.labelled.size, tokens: run.tokens,
        f1: r.best.f1, precision: r.best.precision, recall: r.best.recall, epochs: r.epochs, seconds: r.seconds,
        ...(startSet ? { labelled: startSet } : {}), next,
      });
      process.stderr.write(`${run.strategy} seed ${run.seed} round ${run.round}: ${run.labelled.size} sentences, ${run.tokens} tokens, F1 ${r.best.f1.toFixed(2)} (${r.seconds.toFixed(0)} s)\n`);
      run.next = next;
      run.round++;
    }
  }
  for (const seed of fullSeeds.slice(1)) if (performance.now() < deadline) await runFull(seed);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
