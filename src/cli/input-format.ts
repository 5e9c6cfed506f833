// The options every verb that reads labelled data shares (--input-format, --offsets, --skip-invalid), and
// reading such a file with its problems shown on stderr: what was left out, skipped or adapted, with
// counts and the first examples. Shown even with --quiet: nothing is left out silently.

import { Command, Option } from 'commander';
import * as path from 'node:path';
import type { Corpus } from '../data/conll.js';
import { FORMATS, OFFSET_UNITS, readLabelled, type InputFormat, type OffsetUnit, type Problems } from '../data/formats/index.js';
import { paint, shown } from './common.js';

export interface InputFormatOpts {
  inputFormat?: InputFormat;
  offsets?: OffsetUnit;
  skipInvalid?: boolean;
}

/** Adds --input-format, --offsets and --skip-invalid to a verb that reads labelled files. */
export function addInputFormatOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--input-format <format>', 'format of the labelled files: auto detects it from the content (a folder or .ann: brat)').choices(['auto', ...FORMATS]).default('auto'))
    .addOption(new Option('--offsets <unit>', 'unit of the character offsets in annotation-tool files: codepoint (what doccano, Label Studio, brat and spaCy write) or utf16').choices([...OFFSET_UNITS]).default('codepoint'))
    .option('--skip-invalid', 'leave out spans and records that cannot be used (overlapping spans, offsets past the text, records without text) instead of stopping; each is listed');
}

/** Prints a read's problems on stderr: errors left out (with --skip-invalid), warnings, skipped records. */
export function showProblems(file: string, problems: Problems): void {
  const block = (label: string, lines: string[]) => {
    // the examples name files relative to the working directory, as the user typed them
    const text = lines.join('\n  ').replaceAll(process.cwd() + path.sep, '');
    if (lines.length > 0) process.stderr.write(`${label} ${shown(file)}: ${text}\n`);
  };
  block(paint.yellow('left out of'), problems.describe(['error']));
  block(paint.yellow('warning:'), problems.describe(['warning']));
  block(paint.dim('skipped in'), problems.describe(['skipped']));
}

/** Reads a labelled file in any format as a Corpus, showing its problems. */
export function readLabelledFor(file: string, opts: InputFormatOpts & { tagColumn?: number }): Corpus {
  // (named as the user sees it: relative to the working directory when that is shorter)
  const { corpus, problems } = readLabelled(file === '-' ? file : shown(file), { format: opts.inputFormat, unit: opts.offsets, skipInvalid: opts.skipInvalid, tagColumn: opts.tagColumn });
  showProblems(corpus.file, problems);
  return corpus;
}
