// The tagger's pipeline thread (tag-pipeline.ts) gives the spans a Tagger gives on one thread, for both
// heads, over batches that bring new pretrained words and repeat old ones, with a product cache big
// enough for every word and one too small to keep any; batches left waiting are answered in order; a
// thread that stops makes tag() fail with a message, not hang, also when it stopped before it had its model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embeddings } from '../src/embeddings/embeddings.js';
import { NerError } from '../src/errors.js';
import { inputSize, newWordTable } from '../src/model/features.js';
import { makeLabels, outputCount } from '../src/model/labels.js';
import { initParams } from '../src/model/model.js';
import { DEFAULT_CONFIG, type NerModel } from '../src/model/ner-model.js';
import { Tagger } from '../src/predict/predict.js';
import { Rng } from '../src/rng.js';
import { TagPipeline, startTagThread } from '../src/predict/tag-pipeline.js';

const d = 6;
const PRETRAINED = Array.from({ length: 300 }, (_, i) => `p${i}`).concat(['paris', 'london', 'the']);

/** Pretrained vectors held in memory (what the tagger reads through readRow). */
function embeddings(rng: Rng): Embeddings {
  const vectors = new Float32Array(PRETRAINED.length * d).map(() => rng.uniform(1));
  const readRow = (id: number, out: Float64Array | Float32Array, o: number) => {
    for (let j = 0; j < d; j++) out[o + j] = vectors[id * d + j];
  };
  return { source: 'test', d, words: PRETRAINED, index: new Map(PRETRAINED.map((w, i) => [w, i])), vectors, count: PRETRAINED.length, readRow, fingerprint: 'test' };
}

function model(head: 'ovr' | 'softmax'): NerModel {
  const rng = new Rng(11);
  const keys = ['<s>', '</s>', '<unk>', 'own1', 'own2', 'quinn'];
  const words = newWordTable(d, keys, new Float64Array(keys.length * d).map(() => rng.uniform(1)), embeddings(rng));
  const labels = makeLabels(head, ['LOC', 'ORG', 'PER'], 'IOBES');
  const shape = { window: 2, d, useCasing: true };
  const dims = { head, n: inputSize(shape), H: 9, K: outputCount(labels) };
  const params = initParams(dims, (a) => rng.uniform(a * 4));
  for (let i = 0; i < params.b.length; i++) params.b[i] = rng.uniform(0.5);
  const config = { ...DEFAULT_CONFIG, head, hidden: 9 };
  return { config, labels, inputScheme: 'IOB2', dims, shape, params, words, embeddings: { source: 'test', d, count: PRETRAINED.length, fingerprint: 'test' }, history: [], bestEpoch: 0, trainedOn: { files: [], sentences: 0, tokens: 0 } };
}

/** Batches of sentences: each batch brings pretrained words not seen before and repeats earlier ones. */
function batches(): string[][][] {
  const rng = new Rng(5);
  const out: string[][][] = [];
  for (let b = 0; b < 6; b++) {
    const vocab = [...PRETRAINED.slice(0, 50 * (b + 1)), 'Paris', 'LONDON', 'own1', 'Own2', 'Quinn', 'unknown', '1996', 'the'];
    const batch: string[][] = [];
    for (let s = 0; s < 12; s++) batch.push(Array.from({ length: 1 + Math.floor((rng.uniform(0.5) + 0.5) * 25) }, () => vocab[Math.floor((rng.uniform(0.5) + 0.5) * vocab.length) % vocab.length]));
    if (b === 2) batch.splice(5, 0, []); // a sentence without tokens
    out.push(batch);
  }
  out.push([]); // an empty batch
  return out;
}

for (const head of ['softmax', 'ovr'] as const) {
  for (const budget of [64 * 2 ** 20, 1]) {
    test(`the pipeline thread's spans = a Tagger's on one thread: ${head}, product cache ${budget === 1 ? 'tiny' : 'large'}`, async () => {
      const m = model(head);
      const one = new Tagger(m, { budgetBytes: budget });
      const expected = batches().map((b) => one.tag(b).map((x) => ({ spans: x.spans })));
      one.close();
      assert.ok(expected.flat().some((x) => x.spans.length > 0), 'the model finds some entities');
      const pipe = new TagPipeline(m, budget);
      try {
        // all batches sent before any answer is read: the answers come in order
        const answers = batches().map((b) => pipe.tag(b));
        assert.deepEqual(await Promise.all(answers), expected);
        // again, one at a time (every pretrained row already sent)
        for (const [i, b] of batches().entries()) assert.deepEqual(await pipe.tag(b), expected[i]);
        assert.ok(pipe.cacheStats().fills > 0);
      } finally {
        pipe.close();
      }
    });
  }
}

test('a pipeline thread that stops: tag() fails with a message instead of waiting for ever', async () => {
  const pipe = new TagPipeline(model('softmax'));
  try {
    assert.equal((await pipe.tag([['Paris']])).length, 1);
    await (pipe as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(pipe.tag([['London']]), (e: Error) => e instanceof NerError && /second thread stopped/.test(e.message));
  } finally {
    pipe.close();
  }
  await assert.rejects(pipe.tag([['London']]), NerError);
});

test('a thread started before its model (startTagThread) tags as a Tagger does', async () => {
  const thread = startTagThread();
  const m = model('softmax');
  const one = new Tagger(m);
  const expected = batches().map((b) => one.tag(b).map((x) => ({ spans: x.spans })));
  one.close();
  const pipe = new TagPipeline(m, undefined, undefined, thread);
  try {
    assert.deepEqual(await Promise.all(batches().map((b) => pipe.tag(b))), expected);
  } finally {
    pipe.close();
  }
});

test('a thread that stopped before it had its model: tag() fails with a message', async () => {
  const thread = startTagThread();
  await thread.worker.terminate();
  await new Promise((r) => setTimeout(r, 20));
  const pipe = new TagPipeline(model('softmax'), undefined, undefined, thread);
  try {
    const hang = new Promise((r) => setTimeout(() => r('no answer in 10 s'), 10_000).unref());
    await assert.rejects(Promise.race([pipe.tag([['Paris']]), hang.then((v) => v)]), (e: Error) => e instanceof NerError && /second thread stopped/.test(e.message));
  } finally {
    pipe.close();
  }
});
