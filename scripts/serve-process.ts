// What the serve scripts share: `ner serve` started as a process of its own on 127.0.0.1 (any free port),
// its log kept, its resident memory read from /proc, and a SIGTERM stop that reports the exit code.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  log: () => string;
  alive: () => boolean;
  stop: () => Promise<number | null>;
}

export async function startServerProcess(args: string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ner.js'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exited = true;
    resolve(code);
  }));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /ner serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      } else if (exited) {
        clearInterval(timer);
        reject(new Error(`the server exited:\n${log}`));
      }
    }, 20);
  });
  return {
    url,
    port: Number(url.split(':').pop()),
    pid: child.pid!,
    log: () => log,
    alive: () => !exited,
    stop: () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Resident memory of a process, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds a process has used (user + system, all its threads). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second on Linux)
}

/** The machine's load averages (1, 5, 15 minutes), from /proc/loadavg. */
export function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
