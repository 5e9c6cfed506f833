// A fuzz run of malformed requests against `ner serve` on 127.0.0.1, bounded in count and time: valid
// bodies of every route mutated at random (fields dropped, types swapped, values replaced by odd ones,
// the JSON cut short, bytes flipped, invalid UTF-8), random methods and paths, and raw sockets that
// send broken HTTP (bad request lines, huge headers, a Content-Length that lies, a body that stops).
// It checks: no answer is a 5xx, the server never exits, its log has no internal error, and it still
// answers a valid request at the end. Seeded: the same --seed sends the same requests.
//
//   npx tsc -p tsconfig.json && node dist/scripts/serve-fuzz.js --model models/ner.json [--count 5000] [--seconds 60] [--seed 1]

import * as net from 'node:net';
import { Rng } from '../src/rng.js';
import { startServerProcess } from './serve-process.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}

const count = Math.min(50_000, Number(arg('count', '5000')));
const seconds = Math.min(600, Number(arg('seconds', '60')));
const rng = new Rng(Number(arg('seed', '1')));
const pick = <T>(a: T[]): T => a[rng.int(a.length)];

const TEXT = 'Peter Blackburn visited the European Commission in Brussels.';
const LS_CONFIG = '<View><Labels name="label" toName="text"><Label value="PER"/></Labels><Text name="text" value="$text"/></View>';
const VALID: [string, unknown][] = [
  ['/tag', { text: TEXT }],
  ['/tag', { texts: [TEXT, 'x'], min_prob: 0.5 }],
  ['/tag', { documents: [{ id: 1, text: TEXT }] }],
  ['/doccano', { text: TEXT }],
  ['/predict', { tasks: [{ id: 1, data: { text: TEXT } }], label_config: LS_CONFIG, project: '1.1' }],
  ['/setup', { project: '1.1', schema: LS_CONFIG }],
  ['/webhook', { action: 'ANNOTATION_CREATED', task: { id: 1, data: { text: TEXT } }, annotation: { result: [{ type: 'labels', value: { start: 0, end: 15, labels: ['PER'] } }] }, project: { id: 1 } }],
  ['/train', { annotations: [{ id: 1, data: { text: TEXT }, annotations: [{ result: [{ type: 'labels', value: { start: 0, end: 15, labels: ['PER'] } }] }] }] }],
];
const ODD: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -0, NaN, '', ' ', 'x', '\u0000', '😀', '\ud800', 'a'.repeat(5000), [], [null], [[[]]], {}, { text: {} }, { __proto__: { text: 1 } }, { constructor: 1 }];
const ROUTES = ['/tag', '/doccano', '/predict', '/setup', '/webhook', '/train', '/is_training', '/reload', '/health', '/model', '/', '/tag/', '/TAG', '/tag?x=1', '/%00', '/../etc/passwd', '*'];
const METHODS = ['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

/** A random change somewhere inside a JSON value. */
function mutate(v: unknown, depth = 0): unknown {
  if (depth > 4 || rng.next() < 0.25) return pick(ODD);
  if (Array.isArray(v)) {
    const a = v.map((x) => (rng.next() < 0.5 ? mutate(x, depth + 1) : x));
    if (rng.next() < 0.2) a.push(pick(ODD));
    if (rng.next() < 0.2) a.splice(rng.int(a.length + 1), 1);
    return a;
  }
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    if (keys.length > 0 && rng.next() < 0.3) delete o[pick(keys)];
    if (keys.length > 0 && rng.next() < 0.6) {
      const k = pick(keys);
      o[k] = mutate(o[k], depth + 1);
    }
    if (rng.next() < 0.2) o[pick(['text', 'texts', 'tasks', 'action', 'annotations', 'doccano', 'id', 'data', 'zzz'])] = pick(ODD);
    return o;
  }
  return pick(ODD);
}

/** A body: a mutated valid one, cut short, with bytes flipped, deeply nested, or random bytes. */
function body(valid: unknown): Buffer {
  const kind = rng.int(8);
  const json = JSON.stringify(mutate(valid)) ?? 'null';
  if (kind === 0) return Buffer.from(json.slice(0, rng.int(json.length + 1)));
  if (kind === 1) {
    const b = Buffer.from(json);
    for (let i = 0; i < 3 && b.length > 0; i++) b[rng.int(b.length)] = rng.int(256);
    return b;
  }
  if (kind === 2) return Buffer.from('['.repeat(5000 + rng.int(100_000)));
  if (kind === 3) return Buffer.from(Array.from({ length: rng.int(2000) }, () => rng.int(256)));
  return Buffer.from(json);
}

/** Broken HTTP on a raw socket; resolves with the status the server sent, or 0 when it only closed. */
function rawRequest(port: number): Promise<number> {
  const cases = [
    'GARBAGE\r\n\r\n',
    'POST /tag HTTP/9.9\r\n\r\n',
    `POST /tag HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000 + rng.int(50_000))}\r\n\r\n`,
    'POST /tag HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"text": "a", "more": "than ten bytes"}',
    'POST /tag HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
    'POST /tag HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /tag HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    `POST /tag HTTP/1.1\r\nHost: x\r\nContent-Length: ${1 << 30}\r\n\r\n{`,
    'POST /tag HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"text": ', // stops: the server's timeout ends it
  ];
  const data = pick(cases);
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(data));
    let got = '';
    const done = () => {
      sock.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : 0);
    };
    sock.on('data', (b) => {
      got += b.toString();
      if (/\r\n\r\n/.test(got)) done();
    });
    sock.on('close', done);
    sock.on('error', done);
    setTimeout(done, 3000); // a stopped body is answered (408) within the server's --timeout 2
  });
}

async function main(): Promise<void> {
  const model = arg('model');
  const server = await startServerProcess(['--model', model, '--quiet', '--timeout', '2', '--max-body', '0.25']);
  const statuses = new Map<number, number>();
  const fivexx: string[] = [];
  const t0 = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < count && performance.now() - t0 < seconds * 1000 && server.alive()) {
      sent++;
      let status: number;
      let what: string;
      if (rng.next() < 0.05) {
        status = await rawRequest(server.port);
        what = 'raw socket';
      } else {
        const [route, valid] = pick(VALID);
        const path = rng.next() < 0.85 ? route : pick(ROUTES);
        const method = rng.next() < 0.85 ? 'POST' : pick(METHODS);
        const b = method === 'GET' || method === 'HEAD' ? undefined : body(valid);
        const headers: Record<string, string> = rng.next() < 0.9 ? { 'content-type': 'application/json' } : { 'content-type': pick(['text/html', 'multipart/form-data', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1']) };
        try {
          const r = await fetch(`${server.url}${path}`, { method, headers, body: b === undefined ? undefined : new Uint8Array(b) });
          await r.arrayBuffer();
          status = r.status;
        } catch {
          status = 0; // the connection closed (a body over the limit, say)
        }
        what = `${method} ${path} ${b?.toString('latin1').slice(0, 100)}`;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) fivexx.push(`${status}: ${what}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const alive = server.alive();
  let health = 0;
  let tagged = 0;
  if (alive) {
    health = (await fetch(`${server.url}/health`)).status;
    tagged = (await fetch(`${server.url}/tag`, { method: 'POST', body: JSON.stringify({ text: TEXT }) })).status;
  }
  const code = alive ? await server.stop() : null;
  const internal = (server.log().match(/internal error/g) ?? []).length;
  console.log(`${sent} requests in ${elapsed.toFixed(1)} s (8 at a time); statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'closed' : s} ×${n}`).join(', ')}`);
  console.log(`5xx: ${fivexx.length}; internal errors in the log: ${internal}; server up at the end: ${alive} (GET /health ${health}, POST /tag ${tagged}); exit on SIGTERM: ${code}`);
  for (const f of fivexx.slice(0, 10)) console.log(`  ${f}`);
  for (const l of server.log().split('\n').filter((l) => l.includes('internal error')).slice(0, 5)) console.log(`  ${l.slice(0, 300)}`);
  if (fivexx.length > 0 || internal > 0 || !alive || health !== 200 || tagged !== 200 || code !== 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
