// `ner tag`'s inputs and outputs: one token a line (lined up with the input, tagged as `ner eval` tags
// it), JSON Lines in and out in order (ids and other fields kept), several files and a folder, offsets in
// code points or UTF-16 units whose slice is always the entity's text (a BOM, emoji, combining marks,
// zero-width and no-break spaces), and a JSON Lines file tagged in pieces equal to the whole.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-tag-io-'));
const env = { ...process.env, NER_CACHE_DIR: path.join(tmp, 'cache'), NO_COLOR: '1' };
const model = path.join(tmp, 'm.json');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ner(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, input, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, content: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

before(() => {
  const emb = path.join(tmp, 'emb.txt');
  writeTinyVectors(emb);
  const r = spawnSync(process.execPath, [BIN, 'train', '--embeddings', emb, '--epochs', '3', '--hidden', '20', ...TEST_BUCKETS_ARGS, '-q', '--output', model], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
});

interface Ent { text: string; type: string; start: number; end: number; prob: number }

test('--input tokens: the output lines up with the input, and the tags are the ones ner eval predicts', () => {
  const dev = fs.readFileSync(path.join(ROOT, 'data/demo/dev.conll'), 'utf8').split('\n').slice(0, 400).join('\n').replace(/\n*$/, '\n');
  const input = write('dev.conll', '-DOCSTART- -X- O\n\n' + dev);
  const r = ner(['tag', input, '-m', model, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const inLines = fs.readFileSync(input, 'utf8').split('\n');
  const outLines = r.stdout.split('\n');
  assert.equal(outLines.length, inLines.length);
  for (let i = 0; i < inLines.length; i++) assert.equal(outLines[i].split(' ')[0], inLines[i].split(' ')[0], `line ${i + 1}`);
  const pred = path.join(tmp, 'eval.pred');
  assert.equal(ner(['eval', input, '-m', model, '-q', '--predictions', pred]).code, 0);
  const evalTags = fs.readFileSync(pred, 'utf8').split('\n').filter((l) => l).map((l) => l.split(' ')[2]);
  const tagTags = outLines.filter((l) => l && !l.startsWith('-DOCSTART-')).map((l) => l.split(' ')[1]);
  assert.deepEqual(tagTags, evalTags);
  // the same tags without the gold column
  const bare = write('bare.conll', fs.readFileSync(input, 'utf8').replace(/^(\S+) .*$/gm, '$1'));
  assert.equal(ner(['tag', bare, '--input', 'tokens', '-m', model, '-q']).stdout, r.stdout);
  assert.match(ner(['tag', bare, '--input', 'tokens', '--format', 'json', '-m', model, '-q']).stderr, /--input tokens writes --format conll or brackets/);
});

const TRICKY = [
  '\uFEFFAngela\u00A0Merkel flew to Berlin on Monday.',
  '🎉🇪🇸 Angela Merkel met Jose\u0301 Mari\u0301a Aznar in Madrid.',
  'Zero\u200Bwidth joins nothing; Paris is in France.',
];

test('--offsets codepoint (the default) and utf16: every entity is the input\'s own slice, BOM, emoji and marks counted right', () => {
  const text = TRICKY.join('\n') + '\n';
  const file = write('tricky.txt', text);
  for (const unit of ['codepoint', 'utf16'] as const) {
    const args = ['tag', file, '-m', model, '-q', '--format', 'json', ...(unit === 'utf16' ? ['--offsets', 'utf16'] : [])];
    const r = ner(args);
    assert.equal(r.code, 0, r.stderr);
    const ents = JSON.parse(r.stdout) as Ent[];
    assert.ok(ents.length >= 4, r.stdout);
    // Python reads the file with the BOM as its first character and counts code points
    const units = unit === 'codepoint' ? Array.from(text) : text.split('');
    for (const e of ents) assert.equal(units.slice(e.start, e.end).join(''), e.text, `${unit}: ${JSON.stringify(e)}`);
    assert.ok(ents.some((e) => e.text.includes('\u00A0')), 'an entity with a no-break space inside');
    if (unit === 'codepoint') assert.ok(ents.some((e) => e.start === 1), 'offsets count the BOM');
  }
  // JSON Lines records: the same slices, in each record's text
  const lines = TRICKY.map((t, i) => JSON.stringify({ id: `r${i}`, text: t.replace('\uFEFF', ''), source: 'test' })).join('\n') + '\n';
  const r = ner(['tag', '--input', 'jsonl', '-m', model, '-q'], lines);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; source: string; entities: Ent[] });
  assert.deepEqual(recs.map((x) => x.id), ['r0', 'r1', 'r2']);
  assert.ok(recs.every((x) => x.source === 'test'), 'other fields kept');
  for (const x of recs) for (const e of x.entities) assert.equal(Array.from(x.text).slice(e.start, e.end).join(''), e.text);
  assert.ok(recs[1].entities.some((e) => e.start > 3 && e.text === Array.from(recs[1].text).slice(e.start, e.end).join('')));
});

test('several files and a folder: one JSON Lines record per file with its path as id; conll and inline mark each file', () => {
  write('docs/a.txt', 'Angela Merkel flew to Berlin.\n');
  write('docs/b.txt', 'Paris is in France.\n');
  const r = ner(['tag', 'docs', '-m', model, '-q', '--format', 'jsonl']);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(recs.map((x) => [x.id, x.text]), [[path.join('docs', 'a.txt'), 'Angela Merkel flew to Berlin.\n'], [path.join('docs', 'b.txt'), 'Paris is in France.\n']]);
  const conll = ner(['tag', 'docs/a.txt', 'docs/b.txt', '-m', model, '-q', '--format', 'conll']).stdout;
  assert.match(conll, /^# docs\/a\.txt\nAngela /);
  assert.match(conll, /\n# docs\/b\.txt\nParis /);
  const inline = ner(['tag', 'docs', '-m', model, '-q', '--format', 'inline']).stdout;
  assert.equal(inline.replace(/\[([^\]]+)\][A-Z]+/g, '$1'), '# docs/a.txt\nAngela Merkel flew to Berlin.\n# docs/b.txt\nParis is in France.\n');
});

test('JSON Lines tagged in pieces and concatenated = tagged whole (what GNU parallel --pipe --keep-order does)', () => {
  const sample = fs.readFileSync(path.join(ROOT, 'data/sample.txt'), 'utf8').split('\n').filter((l) => l.trim());
  const records = Array.from({ length: 120 }, (_, i) => JSON.stringify({ id: i, text: sample[i % sample.length] }));
  const whole = ner(['tag', '--input', 'jsonl', '-m', model, '-q'], records.join('\n') + '\n');
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(whole.stdout.trimEnd().split('\n').length, 120);
  const pieces = [records.slice(0, 37), records.slice(37, 90), records.slice(90)].map((p) => ner(['tag', '--input', 'jsonl', '-m', model, '-q', '--threads', '1'], p.join('\n') + '\n').stdout);
  assert.equal(pieces.join(''), whole.stdout);
});

test('bad JSON Lines input: the file and line, and the fix', () => {
  const bad = write('bad.jsonl', '{"id": 1, "text": "Paris."}\n{"id": 2, "text": "Ber\n');
  const r = ner(['tag', bad, '-m', model, '-q']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.jsonl:2: not valid JSON/);
  assert.match(r.stderr, /fix: each line must be one JSON object with a "text" string/);
  const notext = ner(['tag', '--input', 'jsonl', '-m', model, '-q'], '{"id": 1, "body": "Paris."}\n');
  assert.match(notext.stderr, /<stdin>:1: the record has no "text" field/);
  assert.doesNotMatch(notext.stderr, /\n\s+at /);
});
