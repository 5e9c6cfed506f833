// The training loop's rules (train.ts): early stopping after `patience` epochs without a better dev F1,
// an equal F1 is not better, the best epoch's parameters are the ones kept, the learning rate's decay,
// and without a dev set the last epoch is the one kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';
import { writeTinyVectors, TEST_BUCKETS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-train-'));
const EMB = path.join(tmp, 'emb.txt');
writeTinyVectors(EMB);
const corpus = readConll(path.join(ROOT, 'data/demo/train.conll'));
const dev = readConll(path.join(ROOT, 'data/demo/dev.conll'));
const base: ModelConfig = { ...DEFAULT_CONFIG, hidden: 8, buckets: TEST_BUCKETS, seed: 2 };

// With a learning rate of 1e-9 the parameters hardly move, so every epoch's dev F1 is the first one's:
// no epoch after the first is better.
const still = { ...base, lr: 1e-9, lrEmbed: 1e-9, lrSubword: 1e-9, epochs: 6 };

for (const patience of [1, 2, 3]) {
  test(`early stopping: dev F1 flat → stops after 1 + ${patience} epochs, keeping epoch 1`, async () => {
    const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
    const r = await train([corpus], dev, emb, { ...still, patience });
    const f1s = r.model.history.map((h) => h.dev!.f1);
    assert.ok(f1s.every((f) => f === f1s[0]), `dev F1 flat: ${f1s}`);
    assert.equal(r.stop, 'early');
    assert.equal(r.model.history.length, 1 + patience);
    assert.equal(r.model.bestEpoch, 1, 'an equal F1 is not better');
  });
}

test('early stopping at the last epoch is a normal end, and the best epoch\'s parameters are kept', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const r = await train([corpus], dev, emb, { ...still, epochs: 3, patience: 2 });
  assert.equal(r.stop, 'done');
  assert.equal(r.model.history.length, 3);
  const first = await train([corpus], dev, emb, { ...still, epochs: 1 });
  assert.deepEqual(r.model.params, first.model.params, 'epoch 1 kept');
  assert.deepEqual(r.model.words.rows, first.model.words.rows, "epoch 1's word rows kept");
});

test('a better dev F1 resets the count; the learning rate decays as α / (1 + k·(epoch − 1))', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const r = await train([corpus], dev, emb, { ...base, epochs: 4, patience: 10, lr: 0.3, lrDecay: 0.5 });
  assert.deepEqual(r.model.history.map((h) => h.lr), [0.3, 0.3 / 1.5, 0.3 / 2, 0.3 / 2.5]);
  const f1s = r.model.history.map((h) => h.dev!.f1);
  const best = f1s.indexOf(Math.max(...f1s)) + 1;
  assert.equal(r.model.bestEpoch, best);
  assert.ok(f1s[0] < f1s[best - 1], 'training improves dev F1 here');
});

test('without a dev set every epoch runs and the last one is kept', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const r = await train([corpus], null, emb, { ...still, epochs: 3, patience: 1 });
  assert.equal(r.stop, 'done');
  assert.equal(r.model.history.length, 3);
  assert.equal(r.model.bestEpoch, 0);
});

// A process that trains many models (ner annotate's retraining, ner serve's, the active-learning
// simulation) gets each run's WebAssembly buffers back: the arena is as full after a training as before.
test('training returns its WebAssembly buffers: the arena holds no more after three runs than after one', async () => {
  const { wasmMemoryUsage } = await import('../src/fast/arena.js');
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const config = { ...base, epochs: 2 };
  await train([corpus], dev, emb, config);
  const after1 = wasmMemoryUsage().used;
  for (let i = 0; i < 2; i++) await train([corpus], dev, emb, config);
  assert.equal(wasmMemoryUsage().used, after1);
});

test("word dropout: a dropped token's ∂J/∂e(w) goes to <unk>'s row, not to the word's own row", async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const cfg = { ...base, epochs: 1, patience: 10 };
  const start = (await train([corpus], null, emb, { ...cfg, lrEmbed: 0 })).model.words; // rows as initialised
  const all = (await train([corpus], null, emb, { ...cfg, wordDropout: 0.999 })).model.words;
  const none = (await train([corpus], null, emb, { ...cfg, wordDropout: 0 })).model.words;
  const d = start.d;
  const moved = (w: typeof start, r: number) => w.rows.slice(r * d, (r + 1) * d).some((v, j) => v !== start.rows[r * d + j]);
  const own = Array.from({ length: start.keys.length - 3 }, (_, i) => i + 3);
  assert.ok(own.length >= 5, `the demo data gives words own rows (${own.length})`);
  assert.ok(moved(all, 2) && moved(none, 2), "<unk>'s row learns");
  assert.equal(own.filter((r) => moved(none, r)).length, own.length, 'without dropout every own row learns');
  const movedAll = own.filter((r) => moved(all, r)).length;
  assert.ok(movedAll <= own.length / 10, `with p = 0.999 almost no own row is in any window: ${movedAll} of ${own.length} moved`);
});
