// What the two local servers (`ner serve`, `ner annotate`) share: which addresses are loopback;
// listening, with the usual failures said as user errors; an error that is an HTTP answer; and a request
// body read with a size limit counted as the bytes arrive (413 before reading when Content-Length already
// says it is too big) and decoded as strict UTF-8.

import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NerError } from '../errors.js';

/** The loopback addresses: any other one is reachable from elsewhere, which the CLIs warn about. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Listens on host:port and gives the port (port 0: any free one); a port in use, an address this machine
 *  does not have or a port it may not use is a NerError that says what to do. */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const code = err.code;
      if (code === 'EADDRINUSE') reject(new NerError(`port ${port} on ${host} is already in use`, 'stop the other server, or pass another --port (--port 0 takes any free one)'));
      else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') reject(new NerError(`cannot listen on ${host}: no such address on this machine`, 'use --host 127.0.0.1 (the default), or an address of this machine'));
      else if (code === 'EACCES') reject(new NerError(`no permission to listen on port ${port}`, 'use a port above 1023, e.g. --port 8080'));
      else reject(err);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A request the server refuses: the HTTP status, what was wrong, and how to fix it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fix?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads a body as UTF-8 text, refusing it (413, with `fix`) once it passes the limit. */
export function readBody(req: http.IncomingMessage, limit: number, fix: string): Promise<string> {
  const tooLarge = (size: number) => new HttpError(413, `the request body is ${size.toLocaleString('en-US')} bytes or more, over the limit of ${limit.toLocaleString('en-US')}`, fix);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(declared));
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // the rest is dropped; the answer closes the connection
        reject(tooLarge(size));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts)));
      } catch {
        reject(new HttpError(400, 'the request body is not valid UTF-8', 'send the JSON encoded as UTF-8'));
      }
    });
    // the client went away (or broke the chunked encoding) before the body ended: its fault, not ours
    req.on('error', (err) => reject(new HttpError(400, `the request body was cut short (${err.message})`, 'send the whole body')));
  });
}
