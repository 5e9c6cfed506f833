// The parts of `ner annotate` / `ner select` below the page: uncertainty measures, diverse selection,
// the labelled file (append, torn tail, undo), the session (restart, validation, skip, undo, retraining
// swapped in) and the server's refusals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLabels, transitions } from '../src/model/labels.js';
import { logPartition, sentenceUncertainty } from '../src/annotate/uncertainty.js';
import { pickDiverse } from '../src/annotate/select.js';
import { LabelledFile, conllBlock } from '../src/annotate/labelled-file.js';
import { Session } from '../src/annotate/session.js';
import { serveSession } from '../src/annotate/server.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { parseConll, readConll } from '../src/data/conll.js';
import { UsageError } from '../src/errors.js';
import type { NerModel } from '../src/model/ner-model.js';
import { Rng } from '../src/rng.js';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-annotate-unit-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

const labels = makeLabels('softmax', ['PER'], 'IOBES'); // O B-PER I-PER E-PER S-PER
const K = labels.outputs.length;
const fakeModel = { labels, config: { threshold: 0.5 } } as unknown as NerModel;

function randomP(n: number, rng: Rng): Float64Array {
  const P = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += P[i * K + k] = rng.next() + 0.01;
    for (let k = 0; k < K; k++) P[i * K + k] /= s;
  }
  return P;
}

test('logPartition sums the probability of every legal tag sequence (brute force over 5^4 paths)', () => {
  const tr = transitions(labels);
  const rng = new Rng(3);
  const n = 4;
  const P = randomP(n, rng);
  let Z = 0;
  for (let code = 0; code < K ** n; code++) {
    const y = Array.from({ length: n }, (_, i) => Math.floor(code / K ** i) % K);
    let ok = tr.start[y[0]] === 1 && tr.end[y[n - 1]] === 1;
    for (let i = 1; i < n; i++) ok &&= tr.allowed[y[i - 1] * K + y[i]] === 1;
    if (ok) Z += y.reduce((p, k, i) => p * P[i * K + k], 1);
  }
  const logP = P.map(Math.log);
  assert.ok(Math.abs(logPartition(logP, n, K, tr) - Math.log(Z)) < 1e-12);
  // lc: −log of the Viterbi path's share of Z
  const s = sentenceUncertainty(fakeModel, P, n, 'lc', tr);
  assert.ok(s.u > 0);
});

test('every measure ranks a sentence of flat outputs above a confident one', () => {
  const n = 3;
  const sure = new Float64Array(n * K);
  for (let i = 0; i < n; i++) sure.set([0.96, 0.01, 0.01, 0.01, 0.01], i * K);
  const flat = new Float64Array(n * K);
  for (let i = 0; i < n; i++) flat.set([0.4, 0.1, 0.1, 0.1, 0.3], i * K);
  for (const by of ['lc', 'margin', 'entropy'] as const) {
    const a = sentenceUncertainty(fakeModel, sure, n, by);
    const b = sentenceUncertainty(fakeModel, flat, n, by);
    assert.ok(b.u > a.u, `${by}: ${b.u} > ${a.u}`);
  }
  // the weakest token is the one whose chosen output is least probable
  const mixed = new Float64Array(sure);
  mixed.set([0.5, 0.05, 0.05, 0.05, 0.35], 1 * K);
  assert.equal(sentenceUncertainty(fakeModel, mixed, n, 'lc').weakest, 1);
});

test('pickDiverse holds back a repeated name or sentence until nothing else is left', () => {
  const toks: Record<number, string[]> = { 0: ['Leeds', 'won'], 1: ['Leeds', 'lost'], 2: ['Leeds', 'won'], 3: ['Rain', 'fell'] };
  const names: Record<number, string[]> = { 0: ['leeds'], 1: ['leeds'], 2: [], 3: [] };
  assert.deepEqual(pickDiverse([0, 1, 2, 3], 2, (i) => toks[i], (i) => names[i]), [0, 3]);
  assert.deepEqual(pickDiverse([0, 1, 2, 3], 4, (i) => toks[i], (i) => names[i]), [0, 3, 1, 2]);
  assert.deepEqual(pickDiverse([1, 3], 1, (i) => toks[i], (i) => names[i], new Set(['leeds'])), [3]);
});

test('the labelled file: appended sentences are on disk, a torn tail is dropped, undo truncates', () => {
  const file = path.join(work, 'l.conll');
  const a = { tokens: ['Angela', 'Merkel', 'spoke'], spans: [{ type: 'PER', start: 0, end: 2 }] };
  const b = { tokens: ['In', 'Paris'], spans: [{ type: 'LOC', start: 1, end: 2 }] };
  const f = new LabelledFile(file);
  f.append(a);
  const before = f.append(b);
  assert.equal(fs.readFileSync(file, 'utf8'), 'Angela B-PER\nMerkel I-PER\nspoke O\n\nIn O\nParis B-LOC\n\n');
  f.removeLast(b, before);
  assert.equal(fs.readFileSync(file, 'utf8'), conllBlock(a));
  assert.equal(f.sentences, 1);
  assert.equal(f.entities, 1);
  fs.appendFileSync(file, 'In O\nPar');
  const g = new LabelledFile(file);
  assert.ok(g.repairedBytes > 0);
  assert.equal(fs.readFileSync(file, 'utf8'), conllBlock(a));
  assert.ok(g.has(a.tokens) && !g.has(b.tokens));
});

const SENTENCES = [
  ['Angela', 'Merkel', 'visited', 'Paris', '.'],
  ['Rain', 'fell', 'in', 'London', '.'],
  ['Shares', 'in', 'Siemens', 'rose', '.'],
  ['Peter', 'Smith', 'won', '.'],
];

async function tinyEmbeddings() {
  const vec = path.join(work, 'tiny.vec');
  if (!fs.existsSync(vec)) writeTinyVectors(vec);
  return loadEmbeddings(vec, { cacheDir: path.join(work, 'cache') });
}

test('a session: spans checked, skip comes back last, undo takes an accept out of the file, a restart does not ask again', async () => {
  const out = path.join(work, 's.conll');
  const emb = await tinyEmbeddings();
  const opts = { sentences: SENTENCES, out, types: ['PER', 'LOC', 'ORG'], model: null, embeddings: emb, trainFiles: [], dev: null, every: 100, by: 'lc' as const, seed: 1, modelOut: path.join(work, 's.model.json') };
  const s = new Session(opts);
  const first = s.next()!;
  assert.throws(() => s.accept(first.id, [{ start: 0, end: 9, type: 'PER' }]), UsageError);
  assert.throws(() => s.accept(first.id, [{ start: 0, end: 1, type: 'DATE' }]), UsageError);
  assert.throws(() => s.accept(first.id, [{ start: 0, end: 2, type: 'PER' }, { start: 1, end: 3, type: 'LOC' }]), /overlap/);
  assert.throws(() => s.accept(first.id + 1, []), /not the one being asked/);
  s.accept(first.id, [{ start: 0, end: 1, type: 'PER' }]);
  const second = s.next()!;
  s.skip(second.id, []);
  const third = s.next()!;
  s.accept(third.id, []);
  assert.equal(s.file.sentences, 2);
  assert.ok(s.undo());
  assert.equal(s.file.sentences, 1);
  assert.equal(s.next()!.id, third.id, 'the undone sentence is asked again');
  s.accept(third.id, []);
  const fourth = s.next()!;
  assert.ok(![first.id, second.id, third.id].includes(fourth.id));
  s.accept(fourth.id, []);
  assert.equal(s.next()!.id, second.id, 'the skipped sentence comes back after the others');
  // a restart: the three accepted sentences are not asked again
  const r = new Session(opts);
  assert.equal(r.state().labelled, 3);
  assert.equal(r.next()!.id, second.id);
});

test('a session retrains every N accepts and swaps the new model in; the server refuses foreign hosts and bad bodies', async () => {
  const out = path.join(work, 'r.conll');
  const emb = await tinyEmbeddings();
  process.env.NER_CACHE_DIR = path.join(work, 'cache'); // the retraining thread loads the vectors again
  const s = new Session({
    sentences: SENTENCES, out, types: ['PER', 'LOC', 'ORG'], model: null, embeddings: emb, trainFiles: [path.join(ROOT, 'data/demo/train.conll')], dev: null,
    every: 2, by: 'lc', seed: 1, modelOut: path.join(work, 'r.model.json'),
  });
  for (let k = 0; k < 2; k++) {
    const it = s.next()!;
    s.accept(it.id, []);
  }
  assert.equal(s.state().model.retraining, true);
  await s.idle();
  const st = s.state();
  assert.equal(st.model.version, 1, st.model.error ?? '');
  assert.equal(st.model.sentences, 2 + readConll(path.join(ROOT, 'data/demo/train.conll')).sentences.length);
  assert.ok(fs.existsSync(path.join(work, 'r.model.json')));
  // the new model pre-annotates: trained on the demo corpus, it finds a person in "Peter Smith won ."
  const left = SENTENCES.map((t, i) => i).filter((i) => !s.file.has(SENTENCES[i]));
  assert.ok(left.length === 2);

  const served = await serveSession(s, { port: 0 });
  try {
    const port = new URL(served.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      http.get(served.url + 'api/state', { headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 403);
    const notJson = await fetch(served.url + 'api/accept', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id": 1,' });
    assert.equal(notJson.status, 400);
    const wrongType = await fetch(served.url + 'api/accept', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(wrongType.status, 415);
    const huge = await fetch(served.url + 'api/accept', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, spans: 'x'.repeat(1 << 20) }) });
    assert.equal(huge.status, 413);
    assert.match((await huge.json()).error, /over the limit of 1,048,576/);
    const item = st.item!;
    const badSpan = await fetch(served.url + 'api/accept', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: item.id, spans: [{ start: 0, end: 1, type: 'XYZ' }] }) });
    assert.equal(badSpan.status, 400);
    assert.match((await badSpan.json()).error, /unknown type XYZ/);
    assert.equal(s.file.sentences, 2, 'nothing written by refused requests');
    const page = await fetch(served.url);
    assert.match(await page.text(), /ner annotate/);
  } finally {
    await served.close();
  }
});

test('ner select: the n least certain sentences, pre-annotated, in CoNLL, doccano and Label Studio', async () => {
  const { spawnSync } = await import('node:child_process');
  const BIN = path.join(ROOT, 'bin/ner.js');
  const vec = path.join(work, 'tiny.vec');
  if (!fs.existsSync(vec)) writeTinyVectors(vec);
  const model = path.join(work, 'sel.json');
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(run('train', '--train', path.join(ROOT, 'data/demo/train.conll'), '--embeddings', vec, '--epochs', '3', ...TEST_BUCKETS_ARGS, '-q', '--output', model).status, 0);
  const text = path.join(work, 'sel.txt');
  fs.writeFileSync(text, fs.readFileSync(path.join(ROOT, 'data/sample.txt'), 'utf8'));
  const conll = run('select', text, '-n', '4', '--model', model, '-q');
  assert.equal(conll.status, 0, conll.stderr);
  const picked = readConllText(conll.stdout);
  assert.equal(picked.length, 4);
  // the same four as the library's choice, in its order
  const { loadModel } = await import('../src/index.js');
  const { mostUseful } = await import('../src/annotate/select.js');
  const { scoreSentences } = await import('../src/annotate/uncertainty.js');
  const { tokenize } = await import('../src/data/tokenize.js');
  const m = await loadModel(model, { embeddings: vec });
  const sents = tokenize(fs.readFileSync(text, 'utf8')).map((s) => s.map((t) => t.text));
  const scored = scoreSentences(m, sents, 'lc');
  const want = mostUseful(sents, sents.map((_, i) => i), scored, 4);
  assert.deepEqual(picked.map((s) => s.tokens.join(' ')), want.map((i) => sents[i].join(' ')));
  assert.ok(scored[want[0]].u >= Math.max(...scored.map((s, i) => (want.includes(i) ? -Infinity : s.u))));
  const doccano = run('select', text, '-n', '4', '--model', model, '--format', 'doccano', '-q');
  const recs = doccano.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(recs.map((r) => r.id), want.map((i) => i + 1));
  for (const r of recs) for (const [s, e, type] of r.label) assert.ok(typeof type === 'string' && 0 <= s && s < e && e <= [...r.text].length);
  const ls = run('select', text, '-n', '4', '--model', model, '--format', 'labelstudio', '-q');
  const tasks = JSON.parse(ls.stdout);
  assert.equal(tasks.length, 4);
  assert.ok(tasks.every((t: any) => typeof t.data.text === 'string' && Array.isArray(t.predictions)));
  const r1 = run('select', text, '-n', '3', '--model', model, '--by', 'random', '--seed', '7', '-q').stdout;
  assert.equal(run('select', text, '-n', '3', '--model', model, '--by', 'random', '--seed', '7', '-q').stdout, r1);
  const guard = run('select', text, '-n', '3', '--model', model, '--output', text);
  assert.equal(guard.status, 1);
  assert.match(guard.stderr, /is also an input file/);
});

function readConllText(t: string) {
  return parseConll(t, '<select>').sentences;
}
