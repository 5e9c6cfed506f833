// `ner convert` and the labelled-data options through the real command line: the demo dev set goes from
// CoNLL to each format and back unchanged; an export that would lose annotations stops with the list of
// problems and writes nothing; train and eval read every format.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const FIX = path.join(ROOT, 'test/fixtures/formats');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-convert-'));
const env = { ...process.env, NER_CACHE_DIR: path.join(tmp, 'cache'), NO_COLOR: '1' };
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ner(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CoNLL → doccano, Label Studio, brat, spaCy → CoNLL: the demo dev set unchanged', () => {
  const src = path.join(ROOT, 'data/demo/dev.conll');
  const want = fs.readFileSync(src, 'utf8').replace(/\n*$/, '\n\n');
  for (const to of ['doccano', 'labelstudio', 'brat', 'spacy']) {
    const mid = path.join(tmp, `mid-${to}`);
    const a = ner(['convert', src, mid, '--to', to]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, new RegExp(`wrote .*\\(conll → ${to}\\)`));
    const back = path.join(tmp, `back-${to}.conll`);
    const b = ner(['convert', mid, back, '--to', 'conll', '-q']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(fs.readFileSync(back, 'utf8'), want, to);
  }
});

test('an export that would lose annotations: every problem listed, exit 1, nothing written', () => {
  const bad = path.join(tmp, 'bad.jsonl');
  fs.writeFileSync(bad, '{"text": "North Korea and South Korea", "label": [[0, 11, "LOC"], [6, 11, "ORG"]]}\n{"text": "Paris", "label": [[0, 9, "LOC"]]}\n');
  const out = path.join(tmp, 'bad.conll');
  const r = ner(['convert', bad, out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.jsonl: 2 problems would lose annotations/);
  assert.match(r.stderr, /record 1 \(line 1\): ORG "Korea" overlaps LOC "North Korea"/);
  assert.match(r.stderr, /record 2 \(line 2\): LOC span \[0, 9\) but the text has 5 characters/);
  assert.match(r.stderr, /fix: .*--skip-invalid/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(!fs.existsSync(out), 'nothing written');
  const skipped = ner(['convert', bad, out, '--skip-invalid']);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stderr, /left out of .*bad\.jsonl: 1 spans with offsets past the end/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'North B-LOC\nKorea I-LOC\nand O\nSouth O\nKorea O\n\nParis O\n\n');
});

test('train and eval read every format; the problems are shown even with -q', () => {
  const emb = path.join(tmp, 'emb.txt');
  writeTinyVectors(emb);
  const model = path.join(tmp, 'm.json');
  const r = ner(['train', '--train', path.join(FIX, 'labelstudio.json'), path.join(FIX, 'spacy.jsonl'), '--dev', path.join(FIX, 'doccano-entities.jsonl'), '--embeddings', emb, '--epochs', '2', ...TEST_BUCKETS_ARGS, '-q', '-o', model]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped in .*spacy\.jsonl: 2 records rejected or ignored/);
  assert.match(r.stderr, /warning: .*labelstudio\.json: 1 span boundaries inside a token/);
  const e = ner(['eval', path.join(FIX, 'brat'), '-m', model, '-q', '--format', 'json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).gold, 21);
  assert.match(e.stderr, /discontinuous spans/);
  const forced = ner(['eval', path.join(FIX, 'spacy.jsonl'), '--input-format', 'doccano', '-m', model, '-q']);
  assert.equal(forced.code, 0, forced.stderr); // spaCy records have "text" but no doccano labels: all O
});
