// Tagging a stream of batches (batchTagger), on one thread or two. With two, a second thread scores
// whole batches of sentences while the calling thread reads, tokenises, encodes and writes the others:
// a pipeline, the one way tagging uses a second thread.
//
// The calling thread keeps the embeddings and encodes each batch (word ids and casing, through the same
// memo as the Tagger). It sends the encoded batch with the pretrained rows of the words the thread has
// not been sent before (as float32, the values the scorer would read itself), so the thread needs no
// embeddings: its word table has the model's own rows and the rows it was sent (with subword vectors, also
// the n-gram table and the n-gram rows of each word id the first time it comes). The thread runs a
// Tagger's scorer on each batch in the order they come, chooses each token's output from the probabilities
// (labels.ts chooseOutputs: the Viterbi path, per sentence) and answers with the choices and their
// probabilities; the calling thread makes the spans of them (spansOfChoice). Reading, tokenising,
// encoding and writing keep the calling thread the busier one, so the Viterbi search goes to the thread
// that has time to spare, and an answer is 12 bytes a token, not the 8·K of the probabilities. The same
// scorer on the same batches in the same order, and the same decoding: the same spans as a Tagger on one
// thread.
//
// This file is both the thread's code (run by `new Worker`) and the calling side (TagPipeline).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Embeddings } from '../embeddings/embeddings.js';
import { NerError } from '../errors.js';
import { type Encoded, firstFormId } from '../model/features.js';
import { type Subwords, gramsOf } from '../model/subword.js';
import { WindowScorer } from './fast-scorer.js';
import { scorerKernels } from '../fast/scorer-wasm.js';
import { type Decoded, chooseOutputs, spansOfChoice, tagOutputs, transitions } from '../model/labels.js';
import type { NerModel } from '../model/ner-model.js';
import { Tagger, WordEncoder } from './predict.js';

const KIND = 'ner-tag-pipeline';

/** What the thread needs of the model (structured-cloneable: no embeddings). */
interface ModelPart {
  model: Omit<NerModel, 'words' | 'history'>;
  d: number;
  keys: number; // the model's own rows
  rows: Float64Array; // keys × d
  pretrained: number; // rows of the embeddings (word ids keys … keys + pretrained − 1)
  budgetBytes: number;
  sub?: Subwords; // without grams (sent with the jobs)
}

/** A batch, encoded, with the pretrained rows the thread has not had yet. */
interface Job {
  seq: number;
  e: Encoded;
  newIds: Int32Array; // pretrained row numbers (word id − keys)
  newRows: Float32Array; // their rows, d values each
  gramIds: Int32Array; // subword models: the word ids whose n-gram rows come with this batch
  gramEnds: Int32Array; // where each one's rows end in gramRows
  gramRows: Int32Array;
  formsCleared: number; // the calling side's words.formsCleared: ids of forms found nowhere start over when it changes
}

/** Each token's chosen output and its probability (labels.ts chooseOutputs), and the scorer's cache figures. */
interface Answer {
  seq: number;
  choice: Int32Array; // N
  prob: Float64Array; // N
  fills: number;
  capacity: number;
  error?: string;
}

const moved = (...arrays: ArrayBufferView[]): ArrayBuffer[] => arrays.map((a) => a.buffer as ArrayBuffer);

/** The calling side: starts the thread on a model and tags batches through it, in order. */
export class TagPipeline implements BatchTagger {
  private readonly worker: Worker;
  private readonly encoder: WordEncoder;
  private readonly sent: Uint8Array; // pretrained row r has been sent
  private gramsSent: Uint8Array; // word id → its n-gram rows have been sent (1)
  private formsCleared: number; // model.words.formsCleared when gramsSent was started
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private failure: Error | null = null;
  private stats = { capacity: 0, fills: 0 };

  /** maxForms: the forms found nowhere kept between batches (predict.ts MAX_FORMS); thread: one from
   *  startTagThread() (else one is started now). */
  constructor(
    private readonly model: NerModel,
    budgetBytes?: number,
    maxForms?: number,
    thread?: TagThread,
  ) {
    // a packaged model's vectors stay here (rows are sent as needed); so do the feature rules and the
    // gazetteer's phrases, which run here, and the history: the thread does not copy what it never reads
    const { words, packed: _packed, features: _features, gazetteer: _gazetteer, history: _history, ...rest } = model;
    // the model's own rows (13 MB with --fine-tune), moved into shared memory, which the thread reads
    // without a copy of its own: the same values, in the model the caller holds too
    if (!(words.rows.buffer instanceof SharedArrayBuffer)) {
      const rows = new Float64Array(new SharedArrayBuffer(words.rows.byteLength));
      rows.set(words.rows);
      words.rows = rows;
    }
    const sub = words.sub ? { ...words.sub, grams: new Map() } : undefined;
    const part: ModelPart = { model: rest, d: words.d, keys: words.keys.length, rows: words.rows, pretrained: words.emb ? words.emb.count : 0, budgetBytes: budgetBytes ?? 32 * 2 ** 20, ...(sub ? { sub } : {}) };
    this.encoder = new WordEncoder(words, model.features, maxForms);
    this.sent = new Uint8Array(part.pretrained);
    this.gramsSent = new Uint8Array(sub ? firstFormId(words) : 0);
    this.formsCleared = words.formsCleared ?? 0;
    const t = thread ?? startTagThread();
    this.worker = t.worker;
    this.worker.postMessage(part);
    const failed = (what: string) => new NerError(`the tagger's second thread ${what}`, 'run ner tag again with --threads 1');
    this.worker.on('message', (a: Answer) => {
      const p = this.pending.get(a.seq);
      this.pending.delete(a.seq);
      if (this.pending.size === 0) this.worker.unref();
      if (a.error !== undefined) p?.reject(failed(`failed: ${a.error}`));
      else p?.resolve(a);
    });
    this.worker.on('error', (err) => this.fail(failed(`failed: ${err.message}`)));
    this.worker.on('exit', () => this.fail(failed('stopped')));
    if (t.stopped !== undefined) this.fail(failed(t.stopped)); // before it was handed over
  }

  /** The thread stopped or was closed: tag() fails from now on. */
  get failed(): boolean {
    return this.failure !== null;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }

  /** Tags a batch of sentences on the thread: the spans of each sentence, as Tagger.tag gives them. */
  tag(sentences: string[][]): Promise<Pick<Decoded, 'spans'>[]> {
    if (this.failure) return Promise.reject(this.failure);
    const job = this.job(this.encoder.encode(sentences));
    return new Promise<Answer>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // an answer to wait for keeps the process alive
      this.pending.set(job.seq, { resolve, reject });
      this.worker.postMessage(job, moved(job.e.word, job.e.caseId, job.e.sentStart, job.e.sentEnd, job.newIds, job.newRows, job.gramIds, job.gramEnds, job.gramRows, ...(job.e.feat ? [job.e.feat] : [])));
    }).then((a) => {
      this.stats = { capacity: a.capacity, fills: a.fills };
      const { labels } = this.model;
      const out: Pick<Decoded, 'spans'>[] = [];
      for (let s = 0, o = 0; s < sentences.length; o += sentences[s].length, s++) {
        const n = sentences[s].length;
        out.push({ spans: spansOfChoice(labels, a.choice.subarray(o, o + n), a.prob.subarray(o, o + n)) });
      }
      return out;
    });
  }

  /** The job for an encoded batch, with the rows of the pretrained words the thread has not been sent. */
  private job(e: Encoded): Job {
    const { words } = this.model;
    const V = words.keys.length;
    const d = words.d;
    const fresh: number[] = [];
    const gramIds: number[] = [];
    const gramEnds: number[] = [];
    const gramRows: number[] = [];
    const formsCleared = words.formsCleared ?? 0;
    if (formsCleared !== this.formsCleared) {
      this.gramsSent.fill(0, firstFormId(words)); // those ids are other forms now
      this.formsCleared = formsCleared;
    }
    for (let i = 0; i < e.N; i++) {
      const id = e.word[i];
      const r = id - V;
      if (r >= 0 && r < this.sent.length && this.sent[r] === 0) {
        this.sent[r] = 1;
        fresh.push(r);
      }
      if (words.sub && this.gramsSent[id] !== 1) {
        if (id >= this.gramsSent.length) {
          const grown = new Uint8Array(Math.max(id + 1, Math.ceil(this.gramsSent.length * 1.25)));
          grown.set(this.gramsSent);
          this.gramsSent = grown;
        }
        this.gramsSent[id] = 1;
        gramIds.push(id);
        gramRows.push(...gramsOf(words.sub, id));
        gramEnds.push(gramRows.length);
      }
    }
    const newRows = new Float32Array(fresh.length * d);
    fresh.forEach((r, k) => words.emb!.readRow(r, newRows, k * d));
    return { seq: ++this.seq, e, newIds: Int32Array.from(fresh), newRows, gramIds: Int32Array.from(gramIds), gramEnds: Int32Array.from(gramEnds), gramRows: Int32Array.from(gramRows), formsCleared };
  }

  /** The thread's scorer cache: words it holds at most, and word products computed so far. */
  cacheStats(): { capacity: number; fills: number } {
    return this.stats;
  }

  /** Stops the thread; batches not answered yet are dropped. */
  close(): void {
    this.failure ??= new NerError('the tagger was closed', 'tag with a new one');
    this.pending.clear();
    void this.worker.terminate();
  }
}

/** Tags a stream of batches of sentences, in order: spans (and, on one thread, decode's tags) per sentence. */
export interface BatchTagger {
  tag(sentences: string[][]): Promise<(Pick<Decoded, 'spans'> & Partial<Pick<Decoded, 'tags'>>)[]>;
  /** The scorer's cache: words it holds at most, and word products computed so far. */
  cacheStats(): { capacity: number; fills: number };
  close(): void;
}

/**
 * Starts a tagging thread that waits for its model: started before the model is read, the thread loads its
 * code and compiles the scorer while this one reads the model and the embeddings. Hand it to one
 * TagPipeline (or batchTagger), or terminate it.
 */
export function startTagThread(): TagThread {
  const worker = new Worker(new URL(import.meta.url), { workerData: { kind: KIND }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  worker.unref(); // idle, it never keeps the process alive
  const t: TagThread = { worker };
  worker.on('error', (err) => (t.stopped ??= `failed: ${err.message}`));
  worker.on('exit', () => (t.stopped ??= 'stopped'));
  return t;
}

/** A tagging thread from startTagThread; `stopped` says how, when it failed or exited. */
export interface TagThread {
  worker: Worker;
  stopped?: string;
}

/**
 * A tagger for a stream of batches. threads 2: a second thread scores whole batches while this one
 * reads, tokenises and writes the others (TagPipeline); the same spans as one thread. It is the one way
 * tagging uses a second thread (see docs/benchmarks.md for why not sharing each batch's hidden units).
 */
export function batchTagger(model: NerModel, opts: { threads?: number; budgetBytes?: number; thread?: TagThread } = {}): BatchTagger {
  if ((opts.threads ?? 1) > 1) return new TagPipeline(model, opts.budgetBytes, undefined, opts.thread);
  void opts.thread?.worker.terminate(); // (not needed on one thread)
  const tagger = new Tagger(model, opts);
  return { tag: async (sentences) => tagger.tag(sentences), cacheStats: () => tagger.cacheStats(), close: () => tagger.close() };
}

/** The thread: a scorer whose word table has the model's own rows and the pretrained rows it was sent. */
function serve(part: ModelPart): void {
  const { d, keys: V } = part;
  const near = { slot: new Int32Array(part.pretrained).fill(-1), rows: new Float32Array(1024 * d) }; // row r → near.rows[slot[r]]
  let held = 0;
  const emb = {
    count: part.pretrained,
    d,
    readRow: (r: number) => {
      throw new Error(`pretrained row ${r} was never sent`);
    },
  } as unknown as Embeddings;
  const words: NerModel['words'] = { d, keys: new Array<string>(V).fill(''), keyIndex: new Map<string, number>(), rows: part.rows, emb, near, ...(part.sub ? { sub: part.sub, forms: new Map() } : {}) };
  const model = { ...part.model, words } as NerModel;
  const scorer = new WindowScorer(model, part.budgetBytes);
  // the probabilities of a batch, reused from batch to batch (a new 2 MB array per batch of 16k tokens
  // would leave this thread's malloc arena holding tens of MB of them)
  let P = new Float64Array(0);
  const { labels, config } = part.model;
  const tr = tagOutputs(labels.head) ? transitions(labels) : undefined;
  const K = part.model.dims.K;
  parentPort!.on('message', (job: Job) => {
    try {
      // the rows sent with this batch join the table (grown by doubling)
      if ((held + job.newIds.length) * d > near.rows.length) {
        const rows = new Float32Array(Math.max(2 * near.rows.length, (held + job.newIds.length) * d));
        rows.set(near.rows.subarray(0, held * d));
        near.rows = rows;
      }
      near.rows.set(job.newRows, held * d);
      for (let k = 0; k < job.newIds.length; k++) near.slot[job.newIds[k]] = held++;
      if (job.formsCleared !== (words.formsCleared ?? 0)) {
        // the ids of forms found nowhere start over: their n-grams go, and the scorer forgets their products
        for (const id of part.sub!.grams.keys()) if (id >= V + part.pretrained) part.sub!.grams.delete(id);
        words.formsCleared = job.formsCleared;
      }
      for (let k = 0; k < job.gramIds.length; k++) part.sub!.grams.set(job.gramIds[k], job.gramRows.slice(k ? job.gramEnds[k - 1] : 0, job.gramEnds[k]));
      const { N, sentEnd } = job.e;
      if (P.length < N * K) P = new Float64Array(Math.ceil(N * 1.25) * K); // (room for a longer batch)
      scorer.probabilities(job.e, 0, N, P);
      const a: Answer = { seq: job.seq, choice: new Int32Array(N), prob: new Float64Array(N), fills: scorer.fills, capacity: scorer.capacity };
      for (let i = 0; i < N; i = sentEnd[i]) {
        const n = sentEnd[i] - i;
        chooseOutputs(labels, P.subarray(i * K, (i + n) * K), n, a.choice.subarray(i, i + n), a.prob.subarray(i, i + n), config.threshold, tr);
      }
      parentPort!.postMessage(a, moved(a.choice, a.prob));
    } catch (err) {
      parentPort!.postMessage({ seq: job.seq, error: (err as Error).message });
    }
  });
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === KIND) {
  scorerKernels(); // compiled while the model is being read (the first message brings it)
  parentPort!.once('message', (part: ModelPart) => serve(part));
}
