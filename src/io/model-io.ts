// The model file: one JSON document that describes itself (format name, version, the ner version that
// wrote it, the full config and seed, labels and schemes, the embeddings it was trained with) and carries
// the parameters. Large arrays are stored as base64 of little-endian float64 (float32 for the subword
// table, which trains in float32 and is the largest), so a loaded model computes exactly what was trained. A packaged model also carries the pretrained vectors it needs ("vectors",
// embeddings/packaged.ts) and then tags with nothing else. Nothing time-dependent is written, so the same
// seed and data give a byte-identical file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { writeFileAtomic } from './atomic.js';
import type { Embeddings } from '../embeddings/embeddings.js';
import { unpackVectors } from '../embeddings/packaged.js';
import { NER_VERSION } from '../version.js';
import { DataError, NerError } from '../errors.js';
import { C, inputSize, newWordTable } from '../model/features.js';
import { featureFor } from '../model/groups.js';
import { makeLabels, outputCount } from '../model/labels.js';
import { type Subwords, newSubwords } from '../model/subword.js';
import { type Params, ACTIVATIONS, HEADS, checkParams, groups } from '../model/model.js';
import { DEFAULT_CONFIG, type ModelConfig, type NerModel } from '../model/ner-model.js';
import { epochRecordProblem } from './history.js';
import { GAZETTEER_GROUP, type Gazetteer, gazetteerClassCount, gazetteerFeature, gazetteerFromJson, gazetteerToJson } from '../data/gazetteer.js';
import type { OneHot, TokenFeature } from '../model/features.js';

export const FORMAT = 'ner-window-classifier';
export const VERSION = 1;

export interface Packed {
  dtype: 'float64le' | 'float32le';
  shape: number[];
  base64: string;
}

// The bytes of a float array are its values little-endian on every machine Node runs on but big-endian
// ones; there they are written and read one value at a time.
const LE = os.endianness() === 'LE';

/** Bytes [from, to) of a's values in little-endian order (a view of a's memory where that is its order). */
export function leBytes(a: Float64Array | Float32Array, from = 0, to = a.byteLength): Buffer {
  if (LE) return Buffer.from(a.buffer, a.byteOffset + from, to - from);
  const size = a.BYTES_PER_ELEMENT;
  const out = Buffer.alloc(to - from);
  for (let o = from; o < to; o += size) size === 4 ? out.writeFloatLE(a[o / 4], o - from) : out.writeDoubleLE(a[o / 8], o - from);
  return out;
}

export function pack(a: Float64Array | Float32Array, shape: number[]): Packed {
  return { dtype: a instanceof Float32Array ? 'float32le' : 'float64le', shape, base64: leBytes(a).toString('base64') };
}

/** A packed array's bytes, checked against the shape the config implies. */
function packedBytes(p: unknown, what: string, expected: number[], file: string): { bytes: Buffer; size: 4 | 8; count: number } {
  const o = p as Packed;
  if (!o || (o.dtype !== 'float64le' && o.dtype !== 'float32le') || typeof o.base64 !== 'string' || !Array.isArray(o.shape)) {
    throw new DataError(file, undefined, `model parameter ${what} is missing or not a packed float64 array`, 'retrain the model with `ner train`');
  }
  const count = expected.reduce((x, y) => x * y, 1);
  if (o.shape.join('×') !== expected.join('×')) {
    throw new DataError(file, undefined, `model parameter ${what} has shape ${o.shape.join('×')} but the config implies ${expected.join('×')}`,
      'the file was edited or corrupted: retrain the model with `ner train`');
  }
  const bytes = Buffer.from(o.base64, 'base64');
  const size = o.dtype === 'float32le' ? 4 : 8;
  if (bytes.length !== count * size) {
    throw new DataError(file, undefined, `model parameter ${what} holds ${Math.floor(bytes.length / size)} values, expected ${count}`,
      'the file is truncated or corrupted: retrain the model with `ner train`');
  }
  return { bytes, size, count };
}

function checkFinite(a: Float64Array | Float32Array, what: string, file: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new DataError(file, undefined, `model parameter ${what} contains ${a[i]}`, 'retrain the model');
  }
}

/** A packed array (float64le or float32le) as float64 values. */
export function unpack(p: unknown, what: string, expected: number[], file: string): Float64Array {
  const { bytes, size, count } = packedBytes(p, what, expected, file);
  const a = new Float64Array(count);
  if (size === 8 && LE) new Uint8Array(a.buffer).set(bytes);
  else for (let i = 0; i < count; i++) a[i] = size === 4 ? bytes.readFloatLE(i * 4) : bytes.readDoubleLE(i * 8);
  checkFinite(a, what, file);
  return a;
}

/** A packed array as float32 values: float32le bytes as they are (no float64 copy on the way), float64le
 *  ones rounded to float32. */
export function unpack32(p: unknown, what: string, expected: number[], file: string): Float32Array {
  if ((p as Packed)?.dtype === 'float64le') return Float32Array.from(unpack(p, what, expected, file));
  const { bytes, count } = packedBytes(p, what, expected, file);
  const a = new Float32Array(count);
  if (LE) new Uint8Array(a.buffer).set(bytes);
  else for (let i = 0; i < count; i++) a[i] = bytes.readFloatLE(i * 4);
  checkFinite(a, what, file);
  return a;
}

/** The model as a JSON string (deterministic: fixed key order, no timestamps or timings). */
export function serialiseModel(m: NerModel): string {
  const { dims } = m;
  const G = groups(dims);
  const doc = {
    format: FORMAT,
    version: VERSION,
    nerVersion: NER_VERSION,
    config: m.config,
    labels: m.labels,
    inputScheme: m.inputScheme,
    dims,
    window: { ...m.shape, casings: C },
    embeddings: m.embeddings,
    trainedOn: m.trainedOn,
    bestEpoch: m.bestEpoch,
    history: m.history.map((r) => ({ epoch: r.epoch, loss: r.loss, lr: r.lr, dev: r.dev })),
    words: { keys: m.words.keys, rows: pack(m.words.rows, [m.words.keys.length, m.words.d]), ...subwordDoc(m.words.sub) },
    params: {
      W: pack(m.params.W, [G * dims.H, dims.n]),
      b: pack(m.params.b, [G * dims.H]),
      U: pack(m.params.U, [dims.K, dims.H]),
      c: pack(m.params.c, [dims.K]),
    },
    ...(m.gazetteer ? { gazetteer: gazetteerToJson(m.gazetteer) } : {}),
    ...(m.packed ? { vectors: m.packed } : {}),
  };
  return JSON.stringify(doc) + '\n';
}

function subwordDoc(sw: Subwords | undefined): object {
  return sw ? { subword: { D: sw.D, R: sw.R, minn: sw.minn, maxn: sw.maxn, Z: pack(sw.Z, [sw.R, sw.D]) } } : {};
}

export function saveModel(m: NerModel, file: string): void {
  writeFileAtomic(file, serialiseModel(m));
}

/**
 * A model file read and checked, still without its pretrained embeddings (or with them, `packaged`, when
 * the file carries them). `nerVersion`: the ner that wrote it (undefined for files older than the field).
 */
export type ModelFile = Omit<NerModel, 'words'> & { wordKeys: string[]; wordRows: Float64Array; subwords?: Subwords; file: string; nerVersion?: string; packaged?: Embeddings };

export function parseModel(text: string, file: string): ModelFile {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw jsonError(text, file, (err as Error).message);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || doc.format !== FORMAT) {
    const what = !doc || typeof doc !== 'object' || Array.isArray(doc)
      ? `it is JSON, but ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)?.slice(0, 20)}, not an object`
      : doc.format === undefined
        ? `it is JSON from another program (no "format" field; its keys: ${Object.keys(doc).slice(0, 6).join(', ') || 'none'})`
        : `its format is ${JSON.stringify(doc.format).slice(0, 60)}, expected "${FORMAT}"`;
    throw new DataError(file, undefined, `not a ner model file: ${what}`, 'pass a model written by `ner train` (default models/ner.json)');
  }
  if (doc.version !== VERSION) {
    const newer = typeof doc.version === 'number' && doc.version > VERSION;
    if (String(doc.version) === String(VERSION)) {
      throw new DataError(file, undefined, `model format version ${JSON.stringify(doc.version)} is a ${typeof doc.version}, expected the number ${VERSION}`,
        `the file was edited: write "version": ${VERSION}, or retrain the model with \`ner train\``);
    }
    throw new DataError(file, undefined, `model format version ${JSON.stringify(doc.version)} is not supported (this ner reads version ${VERSION})`,
      newer ? 'upgrade ner to read it' : 'retrain the model with this version of ner');
  }
  // options a file older than them lacks are off in it (not the current defaults)
  const config: ModelConfig = { ...DEFAULT_CONFIG, subword: 0, shape: false, gazetteerFromTrain: false, ...doc.config };
  const bad = (what: string) => new DataError(file, undefined, `model file is inconsistent: ${what}`, 'retrain the model with `ner train`');
  if (!HEADS.includes(config.head)) throw bad(`unknown head ${JSON.stringify(config.head)} (this ner knows ${HEADS.join(', ')})`);
  if (!ACTIVATIONS.includes(config.activation)) throw bad(`unknown activation ${JSON.stringify(config.activation)}`);
  if (!Array.isArray(doc.labels?.types) || doc.labels.types.some((t: unknown) => typeof t !== 'string')) throw bad('labels.types is missing');
  const labels = makeLabels(config.head, doc.labels.types, config.scheme);
  const shape = doc.window;
  if (!shape || !Number.isInteger(shape.window) || !Number.isInteger(shape.d) || typeof shape.useCasing !== 'boolean') throw bad('window is missing');
  if (shape.window < 0 || shape.d < 1) throw bad(`window ${shape.window} or dimension ${shape.d} is out of range`);
  if (shape.casings !== C) throw bad(`it uses ${shape.casings} casing classes, this ner has ${C}`);
  if (config.window !== shape.window) throw bad(`config.window is ${config.window} but the parameters are for window ${shape.window}`);
  if (config.casing !== shape.useCasing) throw bad(`config.casing is ${config.casing} but the parameters are for casing ${shape.useCasing}`);
  if (!Number.isInteger(config.hidden) || config.hidden < 1) throw bad(`config.hidden is ${JSON.stringify(config.hidden)}, expected a whole number ≥ 1`);
  const sw = doc.words?.subword ?? undefined; // null counts as absent
  const D = shape.sub ?? 0;
  if (!Number.isInteger(D) || D < 0 || D !== config.subword || (D > 0) !== (sw !== undefined)) throw bad(`the subword vector size (window.sub ${JSON.stringify(shape.sub)}, config.subword ${config.subword}) and words.subword disagree`);
  if (sw !== undefined && !(Number.isInteger(sw.R) && sw.R >= 1 && sw.D === D && Number.isInteger(sw.minn) && Number.isInteger(sw.maxn) && sw.minn >= 1 && sw.maxn >= sw.minn)) throw bad('words.subword should hold D, R, minn ≤ maxn (whole numbers) and Z');
  const subwords = sw === undefined ? undefined : newSubwords(D, sw.R, sw.minn, sw.maxn, unpack32(sw.Z, 'words.subword.Z', [sw.R, D], file));
  const groupsOk = shape.groups === undefined || (Array.isArray(shape.groups) && shape.groups.every((g: any) => typeof g?.name === 'string' && Number.isInteger(g.size) && g.size >= 2));
  if (!groupsOk) throw bad('window.groups should be a list of {name, size ≥ 2}');
  const gazetteer = doc.gazetteer === undefined ? undefined : gazetteerFromJson(doc.gazetteer); // files before gazetteers have none
  if (typeof gazetteer === 'string') throw bad(gazetteer);
  const features = tokenFeatures(shape.groups ?? [], gazetteer, bad, file);
  if (config.shape !== features.some((f: OneHot) => f.name === 'shape')) throw bad(`config.shape is ${config.shape} but window.groups ${config.shape ? 'lacks' : 'has'} the word shape`);
  const windowShape = { window: shape.window, d: shape.d, useCasing: shape.useCasing, ...(D > 0 ? { sub: D } : {}), ...(shape.groups?.length ? { groups: shape.groups } : {}) };
  const dims = { head: config.head, n: inputSize(windowShape), H: config.hidden, K: outputCount(labels) };
  if (doc.dims?.n !== dims.n || doc.dims?.K !== dims.K || doc.dims?.H !== dims.H) {
    throw bad(`dims ${JSON.stringify(doc.dims)} disagree with the config (n=${dims.n}, H=${dims.H}, K=${dims.K})`);
  }
  const G = groups(dims);
  const params: Params = {
    W: unpack(doc.params?.W, 'W', [G * dims.H, dims.n], file),
    b: unpack(doc.params?.b, 'b', [G * dims.H], file),
    U: unpack(doc.params?.U, 'U', [dims.K, dims.H], file),
    c: unpack(doc.params?.c, 'c', [dims.K], file),
  };
  checkParams(params, dims);
  const keys = doc.words?.keys;
  if (!Array.isArray(keys) || keys.some((k: unknown) => typeof k !== 'string')) throw bad('words.keys is missing or not a list of words');
  if (keys.length < 3) throw bad(`words.keys has ${keys.length} words, expected at least 3 (<s>, </s> and <unk>)`);
  const wordRows = unpack(doc.words.rows, 'words.rows', [keys.length, shape.d], file);
  if (doc.history !== undefined && !Array.isArray(doc.history)) throw bad('history is not a list of epochs');
  (doc.history ?? []).forEach((r: unknown, i: number) => {
    const problem = epochRecordProblem(r, i + 1);
    if (problem) throw bad(`history[${i}] ${problem}`);
  });
  if (doc.bestEpoch !== undefined && !(Number.isInteger(doc.bestEpoch) && doc.bestEpoch >= 0 && doc.bestEpoch <= (doc.history ?? []).length)) throw bad(`bestEpoch is ${JSON.stringify(doc.bestEpoch)}`);
  const on = doc.trainedOn;
  if (on !== undefined && (!on || !Array.isArray(on.files) || on.files.some((f: unknown) => typeof f !== 'string') || !Number.isSafeInteger(on.sentences) || !Number.isSafeInteger(on.tokens))) {
    throw bad('trainedOn should hold files (a list of names), sentences and tokens (whole numbers)');
  }
  const e = doc.embeddings;
  if (!e || typeof e.source !== 'string' || typeof e.fingerprint !== 'string' || e.d !== shape.d) throw bad('embeddings info is missing');
  const packaged = doc.vectors === undefined ? undefined : unpackVectors(doc.vectors, e, file);
  return {
    config,
    labels,
    inputScheme: doc.inputScheme,
    dims,
    shape: windowShape,
    params,
    embeddings: e,
    history: Array.isArray(doc.history) ? doc.history : [],
    bestEpoch: doc.bestEpoch ?? 0,
    trainedOn: doc.trainedOn ?? { files: [], sentences: 0, tokens: 0 },
    wordKeys: keys,
    wordRows,
    ...(subwords ? { subwords } : {}),
    file,
    ...(typeof doc.nerVersion === 'string' ? { nerVersion: doc.nerVersion } : {}),
    ...(packaged ? { packaged, packed: doc.vectors } : {}),
    ...(gazetteer ? { gazetteer } : {}),
    ...(features.length > 0 ? { features } : {}),
  };
}

/** The rule of each one-hot group of a model's window blocks, made from the data the file carries. */
function tokenFeatures(groups: OneHot[], gazetteer: Gazetteer | undefined, bad: (what: string) => DataError, file: string): TokenFeature[] {
  const features = groups.map((g) => {
    if (g.name !== GAZETTEER_GROUP) {
      const f = featureFor(g); // the groups without data of their own (word shape)
      if (typeof f === 'string') throw new DataError(file, undefined, `this ner cannot tag with the model: ${f}`, 'tag it with the ner version that trained it, or retrain it with this one');
      return f;
    }
    if (!gazetteer) throw bad('window.groups has a gazetteer group but the file has no gazetteer');
    if (g.size !== gazetteerClassCount(gazetteer)) throw bad(`the gazetteer group has ${g.size} classes but the gazetteer's ${gazetteer.types.length} types make ${gazetteerClassCount(gazetteer)}`);
    return gazetteerFeature(gazetteer);
  });
  if (gazetteer && features.length === 0) throw bad('the file has a gazetteer but window.groups has no gazetteer group');
  return features;
}

/** A DataError for text that JSON.parse rejected: says when the file was cut short, and where the error is. */
function jsonError(text: string, file: string, message: string): DataError {
  const hint = 'pass a model written by `ner train` (default models/ner.json)';
  const body = text.trim();
  if (body === '') return new DataError(file, undefined, 'not a model file: it is empty', hint);
  if (body.startsWith('{') && !body.endsWith('}')) {
    return new DataError(file, undefined, `the model file is truncated: its JSON stops after ${text.length} characters (${message})`,
      'the file was cut short (disk full? copy interrupted?): copy it again or retrain with `ner train`');
  }
  const at = /at position (\d+)/.exec(message);
  let line: number | undefined;
  if (at) {
    line = 1;
    const pos = Number(at[1]);
    for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  }
  return new DataError(file, line, `not a model file: it is not valid JSON (${message.replace(/\s+/g, ' ').slice(0, 120)})`, hint);
}

export function readModelFile(file: string): ModelFile {
  let text: string;
  try {
    if (fs.statSync(file).isDirectory()) throw new DataError(file, undefined, 'is a directory, expected a model file', 'pass e.g. models/ner.json');
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof NerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'model file not found', 'train one first: ner train --output ' + file);
    if (code === 'EACCES' || code === 'EPERM') throw new DataError(file, undefined, 'permission denied: cannot read the model file', 'make it readable (chmod u+r) or pass another model');
    throw new DataError(file, undefined, `cannot read the model file (${code ?? (err as Error).message})`);
  }
  return parseModel(text, file);
}

/** Joins a model file with its pretrained embeddings, checking that they are the ones it was trained with. */
export function attachEmbeddings(mf: ModelFile, emb: Embeddings): NerModel {
  if (emb === mf.packaged) {
    const { wordKeys, wordRows, subwords, file: _file, nerVersion: _v, packaged: _p, ...rest } = mf;
    return { ...rest, words: newWordTable(mf.shape.d, wordKeys, wordRows, emb, subwords) };
  }
  if (emb.d !== mf.shape.d) {
    throw new NerError(`the embeddings have dimension ${emb.d} but the model ${mf.file} was trained with dimension ${mf.shape.d}`,
      `use the embeddings it was trained with: --embeddings ${mf.embeddings.source}`);
  }
  if (emb.fingerprint !== mf.embeddings.fingerprint && emb.source === mf.embeddings.source) {
    throw new NerError(`the embeddings file ${emb.source} has changed since the model ${mf.file} was trained with it (fingerprint ${emb.fingerprint} ≠ ${mf.embeddings.fingerprint})`,
      `restore the original vectors, or train the model again: ner train --embeddings ${emb.source} --output ${mf.file}`);
  }
  if (emb.fingerprint !== mf.embeddings.fingerprint) {
    throw new NerError(`the embeddings ${emb.source} are not the ones the model ${mf.file} was trained with (fingerprint ${emb.fingerprint} ≠ ${mf.embeddings.fingerprint})`,
      `use the embeddings it was trained with: --embeddings ${mf.embeddings.source}`);
  }
  const { wordKeys, wordRows, subwords, file: _file, nerVersion: _v, packaged: _p, ...rest } = mf;
  return { ...rest, words: newWordTable(mf.shape.d, wordKeys, wordRows, emb, subwords) };
}
