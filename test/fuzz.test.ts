// Seeded fuzz tests of the readers: parseConll (with strict UTF-8 decoding), the
// embeddings loader (GloVe text, word2vec header, gzip, wink JSON), parseModel and the tokenizer.
// Inputs are random bytes and random mutations of valid inputs (byte flips, truncations, duplicated,
// deleted and swapped lines, inserted NULs, tabs, CRs, BOMs, huge numbers, invalid UTF-8, and for
// models random values at random places in the JSON). Every outcome must be a parse or the tool's own
// error (NerError and its subclasses); anything else is a bug. Each target runs in a worker thread
// that a watchdog terminates when one case takes longer than CASE_LIMIT_MS, so a hang fails the test
// (naming the case and saving its input) instead of hanging it. Reproduce with FUZZ_SEED=<seed>.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { decodeUtf8, parseConll } from '../src/data/conll.js';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { NerError } from '../src/errors.js';
import { parseModel } from '../src/io/model-io.js';
import { Rng } from '../src/rng.js';
import { SentenceSplitter, tokenize, type Token } from '../src/data/tokenize.js';

type Target = 'conll' | 'embeddings' | 'model' | 'tokenize';

interface Job {
  target: Target;
  seed: number;
  count: number; // cases to run: a fixed number, so a seed names the same cases on any machine and load
  dir: string; // scratch directory (embeddings inputs are files)
  model: string; // a valid model file's text
}

type Report =
  | { kind: 'start'; i: number; what: string; input: string } // input: base64
  | { kind: 'bug'; i: number; what: string; input: string; error: string }
  | { kind: 'done'; cases: number; parsed: number; rejected: number; slowestMs: number };

const CASE_LIMIT_MS = 3000;

// ------------------------------------------------------------------------------------------------
// Inputs

const WORDS = ['the', 'Paris', 'John', 'U.S.', 'Mr.', 'of', '1996', 'Corp.', ',', '.', '"', "'s", 'e-mail', 'Zürich', '3.5'];
const TAGS = ['O', 'O', 'O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'S-MISC', 'E-MISC'];

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)];
}

function validConll(rng: Rng): string {
  const lines: string[] = [];
  if (rng.next() < 0.5) lines.push('-DOCSTART- -X- -X- O', '');
  const columns = 1 + rng.int(3);
  for (let s = 0, n = 1 + rng.int(6); s < n; s++) {
    for (let t = 0, m = 1 + rng.int(8); t < m; t++) {
      const middle = Array.from({ length: columns - 1 }, () => pick(rng, ['NNP', 'VBZ', 'B-NP', 'I-VP']));
      lines.push([pick(rng, WORDS), ...middle, pick(rng, TAGS)].join(rng.next() < 0.2 ? '\t' : ' '));
    }
    lines.push('');
  }
  return lines.join('\n');
}

function validGlove(rng: Rng): string {
  const d = 1 + rng.int(5);
  const words = [...new Set(Array.from({ length: 2 + rng.int(10) }, () => pick(rng, WORDS)))];
  const rows = words.map((w) => `${w} ${Array.from({ length: d }, () => rng.uniform(2).toFixed(1 + rng.int(6))).join(' ')}`);
  return (rng.next() < 0.3 ? `${rows.length} ${d}\n` : '') + rows.join('\n') + (rng.next() < 0.8 ? '\n' : '');
}

function validWink(rng: Rng): string {
  const d = 1 + rng.int(4);
  const words = [...new Set(Array.from({ length: 1 + rng.int(6) }, () => pick(rng, WORDS)))];
  const vectors: Record<string, number[]> = {};
  words.forEach((w, i) => (vectors[w] = [...Array.from({ length: d }, () => Number(rng.uniform(1).toFixed(4))), 1, i]));
  return JSON.stringify({ dimensions: d, size: words.length, words, l2NormIndex: d, wordIndex: d + 1, vectors, unkVector: new Array(d).fill(0) });
}

function randomText(rng: Rng): string {
  const pieces = [...WORDS, ' ', ' ', ' ', '\n', '\r\n', '\n\n', '...', '?', '!', '(', ')', '“', '”', "'", 'Inc.', 'The', '1.', 'approx.', 'www.x.org', 'a@b.com', 'C$', '\t', '\uFEFF', '\u00A0', '😀', '\uD800'];
  return Array.from({ length: rng.int(120) }, () => (rng.next() < 0.7 ? ' ' : '') + pick(rng, pieces)).join('');
}

const INSERTS = ['\0', '\t', '\r', '\r\n', '\uFEFF', '\n', '\n\n', ' ', '1e999', '-1e39', '9'.repeat(400), 'NaN', 'Infinity', '-DOCSTART-', 'X-PER', '{', '"', '[', ']', ',', ':', '\\u00', '😀'];

/** One to four random mutations of the bytes. */
function mutate(rng: Rng, input: Buffer): Buffer {
  let b = input;
  for (let m = 0, n = 1 + rng.int(4); m < n; m++) {
    const at = rng.int(b.length + 1);
    const op = rng.int(9);
    if (op === 0 && b.length > 0) {
      b = Buffer.from(b);
      b[rng.int(b.length)] ^= 1 << rng.int(8); // a bit flip
    } else if (op === 1) {
      b = b.subarray(0, at); // a truncation
    } else if (op === 2) {
      b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(rng, INSERTS)), b.subarray(at)]);
    } else if (op === 3) {
      b = Buffer.concat([b.subarray(0, at), Buffer.from([pick(rng, [0x00, 0xff, 0xc3, 0x80, 0xef, 0xbb, 0xbf, 0xfe])]), b.subarray(at)]);
    } else if (op === 4 || op === 5 || op === 6) {
      const lines = b.toString('latin1').split('\n'); // latin1 keeps every byte as it is
      const i = rng.int(lines.length);
      const j = rng.int(lines.length);
      if (op === 4) lines.splice(i, 0, lines[i]); // a duplicated line
      else if (op === 5) lines.splice(i, 1); // a deleted line
      else [lines[i], lines[j]] = [lines[j], lines[i]]; // two lines swapped
      b = Buffer.from(lines.join('\n'), 'latin1');
    } else if (op === 7) {
      b = Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256))); // random bytes
    } else {
      b = Buffer.from(b.toString('utf8').replace(/[0-9.]+/, pick(rng, INSERTS))); // a number replaced
    }
  }
  return b;
}

/** Sets a random place in a JSON document to a random value (models: wrong types and sizes). */
function mutateJson(rng: Rng, doc: any): any {
  const copy = JSON.parse(JSON.stringify(doc));
  const values = [null, 0, -1, 1.5, 1e308, 'x', '', [], {}, true, [1, 2], { dtype: 'float64le', shape: [1], base64: 'AAAAAAAA8H8=' }];
  let node = copy;
  for (let depth = 0; depth < 4; depth++) {
    const keys = node && typeof node === 'object' ? Object.keys(node) : [];
    if (keys.length === 0) break;
    const key = pick(rng, keys);
    if (rng.next() < 0.4 || node[key] === null || typeof node[key] !== 'object') {
      if (rng.next() < 0.2) delete node[key];
      else node[key] = pick(rng, values);
      return copy;
    }
    node = node[key];
  }
  return copy;
}

// ------------------------------------------------------------------------------------------------
// The worker: runs job.count cases, reporting each case before running it.

async function runCase(job: Job, rng: Rng, i: number, post: (r: Report) => void): Promise<'parsed' | 'rejected'> {
  let what = '';
  let input: Buffer = Buffer.alloc(0);
  let run: () => unknown;
  const mutated = rng.next() < 0.9;
  if (job.target === 'conll') {
    input = mutated ? mutate(rng, Buffer.from(validConll(rng))) : Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256)));
    const opts = rng.next() < 0.2 ? { tagColumn: 2 + rng.int(3) } : rng.next() < 0.2 ? { requireTags: false } : {};
    what = `parseConll(${JSON.stringify(opts)})`;
    run = () => parseConll(decodeUtf8(input, 'fuzz.conll'), 'fuzz.conll', opts);
  } else if (job.target === 'embeddings') {
    const kind = rng.int(4);
    const text = kind === 3 ? validWink(rng) : validGlove(rng);
    const raw = mutated ? mutate(rng, Buffer.from(text)) : Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256)));
    // gzip: mutate the compressed bytes (truncated and corrupt streams) or compress mutated text
    input = kind === 1 ? mutate(rng, gzipSync(Buffer.from(text))) : kind === 2 ? gzipSync(raw) : raw;
    const file = path.join(job.dir, `e${i}.txt`);
    what = `loadEmbeddings(${['text', 'mutated gzip', 'gzip of mutated text', 'wink JSON'][kind]})`;
    run = async () => {
      fs.writeFileSync(file, input);
      try {
        return await loadEmbeddings(file, { useCache: false });
      } finally {
        fs.rmSync(file, { force: true });
      }
    };
  } else if (job.target === 'model') {
    const structural = rng.next() < 0.5;
    input = structural ? Buffer.from(JSON.stringify(mutateJson(rng, JSON.parse(job.model)))) : mutate(rng, Buffer.from(job.model));
    what = `parseModel(${structural ? 'a JSON value changed' : 'bytes mutated'})`;
    run = () => parseModel(input.toString('utf8'), 'fuzz.json');
  } else {
    const text = mutated ? mutate(rng, Buffer.from(randomText(rng))).toString('utf8') : randomText(rng);
    input = Buffer.from(text);
    what = 'tokenize + SentenceSplitter';
    const cuts = Array.from({ length: rng.int(6) }, () => rng.int(text.length + 1)).sort((a, b) => a - b);
    run = () => checkTokenize(text, cuts);
  }
  post({ kind: 'start', i, what, input: input.toString('base64') });
  try {
    await run();
    return 'parsed';
  } catch (err) {
    if (err instanceof NerError) return 'rejected';
    post({ kind: 'bug', i, what, input: input.toString('base64'), error: (err as Error)?.stack ?? String(err) });
    throw err;
  }
}

/** tokenize() never throws, its tokens are slices of the text, and streaming in pieces gives the same sentences. */
function checkTokenize(text: string, cuts: number[]): void {
  const whole = tokenize(text);
  for (const t of whole.flat()) {
    if (text.slice(t.start, t.end) !== t.text || t.text.trim() === '') throw new Error(`bad token ${JSON.stringify(t)}`);
  }
  const splitter = new SentenceSplitter();
  const streamed: Token[][] = [];
  let from = 0;
  for (const c of [...cuts, text.length]) {
    streamed.push(...splitter.push(text.slice(from, c)));
    from = c;
  }
  streamed.push(...splitter.end());
  assert.deepEqual(streamed, whole, 'SentenceSplitter differs from tokenize()');
}

async function workerMain(job: Job): Promise<void> {
  const post = (r: Report) => parentPort!.postMessage(r);
  const rng = new Rng(job.seed);
  let cases = 0;
  let parsed = 0;
  let slowestMs = 0;
  while (cases < job.count) {
    const t0 = performance.now();
    const outcome = await runCase(job, rng, cases, post);
    slowestMs = Math.max(slowestMs, performance.now() - t0);
    if (outcome === 'parsed') parsed++;
    cases++;
  }
  post({ kind: 'done', cases, parsed, rejected: cases - parsed, slowestMs });
}

if (!isMainThread) {
  workerMain(workerData as Job).catch(() => process.exit(1)); // the bug was already reported
}

// ------------------------------------------------------------------------------------------------
// The tests (main thread): a valid model to mutate, then one worker per target under a watchdog.

if (isMainThread) {
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-fuzz-'));
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20240601;
  let modelText = '';

  test.before(() => {
    fs.writeFileSync(path.join(tmp, 'e.txt'), 'the 0.1 0.2 0.3\nparis 0.3 -0.1 0.2\njohn -0.2 0.4 0.1\n');
    fs.writeFileSync(path.join(tmp, 't.conll'), 'John B-PER\nlives O\nin O\nParis B-LOC\n. O\n\nthe O\nParis B-LOC\n');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/ner.js'), 'train', '--train', 't.conll', '--embeddings', 'e.txt', '--epochs', '1', '--hidden', '4', '--buckets', '256', '--output', 'm.json', '-q'],
      { cwd: tmp, encoding: 'utf8', env: { ...process.env, NER_CACHE_DIR: path.join(tmp, 'cache'), NO_COLOR: '1' } });
    assert.equal(r.status, 0, r.stderr);
    modelText = fs.readFileSync(path.join(tmp, 'm.json'), 'utf8');
    parseModel(modelText, 'm.json'); // the unmutated model parses
  });
  test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function fuzz(target: Target, count: number): Promise<Extract<Report, { kind: 'done' }>> {
    return new Promise((resolve, reject) => {
      const dir = fs.mkdtempSync(path.join(tmp, `${target}-`));
      const job: Job = { target, seed, count, dir, model: modelText };
      const worker = new Worker(new URL(import.meta.url), { workerData: job });
      let last: Extract<Report, { kind: 'start' }> | undefined;
      let settled = false;
      const fail = (message: string, input?: string) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        void worker.terminate();
        let saved = '';
        if (input !== undefined) {
          const file = path.join(os.tmpdir(), `ner-fuzz-${target}-${seed}-${last?.i ?? 0}.bin`);
          fs.writeFileSync(file, Buffer.from(input, 'base64'));
          saved = `\ninput saved to ${file}`;
        }
        reject(new Error(`${target} fuzz (FUZZ_SEED=${seed}): ${message}${saved}`));
      };
      let lastSeen = performance.now();
      const watchdog = setInterval(() => {
        if (performance.now() - lastSeen > CASE_LIMIT_MS) fail(`case ${last?.i} (${last?.what}) ran longer than ${CASE_LIMIT_MS} ms: a hang`, last?.input);
      }, 100);
      worker.on('message', (r: Report) => {
        lastSeen = performance.now();
        if (r.kind === 'start') last = r;
        else if (r.kind === 'bug') fail(`case ${r.i} (${r.what}) threw something other than a NerError:\n${r.error}`, r.input);
        else {
          settled = true;
          clearInterval(watchdog);
          void worker.terminate();
          resolve(r);
        }
      });
      worker.on('error', (err) => fail(`worker failed: ${err.stack}`));
      worker.on('exit', (code) => fail(`worker exited (${code}) before finishing`));
    });
  }

  // About a second each on an idle machine. The model count reaches case 5218 of the default seed, which
  // found parseModel reading null.R (words.subword: null); the others are about what a time budget of
  // 1.5-2.5 s ran on an idle machine.
  for (const [target, count] of [['conll', 12000], ['embeddings', 1200], ['model', 6000], ['tokenize', 3000]] as const) {
    test(`fuzz ${target}: random and mutated inputs parse or give the tool's own error, never another exception or a hang`, async (t) => {
      const r = await fuzz(target, count);
      t.diagnostic(`seed ${seed}: ${r.cases} cases, ${r.parsed} parsed, ${r.rejected} rejected, slowest ${r.slowestMs.toFixed(0)} ms`);
      assert.equal(r.cases, count);
      if (target === 'tokenize') assert.equal(r.rejected, 0, 'tokenize() rejected some text; it must accept any text');
      // Both outcomes occur, so the generator makes valid inputs and the mutations break them.
      else assert.ok(r.parsed > 0 && r.rejected > 0, `parsed ${r.parsed}, rejected ${r.rejected}`);
      assert.ok(r.slowestMs < CASE_LIMIT_MS, `slowest case ${r.slowestMs.toFixed(0)} ms`);
    });
  }
}
