// The parsers' shared pieces: a decimal number read in place from bytes, and the messages for a bad value.

import { DataError } from '../errors.js';

export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

// Exact powers of ten: m / 10^k and m * 10^k with m < 2^53 are then correctly rounded, so
// scanNumber returns exactly what parseFloat would.
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** The byte after the number scanNumber read last (a live binding for the parsers). */
export let scanEnd = 0;

/**
 * Parses a decimal number (sign, digits, fraction, exponent) at b[p..e). Sets scanEnd to the byte
 * after it, or to p (and returns NaN) when there is no number there. Same value as parseFloat.
 */
export function scanNumber(b: Buffer, p: number, e: number): number {
  const start = p;
  let neg = false;
  if (p < e && (b[p] === 45 || b[p] === 43)) {
    neg = b[p] === 45;
    p++;
  }
  const unsignedStart = p;
  let m = 0;
  let digits = 0;
  let exp10 = 0;
  let c = 0;
  while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
    m = m * 10 + c;
    digits++;
    p++;
  }
  if (p < e && b[p] === 46) {
    p++;
    while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
      m = m * 10 + c;
      digits++;
      exp10--;
      p++;
    }
  }
  if (digits === 0) {
    scanEnd = start;
    return NaN;
  }
  if (p < e && (b[p] | 0x20) === 101) {
    let q = p + 1;
    let eneg = false;
    if (q < e && (b[q] === 45 || b[q] === 43)) {
      eneg = b[q] === 45;
      q++;
    }
    let ev = 0;
    let ed = 0;
    while (q < e && (c = b[q] - 48) >= 0 && c <= 9) {
      ev = ev * 10 + c;
      ed++;
      q++;
    }
    if (ed > 0) {
      exp10 += eneg ? -ev : ev;
      p = q;
    }
  }
  scanEnd = p;
  let v: number;
  if (digits <= 15 && exp10 >= -22 && exp10 <= 22) v = exp10 < 0 ? m / POW10[-exp10] : m * POW10[exp10];
  else v = Number(b.toString('latin1', unsignedStart, p));
  return neg ? -v : v;
}

/** The token starting at b[p] (up to a separator), for messages. */
export function tokenAt(b: Buffer, p: number, e: number, stops: string): string {
  let q = p;
  while (q < e && q - p < 40 && !stops.includes(String.fromCharCode(b[q]))) q++;
  return b.toString('utf8', p, q);
}

/** A word for a message: in quotes, cut to 40 characters (a binary or broken file can have huge "words"). */
export function quoted(word: string): string {
  return JSON.stringify(word.length > 40 ? `${word.slice(0, 37)}...` : word);
}

export function badValue(file: string, line: number, word: string, k: number, token: string): DataError {
  if (/^[+-]?(nan|inf|infinity)$/i.test(token)) {
    return new DataError(file, line, `${quoted(word)}: value ${k + 1} is ${token}`, 'NaN and Infinity are not allowed in embeddings: regenerate the vectors or delete this line');
  }
  return new DataError(
    file,
    line,
    `${quoted(word)}: value ${k + 1} is "${token}", not a number`,
    'each line must be one word (no spaces inside it) followed by its numbers; a word containing a space breaks this',
  );
}

export function overflow(file: string, line: number, word: string, k: number, token: string): DataError {
  return new DataError(file, line, `${quoted(word)}: value ${k + 1} (${token}) is too large for a 32-bit float`, 'regenerate the vectors or delete this line');
}

