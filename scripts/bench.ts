// `npm run bench` (issue 5): ner against the reference window model in ../shared/peer (numpy and PyTorch),
// on the same data and configuration, in one run, printed as one table with the ratio ner/reference.
//
//   node dist/scripts/bench.js [--data DIR] [--peer DIR] [--python PATH] [--tag-tokens N] [--runs N] [--keep]
//
// Defaults: --data ../shared/data/conll2003 (train.txt, dev.txt), --peer ../shared/peer, --python
// /usr/bin/python3, --tag-tokens 1000000, --runs 3. The peer rows are skipped, with a message, when the
// peer or Python with numpy and torch is missing.
//
// How each side is measured (every heavy step runs alone, one after another). The training and tagging
// runs of both sides are repeated in --runs rounds (each round runs every configuration once), and each
// figure in the table is the median of its runs; the footnote lists every training run. This machine's
// speed drifts by tens of per cent within a minute (its two virtual cores at times run these kernels at
// 30 GFLOP/s instead of 48), for ner and the reference alike, so the four training targets are measured
// in pairs: ner's run and the reference's run of the same configuration back to back (ner first in odd
// rounds, the reference first in even ones), and the ratio in the table (marked *) is the median of the
// rounds' ratios, not the ratio of two medians taken minutes apart.
//   - ner training: child processes of bin/ner.js, as a user runs it (`ner train --epochs 1`, window 2,
//     H = 100, casing, minibatch 32, lr 0.2, seed 1, softmax over BIO tags like the reference), with ner's
//     default threads (one per core, for both heads with these sizes). The same model on both sides, in
//     the two ways the reference trains it:
//       word vectors fixed (the reference's default): ner --lr-embed 0 against the reference as it is;
//       word vectors trained: ner --fine-tune against the reference with --finetune (both then update
//       the vector of every word in a window, through ∂J/∂x).
//     And for information: ner with --threads 1 (vectors fixed; the model files are the same whatever
//     the threads), and ner's defaults, which sit between the two: only ner's own word rows learn
//     (padding, <unk>, frequent words without a pretrained vector: 20 % of the window positions), set
//     against the reference's default.
//     tokens/s is the epoch line's figure (the training pass only); the dev evaluation's time is the
//     epoch's time minus the training pass, reported on its own row. Peak RSS: /usr/bin/time -f %M.
//   - the reference: peer_torch.py / peer_numpy.py --bench-tokens 203621 (one whole epoch of CoNLL-2003
//     train) with OPENBLAS_NUM_THREADS=1 and --threads 1 (its documented configuration), and torch with
//     2 threads as well; train_tps, tag_tps_e2e and t_load_npz are its own figures, peak RSS via
//     /usr/bin/time.
//   - ner tag: `ner tag` (a child process) on ~1M tokens of raw text made from the CoNLL sentences
//     (one sentence per line, the train and dev sentences repeated), output written to a file, with the
//     model of ner's default configuration (logistic head, subword vectors, shape, the training gazetteer; one
//     epoch of `ner train` without options: the epochs change the weights, not the work) against the
//     reference's configuration b, and with the ovr model of the training rows against its a. Two
//     figures: the whole process's wall time (start-up and embeddings load included), and the rate ner
//     reports itself with -v (read, tokenise, window, predict, write; load excluded). The peer's
//     tag_tps_e2e is in-memory sentences → windows → scores → tags (no reading, tokenising or writing).
//   - embeddings: loadEmbeddings() timed in a child process (this script with --child-embeddings) with
//     an empty cache folder (the first run: parse the wink JSON and write the binary cache), then again
//     (from the cache), as ner train, eval and tag load them (rows read from the cache when needed);
//     and once more with every row read into memory, for information. The peer's figure is its np.load
//     of the .npz.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/scripts → repo
const NER = path.join(ROOT, 'bin', 'ner.js');
const TIME = '/usr/bin/time';
const RSS_MARK = '__bench_maxrss_kb';

interface Options {
  data: string;
  peer: string;
  python: string;
  tagTokens: number;
  runs: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    data: path.resolve(ROOT, '..', 'shared', 'data', 'conll2003'),
    peer: path.resolve(ROOT, '..', 'shared', 'peer'),
    python: '/usr/bin/python3',
    tagTokens: 1_000_000,
    runs: 3,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--data') o.data = path.resolve(value());
    else if (a === '--peer') o.peer = path.resolve(value());
    else if (a === '--python') o.python = value();
    else if (a === '--tag-tokens') o.tagTokens = Number(value());
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node dist/scripts/bench.js [--data DIR] [--peer DIR] [--python PATH] [--tag-tokens N] [--runs N] [--keep]\n');
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(o.tagTokens) || o.tagTokens < 1000) fail('--tag-tokens must be a whole number ≥ 1000');
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 20) fail('--runs must be a whole number from 1 to 20');
  return o;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ── running children ────────────────────────────────────────────────────────────────────────────

interface Run {
  stdout: string;
  stderr: string;
  seconds: number; // wall time of the child
  peakMB: number | null; // peak RSS, when /usr/bin/time is there
}

const haveTime = fs.existsSync(TIME);

/** Runs a command to completion (stdout to `stdoutFile` when given), with its wall time and peak RSS. */
/** An environment with the variables set to undefined removed (how a run unsets one). */
function withoutUndefined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdoutFile?: string): Run {
  const argv = haveTime ? [TIME, '-f', `${RSS_MARK} %M`, cmd, ...args] : [cmd, ...args];
  const fd = stdoutFile ? fs.openSync(stdoutFile, 'w') : undefined;
  const t0 = performance.now();
  let r: SpawnSyncReturns<string>;
  try {
    r = spawnSync(argv[0], argv.slice(1), {
      cwd: ROOT,
      env: withoutUndefined({ ...process.env, NO_COLOR: '1', ...env }),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
    });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  const seconds = (performance.now() - t0) / 1000;
  const stderr = r.stderr ?? '';
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited with ${r.status}:\n${stderr.slice(-2000)}`);
  const m = new RegExp(`${RSS_MARK} (\\d+)`).exec(stderr);
  return { stdout: r.stdout ?? '', stderr, seconds, peakMB: m ? Number(m[1]) / 1024 : null };
}

// ── ner ─────────────────────────────────────────────────────────────────────────────────────────

interface NerTrain {
  tokens: number;
  tps: number; // training pass only
  epochSeconds: number; // training pass + dev evaluation
  devSeconds: number;
  peakMB: number | null;
  model: string;
}

/** How the word vectors learn: ner's defaults (its own rows), fixed (--lr-embed 0) or all (--fine-tune). */
type Vectors = 'own' | 'fixed' | 'tune';
const VECTOR_FLAGS: Record<Vectors, string[]> = { own: [], fixed: ['--lr-embed', '0'], tune: ['--fine-tune'] };

/** threads: 0 for ner's own choice (one per core when the minibatch's products are big enough to share). */
function nerTrain(o: Options, head: 'ovr' | 'softmax', threads: number, dir: string, env: NodeJS.ProcessEnv, vectors: Vectors): NerTrain {
  const model = path.join(dir, `${head}-${threads}-${vectors}.json`);
  const train = path.join(o.data, 'train.txt');
  // the reference's model: word vectors and casing only (no subword vectors, gazetteer, word shape or word
  // dropout), BIO tags for the softmax head (9 outputs on CoNLL-2003)
  const args = [NER, 'train', '--train', train, '--dev', path.join(o.data, 'dev.txt'), '--output', model, '--head', head,
    ...(head === 'ovr' ? [] : ['--scheme', 'BIO']), '--subword', '0', '--no-gazetteer-from-train', '--no-shape', '--word-dropout', '0', '--hidden', '100', '--window', '2', '--batch', '32', '--lr', '0.2', '--epochs', '1', '--seed', '1', ...(threads > 0 ? ['--threads', String(threads)] : []),
    ...VECTOR_FLAGS[vectors]];
  log(`ner train --head ${head}${threads > 0 ? ` --threads ${threads}` : ''} ${VECTOR_FLAGS[vectors].join(' ')} (one epoch) …`);
  const r = run(process.execPath, args, env);
  const text = r.stdout + r.stderr;
  const tokens = /train\.txt: [\d,]+ sentences, ([\d,]+) tokens/.exec(text);
  // epoch     loss  dev P  dev R dev F1    tok/s    time
  const line = /^\s+1\s+[\d.]+\s+\S+\s+\S+\s+\S+\s+([\d,]+)\s+([\d.]+)s/m.exec(text);
  if (!tokens || !line) throw new Error(`cannot read the epoch line of ner train:\n${text.slice(-2000)}`);
  const n = Number(tokens[1].replace(/,/g, ''));
  const tps = Number(line[1].replace(/,/g, ''));
  const epochSeconds = Number(line[2]);
  return { tokens: n, tps, epochSeconds, devSeconds: Math.max(0, epochSeconds - n / tps), peakMB: r.peakMB, model };
}

interface NerTag {
  tokens: number;
  wallTps: number; // the whole process, start-up and embeddings load included
  ownTps: number; // as ner tag -v reports it (after loading)
  peakMB: number | null;
}

function nerTag(model: string, text: string, dir: string, env: NodeJS.ProcessEnv): NerTag {
  log(`ner tag ${path.basename(text)} with ${path.basename(model)} …`);
  const r = run(process.execPath, [NER, 'tag', text, '--model', model, '--quiet', '--verbose'], env, path.join(dir, 'tagged.txt'));
  const m = /([\d,]+) tokens, [\d,]+ entities in [\d.]+ s \(([\d,]+) tokens\/s\)/.exec(r.stderr);
  if (!m) throw new Error(`cannot read ner tag -v's summary:\n${r.stderr.slice(-2000)}`);
  const tokens = Number(m[1].replace(/,/g, ''));
  return { tokens, wallTps: tokens / r.seconds, ownTps: Number(m[2].replace(/,/g, '')), peakMB: r.peakMB };
}

/** A model of ner's default configuration (one epoch: tagging does the same work whatever the epochs). */
function nerTrainDefault(o: Options, dir: string, env: NodeJS.ProcessEnv): string {
  const model = path.join(dir, 'default.json');
  log('ner train with the defaults (one epoch, for tagging) …');
  run(process.execPath, [NER, 'train', '--train', path.join(o.data, 'train.txt'), '--dev', path.join(o.data, 'dev.txt'), '--output', model, '--epochs', '1', '--seed', '1'], env);
  return model;
}

/** Seconds to load the default embeddings, in a fresh child process (first with an empty cache folder). */
function nerEmbeddings(env: NodeJS.ProcessEnv, allRows = false): number {
  const r = run(process.execPath, [fileURLToPath(import.meta.url), '--child-embeddings', ...(allRows ? ['all-rows'] : [])], env);
  const m = /^seconds (\S+)$/m.exec(r.stdout);
  if (!m) throw new Error(`embeddings child printed no time:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

async function childEmbeddings(): Promise<void> {
  const { loadEmbeddings } = await import('../src/embeddings/embeddings.js');
  const t0 = performance.now();
  const emb = await loadEmbeddings(undefined, { lazyVectors: process.argv[3] !== 'all-rows' });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`words ${emb.count}\nseconds ${seconds}\n`);
}

/** Raw text of about `tokens` tokens: the CoNLL sentences, one per line, repeated as needed. */
function makeText(o: Options, file: string, tokens: number): void {
  const sentences: string[] = [];
  for (const name of ['train.txt', 'dev.txt']) {
    let words: string[] = [];
    for (const line of fs.readFileSync(path.join(o.data, name), 'utf8').split('\n')) {
      const w = line.trim().split(/\s+/)[0];
      if (!w || w === '-DOCSTART-') {
        if (words.length) sentences.push(words.join(' '));
        words = [];
      } else words.push(w);
    }
    if (words.length) sentences.push(words.join(' '));
  }
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < tokens; i = (i + 1) % sentences.length) {
    lines.push(sentences[i]);
    n += sentences[i].split(' ').length;
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

// ── the reference ───────────────────────────────────────────────────────────────────────────────

interface PeerRun {
  trainTps: number;
  tagE2eTps: number;
  loadNpzSeconds: number;
  peakMB: number | null;
}

/** Why the peer cannot run here, or null. */
function peerMissing(o: Options): string | null {
  if (!fs.existsSync(path.join(o.peer, 'peer_torch.py'))) return `no reference at ${o.peer}`;
  if (!fs.existsSync(o.python)) return `no ${o.python}`;
  const r = spawnSync(o.python, ['-c', 'import numpy, torch'], { encoding: 'utf8' });
  if (r.status !== 0) return `${o.python} cannot import numpy and torch (apt-get install python3-numpy python3-torch)`;
  return null;
}

function peerRun(o: Options, impl: 'torch' | 'numpy', variant: 'a' | 'b', npz: string, tokens: number, threads = 1, finetune = false): PeerRun {
  log(`peer ${impl} --variant ${variant} --threads ${threads}${finetune ? ' --finetune' : ''} --bench-tokens ${tokens} …`);
  const args = [path.join(o.peer, `peer_${impl}.py`), '--variant', variant, '--casing', '--mb', '32', '--lr', '0.2', '--H', '100',
    '--win', '2', '--seed', '1', '--threads', String(threads), '--bench-tokens', String(tokens), '--data', o.data, '--emb', npz,
    ...(finetune ? ['--finetune'] : [])];
  // `threads` BLAS threads; and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which this workplace sets for old
  // OpenBLAS builds and which slow a current numpy, are unset for the reference's runs so that it runs at its best.
  const t = String(threads);
  const r = run(o.python, args, { OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined });
  let info: { t_load_npz?: number } = {};
  let bench: { train_tps?: number; tag_tps_e2e?: number } = {};
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line);
    if ('t_load_npz' in j) info = j;
    if ('train_tps' in j) bench = j;
  }
  if (bench.train_tps === undefined || bench.tag_tps_e2e === undefined || info.t_load_npz === undefined) {
    throw new Error(`cannot read the peer's figures:\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  }
  return { trainTps: bench.train_tps, tagE2eTps: bench.tag_tps_e2e, loadNpzSeconds: info.t_load_npz, peakMB: r.peakMB };
}

// ── medians ─────────────────────────────────────────────────────────────────────────────────────

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** The largest peak RSS of the runs, or null when it was not measured. */
function peak(runs: { peakMB: number | null }[]): number | null {
  const known = runs.map((r) => r.peakMB).filter((x): x is number => x !== null);
  return known.length ? Math.max(...known) : null;
}

function medianTrain(r: NerTrain[]): NerTrain {
  return { tokens: r[0].tokens, tps: median(r.map((x) => x.tps)), epochSeconds: median(r.map((x) => x.epochSeconds)), devSeconds: median(r.map((x) => x.devSeconds)), peakMB: peak(r), model: r[0].model };
}

function medianTag(r: NerTag[]): NerTag {
  return { tokens: r[0].tokens, wallTps: median(r.map((x) => x.wallTps)), ownTps: median(r.map((x) => x.ownTps)), peakMB: peak(r) };
}

function medianPeer(r: PeerRun[]): PeerRun {
  return { trainTps: median(r.map((x) => x.trainTps)), tagE2eTps: median(r.map((x) => x.tagE2eTps)), loadNpzSeconds: median(r.map((x) => x.loadNpzSeconds)), peakMB: peak(r) };
}

// ── the table ───────────────────────────────────────────────────────────────────────────────────

interface Row {
  what: string;
  ner: number | null;
  ref: number | null;
  unit: string;
  target: string; // what the ratio ner/ref (or ner's figure) should be
  paired?: number[]; // each round's ratio of back-to-back runs: the ratio shown is their median (marked *)
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return '–';
  if (unit === 'tok/s') return Math.round(v).toLocaleString('en-US');
  if (unit === 's') return v.toFixed(2);
  return v.toFixed(0);
}

function table(rows: Row[]): string {
  const head = ['measure', 'ner', 'reference', 'unit', 'ner/ref', 'target'];
  const cells = rows.map((r) => [r.what, fmt(r.ner, r.unit), fmt(r.ref, r.unit), r.unit,
    r.paired?.length ? `*${median(r.paired).toFixed(2)}×` : r.ner !== null && r.ref !== null ? `${(r.ner / r.ref).toFixed(2)}×` : '–', r.target]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 || i === 5 ? x.padEnd(width[i]) : x.padStart(width[i]))).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (i === 0 || i === 5 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child-embeddings') return childEmbeddings();
  const o = parseArgs(process.argv.slice(2));
  for (const f of ['train.txt', 'dev.txt']) {
    if (!fs.existsSync(path.join(o.data, f))) fail(`${path.join(o.data, f)} not found: pass --data DIR with CoNLL-2003 train.txt and dev.txt`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'fast', 'kernels.wasm'))) fail('dist/src/fast/kernels.wasm is missing: run `npm run build` (npm run bench does)');
  if (!haveTime) log(`note: ${TIME} not found, so peak RSS is not measured`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-bench-'));
  const env = { NER_CACHE_DIR: path.join(dir, 'cache') }; // a cache of its own: the first load builds it
  const started = performance.now();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  try {
    log('embeddings: first load (builds the cache) …');
    const embFirst = nerEmbeddings(env);
    log('embeddings: second load (from the cache) …');
    const embCached = nerEmbeddings(env);
    const embAllRows = nerEmbeddings(env, true);
    const threads = Math.min(2, os.availableParallelism());
    const text = path.join(dir, 'text.txt');
    makeText(o, text, o.tagTokens);
    const missing = peerMissing(o);
    if (missing) log(`reference skipped: ${missing}`);
    const npz = path.join(os.tmpdir(), 'ner-peer-emb.npz');
    if (!missing && !fs.existsSync(npz)) {
      log(`peer: converting the wink vectors to ${npz} (once) …`);
      run(o.python, [path.join(o.peer, 'convert_emb.py')]);
    }
    // o.runs rounds, each running every configuration once: this machine's speed drifts by tens of per cent
    // within a minute, so each figure is the median of its runs, and each target's ner run and reference run
    // are made back to back (ner first in odd rounds, the reference first in even ones), their ratio taken
    // in each round, and the table's ratio for that target is the median of these ratios
    const runs: Record<string, NerTrain[]> = {};
    const tagRuns: Record<string, NerTag[]> = {};
    const peerRuns: Record<string, PeerRun[]> = {};
    const paired: Record<string, number[]> = {}; // target → each round's ratio ner/reference
    const add = <T>(to: Record<string, T[]>, key: string, value: T) => (to[key] ??= []).push(value);
    // the reference trains on as many tokens as ner's epoch has (ner runs first in round 1)
    const tokens = () => runs['ovr-fixed'][0].tokens;
    const defaultModel = nerTrainDefault(o, dir, env);
    for (let round = 1; round <= o.runs; round++) {
      log(`round ${round} of ${o.runs}`);
      for (const [head, v] of [['ovr', 'a'], ['softmax', 'b']] as const) {
        for (const [how, finetune, peerKey] of [['fixed', false, `torch-${v}`], ['tune', true, `torch-${v}-finetune`]] as const) {
          const ner = () => add(runs, `${head}-${how}`, nerTrain(o, head, 0, dir, env, how)); // ner's default threads: one per core
          const ref = () => add(peerRuns, peerKey, peerRun(o, 'torch', v, npz, tokens(), 1, finetune));
          if (missing) ner();
          else {
            for (const f of round % 2 ? [ner, ref] : [ref, ner]) f();
            add(paired, `${head}-${how}`, runs[`${head}-${how}`].at(-1)!.tps / peerRuns[peerKey].at(-1)!.trainTps);
          }
        }
        if (threads > 1) add(runs, `${head}-fixed-1`, nerTrain(o, head, 1, dir, env, 'fixed'));
        add(runs, `${head}-own`, nerTrain(o, head, 0, dir, env, 'own'));
      }
      add(tagRuns, 'default', nerTag(defaultModel, text, dir, env));
      add(tagRuns, 'ovr', nerTag(runs['ovr-own'][0].model, text, dir, env));
      if (missing) continue;
      for (const v of ['a', 'b'] as const) {
        add(peerRuns, `numpy-${v}`, peerRun(o, 'numpy', v, npz, tokens()));
        if (threads > 1) add(peerRuns, `torch-${v}-${threads}`, peerRun(o, 'torch', v, npz, tokens(), threads));
      }
    }
    const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, medianTrain(v)]));
    const one = (head: string) => (threads > 1 ? m[`${head}-fixed-1`] : m[`${head}-fixed`]);
    const tagDefault = medianTag(tagRuns.default);
    const tagOvr = medianTag(tagRuns.ovr);
    const peer = missing ? null : Object.fromEntries(Object.entries(peerRuns).map(([k, v]) => [k, medianPeer(v)]));
    const p = (key: string, f: (r: PeerRun) => number | null): number | null => (peer?.[key] ? f(peer[key]) : null);
    const rows: Row[] = [];
    for (const [head, v] of [['ovr', 'a'], ['softmax', 'b']] as const) {
      const ref = (key: string) => p(key, (r) => r.trainTps);
      rows.push(
        { what: `train ${head}, vectors fixed: ner --lr-embed 0 | torch ${v}`, ner: m[`${head}-fixed`].tps, ref: ref(`torch-${v}`), unit: 'tok/s', target: '≥ 1.0×', paired: paired[`${head}-fixed`] },
        { what: `train ${head}, vectors trained: ner --fine-tune | torch ${v} --finetune`, ner: m[`${head}-tune`].tps, ref: ref(`torch-${v}-finetune`), unit: 'tok/s', target: '≥ 1.0×', paired: paired[`${head}-tune`] },
        { what: `train ${head}, ner's defaults (own rows learn) | torch ${v}`, ner: m[`${head}-own`].tps, ref: ref(`torch-${v}`), unit: 'tok/s', target: '' },
        { what: `train ${head}, vectors fixed, ner 1 thread | torch ${v}`, ner: one(head).tps, ref: ref(`torch-${v}`), unit: 'tok/s', target: '' },
        { what: `train ${head}, vectors fixed, ner 1 thread | numpy ${v}`, ner: one(head).tps, ref: ref(`numpy-${v}`), unit: 'tok/s', target: '' },
        { what: `train ${head}, vectors fixed, ner ${threads} threads | torch ${v} ${threads} threads`, ner: m[`${head}-fixed`].tps, ref: ref(`torch-${v}-${threads}`), unit: 'tok/s', target: '' },
      );
    }
    const own = { ovr: m['ovr-own'], soft: m['softmax-own'] };
    rows.push(
      { what: 'dev evaluation per epoch, ovr (ner only)', ner: own.ovr.devSeconds, ref: null, unit: 's', target: `${((100 * own.ovr.devSeconds) / own.ovr.epochSeconds).toFixed(0)} % of the epoch` },
      { what: 'dev evaluation per epoch, softmax (ner only)', ner: own.soft.devSeconds, ref: null, unit: 's', target: `${((100 * own.soft.devSeconds) / own.soft.epochSeconds).toFixed(0)} % of the epoch` },
      { what: `tag default model, whole process (${(tagDefault.tokens / 1e6).toFixed(2)}M tok | torch b e2e)`, ner: tagDefault.wallTps, ref: p('torch-b', (r) => r.tagE2eTps), unit: 'tok/s', target: '≥ 2.0×' },
      { what: 'tag default model, after load (ner -v | torch b e2e)', ner: tagDefault.ownTps, ref: p('torch-b', (r) => r.tagE2eTps), unit: 'tok/s', target: '≥ 2.0×' },
      { what: 'tag ovr, whole process (| torch a e2e)', ner: tagOvr.wallTps, ref: p('torch-a', (r) => r.tagE2eTps), unit: 'tok/s', target: '≥ 2.0×' },
      { what: 'tag ovr, after load (ner -v | torch a e2e)', ner: tagOvr.ownTps, ref: p('torch-a', (r) => r.tagE2eTps), unit: 'tok/s', target: '≥ 2.0×' },
      { what: 'embeddings ready, cached (ner | np.load .npz)', ner: embCached, ref: p('torch-b', (r) => r.loadNpzSeconds), unit: 's', target: 'ner ≤ 0.5 s' },
      { what: 'embeddings cached, all 137 MB of rows read (ner | .npz)', ner: embAllRows, ref: p('torch-b', (r) => r.loadNpzSeconds), unit: 's', target: '' },
      { what: 'embeddings, first run: parse + write cache (ner | .npz)', ner: embFirst, ref: p('torch-b', (r) => r.loadNpzSeconds), unit: 's', target: 'ner ≤ 6 s' },
      { what: 'peak RSS, train softmax, defaults (ner | torch b run)', ner: own.soft.peakMB, ref: p('torch-b', (r) => r.peakMB), unit: 'MB', target: 'ner ≤ 450 MB' },
      { what: 'peak RSS, train ovr, defaults (ner | torch a run)', ner: own.ovr.peakMB, ref: p('torch-a', (r) => r.peakMB), unit: 'MB', target: 'ner ≤ 450 MB' },
      { what: 'peak RSS, train ovr, fine-tuned (ner | torch a --finetune run)', ner: m['ovr-tune'].peakMB, ref: p('torch-a-finetune', (r) => r.peakMB), unit: 'MB', target: 'ner ≤ 450 MB' },
      { what: 'peak RSS, tag default model (ner | numpy b run)', ner: tagDefault.peakMB, ref: p('numpy-b', (r) => r.peakMB), unit: 'MB', target: 'ner ≤ 300 MB' },
      { what: 'peak RSS, tag ovr (ner | numpy a run)', ner: tagOvr.peakMB, ref: p('numpy-a', (r) => r.peakMB), unit: 'MB', target: 'ner ≤ 300 MB' },
    );
    process.stdout.write(`\n${table(rows)}\n\n`);
    const each = (name: string, list: { tps?: number; trainTps?: number }[] | undefined) =>
      list ? `${name} ${list.map((r) => Math.round((r.tps ?? r.trainTps ?? 0) / 1000)).join('/')}k` : '';
    if (Object.keys(paired).length)
      process.stdout.write(
        '* the median of the rounds\' ratios of a ner run and the reference\'s run made back to back (ner first in odd rounds): ' +
          Object.entries(paired).map(([k, v]) => `${k} ${v.map((x) => x.toFixed(2)).join('/')}`).join('; ') + '. Other ratios: of the medians.\n',
      );
    process.stdout.write(
      `Medians of ${o.runs} runs (peak RSS: the largest). Training runs, tok/s: ` +
        [...Object.entries(runs).map(([k, v]) => each(`ner ${k}`, v)), ...Object.entries(peerRuns).map(([k, v]) => each(k, v))].filter((x) => x).join('; ') + '.\n',
    );
    process.stdout.write(
      `CoNLL-2003 train ${own.soft.tokens.toLocaleString('en-US')} tokens, window 2, H=100, casing, minibatch 32, lr 0.2, softmax over BIO tags; ` +
        `the reference's threads: OPENBLAS_NUM_THREADS and torch --threads. ner train tok/s: the training pass of one epoch; the reference: ` +
        `--bench-tokens ${own.soft.tokens} (one epoch, no dev evaluation). Reference peak RSS is of its whole run (data, training, tagging).\n` +
        `Load average at the start: ${load}; at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs); ` +
        `bench time ${((performance.now() - started) / 1000).toFixed(0)} s.\n`,
    );
  } finally {
    if (o.keep) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
