// Problems found while reading an annotation-tool export, collected instead of thrown one at a time, so a
// user sees every kind of problem at once with a count and the first examples (file, record, line).
// Three severities:
//   error   — an annotation would be lost (an overlapping span, offsets past the text, a record with no
//             text): the read stops, unless the caller asked to skip them (then each is still counted);
//   warning — the data is adapted and nothing is lost (a token split at a span's boundary, say);
//   skipped — the file itself says to leave the record out (a rejected answer, a cancelled annotation).

import { DataError } from '../../errors.js';

/** Where a record is: the file, its 1-based number in the file (0: not numbered) and, for JSON Lines and brat, its line. */
export interface Where {
  file: string;
  record: number;
  line?: number;
}

export type Severity = 'error' | 'warning' | 'skipped';

interface Kind {
  severity: Severity;
  /** A plural noun phrase: "N <what>". */
  what: string;
  fix: string;
}

export const PROBLEM_KINDS = {
  'bad-json': { severity: 'error', what: 'lines that are not valid JSON', fix: 'export the file again from the tool (a last line cut short means the export was interrupted)' },
  'no-text': { severity: 'error', what: 'records without a text', fix: 'give every record its text as a string ("text", or "data": {"text"} for Label Studio)' },
  'bad-record': { severity: 'error', what: 'records of the wrong shape', fix: 'each record must be a JSON object in the format named' },
  'bad-span': { severity: 'error', what: 'spans of the wrong shape', fix: 'a span needs whole-number start and end offsets and a label that is a non-empty string' },
  'past-end': { severity: 'error', what: 'spans with offsets past the end of the text', fix: 'offsets count characters (code points) from 0 to the text\'s length; if the tool counted UTF-16 units, pass --offsets utf16' },
  'empty-span': { severity: 'error', what: 'empty spans (end not after start, or only spaces)', fix: 'remove them in the tool' },
  'text-mismatch': { severity: 'error', what: 'spans whose recorded text differs from the text at their offsets', fix: 'the offsets are wrong or count other units (if the tool counted UTF-16 units, pass --offsets utf16)' },
  'several-labels': { severity: 'error', what: 'spans with several labels', fix: 'give each span one label' },
  overlap: { severity: 'error', what: 'overlapping spans (IOB tags hold one entity per token; the later span is left out)', fix: 'remove one of each pair in the tool' },
  'no-token': { severity: 'error', what: 'spans that cover no token (only punctuation the tokenizer drops, or spaces)', fix: 'remove them or widen them to a word' },
  'inside-token': { severity: 'warning', what: 'span boundaries inside a token (the token is split there)', fix: 'nothing is lost; check that the span was meant to cut the word' },
  discontinuous: { severity: 'warning', what: 'discontinuous spans (each piece is tagged as an entity of its own)', fix: 'if the pieces are one entity, make it one continuous span' },
  trimmed: { severity: 'warning', what: 'spans with spaces at an edge (trimmed)', fix: 'nothing is lost' },
  joined: { severity: 'warning', what: 'spans across a sentence end (the sentences are tagged as one)', fix: 'nothing is lost' },
  duplicate: { severity: 'warning', what: 'spans given twice (kept once)', fix: 'nothing is lost' },
  'several-annotations': { severity: 'warning', what: 'tasks with several annotations (the ground truth, else the latest, is used)', fix: 'mark the one to use as ground truth in Label Studio' },
  ignored: { severity: 'warning', what: 'annotations of a kind ner does not use (relations, events, attributes, notes, choices)', fix: 'nothing of the entities is lost' },
  rejected: { severity: 'skipped', what: 'records rejected or ignored in the tool ("answer": "reject" or "ignore")', fix: '' },
  cancelled: { severity: 'skipped', what: 'annotations cancelled in the tool (was_cancelled)', fix: '' },
  unlabelled: { severity: 'skipped', what: 'documents with no annotation (a Label Studio task with predictions only, a brat .txt without .ann)', fix: '' },
} as const satisfies Record<string, Kind>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export interface Problem {
  kind: ProblemKind;
  where: Where;
  message: string;
}

const EXAMPLES = 3;

/** "file record 3 (line 3)"; "file line 7" where records are not numbered (brat's .ann lines: record 0). */
export function whereText(w: Where): string {
  if (w.record === 0) return `${w.file}${w.line !== undefined ? ` line ${w.line}` : ''}`;
  return `${w.file} record ${w.record}${w.line !== undefined ? ` (line ${w.line})` : ''}`;
}

/** Collects the problems of one read: a count per kind and its first examples. */
export class Problems {
  private readonly counts = new Map<ProblemKind, number>();
  private readonly examples = new Map<ProblemKind, Problem[]>();

  add(kind: ProblemKind, where: Where, message: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const list = this.examples.get(kind) ?? [];
    if (list.length < EXAMPLES) list.push({ kind, where, message });
    this.examples.set(kind, list);
  }

  count(kind: ProblemKind): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Counts by kind, in the order of PROBLEM_KINDS. */
  entries(): { kind: ProblemKind; severity: Severity; count: number; examples: Problem[] }[] {
    return (Object.keys(PROBLEM_KINDS) as ProblemKind[])
      .filter((k) => this.count(k) > 0)
      .map((k) => ({ kind: k, severity: PROBLEM_KINDS[k].severity, count: this.count(k), examples: this.examples.get(k) ?? [] }));
  }

  errors(): number {
    return this.entries().filter((e) => e.severity === 'error').reduce((a, e) => a + e.count, 0);
  }

  /** One block per kind of the given severities: "N what" then the first examples, indented. */
  describe(severities: Severity[]): string[] {
    const lines: string[] = [];
    for (const e of this.entries()) {
      if (!severities.includes(e.severity)) continue;
      lines.push(`${e.count} ${PROBLEM_KINDS[e.kind].what}${e.count > e.examples.length ? `, the first ${e.examples.length}:` : ':'}`);
      for (const p of e.examples) lines.push(`    ${whereText(p.where)}: ${p.message}`);
    }
    return lines;
  }

  /**
   * Throws a DataError listing every error (count and first examples) unless skipInvalid; with
   * skipInvalid the errors are left for the caller to report as left out.
   */
  check(file: string, skipInvalid: boolean): void {
    if (skipInvalid || this.errors() === 0) return;
    const kinds = this.entries().filter((e) => e.severity === 'error');
    const fixes = kinds.map((e) => PROBLEM_KINDS[e.kind].fix);
    throw new DataError(file, undefined,
      `${this.errors()} problem${this.errors() === 1 ? '' : 's'} would lose annotations:\n  ${this.describe(['error']).join('\n  ')}`,
      `${[...new Set(fixes)].join('; ')}; or pass --skip-invalid to leave those spans and records out (each is counted)`);
  }
}
