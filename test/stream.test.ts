// `ner tag` streams: output starts while the input is still open, and memory stays flat as more text
// flows through (the resident set after many megabytes is about what it was after the first ones).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConll } from '../src/data/conll.js';
import { writeTinyVectors, TEST_BUCKETS_ARGS } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-stream-'));
// the child processes' embeddings cache goes in the temporary folder, not the user's ~/.cache/ner
const env = { ...process.env, NER_CACHE_DIR: path.join(tmp, 'cache') };
const TRAIN = path.join(ROOT, 'data/demo/train.conll');

function setup(): { model: string; emb: string; text: string } {
  const emb = path.join(tmp, 'emb.txt');
  writeTinyVectors(emb);
  const sentences = readConll(TRAIN).sentences.map((s) => s.tokens);
  const model = path.join(tmp, 'm.json');
  const r = spawnSync(process.execPath, [BIN, 'train', '--embeddings', emb, '--epochs', '2', '--hidden', '20', ...TEST_BUCKETS_ARGS, '-q', '--output', model], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return { model, emb, text: sentences.map((s) => s.join(' ')).join('\n') + '\n' };
}

/** Resident set size of a process in kB (Linux), or undefined elsewhere. */
function rssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const waitFor = (cond: () => boolean, ms: number) =>
  new Promise<boolean>((resolve) => {
    const t0 = Date.now();
    const tick = () => (cond() ? resolve(true) : Date.now() - t0 > ms ? resolve(false) : setTimeout(tick, 20));
    tick();
  });

test('ner tag: output starts before the input ends, and memory stays flat over megabytes of text', async () => {
  const { model, text } = setup();
  const child = spawn(process.execPath, [BIN, 'tag', '-', '--model', model, '--format', 'conll', '-q'], { cwd: ROOT, env });
  let outBytes = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (outBytes += d.length));
  child.stderr.on('data', (d) => (stderr += d));
  const write = (s: string) => new Promise<void>((r) => (child.stdin.write(s) ? r() : child.stdin.once('drain', r)));

  await write(text);
  assert.ok(await waitFor(() => outBytes > 0, 15000), `no output while the input is open: ${stderr}`);

  const chunk = text.repeat(Math.ceil((1 << 20) / text.length)); // ≥ 1 MB
  let early: number | undefined;
  for (let mb = 1; mb <= 12; mb++) {
    await write(chunk);
    if (mb === 4) {
      await waitFor(() => false, 200);
      early = rssKb(child.pid!);
    }
  }
  const late = rssKb(child.pid!);
  child.stdin.end();
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, stderr);
  assert.ok(outBytes > 12 * chunk.length, `output ${outBytes} bytes for ${12 * chunk.length} bytes of input`);
  if (early !== undefined && late !== undefined) {
    // Holding what was read would cost more than 150 MB here (8 MB of text is 1.6M tokens, each an object
    // with its slice); V8 lets a streaming run's heap swing by up to about 50 MB before it collects.
    assert.ok(late - early < 100 * 1024, `resident memory grew from ${early} kB to ${late} kB over 8 more MB of input`);
  }
});
