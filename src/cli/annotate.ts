// `ner annotate`: label raw text on a local page, with the model in the loop (src/annotate/). The verb
// reads the options and the text, starts the session's server on loopback, prints its address and
// waits for Ctrl-C. Everything accepted is already on disk when the page shows it as saved.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { DEFAULT_EMBEDDINGS } from '../embeddings/embeddings.js';
import { tokenize } from '../data/tokenize.js';
import { serveSession } from '../annotate/server.js';
import { Session } from '../annotate/session.js';
import { MEASURES, type Measure } from '../annotate/uncertainty.js';
import { collect, intOption, loadEmbeddingsFor, loadModelFor, paint, shown } from './common.js';
import { isLoopback } from '../io/http.js';
import { guardRun } from '../io/outputs.js';

interface AnnotateOpts {
  out: string;
  model?: string;
  dev?: string;
  train?: string[];
  types?: string;
  every: number;
  by: Measure;
  seed: number;
  port: number;
  host: string;
  saveModel?: string;
  embeddings?: string;
  quiet?: boolean;
}

export function annotateCommand(): Command {
  return new Command('annotate')
    .description('label raw text on a local page, one sentence at a time; the model retrains as you go and asks what it is least sure of')
    .argument('<text>', 'raw text file (one paragraph or sentence per line)')
    .requiredOption('-o, --out <file>', 'the labelled CoNLL file: each accepted sentence is appended at once; a restart goes on where it stopped')
    .option('-m, --model <file>', 'a model to pre-annotate and choose sentences with from the start (default: the one this session saved before, if any)')
    .option('--dev <file>', 'labelled CoNLL dev data: early stopping for each retraining and the dev F1 curve on the page')
    .option('--train <file>', 'labelled CoNLL seed data added to every retraining (repeatable)', collect)
    .option('--types <list>', 'entity types and their keys 1, 2, … (default: the model\'s types, else PER,LOC,ORG,MISC)')
    .option('--every <n>', 'retrain after every n accepted sentences', intOption('--every', 1), 20)
    .addOption(new Option('--by <measure>', 'which sentence to ask next: lc = least-confident Viterbi path per token; margin; entropy; random').choices([...MEASURES]).default('lc'))
    .option('--seed <n>', 'seed of the random order (before the first model) and of every retraining', intOption('--seed', 0), 1)
    .option('--port <n>', 'port (0: any free one)', intOption('--port', 0, 65535), 8765)
    .option('--host <address>', 'address to listen on (loopback by default: the page has no login)', '127.0.0.1')
    .option('--save-model <file>', 'where each retrained model is saved (default: OUT with .model.json)')
    .option('--embeddings <file>', 'word vectors (default: the model\'s, else the default vectors)')
    .option('-q, --quiet', 'no progress messages')
    .addHelpText('after', `
Keys on the page: Enter accept, ←/→ move, Shift+←/→ (or drag) select words, 1…9 mark the selection with
a type (or change the type of the entity under the cursor), x remove, s skip, z undo.

Examples:
  $ ner annotate notes.txt --out notes.conll                       # then open the address it prints
  $ ner annotate notes.txt --out notes.conll --dev dev.conll --every 50
  $ ner train --train notes.conll --output models/notes.json       # when you have labelled enough`)
    .action(async (text: string, opts: AnnotateOpts) => {
      await runAnnotate(text, opts);
    });
}

/** The sentences of a raw text file, as tokens. */
export function readText(file: string): string[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new DataError(file, undefined, 'is a directory, expected a text file', 'pass a file inside it');
    throw new DataError(file, undefined, 'file not found', 'check the path');
  }
  const sentences = tokenize(text).map((s) => s.map((t) => t.text));
  if (sentences.length === 0) throw new DataError(file, undefined, 'the text has no words', 'pass a text file with one paragraph or sentence per line');
  return sentences;
}

async function runAnnotate(textFile: string, opts: AnnotateOpts): Promise<void> {
  const say = (msg: string) => {
    if (!opts.quiet) process.stderr.write(`${paint.dim(msg)}\n`);
  };
  const out = opts.out;
  const ext = path.extname(out);
  const modelOut = opts.saveModel ?? (ext === '' ? out : out.slice(0, -ext.length)) + '.model.json';
  const inputs = [textFile, ...(opts.train ?? []), ...(opts.dev ? [opts.dev] : []), ...(opts.model ? [opts.model] : [])];
  guardRun({
    inputs: inputs.map((file) => ({ option: 'an input', file })),
    outputs: [{ option: '--out', file: out }, { option: '--save-model', file: modelOut }],
  });
  for (const f of [...(opts.train ?? []), ...(opts.dev ? [opts.dev] : [])]) {
    if (!fs.existsSync(f)) throw new DataError(f, undefined, 'file not found', 'check the path');
  }
  const given = opts.types?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (given !== undefined && (given.length === 0 || given.length > 9)) throw new UsageError(`--types ${opts.types}: expected 1 to 9 types`, 'e.g. --types PER,LOC,ORG,MISC');
  if (given?.some((t) => !/^[A-Za-z][\w-]*$/.test(t))) throw new UsageError(`--types ${opts.types}: a type is a name of letters, digits, _ or -`, 'e.g. --types PER,LOC,ORG,MISC');
  const sentences = readText(textFile);
  const modelFile = opts.model ?? (fs.existsSync(modelOut) ? modelOut : undefined);
  const model = modelFile === undefined ? null : await loadModelFor(modelFile, opts.embeddings, opts.quiet ?? false);
  const embeddings = model?.words.emb ?? (await loadEmbeddingsFor(opts.embeddings ?? DEFAULT_EMBEDDINGS, opts.quiet ?? false, true));
  const types = given ?? model?.labels.types.slice(0, 9) ?? ['PER', 'LOC', 'ORG', 'MISC'];
  const session = new Session({
    sentences, out, types, model, embeddings: embeddings!, trainFiles: opts.train ?? [], dev: opts.dev ?? null,
    every: opts.every, by: opts.by, seed: opts.seed, modelOut, log: say,
  });
  const st = session.state();
  if (st.repairedBytes > 0) say(`${shown(out)}: dropped a torn last sentence (${st.repairedBytes} bytes, never accepted)`);
  say(`${shown(textFile)}: ${st.total} sentences; ${st.labelled} already labelled in ${shown(out)}, ${st.left} left`);
  if (modelFile !== undefined) say(`model ${shown(modelFile)}: asking the least certain first (${opts.by})`);
  const served = await serveSession(session, { host: opts.host, port: opts.port });
  if (!isLoopback(opts.host)) say(`warning: listening on ${opts.host}: anyone who can reach it can label (and undo) in your file`);
  process.stdout.write(`annotate: ${served.url}  (Ctrl-C to stop; every accepted sentence is already saved)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
  const end = session.state();
  say(`${shown(out)}: ${end.labelled} sentences, ${end.entities} entities (${end.accepted} this session). Train with: ner train --train ${out}`);
  // a retraining still running is dropped with the process: its model file is written atomically
  process.exit(0);
}
