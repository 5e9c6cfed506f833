// kill -9 at random moments of a real training run (issue 15, "Done when" 2): after each kill, --output
// must hold a complete model (the one the user had, or one of this run's epochs), and the newest
// checkpoint must resume to the uninterrupted run's model, byte for byte.
//
//   npm run build && node dist/scripts/kill9.js --data ../shared/data/conll2003 [--kills 20] [--epochs 10] [--seed 1]
//
// The kills come in chains of up to --chain (10): a run is killed at a random moment of what is left
// of it, then resumed from its newest checkpoint and killed again, and so on; the last resume runs to
// the end and must give the uninterrupted run's model file, which holds only if every resume in the
// chain continued exactly. Chains alternate between a fresh --output and one that already holds a model
// (the user's). Bounded: about two reference runs' time per chain.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelFile } from '../src/io/model-io.js';
import { Rng } from '../src/rng.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const data = path.resolve(arg('data', path.join(ROOT, '../shared/data/conll2003')));
const kills = Number(arg('kills', '20'));
const epochs = arg('epochs', '10');
const rng = new Rng(Number(arg('seed', '1')));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-kill9-'));
const at = (name: string) => path.join(dir, name);
const TRAIN = ['train', '--train', path.join(data, 'train.txt'), '--dev', path.join(data, 'dev.txt'), '--epochs', epochs];

function run(args: string[]): { code: number | null; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Starts a run and kills it with SIGKILL after `ms`; resolves when it is gone. */
function killAfter(args: string[], ms: number): Promise<string | null> {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: 'ignore' });
  const timer = setTimeout(() => c.kill('SIGKILL'), ms);
  return new Promise((r) => c.on('close', (_code, sig) => {
    clearTimeout(timer);
    r(sig);
  }));
}

const sameHistoryPrefix = (a: { loss: number; dev: unknown }[], b: { loss: number; dev: unknown }[]) =>
  a.length <= b.length && a.every((r, i) => r.loss === b[i].loss && JSON.stringify(r.dev) === JSON.stringify(b[i].dev));

async function main(): Promise<void> {
  console.log(`kill9: ${kills} kills of: ner ${TRAIN.join(' ')}  (in ${dir})`);
  const ref = run([...TRAIN, '-q', '-o', 'ref.json']);
  if (ref.code !== 0) throw new Error(`reference run failed:\n${ref.stderr}`);
  const refBytes = fs.readFileSync(at('ref.json'));
  const refModel = readModelFile(at('ref.json'));
  console.log(`reference run: ${ref.seconds.toFixed(1)} s, ${refModel.history.length} epochs, best ${refModel.bestEpoch}`);
  const user = run(['train', '--train', path.join(data, 'dev.txt'), '--epochs', '1', '--seed', '2', '-q', '-o', 'user.json']);
  if (user.code !== 0) throw new Error(`user model failed:\n${user.stderr}`);
  const userBytes = fs.readFileSync(at('user.json'));

  const counts = { kills: 0, finishedBeforeKill: 0, chains: 0, completeOutput: 0, userModelKept: 0, epochModel: 0, finishedModel: 0, noOutputYet: 0, chainsResumedIdentical: 0, failures: 0 };
  const chain = Number(arg('chain', '10'));
  for (let c = 0; counts.kills < kills; c++) {
    counts.chains++;
    const out = `c${c}.json`;
    const ckpt = at(`${out}.ckpt`);
    const prior = c % 2 === 1;
    if (prior) fs.copyFileSync(at('user.json'), at(out));
    const problems: string[] = [];
    for (let k = 0; k < chain && counts.kills < kills; k++) {
      const resuming = fs.existsSync(ckpt);
      const done = resuming ? JSON.parse(fs.readFileSync(ckpt, 'utf8')).state.epoch - 1 : 0;
      // a random moment of what is left, plus the ~10 % a start costs (reading the data and vectors)
      const left = ref.seconds * ((refModel.history.length - done) / refModel.history.length + 0.1);
      const ms = Math.round(rng.next() * left * 1000);
      const sig = await killAfter(resuming ? ['train', '--resume', `${out}.ckpt`, '-q'] : [...TRAIN, '-q', '-o', out], ms);
      if (sig === 'SIGKILL') counts.kills++;
      else counts.finishedBeforeKill++;
      let what: string;
      if (!fs.existsSync(at(out))) {
        what = 'no output yet';
        if (prior) problems.push(`kill ${k + 1}: the user's model is gone`);
        else counts.noOutputYet++;
      } else {
        const bytes = fs.readFileSync(at(out));
        try {
          const m = readModelFile(at(out));
          counts.completeOutput++;
          if (bytes.equals(userBytes)) {
            what = 'the user\'s model';
            counts.userModelKept++;
          } else if (bytes.equals(refBytes)) {
            what = 'the finished model';
            counts.finishedModel++;
          } else if (!prior && sameHistoryPrefix(m.history, refModel.history)) {
            what = `this run's model after epoch ${m.history.length}`;
            counts.epochModel++;
          } else {
            what = 'another model';
            problems.push(`kill ${k + 1}: ${prior ? 'the user\'s model was replaced by an unfinished one' : 'a model that is not one of this run\'s epochs'}`);
          }
        } catch (err) {
          what = 'a broken file';
          problems.push(`kill ${k + 1}: --output is not a complete model: ${(err as Error).message}`);
        }
      }
      const next = fs.existsSync(ckpt) ? `checkpoint at epoch ${JSON.parse(fs.readFileSync(ckpt, 'utf8')).state.epoch}` : 'no checkpoint';
      console.log(`chain ${c + 1} (${prior ? 'existing' : 'fresh'} --output), kill ${k + 1}: ${resuming ? `resumed at epoch ${done + 1}` : 'new run'}, ${sig ?? 'finished'} at ${(ms / 1000).toFixed(1)} s: ${what}; ${next}`);
      if (sig === null) break; // the run finished before the kill
    }
    if (fs.existsSync(ckpt)) {
      const r = run(['train', '--resume', `${out}.ckpt`, '-q']);
      if (r.code !== 0) problems.push(`final resume failed (exit ${r.code}): ${r.stderr.trim()}`);
      else if (!fs.readFileSync(at(out)).equals(refBytes)) problems.push('the resumed model differs from the uninterrupted one');
    } else if (!fs.existsSync(at(out)) || !fs.readFileSync(at(out)).equals(refBytes)) {
      problems.push('no checkpoint left and --output is not the finished model');
    }
    if (problems.length === 0) counts.chainsResumedIdentical++;
    else counts.failures++;
    console.log(`chain ${c + 1}: ${problems.length === 0 ? 'resumed to the end: byte-identical to the uninterrupted model' : `FAIL: ${problems.join('; ')}`}`);
  }
  console.log(JSON.stringify(counts));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = counts.failures === 0 ? 0 : 1;
}

await main();
