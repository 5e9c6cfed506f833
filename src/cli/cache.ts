// `ner cache`: the embeddings cache, one entry per vectors content: list the entries (size, last use,
// what they hold) and remove them (all, or those unused for a while).

import { Command } from 'commander';
import { type CacheEntry, defaultCacheDir, listCache, removeEntry } from '../embeddings/cache.js';
import { UsageError } from '../errors.js';
import { ink, out, shown } from './common.js';

export function cacheCommand(): Command {
  const cache = new Command('cache').description('list or clean the embeddings cache ($NER_CACHE_DIR, else ~/.cache/ner)');
  cache
    .command('list', { isDefault: true })
    .description('list the entries: size, last use, the vectors each holds')
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { json?: boolean }) => out(opts.json ? JSON.stringify(listCache(defaultCacheDir()).map(asJson), null, 2) + '\n' : formatList(listCache(defaultCacheDir()))));
  cache
    .command('clean')
    .description('remove entries: those not used for a while (--older-than), or all of them (--all)')
    .option('--older-than <age>', 'remove the entries not used for this long: e.g. 30d, 12h, 90m, 2w', parseAge)
    .option('--all', 'remove every entry')
    .addHelpText('after', `
Examples:
  $ ner cache clean --older-than 30d
  $ ner cache clean --all`)
    .action(async (opts: { olderThan?: number; all?: boolean }) => {
      if (!opts.all && opts.olderThan === undefined) throw new UsageError('ner cache clean: say which entries to remove', 'add --older-than 30d, or --all');
      const now = Date.now();
      const gone = listCache(defaultCacheDir()).filter((e) => opts.all || now - e.lastUsed.getTime() > opts.olderThan!);
      for (const e of gone) removeEntry(e.file);
      const freed = gone.reduce((a, e) => a + e.bytes, 0);
      await out(`removed ${gone.length} ${gone.length === 1 ? 'entry' : 'entries'}, freed ${mb(freed)}\n` + gone.map((e) => `  ${describe(e)}\n`).join(''));
    });
  return cache;
}

const AGE_UNITS: Record<string, number> = { m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** "30d" → milliseconds. */
export function parseAge(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(value.trim());
  if (!m) throw new UsageError(`--older-than ${value}: expected a number and a unit, m h d or w`, 'e.g. --older-than 30d');
  return Number(m[1]) * AGE_UNITS[m[2]];
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function ago(date: Date): string {
  const s = (Date.now() - date.getTime()) / 1000;
  if (s < 90) return 'just now';
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function describe(e: CacheEntry): string {
  const h = e.header;
  const what = h
    ? `${h.sourceName === h.sourcePath ? shown(h.sourcePath) : h.sourceName}  ${h.n.toLocaleString('en-US')} × ${h.d}${h.maxWords !== null ? ` (first ${h.maxWords.toLocaleString('en-US')})` : ''}`
    : ink.dim(`unusable: ${e.problem}`);
  return `${mb(e.bytes).padStart(9)}  used ${ago(e.lastUsed).padEnd(12)}  ${what}`;
}

function formatList(entries: CacheEntry[]): string {
  const total = entries.reduce((a, e) => a + e.bytes, 0);
  const head = `${shown(defaultCacheDir())}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, ${mb(total)}\n`;
  return head + entries.map((e) => `${describe(e)}\n${ink.dim(`           ${shown(e.file)}`)}\n`).join('');
}

function asJson(e: CacheEntry) {
  const h = e.header;
  return {
    file: e.file,
    bytes: e.bytes,
    lastUsed: e.lastUsed.toISOString(),
    ...(h ? { source: h.sourceName, sourcePath: h.sourcePath, sourceKey: h.sourceKey, words: h.n, d: h.d, maxWords: h.maxWords, fingerprint: h.fingerprint } : { problem: e.problem }),
  };
}
