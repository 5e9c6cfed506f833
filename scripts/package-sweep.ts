// Size, load time and dev F1 of a model packaged with its vectors, for several --max-words and each
// quantisation, against the unpackaged model (the table in README "Ship a model"):
//   node dist/scripts/package-sweep.js MODEL DEV.conll [N …]
// The vocabulary kept is the model's training files' words, as `ner package` does by default.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConll } from '../src/data/conll.js';
import { QUANTIZE } from '../src/embeddings/packaged.js';
import { evaluate, loadModel, readModelFile, saveModel } from '../src/index.js';
import { packageModel } from '../src/io/package.js';
import { attachEmbeddings } from '../src/io/model-io.js';

const [modelFile, devFile, ...ns] = process.argv.slice(2);
const counts = ns.length > 0 ? ns.map(Number) : [0, 10_000, 50_000, 100_000];
const model = await loadModel(modelFile);
const dev = readConll(devFile);
const f1 = (m: typeof model) => evaluate(m, dev).f1;
const vocabulary = model.trainedOn.files.flatMap((f) => readConll(f).sentences.flatMap((s) => s.tokens));
const mb = (f: string) => (fs.statSync(f).size / 1e6).toFixed(1);
const base = f1(model);
console.log(`| vectors kept | quantisation | file size | load | dev F1 | Δ F1 |`);
console.log(`|---|---|---|---|---|---|`);
console.log(`| none (unpackaged: needs the ${model.embeddings.count.toLocaleString('en-US')}-word vectors) | – | ${mb(modelFile)} MB | – | ${base.toFixed(2)} | – |`);
const out = path.join(os.tmpdir(), `ner-package-sweep-${process.pid}.json`);
for (const n of counts) {
  for (const quantize of QUANTIZE) {
    const { model: packed, rows } = packageModel(model, { maxWords: n, quantize, vocabulary });
    saveModel(packed, out);
    const t = performance.now();
    const mf = readModelFile(out);
    const loaded = attachEmbeddings(mf, mf.packaged!);
    const ms = performance.now() - t;
    const score = f1(loaded);
    console.log(`| first ${n.toLocaleString('en-US')} + training words = ${rows.toLocaleString('en-US')} | ${quantize} | ${mb(out)} MB | ${ms.toFixed(0)} ms | ${score.toFixed(2)} | ${(score - base).toFixed(2)} |`);
  }
}
fs.rmSync(out, { force: true });
