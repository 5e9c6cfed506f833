// `ner serve`: the tagger over HTTP (src/serve/server.ts), for applications and for annotation tools
// (doccano's auto-labelling, Label Studio's ML backend). Runs until SIGTERM or Ctrl-C, then lets the
// requests in flight finish and exits 0.

import { Command } from 'commander';
import * as os from 'node:os';
import { UsageError } from '../errors.js';
import { isLoopback } from '../io/http.js';
import { startServer } from '../serve/server.js';
import { DEFAULT_MODEL, intOption, numberOption, paint, shown } from './common.js';
import { describeModel } from './info.js';

interface ServeOpts {
  model: string;
  host: string;
  port: number;
  token?: string;
  threads?: number;
  embeddings?: string;
  maxBody: number;
  timeout: number;
  watch: boolean;
  retrainOutput?: string;
  retrainMin: number;
  holdout: number;
  quiet?: boolean;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('tag text over HTTP: POST /tag, doccano auto-labelling (/doccano), a Label Studio ML backend (/predict, /setup, /webhook, /train)')
    .option('-m, --model <file>', 'model file (reloaded when it changes, or on POST /reload)', DEFAULT_MODEL)
    .option('--host <address>', 'address to listen on (anything but loopback is reachable from other machines)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', intOption('--port', 0, 65535), 8080)
    .option('--token <token>', 'require Authorization: Bearer <token> on every request (default: the NER_TOKEN environment variable, else none)')
    .option('--threads <n>', 'tagging threads (default: one per core but one, which the HTTP thread keeps)', intOption('--threads', 1, 64))
    .option('--embeddings <file>', 'word vectors (default: the ones the model was trained with)')
    .option('--max-body <MB>', 'largest request body, in megabytes', numberOption('--max-body', (v) => v > 0 && v <= 1024, 'a size in MB from 0 to 1024, e.g. 8'), 8)
    .option('--timeout <s>', 'seconds a client has to send its whole request', numberOption('--timeout', (v) => v > 0 && v <= 3600, 'seconds from 0 to 3600, e.g. 30'), 30)
    .option('--no-watch', 'do not reload the model when its file changes')
    .option('--retrain-output <file>', 'also save a retrained model that was swapped in to this file')
    .option('--retrain-min <n>', 'annotated documents needed before annotations sent to /webhook start a retraining', intOption('--retrain-min', 2), 10)
    .option('--holdout <fraction>', 'share of the annotated documents held out to compare the retrained model with the current one', numberOption('--holdout', (v) => v > 0 && v < 1, 'a fraction between 0 and 1, e.g. 0.2'), 0.2)
    .option('-q, --quiet', 'no log line per request (start, swaps and errors are still logged)')
    .addHelpText('after', `
Examples:
  $ ner serve --model models/ner.json                 # http://127.0.0.1:8080
  $ curl -s localhost:8080/tag -d '{"text": "Ada Lovelace was born in London."}'
  $ ner serve --port 9090 --token s3cret              # for Label Studio: Settings > Model > http://127.0.0.1:9090`)
    .action(async (opts: ServeOpts) => runServe(opts));
}

export async function runServe(opts: ServeOpts): Promise<void> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const requestLog = opts.quiet ? (line: string) => {
    if (!/^(POST|GET|PUT|DELETE|PATCH|HEAD|OPTIONS|-) \S* [1-4]\d\d /.test(line)) log(line); // errors and events only
  } : log;
  if (!isLoopback(opts.host)) {
    process.stderr.write(`${paint.yellow('warning:')} listening on ${opts.host}, not loopback: other machines can reach this server${opts.token || process.env.NER_TOKEN ? '' : ' and it has no --token'}\n`);
  }
  const token = opts.token ?? (process.env.NER_TOKEN || undefined);
  if (token !== undefined && token.length < 8) throw new UsageError('--token: use at least 8 characters', 'e.g. --token $(openssl rand -hex 16)');
  const threads = opts.threads ?? defaultThreads();
  const server = await startServer({
    model: opts.model,
    host: opts.host,
    port: opts.port,
    token,
    threads,
    embeddings: opts.embeddings,
    maxBodyBytes: Math.round(opts.maxBody * 2 ** 20),
    timeoutMs: opts.timeout * 1000,
    watchMs: opts.watch ? 500 : 0,
    drainMs: 30_000,
    retrain: { output: opts.retrainOutput, minDocuments: opts.retrainMin, holdout: opts.holdout },
    describe: describeModel,
    log: requestLog,
  });
  const v = server.holder.current;
  log(`ner serve: ${server.url} (model ${shown(opts.model)} = ${v.name}, ${v.model.labels.types.join(' ')}; ${threads} tagging thread${threads === 1 ? '' : 's'}${token ? '; token required' : ''})`);
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: finishing the requests in flight, then stopping`);
      server.close().then((all) => {
        log(all ? 'stopped' : 'stopped: some requests did not finish within 30 s and were cut');
        resolve();
      }, reject);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * One tagging thread per core but one: the HTTP thread (parsing, JSON, tokenising, encoding) keeps a core.
 * On 2 cores, 1 thread gave 186k–204k tokens/s from 8 clients against 95k–162k with 2, and a p99 of
 * 22–28 ms against 42–51 ms for a 28-token sentence at 50 req/s (scripts/serve-load.ts, alternating
 * runs at load average 4–5).
 */
function defaultThreads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}
