// Character offsets in two units. Annotation tools written in Python (doccano, brat, spaCy, Prodigy) and
// Label Studio (which converts its browser selection to code points before saving) count Unicode code
// points; JavaScript strings index UTF-16 code units, where a character outside the Basic Multilingual
// Plane (an emoji, say) takes two. Everything inside ner works in UTF-16 units; offsets are converted
// where a file is read or written.

export type OffsetUnit = 'codepoint' | 'utf16';
export const OFFSET_UNITS: readonly OffsetUnit[] = ['codepoint', 'utf16'];

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Converts offsets between code points and UTF-16 units for one text. Texts without astral characters
 * (most) need no table: both units agree there.
 */
export class OffsetMap {
  /** utf16[k] = UTF-16 offset of code point k (k = 0 … codePoints); undefined when the units agree. */
  private readonly utf16: Uint32Array | undefined;
  /** Length of the text in code points. */
  readonly codePoints: number;

  constructor(readonly text: string) {
    if (!SURROGATE.test(text)) {
      this.utf16 = undefined;
      this.codePoints = text.length;
      return;
    }
    const table: number[] = [];
    for (let i = 0; i < text.length; ) {
      table.push(i);
      const c = text.charCodeAt(i);
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      i += pair ? 2 : 1;
    }
    table.push(text.length);
    this.utf16 = Uint32Array.from(table);
    this.codePoints = table.length - 1;
  }

  /** Length of the text in the unit. */
  length(unit: OffsetUnit): number {
    return unit === 'utf16' ? this.text.length : this.codePoints;
  }

  /** A UTF-16 offset from an offset in `unit` (which must be within 0 … length(unit)). */
  toUtf16(offset: number, unit: OffsetUnit): number {
    if (unit === 'utf16' || this.utf16 === undefined) return offset;
    return this.utf16[offset];
  }

  /** An offset in `unit` from a UTF-16 offset (one that does not fall inside a surrogate pair). */
  fromUtf16(offset: number, unit: OffsetUnit): number {
    if (unit === 'utf16' || this.utf16 === undefined) return offset;
    // binary search: the table is increasing
    let lo = 0;
    let hi = this.utf16.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.utf16[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether a UTF-16 offset falls between the two halves of a surrogate pair. */
  splitsPair(offset: number): boolean {
    if (offset <= 0 || offset >= this.text.length) return false;
    const hi = this.text.charCodeAt(offset - 1);
    const lo = this.text.charCodeAt(offset);
    return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
  }
}
