// What each route of `ner serve` does, from a parsed JSON body to an answer. The HTTP work (bodies,
// limits, auth, logging, draining) is server.ts's; the request shapes are checked in validate.ts and in
// the protocol files (label-studio.ts, doccano.ts). Every tagging route holds one model version for the
// whole request (model-holder.ts), so a swap never mixes two models in one answer.

import * as path from 'node:path';
import { OffsetMap, type OffsetUnit } from '../data/formats/index.js';
import { jsonEntity, type Entity } from '../predict/entities.js';
import type { ModelFile } from '../io/model-io.js';
import { NerError } from '../errors.js';
import { doccanoSpans, doccanoText } from './doccano.js';
import { predictRequest, prediction } from './label-studio.js';
import type { ModelHolder } from './model-holder.js';
import type { TagPool } from './pool.js';
import type { Retrainer } from './retrain.js';
import { HttpError } from '../io/http.js';
import { expectObject, tagRequest, type JsonObject } from './validate.js';

export interface Answer {
  status: number;
  body: unknown;
  tokens?: number; // tokens tagged, for the log line
}

export interface RouteContext {
  holder: ModelHolder;
  pool: TagPool;
  trainer: Retrainer;
  describe: (mf: ModelFile, bytes: number) => object; // what `ner info --format json` says
  inflight: () => number;
  started: number;
}

export type Handler = (ctx: RouteContext, body: unknown) => Promise<Answer>;

/** path → method → handler; a method not listed is a 405 with the methods that are. */
export const ROUTES: Record<string, Record<string, { handler: Handler; body: boolean }>> = {
  '/tag': { POST: { handler: tagRoute, body: true } },
  '/doccano': { POST: { handler: doccanoRoute, body: true } },
  '/predict': { POST: { handler: predictRoute, body: true } },
  '/setup': { POST: { handler: setupRoute, body: true } },
  '/train': { POST: { handler: trainRoute, body: true }, GET: { handler: trainStatus, body: false } },
  '/webhook': { POST: { handler: webhookRoute, body: true } },
  '/is_training': { GET: { handler: trainStatus, body: false } },
  '/reload': { POST: { handler: reloadRoute, body: false } },
  '/model': { GET: { handler: modelRoute, body: false } },
  '/health': { GET: { handler: healthRoute, body: false } },
  '/': { GET: { handler: healthRoute, body: false } }, // Label Studio checks GET / as well as /health
};

/** Tags texts on the version current when the request started. */
async function tagged(ctx: RouteContext, texts: string[], minProb: number): Promise<{ results: { entities: Entity[]; tokens: number }[]; version: string; tokens: number }> {
  const v = ctx.holder.acquire();
  try {
    const results = await ctx.pool.tag(v.id, texts, minProb);
    return { results, version: v.name, tokens: results.reduce((a, r) => a + r.tokens, 0) };
  } finally {
    ctx.holder.release(v);
  }
}

/** A text's entities as `ner tag --format json` gives them, offsets in `unit`. */
function jsonEntities(text: string, entities: Entity[], unit: OffsetUnit): Entity[] {
  const map = new OffsetMap(text);
  return entities.map((e) => jsonEntity(e.text, e.type, map.fromUtf16(e.start, unit), map.fromUtf16(e.end, unit), e.prob));
}

async function tagRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  const req = tagRequest(body);
  const texts = req.kind === 'text' ? [req.text] : req.texts;
  const { results, version, tokens } = await tagged(ctx, texts, req.minProb);
  const entities = results.map((r, i) => jsonEntities(texts[i], r.entities, req.unit));
  if (req.kind === 'text') return { status: 200, body: { entities: entities[0], model_version: version }, tokens };
  const out = req.kind === 'texts'
    ? entities.map((e) => ({ entities: e }))
    : entities.map((e, i) => ({ id: req.ids[i], entities: e }));
  return { status: 200, body: { results: out, model_version: version }, tokens };
}

async function doccanoRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  const text = doccanoText(body);
  const { results, tokens } = await tagged(ctx, [text], 0);
  return { status: 200, body: doccanoSpans(text, results[0].entities), tokens };
}

async function predictRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  const { config, texts } = predictRequest(body);
  const { results, version, tokens } = await tagged(ctx, texts, 0);
  return { status: 200, body: { results: results.map((r, i) => prediction(config, texts[i], r.entities, version)), model_version: version }, tokens };
}

async function setupRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  expectObject(body, 'POST /setup', '{"project": "1.1700000000", "schema": "<View>…</View>"}');
  return { status: 200, body: { model_version: ctx.holder.current.name } };
}

async function trainRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  return { status: 201, body: ctx.trainer.train(body) };
}

async function webhookRoute(ctx: RouteContext, body: unknown): Promise<Answer> {
  const o = expectObject(body, 'POST /webhook', '{"action": "ANNOTATION_CREATED", "annotation": {…}, "task": {…}, "project": {…}}');
  return ctx.trainer.webhook(o);
}

async function trainStatus(ctx: RouteContext): Promise<Answer> {
  return { status: 200, body: ctx.trainer.status() };
}

async function reloadRoute(ctx: RouteContext): Promise<Answer> {
  try {
    const { version, changed } = await ctx.holder.reload('POST /reload');
    return { status: 200, body: { model_version: version.name, changed } };
  } catch (err) {
    if (!(err instanceof NerError)) throw err;
    // the model file is bad, not the request: the old model goes on serving
    throw new HttpError(422, `the model file was not loaded, the old model is still serving: ${err.message}`, err.hint);
  }
}

async function modelRoute(ctx: RouteContext): Promise<Answer> {
  const v = ctx.holder.current;
  return { status: 200, body: { model_version: v.name, loaded_from: v.source, ...ctx.describe(v.model, v.bytes) } };
}

async function healthRoute(ctx: RouteContext): Promise<Answer> {
  const v = ctx.holder.current;
  const body: JsonObject = {
    status: 'UP',
    model_version: v.name,
    model: path.basename(ctx.holder.file),
    threads: ctx.pool.size,
    requests_in_flight: ctx.inflight() - 1, // not counting this one
    training: ctx.trainer.status().is_training,
    uptime_s: Math.round((performance.now() - ctx.started) / 1000),
  };
  return { status: 200, body };
}
