// A word's shape as one class id, for any script: what the word looks like when its vector says nothing
// (an unseen name, a word of another language). One of the one-hot groups of each window block.
//
// The classes are a small product, read from Unicode general categories rather than from ASCII ranges:
//   - capitalisation of the word's letters (\p{L}): lower (only \p{Ll} among its cased letters), initcap
//     (the first cased letter \p{Lu} or titlecase \p{Lt}, the others lower: "Ngũgĩ", "Björk", "ǅemal"),
//     allcaps (two or more cased letters, all upper: "EU", "ÖVP"), mixed ("McDonald", "l'Hospitalet"),
//     caseless (letters, none of them cased: Han, Arabic, Hebrew, Thai, Devanagari…);
//   - for a word of letters alone, the length class of its letters (1, 2–3, 4 or more);
//   - or the mark inside it, when there is one: a period ("U.S.", "Sr."), an apostrophe ' or ’
//     ("Thiong'o", "l’Hospitalet"), a hyphen ("Jean-Pierre", "Stuttgart-based");
//   - letters with digits (\p{Nd} of any script): "F-16", "COVID-19" (some letter upper) or "1990s", "2nd";
//   - numbers without letters: 1–2 digits, a four-digit year-like number, other numbers ("1,234.5", "٢٠٢٤");
//   - anything else (punctuation, symbols).
// Combining marks (\p{M}), modifier letters (\p{Lm}) and format characters (\p{Cf}: zero-width joiners)
// do not change a class, so a word written in NFC or NFD, or with an invisible joiner, has one shape.
// The last class, 'pad', marks window positions outside the sentence.

const CAPS = ['lower', 'initcap', 'allcaps', 'mixed', 'caseless'] as const;
const LENGTHS = ['1', '2-3', '4+'] as const;
const MARKS = ['period', 'apostrophe', 'hyphen'] as const;

export const SHAPES: readonly string[] = [
  ...CAPS.flatMap((c) => LENGTHS.map((l) => `${c}:${l}`)),
  ...CAPS.flatMap((c) => MARKS.map((k) => `${c}:${k}`)),
  'digits+lower', // letters and digits, no upper letter: "1990s", "2nd", "mp3"
  'digits+upper', // letters and digits, some upper letter: "F-16", "COVID-19", "B2B"
  'number:1-2',
  'number:4', // exactly four digits: mostly years
  'number:other',
  'other',
  'pad',
];
export const S = SHAPES.length;
export const PAD_SHAPE = S - 1;

const [LOWER, INITCAP, ALLCAPS, MIXED, CASELESS] = [0, 1, 2, 3, 4];
const MARK_BASE = CAPS.length * LENGTHS.length;
const [PERIOD, APOSTROPHE, HYPHEN] = [0, 1, 2];
const DIGITS_LOWER = SHAPES.indexOf('digits+lower');
const DIGITS_UPPER = DIGITS_LOWER + 1;
const NUMBER_SHORT = SHAPES.indexOf('number:1-2');
const NUMBER_4 = NUMBER_SHORT + 1;
const NUMBER_OTHER = NUMBER_SHORT + 2;
const OTHER = SHAPES.indexOf('other');

const UPPER = /[\p{Lu}\p{Lt}]/u;
const LOWER_LETTER = /\p{Ll}/u;
const CASELESS_LETTER = /\p{Lo}/u;
const MODIFIER_LETTER = /\p{Lm}/u;
const DIGIT = /\p{Nd}/u;
const IGNORED = /[\p{M}\p{Cf}]/u; // combining marks, zero-width joiners
const NUMBER_MARK = /[.,:/'’+\-\u2212]/u; // separators inside a number: 1,234.5  12:30  1/2  6-4  +44
const ASCII_NUMBER_MARK = Array.from({ length: 128 }, (_, c) => NUMBER_MARK.test(String.fromCharCode(c))); // (no regex per ASCII character)

/** The shape class of a token (0 … S−2; S−1 is 'pad'). */
export function shape(token: string): number {
  let upper = 0;
  let lower = 0;
  let caseless = 0;
  let letters = 0; // \p{L} without \p{Lm}
  let digits = 0;
  let others = 0; // characters that are neither letters, digits, marks nor number separators
  let separators = 0; // number separators: . , : / ' ’ + - −
  let firstCased = -1; // 1: upper, 0: lower
  let period = false;
  let apostrophe = false;
  let hyphen = false;
  // by index, not `for … of`: no string per character for the ASCII ones
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x80) {
      // ASCII without regexes (most tokens)
      if (c >= 97 && c <= 122) {
        lower++;
        letters++;
        if (firstCased < 0) firstCased = 0;
      } else if (c >= 65 && c <= 90) {
        upper++;
        letters++;
        if (firstCased < 0) firstCased = 1;
      } else if (c >= 48 && c <= 57) digits++;
      else {
        if (c === 46) period = true;
        else if (c === 39) apostrophe = true;
        else if (c === 45) hyphen = true;
        if (ASCII_NUMBER_MARK[c]) separators++;
        else others++;
      }
      continue;
    }
    const ch = String.fromCodePoint(token.codePointAt(i)!);
    i += ch.length - 1; // a character outside the BMP takes two code units
    if (UPPER.test(ch)) {
      upper++;
      letters++;
      if (firstCased < 0) firstCased = 1;
    } else if (LOWER_LETTER.test(ch)) {
      lower++;
      letters++;
      if (firstCased < 0) firstCased = 0;
    } else if (CASELESS_LETTER.test(ch)) {
      caseless++;
      letters++;
    } else if (DIGIT.test(ch)) digits++;
    else if (ch === '’') {
      apostrophe = true;
      separators++;
    } else if (ch === '\u2010' || ch === '\u2011') hyphen = true; // Unicode hyphens
    else if (NUMBER_MARK.test(ch)) separators++;
    else if (!MODIFIER_LETTER.test(ch) && !IGNORED.test(ch)) others++;
  }
  if (letters === 0) {
    if (digits === 0) return OTHER;
    if (others > 0) return NUMBER_OTHER;
    if (separators === 0 && digits === 4) return NUMBER_4;
    if (separators === 0 && digits <= 2) return NUMBER_SHORT;
    return NUMBER_OTHER;
  }
  if (digits > 0) return upper > 0 ? DIGITS_UPPER : DIGITS_LOWER;
  const cap =
    upper + lower === 0 ? CASELESS
    : upper === 0 ? LOWER
    : lower === 0 && upper >= 2 ? ALLCAPS
    : firstCased === 1 && upper === 1 ? INITCAP
    : MIXED;
  if (period) return MARK_BASE + cap * MARKS.length + PERIOD;
  if (apostrophe) return MARK_BASE + cap * MARKS.length + APOSTROPHE;
  if (hyphen) return MARK_BASE + cap * MARKS.length + HYPHEN;
  const len = letters === 1 ? 0 : letters <= 3 ? 1 : 2;
  return cap * LENGTHS.length + len;
}

/** The shape as a one-hot group of each window position (features.ts TokenFeature): its classes for a sentence. */
export const SHAPE_FEATURE = {
  name: 'shape',
  size: S,
  classes: (sentence: string[]): Int32Array => {
    const c = new Int32Array(sentence.length);
    for (let i = 0; i < sentence.length; i++) c[i] = shape(sentence[i]);
    return c;
  },
};
