// Learning from the annotations the tools send. Label Studio sends each annotation to POST /webhook as it
// is made (ANNOTATION_CREATED / _UPDATED / _DELETED, and START_TRAINING from the "Start training"
// button; label_studio_ml/api.py's TRAIN_EVENTS) with its task; POST /train takes a batch at once: Label
// Studio tasks {"annotations": [task, …]} (the shape of its JSON export and of the older /train) or
// doccano records {"doccano": [record, …]} (its JSONL export, one record per line, as an array). The
// documents are kept by id, the last version of each, and turned into tagged sentences by the
// annotation-format readers (src/data/formats: span → token mapping, with every problem counted).
//
// A retraining holds out a seeded share of the documents, trains on the rest in a thread of its own
// (train/in-thread.ts) with the current model's configuration and seed while tagging goes on, and swaps the new model in (model-holder.ts) only when its
// held-out F1 beats the current model's; both scores are logged and kept in the status. The same
// documents and seed give the same model. One retraining runs at a time; annotations that arrive during
// it start another when it ends.

import type { Corpus } from '../data/conll.js';
import { corpusOfSentences, recordSentences, type RecordFormat } from '../data/formats/index.js';
import { embeddingsForModel } from '../embeddings/locate.js';
import { NerError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { attachEmbeddings, parseModel, serialiseModel } from '../io/model-io.js';
import { Rng } from '../rng.js';
import { inThread, type ThreadRun } from '../train/in-thread.js';
import { devScore, train } from '../train/train.js';
import type { ModelHolder } from './model-holder.js';
import { badRequest, described, isObject, type JsonObject } from './validate.js';
import type { Answer } from './routes.js';

export interface RetrainJob {
  modelText: string; // the current model's file
  modelFile: string;
  embeddings?: string;
  train: Corpus;
  heldOut: Corpus;
}

type Score = { precision: number; recall: number; f1: number };

/** Trains on the job's training part with the current model's configuration and seed (the same
 *  annotations give the same model file), and scores both models on the held-out part (run in a thread). */
export async function retrain(job: RetrainJob): Promise<{ text: string; current: Score; retrained: Score; epochs: number }> {
  const mf = parseModel(job.modelText, job.modelFile);
  const emb = await embeddingsForModel(mf, job.embeddings, { lazyVectors: true });
  const current = attachEmbeddings(mf, emb);
  // the annotations' own types, not the ones the current model was restricted to
  // and the current model's gazetteer as a fixed list (its files may not be on this machine)
  const result = await train([job.train], null, emb, { ...mf.config, entity: [], gazetteers: [], gazetteerFromTrain: false }, {}, undefined, mf.gazetteer ?? null);
  return {
    text: serialiseModel(result.model),
    current: devScore(current, job.heldOut),
    retrained: devScore(result.model, job.heldOut),
    epochs: result.model.history.length,
  };
}

export interface RetrainOptions {
  output?: string; // a retrained model that is swapped in is also saved here
  minDocuments: number; // annotated documents needed before webhook events start a retraining
  holdout: number; // share of the documents held out
  embeddings?: string; // the server's --embeddings, if given
}

interface Run {
  job: number;
  documents: number;
  train_documents: number;
  held_out_documents: number;
  sentences: number;
  current_f1: number | null;
  retrained_f1: number | null;
  swapped: boolean;
  model_version: string | null;
  seconds: number | null;
  problems: string[];
  error?: string;
}

/** Label Studio's events that change what the model should learn (api.py's TRAIN_EVENTS). */
const TRAIN_EVENTS = ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED', 'ANNOTATION_DELETED', 'START_TRAINING'];
/** Fewer documents than this cannot be split into a training part and a held-out part worth scoring. */
const MIN_TO_TRAIN = 2;

export class Retrainer {
  private readonly docs = new Map<string, { format: RecordFormat; record: unknown }>();
  private running: Promise<void> | null = null;
  private again = false;
  private thread: ThreadRun<Awaited<ReturnType<typeof retrain>>> | null = null;
  private jobs = 0;
  private last: Run | null = null;
  private closed = false;

  constructor(
    private readonly holder: ModelHolder,
    private readonly opts: RetrainOptions,
    private readonly log: (line: string) => void,
  ) {}

  status(): JsonObject {
    return { is_training: this.running !== null, documents: this.docs.size, jobs: this.jobs, last: this.last };
  }

  /** POST /train: adds (or replaces, by id) the documents sent and starts a retraining. */
  train(body: unknown): JsonObject {
    let format: RecordFormat;
    let records: unknown[];
    if (isObject(body) && Array.isArray(body.annotations)) [format, records] = ['labelstudio', body.annotations];
    else if (isObject(body) && Array.isArray(body.doccano)) [format, records] = ['doccano', body.doccano];
    else {
      throw badRequest(`POST /train: expected {"annotations": [Label Studio tasks]} or {"doccano": [doccano records]}, got ${described(body)}`,
        'e.g. {"annotations": [{"id": 1, "data": {"text": "Ada lives in Paris."}, "annotations": [{"result": [{"type": "labels", "value": {"start": 13, "end": 18, "labels": ["LOC"]}}]}]}]}');
    }
    if (records.length === 0) throw badRequest('POST /train: no annotations found (the list is empty)');
    records.forEach((r, i) => {
      const id = isObject(r) && (typeof r.id === 'string' || typeof r.id === 'number') ? `${format}:${r.id}` : `${format}:#${this.docs.size + i}`;
      this.docs.set(id, { format, record: r });
    });
    if (this.docs.size < MIN_TO_TRAIN) throw badRequest(`POST /train: ${this.docs.size} annotated document; at least ${MIN_TO_TRAIN} are needed (one to train on, one to hold out)`);
    return { job: this.start(), documents: this.docs.size };
  }

  /** POST /webhook: Label Studio's events. */
  webhook(body: JsonObject): Answer {
    const action = body.action;
    if (typeof action !== 'string' || !TRAIN_EVENTS.includes(action)) return { status: 200, body: { status: 'Unknown event' } };
    if (action !== 'START_TRAINING') {
      const task = body.task;
      if (!isObject(task) || (typeof task.id !== 'number' && typeof task.id !== 'string')) {
        throw badRequest(`POST /webhook ${action}: expected "task": {"id", "data": {…}}, got ${described(task)}`);
      }
      const key = `labelstudio:${task.id}`;
      if (action === 'ANNOTATION_DELETED') this.docs.delete(key);
      else {
        if (!isObject(body.annotation)) throw badRequest(`POST /webhook ${action}: expected "annotation": {"result": […]}, got ${described(body.annotation)}`);
        this.docs.set(key, { format: 'labelstudio', record: { ...task, annotations: [body.annotation] } });
      }
    }
    const start = action === 'START_TRAINING' ? this.docs.size >= MIN_TO_TRAIN : this.docs.size >= this.opts.minDocuments && action !== 'ANNOTATION_DELETED';
    const job = start ? this.start() : null;
    return { status: 201, body: { status: 'ok', documents: this.docs.size, job } };
  }

  /** Starts a retraining, or asks for one more after the one running. Returns the job's number. */
  private start(): number {
    if (this.running !== null) {
      this.again = true;
      return this.jobs + 1;
    }
    const job = ++this.jobs;
    this.running = this.run(job)
      .catch((err) => this.log(`retrain ${job} failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.start();
        }
      });
    return job;
  }

  /** Waits for the retraining in progress, if any (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async run(job: number): Promise<void> {
    const t0 = performance.now();
    const base = this.holder.current;
    // the documents in a fixed order (by id), so the split and the model depend on them only
    const entries = [...this.docs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const problems: string[] = [];
    const docs = entries.map(([key, { format, record }], i) => {
      const { sentences, problems: p } = recordSentences(format, record, { where: { file: key, record: i + 1 } });
      problems.push(...p.describe(['error', 'warning', 'skipped']));
      return sentences;
    }).filter((s) => s.length > 0);
    const run: Run = {
      job, documents: docs.length, train_documents: 0, held_out_documents: 0, sentences: docs.reduce((a, s) => a + s.length, 0),
      current_f1: null, retrained_f1: null, swapped: false, model_version: null, seconds: null, problems,
    };
    this.last = run;
    if (docs.length < MIN_TO_TRAIN) {
      run.error = `${docs.length} usable annotated document(s); at least ${MIN_TO_TRAIN} are needed`;
      this.log(`retrain ${job}: ${run.error}`);
      return;
    }
    const order = docs.map((_, i) => i);
    new Rng(base.model.config.seed).shuffle(order);
    const held = Math.max(1, Math.round(this.opts.holdout * docs.length));
    const heldOut = order.slice(0, held).sort((a, b) => a - b).flatMap((i) => docs[i]);
    const training = order.slice(held).sort((a, b) => a - b).flatMap((i) => docs[i]);
    run.train_documents = docs.length - held;
    run.held_out_documents = held;
    let answer: Awaited<ReturnType<typeof retrain>> | undefined;
    try {
      this.thread = inThread(new URL(import.meta.url), 'retrain', {
        modelText: base.text, modelFile: base.file, embeddings: this.opts.embeddings,
        train: corpusOfSentences(`annotations (${docs.length - held} documents)`, training),
        heldOut: corpusOfSentences('held out', heldOut),
      } satisfies RetrainJob);
      answer = await this.thread.result;
    } catch (err) {
      const e = err as NerError;
      run.error = (e?.message ?? String(err)) + (e?.hint ? ` (fix: ${e.hint})` : '');
    } finally {
      this.thread = null;
      run.seconds = Math.round((performance.now() - t0) / 100) / 10;
    }
    if (answer === undefined) {
      this.log(`retrain ${job}: failed: ${run.error}`);
      return;
    }
    run.current_f1 = round2(answer.current.f1);
    run.retrained_f1 = round2(answer.retrained.f1);
    const scores = `held-out F1: current ${base.name} ${run.current_f1.toFixed(2)}, retrained ${run.retrained_f1.toFixed(2)}`;
    const what = `retrain ${job}: ${docs.length} documents (${run.train_documents} trained on, ${held} held out), ${answer.epochs} epochs in ${run.seconds} s; ${scores}`;
    if (!(answer.retrained.f1 > answer.current.f1)) {
      this.log(`${what}: kept the current model`);
      return;
    }
    if (this.closed) return;
    const file = this.opts.output ?? this.holder.file;
    if (this.opts.output !== undefined) writeFileAtomic(this.opts.output, answer.text);
    const v = await this.holder.install(answer.text, file, 'retrain');
    run.swapped = true;
    run.model_version = v.name;
    this.log(`${what}: swapped in ${v.name}${this.opts.output ? ` (saved to ${this.opts.output})` : ''}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.again = false;
    await this.thread?.stop();
    await this.running;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
