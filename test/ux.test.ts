// The user-facing polish: terminal charts, the OOV/in-vocabulary split, and through the real command line
// `ner info`, the error analysis of `ner eval` (table, JSON, conlleval byte for byte, --report), `ner tag`
// --format brackets and --min-prob, the interactive tagger's output, --no-color and the help texts.
// Small generated word vectors (GloVe text, 16-d) keep it fast; no test needs a terminal.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { oovSplit } from '../src/eval/analysis.js';
import { asciiChart, sparkline, trainingChart } from '../src/report/chart.js';
import { formatInteractive } from '../src/cli/tag.js';
import { findEntities } from '../src/predict/entities.js';
import { formatConlleval } from '../src/eval/conlleval.js';
import { evaluate as scoreTags } from '../src/eval/metrics.js';
import { loadModel } from '../src/index.js';
import { tokenize } from '../src/data/tokenize.js';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-ux-'));
const cacheDir = path.join(tmp, 'cache');
const vectors = path.join(tmp, 'tiny.txt');
const model = path.join(tmp, 'model.json');
const DEV = path.join(ROOT, 'data/demo/dev.conll');


function ner(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: cacheDir, ...opts.env };
  if (opts.env?.FORCE_COLOR) delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input: opts.input ?? '', encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  writeTinyVectors(vectors);
  const r = ner(['train', '--embeddings', vectors, '--epochs', '3', '--hidden', '20', ...TEST_BUCKETS_ARGS, '--seed', '3', '-q', '--output', model]);
  assert.equal(r.code, 0, r.stderr);
});

// ── charts ───────────────────────────────────────────────────────────────────────────────────────

test('sparkline: one character per value, lowest ▁ and highest █', () => {
  assert.equal(sparkline([1, 5, 3]), '▁█▅');
  assert.equal(sparkline([2, 2]), '▄▄');
  assert.equal(sparkline([1, NaN, 2]), '▁ █');
});

test('asciiChart: height rows, an axis, the index line and ★ under the marked column', () => {
  const lines = asciiChart([60, 80, 70], { height: 5, mark: 1 }).trimEnd().split('\n');
  assert.equal(lines.length, 5 + 3);
  assert.match(lines[0], /^80\.0 ┤/);
  assert.match(lines[4], /^60\.0 ┤/);
  // the tallest column (the 2nd) is full on the top row, the others are not
  const top = lines[0].slice(lines[0].indexOf('┤') + 1);
  const col = (row: string, i: number) => row.slice(i * 3, i * 3 + 3);
  assert.equal(col(top, 1).trim(), '██');
  assert.equal(col(top, 0).trim(), '');
  const bottom = lines[4].slice(lines[4].indexOf('┤') + 1);
  for (let i = 0; i < 3; i++) assert.notEqual(col(bottom, i).trim(), '', `column ${i + 1} is empty on the bottom row`);
  const axis = lines[6];
  const star = lines[7];
  assert.equal(star.indexOf('★'), axis.indexOf('2'), 'the ★ is not under epoch 2');
});

test('trainingChart marks the best epoch and shows first, last and best F1', () => {
  const h = [0.3, 0.1, 0.05].map((loss, i) => ({ epoch: i + 1, loss, dev: { precision: 0, recall: 0, f1: [60, 80, 78][i] } }));
  const out = trainingChart(h, 2);
  assert.match(out, /^dev F1 ▁█▇ {2}60\.00 → 78\.00, best 80\.00 at epoch 2$/m);
  assert.match(out, /^ {7}·★·$/m);
  assert.match(out, /^loss {3}█▂▁ {2}0\.3000 → 0\.0500$/m);
  assert.doesNotMatch(trainingChart(h.map((r) => ({ ...r, dev: null })), 0), /dev F1/);
});

// ── OOV split ────────────────────────────────────────────────────────────────────────────────────

test('oovSplit: an entity is OOV when any of its words is; counts and F1 per group', () => {
  const tokens = [['Xq', 'Smith', 'met', 'Ann', 'in', 'Paris'], ['Zork', 'Inc', 'rose']];
  const gold = [['B-PER', 'I-PER', 'O', 'B-PER', 'O', 'B-LOC'], ['B-ORG', 'I-ORG', 'O']];
  const pred = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-LOC'], ['B-ORG', 'O', 'O']];
  const oov = new Set(['Xq', 'Zork']);
  const r = oovSplit(gold, pred, tokens, (t) => oov.has(t));
  // OOV: gold {Xq Smith PER, Zork Inc ORG}, found {Xq Smith PER, Zork ORG}, correct 1
  assert.deepEqual([r.oov.gold, r.oov.found, r.oov.correct], [2, 2, 1]);
  assert.equal(r.oov.f1, 50);
  // in-vocabulary: gold {Ann PER, Paris LOC}, found {Ann LOC, Paris LOC}, correct 1
  assert.deepEqual([r.inVocab.gold, r.inVocab.found, r.inVocab.correct], [2, 2, 1]);
  assert.ok(Math.abs(r.oovTokenRate - (100 * 2) / 9) < 1e-9);
  const none = oovSplit(gold, gold, tokens, () => false);
  assert.deepEqual([none.oov.gold, none.oov.f1, none.inVocab.f1], [0, 0, 100]);
});

// ── ner info ─────────────────────────────────────────────────────────────────────────────────────

test('ner info: JSON with the config, parameter counts per block and history; text with the chart', () => {
  const doc = JSON.parse(fs.readFileSync(model, 'utf8'));
  const r = ner(['info', '--model', model, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.format, 'ner-window-classifier');
  assert.equal(info.version, doc.version);
  assert.equal(info.bytes, fs.statSync(model).size);
  assert.deepEqual(info.config, doc.config);
  assert.equal(info.seed, 3);
  assert.deepEqual(info.labels, ['DATE', 'LOC', 'MISC', 'ORG', 'PER']);
  assert.equal(info.embeddings.source, vectors);
  assert.equal(info.embeddings.d, 16);
  // counts agree with the shapes of the arrays in the file
  const fromFile = ['W', 'b', 'U', 'c'].map((k) => doc.params[k].shape.reduce((a: number, b: number) => a * b, 1));
  assert.deepEqual(info.parameters.blocks.slice(0, 4).map((b: { count: number }) => b.count), fromFile);
  assert.equal(info.parameters.blocks[4].count, doc.words.rows.shape[0] * doc.words.rows.shape[1]);
  assert.equal(info.parameters.total, info.parameters.blocks.reduce((a: number, b: { count: number }) => a + b.count, 0));
  assert.equal(info.training.epochs, 3);
  assert.equal(info.training.bestEpoch, doc.bestEpoch);
  assert.deepEqual(info.training.best.dev, doc.history[doc.bestEpoch - 1].dev);
  assert.equal(info.trainedOn.sentences, 408);

  const text = ner(['info', '--model', model, '--verbose']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^parameters$/m);
  assert.match(text.stdout, new RegExp(`total +${info.parameters.total.toLocaleString('en-US')} `));
  assert.match(text.stdout, new RegExp(`best epoch ${doc.bestEpoch} \\(kept\\): dev P [\\d.]+ {2}R [\\d.]+ {2}F1 ${doc.history[doc.bestEpoch - 1].dev.f1.toFixed(2)}`));
  assert.match(text.stdout, /^dev F1 per epoch/m);
  const starred = text.stdout.split('\n').filter((l) => l.includes('★') && !l.startsWith('dev F1'));
  assert.equal(starred.length, 2, 'the best epoch is starred in the table and the chart');
  assert.match(starred[0], new RegExp(`^ +${doc.bestEpoch} `));
  const missing = ner(['info', '--model', path.join(tmp, 'nope.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model file not found/);
});

// ── ner eval ─────────────────────────────────────────────────────────────────────────────────────

test('ner eval: table with confusion matrix, errors and OOV; JSON agrees; conlleval stays byte-exact', () => {
  const json = JSON.parse(ner(['eval', '--model', model, '-q', '--format', 'json']).stdout);
  assert.equal(json.oov.oov.gold + json.oov.inVocab.gold, json.gold);
  assert.equal(json.oov.oov.found + json.oov.inVocab.found, json.found);
  assert.equal(json.oov.oov.correct + json.oov.inVocab.correct, json.correct);
  assert.ok(json.oov.oov.gold > 0 && json.oov.inVocab.gold > 0, 'the tiny vectors leave some entity words out');
  const T = json.confusion.types.length;
  const rowSums = json.confusion.counts.slice(0, T).map((row: number[]) => row.reduce((a, b) => a + b, 0));
  assert.deepEqual(rowSums, json.perType.map((t: { gold: number }) => t.gold));

  const table = ner(['eval', '--model', model, '-q', '--errors', '3']);
  assert.equal(table.code, 0, table.stderr);
  const out = table.stdout;
  assert.match(out, /^OOV vs in-vocabulary entities/m);
  assert.match(out, new RegExp(`^OOV +${json.oov.oov.precision.toFixed(2)} +${json.oov.oov.recall.toFixed(2)} +${json.oov.oov.f1.toFixed(2)} +${json.oov.oov.gold} `, 'm'));
  assert.match(out, /^gold \\ pred +DATE +LOC +MISC +ORG +PER +missed$/m);
  const spurious = json.confusion.counts[T].slice(0, T).join(' +');
  assert.match(out, new RegExp(`^spurious +${spurious} +·$`, 'm'));
  const errorLines = out.slice(out.indexOf('most frequent errors')).trim().split('\n').slice(1);
  assert.equal(errorLines.length, Math.min(3, json.errors.length));
  assert.match(errorLines[0], new RegExp(`^ *${json.errors[0].count}  ${json.errors[0].kind} +${json.errors[0].text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));

  // conlleval: the same bytes as formatConlleval on the written predictions
  const pred = path.join(tmp, 'dev.pred');
  const conll = ner(['eval', '--model', model, '-q', '--format', 'conlleval', '--predictions', pred]);
  const lines = fs.readFileSync(pred, 'utf8').split('\n');
  const gold: string[][] = [[]];
  const guess: string[][] = [[]];
  for (const l of lines) {
    if (!l.trim()) {
      if (gold[gold.length - 1].length) (gold.push([]), guess.push([]));
      continue;
    }
    const [, g, p] = l.split(' ');
    gold[gold.length - 1].push(g);
    guess[guess.length - 1].push(p);
  }
  if (!gold[gold.length - 1].length) (gold.pop(), guess.pop());
  assert.equal(conll.stdout, formatConlleval(scoreTags(gold, guess)));
});

test('ner eval --report writes a self-contained HTML report', () => {
  const html = path.join(tmp, 'report.html');
  const r = ner(['eval', '--model', model, '--report', html]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .*report\.html/);
  const text = fs.readFileSync(html, 'utf8');
  assert.match(text, /^<!DOCTYPE html>/);
  assert.equal((text.match(/<svg /g) ?? []).length, 3);
  assert.doesNotMatch(text, /https?:|<script|<link|@import|url\(/i);
  assert.equal(fs.readdirSync(tmp).filter((f) => f.startsWith('.report.html')).length, 0, 'a temporary file was left behind');
  const bad = ner(['eval', '--model', model, '-q', '--report', path.join(tmp, 'no/such/dir/r.html')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /does not exist/);
});

// ── ner tag ──────────────────────────────────────────────────────────────────────────────────────

const TEXT = 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.\nShe flew to Berlin on Friday.\n';

test('ner tag --format brackets: one tokenized sentence per line, entities as [words]TYPE', () => {
  const r = ner(['tag', '-', '--model', model, '-q', '--format', 'brackets'], { input: TEXT });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  const json = JSON.parse(ner(['tag', '-', '--model', model, '-q', '--format', 'json'], { input: TEXT }).stdout) as { text: string; type: string }[];
  assert.ok(json.length > 0, 'no entities found at all');
  const bracketed = [...r.stdout.matchAll(/\[([^\]]+)\]([A-Z]+)/g)].map((m) => ({ text: m[1], type: m[2] }));
  assert.deepEqual(bracketed, json.map((e) => ({ text: e.text, type: e.type })));
  const words = (s: string) => s.replace(/\[([^\]]+)\][A-Z]+/g, '$1').split(' ');
  assert.deepEqual(words(lines[1]), ['She', 'flew', 'to', 'Berlin', 'on', 'Friday', '.']);
});

test('ner tag --min-prob drops entities below the probability, in every format', () => {
  const all = JSON.parse(ner(['tag', '-', '--model', model, '-q', '--format', 'json'], { input: TEXT }).stdout) as { prob: number }[];
  const probs = all.map((e) => e.prob).sort((a, b) => a - b);
  const cut = probs[Math.floor(probs.length / 2)];
  const kept = JSON.parse(ner(['tag', '-', '--model', model, '-q', '--format', 'json', '--min-prob', String(cut)], { input: TEXT }).stdout) as { prob: number }[];
  assert.equal(kept.length, all.filter((e) => e.prob >= cut).length);
  assert.ok(kept.length < all.length || probs[0] === cut);
  const conll = ner(['tag', '-', '--model', model, '-q', '--format', 'conll', '--min-prob', '1'], { input: TEXT });
  assert.doesNotMatch(conll.stdout, / [BI]-/, 'min-prob 1 keeps no entity');
  const bad = ner(['tag', '-', '--model', model, '-q', '--min-prob', '1.5'], { input: TEXT });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--min-prob 1\.5: expected a probability/);
});

test('interactive tagger output: the typed line highlighted, then each entity with its probability', async () => {
  process.env.NER_CACHE_DIR = cacheDir;
  const m = await loadModel(model);
  const line = 'Samuel Quinn was arrested in Paris.';
  const tagged = findEntities(m, tokenize(line));
  const ents = tagged.flatMap((s) => s.entities);
  const out = formatInteractive(m, line, tagged, false);
  const [shown, list] = out.trimEnd().split('\n');
  let expected = line;
  for (const e of [...ents].reverse()) expected = expected.slice(0, e.start) + `[${line.slice(e.start, e.end)}]${e.type}` + expected.slice(e.end);
  assert.equal(shown, `  ${expected}`);
  if (ents.length) assert.equal(list.trim().split('  ·  ').length, ents.length);
  else assert.equal(list.trim(), '(no entities)');
});

// ── colour and help ──────────────────────────────────────────────────────────────────────────────

test('--no-color removes colour even when FORCE_COLOR asks for it', () => {
  const ESC = /\u001b\[/;
  const coloured = ner(['eval', '--model', model, '-q'], { env: { FORCE_COLOR: '1' } });
  assert.match(coloured.stdout, ESC, 'FORCE_COLOR=1 should colour the table');
  for (const args of [['eval', '--model', model, '-q', '--no-color'], ['--no-color', 'info', '--model', model]]) {
    const r = ner(args, { env: { FORCE_COLOR: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, ESC, args.join(' '));
  }
});

test('--help of eval, tag and info shows examples, defaults and the global options', () => {
  for (const verb of ['eval', 'tag', 'info']) {
    const r = ner([verb, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}\$ ner /, verb);
    assert.match(r.stdout, /\(default: "models\/ner\.json"\)/, verb);
    assert.match(r.stdout, /--no-color/, verb);
  }
  assert.match(ner(['--help']).stdout, /Exit codes: 0 ok, 1 user error .* 130 interrupted/);
});
