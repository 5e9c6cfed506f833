// The Unicode word shape (src/model/shape.ts): one class per token, the same for any script's letters,
// digits and marks, and for NFC and NFD spellings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAD_SHAPE, S, SHAPES, shape } from '../src/model/shape.js';

const name = (t: string): string => SHAPES[shape(t)];

test('shape: capitalisation of any script, with the length class of a plain word', () => {
  const want: Array<[string, string]> = [
    ['the', 'lower:2-3'],
    ['a', 'lower:1'],
    ['festival', 'lower:4+'],
    ['Björk', 'initcap:4+'],
    ['Ngũgĩ', 'initcap:4+'],
    ['Kaká', 'initcap:4+'],
    ['Ángeles', 'initcap:4+'], // an accented capital
    ['Ελλάδα', 'initcap:4+'], // Greek
    ['Москву', 'initcap:4+'], // Cyrillic
    ['ǅemal', 'initcap:4+'], // a titlecase letter (\p{Lt}) opens the word
    ['I', 'initcap:1'],
    ['EU', 'allcaps:2-3'],
    ['ÖVP', 'allcaps:2-3'],
    ['ΝΑΤΟ', 'allcaps:4+'], // Greek capitals
    ['McDonald', 'mixed:4+'],
    ['iPhone', 'mixed:4+'],
    ['straße', 'lower:4+'], // ß has no single-letter capital: still a lowercase letter
    ['北京', 'caseless:2-3'], // Han
    ['القاهرة', 'caseless:4+'], // Arabic
    ['ירושלים', 'caseless:4+'], // Hebrew
    ['नई', 'caseless:2-3'], // Devanagari: a letter and a vowel sign (\p{M})
    ['Hawaiʻi', 'initcap:4+'], // ʻ is a modifier letter (\p{Lm}): not a capital, not a mark
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: periods, apostrophes (straight and curly) and hyphens inside words', () => {
  const want: Array<[string, string]> = [
    ['U.S.', 'allcaps:period'],
    ['EE.UU.', 'allcaps:period'],
    ['Sr.', 'initcap:period'],
    ['J.', 'initcap:period'],
    ['a.m.', 'lower:period'],
    ["Thiong'o", 'initcap:apostrophe'],
    ['Thiong’o', 'initcap:apostrophe'],
    ["'s", 'lower:apostrophe'],
    ["n't", 'lower:apostrophe'],
    ["l'Hospitalet", 'mixed:apostrophe'],
    ['Jean-Pierre', 'mixed:hyphen'],
    ['Stuttgart-based', 'initcap:hyphen'],
    ['two-year', 'lower:hyphen'],
    ['U.S.-led', 'mixed:period'], // the period wins over the hyphen
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: digits of any script, with and without letters; punctuation', () => {
  const want: Array<[string, string]> = [
    ['3', 'number:1-2'],
    ['25', 'number:1-2'],
    ['1996', 'number:4'],
    ['١٩٩٦', 'number:4'], // Arabic-Indic digits
    ['१९९६', 'number:4'], // Devanagari digits
    ['123', 'number:other'],
    ['1,234.5', 'number:other'],
    ['1996-08-22', 'number:other'],
    ['12:30', 'number:other'],
    ['٣٫٥', 'number:other'], // Arabic decimal separator: a number that is not plain digits
    ['F-16', 'digits+upper'],
    ['COVID-19', 'digits+upper'],
    ['1990s', 'digits+lower'],
    ['2º', 'digits+lower'], // º is a letter (\p{Lo}) with no case
    [',', 'other'],
    ['«', 'other'],
    ['¿', 'other'],
    ['--', 'other'],
    ['$', 'other'],
    ['😀', 'other'],
  ];
  for (const [t, s] of want) assert.equal(name(t), s, t);
});

test('shape: NFC and NFD spellings, and invisible joiners, have one shape', () => {
  for (const t of ['Ngũgĩ', 'Björk', 'Kaká', 'ÁNGEL', 'São', 'ḍ', 'Ελλάδα']) {
    assert.notEqual(t.normalize('NFD'), t.normalize('NFC'), `${t} has a decomposed form`);
    assert.equal(shape(t.normalize('NFD')), shape(t.normalize('NFC')), t);
  }
  assert.equal(shape('Pa\u200dris'), shape('Paris'));
  assert.equal(shape('Pa\u200bris'), shape('Paris'));
  assert.equal(shape('\ufeffParis'), shape('Paris'));
  assert.equal(SHAPES[shape('19\u200b96')], 'number:4');
  assert.equal(SHAPES[shape('𝟙𝟡𝟗𝟞')], 'number:4'); // digits outside the BMP: two UTF-16 units each
  assert.equal(SHAPES[shape('1\u200d2')], 'number:1-2');
});

test('shape: a modest number of classes, every one reachable name unique, pad last', () => {
  assert.ok(S <= 40, `${S} classes`);
  assert.equal(new Set(SHAPES).size, S);
  assert.equal(SHAPES[PAD_SHAPE], 'pad');
  assert.equal(PAD_SHAPE, S - 1);
  // no token is ever 'pad', and every id is in range
  for (const t of ['', 'x', 'X', '1', '.', 'Xx-x', '北', 'a1', '\u200d']) {
    const s = shape(t);
    assert.ok(Number.isInteger(s) && s >= 0 && s < PAD_SHAPE, `${JSON.stringify(t)} → ${s}`);
  }
});
