// Retraining in a worker thread, for `ner serve` and `ner annotate`: the thread that asks (a server's)
// stays responsive, and the job trains with one kernel thread so that the other core keeps tagging. The
// job is a function a module exports, called with a structured-cloneable argument; what it returns comes
// back, and what it throws comes back as a NerError with its message and hint.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { NerError } from '../errors.js';
import { setKernelThreads } from '../fast/team.js';

const KIND = 'ner-in-thread';

type Reply<R> = { ok: true; value: R } | { ok: false; message: string; hint?: string };

export interface ThreadRun<R> {
  result: Promise<R>;
  /** Stops the thread; `result` then rejects. */
  stop(): Promise<void>;
}

/** Runs `module`'s export `fn` on `arg` in a new worker thread. */
export function inThread<R>(module: URL, fn: string, arg: unknown): ThreadRun<R> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { kind: KIND, module: module.href, fn, arg } });
  const result = new Promise<R>((resolve, reject) => {
    worker.once('message', (r: Reply<R>) => {
      if (r.ok) resolve(r.value);
      else reject(new NerError(r.message, r.hint));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the thread stopped (exit code ${code})`)));
  });
  return { result, stop: async () => void (await worker.terminate()) };
}

async function run(): Promise<void> {
  setKernelThreads(1);
  const { module, fn, arg } = workerData as { module: string; fn: string; arg: unknown };
  let reply: Reply<unknown>;
  try {
    reply = { ok: true, value: await (await import(module))[fn](arg) };
  } catch (err) {
    reply = { ok: false, message: (err as Error)?.message ?? String(err), hint: (err as NerError)?.hint };
  }
  parentPort!.postMessage(reply);
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === KIND) void run();
