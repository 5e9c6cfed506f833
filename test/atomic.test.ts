// writeFileAtomic under kill -9: a child process rewrites a large file over and over, alternating two
// different contents, and is SIGKILLed at random moments. After every kill the target must be exactly
// one of the two contents (never torn or empty), and temporary files must not pile up: the killed
// writer's one temporary file may remain, and the next writer removes it (see src/atomic.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempFilesOf, writeFileAtomic } from '../src/io/atomic.js';
import { Rng } from '../src/rng.js';

const ATOMIC_JS = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/io/atomic.js')).href;
const SIZE = 4 << 20; // 4 MB: a write takes long enough to be killed in the middle of it

// The writer: announces itself after its first complete write, then writes A, B, A, B, … forever.
const WRITER = `
import { writeFileAtomic } from ${JSON.stringify(ATOMIC_JS)};
const [target, size] = [process.argv[2], Number(process.argv[3])];
const contents = ['A', 'B'].map((c) => Buffer.alloc(size, c));
for (let i = 0; ; i++) {
  writeFileAtomic(target, contents[i % 2]);
  if (i === 0) process.stdout.write('ready\\n');
}
`;

function startWriter(script: string, target: string): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, [script, target, String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`writer exited with ${code} before its first write`)));
  });
}

test('kill -9 during writes leaves the old or the new file, never a torn one, and no pile of temporary files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-atomic-'));
  const script = path.join(dir, 'writer.mjs');
  fs.writeFileSync(script, WRITER);
  const target = path.join(dir, 'model.json');
  const rng = new Rng(42);
  let killedMidWrite = 0;
  try {
    for (let round = 0; round < 8; round++) {
      const child = await startWriter(script, target);
      await new Promise((r) => setTimeout(r, 20 + rng.int(250)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;

      const bytes = fs.readFileSync(target);
      assert.equal(bytes.length, SIZE, `round ${round}: the file has ${bytes.length} bytes, expected ${SIZE}`);
      const c = bytes[0];
      assert.ok(c === 0x41 || c === 0x42, `round ${round}: unexpected first byte ${c}`);
      assert.equal(bytes.indexOf(c === 0x41 ? 0x42 : 0x41), -1, `round ${round}: the file mixes both contents`);

      const temps = tempFilesOf(dir, 'model.json');
      assert.ok(temps.length <= 1, `round ${round}: ${temps.length} temporary files left: ${temps.join(', ')}`);
      killedMidWrite += temps.length;
    }
    // The kills did land in the middle of writes (else this test would prove nothing).
    assert.ok(killedMidWrite > 0, 'no kill happened during a write');
    // A later write (any process) removes the dead writer's temporary file.
    writeFileAtomic(target, 'done\n');
    assert.deepEqual(tempFilesOf(dir, 'model.json'), []);
    assert.equal(fs.readFileSync(target, 'utf8'), 'done\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write removes its temporary file and says why', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-atomic-'));
  try {
    const target = path.join(dir, 'out');
    fs.mkdirSync(target); // a directory where the file should go: the rename fails
    assert.throws(() => writeFileAtomic(target, 'x'), /cannot write .*out: it is a directory|cannot write/);
    assert.deepEqual(tempFilesOf(dir, 'out'), []);
    assert.throws(() => writeFileAtomic(path.join(dir, 'missing/x.json'), 'x'), /the directory .*missing does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
