// Text beyond English: what the tokenizer does with Spanish, Chinese and other scripts, and how a token
// finds its vector when it arrives decomposed (NFD), with invisible joiners, or with non-ASCII digits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SentenceSplitter, tokenize } from '../src/data/tokenize.js';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { foldAccents, lookupKeys, newWordTable, unicodeKey, wordId } from '../src/model/features.js';

const toks = (text: string): string[][] => tokenize(text).map((s) => s.map((t) => t.text));

test('tokenize: Spanish punctuation, abbreviations and elisions', () => {
  assert.deepEqual(toks('¿Dónde está el Sr. García? ¡No lo sé!'), [
    ['¿', 'Dónde', 'está', 'el', 'Sr.', 'García', '?'],
    ['¡', 'No', 'lo', 'sé', '!'],
  ]);
  // EE.UU. (doubled capitals for a plural) is one token, and does not end the sentence
  assert.deepEqual(toks('El presidente de EE.UU. llegó a «Madrid» ayer.'), [
    ['El', 'presidente', 'de', 'EE.UU.', 'llegó', 'a', '«', 'Madrid', '»', 'ayer', '.'],
  ]);
  // at a line end it gives up its period, as U.S. does
  assert.deepEqual(toks('Vive en EE.UU.'), [['Vive', 'en', 'EE.UU', '.']]);
  assert.deepEqual(toks('Dijo la Sra. Pérez que la Avda. Libertador cierra.'), [
    ['Dijo', 'la', 'Sra.', 'Pérez', 'que', 'la', 'Avda.', 'Libertador', 'cierra', '.'],
  ]);
  // an elided article stays on its word, as CoNLL-2002 writes L'Hospitalet and d'Esquadra
  assert.deepEqual(toks("Nació en l'Hospitalet y vive en L’Hospitalet."), [
    ['Nació', 'en', "l'Hospitalet", 'y', 'vive', 'en', 'L’Hospitalet', '.'],
  ]);
});

test('tokenize: combining marks and invisible joiners stay inside their word, offsets into the input', () => {
  const nfd = 'Ngu\u0303gi\u0303 wa Thiong’o habló.';
  assert.deepEqual(toks(nfd), [['Ngu\u0303gi\u0303', 'wa', 'Thiong’o', 'habló', '.']]);
  const zw = 'Pa\u200dris y Mi\u200bl\u00e1n';
  const t = tokenize(zw)[0];
  assert.deepEqual(t.map((x) => x.text), ['Pa\u200dris', 'y', 'Mi\u200bl\u00e1n']);
  for (const x of t) assert.equal(zw.slice(x.start, x.end), x.text);
});

test('tokenize: each Han character is a token; other scripts’ sentence ends end sentences', () => {
  assert.deepEqual(toks('我在北京工作。他是老师。'), [
    ['我', '在', '北', '京', '工', '作', '。'],
    ['他', '是', '老', '师', '。'],
  ]);
  assert.deepEqual(toks('iPhone手机'), [['iPhone', '手', '机']]);
  assert.deepEqual(toks('هل أنت بخير؟ نعم.'), [['هل', 'أنت', 'بخير', '؟'], ['نعم', '.']]);
  assert.deepEqual(toks('यह अच्छा है। वह भी।'), [['यह', 'अच्छा', 'है', '।'], ['वह', 'भी', '।']]);
  assert.deepEqual(toks('Владимир Путин посетил Москву.'), [['Владимир', 'Путин', 'посетил', 'Москву', '.']]);
  // the streaming splitter agrees, in chunks that cut the characters apart
  const text = '我在北京工作。他是老师。\n¿Vive en EE.UU.? Sí.';
  const s = new SentenceSplitter();
  const got: string[][] = [];
  for (let i = 0; i < text.length; i += 3) got.push(...s.push(text.slice(i, i + 3)).map((x) => x.map((t) => t.text)));
  got.push(...s.end().map((x) => x.map((t) => t.text)));
  assert.deepEqual(got, toks(text));
});

// a table with pretrained 'paris', 'ngũgĩ' (NFC) and the model's own rows '0000' and 'pa\u200dris'
function table() {
  const words = ['paris', 'ngũgĩ', 'milán'];
  const d = 2;
  const vectors = new Float32Array(words.length * d);
  const emb: Embeddings = {
    source: 'test', d, words, index: new Map(words.map((w, i) => [w, i])), vectors, count: words.length,
    readRow: () => {}, fingerprint: 'test',
  };
  const keys = ['<s>', '</s>', '<unk>', '0000', 'lo\u200dndon'];
  return newWordTable(d, keys, new Float64Array(keys.length * d), emb);
}

test('lookup: NFD spellings, invisible characters and digits of any script find their rows', () => {
  const t = table();
  const V = t.keys.length;
  assert.deepEqual(wordId(t, 'Paris'), { id: V + 0, found: 'pretrained' });
  assert.deepEqual(wordId(t, 'Pa\u200dris'), { id: V + 0, found: 'pretrained' });
  assert.deepEqual(wordId(t, '\ufeffParis'), { id: V + 0, found: 'pretrained' });
  assert.deepEqual(wordId(t, 'Ngu\u0303gi\u0303'), { id: V + 1, found: 'pretrained' }); // NFD
  assert.deepEqual(wordId(t, 'Mila\u0301n'), { id: V + 2, found: 'pretrained' });
  assert.deepEqual(wordId(t, '١٩٩٦'), { id: 3, found: 'model' }); // Arabic-Indic digits → 0000
  assert.deepEqual(wordId(t, '१९९६'), { id: 3, found: 'model' }); // Devanagari
  assert.equal(unicodeKey('٣٫٥'), '3٫5');
  assert.equal(unicodeKey('𝟙𝟡𝟗𝟞'), '1996'); // mathematical digits: five runs of ten side by side
  // a key found before is found first: the exact spelling wins over the normalised one
  assert.deepEqual(wordId(t, 'lo\u200dndon'), { id: 4, found: 'model' });
  assert.deepEqual(wordId(t, 'Tokyo'), { id: 2, found: 'unk' });
});

test('lookup: ASCII tokens keep exactly their keys (old model files tag as before)', () => {
  assert.deepEqual(lookupKeys('Paris'), ['Paris', 'paris']);
  assert.deepEqual(lookupKeys('F-16'), ['F-16', 'f-16', 'f-00']);
  assert.deepEqual(lookupKeys('1996'), ['1996', '0000']);
  // non-ASCII: the exact keys first, the normalised ones after
  assert.deepEqual(lookupKeys('Pa\u200dris'), ['Pa\u200dris', 'pa\u200dris', 'Paris', 'paris']);
  assert.deepEqual(lookupKeys('Björk'), ['Björk', 'björk', 'Bjork', 'bjork']);
});

test('lookup: a Latin word with no vector as written falls back to its spelling without accents', () => {
  const t = table();
  const V = t.keys.length;
  assert.deepEqual(wordId(t, 'Milán'), { id: V + 2, found: 'pretrained' }); // found as written first
  assert.deepEqual(wordId(t, 'Párís'), { id: V + 0, found: 'pretrained' }); // only via 'paris'
  assert.deepEqual(wordId(t, 'Ñgugi'), { id: 2, found: 'unk' });
  assert.equal(foldAccents('São Paulo, Bogotá, Björk, Ελλάδα'), 'Sao Paulo, Bogota, Bjork, Ελλαδα');
  // the vowel signs of Indic scripts are parts of letters, not accents
  assert.equal(foldAccents('नई दिल्ली'), 'नई दिल्ली');
});
