// Reproduces the ablation table of the README: trains each named configuration on CoNLL-2003 train,
// scores dev every epoch (early stopping on dev, as `ner train` does) and prints one Markdown row per run.
//
//   npm run experiment -- --data ../shared/data/conll2003 [--only default,ovr] [--seeds 1,2,3]
//
// Every configuration is the default config plus the few changes listed below, so each row says what
// one choice is worth. Runs are sequential (one core each); the seed makes every number reproducible.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';

const EXPERIMENTS: Record<string, Partial<ModelConfig>> = {
  default: {},
  'ovr head (lecture)': { head: 'ovr' },
  'softmax head': { head: 'softmax' },
  'logistic head (σ per tag)': { head: 'logistic' },
  'BIO targets': { scheme: 'BIO' },
  'no casing feature': { casing: false },
  'no own rows for OOV words': { minCount: 1e9 },
  'relu': { activation: 'relu' },
  'H = 300': { hidden: 300 },
  'fine-tune vectors': { fineTune: true, lrEmbed: 0.05 },
  'word dropout 0.1': { wordDropout: 0.1 },
  'lr decay 0.1': { lrDecay: 0.1 },
  'window 3': { window: 3 },
  'batch 16': { batch: 16 },
  'gazetteer of the training entities': { gazetteerFromTrain: true },
  'gazetteer of the training entities, not jackknifed': { gazetteerFromTrain: true, gazetteerFolds: 0 },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const dataDir = arg('--data') ?? '../shared/data/conll2003';
  const trainFile = path.join(dataDir, 'train.txt');
  if (!fs.existsSync(trainFile)) {
    process.stderr.write(`no CoNLL-2003 data at ${dataDir}: pass --data DIR with train.txt and dev.txt\n`);
    process.exit(1);
  }
  const only = arg('--only')?.split(',');
  const seeds = (arg('--seeds') ?? String(DEFAULT_CONFIG.seed)).split(',').map(Number);
  const names = only ?? Object.keys(EXPERIMENTS);
  for (const n of names) if (!(n in EXPERIMENTS)) throw new Error(`unknown experiment ${n}; known: ${Object.keys(EXPERIMENTS).join(', ')}`);

  const corpus = readConll(trainFile);
  const dev = readConll(path.join(dataDir, 'dev.txt'));
  const emb = await loadEmbeddings(arg('--embeddings'));
  console.log('| configuration | seed | dev P | dev R | dev F1 | best epoch / epochs | train tok/s | time |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of names) {
    for (const seed of seeds) {
      const config: ModelConfig = { ...DEFAULT_CONFIG, ...EXPERIMENTS[name], seed };
      const t0 = performance.now();
      const { model } = await train([corpus], dev, emb, config, {
        onEpoch: (r) => process.stderr.write(`  ${name} seed ${seed} epoch ${r.epoch}: F1 ${r.dev?.f1.toFixed(2)} (${r.seconds.toFixed(0)} s)\n`),
      });
      const s = (performance.now() - t0) / 1000;
      const best = model.history[model.bestEpoch - 1];
      const tps = model.history.reduce((a, r) => a + r.tokensPerSecond, 0) / model.history.length;
      const f = (v: number) => v.toFixed(2);
      console.log(
        `| ${name} | ${seed} | ${f(best.dev!.precision)} | ${f(best.dev!.recall)} | ${f(best.dev!.f1)} | ${model.bestEpoch} / ${model.history.length} | ${Math.round(tps).toLocaleString('en-US')} | ${s.toFixed(0)} s |`,
      );
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
