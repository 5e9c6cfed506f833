// `ner package`: writes a model that carries the pretrained vectors it needs, so that the file alone tags.

import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import { readConll } from '../data/conll.js';
import { QUANTIZE, type Quantize } from '../embeddings/packaged.js';
import { packageModel } from '../io/package.js';
import { saveModel } from '../io/model-io.js';
import { DEFAULT_MODEL, intOption, loadModelFor, paint, shown } from './common.js';
import { guardRun } from '../io/outputs.js';

export const PACKAGE_MAX_WORDS = 100_000;
export const PACKAGE_QUANTIZE: Quantize = 'int8';

export function packageCommand(): Command {
  return new Command('package')
    .description('write a model that carries its pretrained vectors: the file alone then tags and evaluates')
    .argument('[model]', 'the model to package', DEFAULT_MODEL)
    .requiredOption('--out <file>', 'where to write the packaged model')
    .option('--max-words <N>', 'also keep the N most frequent words of the vectors (for words unseen in training)', intOption('--max-words', 0), PACKAGE_MAX_WORDS)
    .addOption(new Option('--quantize <type>', 'how vector values are stored: f32 exact, f16 2 bytes, int8 1 byte with a scale per row').choices(QUANTIZE).default(PACKAGE_QUANTIZE))
    .option('--vocab <file...>', 'CoNLL file(s) whose words must keep their vectors (default: the files the model was trained on)')
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .option('-q, --quiet', 'print only errors')
    .addHelpText('after', `
Examples:
  $ ner package models/conll.json --out models/conll-packed.json
  $ ner package models/conll.json --out models/conll-f16.json --max-words 100000 --quantize f16`)
    .action(runPackage);
}

interface PackageOpts {
  out: string;
  maxWords: number;
  quantize: Quantize;
  vocab?: string[];
  embeddings?: string;
  quiet?: boolean;
}

async function runPackage(modelFile: string, opts: PackageOpts): Promise<void> {
  guardRun({ inputs: [{ option: 'the model', file: modelFile }, { option: '--embeddings', file: opts.embeddings }], outputs: [{ option: '--out', file: opts.out }] });
  const model = await loadModelFor(modelFile, opts.embeddings, !!opts.quiet);
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  const vocabFiles = opts.vocab ?? model.trainedOn.files.filter((f) => {
    if (fs.existsSync(f)) return true;
    process.stderr.write(`${paint.yellow('warning:')} the training file ${shown(f)} is not there: its words keep a vector only if among the first ${opts.maxWords.toLocaleString('en-US')} (pass it with --vocab)\n`);
    return false;
  });
  const vocabulary = function* () {
    for (const f of vocabFiles) for (const s of readConll(f).sentences) yield* s.tokens;
  };
  const { model: packed, rows, fromVocabulary } = packageModel(model, { maxWords: opts.maxWords, quantize: opts.quantize, vocabulary: vocabulary() });
  saveModel(packed, opts.out);
  const mb = (fs.statSync(opts.out).size / 1e6).toFixed(1);
  say(`packaged ${shown(modelFile)} → ${shown(opts.out)}: ${rows.toLocaleString('en-US')} vectors (the first ${(rows - fromVocabulary).toLocaleString("en-US")} words + ${fromVocabulary.toLocaleString('en-US')} more of the training words), ${opts.quantize}, ${mb} MB`);
}
