// The page of `ner annotate`, served on loopback by node:http (no framework: four JSON routes and three
// static files). The page is plain HTML/JS/CSS in src/annotate/page/, read from disk as is.
//
//   GET  /                 index.html, /app.js, /style.css
//   GET  /api/state        the session's state (session.ts SessionState), current sentence included
//   POST /api/accept       {id, spans: [{start, end, type}]}: written to the output before the answer
//   POST /api/skip         {id, spans}
//   POST /api/undo         {}
// Every POST answers with the new state. A bad request gets 400 and {error, fix}; a request whose Host
// is not this loopback address gets 403 (so a web page elsewhere cannot drive the session through
// DNS rebinding), and a POST that is not JSON gets 415.

import * as fs from 'node:fs';
import * as http from 'node:http';
import { NerError } from '../errors.js';
import { HttpError, listen, readBody } from '../io/http.js';
import type { Session } from './session.js';

const PAGE_DIR = new URL('../../../src/annotate/page/', import.meta.url);
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const MAX_BODY = 1 << 20;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export interface Served {
  url: string;
  close: () => Promise<void>;
}

export async function serveSession(session: Session, opts: { host?: string; port?: number } = {}): Promise<Served> {
  const host = opts.host ?? '127.0.0.1';
  let allowedHosts: Set<string> = new Set();
  const server = http.createServer(async (req, res) => {
    try {
      if (!allowedHosts.has(req.headers.host ?? '')) return send(res, 403, { error: `host ${req.headers.host} is not this server`, fix: 'open the address ner annotate printed' });
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname in STATIC) {
        const name = STATIC[url.pathname];
        const body = fs.readFileSync(new URL(name, PAGE_DIR));
        res.writeHead(200, { 'content-type': TYPES[name.split('.').pop()!], 'cache-control': 'no-store' });
        return res.end(body);
      }
      if (req.method === 'GET' && url.pathname === '/api/state') return send(res, 200, session.state());
      if (req.method === 'POST' && ['/api/accept', '/api/skip', '/api/undo'].includes(url.pathname)) {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, { error: 'expected a JSON body', fix: 'send content-type: application/json' });
        let text: string;
        try {
          text = await readBody(req, MAX_BODY, 'accept one sentence at a time');
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          return send(res, err.status, { error: err.message, fix: err.fix });
        }
        let body: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(text || '{}');
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          body = parsed as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: 'the body is not a JSON object', fix: 'send {"id": N, "spans": [...]}' });
        }
        if (url.pathname === '/api/accept') session.accept(body.id, body.spans);
        else if (url.pathname === '/api/skip') session.skip(body.id, body.spans ?? []);
        else session.undo();
        return send(res, 200, session.state());
      }
      return send(res, 404, { error: `no such page: ${req.method} ${url.pathname}`, fix: 'open /' });
    } catch (err) {
      if (err instanceof NerError) return send(res, 400, { error: err.message, fix: err.hint });
      return send(res, 500, { error: `internal error: ${(err as Error).message}` });
    }
  });
  const port = await listen(server, opts.port ?? 0, host);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  allowedHosts = new Set([`${shownHost}:${port}`, `localhost:${port}`]);
  return {
    url: `http://${shownHost}:${port}/`,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
