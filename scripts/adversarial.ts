// The adversarial grid of issue 15, re-run: bad numeric options, malformed CoNLL files, hand-edited models
// and checkpoints, SIGINT / --resume chains, a full disk (/dev/full and a tiny tmpfs), read-only paths,
// closed and broken pipes, parallel processes. Every case must end with no stack trace, no internal
// error, no hang (each is killed after --timeout seconds) and no data loss (every file the case did not
// ask to write keeps its bytes).
//
//   npm run build && node dist/scripts/adversarial.js [--timeout 60] [--only GROUP]
//
// Tiny fixtures (4-d vectors, a 14-token corpus, the demo corpus for the resume chains), generated in a
// temporary folder, so the whole grid takes a few minutes. The read-only and small-disk cases need
// `unshare -rm` (a private mount namespace) and are skipped without it.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyVectors } from '../test/tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const TIMEOUT = Number(argOf('timeout') ?? 60) * 1000;
const ONLY = argOf('only');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-grid-'));
const at = (name: string) => path.join(dir, name);
const ENV = { ...process.env, NO_COLOR: '1', NER_CACHE_DIR: at('cache') };
const STACK = /\n\s+at .+:\d+:\d+/;

// ---- fixtures ----
const WORDS = ['john', 'mary', 'lives', 'in', 'paris', 'london', 'visited', 'and', '.', 'works', 'at', 'google'];
const vector = (i: number) => [0, 1, 2, 3].map((k) => (Math.sin(i * 7 + k) / 2).toFixed(4)).join(' ');
const TRAIN = ['John B-PER\nlives O\nin O\nParis B-LOC\n. O\n', 'Mary B-PER\nvisited O\nLondon B-LOC\n. O\n', 'John B-PER\nand O\nMary B-PER\nvisited O\nParis B-LOC\n'].join('\n');
fs.writeFileSync(at('e.txt'), WORDS.map((w, i) => `${w} ${vector(i)}\n`).join(''));
fs.writeFileSync(at('t.conll'), TRAIN);
fs.writeFileSync(at('text.txt'), 'John lives in Paris.\n'.repeat(20000));
fs.copyFileSync(path.join(ROOT, 'data/demo/train.conll'), at('demo-train.conll'));
fs.copyFileSync(path.join(ROOT, 'data/demo/dev.conll'), at('demo-dev.conll'));
writeTinyVectors(at('demo-emb.txt'));
const quick = ['--embeddings', 'e.txt', '--epochs', '2', '--hidden', '8', '-q'];

interface Result { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

function ner(args: string[], opts: { input?: string; stdio?: any[]; shell?: string } = {}): Result {
  const r: SpawnSyncReturns<string> = opts.shell
    ? spawnSync('bash', ['-c', opts.shell.replaceAll('{ner}', `"${process.execPath}" "${BIN}"`)], { cwd: dir, env: ENV, encoding: 'utf8', timeout: TIMEOUT, input: opts.input })
    : spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: ENV, encoding: 'utf8', timeout: TIMEOUT, input: opts.input, stdio: opts.stdio, maxBuffer: 1 << 28 });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}

/** sha256 of every file in the fixture folder (not the cache), to see that nothing was lost. */
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  for (const name of fs.readdirSync(dir)) {
    const p = at(name);
    if (fs.statSync(p).isFile()) m.set(name, createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
  }
  return m;
}

const totals = { cases: 0, ok: 0, skipped: 0, stackTraces: 0, internalErrors: 0, hangs: 0, dataLoss: 0, wrongExit: 0 };
const failures: string[] = [];
const groups = new Map<string, number>();

/** One case: runs `fn`, then checks its results and that only `writes` (file names) changed. */
async function check(group: string, name: string, fn: () => Result | Promise<Result>, expect: { exit?: (number | null)[]; writes?: string[]; also?: (r: Result) => string | undefined } = {}): Promise<void> {
  if (ONLY && ONLY !== group) return;
  totals.cases++;
  groups.set(group, (groups.get(group) ?? 0) + 1);
  const before = snapshot();
  const r = await fn();
  const after = snapshot();
  const problems: string[] = [];
  if (r.timedOut) {
    totals.hangs++;
    problems.push(`hang (killed after ${TIMEOUT / 1000} s)`);
  }
  if (STACK.test(r.stderr) || STACK.test(r.stdout)) {
    totals.stackTraces++;
    problems.push('stack trace');
  }
  if (/internal error/.test(r.stderr)) {
    totals.internalErrors++;
    problems.push('internal error');
  }
  const allowed = expect.exit ?? [0, 1];
  if (!r.timedOut && !allowed.includes(r.code)) {
    totals.wrongExit++;
    problems.push(`exit ${r.code ?? r.signal}, expected ${allowed.join(' or ')}`);
  }
  const writes = new Set(expect.writes ?? []);
  for (const [file, hash] of before) {
    if (writes.has(file) || file.endsWith('.ckpt') || file.includes('.partial.')) continue;
    if (after.get(file) !== hash) {
      totals.dataLoss++;
      problems.push(`${file} ${after.has(file) ? 'changed' : 'vanished'}`);
    }
  }
  const extra = expect.also?.(r);
  if (extra) problems.push(extra);
  if (problems.length === 0) totals.ok++;
  else failures.push(`[${group}] ${name}: ${problems.join('; ')}\n    ${r.stderr.trim().split('\n').slice(0, 3).join('\n    ')}`);
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} [${group}] ${name}${problems.length ? `: ${problems.join('; ')}` : ''}`);
}

const isModel = (file: string) => {
  try {
    return JSON.parse(fs.readFileSync(at(file), 'utf8')).format === 'ner-window-classifier';
  } catch {
    return false;
  }
};

// ---- 1. bad numeric options: each at 12 bad values ----
const BAD_VALUES = ['', ' ', 'abc', '-1', '1.5', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', '99999999999999999999', '1,5'];
const NUMERIC: [string, string[]][] = [
  ...['--hidden', '--window', '--epochs', '--patience', '--lr', '--lr-embed', '--lr-decay', '--batch', '--l2', '--min-count', '--word-dropout', '--tag-column', '--seed', '--threads']
    .map((o): [string, string[]] => [o, ['train', '--train', 't.conll', ...quick, '-o', 'opt.json']]),
  ['--threshold', ['train', '--train', 't.conll', ...quick, '--head', 'ovr', '-o', 'opt.json']],
  ['--errors', ['eval', 't.conll', '--model', 'm.json', '-q']],
  ['--tag-column', ['eval', 't.conll', '--model', 'm.json', '-q']],
  ['--threads', ['tag', 'text.txt', '--model', 'm.json', '-q']],
  ['--windows', ['gradcheck', '--data', 't.conll', '--embeddings', 'e.txt', '-q']],
  ['--samples', ['gradcheck', '--data', 't.conll', '--embeddings', 'e.txt', '-q']],
  ['--tolerance', ['gradcheck', '--data', 't.conll', '--embeddings', 'e.txt', '-q']],
];

// ---- 2. malformed CoNLL files ----
const CONLL: [string, string | Buffer][] = [
  ['empty', ''],
  ['only DOCSTART', '-DOCSTART- -X- O O\n\n-DOCSTART- -X- O O\n'],
  ['one column', 'John\nlives\n'],
  ['inconsistent columns', 'John NNP B-PER\nlives O\n'],
  ['bad prefix', 'John X-PER\n'],
  ['missing type', 'John B-\n'],
  ['lowercase tag', 'John b-per\n'],
  ['NUL byte', 'John B-PER\nli\0ves O\n'],
  ['UTF-16', Buffer.from('\ufeffJohn B-PER\n', 'utf16le')],
  ['invalid UTF-8', Buffer.concat([Buffer.from('John B-PER\nli'), Buffer.from([0xff, 0xfe]), Buffer.from('ves O\n')])],
  ['CR only', 'John B-PER\rlives O\r\rMary B-PER\r'],
  ['CRLF', 'John B-PER\r\nlives O\r\n'],
  ['BOM', '\ufeffJohn B-PER\nlives O\n'],
  ['CoNLL-U comments', '# sent_id = 1\n# text = John lives\nJohn B-PER\nlives O\n'],
  ['"#" as a token', '# O\nJohn B-PER\n'],
  ['tabs and trailing spaces', 'John\tB-PER  \nlives \t O\n'],
  ['only O tags', 'John O\nlives O\n'],
  ['only blank lines', '\n\n\n'],
  ['a 1 MB line', `${'a'.repeat(1 << 20)} O\nJohn B-PER\n`],
  ['100k-token sentence', 'John B-PER\n'.repeat(100000)],
  ['I- after O (IOB1)', 'John I-PER\nlives O\n'],
  ['IOBES', 'John S-PER\nvisited O\nNew B-LOC\nYork E-LOC\n'],
  ['IO with touching entities', 'John I-PER\nMary I-PER\nvisited O\nParis I-LOC\n'],
  ['zero-width characters', 'Jo\u200bhn B-PER\nlives O\n'],
  ['binary junk', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251 + 1))],
];

// ---- 3. hand-edited models ----
const MODEL_EDITS: [string, (d: any) => void][] = [
  ['no format', (d) => delete d.format],
  ['version "1"', (d) => (d.version = '1')],
  ['version 2', (d) => (d.version = 2)],
  ['history entry without loss', (d) => delete d.history[0].loss],
  ['history not a list', (d) => (d.history = {})],
  ['history dev f1 a string', (d) => (d.history[0].dev = { precision: 1, recall: 1, f1: 'x' })],
  ['trainedOn.files a string', (d) => (d.trainedOn.files = 'x')],
  ['trainedOn null', (d) => (d.trainedOn = null)],
  ['bestEpoch 99', (d) => (d.bestEpoch = 99)],
  ['hidden changed', (d) => (d.config.hidden = 9)],
  ['head unknown', (d) => (d.config.head = 'crf')],
  ['activation unknown', (d) => (d.config.activation = 'swish')],
  ['labels.types not strings', (d) => (d.labels.types = [1, 2])],
  ['labels.types a new type', (d) => d.labels.types.push('ORG')],
  ['W truncated', (d) => (d.params.W.base64 = d.params.W.base64.slice(0, 100))],
  ['W shape wrong', (d) => (d.params.W.shape = [1, 1])],
  ['b NaN', (d) => (d.params.b.base64 = Buffer.from(new Float64Array([NaN, ...new Float64Array(d.params.b.shape[0] - 1)]).buffer).toString('base64'))],
  ['words.keys not a list', (d) => (d.words.keys = 'abc')],
  ['words.keys too short', (d) => (d.words.keys = ['a'])],
  ['embeddings missing', (d) => delete d.embeddings],
  ['embeddings.d wrong', (d) => (d.embeddings.d = 7)],
  ['window negative', (d) => (d.window.window = -1)],
  ['dims wrong', (d) => (d.dims.n = 3)],
  ['config.window disagrees', (d) => (d.config.window = 3)],
  ['an array', (d) => Object.keys(d).forEach((k) => delete d[k])],
];

// ---- 4. hand-edited checkpoints ----
const CKPT_EDITS: [string, (d: any) => void][] = [
  ['step 1e9', (d) => (d.state.step = 1e9)],
  ['step not a multiple of the batch', (d) => (d.state.step = 1)],
  ['epoch -5', (d) => (d.state.epoch = -5)],
  ['epoch 1e6', (d) => (d.state.epoch = 1e6)],
  ['rngAtEpochStart "abc"', (d) => (d.state.rngAtEpochStart = 'abc')],
  ['history null', (d) => (d.state.history = null)],
  ['hidden changed', (d) => (d.run.config.hidden = 9)],
  ['epochs -1', (d) => (d.run.config.epochs = -1)],
  ['train not a list', (d) => (d.run.train = 'x')],
  ['train file missing', (d) => (d.run.train = [at('gone.conll')])],
  ['params truncated', (d) => (d.state.params.W.base64 = 'AAAA')],
  ['J NaN', (d) => (d.state.J = null)],
  ['best without history', (d) => (d.state.best = null)],
  ['version 2', (d) => (d.version = 2)],
  ['not JSON', (d) => Object.assign(d, { format: 'other' })],
];

async function interruptAfterEpoch(args: string[], epoch: number, signal: NodeJS.Signals): Promise<Result> {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: ENV });
  let stderr = '';
  const timer = setTimeout(() => c.kill('SIGKILL'), TIMEOUT);
  c.stderr.on('data', (d) => {
    stderr += d;
    if (new RegExp(`^\\s+${epoch} `, 'm').test(stderr) && c.exitCode === null && !c.killed) c.kill(signal);
  });
  const [code, sig] = await new Promise<[number | null, string | null]>((r) => c.on('close', (co, s) => r([co, s])));
  clearTimeout(timer);
  return { code, signal: sig, stdout: '', stderr, timedOut: false };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const base = ner(['train', '--train', 't.conll', ...quick, '-o', 'm.json']);
  if (base.code !== 0) throw new Error(base.stderr);

  for (const [option, cmd] of NUMERIC) {
    for (const v of BAD_VALUES) await check('options', `${cmd[0]} ${option} ${JSON.stringify(v)}`, () => ner([...cmd, option, v]), { writes: ['opt.json'], exit: [0, 1] });
  }

  for (const [kind, content] of CONLL) {
    fs.writeFileSync(at('bad.conll'), content);
    await check('conll', `train: ${kind}`, () => ner(['train', '--train', 'bad.conll', ...quick, '-o', 'bad.json']), { writes: ['bad.json'] });
    await check('conll', `eval: ${kind}`, () => ner(['eval', 'bad.conll', '--model', 'm.json', '-q']));
    await check('conll', `tag: ${kind}`, () => ner(['tag', 'bad.conll', '--model', 'm.json', '-q']));
  }
  fs.rmSync(at('bad.conll'));
  for (const [kind, args] of [['directory', ['--train', dir]], ['missing file', ['--train', 'gone.conll']], ['/dev/zero', ['--train', '/dev/zero']], ['/dev/null', ['--train', '/dev/null']]] as [string, string[]][]) {
    await check('conll', `train: ${kind}`, () => ner(['train', ...args, ...quick, '-o', 'bad.json']), { exit: [1], writes: ['bad.json'] });
  }
  await check('conll', 'eval: /dev/zero', () => ner(['eval', '/dev/zero', '--model', 'm.json', '-q']), { exit: [1] });
  await check('conll', 'tag: /dev/zero', () => ner(['tag', '/dev/zero', '--model', 'm.json', '-q']), { exit: [1] });

  const model = JSON.parse(fs.readFileSync(at('m.json'), 'utf8'));
  for (const [kind, edit] of MODEL_EDITS) {
    const doc = structuredClone(model);
    edit(doc);
    fs.writeFileSync(at('edited.json'), JSON.stringify(doc));
    for (const verb of [['info', '--model', 'edited.json'], ['eval', 't.conll', '--model', 'edited.json', '-q'], ['tag', 'text.txt', '--model', 'edited.json', '-q']]) {
      await check('models', `${verb[0]}: ${kind}`, () => ner(verb), { exit: kind === 'labels.types a new type' ? [0, 1] : [1] });
    }
  }
  fs.writeFileSync(at('edited.json'), fs.readFileSync(at('m.json')).subarray(0, 5000));
  await check('models', 'info: truncated file', () => ner(['info', '--model', 'edited.json']), { exit: [1] });

  // a checkpoint to edit: a run interrupted after its third epoch
  const long = ['train', '--train', 'demo-train.conll', '--dev', 'demo-dev.conll', '--embeddings', 'demo-emb.txt', '--hidden', '30', '--epochs', '12', '--patience', '100', '--seed', '4'];
  await interruptAfterEpoch([...long, '-o', 'ck.json'], 3, 'SIGINT');
  const ckpt = JSON.parse(fs.readFileSync(at('ck.json.ckpt'), 'utf8'));
  for (const [kind, edit] of CKPT_EDITS) {
    const doc = structuredClone(ckpt);
    edit(doc);
    fs.writeFileSync(at('edited.ckpt'), JSON.stringify(doc));
    await check('checkpoints', `resume: ${kind}`, () => ner(['train', '--resume', 'edited.ckpt', '-q']), { exit: [1] });
  }

  // SIGINT / --resume chains: interrupt, resume, interrupt the resumed run, … → the uninterrupted model
  const whole = ner([...long, '-q', '-o', 'whole.json']);
  if (whole.code !== 0) throw new Error(whole.stderr);
  for (let chain = 0; chain < 3; chain++) {
    const out = `chain${chain}.json`;
    await check('resume', `chain ${chain}: SIGINT after epoch ${2 + chain}`, () => interruptAfterEpoch([...long, '-o', out], 2 + chain, 'SIGINT'), { exit: [130], writes: [out] });
    await check('resume', `chain ${chain}: resume, SIGTERM after its first epoch`, () => interruptAfterEpoch(['train', '--resume', `${out}.ckpt`], 3 + chain + 1, 'SIGTERM'), { exit: [130, 0], writes: [out] });
    await check('resume', `chain ${chain}: resume to the end = the uninterrupted model`, () => ner(['train', '--resume', `${out}.ckpt`, '-q']), {
      exit: [0], writes: [out],
      also: () => (fs.readFileSync(at(out)).equals(fs.readFileSync(at('whole.json'))) ? undefined : 'differs from the uninterrupted model'),
    });
  }
  await check('resume', 'SIGINT into an existing model keeps it', () => interruptAfterEpoch([...long, '-o', 'm.json'], 2, 'SIGINT'), { exit: [130] });
  await check('resume', '--resume with a changed option is refused', () => ner(['train', '--resume', 'm.json.ckpt', '--lr', '0.5', '-q']), { exit: [1] });
  // another model lands at m.json after the interrupted run: its checkpoint is stale and must not overwrite it
  fs.copyFileSync(at('m.json'), at('m-orig.json'));
  fs.copyFileSync(at('whole.json'), at('m.json'));
  await check('resume', 'a stale checkpoint is refused', () => ner(['train', '--resume', 'm.json.ckpt', '-q']), { exit: [1] });
  fs.copyFileSync(at('m-orig.json'), at('m.json'));

  // full disk: /dev/full on stdout, stderr, as an output
  const full = () => fs.openSync('/dev/full', 'w');
  for (const verb of [['info', '--model', 'm.json'], ['eval', 't.conll', '--model', 'm.json', '-q'], ['tag', 'text.txt', '--model', 'm.json', '-q']]) {
    await check('full-disk', `${verb[0]} > /dev/full`, () => ner(verb, { stdio: ['ignore', full(), 'pipe'] }), { exit: [1] });
  }
  await check('full-disk', 'train 2> /dev/full still saves its model', () => ner(['train', '--train', 't.conll', ...quick.filter((a) => a !== '-q'), '-o', 'full.json'], { stdio: ['ignore', 'pipe', full()] }), {
    exit: [0], writes: ['full.json'], also: () => (isModel('full.json') ? undefined : 'no model saved'),
  });
  for (const o of [['-o', '/dev/full'], ['-o', 'x.json', '--report', '/dev/full']]) {
    await check('full-disk', `train ${o.join(' ')}`, () => ner(['train', '--train', 't.conll', ...quick, ...o]), { exit: [1] });
  }
  await check('full-disk', 'eval --predictions /dev/full', () => ner(['eval', 't.conll', '--model', 'm.json', '--predictions', '/dev/full', '-q']), { exit: [1] });

  // read-only and small file systems (private mounts)
  const unshare = spawnSync('unshare', ['-rm', 'true']).status === 0;
  fs.mkdirSync(at('ro'));
  fs.mkdirSync(at('small'));
  const mounted: [string, string, string[]][] = [
    ['read-only: train -o', `mount -t tmpfs -o ro tmpfs ro && {ner} train --train t.conll ${quick.join(' ')} -o ro/m.json`, []],
    ['read-only: train --report', `mount -t tmpfs -o ro tmpfs ro && {ner} train --train t.conll ${quick.join(' ')} -o ro.json --report ro/r.html`, ['ro.json']],
    ['read-only: eval --predictions', `mount -t tmpfs -o ro tmpfs ro && {ner} eval t.conll --model m.json --predictions ro/p.txt -q`, []],
    ['read-only: the embeddings cache', `mount -t tmpfs -o ro tmpfs ro && NER_CACHE_DIR=ro {ner} train --train t.conll ${quick.join(' ')} -o roc.json`, ['roc.json']],
    ['full: train -o on 64 KB', `mount -t tmpfs -o size=64k tmpfs small && {ner} train --train t.conll ${quick.join(' ')} -o small/m.json`, []],
  ];
  for (const [name, cmd, writes] of mounted) {
    if (!unshare) {
      totals.skipped++;
      continue;
    }
    await check('read-only', name, () => {
      const r = spawnSync('unshare', ['-rm', 'sh', '-c', cmd.replaceAll('{ner}', `"${process.execPath}" "${BIN}"`)], { cwd: dir, env: ENV, encoding: 'utf8', timeout: TIMEOUT });
      return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
    }, { writes });
  }

  // closed and broken pipes
  for (const verb of ['info --model m.json', 'eval t.conll --model m.json -q', 'tag text.txt --model m.json -q']) {
    // tag refuses a closed stdout; info and eval cannot tell it from a /dev/null given on purpose
    await check('pipes', `${verb.split(' ')[0]} >&- (stdout closed)`, () => ner([], { shell: `{ner} ${verb} >&-` }), { exit: verb.startsWith('tag') ? [1] : [0, 1] });
    await check('pipes', `${verb.split(' ')[0]} | head -1`, () => ner([], { shell: `set -o pipefail; {ner} ${verb} | head -1 > /dev/null` }), { exit: [0] });
  }
  await check('pipes', 'train 2>&1 | head -1 still saves its model', () => ner([], { shell: `set -o pipefail; {ner} train --train t.conll ${quick.filter((a) => a !== '-q').join(' ')} -o pipe.json 2>&1 | head -1 >/dev/null` }), {
    exit: [0], writes: ['pipe.json'], also: () => (isModel('pipe.json') ? undefined : 'no model saved'),
  });
  await check('pipes', 'train 2>&- (stderr closed)', () => ner([], { shell: `{ner} train --train t.conll ${quick.join(' ')} -o closed.json 2>&-` }), {
    exit: [0], writes: ['closed.json'], also: () => (isModel('closed.json') ? undefined : 'no model saved'),
  });
  await check('pipes', 'eval - from a slow writer', () => ner([], { shell: `(head -c 30 t.conll; sleep 0.5; tail -c +31 t.conll) | {ner} eval - --model m.json -q` }), { exit: [0] });

  // 20 parallel processes: trains to one output, evals and tags of one model
  await check('parallel', '20 trains to one output', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => new Promise<Result>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'train', '--train', 't.conll', ...quick, '--seed', String(i), '-o', 'par.json'], { cwd: dir, env: ENV });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr, timedOut: false }));
    }));
    const all = await Promise.all(runs);
    const bad = all.find((r) => r.code !== 0 && r.code !== 1) ?? all.find((r) => STACK.test(r.stderr));
    return bad ?? { code: 0, signal: null, stdout: '', stderr: all.map((r) => r.stderr).join(''), timedOut: false };
  }, { exit: [0], writes: ['par.json'], also: () => (isModel('par.json') ? undefined : 'par.json is not a complete model') });
  await check('parallel', '20 evals and tags of one model', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => new Promise<Result>((resolve) => {
      const args = i % 2 ? ['eval', 't.conll', '--model', 'm.json', '-q'] : ['tag', 'text.txt', '--model', 'm.json', '-q'];
      const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout.resume(); // read and drop the results
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr, timedOut: false }));
    }));
    const all = await Promise.all(runs);
    return all.find((r) => r.code !== 0) ?? all[0];
  }, { exit: [0] });

  console.log(`adversarial grid: ${totals.cases} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s (${[...groups].map(([g, n]) => `${g} ${n}`).join(', ')})`);
  console.log(JSON.stringify(totals));
  for (const f of failures) console.log(`FAIL ${f}`);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
