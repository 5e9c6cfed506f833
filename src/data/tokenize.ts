// Raw text → sentences of tokens, split the way CoNLL-2003 (Reuters) is tokenised, with character offsets.
//
// Tokens (Penn-Treebank style, as in CoNLL-2003):
//   - punctuation is split off: , ; : ? ! ( ) [ ] " and a word-final period ("Berlin." → Berlin .)
//   - clitics are split off: Germany's → Germany 's, don't → do n't, they're → they 're
//   - abbreviations stay whole: U.S., a.m., Mr., Corp., Inc., St., Jan., vs., single initials (J.),
//     No. before a number, and an unknown word+period followed by a lowercase word ("approx. five");
//     but an abbreviation that can end a sentence (U.S., Inc., Corp., Fla.) gives up its period when it
//     does — at a line end or before a sentence starter such as "The" — as CoNLL writes "Lear Corp ."
//   - e-mail addresses and URLs stay whole
//   - numbers stay whole: 1,234.5  3.5  .500  +44  1996-08-22  12:30  6-4  1/2  99th  1990s;
//     % is its own token (4.5 % as in CoNLL); $ is its own token, but C$ US$ HK$ stay whole
//   - hyphenated words stay whole: Stuttgart-based, two-year, U.S.-led, mid-1997
//   - runs of periods or hyphens stay whole: ... -- ---
//   - a ranking number at the start of a line stays whole: "1. Michael Johnson" → 1. Michael Johnson
//   - any script: letters, digits and combining marks of every script make words; invisible joiners
//     never split one; ¿ ¡ « » are split off like other punctuation; each Han character is a token
//     (Chinese has no spaces between words). Scripts that need a dictionary to find words (Thai, Lao,
//     Khmer, Japanese kana) stay as they are written, one token per whitespace-free run.
// Sentences end:
//   - after . ? ! ... (plus any closing quotes or brackets that follow), unless the next token starts
//     with a lowercase letter or is , ; : (then it was not a sentence end);
//     never after an abbreviation or initial (U.S., Mr., J.), since those are single tokens
//   - at every line break. Input is one paragraph (or headline, or dateline) per line, as in the Reuters
//     source; a blank line is just another line break. Hard-wrapped text must be unwrapped first,
//     or a wrapped line will end a sentence.
// A straight quote " after a sentence end belongs to that sentence unless it is glued to the next word
// (`said. "The` opens a new quoted sentence); CoNLL-2003 attaches a free-standing quote to the sentence
// before it.
//
// Streaming: SentenceSplitter takes the text in chunks of any size and returns exactly the sentences
// tokenize() gives for the whole text, with offsets into the whole stream. It holds back only the
// unfinished last sentence, so memory stays flat for text with line breaks or sentence ends.

/** One token: its text and its offsets into the input (UTF-16 code units, end exclusive). */
export interface Token {
  text: string;
  start: number;
  end: number;
}

/** Words that keep their trailing period (case-sensitive). `No` only does so before a number. */
const ABBREVIATIONS = new Set([
  'Mr', 'Mrs', 'Ms', 'Dr', 'Prof', 'Gen', 'Col', 'Lt', 'Maj', 'Sgt', 'Capt', 'Cmdr', 'Adm', 'Gov',
  'Sen', 'Rep', 'Rev', 'Hon', 'St', 'Mt', 'Ft', 'Ave', 'Blvd', 'Rd', 'Dept', 'Univ', 'vs', 'approx',
  'No', 'Nos', 'Jan', 'Feb', 'Mar', 'Apr', 'Jun', 'Jul', 'Aug', 'Sep', 'Sept', 'Oct', 'Nov', 'Dec',
  // Spanish titles and street words before a name (no English word is spelled so)
  'Sra', 'Srta', 'Sres', 'Dña', 'Av', 'Avda',
]);
// Abbreviations that can also end a sentence (company suffixes, U.S. states): at a line end or before
// a sentence starter, CoNLL splits the period off ("Lear Corp ." , "Jacksonville , Fla .").
const CAN_END = new Set([
  'Co', 'Corp', 'Inc', 'Ltd', 'Bros', 'Jr', 'Sr', 'etc',
  'Ala', 'Ariz', 'Ark', 'Calif', 'Colo', 'Conn', 'Fla', 'Ga', 'Ind', 'Kan', 'Ky', 'Md', 'Mich',
  'Minn', 'Miss', 'Neb', 'Nev', 'Okla', 'Ore', 'Pa', 'Tenn', 'Tex', 'Va', 'Vt', 'Wis', 'Wyo',
]);

// Pieces tried in order at each position inside a whitespace-free word (all sticky, Unicode).
const LIST_NUMBER = /^\d{1,3}\.$/u; // "1." at the start of a line: a ranking, kept whole
const URL = /(?:https?:\/\/|www\.)[^\s"()<>]*[^\s"()<>.,;:!?']/uy;
const EMAIL = /[\p{L}\p{N}_.+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/uy;
const CURRENCY = /\p{Lu}{1,3}\$/uy; // C$ US$ HK$
const CLITIC = /['’](?:s|re|ve|ll|d|m)(?![\p{L}\p{N}])/iuy; // a standalone 's (already split text)
// Letters with periods (U.S., a.m.), or capitals in ones and twos with periods (EE.UU., FF.AA.: plurals
// written by doubling the letter, as Spanish does), optionally hyphenated onwards (U.S.-led).
const DOTTED = /(?:(?:\p{L}\.){2,}|\p{Lu}{1,2}\.(?:\p{Lu}{1,2}\.)+)(?:-[\p{L}\p{N}]+)*/uy;
// Capitalised words that start a new sentence after an abbreviation such as "Inc." or "U.S.".
const STARTERS = new Set([
  'The', 'A', 'An', 'He', 'She', 'It', 'They', 'We', 'I', 'You', 'In', 'On', 'At', 'But', 'And', 'This',
  'That', 'These', 'Those', 'There', 'Its', 'His', 'Her', 'Their', 'Our', 'If', 'When', 'After', 'Before',
]);
// A word or number: runs of letters/digits joined by a hyphen, by . , : / between digits, by & or an
// apostrophe between letters. A number may start with + or a decimal point (+44, .500).
// Zero-width characters (U+200B space, U+200C non-joiner, U+200D joiner, U+2060 word joiner, U+FEFF)
// are invisible and occur inside words (pasted text, emoji, Persian, Indic scripts): they never split one.
const WORD =
  /(?:\+(?=\d)|\.(?=\d))?[\p{L}\p{N}\p{M}\u200B-\u200D\u2060\uFEFF]+(?:(?:-+|(?<=\p{N})[.,:/](?=\p{N})|(?<=\p{L})[&'’](?=\p{L}))[\p{L}\p{N}\p{M}\u200B-\u200D\u2060\uFEFF]+)*/uy;
// Chinese is written without spaces between words, and Chinese NER corpora in CoNLL form have one
// character a line: each Han character is a token (as BERT's basic tokenizer splits them too).
const HAN = /\p{sc=Han}/u;
const PUNCT_RUN = /\.{2,}|-{2,}|…/uy;
const PLAIN_WORD = /^[A-Za-z0-9]+$/;

/** A word splitWord leaves whole at once: one character, or ASCII letters and digits only. */
function isPlainWord(word: string): boolean {
  return word.length === 1 || PLAIN_WORD.test(word);
}

const CLITIC_SUFFIX = /^(.*\p{L})(['’](?:s|re|ve|ll|d|m))$/iu;
const NT_SUFFIX = /^(.*\p{L})(n['’]t)$/iu;

/** Split a clitic off a word: Germany's → Germany 's, don't → do n't. Returns piece lengths. */
function cliticSplit(word: string): number[] {
  const m = NT_SUFFIX.exec(word) ?? CLITIC_SUFFIX.exec(word);
  if (m === null) return [word.length];
  return [m[1].length, m[2].length];
}

/** Split one whitespace-free word into tokens; returns [start, end) pairs relative to the word. */
function splitWord(word: string, nextWord: string | undefined, lineInitial: boolean): Array<[number, number]> {
  if (lineInitial && LIST_NUMBER.test(word)) return [[0, word.length]];
  // Most words: one character, or ASCII letters and digits only. Every rule below keeps those whole
  // (each needs a period, an apostrophe, @, $, a hyphen or a second piece), so skip the regexes.
  if (isPlainWord(word)) return [[0, word.length]];
  const out: Array<[number, number]> = [];
  let p = 0;
  while (p < word.length) {
    let m: RegExpExecArray | null;
    const at = (re: RegExp): RegExpExecArray | null => {
      re.lastIndex = p;
      return re.exec(word);
    };
    if ((m = at(URL)) !== null || (m = at(EMAIL)) !== null || (m = at(CURRENCY)) !== null || (m = at(CLITIC)) !== null) {
      out.push([p, p + m[0].length]);
      p += m[0].length;
    } else if ((m = at(DOTTED)) !== null) {
      // "in the U.S." at a sentence end: CoNLL writes U.S .  (one period serves both)
      const len = m[0].length;
      if (m[0].endsWith('.') && endsSentence(word.slice(p + len), nextWord)) {
        out.push([p, p + len - 1], [p + len - 1, p + len]);
      } else out.push([p, p + len]);
      p += len;
    } else if ((m = at(WORD)) !== null) {
      const han = HAN.exec(m[0]);
      if (han !== null) {
        // a Han character is a token of its own; the letters before one are a word
        const len = han.index > 0 ? han.index : han[0].length;
        out.push([p, p + len]);
        p += len;
        continue;
      }
      const len = m[0].length;
      if (word[p + len] === '.' && keepsPeriod(m[0], word, p + len, nextWord)) {
        out.push([p, p + len + 1]);
        p += len + 1;
        continue;
      }
      let q = p;
      for (const piece of cliticSplit(m[0])) {
        out.push([q, q + piece]);
        q += piece;
      }
      p += len;
    } else if ((m = at(PUNCT_RUN)) !== null) {
      out.push([p, p + m[0].length]);
      p += m[0].length;
    } else {
      const cp = word.codePointAt(p)!;
      const len = cp > 0xffff ? 2 : 1;
      out.push([p, p + len]);
      p += len;
    }
  }
  return out;
}

/** After an abbreviation's period, does the sentence end? (only closing marks follow, then a line end or a sentence starter) */
function endsSentence(after: string, nextWord: string | undefined): boolean {
  return /^["'’”)\]]*$/u.test(after) && (nextWord === undefined || STARTERS.has(nextWord.replace(/^["“(]+/u, '')));
}

/** An abbreviation written in capitals in a headline (ST. LOUIS, CORP.) → its listed spelling (St, Corp). */
function listedSpelling(core: string): string {
  return /^\p{Lu}{2,}$/u.test(core) ? core[0] + core.slice(1).toLowerCase() : core;
}

/** Does `written` (followed by '.' at word[dot]) keep the period as part of an abbreviation? */
function keepsPeriod(written: string, word: string, dot: number, nextWord: string | undefined): boolean {
  const after = word.slice(dot + 1);
  const core = listedSpelling(written);
  if (/^\p{Lu}$/u.test(core)) return !/^\p{L}/u.test(after); // initial: J. (but not J.R, handled by DOTTED)
  if (core === 'No' || core === 'Nos') {
    return /^\d/.test(after) || (after === '' && nextWord !== undefined && /^\d/.test(nextWord));
  }
  if (CAN_END.has(core)) {
    return !/^\p{L}/u.test(after) && !endsSentence(after, nextWord);
  }
  if (ABBREVIATIONS.has(core)) return !/^\p{L}/u.test(after);
  // An unknown word + period before a lowercase word is an abbreviation, not a sentence end.
  return after === '' && /^\p{L}+$/u.test(core) && nextWord !== undefined && /^\p{Ll}/u.test(nextWord);
}

// The spacing facts the sentence splitter needs about each token, kept beside the tokens (one byte each,
// so the tokens themselves are the objects returned: no copies for the garbage collector to collect)
const NEWLINE_BEFORE = 1; // a line break between the previous token and this one
const GLUED_RIGHT = 2; // no whitespace after (inside a word, not its last token)

// with the full stops and question marks of other scripts: CJK 。！？, Arabic ؟, Devanagari । ॥
const SENTENCE_END = new Set(['.', '?', '!', '...', '…', '....', '。', '！', '？', '؟', '।', '॥']);
const CLOSERS = new Set([')', ']', '}', "'", '’', '»']);
const NOT_A_START = new Set([',', ';', ':', '%']);

// tokenizeText's words (start, end, a line break before): kept from call to call, grown by doubling
const scratch = { starts: new Int32Array(1024), ends: new Int32Array(1024), newline: new Uint8Array(1024) };

function growScratch(): void {
  const n = 2 * scratch.starts.length;
  const [starts, ends, newline] = [new Int32Array(n), new Int32Array(n), new Uint8Array(n)];
  starts.set(scratch.starts);
  ends.set(scratch.ends);
  newline.set(scratch.newline);
  Object.assign(scratch, { starts, ends, newline });
}

/** Tokenise `text`; `lineStart` says whether position 0 is at the start of a line; offsets are shifted by `base`. */
function tokenizeText(text: string, lineStart: boolean, base = 0): Token[][] {
  // the whitespace-separated words: start, end, and whether a line break precedes each
  // (a scan by character into scratch arrays, not /\S+/gu into lists: a match array per word was a third
  // of what tagging allocated)
  let W = 0; // words
  let newlineBefore = false;
  for (let i = 0; i < text.length; ) {
    if (isSpaceAt(text, i)) {
      const c = text.charCodeAt(i);
      newlineBefore ||= c === 10 || c === 13;
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && !isSpaceAt(text, i)) i++;
    if (W === scratch.starts.length) growScratch();
    scratch.starts[W] = start;
    scratch.ends[W] = i;
    scratch.newline[W] = newlineBefore ? 1 : 0;
    W++;
    newlineBefore = false;
  }
  const { starts, ends, newline } = scratch;
  const tokens: Token[] = [];
  const flags: number[] = [];
  let next = W > 0 ? text.slice(starts[0], ends[0]) : '';
  for (let i = 0; i < W; i++) {
    const word = next;
    next = i + 1 < W ? text.slice(starts[i + 1], ends[i + 1]) : '';
    // The next word on the same line (a line break ends the sentence anyway).
    const nextOnLine = i + 1 < W && !newline[i + 1] ? next : undefined;
    const lineInitial = newline[i] === 1 || (i === 0 && lineStart);
    const at = base + starts[i];
    if (isPlainWord(word)) {
      // (splitWord's first rule, without the array it returns: most words are such)
      tokens.push({ text: word, start: at, end: at + word.length });
      flags.push(newline[i] ? NEWLINE_BEFORE : 0);
      continue;
    }
    const spans = splitWord(word, nextOnLine, lineInitial);
    for (let j = 0; j < spans.length; j++) {
      const [s, e] = spans[j];
      tokens.push({ text: s === 0 && e === word.length ? word : word.slice(s, e), start: at + s, end: at + e });
      flags.push((j === 0 && newline[i] ? NEWLINE_BEFORE : 0) | (j < spans.length - 1 ? GLUED_RIGHT : 0));
    }
  }
  return splitSentences(tokens, flags);
}

/** Group tokens into sentences (rules in the header comment). */
function splitSentences(tokens: Token[], flags: number[]): Token[][] {
  const sentences: Token[][] = [];
  let cur: Token[] = [];
  let ended = false; // the current sentence has seen its final punctuation
  const flush = (): void => {
    if (cur.length > 0) sentences.push(cur);
    cur = [];
    ended = false;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (flags[i] & NEWLINE_BEFORE) flush();
    else if (ended) {
      const closes =
        CLOSERS.has(t.text) || ((t.text === '"' || t.text === '”') && !(flags[i] & GLUED_RIGHT));
      if (!closes) {
        if (/^\p{Ll}/u.test(t.text) || NOT_A_START.has(t.text)) ended = false;
        else flush();
      }
    }
    cur.push(t);
    if (SENTENCE_END.has(t.text)) ended = true;
  }
  flush();
  return sentences;
}

/** Split raw text into sentences of CoNLL-2003-style tokens with offsets into `text`. */
export function tokenize(text: string): Token[][] {
  return tokenizeText(text, true);
}

/** Whether text[i] is whitespace (as /\s/u says), without a regex call for the usual characters. */
function isSpaceAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  return /\s/u.test(text[i]);
}

/**
 * Streaming tokenizer: push() chunks of any size, then call end(). Each call returns the sentences
 * completed so far, with offsets into the whole stream; all calls together return exactly
 * tokenize(whole text). Only the unfinished tail is kept, so memory stays flat on large files.
 */
export class SentenceSplitter {
  private buffer = '';
  private base = 0; // stream offset of buffer[0]
  private lineStart = true; // is buffer[0] the start of a line (only until the first cut)
  private done = false;
  // buffer[0, settled) holds no sentence boundary that a longer text could reveal: a push whose new
  // text has no line break and no sentence-end token need not tokenise the whole buffer again. Without
  // this, one long line with no sentence end (a 300k-token "sentence") costs O(n²) over 64 KB chunks.
  private settled = 0;

  push(chunk: string): Token[][] {
    if (this.done) throw new Error('SentenceSplitter.push() called after end()');
    this.buffer += chunk;
    // Tokenise only up to the last whitespace, so no word is cut in two; the last sentence may be
    // unfinished, so it is held back with the text after it. A chunk without whitespace completes no
    // word, so nothing changes: only the chunk is scanned (a whole-buffer scan per chunk made text
    // without whitespace quadratic).
    let last = chunk.length - 1;
    while (last >= 0 && !isSpaceAt(chunk, last)) last--; // the chunk, not the buffer: reading a character of a long concatenation copies it whole
    if (last < 0) return [];
    const cut = this.buffer.length - chunk.length + last;
    if (!this.mayEndSentence(cut)) return [];
    const sentences = tokenizeText(this.buffer.slice(0, cut), this.lineStart, this.base); // stream offsets
    // Emit up to the last sentence that is followed by whitespace, so the next one starts a word.
    let k = sentences.length - 2;
    while (k >= 0) {
      const end = sentences[k][sentences[k].length - 1].end - this.base;
      if (end < this.buffer.length && /\s/u.test(this.buffer[end])) break;
      k--;
    }
    if (k < 0) return [];
    const out = sentences.slice(0, k + 1);
    const keepFrom = out[k][out[k].length - 1].end - this.base;
    this.buffer = this.buffer.slice(keepFrom);
    this.base += keepFrom;
    this.settled = Math.max(0, this.settled - keepFrom);
    this.lineStart = false; // the kept text starts with the whitespace that followed a token
    return out;
  }

  /**
   * Whether buffer[settled, cut) might hold a new sentence boundary: a line break, or a sentence-end
   * token when that text is tokenised on its own. A boundary also depends on the word after the end,
   * so the last word before the cut (which looks line-final here: "Corp." gives up its period) is
   * left for the next push, and the three words before it are looked at again then. Skipping only
   * delays sentences to a later push or end(); it never changes them. Moves `settled` on.
   */
  private mayEndSentence(cut: number): boolean {
    const wordStart = (at: number): number => {
      while (at > 0 && /\s/u.test(this.buffer[at - 1])) at--;
      while (at > 0 && !/\s/u.test(this.buffer[at - 1])) at--;
      return at;
    };
    const last = wordStart(cut);
    let from = last;
    for (let words = 0; words < 3; words++) from = wordStart(from);
    const start = Math.min(this.settled, from);
    this.settled = from;
    const text = this.buffer.slice(start, cut);
    if (/[\n\r]/.test(text)) return true;
    const end = last - start; // the last word is tokenised (it is the next word of the one before) but not judged
    return tokenizeText(text, false).some((sentence) => sentence.some((t) => t.start < end && SENTENCE_END.has(t.text)));
  }

  end(): Token[][] {
    if (this.done) return [];
    this.done = true;
    const sentences = tokenizeText(this.buffer, this.lineStart, this.base);
    this.buffer = '';
    return sentences;
  }
}
