// `ner annotate` as a person uses it: the real command, its page in headless Chromium (Debian's
// `chromium`, driven by playwright-core, which downloads no browser), labelling from the keyboard, and
// the CoNLL file on disk checked after each step. Then the server is killed with SIGKILL in the middle
// of a session: every accepted sentence must be in a valid CoNLL file, and a restart must go on with
// the others. Without chromium the browser part is skipped with a message, except in CI (CI=true),
// where .ci/run installs it and its absence is a failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConll } from '../src/data/conll.js';
import { spansFromTags } from '../src/data/tags.js';
import { writeTinyVectors } from './tiny-vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const CHROMIUM = '/usr/bin/chromium';
const TEXT = [
  'Angela Merkel met Emmanuel Macron in Berlin on Monday.',
  'The United Nations said aid would reach Gaza within a week.',
  'Shares in Siemens rose 2 percent in Frankfurt.',
  'Maria Sharapova beat Serena Williams at Wimbledon.',
  'Heavy rain fell across northern Italy overnight.',
].join('\n') + '\n';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-annotate-'));
const vectors = path.join(work, 'tiny.vec');
writeTinyVectors(vectors);
const textFile = path.join(work, 'news.txt');
fs.writeFileSync(textFile, TEXT);

/** Starts `ner annotate` on a free port and resolves with its address once it prints it. */
function start(out: string, extra: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'annotate', textFile, '--out', out, '--port', '0', '--embeddings', vectors, '-q', ...extra], {
    cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no address after 60 s: ${seen} ${err}`));
    }, 60_000);
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      seen += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[0] });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ner annotate exited with ${code}: ${err}`));
    });
  });
}

function stop(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

/** The labelled file as [tokens joined, entities as "PER:Angela Merkel"] per sentence. */
function labelled(file: string): [string, string[]][] {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  return parseConll(text, file).sentences.map((s) => [s.tokens.join(' '), spansFromTags(s.tags).map((e) => `${e.type}:${s.tokens.slice(e.start, e.end).join(' ')}`)]);
}

async function post(url: string, route: string, body: unknown): Promise<any> {
  const r = await fetch(url + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

const haveChromium = fs.existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

test('annotate: labelling from the keyboard in Chromium writes the CoNLL file', { timeout: 120_000, skip: !haveChromium && !inCI ? `no ${CHROMIUM}: install it with apt-get install -y chromium to run the browser test` : false }, async () => {
  assert.ok(haveChromium, `CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
  const { chromium } = await import('playwright-core');
  const out = path.join(work, 'browser.conll');
  const { proc, url } = await start(out);
  const profile = fs.mkdtempSync(path.join(work, 'profile-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 760 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    const words = async (): Promise<string[]> => page.locator('#sentence .tok').allTextContents();
    const shown = async (): Promise<string> => (await words()).join(' ');
    const entities = async (): Promise<string[]> =>
      page.locator('#sentence mark.ent').evaluateAll((ms) => ms.map((m) => `${(m as HTMLElement).dataset.type}:${[...m.querySelectorAll('.tok')].map((t) => t.textContent).join(' ')}`));
    await page.locator('#sentence .tok').first().waitFor();
    const next = async (before: string): Promise<void> => {
      await page.waitForFunction((b) => [...document.querySelectorAll('#sentence .tok')].map((t) => t.textContent).join(' ') !== b, before);
    };
    const go = async (to: number): Promise<void> => {
      await page.keyboard.press('Home');
      for (let i = 0; i < to; i++) await page.keyboard.press('ArrowRight');
    };
    // the types and their keys are on the page
    assert.deepEqual(await page.locator('#types .type').allTextContents(), ['1 PER', '2 LOC', '3 ORG', '4 MISC']);

    // 1: select the first two words with Shift+→ and press 1 (PER); mark the last word but one as LOC; accept
    const s1 = await words();
    await go(0);
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('1');
    await go(s1.length - 2);
    await page.keyboard.press('2');
    assert.deepEqual(await entities(), [`PER:${s1[0]} ${s1[1]}`, `LOC:${s1.at(-2)}`]);
    await page.keyboard.press('Enter');
    await next(s1.join(' '));
    assert.deepEqual(labelled(out), [[s1.join(' '), [`PER:${s1[0]} ${s1[1]}`, `LOC:${s1.at(-2)}`]]]);

    // 2: mark word 3 as LOC, change it to ORG (its key on the entity), mark word 1 as MISC and remove it; undo the removal; accept
    const s2 = await words();
    await go(2);
    await page.keyboard.press('2');
    await page.keyboard.press('3');
    await go(0);
    await page.keyboard.press('4');
    assert.deepEqual(await entities(), [`MISC:${s2[0]}`, `ORG:${s2[2]}`]);
    await page.keyboard.press('x');
    assert.deepEqual(await entities(), [`ORG:${s2[2]}`]);
    await page.keyboard.press('z');
    assert.deepEqual(await entities(), [`MISC:${s2[0]}`, `ORG:${s2[2]}`]);
    await page.keyboard.press('Enter');
    await next(s2.join(' '));
    assert.deepEqual(labelled(out).map((s) => s[1]), [[`PER:${s1[0]} ${s1[1]}`, `LOC:${s1.at(-2)}`], [`MISC:${s2[0]}`, `ORG:${s2[2]}`]]);

    // 3: skip: nothing written
    const s3 = await shown();
    await page.keyboard.press('s');
    await next(s3);
    assert.equal(labelled(out).length, 2);

    // 4: drag over words 2-3 with the mouse and press 1; accept; then undo: the sentence comes back
    // with its entity and leaves the file; remove the entity and accept it with none
    const s4 = await words();
    await page.locator('#sentence .tok').nth(1).hover();
    await page.mouse.down();
    await page.locator('#sentence .tok').nth(2).hover();
    await page.mouse.up();
    await page.keyboard.press('1');
    assert.deepEqual(await entities(), [`PER:${s4[1]} ${s4[2]}`]);
    await page.keyboard.press('Enter');
    await next(s4.join(' '));
    assert.equal(labelled(out).length, 3);
    const s5 = await shown();
    await page.keyboard.press('z');
    await next(s5);
    assert.equal(await shown(), s4.join(' '));
    assert.deepEqual(await entities(), [`PER:${s4[1]} ${s4[2]}`]);
    assert.equal(labelled(out).length, 2, 'undo takes the accepted sentence out of the file');
    await go(1);
    await page.keyboard.press('Delete');
    await page.keyboard.press('Enter');
    await next(s4.join(' '));

    const got = labelled(out);
    assert.deepEqual(got.map((s) => s[0]), [s1.join(' '), s2.join(' '), s4.join(' ')]);
    assert.deepEqual(got[2][1], []);
    assert.ok(!got.some((s) => s[0] === s3), 'the skipped sentence is not written');
    // the progress shows what the file holds
    assert.match(await page.locator('#stats').textContent() ?? '', /labelled 3 \/ 5/);
    await page.screenshot({ path: path.join(work, 'annotate.png') });
  } finally {
    await browser.close();
    await stop(proc);
  }
});

test('annotate: SIGKILL in the middle of a session loses no accepted sentence; a restart goes on', { timeout: 60_000 }, async () => {
  const out = path.join(work, 'killed.conll');
  // --every 1: a retraining is running in the background when the kill comes
  const { proc, url } = await start(out, ['--every', '1']);
  const accepted: string[] = [];
  let state = await (await fetch(url + 'api/state')).json();
  for (let k = 0; k < 3; k++) {
    const { id, tokens } = state.item;
    state = await post(url, 'api/accept', { id, spans: [{ start: 0, end: 1, type: 'PER' }] });
    assert.equal(state.labelled, k + 1);
    accepted.push(tokens.join(' '));
  }
  await stop(proc, 'SIGKILL');
  const after = labelled(out);
  assert.deepEqual(after.map((s) => s[0]), accepted);
  assert.ok(after.every((s) => s[1].length === 1 && s[1][0].startsWith('PER:')));
  // the model file, if the retraining got that far, is whole (written atomically)
  const modelFile = out.replace(/\.conll$/, '.model.json');
  if (fs.existsSync(modelFile)) JSON.parse(fs.readFileSync(modelFile, 'utf8'));

  // a torn write (as a kill inside write() would leave) is dropped on restart, never taken as labelled
  fs.appendFileSync(out, 'Heavy B-LOC\nrain O\n');
  const again = await start(out, ['--every', '100']);
  try {
    const st = await (await fetch(again.url + 'api/state')).json();
    assert.equal(st.labelled, 3);
    assert.equal(st.left, 2);
    assert.ok(!accepted.includes(st.item.tokens.join(' ')), 'a labelled sentence is not asked again');
    assert.deepEqual(labelled(out).map((s) => s[0]), accepted);
  } finally {
    await stop(again.proc);
  }
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
