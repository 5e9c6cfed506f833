// Shipping a model: packaged models that tag with nothing else, embeddings found by what they are (the
// cache by fingerprint, beside the model), the model's ner version, `ner cache`, two processes building one
// cache entry at once, and the eval warning for predicted types the gold data lacks. Tiny 16-d vectors
// keep it to a few seconds.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { fromHalf, toHalf } from '../src/embeddings/packaged.js';
import { DEMO, evaluate, loadModel, NER_VERSION, packageModel, readModelFile, saveModel, tag } from '../src/index.js';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-ship-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(tmp, ...p);
const vectors = at('vecs', 'tiny.txt');
const model = at('model.json');
const TRAIN_TOKENS = readConll(DEMO.train).sentences.flatMap((s) => s.tokens);

function ner(args: string[], env: Record<string, string> = {}, cwd = tmp) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: at('cache'), ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  fs.mkdirSync(path.dirname(vectors));
  writeTinyVectors(vectors);
  const r = ner(['train', '--embeddings', vectors, '--epochs', '3', '--hidden', '20', ...TEST_BUCKETS_ARGS, '-q', '--output', model]);
  assert.equal(r.code, 0, r.stderr);
});

test('a model records the ner version that wrote it; ner info shows it', () => {
  assert.equal(readModelFile(model).nerVersion, NER_VERSION);
  assert.match(NER_VERSION, /^\d+\.\d+\.\d+/);
  assert.match(ner(['info', '--model', model]).stdout, new RegExp(`written by ner ${NER_VERSION.replace(/\./g, '\\.')}`));
});

test('package f32 with every word: the same predictions as the unpackaged model; int8 and f16 close', async () => {
  const m = await loadModel(model, { embeddings: vectors });
  const all = m.words.emb!.count;
  const base = evaluate(m, DEMO.dev);
  const packed = packageModel(m, { maxWords: all, quantize: 'f32', vocabulary: [] });
  assert.equal(packed.rows, all);
  saveModel(packed.model, at('p32.json'));
  const p32 = await loadModel(at('p32.json'));
  assert.equal(p32.words.emb!.from?.startsWith('the model file'), true);
  assert.deepEqual(evaluate(p32, DEMO.dev), base, 'f32 carries the exact vectors');
  for (const quantize of ['f16', 'int8'] as const) {
    saveModel(packageModel(m, { maxWords: all, quantize, vocabulary: [] }).model, at(`p-${quantize}.json`));
    const q = await loadModel(at(`p-${quantize}.json`));
    assert.ok(Math.abs(evaluate(q, DEMO.dev).f1 - base.f1) < 1.5, quantize);
  }
  assert.ok(fs.statSync(at('p-int8.json')).size < fs.statSync(at('p-f16.json')).size);
  assert.ok(fs.statSync(at('p-f16.json')).size < fs.statSync(at('p32.json')).size);
});

test('package keeps the training words\' vectors; a word outside falls back as a word missing from the vectors does', async () => {
  const m = await loadModel(model, { embeddings: vectors });
  const { model: packed, rows, fromVocabulary } = packageModel(m, { maxWords: 0, quantize: 'f32', vocabulary: TRAIN_TOKENS });
  assert.equal(rows, fromVocabulary);
  assert.ok(rows > 0 && rows < m.words.emb!.count, `${rows} of ${m.words.emb!.count}`);
  saveModel(packed, at('train-only.json'));
  const p = await loadModel(at('train-only.json'));
  const text = readConll(DEMO.train).sentences.slice(0, 40).map((s) => s.tokens.join(' ')).join('\n');
  assert.deepEqual(tag(p, text), tag(m, text), 'training text tags the same');
  // a dev word that the packaged vectors lack reads as <unk> in both models' eyes once the full table lacks it too
  const devOnly = readConll(DEMO.dev).sentences.flatMap((s) => s.tokens).find((t) => !TRAIN_TOKENS.some((u) => u.toLowerCase() === t.toLowerCase()) && m.words.emb!.find!(t.toLowerCase()) >= 0);
  assert.ok(devOnly, 'a dev word with a vector that training never saw');
  assert.equal(p.words.emb!.find!(devOnly.toLowerCase()), -1);
});

test('f16 and int8 coding: half floats round to nearest, int8 rows are within half a step', () => {
  for (const v of [0, 1, -2.5, 0.1, 1e-5, 65504, 3.14159]) {
    const back = fromHalf(toHalf(v));
    assert.ok(Math.abs(back - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -24), `${v} → ${back}`);
  }
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(fromHalf(0x7bff), 65504);
});

test('ner package → a fresh HOME, no vectors anywhere: the packaged model tags; the plain one says where it looked', () => {
  const r = ner(['package', model, '--out', at('packed.json'), '--max-words', '100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /packaged .* vectors \(the first 100 words \+ \d+ more of the training words\), int8/);
  const alone = at('alone');
  fs.mkdirSync(alone);
  fs.copyFileSync(at('packed.json'), path.join(alone, 'packed.json'));
  fs.copyFileSync(model, path.join(alone, 'plain.json'));
  fs.renameSync(vectors, at('vecs', 'moved.txt'));
  try {
    const env = { HOME: alone, NER_CACHE_DIR: path.join(alone, 'cache') };
    const sentence = 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.';
    const input = path.join(alone, 's.txt');
    fs.writeFileSync(input, sentence + '\n');
    const ok = ner(['tag', 's.txt', '--model', 'packed.json'], env, alone);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\]PER/);
    assert.match(ok.stderr, /from the model file/);
    const lost = ner(['tag', 's.txt', '--model', 'plain.json'], env, alone);
    assert.equal(lost.code, 1);
    assert.match(lost.stderr, /cannot find the embeddings the model plain\.json was trained with: tiny\.txt .*looked in the cache .*no entry with that fingerprint.*the recorded path .*tiny\.txt \(not there\).*beside the model .*alone.tiny\.txt \(not there\)/);
    // the vectors put beside the model are found by their file name
    fs.copyFileSync(at('vecs', 'moved.txt'), path.join(alone, 'tiny.txt'));
    const beside = ner(['tag', 's.txt', '--model', 'plain.json'], env, alone);
    assert.equal(beside.code, 0, beside.stderr);
    assert.match(beside.stderr, /tiny\.txt.*parsed from the file/);
    // and, once cached, found in the cache by fingerprint with no file at all
    fs.rmSync(path.join(alone, 'tiny.txt'));
    const cached = ner(['tag', 's.txt', '--model', 'plain.json'], env, alone);
    assert.equal(cached.code, 0, cached.stderr);
    assert.equal(cached.stdout, beside.stdout);
    assert.match(cached.stderr, /from the cache/);
  } finally {
    fs.renameSync(at('vecs', 'moved.txt'), vectors);
  }
});

test('two processes building the same cache entry at once both succeed and leave one valid entry', async () => {
  const big = at('big.txt');
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) lines.push(`w${i} ${Array.from({ length: 40 }, (_, j) => (((i * 31 + j * 17) % 2001) / 1000 - 1).toFixed(3)).join(' ')}`);
  fs.writeFileSync(big, lines.join('\n') + '\n');
  const cacheDir = at('race-cache');
  const script = `import { loadEmbeddings } from ${JSON.stringify(path.join(ROOT, 'dist/src/index.js'))};
    const e = await loadEmbeddings(${JSON.stringify(big)}, { cacheDir: ${JSON.stringify(cacheDir)}, onProgress: (m) => console.log(m) });
    console.log('fingerprint ' + e.fingerprint + ' from ' + e.from);`;
  const run = () => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('close', (code) => resolve({ code, out }));
  });
  const [a, b] = await Promise.all([run(), run()]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /wrote the cache/, 'each process built the entry');
  }
  const fp = (out: string) => /fingerprint (\w+)/.exec(out)![1];
  assert.equal(fp(a.out), fp(b.out));
  const files = fs.readdirSync(cacheDir);
  assert.equal(files.length, 1, files.join(' '));
  const again = await loadEmbeddings(big, { cacheDir }); // eager: every row checked
  assert.equal(again.from, 'the cache');
  assert.equal(again.fingerprint, fp(a.out));
});

test('ner cache lists entries with size and last use; clean --older-than and --all free them', () => {
  const env = { NER_CACHE_DIR: at('cache') };
  const list = ner(['cache'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /: 1 entry, [\d.]+ MB\n +[\d.]+ MB {2}used just now +.*tiny\.txt {2}\d+ × 16/);
  const json = JSON.parse(ner(['cache', 'list', '--json'], env).stdout);
  assert.equal(json.length, 1);
  const old = new Date(Date.now() - 40 * 86400e3);
  fs.utimesSync(json[0].file, old, old);
  assert.match(ner(['cache', 'clean', '--older-than', '60d'], env).stdout, /removed 0 entries, freed 0\.0 MB/);
  assert.match(ner(['cache', 'clean', '--older-than', '30d'], env).stdout, /removed 1 entry, freed [\d.]+ MB/);
  assert.equal(fs.readdirSync(at('cache')).filter((f) => f.endsWith('.bin')).length, 0);
  const bad = ner(['cache', 'clean'], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /say which entries to remove/);
  assert.match(ner(['cache', 'clean', '--older-than', 'soon'], env).stderr, /--older-than soon: expected a number and a unit/);
});

test('eval warns when the model predicts types the gold data never has', () => {
  const gold = at('no-date.conll');
  fs.writeFileSync(gold, fs.readFileSync(DEMO.dev, 'utf8').replace(/[BI]-DATE/g, 'O'));
  const r = ner(['eval', gold, '--model', model, '--embeddings', vectors, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the model found DATE \(\d+\), which the gold data never has; these entities all count as spurious/);
  assert.doesNotMatch(ner(['eval', DEMO.dev, '--model', model, '-q']).stderr, /warning/);
});

test('one embeddings line per command, with the counts written one way', () => {
  const r = ner(['tag', DEMO.text, '--model', model]);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('embeddings:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^embeddings: .*tiny\.txt, [\d,]+ words × 16, from the cache \(rows read on demand\) in [\d.]+ s$/);
});

test('train --max-words N: the model records the cap, and tag reads the same N words', () => {
  const capped = at('capped.json');
  const r = ner(['train', '--embeddings', vectors, '--max-words', '50', '--epochs', '1', '--hidden', '8', ...TEST_BUCKETS_ARGS, '-q', '--output', capped]);
  assert.equal(r.code, 0, r.stderr);
  const info = readModelFile(capped).embeddings;
  assert.equal(info.maxWords, 50);
  assert.equal(info.count, 50);
  const t = ner(['tag', DEMO.text, '--model', capped]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /50 words \(first 50\) × 16/);
});
