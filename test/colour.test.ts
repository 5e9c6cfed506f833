// Colour rules (src/cli/colour.ts) through a real pseudo-terminal: `script` runs ner with its stdout and
// stderr on a pty, as a user's terminal is, so the TTY branch is what is tested, not only pipes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { colourLevel } from '../src/cli/colour.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');
const ESC = /\u001b\[/;
const hasScript = spawnSync('script', ['--version']).status === 0;

/** ner's output when run on a pseudo-terminal (an error, whose "error:" is red when colour is on). */
function onTerminal(args: string[], env: Record<string, string>): string {
  const base = { ...process.env };
  // CI too: chalk detects no colour on a terminal when CI is set (and CI runs this suite with CI=true)
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'TERM', 'CI']) delete base[k];
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...base, TERM: 'xterm-256color', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /error:.*model file not found/);
  return r.stdout;
}

const MISSING = ['info', '--model', '/nonexistent/model.json'];

test('on a terminal: colour by default; none with NO_COLOR, --no-color or FORCE_COLOR=0', { skip: !hasScript && 'no `script` command' }, () => {
  assert.match(onTerminal(MISSING, {}), ESC, 'a terminal gets colour');
  assert.doesNotMatch(onTerminal(MISSING, { NO_COLOR: '1' }), ESC, 'NO_COLOR');
  assert.doesNotMatch(onTerminal([...MISSING, '--no-color'], {}), ESC, '--no-color');
  assert.doesNotMatch(onTerminal(['--no-color', ...MISSING], {}), ESC, '--no-color before the verb');
  assert.doesNotMatch(onTerminal(MISSING, { FORCE_COLOR: '0' }), ESC, 'FORCE_COLOR=0');
  assert.match(onTerminal(MISSING, { NO_COLOR: '1', FORCE_COLOR: '1' }), ESC, 'FORCE_COLOR wins over NO_COLOR');
  assert.doesNotMatch(onTerminal([...MISSING, '--no-color'], { FORCE_COLOR: '3' }), ESC, '--no-color wins over FORCE_COLOR');
});

test('into a pipe: no colour unless FORCE_COLOR asks for it', () => {
  const run = (env: Record<string, string>) => {
    const base = { ...process.env };
    for (const k of ['NO_COLOR', 'FORCE_COLOR']) delete base[k];
    return spawnSync(process.execPath, [BIN, ...MISSING], { env: { ...base, ...env }, encoding: 'utf8' }).stderr;
  };
  assert.doesNotMatch(run({}), ESC);
  assert.match(run({ FORCE_COLOR: '1' }), ESC);
});

test('colourLevel: the rule, case by case', () => {
  const tty = (env: NodeJS.ProcessEnv, flag = false, detected = 2) => colourLevel(flag, env, true, detected);
  assert.equal(tty({}), 2, 'the terminal\'s own level');
  assert.equal(tty({}, false, 0), 0, 'a terminal without colour (TERM=dumb)');
  assert.equal(tty({ NO_COLOR: '' }), 2, 'an empty NO_COLOR does not count');
  assert.equal(tty({ NO_COLOR: 'yes' }), 0);
  assert.equal(tty({ FORCE_COLOR: 'false' }), 0);
  assert.equal(tty({ FORCE_COLOR: '' }), 1);
  assert.equal(tty({ FORCE_COLOR: '3', NO_COLOR: '1' }), 3);
  assert.equal(tty({ FORCE_COLOR: '3' }, true), 0);
  assert.equal(colourLevel(false, {}, false, 2), 0, 'a pipe');
  assert.equal(colourLevel(false, { FORCE_COLOR: '2' }, false, 0), 2);
});
