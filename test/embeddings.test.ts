// Tests for src/embeddings/ (loading, parsing, the cache): every input format, each data error (with its line number), and the binary cache (hit, miss, invalidation,
// unwritable directory). Fixtures are generated in a temporary directory; the 307 MB default file is
// never loaded here (scripts/embeddings-timing.ts measures that).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { defaultCacheDir } from '../src/embeddings/cache.js';
import { WordTable } from '../src/embeddings/word-table.js';
import { findWord, loadEmbeddings, type Embeddings } from '../src/embeddings/embeddings.js';
import { normaliseDigits, pretrainedId } from '../src/model/features.js';
import { DataError } from '../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-emb-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fixture(name: string, content: string | Buffer): string {
  const file = path.join(tmp, `${counter++}-${name}`);
  fs.writeFileSync(file, content);
  return file;
}

const ROWS: [string, number[]][] = [
  ['the', [0.418, 0.24968, -0.41242]],
  [',', [0.013441, 0.23682, -0.16899]],
  ['germany', [-1.5, 2.25, 1e-5]],
  ['"', [3, -0.125, 7.5]],
];
const glove = (rows = ROWS): string => rows.map(([w, v]) => `${w} ${v.join(' ')}`).join('\n') + '\n';
const vecText = (rows = ROWS): string => `${rows.length} ${rows[0][1].length}\n` + rows.map(([w, v]) => `${w} ${v.join(' ')} `).join('\n') + '\n';
function winkJson(rows = ROWS, extra: Record<string, unknown> = {}): string {
  const d = rows[0][1].length;
  const vectors: Record<string, number[]> = {};
  rows.forEach(([w, v], i) => (vectors[w] = [...v, Math.hypot(...v), i]));
  return JSON.stringify({ precision: 8, l2NormIndex: d, wordIndex: d + 1, size: rows.length, dimensions: d, words: rows.map(([w]) => w), vectors, unkVector: [...new Array(d).fill(0), 0, -1], ...extra });
}
const noCache = { useCache: false };
/** The cache entries in a directory. */
const entries = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => path.join(dir, f));

function assertRows(emb: Embeddings, rows = ROWS): void {
  assert.equal(emb.d, rows[0][1].length);
  assert.deepEqual(emb.words, rows.map(([w]) => w));
  assert.equal(emb.vectors.length, rows.length * emb.d);
  rows.forEach(([w, v], i) => {
    assert.equal(emb.index.get(w), i);
    assert.deepEqual(Array.from(emb.vectors.subarray(i * emb.d, (i + 1) * emb.d)), v.map(Math.fround));
  });
}

/** Asserts that loading rejects with a DataError whose message matches every pattern. */
async function rejectsWith(file: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(loadEmbeddings(file, noCache), (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    assert.ok(err.hint, 'a DataError says how to fix it');
    return true;
  });
}

// ---- formats ----

test('GloVe text: words, rows, index, source and no UNK vector', async () => {
  const file = fixture('glove.txt', glove());
  const emb = await loadEmbeddings(file, noCache);
  assertRows(emb);
  assert.equal(emb.source, file);
  assert.equal(emb.unk, undefined);
  assert.match(emb.fingerprint, /^[0-9a-f]{16}$/);
});

test('a relative path is resolved to an absolute source', async () => {
  const file = fixture('rel.txt', glove());
  const emb = await loadEmbeddings(path.relative(process.cwd(), file), noCache);
  assert.equal(emb.source, file);
});

test('word2vec .vec with header, CRLF lines and trailing spaces gives the same table and fingerprint', async () => {
  const plain = await loadEmbeddings(fixture('a.txt', glove()), noCache);
  const vec = await loadEmbeddings(fixture('a.vec', vecText().replace(/\n/g, '\r\n')), noCache);
  assertRows(vec);
  assert.equal(vec.fingerprint, plain.fingerprint);
});

test('gzipped GloVe and .vec are detected by their magic bytes, not their names', async () => {
  const plain = await loadEmbeddings(fixture('b.txt', glove()), noCache);
  const gz = await loadEmbeddings(fixture('b.txt.gz', gzipSync(glove())), noCache);
  const gzNoName = await loadEmbeddings(fixture('b-vec-no-suffix', gzipSync(vecText())), noCache);
  const notReallyGz = await loadEmbeddings(fixture('plain-named.gz', glove()), noCache);
  for (const emb of [gz, gzNoName, notReallyGz]) {
    assertRows(emb);
    assert.equal(emb.fingerprint, plain.fingerprint);
  }
});

test('wink JSON layout: rows, the l2norm/index extras dropped, UNK vector kept', async () => {
  const plain = await loadEmbeddings(fixture('c.txt', glove()), noCache);
  const emb = await loadEmbeddings(fixture('wink.json', winkJson()), noCache);
  assertRows(emb);
  assert.deepEqual(Array.from(emb.unk!), [0, 0, 0]);
  assert.equal(emb.fingerprint, plain.fingerprint);
});

test('wink JSON: pretty-printed, escaped words, unknown keys, key order of words/size free', async () => {
  const rows: [string, number[]][] = [
    ['"', [1, 2]],
    ['\\', [3, 4]],
    ['café', [5, 6]],
    ['“', [7, 8]],
  ];
  const pretty = JSON.stringify(JSON.parse(winkJson(rows, { note: { nested: [1, 'x', null, true] } })), null, 2).replace('"café"', '"caf\\u00e9"');
  const emb = await loadEmbeddings(fixture('pretty.json', pretty), noCache);
  assertRows(emb, rows);
  const minimal = JSON.stringify({ dimensions: 2, vectors: { a: [1, 2], b: [3, 4] } });
  assertRows(await loadEmbeddings(fixture('minimal.json', minimal), noCache), [['a', [1, 2]], ['b', [3, 4]]]);
});

test('numbers parse exactly as parseFloat does, in every notation', async () => {
  const values = ['1e-05', '-0.5', '3.', '.25', '1E+3', '+2', '123456789012345678', '0.1234567890123456789', '-7.0e-30', '4.9406564584124654e-324'];
  const emb = await loadEmbeddings(fixture('nums.txt', `x ${values.join(' ')}\n`), noCache);
  assert.deepEqual(Array.from(emb.vectors), values.map((v) => Math.fround(parseFloat(v))));
});

test('large inputs crossing the reader buffer (8 MB) and gzip chunk boundaries parse exactly', async () => {
  const d = 50;
  const rows: [string, number[]][] = [];
  const lines: string[] = [];
  for (let i = 0; i < 24000; i++) {
    const v = Array.from({ length: d }, (_, j) => (((i * 31 + j * 17) % 2001) - 1000) / 997);
    const text = v.map((x) => x.toFixed(6));
    rows.push([`w${i}`, text.map(Number)]);
    lines.push(`w${i} ${text.join(' ')}`);
  }
  const text = lines.join('\n') + '\n';
  assert.ok(text.length > 9 << 20, `fixture must exceed the reader buffer, is ${text.length} bytes`);
  const plain = await loadEmbeddings(fixture('big.txt', text), noCache);
  assertRows(plain, rows);
  const gz = await loadEmbeddings(fixture('big.txt.gz', gzipSync(text)), noCache);
  assert.equal(gz.fingerprint, plain.fingerprint);
  const json = await loadEmbeddings(fixture('big.json', winkJson(rows)), noCache);
  assert.equal(json.fingerprint, plain.fingerprint);
});

// ---- lookup ----

test('normaliseDigits maps every digit to 0', () => {
  assert.equal(normaliseDigits('F-16 1,000.5'), 'F-00 0,000.0');
  assert.equal(normaliseDigits('no digits'), 'no digits');
});

// ---- errors ----

test('a row of the wrong length names the line and both numbers', async () => {
  await rejectsWith(fixture('short.txt', 'a 1 2 3\nb 4 5 6\nc 7 8\n'), /:3: /, /"c" has 2 values, expected 3 \(as on line 1\)/);
  await rejectsWith(fixture('long.vec', '2 2\na 1 2\nb 1 2 3\n'), /:3: /, /"b" has 3 values, expected 2 \(the header on line 1\)/);
});

test('non-numeric, NaN, Infinity and float32-overflowing values name the line', async () => {
  await rejectsWith(fixture('nonnum.txt', 'a 1 2\nb 1 x2\n'), /:2: /, /value 2 is "x2", not a number/);
  await rejectsWith(fixture('space-in-word.txt', 'a 1 2\n. . 1 2\n'), /:2: /, /not a number/);
  await rejectsWith(fixture('nan.txt', 'a 1 2\nb 3 4\nc NaN 1\n'), /:3: /, /value 1 is NaN/);
  await rejectsWith(fixture('inf.txt', 'a 1 -inf\n'), /:1: /, /is -inf/);
  await rejectsWith(fixture('huge.txt', 'a 1 2\nb 1e39 2\n'), /:2: /, /too large for a 32-bit float/);
  await rejectsWith(fixture('nan.json', '{"dimensions":2,\n"vectors":{\n"a":[1,2],\n"b":[NaN,2]}}'), /:4: /, /"b": value 1 is NaN/);
});

test('duplicate words: the first is kept and the count reported', async () => {
  const messages: string[] = [];
  const emb = await loadEmbeddings(fixture('dup.txt', 'a 1 2\nb 3 4\na 5 6\nb 7 8\na 9 9\n'), { useCache: false, onProgress: (m) => messages.push(m) });
  assertRows(emb, [['a', [1, 2]], ['b', [3, 4]]]);
  assert.ok(messages.some((m) => /3 duplicate word\(s\) ignored.*"a" on line 3/.test(m)), messages.join('\n'));
  const json = await loadEmbeddings(fixture('dup.json', '{"dimensions":1,"vectors":{"a":[1],"a":[2]}}'), noCache);
  assertRows(json, [['a', [1]]]);
});

test('a header that lies about the count or the dimension is caught', async () => {
  await rejectsWith(fixture('few.vec', '3 2\na 1 2\nb 3 4\n'), /:3: /, /header on line 1 says 3 words, but the file has 2/);
  await rejectsWith(fixture('many.vec', '1 2\na 1 2\nb 3 4\n'), /:3: /, /says 1 words, but this is word 2/);
  await rejectsWith(fixture('dim.vec', '2 4\na 1 2 3\nb 3 4 5\n'), /:2: /, /says 4 dimensions, but "a" has 3 values/);
  await rejectsWith(fixture('size.json', winkJson(ROWS, { size: 9 })), /:1: /, /"size" says 9 words, but "vectors" has 4/);
  await rejectsWith(fixture('words.json', winkJson(ROWS, { words: ['the'] })), /"words" lists 1 words, but "vectors" has 4/);
  await rejectsWith(fixture('veclen.json', '{"dimensions":2,"l2NormIndex":2,"wordIndex":3,\n"vectors":{"a":[1,2,3,0],\n"b":[1,2,3]}}'), /:3: /, /vector of "b" has 3 values, expected 4 \(2 dimensions \+ 2 extra/);
});

test('truncated or corrupt gzip, truncated JSON, empty files', async () => {
  const big = gzipSync(glove().repeat(2000));
  await rejectsWith(fixture('trunc.gz', big.subarray(0, big.length >> 1)), /gzip data is truncated or corrupt/, /:\d+: /);
  const corrupt = Buffer.from(big);
  corrupt.fill(0xff, 20, 60);
  await rejectsWith(fixture('corrupt.gz', corrupt), /gzip data is truncated or corrupt/);
  const json = winkJson();
  await rejectsWith(fixture('trunc.json', json.slice(0, json.length - 40)), /:1: /, /ends early/);
  await rejectsWith(fixture('empty.txt', ''), /empty/);
  await rejectsWith(fixture('blank.txt', '\n  \n'), /blank/);
  await rejectsWith(fixture('empty.gz', gzipSync('')), /empty after decompression/);
});

test('a missing file or a directory is a DataError, not a Node stack', async () => {
  await rejectsWith(path.join(tmp, 'nope.txt'), /nope\.txt: embeddings file not found/);
  await rejectsWith(tmp, /is a directory/);
});

// ---- cache ----

test('cache: miss then hit, a new entry when the source changes (the old one removed), fingerprint stable', async () => {
  const cacheDir = path.join(tmp, 'cache-a');
  const file = fixture('cached.txt', glove());
  const log: string[] = [];
  const opts = { cacheDir, onProgress: (m: string) => log.push(m) };

  const first = await loadEmbeddings(file, opts);
  assert.match(log.join('\n'), /no cache yet/);
  assert.match(log.join('\n'), /wrote the cache/);
  assert.equal(entries(cacheDir).length, 1);
  assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');

  log.length = 0;
  const second = await loadEmbeddings(file, opts);
  assert.equal(second.from, 'the cache');
  assert.deepEqual(log, [], 'a hit is silent');
  assertRows(second);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.equal(second.source, file);
  const fresh = await loadEmbeddings(file, noCache);
  assert.equal(fresh.fingerprint, second.fingerprint);

  const changed = ROWS.concat([['new', [1, 2, 3]]]);
  fs.writeFileSync(file, glove(changed));
  log.length = 0;
  const third = await loadEmbeddings(file, opts);
  assert.match(log.join('\n'), /parsing/);
  assertRows(third, changed);
  assert.notEqual(third.fingerprint, first.fingerprint);
  assert.equal(entries(cacheDir).length, 1, 'the entry of the old contents is replaced, not kept');
  log.length = 0;
  assertRows(await loadEmbeddings(file, opts), changed);
  assert.equal(log.length, 0);
});

test('cache: keyed by content, not path or mtime: a copy elsewhere shares the entry; a same-size edit with the mtime kept does not (issue 15 item 9)', async () => {
  const cacheDir = path.join(tmp, 'cache-content');
  const file = fixture('content.txt', glove());
  const a = await loadEmbeddings(file, { cacheDir });
  const copy = path.join(tmp, 'elsewhere', 'content.txt');
  fs.mkdirSync(path.dirname(copy), { recursive: true });
  fs.copyFileSync(file, copy);
  const b = await loadEmbeddings(copy, { cacheDir });
  assert.equal(b.from, 'the cache', 'another clone of the same vectors hits the same entry');
  assert.equal(b.fingerprint, a.fingerprint);
  assert.equal(entries(cacheDir).length, 1);

  const before = fs.statSync(file);
  const edited = fs.readFileSync(file, 'utf8').replace('0.418', '0.419');
  assert.equal(edited.length, before.size);
  fs.writeFileSync(file, edited);
  fs.utimesSync(file, before.atime, before.mtime); // as `cp -p` leaves it
  const c = await loadEmbeddings(file, { cacheDir });
  assert.equal(c.from, 'parsed');
  assert.notEqual(c.fingerprint, a.fingerprint);
  const row = new Float64Array(3);
  c.readRow(0, row, 0);
  assert.equal(row[0], Math.fround(0.419));
});

test('cache: rows overwritten in place are detected, eagerly and on demand, and the entry is rebuilt (issue 15 item 8)', async () => {
  const cacheDir = path.join(tmp, 'cache-overwritten');
  const many: [string, number[]][] = Array.from({ length: 20_000 }, (_, i) => [`w${i}`, [i, 1 - i / 7, i % 5]]);
  const file = fixture('overwritten.txt', glove(many));
  await loadEmbeddings(file, { cacheDir });
  const [entry] = entries(cacheDir);
  const damage = (): void => {
    // 3,000 rows from row 17,000 on (past the 16,384 a lazy reader reads up front), same size
    const fd = fs.openSync(entry, 'r+');
    const size = fs.statSync(entry).size;
    const vectorsEnd = size - 20_000 * 4; // the row checks follow the vectors
    fs.writeSync(fd, Buffer.alloc(3000 * 3 * 4, 0x3f), 0, 3000 * 3 * 4, vectorsEnd - 3000 * 3 * 4);
    fs.closeSync(fd);
  };
  damage();
  const log: string[] = [];
  const eager = await loadEmbeddings(file, { cacheDir, onProgress: (m) => log.push(m) });
  assert.match(log.join('\n'), /damaged \(row 17000 does not match its check\)/);
  assertRows(eager, many);

  damage();
  const lazy = await loadEmbeddings(file, { cacheDir, lazyVectors: true });
  const row = new Float64Array(3);
  lazy.readRow(16_999, row, 0);
  assert.throws(() => lazy.readRow(18_000, row, 0), /changed while it was cached.*row 18000.*deleted/s);
  assert.equal(entries(cacheDir).length, 0, 'the damaged entry is deleted');
  const rebuilt = await loadEmbeddings(file, { cacheDir, lazyVectors: true });
  assert.equal(rebuilt.from, 'parsed');
  rebuilt.readRow(18_000, row, 0);
  assert.deepEqual(Array.from(row), many[18_000][1].map((v) => Math.fround(v)));
});

test('maxWords keeps the first N words, in a cache entry of its own', async () => {
  const cacheDir = path.join(tmp, 'cache-max');
  const file = fixture('max.vec', vecText());
  const two = await loadEmbeddings(file, { cacheDir, maxWords: 2 });
  assert.deepEqual(two.words, ['the', ',']);
  assert.equal(two.maxWords, 2);
  const all = await loadEmbeddings(file, { cacheDir });
  assert.equal(all.count, ROWS.length);
  assert.equal(entries(cacheDir).length, 2);
  const again = await loadEmbeddings(file, { cacheDir, maxWords: 2 });
  assert.equal(again.from, 'the cache');
  assert.equal(again.fingerprint, two.fingerprint);
  const json = await loadEmbeddings(fixture('max.json', winkJson()), { useCache: false, maxWords: 3 });
  assert.deepEqual(json.words, ['the', ',', 'germany']);
});

test('a byte-order mark before GloVe or word2vec text is skipped (issue 15 item 10)', async () => {
  const bom = '\ufeff';
  const g = await loadEmbeddings(fixture('bom.txt', bom + glove()), noCache);
  assert.equal(g.words[0], 'the');
  assertRows(g);
  const v = await loadEmbeddings(fixture('bom.vec', bom + vecText()), noCache);
  assertRows(v);
});

test('cache: the UNK vector survives, a damaged cache is rebuilt, useCache:false writes nothing', async () => {
  const cacheDir = path.join(tmp, 'cache-b');
  const file = fixture('cached.json', winkJson());
  const first = await loadEmbeddings(file, { cacheDir });
  const cached = await loadEmbeddings(file, { cacheDir });
  assert.deepEqual(Array.from(cached.unk!), Array.from(first.unk!));
  assert.equal(cached.fingerprint, first.fingerprint);

  const [cacheFile] = entries(cacheDir);
  fs.truncateSync(cacheFile, fs.statSync(cacheFile).size - 4);
  const log: string[] = [];
  const rebuilt = await loadEmbeddings(file, { cacheDir, onProgress: (m) => log.push(m) });
  assert.match(log.join('\n'), /damaged/);
  assertRows(rebuilt);

  const unused = path.join(tmp, 'cache-c');
  await loadEmbeddings(file, { cacheDir: unused, useCache: false });
  assert.equal(fs.existsSync(unused), false);
});

test('cache: look-ups on a cache-loaded table agrees with the parsed one for every word and for misses', async () => {
  const cacheDir = path.join(tmp, 'cache-lookup');
  const rows: [string, number[]][] = [];
  for (let i = 0; i < 3000; i++) rows.push([i % 3 === 0 ? `wörd${i}` : i % 3 === 1 ? `“${i}”` : `w${i}`, [i, i / 4 - 1]]);
  rows.push(['0000', [1, 1]], ['apple', [2, 2]]);
  const file = fixture('many.txt', glove(rows));
  const parsed = await loadEmbeddings(file, { cacheDir });
  const cached = await loadEmbeddings(file, { cacheDir });
  const probes = rows.map(([w]) => w).concat(['', 'w', 'w1x', 'APPLE', '1996', 'wörd', 'w3000', 'zebra', '“1”x']);
  for (const t of probes) {
    assert.equal(findWord(cached, t), parsed.index.get(t) ?? -1, t);
    assert.equal(pretrainedId(cached, t), pretrainedId(parsed, t), t);
  }
  assert.equal(pretrainedId(cached, 'APPLE'), 3001);
  assert.equal(pretrainedId(cached, '1996'), 3000);
  assert.deepEqual(cached.words, parsed.words);
  assert.deepEqual([...cached.index], [...parsed.index]);
  assertRows(cached, rows);
});

test('cache: an unwritable cache directory is reported and the load still succeeds', async () => {
  const blocker = fixture('not-a-dir', 'x');
  const log: string[] = [];
  const emb = await loadEmbeddings(fixture('nocache.txt', glove()), { cacheDir: path.join(blocker, 'sub'), onProgress: (m) => log.push(m) });
  assertRows(emb);
  assert.match(log.join('\n'), /cannot write the cache .*continuing without it/);
});

test('defaultCacheDir: $NER_CACHE_DIR, else $XDG_CACHE_HOME/ner, else ~/.cache/ner', () => {
  const saved = { ner: process.env.NER_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME };
  try {
    process.env.NER_CACHE_DIR = '/x/ner-cache';
    process.env.XDG_CACHE_HOME = '/y';
    assert.equal(defaultCacheDir(), '/x/ner-cache');
    delete process.env.NER_CACHE_DIR;
    assert.equal(defaultCacheDir(), path.join('/y', 'ner'));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(defaultCacheDir(), path.join(os.homedir(), '.cache', 'ner'));
  } finally {
    for (const [k, v] of [['NER_CACHE_DIR', saved.ner], ['XDG_CACHE_HOME', saved.xdg]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});


test('lazyVectors: on a cache hit the rows are read from the cache file on demand, equal to an eager load', async () => {
  const file = fixture('lazy.txt', glove());
  const cacheDir = path.join(tmp, 'lazy-cache');
  const built = await loadEmbeddings(file, { cacheDir }); // miss: parses and writes the cache
  const eager = await loadEmbeddings(file, { cacheDir });
  const lazy = await loadEmbeddings(file, { cacheDir, lazyVectors: true });
  assert.equal(lazy.vectors.length, 0, 'no vectors held in memory');
  assert.equal(eager.vectors.length, ROWS.length * eager.d);
  for (const e of [built, eager, lazy]) {
    assert.equal(e.count, ROWS.length);
    assert.equal(e.fingerprint, built.fingerprint);
  }
  const a = new Float64Array(eager.d);
  const b = new Float64Array(eager.d);
  for (let id = 0; id < ROWS.length; id++) {
    eager.readRow(id, a, 0);
    lazy.readRow(id, b, 0);
    assert.deepEqual(Array.from(b), Array.from(a), `row ${id}`);
    assert.deepEqual(Array.from(a), ROWS[id][1].map((v) => Math.fround(v)), `row ${id} has the file's values`);
  }
  // asked again, in another order (rows already read are served from the reader's table)
  for (let id = ROWS.length - 1; id >= 0; id--) {
    lazy.readRow(id, b, 0);
    assert.deepEqual(Array.from(b), ROWS[id][1].map((v) => Math.fround(v)), `row ${id}, read again`);
  }
  assert.equal(findWord(lazy, ROWS[2][0]), 2);
});

test('lazyVectors past the first 16,384 rows (read up front): rows that share a slot of the reader\'s table, and a cache cut short', async () => {
  // 16,400 words of 2 values, so that rows 16,384 … share the slots of rows 0 … (id mod 16,384)
  const many: [string, number[]][] = Array.from({ length: 16_400 }, (_, i) => [`w${i}`, [i, 1 - i / 7]]);
  const file = fixture('many.txt', glove(many));
  const cacheDir = path.join(tmp, 'many-cache');
  const eager = await loadEmbeddings(file, { cacheDir });
  const lazy = await loadEmbeddings(file, { cacheDir, lazyVectors: true });
  assert.equal(lazy.vectors.length, 0);
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  for (const id of [16_399, 0, 16_384, 0, 16_383, 5, 16_389, 5, 16_389]) {
    eager.readRow(id, a, 0);
    lazy.readRow(id, b, 0);
    assert.deepEqual(Array.from(b), Array.from(a), `row ${id}`);
    assert.deepEqual(Array.from(b), many[id][1].map((v) => Math.fround(v)), `row ${id} has the file's values`);
  }
  // the cache file loses its last rows while a reader has it open: a clear error, not stale values
  const cut = await loadEmbeddings(file, { cacheDir, lazyVectors: true });
  const cache = fs.readdirSync(cacheDir).map((f) => path.join(cacheDir, f)).find((f) => fs.statSync(f).size > 16_400 * 8);
  assert.ok(cache, 'the cache file');
  fs.truncateSync(cache, fs.statSync(cache).size - 16_400 * 4 - 200); // into the last rows (the row checks follow them)
  cut.readRow(3, b, 0);
  assert.deepEqual(Array.from(b), many[3][1].map((v) => Math.fround(v)));
  assert.throws(() => cut.readRow(16_399, b, 0), /cut short/);
});

test('WordTable: words of any script, astral ones included, are found at their rows; a wrong count is refused', () => {
  const words = ['the', 'Kaká', 'Ngũgĩ', 'Київ', '東京', '😀', 'a😀b', '', 'x'];
  const text = words.join('\n');
  const table = WordTable.build(text, words.length)!;
  words.forEach((w, i) => assert.equal(table.get(w), i, w));
  for (const absent of ['The', 'Kaka', 'kaká', '😀 ', '東', 'xx']) assert.equal(table.get(absent), -1, absent);
  assert.equal(WordTable.build(text, words.length + 1), undefined, 'fewer words than the count');
  assert.equal(WordTable.build(text, words.length - 1), undefined, 'more words than the count');
  assert.equal(WordTable.build(text, words.length, Buffer.from(text.slice(1), 'utf8')), undefined, 'bytes that are not the text');
});
