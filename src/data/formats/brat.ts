// brat standoff: a document's text in doc.txt and its annotations in doc.ann beside it, offsets in
// code points into the .txt as it is on disk (brat reads it without translating line ends), end exclusive:
//   T1<TAB>PER 0 5<TAB>Japan
//   T2<TAB>LOC 10 15;20 25<TAB>New York        (a discontinuous span: its pieces, text joined by a space)
// A span broken only at spaces or a line break (brat breaks spans at line ends) is read as one span; a
// truly discontinuous one becomes one span per piece, with a warning. Other lines (relations R, events
// E, attributes A/M, notes #, equivalences *) are counted and not used. A folder is read as all its
// .ann files (and their .txt), in name order.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../../errors.js';
import { decodeUtf8, readBytes } from '../conll.js';
import { checkedSpan, quote, type AnnotatedDoc, type CharSpan } from './doc.js';
import { OffsetMap, type OffsetUnit } from './offsets.js';
import type { Problems } from './problems.js';

const T_LINE = /^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)$/;

/** The documents of a brat path: a folder, a .ann file or a .txt file (with its .ann). */
export function readBrat(p: string, unit: OffsetUnit, problems: Problems): AnnotatedDoc[] {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    const names = fs.readdirSync(p).sort();
    const anns = names.filter((n) => n.endsWith('.ann'));
    for (const n of names) {
      if (n.endsWith('.txt') && !names.includes(n.slice(0, -4) + '.ann')) problems.add('unlabelled', { file: path.join(p, n), record: 0 }, 'no .ann file beside it');
    }
    if (anns.length === 0) {
      throw new DataError(p, undefined, 'is a directory, expected a CoNLL file or a folder of brat documents (doc.txt + doc.ann), but it has no .ann files',
        'pass the path of a file inside it, or a folder of brat .txt and .ann files');
    }
    return anns.map((n) => bratDoc(path.join(p, n), unit, problems));
  }
  const ann = p.endsWith('.txt') ? p.slice(0, -4) + '.ann' : p;
  return [bratDoc(ann, unit, problems)];
}

/** One brat document from its .ann file (the .txt is found beside it). */
export function bratDoc(annFile: string, unit: OffsetUnit, problems: Problems): AnnotatedDoc {
  const txtFile = annFile.replace(/\.ann$/, '') + '.txt';
  const ann = decodeUtf8(readBytes(annFile), annFile);
  if (!fs.existsSync(txtFile)) {
    throw new DataError(annFile, undefined, `no text file ${path.basename(txtFile)} beside it: brat keeps each document's text in a .txt of the same name`,
      `put ${path.basename(txtFile)} (the text the offsets count into) in ${path.dirname(txtFile)}`);
  }
  const text = decodeUtf8(readBytes(txtFile), txtFile);
  return parseBrat(text, ann, annFile, unit, problems);
}

/** A brat document from its text and the content of its .ann file. */
export function parseBrat(text: string, ann: string, annFile: string, unit: OffsetUnit, problems: Problems): AnnotatedDoc {
  const map = new OffsetMap(text);
  const spans: CharSpan[] = [];
  const lines = ann.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const where = { file: annFile, record: 0, line: i + 1 };
    if (!line.startsWith('T')) {
      problems.add('ignored', where, `${quote(line.split('\t')[0])} line`);
      continue;
    }
    const m = T_LINE.exec(line);
    if (m === null) {
      problems.add('bad-span', where, `${quote(line)} is not "T1<TAB>TYPE start end<TAB>text"`);
      continue;
    }
    const pieces = m[3].split(';').map((f) => f.split(' ').map(Number));
    const checked = pieces.map(([s, e]) => checkedSpan(map, unit, s, e, m[2], where, problems));
    if (checked.some((c) => c === undefined)) continue;
    const parts = checked as CharSpan[];
    const shown = parts.map((c) => text.slice(c.start, c.end)).join(' ');
    if (shown !== m[4]) {
      problems.add('text-mismatch', where, `${m[1]} is recorded as ${quote(m[4])} but the text there is ${quote(shown)}`);
      continue;
    }
    // pieces separated only by whitespace are one span
    const merged: CharSpan[] = [parts[0]];
    for (const c of parts.slice(1)) {
      const last = merged[merged.length - 1];
      if (c.start >= last.end && text.slice(last.end, c.start).trim() === '') last.end = c.end;
      else merged.push({ ...c });
    }
    if (merged.length > 1) problems.add('discontinuous', where, `${m[1]} ${m[2]} ${quote(m[4])} in ${merged.length} pieces`);
    spans.push(...merged);
  }
  return { id: path.basename(annFile, '.ann'), text, spans, where: { file: annFile, record: 0 } };
}

/** The .ann content for a document; a span over a line break is written in pieces, as brat wants. */
export function bratAnn(doc: AnnotatedDoc, unit: OffsetUnit): string {
  const map = new OffsetMap(doc.text);
  const lines: string[] = [];
  doc.spans.forEach((s, i) => {
    const pieces: [number, number][] = [];
    const re = /[^\r\n]+/g;
    const inside = doc.text.slice(s.start, s.end);
    for (let m = re.exec(inside); m !== null; m = re.exec(inside)) pieces.push([s.start + m.index, s.start + m.index + m[0].length]);
    const offsets = pieces.map(([a, b]) => `${map.fromUtf16(a, unit)} ${map.fromUtf16(b, unit)}`).join(';');
    lines.push(`T${i + 1}\t${s.label} ${offsets}\t${pieces.map(([a, b]) => doc.text.slice(a, b)).join(' ')}\n`);
  });
  return lines.join('');
}
