// `ner convert IN OUT --to FORMAT`: labelled data from one annotation tool's format to another's (or to
// and from CoNLL). Span formats go to span formats as they are (overlapping spans too, which those
// formats can hold); to CoNLL the spans are mapped to tokens (src/data/formats/align.ts), and what that
// cannot keep is an error listed in full unless --skip-invalid. From CoNLL, each sentence becomes a record
// (brat: the whole file one document, a sentence a line) that keeps its tokens: CoNLL → X → CoNLL gives
// the same tokens and tags wherever ner's tokenizer splits the text as the file did (spaCy's records
// carry the tokens themselves, so there always).

import { Command, Option } from 'commander';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import type { TagScheme } from '../data/tags.js';
import { writeFileAtomic } from '../io/atomic.js';
import { FORMATS, formatDocs, joinDocs, readDocs, writeBrat, type FormatName } from '../data/formats/index.js';
import { intOption, out, paint, shown } from './common.js';
import { guardRun } from '../io/outputs.js';
import { addInputFormatOptions, showProblems, type InputFormatOpts } from './input-format.js';

interface ConvertOpts extends InputFormatOpts {
  to?: FormatName;
  scheme?: TagScheme;
  tagColumn?: number;
  quiet?: boolean;
}

const BY_EXTENSION: Record<string, FormatName> = { '.conll': 'conll', '.bio': 'conll', '.iob': 'conll', '.json': 'labelstudio' };

export function convertCommand(): Command {
  return addInputFormatOptions(new Command('convert'))
    .description('convert labelled data between CoNLL, doccano, Label Studio, brat and spaCy/Prodigy')
    .argument('<in>', 'labelled file (a folder or .ann for brat); - reads stdin')
    .argument('<out>', 'file to write (- : stdout); for brat a folder')
    .addOption(new Option('--to <format>', 'output format (default from OUT\'s extension: .conll → conll, .json → labelstudio)').choices([...FORMATS]))
    .option('--tag-column <n>', 'CoNLL input: column holding the tag (1-based; default: the last)', intOption('--tag-column', 2, 1000))
    .addOption(new Option('--scheme <scheme>', 'CoNLL output: tag scheme (CoNLL-2003 itself is IOB1)').choices(['IOB2', 'IOB1', 'IOBES']).default('IOB2'))
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText('after', `
Offsets are written in the unit --offsets names (default: code points, as the tools expect).

Examples:
  $ ner convert export.jsonl train.conll                 # doccano or spaCy JSONL → CoNLL
  $ ner convert project-3.json train.conll --to conll    # Label Studio export → CoNLL
  $ ner convert train.conll tasks.json --to labelstudio  # CoNLL → Label Studio tasks to import
  $ ner convert brat-folder/ out.jsonl --to doccano`)
    .action((input: string, output: string, opts: ConvertOpts) => runConvert(input, output, opts));
}

export async function runConvert(input: string, output: string, opts: ConvertOpts): Promise<void> {
  const to = opts.to ?? BY_EXTENSION[path.extname(output).toLowerCase()];
  if (to === undefined) {
    throw new UsageError(`which format to write ${output} in?`, `name it with --to ${FORMATS.join('|')}`);
  }
  if (to === 'brat' && output === '-') throw new UsageError('brat output is a folder of .txt and .ann files, not stdout', 'name a folder: ner convert IN out-folder --to brat');
  // (brat writes a folder of files, which guardRun's one-file checks do not fit)
  if (output !== '-' && to !== 'brat') guardRun({ inputs: [{ option: 'IN', file: input }], outputs: [{ option: 'OUT', file: output }] });
  const { docs: read, format, problems } = readDocs(input, { format: opts.inputFormat, unit: opts.offsets, skipInvalid: opts.skipInvalid, tagColumn: opts.tagColumn });
  const file = input === '-' ? '<stdin>' : input;
  // From CoNLL to brat: the file is one document, a sentence a line.
  const docs = format === 'conll' && to === 'brat' ? [joinDocs(read, path.basename(input).replace(/\.[^.]*$/, ''))] : read;
  // (to CoNLL, making the text maps the spans to tokens, which finds what IOB tags cannot hold)
  const text = to === 'brat' ? '' : formatDocs(to, docs, problems, { unit: opts.offsets, scheme: opts.scheme });
  problems.check(file, !!opts.skipInvalid); // every problem at once, and nothing written when something would be lost
  let written: string;
  if (to === 'brat') {
    const files = writeBrat(output, docs, opts.offsets);
    written = `${files.length / 2} document${files.length === 2 ? '' : 's'} (.txt + .ann) in ${shown(output)}`;
  } else {
    if (output === '-') await out(text);
    else writeFileAtomic(output, text);
    written = shown(output);
  }
  showProblems(file, problems);
  if (!opts.quiet) {
    const spans = docs.reduce((a, d) => a + d.spans.length, 0);
    process.stderr.write(`${paint.green('wrote')} ${written}: ${docs.length.toLocaleString('en-US')} record${docs.length === 1 ? '' : 's'}, ${spans.toLocaleString('en-US')} span${spans === 1 ? '' : 's'} (${format} → ${to})\n`);
  }
}
