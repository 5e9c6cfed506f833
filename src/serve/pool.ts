// The tagging threads of `ner serve`: for each model version, `size` TagPipelines, the library's one
// way of tagging on another thread (src/predict/tag-pipeline.ts). This thread reads requests, tokenizes
// and encodes; the pipelines' threads score. A request's work is cut into jobs (jobsOf); each goes to the
// version's pipeline with the least work waiting. Every pipeline gives a Tagger's spans whatever its
// cache holds, so an answer never depends on the thread or on how many there are (test: the same answers
// with 1 and 2 threads). A pipeline whose thread stops fails only the jobs it held (their requests answer
// 500); a new one takes its place when the lane is next used.

import { tokenize } from '../data/tokenize.js';
import type { Embeddings } from '../embeddings/embeddings.js';
import { embeddingsForModel } from '../embeddings/locate.js';
import { attachEmbeddings, type ModelFile } from '../io/model-io.js';
import type { NerModel } from '../model/ner-model.js';
import { taggedSentences, type Entity } from '../predict/entities.js';
import { TagPipeline } from '../predict/tag-pipeline.js';

/** What a text gives: its entities (offsets in UTF-16 units, the text as the input has it, the probability
 *  unrounded: routes.ts makes them what each route answers) and its number of tokens. */
export interface TextResult {
  entities: Entity[];
  tokens: number;
}

/** About 5,000 tokens of text: a job's hand-over costs little next to it, and a short request waits
 *  for at most one such job in a thread. */
const JOB_CHARS = 32_768;

// Memory for each pipeline's cached per-word products, in its thread's WebAssembly arena (fast-scorer.ts).
const CACHE_BYTES = 24 * 2 ** 20;

/** A piece of a request's text `of`, starting at offset `at` in it. */
interface Piece {
  of: number;
  at: number;
  text: string;
}

/** The texts cut into pieces (a long text at line breaks) and grouped into jobs of about JOB_CHARS, in
 *  order. Depends on the texts only, never on the number of threads. */
export function jobsOf(texts: string[]): Piece[][] {
  const jobs: Piece[][] = [];
  let cur: Piece[] = [];
  let size = 0;
  const add = (p: Piece) => {
    if (size > 0 && size + p.text.length > JOB_CHARS) {
      jobs.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += p.text.length;
  };
  texts.forEach((text, of) => {
    let at = 0;
    while (text.length - at > JOB_CHARS) {
      // the last line break in the next JOB_CHARS, else the first after them; none: the rest is one piece
      let cut = text.lastIndexOf('\n', at + JOB_CHARS);
      if (cut <= at) cut = text.indexOf('\n', at + JOB_CHARS);
      if (cut < 0) break;
      add({ of, at, text: text.slice(at, cut + 1) });
      at = cut + 1;
    }
    add({ of, at, text: at === 0 ? text : text.slice(at) });
  });
  if (cur.length > 0) jobs.push(cur);
  return jobs;
}

interface Lane {
  tagger: TagPipeline;
  chars: number; // text waiting in this thread: how its load is compared
}

export class TagPool {
  private readonly versions = new Map<number, { model: NerModel; lanes: Lane[] }>();
  // embeddings as `ner tag` finds them (embeddings/locate.ts), loaded once for all the versions that use
  // the same ones
  private readonly embeddings = new Map<string, Promise<Embeddings>>();
  private closed = false;

  constructor(
    readonly size: number,
    private readonly given: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  private embeddingsFor(mf: ModelFile): Promise<Embeddings> {
    if (mf.packaged) return Promise.resolve(mf.packaged);
    const key = `${mf.embeddings.fingerprint}|${mf.embeddings.maxWords ?? ''}`;
    let e = this.embeddings.get(key);
    if (e === undefined) {
      e = embeddingsForModel(mf, this.given, { lazyVectors: true });
      this.embeddings.set(key, e);
      e.catch(() => this.embeddings.delete(key)); // a failed load is tried again next time
    }
    return e;
  }

  /** Starts the threads of a model version; fails (no thread started) when its embeddings cannot be found
   *  or do not fit it. */
  async load(version: number, mf: ModelFile): Promise<void> {
    const model = attachEmbeddings(mf, await this.embeddingsFor(mf));
    const lanes = Array.from({ length: this.size }, () => ({ tagger: new TagPipeline(model, CACHE_BYTES), chars: 0 }));
    this.versions.set(version, { model, lanes });
  }

  /** Stops a version's threads (the model holder drops a version no request holds). */
  drop(version: number): void {
    for (const lane of this.versions.get(version)?.lanes ?? []) lane.tagger.close();
    this.versions.delete(version);
  }

  /**
   * Tags texts on a version. The work is cut into jobs of about JOB_CHARS: short texts are grouped, a
   * long text is cut at line breaks (where the tokenizer always ends a sentence, so the pieces give the
   * entities of the whole, their offsets moved by where each piece starts). A request has at most one
   * job per thread at a time, so a short request is never queued behind all of a long one, and a model
   * swap completes between two of a long request's jobs (which go on with the version they started on).
   */
  async tag(version: number, texts: string[], minProb: number): Promise<TextResult[]> {
    const jobs = jobsOf(texts);
    const answers: TextResult[][] = new Array(jobs.length);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const j = next++;
        answers[j] = await this.job(version, jobs[j].map((p) => p.text), minProb);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.size, jobs.length) }, lane));
    // joined in the order of the pieces, whatever order the jobs ended in
    const results: TextResult[] = texts.map(() => ({ entities: [], tokens: 0 }));
    jobs.forEach((pieces, j) => pieces.forEach((p, k) => {
      const r = results[p.of];
      r.tokens += answers[j][k].tokens;
      for (const e of answers[j][k].entities) r.entities.push(p.at === 0 ? e : { ...e, start: e.start + p.at, end: e.end + p.at });
    }));
    return results;
  }

  private async job(version: number, texts: string[], minProb: number): Promise<TextResult[]> {
    const v = this.versions.get(version);
    if (this.closed || v === undefined) throw new Error('the server is shutting down');
    const lane = v.lanes.reduce((a, b) => (b.chars < a.chars ? b : a));
    const chars = texts.reduce((a, t) => a + t.length, 0);
    const docs = texts.map(tokenize);
    const sentences = docs.flat();
    if (lane.tagger.failed) {
      this.log('a tagging thread had stopped; starting a new one');
      lane.tagger.close();
      lane.tagger = new TagPipeline(v.model, CACHE_BYTES);
    }
    lane.chars += chars;
    let spans;
    try {
      spans = sentences.length === 0 ? [] : await lane.tagger.tag(sentences.map((s) => s.map((t) => t.text)));
    } catch (err) {
      // a failed thread is this server's fault, not the request's: a 500, not a NerError's 400
      throw new Error(`the tagging thread stopped while tagging this request (${(err as Error).message})`);
    } finally {
      lane.chars -= chars;
    }
    const tagged = taggedSentences(sentences, spans, minProb);
    let s = 0;
    return docs.map((doc, i) => {
      const mine = tagged.slice(s, (s += doc.length));
      const entities = mine.flatMap((t) => t.entities.map((e) => ({ text: texts[i].slice(e.start, e.end), type: e.type, start: e.start, end: e.end, prob: e.prob })));
      return { entities, tokens: doc.reduce((a, x) => a + x.length, 0) };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const version of [...this.versions.keys()]) this.drop(version);
  }
}
