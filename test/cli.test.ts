// End to end through the real command line, on the demo corpus in data/ and the default embeddings:
// train → eval → tag with a fixed seed; the same seed gives a byte-identical model file; bad input and
// bad options exit non-zero with a message and no stack trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-cli-'));

function ner(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(stderr: string) {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `stack trace in stderr:\n${stderr}`);
}

const modelA = path.join(tmp, 'a.json');
const modelB = path.join(tmp, 'b.json');
const quick = ['--epochs', '3', '--seed', '7', '-q'];

test('train on the demo corpus writes a model and reports dev scores', () => {
  const r = ner(['train', ...quick, '--threads', '3', '--output', modelA]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /saved .*a\.json {2}dev P [\d.]+ {2}R [\d.]+ {2}F1 [\d.]+/);
  const doc = JSON.parse(fs.readFileSync(modelA, 'utf8'));
  assert.equal(doc.format, 'ner-window-classifier');
  assert.equal(doc.config.seed, 7);
  assert.deepEqual(doc.labels.types, ['DATE', 'LOC', 'MISC', 'ORG', 'PER']);
  assert.equal(doc.history.length, 3);
});

test('the same seed gives a byte-identical model file, whatever the number of threads; another seed does not', () => {
  const r = ner(['train', ...quick, '--threads', '1', '--output', modelB]); // modelA: 3 threads
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.readFileSync(modelA).equals(fs.readFileSync(modelB)), 'same seed, different files');
  const c = path.join(tmp, 'c.json');
  assert.equal(ner(['train', '--epochs', '3', '--seed', '8', '-q', '--output', c]).code, 0);
  assert.ok(!fs.readFileSync(modelA).equals(fs.readFileSync(c)), 'different seeds, same file');
});

test('eval prints per-type scores that agree with the JSON and conlleval formats', () => {
  const table = ner(['eval', '--model', modelA, '-q']);
  assert.equal(table.code, 0, table.stderr);
  for (const t of ['PER', 'LOC', 'ORG', 'MISC', 'DATE', 'overall']) assert.match(table.stdout, new RegExp(`^${t} `, 'm'));
  const json = JSON.parse(ner(['eval', '--model', modelA, '-q', '--format', 'json']).stdout);
  assert.ok(json.f1 > 50, `demo dev F1 ${json.f1} after 3 epochs`);
  const conll = ner(['eval', '--model', modelA, '-q', '--format', 'conlleval']).stdout;
  assert.match(conll, new RegExp(`^processed ${json.tokens} tokens with ${json.gold} phrases; found: ${json.found} phrases; correct: ${json.correct}\\.$`, 'm'));
  assert.match(conll, new RegExp(`FB1: +${json.f1.toFixed(2)}$`, 'm'));
});

test('eval --predictions writes token gold predicted lines', () => {
  const pred = path.join(tmp, 'dev.pred');
  assert.equal(ner(['eval', '--model', modelA, '-q', '--predictions', pred]).code, 0);
  const lines = fs.readFileSync(pred, 'utf8').split('\n').filter((l) => l.trim());
  assert.ok(lines.length > 1000);
  for (const l of lines.slice(0, 50)) assert.equal(l.split(' ').length, 3, l);
});

test('tag finds entities in raw text, in every format', () => {
  const text = 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.\n';
  const json = ner(['tag', '-', '--model', modelA, '-q', '--format', 'json'], text);
  assert.equal(json.code, 0, json.stderr);
  const ents = JSON.parse(json.stdout) as { text: string; type: string; start: number; end: number; prob: number }[];
  for (const e of ents) {
    assert.equal(text.slice(e.start, e.end), e.text.replace(/ /g, ' '));
    assert.ok(e.prob > 0 && e.prob <= 1);
  }
  assert.ok(ents.some((e) => e.text === 'Paris' && e.type === 'LOC'), json.stdout);
  const conll = ner(['tag', '-', '--model', modelA, '-q', '--format', 'conll'], text);
  assert.match(conll.stdout, /^Paris [BI]-LOC$/m);
  const inline = ner(['tag', '-', '--model', modelA, '-q'], text);
  assert.match(inline.stdout, /\[Paris\]LOC/);
  assert.equal(inline.stdout.replace(/\[([^\]]+)\][A-Z]+/g, '$1'), text, 'inline output keeps the text');
});

// The thread count changes only the tagged sentences that every format is written from: conll shows each
// token's tag, json each entity's span, offsets and probability; inline and brackets are drawn from the
// same spans (ux.test.ts and the test above check their writing).
test('tag: the same output on one thread and two (the pipeline thread), as tags and as entities, over many batches', () => {
  // about 30k tokens: seven batches of 4,096, streamed through the pipeline thread
  const sample = fs.readFileSync(path.join(ROOT, 'data/sample.txt'), 'utf8');
  const text = Array.from({ length: 150 }, (_, i) => sample.replace(/Paris/g, i % 2 ? 'Lyon' : 'Paris')).join('\n');
  const file = path.join(tmp, 'long.txt');
  fs.writeFileSync(file, text);
  const head = JSON.parse(fs.readFileSync(modelA, 'utf8')).labels.head;
  assert.equal(head, DEFAULT_CONFIG.head, 'modelA has the default head');
  for (const format of ['conll', 'json']) {
    const one = ner(['tag', file, '--model', modelA, '-q', '--format', format, '--threads', '1']);
    const two = ner(['tag', file, '--model', modelA, '-q', '--format', format, '--threads', '2']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.ok(one.stdout.length > text.length / 2, format);
    assert.equal(two.stdout, one.stdout, `--format ${format}: two threads = one`);
  }
});

// reliability.test.ts runs every bad file and option through the command line (a short CoNLL line, a
// missing model, eval and tag inputs, --epochs 0, --lr, a --report directory, ...); these are the cases
// it has no twin of.
test('errors: a message, a non-zero exit and no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--train', path.join(tmp, 'missing.conll'), '-q'], /missing\.conll: file not found/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const r = ner(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} exited 0`);
    assert.match(r.stderr, message, args.join(' '));
    noStack(r.stderr);
  }
});

test('the program loads the verb a command line names, or all of them', async () => {
  const { buildProgram } = await import('../src/cli/main.js');
  const all = ['train', 'eval', 'tag', 'info', 'gradcheck', 'convert', 'package', 'cache', 'annotate', 'select', 'serve'];
  assert.deepEqual((await buildProgram()).commands.map((c) => c.name()), all);
  assert.deepEqual((await buildProgram('tag')).commands.map((c) => c.name()), ['tag']);
  assert.deepEqual((await buildProgram('help')).commands.map((c) => c.name()), all);
  assert.deepEqual((await buildProgram('constructor')).commands.map((c) => c.name()), all); // (not a verb, whatever objects inherit)
});
