// JSON Lines tagging against plain-text tagging, the whole `ner tag` process each time: ~1M tokens of
// CoNLL-2003 sentences, one sentence a line, as raw text (--format inline, the default) and as JSON Lines
// ({"id", "text"} a line, each sentence its own record: the most records, the most per-record work),
// output to /dev/null. Runs alternate (text, jsonl, text, jsonl, …) because the machine's speed drifts;
// each pair's ratio is reported, with wall time, CPU time (user + system: steadier on a shared machine)
// and peak RSS from /usr/bin/time.
//
//   node dist/scripts/bench-jsonl.js --model M --data ../shared/data/conll2003 [--pairs 3] [--tokens 1000000]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ner.js');

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
}

const model = arg('--model');
const data = arg('--data');
const pairs = Number(arg('--pairs', '3'));
const want = Number(arg('--tokens', '1000000'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-bench-jsonl-'));

// the sentences of train and dev, one per line, repeated up to `want` tokens
const sentences: string[] = [];
for (const name of ['train.txt', 'dev.txt']) {
  let words: string[] = [];
  for (const line of fs.readFileSync(path.join(data, name), 'utf8').split('\n')) {
    const w = line.trim().split(/\s+/)[0];
    if (!w || w === '-DOCSTART-') {
      if (words.length) sentences.push(words.join(' '));
      words = [];
    } else words.push(w);
  }
}
const lines: string[] = [];
let tokens = 0;
for (let i = 0; tokens < want; i = (i + 1) % sentences.length) {
  lines.push(sentences[i]);
  tokens += sentences[i].split(' ').length;
}
const text = path.join(dir, 'text.txt');
const jsonl = path.join(dir, 'text.jsonl');
fs.writeFileSync(text, lines.join('\n') + '\n');
fs.writeFileSync(jsonl, lines.map((l, i) => JSON.stringify({ id: i, text: l })).join('\n') + '\n');
process.stdout.write(`${tokens.toLocaleString('en-US')} tokens, ${lines.length.toLocaleString('en-US')} lines / records\n`);

interface Run { seconds: number; cpu: number; rssMb: number }

// stdout to /dev/null opened for writing, as `> /dev/null` does: ner tag refuses the read-write /dev/null
// that stdio 'ignore' gives, which is what a closed stdout looks like
const devNull = fs.openSync('/dev/null', 'w');

function run(args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, BIN, 'tag', ...args, '-m', model, '-q'], { encoding: 'utf8', stdio: ['ignore', devNull, 'pipe'] });
  const m = /([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`ner tag failed: ${r.stderr}`);
  return { seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024 };
}

process.stdout.write('pair  text: wall s  cpu s  MB   jsonl: wall s  cpu s  MB   jsonl/text speed: wall  cpu   RSS jsonl/text\n');
for (let p = 1; p <= pairs; p++) {
  const first = p % 2 === 1 ? 'text' : 'jsonl'; // who goes first alternates too
  const r: Record<string, Run> = {};
  for (const which of first === 'text' ? ['text', 'jsonl'] : ['jsonl', 'text']) {
    r[which] = run(which === 'text' ? [text] : [jsonl, '--input', 'jsonl']);
  }
  const { text: a, jsonl: b } = r;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  process.stdout.write(`${String(p).padEnd(4)}  ${a.seconds.toFixed(2).padStart(12)}  ${a.cpu.toFixed(2).padStart(5)}  ${a.rssMb.toFixed(0)}  ${b.seconds.toFixed(2).padStart(13)}  ${b.cpu.toFixed(2).padStart(5)}  ${b.rssMb.toFixed(0)}  ${pct(a.seconds / b.seconds).padStart(23)}  ${pct(a.cpu / b.cpu).padStart(7)}  ${pct(b.rssMb / a.rssMb).padStart(16)}\n`);
}
fs.rmSync(dir, { recursive: true, force: true });
