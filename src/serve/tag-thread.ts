// A tagging thread of `ner serve`: it holds a Tagger for each model version it is told to load, and
// answers jobs (raw texts → entities) on the version each job names. The main thread decides which
// versions exist (pool.ts, model-holder.ts); messages arrive in order, so a job sent before a version
// is dropped is answered on that version, and a job sent after a version is loaded can use it.
// A job that throws is answered with its error: the thread goes on with the next one.

import { parentPort, workerData } from 'node:worker_threads';
import type { Embeddings } from '../embeddings/embeddings.js';
import { embeddingsForModel } from '../embeddings/locate.js';
import { NerError } from '../errors.js';
import { attachEmbeddings, parseModel } from '../io/model-io.js';
import { findEntities, type Entity } from '../predict/entities.js';
import { Tagger } from '../predict/predict.js';
import { tokenize } from '../data/tokenize.js';

/** What a text gives: its entities (offsets in UTF-16 units, the text as the input has it, the probability
 *  unrounded: routes.ts makes them what each route answers) and its number of tokens. */
export interface TextResult {
  entities: Entity[];
  tokens: number;
}

export type ToThread =
  | { kind: 'load'; version: number; text: string; file: string; embeddings?: string }
  | { kind: 'drop'; version: number }
  | { kind: 'tag'; id: number; version: number; texts: string[]; minProb: number };

export type FromThread =
  | { kind: 'loaded'; version: number }
  | { kind: 'load-failed'; version: number; message: string; hint?: string }
  | { kind: 'tagged'; id: number; results: TextResult[] }
  | { kind: 'failed'; id: number; message: string };

// Memory for each Tagger's cached per-word products, in this thread's WebAssembly arena (fast-scorer.ts).
// During a swap two versions are held at once, so each takes well under half of the arena.
const CACHE_BYTES = 24 * 2 ** 20;

/** Tags raw texts with one Tagger: tokenize as `ner tag` does, then the same entities. */
export function tagTexts(tagger: Tagger, texts: string[], minProb: number): TextResult[] {
  return texts.map((text) => {
    const sentences = tokenize(text);
    let tokens = 0;
    for (const s of sentences) tokens += s.length;
    const entities = findEntities(tagger, sentences, minProb).flatMap((s) => s.entities.map((e) => ({ text: text.slice(e.start, e.end), type: e.type, start: e.start, end: e.end, prob: e.prob })));
    return { entities, tokens };
  });
}

function run(): void {
  const port = parentPort!;
  const taggers = new Map<number, Tagger>();
  // the embeddings as `ner tag` finds them (embeddings/locate.ts), loaded once per thread for all the
  // versions that use the same ones; a model that carries its vectors brings its own
  const embeddings = new Map<string, Promise<Embeddings>>();
  const embeddingsFor = (mf: ReturnType<typeof parseModel>, given: string | undefined) => {
    if (mf.packaged) return Promise.resolve(mf.packaged);
    const key = `${given ?? ''}|${mf.embeddings.fingerprint}|${mf.embeddings.maxWords ?? ''}`;
    let e = embeddings.get(key);
    if (e === undefined) {
      e = embeddingsForModel(mf, given, { lazyVectors: true });
      embeddings.set(key, e);
      e.catch(() => embeddings.delete(key)); // a failed load is tried again next time
    }
    return e;
  };
  // loads are asynchronous (the embeddings): jobs wait for the loads sent before them
  let loading: Promise<void> = Promise.resolve();
  const send = (m: FromThread) => port.postMessage(m);

  port.on('message', (m: ToThread) => {
    if (m.kind === 'load') {
      loading = loading.then(async () => {
        try {
          const mf = parseModel(m.text, m.file);
          const model = attachEmbeddings(mf, await embeddingsFor(mf, m.embeddings));
          taggers.get(m.version)?.close();
          taggers.set(m.version, new Tagger(model, { budgetBytes: CACHE_BYTES }));
          send({ kind: 'loaded', version: m.version });
        } catch (err) {
          const e = err as NerError;
          send({ kind: 'load-failed', version: m.version, message: e?.message ?? String(err), hint: e?.hint });
        }
      });
    } else if (m.kind === 'drop') {
      loading = loading.then(() => {
        taggers.get(m.version)?.close();
        taggers.delete(m.version);
      });
    } else {
      loading = loading.then(() => {
        const tagger = taggers.get(m.version);
        try {
          if (tagger === undefined) throw new Error(`model version ${m.version} is not loaded in this thread`);
          send({ kind: 'tagged', id: m.id, results: tagTexts(tagger, m.texts, m.minProb) });
        } catch (err) {
          send({ kind: 'failed', id: m.id, message: (err as Error)?.message ?? String(err) });
        }
      });
    }
  });
}

if (workerData?.kind === 'ner-serve-tag-thread') run();
