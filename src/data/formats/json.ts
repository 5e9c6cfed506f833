// The records of a JSON export: a JSON array (Label Studio), or JSON Lines, one object a line (doccano,
// spaCy/Prodigy). A JSON Lines line that does not parse is a problem of its record (counted, with its
// line); a JSON document that does not parse cannot be split into records and stops the read.

import { DataError } from '../../errors.js';
import type { Problems, Where } from './problems.js';

export interface JsonRecord {
  value: unknown;
  where: Where;
}

const JSON_FIX = 'export the file again from the tool (a file cut short, by a full disk or an interrupted download, ends in the middle of a record)';

/** Line and column of a position in text (1-based). */
function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: pos - lineStart + 1 };
}

/** Where JSON.parse stopped, from its message ("… at position 123" / "(line 2 column 5)"), if it says. */
function errorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const p = /position (\d+)/.exec(message);
  if (p) return lineColumn(text, Number(p[1]));
  if (/end of JSON input|Unterminated/.test(message)) return lineColumn(text, text.length);
  return undefined;
}

/** Whether the text is one JSON document (an array, or an object over several lines) rather than JSON Lines. */
export function isJsonDocument(text: string): boolean {
  const first = text.search(/\S/);
  if (first < 0) return false;
  if (text[first] === '[') return true;
  if (text[first] !== '{') return false;
  const eol = text.indexOf('\n', first);
  const firstLine = text.slice(first, eol < 0 ? text.length : eol);
  try {
    JSON.parse(firstLine);
    return false; // a complete object on the first line: JSON Lines
  } catch {
    return true; // an object spread over lines (or a broken first line: JSON Lines reports it with its line)
  }
}

/** The records of a JSON or JSON Lines text (a BOM is dropped); unparseable lines are counted as 'bad-json'. */
export function jsonRecords(text: string, file: string, problems: Problems): JsonRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (isJsonDocument(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const at = errorPosition(text, msg);
      throw new DataError(file, at?.line, `invalid or truncated JSON${at ? ` at column ${at.column}` : ''}: ${msg}`, JSON_FIX);
    }
    const list = Array.isArray(value) ? value : [value];
    return list.map((v, i) => ({ value: v, where: { file, record: i + 1 } }));
  }
  return jsonLines(text, file, problems);
}

function jsonLines(text: string, file: string, problems: Problems): JsonRecord[] {
  const out: JsonRecord[] = [];
  const lines = text.split('\n');
  let record = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    record++;
    const where = { file, record, line: i + 1 };
    try {
      out.push({ value: JSON.parse(line), where });
    } catch (err) {
      problems.add('bad-json', where, `not valid JSON (${(err as Error).message}); ${i === lines.length - 1 || lines.slice(i + 1).every((l) => l.trim() === '') ? 'the last line: the file may be cut short' : 'each line must be one JSON object'}`);
    }
  }
  return out;
}
