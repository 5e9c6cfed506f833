// Load and soak run of `ner serve` with autocannon, against 127.0.0.1 only, bounded in time:
//   1. throughput: 8 connections posting 1,000-token documents (CoNLL-2003 dev text) for --seconds;
//   2. latency: a 30-token sentence at 50 requests/s for --seconds (p50 / p99);
//   3. soak: both kinds mixed at a fixed rate for --soak seconds, the server's RSS sampled every 10 s.
// The server runs as its own process (`node bin/ner.js serve --port 0`), so its RSS is its own.
//
//   npx tsc -p tsconfig.json && node dist/scripts/serve-load.js --model /tmp/serve-conll.json \
//     --text ../shared/data/conll2003/dev.txt [--seconds 20] [--soak 300] [--threads 2]

import autocannon from 'autocannon';
import { readConll } from '../src/data/conll.js';
import { tokenize } from '../src/data/tokenize.js';
import { cpuSeconds, loadAverage, rssMb, startServerProcess } from './serve-process.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}

const model = arg('model');
const textFile = arg('text');
const seconds = Math.min(120, Number(arg('seconds', '20')));
const soakSeconds = Math.min(900, Number(arg('soak', '300')));
const threads = arg('threads', '');

/** Documents of about `size` tokens from a CoNLL file's sentences (tokens joined by spaces). */
function documents(size: number): { text: string; tokens: number }[] {
  const docs: { text: string; tokens: number }[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const s of readConll(textFile).sentences) {
    if (n + s.tokens.length > size && n > 0) {
      const text = cur.join('\n');
      docs.push({ text, tokens: tokenize(text).reduce((a, x) => a + x.length, 0) });
      cur = [];
      n = 0;
    }
    cur.push(s.tokens.join(' '));
    n += s.tokens.length;
  }
  return docs;
}

interface Run {
  requests: number;
  failed: number; // errors, timeouts and non-2xx answers
  p50: number;
  p99: number;
  seconds: number;
}

function cannon(opts: autocannon.Options): Promise<Run> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({ requests: r.requests.total, failed: r.errors + r.timeouts + r.non2xx, p50: r.latency.p50, p99: r.latency.p99, seconds: r.duration });
    });
  });
}

/** Requests that cycle through bodies (autocannon sends them in order on each connection). */
function bodies(texts: string[]): autocannon.Request[] {
  return texts.map((text) => ({ method: 'POST', path: '/tag', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }));
}

async function main(): Promise<void> {
  const docs = documents(1000);
  const meanTokens = docs.reduce((a, d) => a + d.tokens, 0) / docs.length;
  const sentence = 'The European Commission said on Thursday it disagreed with German advice to consumers to shun British lamb until scientists determine whether mad cow disease can be transmitted.';
  const sentenceTokens = tokenize(sentence).reduce((a, x) => a + x.length, 0);
  console.log(`${docs.length} documents of ${meanTokens.toFixed(0)} tokens on average; latency sentence of ${sentenceTokens} tokens`);
  const server = await startServerProcess(['--model', model, '--quiet', ...(threads ? ['--threads', threads] : [])]);
  console.log(`server ${server.url} (pid ${server.pid}), RSS ${rssMb(server.pid).toFixed(0)} MB after start`);
  const warm = await cannon({ url: server.url, connections: 2, amount: 200, requests: bodies(docs.map((d) => d.text)) });
  console.log(`warm-up: ${warm.requests} requests, ${warm.failed} failed; RSS ${rssMb(server.pid).toFixed(0)} MB`);

  const cpu0 = cpuSeconds(server.pid);
  console.log(`load average before: ${loadAverage()}`);
  const load = await cannon({ url: server.url, connections: 8, duration: seconds, requests: bodies(docs.map((d) => d.text)) });
  const cpu = cpuSeconds(server.pid) - cpu0;
  const tokensPerS = (load.requests * meanTokens) / load.seconds;
  console.log(`load average after: ${loadAverage()}; the server used ${cpu.toFixed(1)} CPU-s in ${load.seconds.toFixed(1)} s (${(cpu / load.seconds).toFixed(2)} cores of 2): ` +
    `${Math.round((load.requests * meanTokens) / cpu).toLocaleString('en-US')} tokens per CPU-second`);
  console.log(`throughput: 8 connections × 1,000-token documents, ${load.seconds.toFixed(1)} s: ${load.requests} requests, ${load.failed} failed, ` +
    `${Math.round(tokensPerS).toLocaleString('en-US')} tokens/s (${(load.requests / load.seconds).toFixed(1)} req/s), latency p50 ${load.p50} ms p99 ${load.p99} ms`);

  console.log(`load average: ${loadAverage()}`);
  const lat = await cannon({ url: server.url, connections: 4, overallRate: 50, duration: seconds, requests: bodies([sentence]) });
  console.log(`latency: ${sentenceTokens}-token sentence at 50 req/s, ${lat.seconds.toFixed(1)} s: ${lat.requests} requests, ${lat.failed} failed, p50 ${lat.p50} ms, p99 ${lat.p99} ms`);

  if (soakSeconds > 0) {
    const samples: number[] = [rssMb(server.pid)];
    const timer = setInterval(() => samples.push(rssMb(server.pid)), 10_000);
    // about 25k tokens/s: a tenth of the requests are 1,000-token documents, the rest 30-token sentences
    const mixed = bodies([...docs.slice(0, 40).map((d) => d.text), ...Array.from({ length: 360 }, (_, i) => `${sentence} (${i})`)]);
    const soak = await cannon({ url: server.url, connections: 8, overallRate: 200, duration: soakSeconds, requests: mixed });
    clearInterval(timer);
    samples.push(rssMb(server.pid));
    console.log(`soak: ${soak.seconds.toFixed(0)} s at 200 req/s mixed: ${soak.requests} requests, ${soak.failed} failed, p99 ${soak.p99} ms; ` +
      `RSS start ${samples[0].toFixed(1)} MB, end ${samples[samples.length - 1].toFixed(1)} MB, min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)} (${samples.length} samples)`);
    console.log(`RSS samples (MB): ${samples.map((s) => s.toFixed(0)).join(' ')}`);
  }
  const code = await server.stop();
  console.log(`SIGTERM: server exited ${code}; internal errors in its log: ${(server.log().match(/internal error/g) ?? []).length}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
