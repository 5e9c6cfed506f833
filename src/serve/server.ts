// `ner serve`: tagging over HTTP, on Node's own `http` module. A framework (fastify, express) would
// bring routing and schema validation, but here the routes are eleven fixed paths, the bodies a few small
// shapes (validate.ts), and the time goes to tagging in the threads, not to routing; what a server must
// not get wrong is in `http` itself: requestTimeout and headersTimeout drop slow clients (408), close()
// with closeIdleConnections() drains, and the body limit is counted here as the bytes arrive (413 before
// the body is read when Content-Length already says it is too big). No dependency, and each status is
// the one this file sends.
//
// Every request gets one log line on stderr: method, route, status, tokens tagged, milliseconds. A
// request that fails inside answers 500 alone; the process goes on.

import * as http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { ModelFile } from '../io/model-io.js';
import { NerError } from '../errors.js';
import { ModelHolder } from './model-holder.js';
import { TagPool } from './pool.js';
import { Retrainer, type RetrainOptions } from './retrain.js';
import { ROUTES, type Answer, type RouteContext } from './routes.js';
import { HttpError, listen, readBody } from '../io/http.js';
import { parseJson } from './validate.js';

export interface ServeOptions {
  model: string;
  host: string;
  port: number;
  token?: string; // when set, every request needs `Authorization: Bearer <token>` (or Basic with it as password)
  threads: number;
  embeddings?: string;
  maxBodyBytes: number;
  timeoutMs: number; // a client must send its whole request within this
  watchMs: number; // poll the model file this often (0: do not watch)
  drainMs: number; // on close, requests in flight get this long to finish
  retrain: RetrainOptions;
  describe: (mf: ModelFile, bytes: number) => object;
  log: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  holder: ModelHolder;
  /** Stops taking requests, lets those in flight finish (up to drainMs), stops the threads; true when
   *  every request finished in time. */
  close(): Promise<boolean>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether the Authorization header carries the token (compared in constant time). */
function authorised(header: string | undefined, token: Buffer): boolean {
  if (header === undefined) return false;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  let given: string;
  if (/^bearer$/i.test(scheme)) given = value;
  else if (/^basic$/i.test(scheme)) {
    // Label Studio's ML backend settings offer basic auth only: the token is taken as the password
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    given = decoded.slice(decoded.indexOf(':') + 1);
  } else return false;
  return timingSafeEqual(digest(given), token);
}

/** Content types a JSON body may come with: JSON's own, none, text, and curl's default for -d. */
function isJsonType(type: string | undefined): boolean {
  if (type === undefined || type === '') return true;
  const t = type.split(';')[0].trim().toLowerCase();
  return t === 'application/json' || t === 'text/plain' || t.endsWith('+json') || t === 'application/x-www-form-urlencoded';
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log;
  const pool = new TagPool(opts.threads, opts.embeddings, log);
  const holder = new ModelHolder(opts.model, pool, log);
  try {
    await holder.start();
  } catch (err) {
    await pool.close();
    throw err;
  }
  const trainer = new Retrainer(holder, { ...opts.retrain, embeddings: opts.embeddings }, log);
  const token = opts.token === undefined ? null : digest(opts.token);
  let inflight = 0;
  let draining = false;
  let drained: (() => void) | null = null;
  const started = performance.now();
  const ctx: RouteContext = { holder, pool, trainer, describe: opts.describe, inflight: () => inflight, started };

  const server = http.createServer({
    requestTimeout: opts.timeoutMs,
    headersTimeout: Math.min(opts.timeoutMs, 60_000),
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, opts.timeoutMs / 4)), // how soon a late request is seen
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const t0 = performance.now();
    inflight++;
    const url = req.url ?? '/';
    const route = url.split('?')[0];
    let answer: Answer;
    let headers: Record<string, string> = {};
    try {
      if (draining) throw new HttpError(503, 'the server is shutting down', 'send the request again to a running server');
      if (token !== null && !authorised(req.headers.authorization, token)) {
        throw new HttpError(401, 'this server needs a token: send the header Authorization: Bearer <token>', 'use the token the server was started with (--token)', { 'WWW-Authenticate': 'Bearer' });
      }
      const methods = Object.prototype.hasOwnProperty.call(ROUTES, route) ? ROUTES[route] : undefined;
      if (methods === undefined) throw new HttpError(404, `no route ${JSON.stringify(route.slice(0, 80))}; the routes are ${Object.keys(ROUTES).join(', ')}`);
      const method = req.method ?? 'GET';
      const r = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
      if (r === undefined) throw new HttpError(405, `${route} takes ${Object.keys(methods).join(' or ')}, not ${method.slice(0, 20)}`, undefined, { Allow: Object.keys(methods).join(', ') });
      let body: unknown;
      if (r.body) {
        if (!isJsonType(req.headers['content-type'])) throw new HttpError(415, `Content-Type ${req.headers['content-type']}: expected application/json`, 'send the body as JSON with Content-Type: application/json');
        body = parseJson(await readBody(req, opts.maxBodyBytes, 'send fewer texts per request, or start the server with a larger --max-body'));
      }
      answer = await r.handler(ctx, body);
    } catch (err) {
      if (err instanceof HttpError) {
        answer = { status: err.status, body: { error: err.message, ...(err.fix ? { fix: err.fix } : {}) } };
        headers = err.headers;
      } else if (err instanceof NerError) {
        answer = { status: 400, body: { error: err.message, ...(err.hint ? { fix: err.hint } : {}) } };
      } else {
        log(`internal error on ${req.method} ${route}: ${(err as Error)?.stack ?? String(err)}`);
        answer = { status: 500, body: { error: `internal error: ${(err as Error)?.message ?? String(err)}` } };
      }
    }
    const json = JSON.stringify(answer.body);
    // a request refused before its body was read leaves that body on the connection: close it
    const close = draining || answer.status === 413 || (answer.status >= 400 && !req.complete);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(answer.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(json),
        ...(close ? { Connection: 'close' } : {}),
        ...headers,
      });
      res.end(json);
    }
    const ms = performance.now() - t0;
    log(`${req.method} ${route.slice(0, 80)} ${answer.status} ${answer.tokens ?? 0} tokens ${ms.toFixed(1)} ms`);
    inflight--;
    if (inflight === 0) drained?.();
  };

  server.on('request', (req, res) => {
    handle(req, res).catch((err) => log(`internal error: ${(err as Error)?.stack ?? String(err)}`));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // a malformed request line or headers, or a client too slow to send them: Node's own answers
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const json = JSON.stringify({ error: status === 408 ? 'the request took too long to arrive' : `malformed HTTP request (${err.code ?? err.message})` });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
    log(`- - ${status} 0 tokens 0.0 ms (${err.code ?? err.message})`);
  });

  if (opts.watchMs > 0) holder.watch(opts.watchMs);

  let port: number;
  try {
    port = await listen(server, opts.port, opts.host);
  } catch (err) {
    holder.close();
    await trainer.close();
    await pool.close();
    throw err;
  }
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  const close = async (): Promise<boolean> => {
    draining = true;
    holder.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let finished = inflight === 0;
    if (!finished) {
      finished = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), opts.drainMs);
        drained = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    }
    server.closeAllConnections();
    await closed;
    await trainer.close();
    await pool.close();
    return finished;
  };

  return { url: `http://${host}:${port}`, port, holder, close };
}
