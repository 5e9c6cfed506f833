// One labelling session of `ner annotate`: which sentence to ask next, what the person answered, and the
// model in the loop. No HTTP here (server.ts) and no terminal (cli/annotate.ts).
//
//   - The pool is the text's sentences minus those already in the output file, so a restart goes on
//     where the last session stopped. Skipped sentences come back after all the others.
//   - Order: without a model, a random order drawn from the seed; with one, the most uncertain first
//     (uncertainty.ts), and never a sentence that shares a name with the last RECENT questions
//     (select.ts), so the person is not asked about the same club ten times in a row.
//   - Every accepted sentence is appended to the output and flushed at once (labelled-file.ts).
//   - Every `every` accepted sentences, a retraining starts in a worker thread (retrain.ts) from the
//     output plus any seed files; when it is done the new model is swapped in whole (one assignment:
//     the old one answers until then), the remaining sentences are reordered by it, and its dev F1
//     joins the curve. Accepts that arrive during a retraining count towards the next one.

import { UsageError } from '../errors.js';
import { readModelFile, attachEmbeddings } from '../io/model-io.js';
import type { Embeddings } from '../embeddings/embeddings.js';
import type { NerModel } from '../model/ner-model.js';
import type { Span } from '../data/tags.js';
import { Rng } from '../rng.js';
import { LabelledFile } from './labelled-file.js';
import { retrainInWorker, type RetrainJob } from './retrain.js';
import { byUncertainty, namesOf, pickDiverse, shuffled } from './select.js';
import { scoreSentences, type Measure } from './uncertainty.js';

const RECENT = 20; // questions whose names the next one must not repeat

export interface SessionOptions {
  sentences: string[][];
  out: string;
  types: string[];
  model: NerModel | null;
  /** The vectors retrained models are joined with (those of the model, or the default). */
  embeddings: Embeddings;
  trainFiles: string[];
  dev: string | null;
  every: number;
  by: Measure;
  seed: number;
  modelOut: string;
  now?: () => number;
  log?: (msg: string) => void;
}

export interface Item {
  id: number;
  tokens: string[];
  spans: Span[];
}

type Done = { kind: 'accept'; item: Item; before: number } | { kind: 'skip'; item: Item };

export interface SessionState {
  types: string[];
  item: Item | null;
  /** Sentences in the text, labelled (in the file, this session or before), left to ask. */
  total: number;
  labelled: number;
  entities: number;
  left: number;
  /** This session: accepted sentences and the mean seconds from showing one to accepting it. */
  accepted: number;
  secondsPerSentence: number | null;
  canUndo: boolean;
  model: { version: number; sentences: number | null; retraining: boolean; error: string | null; nextRetrainIn: number; by: Measure | 'random' };
  curve: { sentences: number; f1: number }[];
  repairedBytes: number;
}

export class Session {
  readonly file: LabelledFile;
  private model: NerModel | null;
  private version = 0;
  private modelSentences: number | null = null;
  private order: number[];
  private names = new Map<number, string[]>();
  private readonly skipped = new Set<number>();
  private current: Item | null = null;
  private shownAt = 0;
  private readonly history: Done[] = [];
  private readonly recent: string[][] = [];
  private readonly times: number[] = [];
  private sinceTrain = 0;
  private retraining: Promise<void> | null = null;
  private error: string | null = null;
  readonly curve: { sentences: number; f1: number }[] = [];
  private readonly now: () => number;

  constructor(private readonly o: SessionOptions) {
    if (!(Number.isInteger(o.every) && o.every >= 1)) throw new UsageError(`--every ${o.every}: expected a whole number ≥ 1`, 'e.g. --every 20');
    this.file = new LabelledFile(o.out);
    this.now = o.now ?? (() => performance.now());
    this.model = o.model;
    this.modelSentences = o.model?.trainedOn.sentences ?? null;
    const ids = o.sentences.map((_, i) => i);
    if (o.model !== null && o.by !== 'random') {
      this.order = this.rank(o.model, ids);
    } else this.order = shuffled(ids, new Rng(o.seed));
  }

  private rank(model: NerModel, ids: number[]): number[] {
    const scored = scoreSentences(model, ids.map((i) => this.o.sentences[i]), this.o.by);
    ids.forEach((id, j) => this.names.set(id, namesOf(this.o.sentences[id], scored[j])));
    return byUncertainty(scored, ids.map((_, j) => j)).map((j) => ids[j]);
  }

  /** The model's entities for a sentence, limited to the session's types. */
  private preAnnotate(tokens: string[]): Span[] {
    if (this.model === null) return [];
    const [s] = scoreSentences(this.model, [tokens], 'random');
    return s.spans.filter((e) => this.o.types.includes(e.type)).map(({ type, start, end }) => ({ type, start, end }));
  }

  private unlabelled(): number[] {
    return this.order.filter((id) => !this.file.has(this.o.sentences[id]));
  }

  /** The sentence to show: the current one, else the next by the order and the diversity rule. */
  next(): Item | null {
    if (this.current !== null) return this.current;
    let open = this.unlabelled().filter((id) => !this.skipped.has(id));
    if (open.length === 0 && this.skipped.size > 0) {
      this.skipped.clear();
      open = this.unlabelled();
    }
    if (open.length === 0) return null;
    const recent = new Set(this.recent.flat());
    const [id] = pickDiverse(open, 1, (i) => this.o.sentences[i], (i) => this.names.get(i) ?? [], recent);
    const tokens = this.o.sentences[id];
    this.current = { id, tokens, spans: this.preAnnotate(tokens) };
    this.recent.push(this.names.get(id) ?? []);
    if (this.recent.length > RECENT) this.recent.shift();
    this.shownAt = this.now();
    return this.current;
  }

  private take(id: unknown): Item {
    const cur = this.current;
    if (cur === null || id !== cur.id) throw new UsageError(`sentence ${String(id)} is not the one being asked (${cur?.id ?? 'none'})`, 'reload the page');
    return cur;
  }

  /** Checks the person's spans against the sentence: whole tokens, known types, no overlaps. */
  private checkSpans(item: Item, spans: unknown): Span[] {
    if (!Array.isArray(spans)) throw new UsageError('spans: expected a list of {start, end, type}');
    const n = item.tokens.length;
    const out: Span[] = spans.map((s, k) => {
      const { start, end, type } = (s ?? {}) as Record<string, unknown>;
      if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) > n || (start as number) >= (end as number)) {
        throw new UsageError(`span ${k}: start ${String(start)} and end ${String(end)} must be token positions with 0 ≤ start < end ≤ ${n}`);
      }
      if (typeof type !== 'string' || !this.o.types.includes(type)) throw new UsageError(`span ${k}: unknown type ${String(type)}`, `use one of ${this.o.types.join(', ')}`);
      return { start: start as number, end: end as number, type };
    });
    out.sort((a, b) => a.start - b.start);
    for (let k = 1; k < out.length; k++) {
      if (out[k].start < out[k - 1].end) throw new UsageError(`spans ${out[k - 1].start}-${out[k - 1].end} and ${out[k].start}-${out[k].end} overlap`, 'an entity may not overlap another');
    }
    return out;
  }

  /** Writes the sentence with these spans to the output (on disk before this returns) and moves on. */
  accept(id: unknown, spans: unknown): void {
    const item = this.take(id);
    const checked = this.checkSpans(item, spans);
    const before = this.file.append({ tokens: item.tokens, spans: checked });
    this.history.push({ kind: 'accept', item: { ...item, spans: checked }, before });
    this.times.push((this.now() - this.shownAt) / 1000);
    this.current = null;
    this.sinceTrain++;
    if (this.sinceTrain >= this.o.every) this.startRetraining();
  }

  skip(id: unknown, spans: unknown = []): void {
    const item = this.take(id);
    this.skipped.add(item.id);
    this.history.push({ kind: 'skip', item: { ...item, spans: Array.isArray(spans) ? this.checkSpans(item, spans) : item.spans } });
    this.current = null;
  }

  /** Takes back the last accept (removing it from the file) or skip; that sentence is shown again. */
  undo(): boolean {
    const last = this.history.pop();
    if (last === undefined) return false;
    if (last.kind === 'accept') {
      this.file.removeLast({ tokens: last.item.tokens, spans: last.item.spans }, last.before);
      this.times.pop();
      this.sinceTrain = Math.max(0, this.sinceTrain - 1);
    } else this.skipped.delete(last.item.id);
    this.current = last.item;
    this.shownAt = this.now();
    return true;
  }

  private canTrain(): boolean {
    return this.file.entities > 0 || this.o.trainFiles.length > 0;
  }

  /** Starts a retraining unless one is running; resolves when it is done (and swapped in). */
  startRetraining(): Promise<void> {
    if (this.retraining !== null) return this.retraining;
    if (!this.canTrain()) {
      this.error = 'waiting for a first entity before training';
      return Promise.resolve();
    }
    this.sinceTrain = 0;
    const ids = this.unlabelled();
    const job: RetrainJob = {
      files: [...(this.file.sentences > 0 ? [this.o.out] : []), ...this.o.trainFiles],
      dev: this.o.dev,
      seed: this.o.seed,
      embeddings: this.o.embeddings.source,
      modelOut: this.o.modelOut,
      pool: ids.map((i) => this.o.sentences[i]),
      by: this.o.by === 'random' ? 'lc' : this.o.by,
    };
    this.o.log?.(`retraining on ${this.file.sentences} labelled sentences${this.o.trainFiles.length > 0 ? ' and the seed data' : ''}…`);
    this.retraining = retrainInWorker(job).then((r) => {
      this.retraining = null;
      if (!r.ok) {
        this.error = r.hint ? `${r.message} (${r.hint})` : r.message;
        this.o.log?.(`retraining failed: ${this.error}`);
        return;
      }
      const model = attachEmbeddings(readModelFile(r.modelFile), this.o.embeddings);
      if (this.o.by !== 'random') {
        ids.forEach((id, j) => this.names.set(id, r.names[j]));
        this.order = byUncertainty(r.u.map((u) => ({ u, spans: [], weakest: 0 })), ids.map((_, j) => j)).map((j) => ids[j]);
      }
      this.model = model; // the swap: later questions and pre-annotations use the new model
      this.version++;
      this.modelSentences = r.sentences;
      this.error = null;
      if (r.f1 !== null) this.curve.push({ sentences: this.file.sentences, f1: r.f1 });
      this.o.log?.(`model ${this.version}: trained on ${r.sentences} sentences in ${r.seconds.toFixed(1)} s${r.f1 !== null ? `, dev F1 ${r.f1.toFixed(2)}` : ''}; saved ${r.modelFile}`);
      if (this.sinceTrain >= this.o.every) void this.startRetraining();
    });
    return this.retraining;
  }

  /** Resolves when no retraining is running. */
  async idle(): Promise<void> {
    while (this.retraining !== null) await this.retraining;
  }

  state(): SessionState {
    const item = this.next();
    const left = this.unlabelled().length;
    return {
      types: this.o.types,
      item,
      total: this.o.sentences.length,
      labelled: this.file.sentences,
      entities: this.file.entities,
      left,
      accepted: this.times.length,
      secondsPerSentence: this.times.length > 0 ? this.times.reduce((a, b) => a + b, 0) / this.times.length : null,
      canUndo: this.history.length > 0,
      model: {
        version: this.version,
        sentences: this.modelSentences,
        retraining: this.retraining !== null,
        error: this.error,
        nextRetrainIn: Math.max(0, this.o.every - this.sinceTrain),
        by: this.model === null ? 'random' : this.o.by,
      },
      curve: this.curve,
      repairedBytes: this.file.repairedBytes,
    };
  }
}
