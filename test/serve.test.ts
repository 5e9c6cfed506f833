// `ner serve` over real HTTP on 127.0.0.1 (ephemeral ports), with small models trained on the demo corpus
// and tiny vectors: every route, every error status, Label Studio's and doccano's requests as their
// documentation shows them, the same answers with 1 and 2 tagging threads, a model swap with a request
// in flight (answered by the old model), a bad model file refused, SIGTERM draining a request and
// exiting 0, a stopped tagging thread replaced, a small fuzz run (no 5xx, still up), and retraining
// from annotations (swapped in when better on the held-out part, kept out when not, the same model from
// the same annotations).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ner from '../src/index.js';
import { describeModel } from '../src/cli/info.js';
import { findEntities, jsonEntity } from '../src/predict/entities.js';
import { readConll } from '../src/data/conll.js';
import { spansFromTags } from '../src/data/tags.js';
import { tokenize } from '../src/data/tokenize.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import type { NerModel } from '../src/model/ner-model.js';
import { startServer, type RunningServer, type ServeOptions } from '../src/serve/server.js';
import { MAPPING_TEMPLATE } from '../src/serve/doccano.js';
import { versionName } from '../src/serve/model-holder.js';
import { isLoopback } from '../src/io/http.js';
import { writeTinyVectors, TEST_BUCKETS } from './tiny-vectors.js';
import { OffsetMap, type OffsetUnit } from '../src/data/formats/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-serve-'));
process.env.NER_CACHE_DIR = path.join(tmp, 'cache');
const vectors = path.join(tmp, 'tiny.txt');
const fileA = path.join(tmp, 'a.json');
const fileB = path.join(tmp, 'b.json');
let modelA: NerModel;
let modelB: NerModel;
let textA: string;
let textB: string;

const SENTENCES = readConll(path.join(ROOT, 'data/demo/dev.conll')).sentences;
/** A long text of demo sentences (about `tokens` tokens), one per line. */
function longText(tokens: number): string {
  const lines: string[] = [];
  for (let n = 0, i = 0; n < tokens; i++) {
    const s = SENTENCES[i % SENTENCES.length];
    lines.push(s.tokens.join(' '));
    n += s.tokens.length;
  }
  return lines.join('\n');
}

before(async () => {
  writeTinyVectors(vectors);
  const TRAIN = path.join(ROOT, 'data/demo/train.conll');
  modelA = await ner.train({ train: TRAIN, embeddings: vectors, epochs: 2, hidden: 20, buckets: TEST_BUCKETS, seed: 3 });
  modelB = await ner.train({ train: TRAIN, embeddings: vectors, epochs: 1, hidden: 12, buckets: TEST_BUCKETS, seed: 4, head: 'ovr' });
  ner.saveModel(modelA, fileA);
  ner.saveModel(modelB, fileB);
  textA = fs.readFileSync(fileA, 'utf8');
  textB = fs.readFileSync(fileB, 'utf8');
});

const servers: RunningServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function serve(opts: Partial<ServeOptions> = {}): Promise<RunningServer & { lines: string[] }> {
  const lines: string[] = [];
  const s = await startServer({
    model: fileA, host: '127.0.0.1', port: 0, threads: 1, maxBodyBytes: 1 << 20, timeoutMs: 10_000, watchMs: 0, drainMs: 10_000,
    retrain: { minDocuments: 1000, holdout: 0.25 }, describe: describeModel, log: (l) => lines.push(l), ...opts,
  });
  servers.push(s);
  return Object.assign(s, { lines });
}

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null, headers: r.headers };
}

/** What `ner tag --format json` gives for a text (the same functions; offsets in UTF-16 units or, as by
 *  default, code points). */
function expected(model: NerModel, text: string, minProb = 0, unit: OffsetUnit = 'codepoint') {
  const map = new OffsetMap(text);
  return findEntities(model, tokenize(text), minProb).flatMap((s) => s.entities.map((e) =>
    jsonEntity(text.slice(e.start, e.end), e.type, map.fromUtf16(e.start, unit), map.fromUtf16(e.end, unit), e.prob)));
}

/** `ner args` with `input` on stdin, without blocking the event loop (the servers under test share it). */
function run(args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ner.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const TEXT = 'Peter Blackburn visited the European Commission in Brussels on Thursday with Werner Zwingmann of Germany.';

test('POST /tag: one text, several, documents with ids; the entities of ner tag --format json', async () => {
  const s = await serve();
  const one = await call(`${s.url}/tag`, 'POST', { text: TEXT });
  assert.equal(one.status, 200);
  assert.ok(one.json.entities.length > 0, 'no entity found');
  assert.deepEqual(one.json.entities, expected(modelA, TEXT));
  assert.match(one.json.model_version, /^a-[0-9a-f]{12}$/);
  const texts = [TEXT, 'Nothing here.', '', longText(300), longText(8000)]; // the last is cut into jobs at line breaks
  const many = await call(`${s.url}/tag`, 'POST', { texts });
  assert.deepEqual(many.json.results, texts.map((t) => ({ entities: expected(modelA, t) })));
  const docs = await call(`${s.url}/tag`, 'POST', { documents: [{ id: 'x1', text: TEXT }, { id: 7, text: 'In Paris.' }], min_prob: 0.9 });
  assert.deepEqual(docs.json.results, [{ id: 'x1', entities: expected(modelA, TEXT, 0.9) }, { id: 7, entities: expected(modelA, 'In Paris.', 0.9) }]);
  assert.ok(s.lines.some((l) => /^POST \/tag 200 \d+ tokens [\d.]+ ms$/.test(l)), s.lines.join('\n'));
  // what the command line gives, offsets in code points by default, UTF-16 units when asked
  const emoji = `😀 ${TEXT}\nAnd 🎉 ${TEXT}`;
  // asynchronously: a spawnSync blocks this process's event loop, and a block longer than the server's
  // keep-alive (5 s, under load) lets the server close the socket fetch reuses next (ECONNRESET)
  const cli = await run(['tag', '--model', fileA, '--format', 'json', '-q'], emoji);
  assert.equal(cli.status, 0, cli.stderr);
  const served = await call(`${s.url}/tag`, 'POST', { text: emoji });
  assert.deepEqual(served.json.entities, JSON.parse(cli.stdout));
  const utf16 = await call(`${s.url}/tag`, 'POST', { text: emoji, offsets: 'utf16' });
  assert.deepEqual(utf16.json.entities, expected(modelA, emoji, 0, 'utf16'));
  assert.notDeepEqual(utf16.json.entities, served.json.entities);
});

test('the same answers with 1 and 2 tagging threads (a request cut into jobs, and requests at once)', async () => {
  const one = await serve({ threads: 1 });
  const two = await serve({ threads: 2 });
  const texts = [...Array.from({ length: 12 }, (_, i) => longText(400 + 50 * i)), longText(9000), longText(9000).replace(/\n/g, ' ')];
  const [a, b] = await Promise.all([call(`${one.url}/tag`, 'POST', { texts }), call(`${two.url}/tag`, 'POST', { texts })]);
  assert.equal(a.status, 200);
  assert.deepEqual(b.json, a.json);
  const each = await Promise.all(texts.map((text) => call(`${two.url}/tag`, 'POST', { text })));
  assert.deepEqual(each.map((r) => r.json.entities), a.json.results.map((r: any) => r.entities));
});

test('doccano: the Custom REST Request body {"text": "{{ text }}"} gets spans in code points', async () => {
  const s = await serve();
  const text = `😀 🇫🇷 ${TEXT}`; // astral characters before the entities: UTF-16 and code points differ by 3
  const r = await call(`${s.url}/doccano`, 'POST', { text });
  assert.equal(r.status, 200);
  const ents = expected(modelA, text, 0, 'utf16');
  assert.equal(r.json.length, ents.length);
  const points = Array.from(text); // Python's str: one item per code point
  r.json.forEach((span: any, i: number) => {
    assert.deepEqual(Object.keys(span), ['label', 'start_offset', 'end_offset']);
    assert.equal(span.label, ents[i].type);
    assert.equal(points.slice(span.start_offset, span.end_offset).join(''), text.slice(ents[i].start, ents[i].end));
  });
  assert.match(MAPPING_TEMPLATE, /{% for e in input %}.*start_offset.*end_offset.*{% endfor %}/);
});

// The request of label-studio-ml-backend's examples/gliner/test_api.py (the data trimmed to its text).
const LS_CONFIG = '<View> \\n <Labels name="label" toName="text">\\n<Label value="Medication/Vaccine" background="red"/>\\n<Label value="Disease" background="purple"/>\\n</Labels>\\n<Text name="text" value="$text"/>\\n</View>';

test('Label Studio: /predict answers its documented request; /setup, /health and GET / as the ML backend API has them', async () => {
  const s = await serve();
  const request = {
    tasks: [{ id: 6, data: { id: '5316', text: TEXT }, meta: {}, created_at: '2024-04-13T19:22:37.153686Z', is_labeled: false, project: 2, predictions: [] },
      { id: 7, data: { text: `Ein 😀 Tag in ${TEXT}` } }],
    label_config: LS_CONFIG,
    project: '2.1713035000',
    params: { login: null, password: null, context: null },
  };
  const r = await call(`${s.url}/predict`, 'POST', request);
  assert.equal(r.status, 200);
  assert.equal(r.json.results.length, 2);
  for (const [i, task] of request.tasks.entries()) {
    const text = task.data.text;
    const ents = expected(modelA, text, 0, 'utf16');
    const p = r.json.results[i];
    assert.equal(p.model_version, r.json.model_version);
    assert.equal(p.score, Math.min(...ents.map((e) => e.prob)));
    assert.equal(p.result.length, ents.length);
    p.result.forEach((region: any, k: number) => {
      assert.equal(region.from_name, 'label');
      assert.equal(region.to_name, 'text');
      assert.equal(region.type, 'labels');
      assert.deepEqual(region.value.labels, [ents[k].type]);
      assert.equal(region.value.text, text.slice(ents[k].start, ents[k].end));
      assert.equal(Array.from(text).slice(region.value.start, region.value.end).join(''), region.value.text, 'offsets in code points');
    });
  }
  // another config: its names, its data key, and a label that names the model's type by alias
  const config = '<View><Text name="doc" value="$content"/><Labels name="ner" toName="doc"><Label value="Person" alias="PER"/><Label value="loc"/></Labels></View>';
  const other = await call(`${s.url}/predict`, 'POST', { tasks: [{ id: 1, data: { content: TEXT } }], label_config: config });
  const regions = other.json.results[0].result;
  assert.ok(regions.length > 0 && regions.every((g: any) => g.from_name === 'ner' && g.to_name === 'doc'));
  const types = expected(modelA, TEXT).map((e) => (e.type === 'PER' ? 'Person' : e.type === 'LOC' ? 'loc' : e.type));
  assert.deepEqual(regions.map((g: any) => g.value.labels[0]), types);
  const missing = await call(`${s.url}/predict`, 'POST', { tasks: [{ id: 1, data: { text: TEXT } }], label_config: config });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /tasks\[0\]\.data\.content/);

  const setup = await call(`${s.url}/setup`, 'POST', { project: '2.1713035000', schema: LS_CONFIG, hostname: 'http://localhost:8080', access_token: 'x', model_version: null });
  assert.deepEqual(setup.json, { model_version: r.json.model_version });
  for (const route of ['/health', '/']) {
    const h = await call(`${s.url}${route}`, 'GET');
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'UP');
    assert.equal(h.json.model_version, r.json.model_version);
  }
  const m = await call(`${s.url}/model`, 'GET');
  assert.deepEqual(m.json.labels, modelA.labels.types);
  assert.equal(m.json.head, ner.DEFAULT_CONFIG.head);
  assert.equal(m.json.model_version, r.json.model_version);
});

/** A raw HTTP exchange on a socket: what the server sends back until it closes the connection. */
function raw(port: number, data: string, waitMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(data));
    let got = '';
    sock.on('data', (b) => (got += b.toString()));
    sock.on('close', () => resolve(got));
    sock.on('error', () => resolve(got));
    setTimeout(() => {
      sock.destroy();
      resolve(got);
    }, waitMs);
  });
}

test('errors: 400 saying what was expected, 404, 405 with Allow, 413, 415, 401 without the token, 408 for a slow client', async () => {
  const s = await serve({ maxBodyBytes: 2000, timeoutMs: 400 });
  const cases: [unknown, RegExp][] = [
    ['{"text": ', /not valid JSON/],
    ['', /body is empty/],
    [[1, 2], /expected a JSON object, got an array/],
    [{ txt: 'a' }, /unknown field "txt"/],
    [{ text: 'a', texts: ['b'] }, /exactly one of "text", "texts" or "documents", got "text" and "texts"/],
    [{ text: 5 }, /"text": expected a string, got number 5/],
    [{ texts: ['a', null] }, /"texts\[1\]": expected a string, got null/],
    [{ documents: [{ text: 'a' }] }, /"documents\[0\]\.id": expected a string or a number/],
    [{ text: 'a', min_prob: 2 }, /"min_prob": expected a probability/],
  ];
  for (const [body, message] of cases) {
    const r = await call(`${s.url}/tag`, 'POST', typeof body === 'string' ? body : JSON.stringify(body));
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error, message);
  }
  const bad = await fetch(`${s.url}/tag`, { method: 'POST', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
  assert.equal(bad.status, 400);
  const notFound = await call(`${s.url}/nope`, 'GET');
  assert.equal(notFound.status, 404);
  assert.match(notFound.json.error, /the routes are \/tag/);
  const wrong = await call(`${s.url}/tag`, 'GET');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  const big = await call(`${s.url}/tag`, 'POST', { text: 'x'.repeat(3000) });
  assert.equal(big.status, 413);
  assert.match(big.json.error, /over the limit of 2,000/);
  // a body with no Content-Length, sent in chunks: refused once it passes the limit
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${s.url}/tag`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => resolve(res.statusCode!));
    req.on('error', () => {}); // the server closes the connection after answering
    for (let i = 0; i < 10; i++) req.write(`{"text": "${'y'.repeat(500)}`);
    req.end();
    setTimeout(() => reject(new Error('no answer')), 5000);
  });
  assert.equal(chunked, 413);
  const form = await call(`${s.url}/tag`, 'POST', '--x', { 'content-type': 'multipart/form-data; boundary=x' });
  assert.equal(form.status, 415);
  const slow = await raw(s.port, 'POST /tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"text": ');
  assert.match(slow, /^HTTP\/1\.1 408 /);
  const garbage = await raw(s.port, 'NOT HTTP AT ALL\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 /);
  assert.equal((await call(`${s.url}/health`, 'GET')).status, 200, 'the server is still up');

  const locked = await serve({ token: 'sesame-1234' });
  const no = await call(`${locked.url}/tag`, 'POST', { text: TEXT });
  assert.equal(no.status, 401);
  assert.equal(no.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await call(`${locked.url}/tag`, 'POST', { text: TEXT }, { authorization: 'Bearer sesame-12345' })).status, 401);
  assert.equal((await call(`${locked.url}/tag`, 'POST', { text: TEXT }, { authorization: 'Bearer sesame-1234' })).status, 200);
  const basic = Buffer.from('label-studio:sesame-1234').toString('base64');
  assert.equal((await call(`${locked.url}/health`, 'GET', undefined, { authorization: `Basic ${basic}` })).status, 200);
});

test('model swap: a request in flight finishes on the old model, new ones get the new one; a bad file is refused and the old kept', async () => {
  const file = path.join(tmp, 'swap.json');
  fs.copyFileSync(fileA, file);
  const s = await serve({ model: file, watchMs: 50 });
  const nameA = s.holder.current.name;
  const big = longText(30_000);
  let done = false;
  const inFlight = call(`${s.url}/tag`, 'POST', { text: big }).finally(() => (done = true));
  while (s.holder.current.inflight === 0 && !done) await new Promise((r) => setTimeout(r, 1)); // it holds model A now
  assert.equal(done, false, 'the request ended before the swap: make its text longer');
  writeFileAtomic(file, textB);
  const reload = await call(`${s.url}/reload`, 'POST');
  assert.equal(reload.status, 200); // (changed: false when the file watch saw the new file first)
  const nameB = reload.json.model_version;
  assert.equal(nameB, versionName(file, textB));
  const fresh = await call(`${s.url}/tag`, 'POST', { text: TEXT });
  assert.equal(fresh.json.model_version, nameB);
  assert.deepEqual(fresh.json.entities, expected(modelB, TEXT));
  const old = await inFlight;
  assert.equal(old.status, 200);
  assert.equal(old.json.model_version, nameA, 'the request in flight was answered by the new model');
  assert.deepEqual(old.json.entities, expected(modelA, big));
  assert.ok(s.lines.some((l) => l.includes(`model ${nameB} now serving (POST /reload; was ${nameA})`) || l.includes(`model ${nameB} now serving (file changed; was ${nameA})`)), s.lines.join('\n'));

  // the file watch: a new file is picked up without a request
  writeFileAtomic(file, textA);
  for (let i = 0; i < 800 && s.holder.current.name !== nameA; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(s.holder.current.name, nameA, 'the changed file was not reloaded');
  // a bad file: refused, logged, the old model goes on
  fs.writeFileSync(file, textB.slice(0, 5000));
  for (let i = 0; i < 800 && !s.lines.some((l) => l.includes('reload refused (file changed)')); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(s.lines.some((l) => /model reload refused \(file changed\): .*truncated.*; still serving swap-/.test(l)), s.lines.join('\n'));
  const refused = await call(`${s.url}/reload`, 'POST');
  assert.equal(refused.status, 422);
  assert.match(refused.json.error, /old model is still serving/);
  const still = await call(`${s.url}/tag`, 'POST', { text: TEXT });
  assert.equal(still.json.model_version, nameA);
  assert.deepEqual(still.json.entities, expected(modelA, TEXT));
});

test('SIGTERM: the request in flight is answered, then ner serve exits 0', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ner.js'), 'serve', '--model', fileA, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (b) => (log += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while (!/ner serve: http:\/\/127\.0\.0\.1:\d+/.test(log)) {
    assert.equal(child.exitCode, null, log);
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = /ner serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1];
  const inFlight = call(`${url}/tag`, 'POST', { text: longText(30_000) });
  for (;;) {
    const h = await call(`${url}/health`, 'GET');
    if (h.json.requests_in_flight > 0) break;
  }
  child.kill('SIGTERM');
  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.ok(answer.json.entities.length > 100);
  assert.equal(await exited, 0, log);
  assert.match(log, /SIGTERM: finishing the requests in flight[\s\S]*POST \/tag 200 \d+ tokens[\s\S]*stopped\n/);
});

test('a tagging thread that stops fails the request it held (500); the next request gets a new thread', async () => {
  const s = await serve({ threads: 1 });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const lane = () => (s.holder as any).pool.versions.get(s.holder.current.id).lanes[0];
  let done = false;
  const inFlight = call(`${s.url}/tag`, 'POST', { text: longText(30_000) }).finally(() => (done = true));
  while (s.holder.current.inflight === 0 && !done) await new Promise((r) => setTimeout(r, 1));
  assert.equal(done, false, 'the request ended before the thread was stopped: make its text longer');
  await lane().tagger.worker.terminate();
  const failed = await inFlight;
  assert.equal(failed.status, 500);
  assert.match(failed.json.error, /tagging thread stopped while tagging this request/);
  const next = await call(`${s.url}/tag`, 'POST', { text: TEXT });
  assert.equal(next.status, 200);
  assert.deepEqual(next.json.entities, expected(modelA, TEXT));
  assert.ok(s.lines.some((l) => l.includes('a tagging thread had stopped; starting a new one')), s.lines.join('\n'));
});

test('a port in use or an address this machine lacks: a user error that says what to do; which hosts are loopback', async () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.2', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
  const s = await serve();
  await assert.rejects(serve({ port: s.port }), (err: Error & { hint?: string }) => /port \d+ on 127\.0\.0\.1 is already in use/.test(err.message) && /--port 0/.test(err.hint ?? ''));
  await assert.rejects(serve({ host: '192.0.2.1' }), /cannot listen on 192\.0\.2\.1: no such address on this machine/);
});

test('fuzz: malformed requests never get a 5xx and never stop the server', async () => {
  const s = await serve({ maxBodyBytes: 4096 });
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const values = [null, true, 0, -1, 1e308, '', 'x', [], {}, [1], { a: 1 }, 'é😀\u0000', [null], { text: 1 }];
  const routes = ['/tag', '/doccano', '/predict', '/setup', '/train', '/webhook', '/reload', '/health', '/model', '/', '/x', '/tag?x=1', '//tag'];
  const methods = ['POST', 'GET', 'PUT', 'DELETE', 'PATCH'];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 150; i++) {
    const route = routes[rand(routes.length)];
    const method = rand(4) === 0 ? methods[rand(methods.length)] : 'POST';
    let body: string | undefined;
    const kind = rand(5);
    if (kind === 0) body = Buffer.from(Array.from({ length: rand(300) }, () => rand(256))).toString('latin1');
    else if (kind === 1) body = JSON.stringify(values[rand(values.length)]);
    else if (kind === 2) body = JSON.stringify({ text: values[rand(values.length)], texts: rand(2) ? [values[rand(values.length)]] : undefined, tasks: [{ data: values[rand(values.length)] }], annotations: [values[rand(values.length)]], action: 'ANNOTATION_CREATED', task: values[rand(values.length)] });
    else if (kind === 3) body = '{"text": "' + 'a '.repeat(rand(4000)) + '"}';
    else body = '{"tasks": [{"data": {"text": "Paris"}}], "label_config": "<View><Labels name=\\"l\\"' + '>'.repeat(rand(3)) + '"}';
    const r = await fetch(`${s.url}${route}`, { method, body: method === 'GET' ? undefined : body });
    await r.arrayBuffer();
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.ok(r.status < 500, `${method} ${route} ${body?.slice(0, 80)} → ${r.status}`);
  }
  assert.ok((statuses.get(400) ?? 0) > 10 && (statuses.get(405) ?? 0) > 10, JSON.stringify([...statuses]));
  assert.equal((await call(`${s.url}/tag`, 'POST', { text: TEXT })).status, 200);
});

/** Label Studio tasks with one annotation each, from the demo corpus (types renamed by `rename`). */
function lsTasks(count: number, rename: (t: string) => string, offset = 0) {
  return SENTENCES.slice(offset, offset + count).map((s, i) => {
    const text = s.tokens.join(' ');
    const starts: number[] = [];
    let at = 0;
    for (const t of s.tokens) {
      starts.push(at);
      at += t.length + 1;
    }
    const result = spansFromTags(s.tags).map((sp) => {
      const start = starts[sp.start];
      const end = starts[sp.end - 1] + s.tokens[sp.end - 1].length;
      return { from_name: 'label', to_name: 'text', type: 'labels', value: { start, end, text: text.slice(start, end), labels: [rename(sp.type)] } };
    });
    return { id: 1000 + offset + i, data: { text }, annotations: [{ id: 1, result, was_cancelled: false, ground_truth: false }] };
  });
}

test('retraining: annotations with new labels are learnt, swapped in when better on the held-out part; the same annotations give the same model', async () => {
  const rename = (t: string) => ({ PER: 'PERSON', LOC: 'PLACE' })[t] ?? t;
  const tasks = lsTasks(120, rename);
  const s1 = await serve({ model: fileA });
  const r = await call(`${s1.url}/train`, 'POST', { annotations: tasks, project: '1', label_config: LS_CONFIG });
  assert.equal(r.status, 201);
  assert.equal(r.json.job, 1);
  for (;;) {
    const st = await call(`${s1.url}/is_training`, 'GET');
    if (!st.json.is_training) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const status = (await call(`${s1.url}/train`, 'GET')).json;
  const last = status.last;
  assert.equal(last.documents, 120);
  assert.equal(last.held_out_documents, 30);
  assert.equal(last.current_f1 < last.retrained_f1, true, JSON.stringify(last));
  assert.equal(last.swapped, true);
  const after = await call(`${s1.url}/tag`, 'POST', { text: TEXT });
  assert.equal(after.json.model_version, last.model_version);
  assert.ok(after.json.entities.some((e: any) => e.type === 'PERSON' || e.type === 'PLACE'), JSON.stringify(after.json));
  assert.ok(s1.lines.some((l) => /retrain 1: 120 documents \(90 trained on, 30 held out\), \d+ epochs in [\d.]+ s; held-out F1: current a-\w+ [\d.]+, retrained [\d.]+: swapped in/.test(l)), s1.lines.join('\n'));

  // the same annotations sent to Label Studio's webhook one by one, then START_TRAINING: the same model
  const s2 = await serve({ model: fileA });
  for (const task of tasks) {
    const { annotations, ...bare } = task;
    const w = await call(`${s2.url}/webhook`, 'POST', { action: 'ANNOTATION_CREATED', annotation: annotations[0], task: bare, project: { id: 1, label_config: LS_CONFIG } });
    assert.equal(w.status, 201);
  }
  const start = await call(`${s2.url}/webhook`, 'POST', { action: 'START_TRAINING', project: { id: 1, label_config: LS_CONFIG } });
  assert.equal(start.json.job, 1);
  assert.deepEqual((await call(`${s2.url}/webhook`, 'POST', { action: 'PROJECT_UPDATED', project: {} })).json, { status: 'Unknown event' });
  for (;;) {
    const st = await call(`${s2.url}/is_training`, 'GET');
    if (!st.json.is_training) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(s2.holder.current.name, last.model_version, 'the same annotations and seed gave another model');
});

test('retraining: a model no better on the held-out part is not swapped in', async () => {
  // annotations that are the current model's own predictions: it scores 100 on them, nothing beats it
  const texts = SENTENCES.slice(0, 40).map((s) => s.tokens.join(' '));
  const s = await serve({ model: fileA });
  const predicted = await call(`${s.url}/predict`, 'POST', { tasks: texts.map((text, i) => ({ id: i, data: { text } })) });
  const tasks = texts.map((text, i) => ({ id: i, data: { text }, annotations: [{ result: predicted.json.results[i].result }] }));
  const before = s.holder.current.name;
  await call(`${s.url}/train`, 'POST', { annotations: tasks });
  for (;;) {
    const st = await call(`${s.url}/is_training`, 'GET');
    if (!st.json.is_training) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const last = (await call(`${s.url}/train`, 'GET')).json.last;
  assert.equal(last.current_f1, 100, JSON.stringify(last));
  assert.equal(last.swapped, false);
  assert.equal(s.holder.current.name, before);
  assert.ok(s.lines.some((l) => /retrain 1: .*kept the current model/.test(l)), s.lines.join('\n'));
  const empty = await call(`${s.url}/train`, 'POST', { annotations: [] });
  assert.equal(empty.status, 400);
  const wrong = await call(`${s.url}/train`, 'POST', { tasks: [] });
  assert.equal(wrong.status, 400);
  assert.match(wrong.json.error, /expected \{"annotations": \[Label Studio tasks\]\} or \{"doccano"/);
});
