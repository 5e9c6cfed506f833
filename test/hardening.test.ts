// Nothing silently wrong, no hang, no crash (issue 15, items 11–13 and 15–24): each case a hostile run
// found, through the real command line where the fault was seen, on tiny fixtures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConll } from '../src/data/conll.js';
import { SentenceSplitter, tokenize } from '../src/data/tokenize.js';
import { writeErrorHint } from '../src/io/atomic.js';
import { TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-hardening-'));
const at = (name: string) => path.join(tmp, name);
const STACK = /\n\s+at .+:\d+:\d+/;
const ENV = { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: at('cache') };

function ner(args: string[], opts: { input?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: ENV, input: opts.input, timeout: opts.timeout ?? 60_000 });
  assert.doesNotMatch(r.stderr ?? '', STACK, `stack trace:\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr ?? '' };
}

/** Exit 1 (a user error, never 2), `message` on the first line, a fix line. */
function fails(args: string[], message: RegExp, opts: { input?: string; timeout?: number } = {}): string {
  const r = ner(args, opts);
  assert.equal(r.code, 1, `exit ${r.code}:\n${r.stderr}`);
  assert.match(r.stderr.split('\n')[0], /^error: /, r.stderr);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /\n {2}fix: /, r.stderr);
  return r.stderr;
}

const WORDS = ['john', 'mary', 'lives', 'in', 'paris', 'london', 'visited', 'and', '.', 'works', 'at', 'google'];
const vector = (i: number) => [0, 1, 2, 3].map((k) => (Math.sin(i * 7 + k) / 2).toFixed(4)).join(' ');
const TRAIN = [
  'John B-PER\nlives O\nin O\nParis B-LOC\n. O\n',
  'Mary B-PER\nvisited O\nLondon B-LOC\n. O\n',
  'John B-PER\nand O\nMary B-PER\nvisited O\nParis B-LOC\n',
].join('\n');
const quick = ['--embeddings', 'e.txt', '--epochs', '2', '--hidden', '8', ...TEST_BUCKETS_ARGS, '-q'];

test.before(() => {
  fs.writeFileSync(at('e.txt'), WORDS.map((w, i) => `${w} ${vector(i)}\n`).join(''));
  fs.writeFileSync(at('t.conll'), TRAIN);
  const r = ner(['train', '--train', 't.conll', ...quick, '--output', 'm.json']);
  assert.equal(r.code, 0, r.stderr);
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('item 11: the dev F1 training reports is the F1 ner eval gives, also for an IO dev file (touching entities merge)', () => {
  // trained on touching names (B-PER B-PER), the model finds two entities in "John Mary"; the IO dev file
  // has one there (no B- at all), as ner eval scores it: training used to score two and report 40.00, not 100
  fs.writeFileSync(at('pairs.conll'), 'John B-PER\nMary B-PER\nvisited O\nParis B-LOC\n. O\n\nMary B-PER\nJohn B-PER\nlives O\nin O\nLondon B-LOC\n. O\n\nJohn B-PER\nlives O\nin O\nParis B-LOC\n');
  fs.writeFileSync(at('io.conll'), 'John I-PER\nMary I-PER\nvisited O\nParis I-LOC\n\nMary I-PER\nJohn I-PER\nlives O\nin O\nLondon I-LOC\n');
  const r = ner(['train', '--train', 'pairs.conll', '--dev', 'io.conll', ...quick, '--epochs', '8', '--output', 'io.json']);
  assert.equal(r.code, 0, r.stderr);
  const trained = JSON.parse(fs.readFileSync(at('io.json'), 'utf8'));
  const evalF1 = JSON.parse(ner(['eval', 'io.conll', '--model', 'io.json', '--format', 'json', '-q']).stdout).f1;
  for (const epoch of trained.history) {
    if (epoch.epoch === trained.bestEpoch) assert.equal(epoch.dev.f1, evalF1);
  }
});

test('item 12: ner eval /dev/zero stops at once (a NUL byte) instead of reading forever', () => {
  fails(['eval', '/dev/zero', '--model', 'm.json', '-q'], /\/dev\/zero:1: this looks like a binary file/, { timeout: 20_000 });
});

test('item 13: the sentence splitter is linear on text without whitespace (8 MB of "a" in 64 KB chunks)', () => {
  // The old splitter scanned the whole buffer back to its last space at every chunk: about 8 s here.
  const chunk = 'a'.repeat(1 << 16);
  const t0 = performance.now();
  const s = new SentenceSplitter();
  for (let i = 0; i < 128; i++) assert.deepEqual(s.push(chunk), []);
  const out = s.end();
  const ms = performance.now() - t0;
  assert.equal(out.length, 1);
  assert.equal(out[0][0].end, 128 << 16);
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms for 8 MB`);
  // and the chunked result is still the whole text's
  const text = 'Paris is nice. ' + 'b'.repeat(100_000) + ' The end.\nNext line';
  const split = new SentenceSplitter();
  const got = [];
  for (let i = 0; i < text.length; i += 777) got.push(...split.push(text.slice(i, i + 777)));
  got.push(...split.end());
  assert.deepEqual(got, tokenize(text));
});

test('item 15: "-" reads a pipe whose writer is slow (eval and gradcheck)', async () => {
  // the rest of the input comes 3 s later: a synchronous read of a non-blocking pipe failed with EAGAIN
  const runs = [['eval', '-', '--model', 'm.json', '--format', 'json', '-q'], ['gradcheck', '--data', '-', '--embeddings', 'e.txt', '--windows', '4', '--samples', '4', '-q']].map(async (args) => {
    const c = spawnShell(`(printf '%s' "$HEAD"; sleep 3; printf '%s' "$REST") | exec "${process.execPath}" "${BIN}" ${args.join(' ')}`, { HEAD: TRAIN.slice(0, 40), REST: TRAIN.slice(40) });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => c.on('close', r));
    assert.equal(code, 0, `${args[0]}: ${stderr}`);
    assert.doesNotMatch(stderr, /EAGAIN/);
    if (args[0] === 'eval') assert.equal(JSON.parse(stdout).tokens, 14);
  });
  await Promise.all(runs);
});

const spawnShell = (cmd: string, env: Record<string, string>) => spawn('sh', ['-c', cmd], { cwd: tmp, env: { ...ENV, ...env } });

test('item 16: stdout on a full disk or closed: a message and exit 1, no stack trace, nothing lost silently', () => {
  const full = fs.openSync('/dev/full', 'w');
  const r = spawnSync(process.execPath, [BIN, 'info', '--model', 'm.json'], { cwd: tmp, env: ENV, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
  fs.closeSync(full);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error: cannot write to standard output: no space left on the device\n {2}fix: /);
  assert.doesNotMatch(r.stderr, STACK);
  const closed = spawnSync('sh', ['-c', `echo 'John lives in Paris' | exec "${process.execPath}" "${BIN}" tag --model m.json -q >&-`], { cwd: tmp, env: ENV, encoding: 'utf8' });
  assert.equal(closed.status, 1, closed.stderr);
  assert.match(closed.stderr, /error: standard output is closed: the results would be lost/);
  // > /dev/null is a choice, not an error
  const dropped = spawnSync('sh', ['-c', `echo 'John lives in Paris' | exec "${process.execPath}" "${BIN}" tag --model m.json -q >/dev/null`], { cwd: tmp, env: ENV, encoding: 'utf8' });
  assert.equal(dropped.status, 0, dropped.stderr);
});

/** A copy of m.json (or of a checkpoint) with `edit` applied to its JSON. */
function edited(from: string, name: string, edit: (doc: any) => void): string {
  const doc = JSON.parse(fs.readFileSync(at(from), 'utf8'));
  edit(doc);
  fs.writeFileSync(at(name), JSON.stringify(doc));
  return name;
}

test('items 17 and 21: hand-edited models are named with exit 1, not an internal error', () => {
  fails(['info', '--model', edited('m.json', 'h1.json', (d) => delete d.history[0].loss)], /h1\.json: model file is inconsistent: history\[0\] has loss undefined/);
  fails(['info', '--model', edited('m.json', 'h2.json', (d) => (d.trainedOn.files = 'x.conll'))], /h2\.json: model file is inconsistent: trainedOn should hold files/);
  fails(['info', '--model', edited('m.json', 'h3.json', (d) => (d.history[1].dev = { f1: 'high' }))], /history\[1\] has dev\.precision undefined/);
  fails(['info', '--model', edited('m.json', 'v.json', (d) => (d.version = '1'))], /model format version "1" is a string, expected the number 1/);
});

test('items 17 and 20: hand-edited checkpoints are refused with exit 1 and what is wrong', async () => {
  // a checkpoint: interrupt a run at once (SIGINT before the first epoch ends is fine: the state is saved)
  const c = spawn(process.execPath, [BIN, 'train', '--train', 't.conll', '--embeddings', 'e.txt', '--hidden', '8', ...TEST_BUCKETS_ARGS, '--epochs', '10000', '--patience', '10000', '--output', 'ck.json'], { cwd: tmp, env: ENV });
  let stderr = '';
  c.stderr.on('data', (d) => {
    stderr += d;
    if (/^\s+3 /m.test(stderr) && !c.killed) c.kill('SIGINT');
  });
  assert.equal(await new Promise((r) => c.on('close', r)), 130, stderr);
  const cases: [(d: any) => void, RegExp][] = [
    [(d) => (d.state.step = 1e9), /state\.step is 1000000000, expected a multiple of the batch/],
    [(d) => (d.state.epoch = -5), /state\.epoch is -5, expected 1 to/],
    [(d) => (d.state.rngAtEpochStart = 'abc'), /state\.rngAtEpochStart is "abc", expected a 32-bit whole number/],
    [(d) => (d.state.history = null), /state\.history should list the \d+ finished epochs/],
    [(d) => (d.run.config.hidden = 9), /the checkpoint's parameters .* do not fit this run's model/],
    [(d) => (d.run.config.epochs = -1), /run\.config holds an invalid option: --epochs -1/],
  ];
  cases.forEach(([edit, message], i) => {
    fails(['train', '--resume', edited('ck.json.ckpt', `e${i}.ckpt`, edit), '-q'], message);
  });
});

test('item 18: CR-only line endings read as lines', () => {
  const c = parseConll('John B-PER\rlives O\r\rMary B-PER\r', 'cr.conll');
  assert.equal(c.sentences.length, 2);
  assert.equal(c.tokens, 3);
  assert.deepEqual(c.sentences[1].tokens, ['Mary']);
  assert.equal(c.sentences[1].line, 4);
});

test('item 19: CoNLL-U style comment lines before a sentence are skipped; "#" as a token is kept', () => {
  const c = parseConll('# sent_id = 1\n# text = John lives\nJohn B-PER\nlives O\n\n# newdoc\n# O\n#tag B-MISC\n', 'c.conll');
  assert.deepEqual(c.sentences.map((s) => s.tokens), [['John', 'lives'], ['#', '#tag']]);
  assert.equal(c.sentences[0].line, 3);
});

test('item 22: zero-width characters do not split words', () => {
  for (const w of ['Pa\u200dris', 'Jo\u200bhn', 'Ber\u2060lin', 'ab\u200ccd']) {
    assert.deepEqual(tokenize(`${w} is here.`)[0].map((t) => t.text), [w, 'is', 'here', '.']);
  }
});

test('item 23: options that mean nothing for the head are refused; dev types training lacks are warned of', () => {
  fails(['train', '--train', 't.conll', ...quick, '--head', 'ovr', '--scheme', 'BIO', '-o', 'x.json'], /--scheme sets the tag scheme of the softmax and logistic heads/);
  fails(['train', '--train', 't.conll', ...quick, '--threshold', '0.3', '-o', 'x.json'], /--threshold is the one-vs-rest head's minimum probability/);
  fails(['train', '--train', 't.conll', ...quick, '--head', 'logistic', '--threshold', '0.3', '-o', 'x.json'], /the logistic head decodes with Viterbi and has none/);
  fs.writeFileSync(at('dev-org.conll'), 'John B-PER\nat O\nGoogle B-ORG\n');
  const r = ner(['train', '--train', 't.conll', '--dev', 'dev-org.conll', ...quick, '-o', 'x.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: dev-org\.conll has entity types the training data lacks: ORG/);
});

test('item 24: invalid UTF-8 in tag input is named at its own line; the d=1 GloVe "header" gets the right fix; EROFS and EFBIG have fix lines', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => `Line ${i + 1} is about Paris.`);
  const bytes = Buffer.from(lines.join('\n') + '\n');
  const bad = Buffer.concat([bytes.subarray(0, bytes.indexOf('Line 2690 ')), Buffer.from([0xff]), bytes.subarray(bytes.indexOf('Line 2690 '))]);
  fs.writeFileSync(at('bad.txt'), bad);
  fails(['tag', 'bad.txt', '--model', 'm.json', '-q'], /bad\.txt:2690: invalid UTF-8 text/);
  fs.writeFileSync(at('d1.txt'), '2012 5\nthe 0.3\nof 0.1\n');
  fails(['train', '--train', 't.conll', '--embeddings', 'd1.txt', '-q', '-o', 'x.json'], /line 1 \("2012 5"\) reads as a word2vec header .* if these are 1-dimensional vectors, line 1 is the word "2012"\n {2}fix: put a header "<number of words> 1" on a new first line/);
  assert.match(writeErrorHint('EROFS') ?? '', /writable disk/);
  assert.match(writeErrorHint('EFBIG') ?? '', /large files/);
});
