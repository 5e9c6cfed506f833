// Interrupting training and resuming it from the checkpoint gives exactly the model file of an
// uninterrupted run with the same seed: in the library (stop at chosen steps) and through the CLI
// (a real SIGINT, exit code 130, then `ner train --resume`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Checkpoint, checkpointParts, readCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { pack, serialiseModel } from '../src/io/model-io.js';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';
import { writeTinyVectors, TEST_BUCKETS, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-resume-'));
const TRAIN = path.join(ROOT, 'data/demo/train.conll');
const DEV = path.join(ROOT, 'data/demo/dev.conll');

const EMB = path.join(tmp, 'emb.txt');
writeTinyVectors(EMB);

const config: ModelConfig = { ...DEFAULT_CONFIG, hidden: 20, buckets: TEST_BUCKETS, epochs: 4, patience: 10, wordDropout: 0.1, seed: 5 };

test('library: stop at any step, checkpoint, resume → the same model as an uninterrupted run', async () => {
  const emb = await loadEmbeddings(EMB, { cacheDir: tmp });
  const corpus = readConll(TRAIN);
  const dev = readConll(DEV);
  const whole = serialiseModel((await train([corpus], dev, emb, config)).model);
  const perEpoch = Math.ceil(corpus.tokens / config.batch);
  for (const stopAt of [1, perEpoch - 1, perEpoch, 2 * perEpoch + 7]) {
    let steps = 0;
    const first = await train([corpus], dev, emb, config, { shouldStop: () => steps++ === stopAt });
    assert.equal(first.stop, 'interrupted');
    assert.ok(first.state);
    // through the checkpoint file, as the CLI does it
    const file = path.join(tmp, `at-${stopAt}.ckpt`);
    saveCheckpoint({ run: { config, train: [TRAIN], dev: DEV, embeddings: EMB, fingerprint: emb.fingerprint, output: '', tokens: corpus.tokens }, state: first.state }, file);
    const resumed = await train([corpus], dev, emb, config, {}, readCheckpoint(file).state);
    assert.equal(resumed.stop, 'done');
    assert.equal(serialiseModel(resumed.model), whole, `resumed after step ${stopAt} differs from the uninterrupted run`);
  }
});

function ner(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/ner.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: path.join(tmp, 'cache') } });
}

test('CLI: SIGINT saves a checkpoint and exits 130; --resume finishes with the same model file', async () => {
  // 14 epochs of about 0.1 s: the interrupt after the second comes while twelve (over a second) run;
  // H = 20, not the default 100, so a resume that took any option from the defaults instead of the
  // checkpoint shows
  const args = ['train', '--train', TRAIN, '--dev', DEV, '--embeddings', EMB, '--epochs', '14', '--patience', '100', '--hidden', '20', ...TEST_BUCKETS_ARGS, '--seed', '9'];
  const whole = path.join(tmp, 'whole.json');
  assert.equal(ner([...args, '-q', '--output', whole]).status, 0);

  const cut = path.join(tmp, 'cut.json');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ner.js'), ...args, '--output', cut], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: path.join(tmp, 'cache') } });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    // interrupt once training is under way (after the second epoch's line)
    if (/^\s+2 /m.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted in epoch \d+; checkpoint saved to .*cut\.json\.ckpt; best model so far saved to/);
  assert.match(stderr, /ner train --resume .*cut\.json\.ckpt/);
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/);
  assert.ok(fs.existsSync(`${cut}.ckpt`));

  const r = ner(['train', '--resume', `${cut}.ckpt`, '-q']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.readFileSync(cut).equals(fs.readFileSync(whole)), 'resumed model differs from the uninterrupted one');
  assert.ok(!fs.existsSync(`${cut}.ckpt`), 'checkpoint removed after a successful resume');
});

test('the checkpoint written in parts is the JSON of its state with model-io\'s packed arrays, whatever the part size', () => {
  const f64 = (n: number, k: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * k) * 1e3 + i / 7);
  const params = (k: number) => ({ W: f64(13, k), b: f64(1, k + 1), U: f64(7, k + 2), c: f64(2, k + 3) });
  const sub = Float32Array.from({ length: 11 }, (_, i) => Math.cos(i) / 3);
  const c: Checkpoint = {
    run: { config, train: ['a.txt'], dev: null, embeddings: 'e.vec', fingerprint: 'f', output: 'o.json', tokens: 9 },
    state: { epoch: 2, step: 0, rngAtEpochStart: 5, J: 0, seen: 0, params: params(1), rows: f64(10, 2), sub, best: { f1: 50.5, params: params(3), rows: f64(10, 4), sub }, bestEpoch: 1, sinceBest: 0, history: [] },
  };
  const s = c.state;
  const packs = (p: Checkpoint['state']['params']) => ({ W: pack(p.W, [13]), b: pack(p.b, [1]), U: pack(p.U, [7]), c: pack(p.c, [2]) });
  const expected = JSON.stringify({
    format: 'ner-train-checkpoint',
    version: 1,
    run: c.run,
    state: { epoch: 2, step: 0, rngAtEpochStart: 5, J: 0, seen: 0, bestEpoch: 1, sinceBest: 0, history: [], params: packs(s.params), rows: pack(s.rows, [10]), sub: pack(sub, [11]),
      best: { f1: 50.5, params: packs(s.best!.params), rows: pack(s.best!.rows, [10]), sub: pack(sub, [11]) } },
  }) + '\n';
  // 4 characters a part: every array crosses parts; 1 << 20: each array is one part
  for (const chunk of [4, 8, 12, 1 << 20]) assert.equal(Buffer.concat([...checkpointParts(c, chunk)]).toString(), expected, `parts of ${chunk} characters`);
  assert.throws(() => [...checkpointParts(c, 6)], /multiple of 4/);
});
