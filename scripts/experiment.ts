// Reproduces the ablation tables of docs/accuracy.md: trains each named configuration on a corpus's train
// split, scores its dev split every epoch (early stopping on dev, as `ner train` does) and prints one
// Markdown row per run, then the mean over the seeds of each configuration.
//
//   npm run experiment -- [--data DIR[,DIR…]] [--only NAME,NAME…] [--seeds 1,2,3] [--embeddings FILE]
//   npm run experiment -- --list
//
// DIR holds train.txt + dev.txt (CoNLL-2003: ../shared/data/conll2003, the default) or esp.train +
// esp.testa (CoNLL-2002 Spanish: ../shared/data/conll2002). The full grid is long (a run takes 20 s to
// 2 min): --only and --seeds choose a subset, e.g. --only default,shape --seeds 1,2,3.
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
  'min count 1': { minCount: 1 },
  'no word shape': { shape: false },
  'no word shape, no casing': { shape: false, casing: false },
  'no subword vectors': { subword: 0 },
  'subword 32': { subword: 32 },
  'no training gazetteer': { gazetteerFromTrain: false },
  'no subword vectors, no training gazetteer': { subword: 0, gazetteerFromTrain: false },
  'no subword vectors, no training gazetteer, softmax head (before issue 18)': { subword: 0, gazetteerFromTrain: false, head: 'softmax', shape: false, wordDropout: 0, lrDecay: 0, patience: 3 },
  'relu': { activation: 'relu' },
  'H = 300': { hidden: 300 },
  'fine-tune vectors': { fineTune: true, lrEmbed: 0.05 },
  'no word dropout': { wordDropout: 0 },
  'word dropout 0.1': { wordDropout: 0.1 },
  'word dropout 0.125': { wordDropout: 0.125 },
  'no lr decay': { lrDecay: 0 },
  'patience 3': { patience: 3 },
  'no word shape, word dropout 0.125 (before)': { shape: false, wordDropout: 0.125 },
  'no word shape, no lr decay, patience 3, word dropout 0.1 (before that)': { shape: false, lrDecay: 0, patience: 3, wordDropout: 0.1 },
  'window 3': { window: 3 },
  'batch 16': { batch: 16 },
  'gazetteer of the training entities, not jackknifed': { gazetteerFromTrain: true, gazetteerFolds: 0 },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The train and dev files of a corpus folder, in either layout. */
function splits(dir: string): { name: string; train: string; dev: string } {
  for (const [train, dev] of [['train.txt', 'dev.txt'], ['esp.train', 'esp.testa']]) {
    const t = path.join(dir, train);
    if (fs.existsSync(t)) return { name: `${path.basename(dir)}/${dev}`, train: t, dev: path.join(dir, dev) };
  }
  process.stderr.write(`no corpus at ${dir}: pass --data DIR with train.txt and dev.txt, or esp.train and esp.testa\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  if (process.argv.includes('--list')) {
    for (const [n, c] of Object.entries(EXPERIMENTS)) console.log(`${n}\t${JSON.stringify(c)}`);
    return;
  }
  const corpora = (arg('--data') ?? '../shared/data/conll2003').split(',').map(splits);
  const only = arg('--only')?.split(',');
  const seeds = (arg('--seeds') ?? String(DEFAULT_CONFIG.seed)).split(',').map(Number);
  const names = only ?? Object.keys(EXPERIMENTS);
  for (const n of names) if (!(n in EXPERIMENTS)) throw new Error(`unknown experiment ${n}; known: ${Object.keys(EXPERIMENTS).join(', ')}`);

  const emb = await loadEmbeddings(arg('--embeddings'));
  const f = (v: number) => v.toFixed(2);
  const means: string[] = [];
  console.log('| data | configuration | seed | dev P | dev R | dev F1 | best epoch / epochs | train tok/s | time |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const data of corpora) {
    const corpus = readConll(data.train);
    const dev = readConll(data.dev);
    for (const name of names) {
      const f1s: number[] = [];
      for (const seed of seeds) {
        const config: ModelConfig = { ...DEFAULT_CONFIG, ...EXPERIMENTS[name], seed };
        const t0 = performance.now();
        const { model } = await train([corpus], dev, emb, config, {
          onEpoch: (r) => process.stderr.write(`  ${data.name} ${name} seed ${seed} epoch ${r.epoch}: F1 ${r.dev?.f1.toFixed(2)} (${r.seconds.toFixed(0)} s)\n`),
        });
        const s = (performance.now() - t0) / 1000;
        const best = model.history[model.bestEpoch - 1];
        const tps = model.history.reduce((a, r) => a + r.tokensPerSecond, 0) / model.history.length;
        f1s.push(best.dev!.f1);
        console.log(
          `| ${data.name} | ${name} | ${seed} | ${f(best.dev!.precision)} | ${f(best.dev!.recall)} | ${f(best.dev!.f1)} | ${model.bestEpoch} / ${model.history.length} | ${Math.round(tps).toLocaleString('en-US')} | ${s.toFixed(0)} s |`,
        );
      }
      const mean = f1s.reduce((a, b) => a + b, 0) / f1s.length;
      const sd = Math.sqrt(f1s.reduce((a, b) => a + (b - mean) ** 2, 0) / f1s.length);
      means.push(`| ${data.name} | ${name} | ${seeds.join(', ')} | ${f(mean)} | ${f(sd)} |`);
    }
  }
  console.log('\n| data | configuration | seeds | mean dev F1 | sd |\n|---|---|---|---|---|');
  for (const m of means) console.log(m);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
