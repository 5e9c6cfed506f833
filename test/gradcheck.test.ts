// Tests for src/gradcheck.ts and `ner gradcheck`: every head × activation passes on real-looking windows;
// deliberately broken backward passes are caught in the right blocks; relu kinks are skipped, not failed;
// a trained model can be checked; and the CLI prints the table, exits 0 / 1 as it should.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConll } from '../src/data/conll.js';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { gather } from '../src/model/features.js';
import { type BackwardFn, type GradcheckReport, gradcheck, modelProblem, randomProblem, sampleWindows } from '../src/check/gradcheck.js';
import { makeLabels } from '../src/model/labels.js';
import { ACTIVATIONS, HEADS, backward, groups, newCache, forward } from '../src/model/model.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { Rng } from '../src/rng.js';
import { train } from '../src/train/train.js';
import { TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');

// Six small sentences in CoNLL form; "Quinn", "Obuya" and "1989" have no vector below.
const CONLL = `-DOCSTART- O

Samuel B-PER
Quinn I-PER
was O
arrested O
in O
the O
Hilton B-LOC
Hotel I-LOC
in O
Paris B-LOC
in O
April O
1989 O
. O

The O
European B-ORG
Commission I-ORG
said O
on O
Thursday O
it O
disagreed O
with O
German B-MISC
advice O
. O

Peter B-PER
Blackburn I-PER
lives O
in O
Brussels B-LOC
. O

Reuters B-ORG
reported O
that O
Mary B-PER
Obuya I-PER
left O
Nairobi B-LOC
on O
Monday O
. O
`;

const D = 10;
const WORDS = ['samuel', 'was', 'arrested', 'in', 'the', 'hilton', 'hotel', 'paris', 'april', '.', 'european', 'commission', 'said', 'on', 'thursday', 'it',
  'disagreed', 'with', 'german', 'advice', 'peter', 'blackburn', 'lives', 'brussels', 'reuters', 'reported', 'that', 'mary', 'left', 'nairobi', 'monday'];

function vectors(seed = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: WORDS.length * D }, () => rng.uniform(1));
}

/** A tiny in-memory embeddings table (the same numbers as the GloVe file the CLI tests write). */
function tinyEmbeddings(): Embeddings {
  const v = vectors();
  const readRow = (id: number, out: Float64Array | Float32Array, o: number) => {
    for (let j = 0; j < D; j++) out[o + j] = v[id * D + j];
  };
  return { source: 'test', d: D, words: WORDS, index: new Map(WORDS.map((w, i) => [w, i])), vectors: v, count: WORDS.length, readRow, fingerprint: 'test' };
}

const corpus = () => parseConll(CONLL, 'test.conll').sentences;

// ovr's hidden layer is K blocks of H units, and checking every entry of W by finite differences costs
// (rows of W)² (a forward over every window per entry): H = 3 gives ovr 12 rows where H = 6 would give 24,
// still more than the other heads' 6, and several units in every classifier.
const hidden = (head: (typeof HEADS)[number]) => (head === 'ovr' ? 3 : 6);

function spec(head: (typeof HEADS)[number], activation: (typeof ACTIVATIONS)[number]) {
  return { head, activation, hidden: hidden(head), window: 2, casing: true, scheme: 'IOBES' as const };
}

const block = (r: GradcheckReport, name: string) => r.blocks.find((b) => b.name === name)!;

for (const head of HEADS)
  for (const activation of ACTIVATIONS) {
    test(`${head} × ${activation}: every block agrees with finite differences and the graph engine`, () => {
      const emb = tinyEmbeddings();
      const problem = randomProblem(emb, corpus(), spec(head, activation), 8, 1);
      const r = gradcheck(problem, { samples: 100_000 }); // small enough to check every entry
      assert.deepEqual(r.blocks.map((b) => b.name), ['W', 'b', 'U', 'c', 'x', 'e(w)']);
      const K = head === 'ovr' ? 4 : 1 + 4 * 4; // PER LOC ORG MISC; softmax, logistic: O + IOBES tags
      const GH = (head === 'ovr' ? K : 1) * hidden(head);
      const n = 5 * (D + 8);
      assert.equal(block(r, 'W').shape, `${GH}×${n}`);
      assert.equal(block(r, 'x').shape, `8×${n}`);
      for (const b of r.blocks) {
        assert.ok(b.pass, `${b.name}: fd ${b.relNumeric}, graph ${b.relGraph}`);
        assert.equal(b.checked + b.kinks, b.size, `${b.name}: every entry sampled`);
        assert.ok(b.relNumeric < 1e-6 && b.relGraph < 1e-6);
      }
      assert.ok(Math.abs(r.J - r.JGraph) < 1e-12);
      assert.equal(r.shapes.length, 4);
      assert.ok(r.shapes.every((s) => s.ok && s.gradShape === s.paramShape));
      assert.equal(r.pass, true);
    });
  }

test('the word rows block covers every word of the windows (fine-tune table), including words without a vector', () => {
  const tokens = corpus().reduce((a, s) => a + s.tokens.length, 0);
  const problem = randomProblem(tinyEmbeddings(), corpus(), spec('ovr', 'tanh'), 100, 2); // more than there are tokens: all of them
  assert.equal(problem.centres.length, tokens);
  const r = gradcheck(problem, { samples: 50 });
  const e = block(r, 'e(w)');
  // one row per distinct word (lookup keys are lowercase), plus <s> and </s>
  const distinct = new Set(corpus().flatMap((s) => s.tokens.map((t) => t.toLowerCase())));
  assert.equal(e.size, (distinct.size + 2) * D);
  assert.equal(e.checked, 50);
  assert.ok(e.pass);
});

test('sampleWindows: half inside entities, seeded, no repeats', () => {
  const sents = corpus();
  const labels = makeLabels('ovr', ['LOC', 'MISC', 'ORG', 'PER'], 'IOBES');
  const a = sampleWindows(sents, labels, 8, new Rng(5));
  const b = sampleWindows(sents, labels, 8, new Rng(5));
  assert.deepEqual(a, b);
  assert.equal(a.y.filter((v) => v !== 0).length, 4);
  assert.equal(new Set(a.centres).size, 8);
  const flat = a.sentences.flat();
  a.centres.forEach((c, i) => assert.equal(flat[c], a.tokens[i]));
});

// ── broken gradients must fail ──────────────────────────────────────────────────────────────────

test('a backward that adds a small error to one bias fails in b (and only the blocks it touches)', () => {
  const broken: BackwardFn = (p, d, f, cache, dS, g, scratch, needDx) => {
    backward(p, d, f, cache, dS, g, scratch, needDx);
    g.b[3] += 1e-4;
  };
  const r = gradcheck(randomProblem(tinyEmbeddings(), corpus(), spec('ovr', 'tanh'), 8, 1), { samples: 100_000, backward: broken });
  assert.equal(r.pass, false);
  assert.equal(block(r, 'b').pass, false);
  assert.ok(block(r, 'b').relNumeric > 1e-6 && block(r, 'b').relGraph > 1e-6);
  for (const name of ['W', 'U', 'c', 'x', 'e(w)']) assert.ok(block(r, name).pass, name);
  assert.equal(r.shapes.find((s) => s.formula === '∂s/∂b = δ')!.ok, false);
});

test('a backward that forgets f\'(z) fails in W, b, x and the word rows, but not in U and c', () => {
  // δ = ∂J/∂h instead of ∂J/∂h ∘ f'(z): the real backward, told the activation is relu with every z > 0
  const broken: BackwardFn = (p, d, f, cache, dS, g, scratch, needDx) => {
    const fake = { ...cache, Z: cache.Z.map(() => 1) };
    backward(p, d, 'relu', fake, dS, g, scratch, needDx);
  };
  const r = gradcheck(randomProblem(tinyEmbeddings(), corpus(), spec('softmax', 'tanh'), 8, 1), { samples: 100_000, backward: broken });
  for (const name of ['W', 'b', 'x', 'e(w)']) assert.equal(block(r, name).pass, false, name);
  for (const name of ['U', 'c']) assert.equal(block(r, name).pass, true, name);
  assert.equal(r.pass, false);
});

// the logistic head's ∂J/∂s = σ(s) − y, planted wrong before the real backward: every block downstream fails
for (const [bug, wrong] of [
  ['−(σ(s) − y), the sign flipped', (dS: Float64Array) => dS.map((v) => -v)],
  ['σ(s) without its −y term', (dS: Float64Array, y: Int32Array, K: number, B: number) => dS.map((v, j) => (j % K === y[Math.floor(j / K)] ? v + 1 / B : v))],
] as const)
  test(`logistic head: a ∂J/∂s of ${bug} fails in every block`, () => {
    const problem = randomProblem(tinyEmbeddings(), corpus(), spec('logistic', 'tanh'), 8, 1);
    const B = problem.y.length;
    const broken: BackwardFn = (p, d, f, cache, dS, g, scratch, needDx) => backward(p, d, f, cache, wrong(dS, problem.y, d.K, B), g, scratch, needDx);
    const r = gradcheck(problem, { samples: 300, backward: broken });
    for (const b of r.blocks) assert.equal(b.pass, false, b.name);
    assert.equal(r.pass, false);
  });

test('a backward that drops ∂J/∂x fails in x and e(w)', () => {
  const broken: BackwardFn = (p, d, f, cache, dS, g, scratch) => backward(p, d, f, cache, dS, g, scratch, false);
  const r = gradcheck(randomProblem(tinyEmbeddings(), corpus(), spec('ovr', 'sigmoid'), 8, 1), { samples: 300, backward: broken });
  assert.deepEqual(r.blocks.filter((b) => !b.pass).map((b) => b.name), ['x', 'e(w)']);
});

test('relu: an entry whose ±ε step crosses the kink is skipped, not failed', () => {
  const problem = randomProblem(tinyEmbeddings(), corpus(), spec('softmax', 'relu'), 4, 1);
  const { dims, params, words, shape, encoded, centres } = problem;
  // put z_0 of window 0 at +1e-7 by choosing b_0, so moving b_0 by ±1e-5 crosses 0
  const X = new Float64Array(centres.length * dims.n);
  gather(words, shape, encoded, centres, centres.length, X, new Int32Array(centres.length * 5));
  let wx = 0;
  for (let t = 0; t < dims.n; t++) wx += params.W[t] * X[t];
  params.b[0] = 1e-7 - wx;
  const cache = newCache(dims, centres.length);
  cache.X.set(X);
  forward(params, dims, 'relu', cache, centres.length);
  assert.ok(Math.abs(cache.Z[0] - 1e-7) < 1e-12);
  const r = gradcheck(problem, { samples: 100_000 });
  const b = block(r, 'b');
  assert.ok(b.kinks >= 1, 'b_0 is at a kink');
  assert.equal(b.checked + b.kinks, groups(dims) * dims.H);
  assert.ok(r.blocks.every((x) => x.pass));
});

test('a trained model (its own word table, pretrained rows fixed) passes', async () => {
  const sents = corpus();
  const conll = parseConll(CONLL, 'test.conll');
  const config = { ...DEFAULT_CONFIG, hidden: 5, window: 1, epochs: 2, batch: 4, minCount: 1, head: 'softmax' as const, activation: 'sigmoid' as const };
  const { model } = await train([conll], null, tinyEmbeddings(), config);
  const r = gradcheck(modelProblem(model, sents, 6, 3), { samples: 100_000 });
  assert.equal(r.head, 'softmax');
  assert.equal(r.activation, 'sigmoid');
  // model rows: <s>, </s>, <unk> and the three words without a vector (Quinn, Obuya, 1989); some are in the windows
  const e = block(r, 'e(w)');
  assert.ok(e.size > 0 && e.size <= 6 * 10);
  assert.ok(r.pass, JSON.stringify(r.blocks.filter((x) => !x.pass)));
});

// ── the command line ────────────────────────────────────────────────────────────────────────────

function fixtures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-gradcheck-'));
  const v = vectors();
  const glove = WORDS.map((w, i) => `${w} ${Array.from(v.subarray(i * D, i * D + D), (x) => x.toPrecision(9)).join(' ')}`).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'emb.txt'), glove);
  fs.writeFileSync(path.join(dir, 'tiny.conll'), CONLL);
  return dir;
}

function ner(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'gradcheck', '--embeddings', path.join(dir, 'emb.txt'), '--data', path.join(dir, 'tiny.conll'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NER_CACHE_DIR: path.join(dir, 'cache'), NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: prints the table and the lecture statements, exits 0', () => {
  const dir = fixtures();
  const r = ner(dir, '--head', 'ovr', '--hidden', '5', '--windows', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\novr head, tanh, H = 5, window 2: n = 5 × \(10 \+ 16 subword \+ 8 casing\) = 170, K = 4 classifiers \(LOC MISC ORG PER\)/);
  assert.match(r.stdout, /block\s+shape\s+checked by fd\s+max \|a − fd\|\s+rel err fd\s+rel err graph\s+result/);
  assert.match(r.stdout, /\n  W\s+20×170\s+200 of 3,400\s+\S+\s+\S+\s+\S+\s+pass\n/);
  assert.match(r.stdout, /\n  x\s+4×170\s+200 of 680\s/);
  assert.match(r.stdout, /are both < 1e-6\n/);
  assert.match(r.stdout, /windows centred on: \S+\/(O|PER|LOC|ORG|MISC) /);
  for (const name of ['b', 'U', 'c', 'e\\(w\\)', 'Z \\(n-grams\\)']) assert.match(r.stdout, new RegExp(`\\n  ${name}\\s.*pass\\n`));
  assert.match(r.stdout, /∂s\/∂W = δ xᵀ\s+20×170\s+= the shape of W/);
  assert.match(r.stdout, /∂s\/∂x = Wᵀ δ\s+170\s+= the shape of x/);
  assert.match(r.stdout, /all gradients agree/);
  assert.doesNotMatch(r.stdout, /FAIL/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI: --all checks the nine head × activation combinations', () => {
  const dir = fixtures();
  const r = ner(dir, '--all', '--hidden', '4', '--windows', '3', '--samples', '40');
  assert.equal(r.code, 0, r.stderr);
  for (const head of HEADS) for (const f of ACTIVATIONS) assert.match(r.stdout, new RegExp(`\\n${head} head, ${f}, H = 4`));
  assert.match(r.stdout, /9 of 9 head × activation checks pass/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI: a failing check exits 1 with a message (tolerance below the rounding of the differences)', () => {
  const dir = fixtures();
  const r = ner(dir, '--head', 'ovr', '--hidden', '3', '--windows', '2', '--tolerance', '1e-300');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL/);
  assert.match(r.stderr, /error: gradient check failed \(ovr × tanh: .*W/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI: invalid options exit 1 with a message and no stack trace', () => {
  const dir = fixtures();
  for (const [args, message] of [
    [['--windows', '0'], /--windows 0: expected a whole number from 1 to 256/],
    [['--tolerance', 'abc'], /--tolerance abc: expected a number in \(0, 1\)/],
    [['--model', path.join(dir, 'm.json'), '--head', 'softmax'], /--model cannot be combined with --head/],
    [['--all', '--activation', 'relu'], /--all checks every head and activation, so it cannot be combined with --activation/],
    [['--head', 'crf'], /Allowed choices are ovr, softmax/],
  ] as const) {
    const r = ner(dir, ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  }
  const missing = ner(dir, '--data', path.join(dir, 'nope.conll'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.conll/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI: --model checks a trained model file, with its embeddings read lazily from the cache', () => {
  const dir = fixtures();
  const env = { ...process.env, NER_CACHE_DIR: path.join(dir, 'cache'), NO_COLOR: '1' };
  const model = path.join(dir, 'm.json');
  const t = spawnSync(process.execPath, [BIN, 'train', '--train', path.join(dir, 'tiny.conll'), '--embeddings', path.join(dir, 'emb.txt'), '--epochs', '2', '--hidden', '4', ...TEST_BUCKETS_ARGS, '-q', '--output', model], { encoding: 'utf8', env });
  assert.equal(t.status, 0, t.stderr);
  // the cache now exists, so this load is lazy (rows read on demand)
  const r = ner(dir, '--model', model, '--windows', '3', '--samples', '40');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /rows read on demand/);
  assert.match(r.stdout, /all gradients agree/);
  fs.rmSync(dir, { recursive: true, force: true });
});
