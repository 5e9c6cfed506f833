// Turns the simulation's records (simulate-active-learning.ts, JSON lines) into the curve's numbers (a
// Markdown table on stdout) and a plot of dev F1 against labelled tokens (SVG), with the full-data dev
// F1 and that minus one point drawn across. Means are over the seeds that finished a round; a round is
// shown once every seed has it for both strategies.
//
//   node dist/scripts/active-learning-report.js docs/active-learning.jsonl docs/active-learning.svg > table.md

import * as fs from 'node:fs';

interface Rec { kind: 'round' | 'full'; strategy?: string; seed: number; round?: number; sentences: number; tokens: number; f1: number }

const [input = 'docs/active-learning.jsonl', svgOut = 'docs/active-learning.svg'] = process.argv.slice(2);
const recs: Rec[] = fs.readFileSync(input, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const full = recs.filter((r) => r.kind === 'full');
const pool = full[0]?.tokens ?? NaN;
const fullF1 = full.reduce((s, r) => s + r.f1, 0) / full.length;
const target = fullF1 - 1;
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const strategies = [...new Set(recs.filter((r) => r.kind === 'round').map((r) => r.strategy!))];
const seeds = [...new Set(recs.filter((r) => r.kind === 'round').map((r) => r.seed))].sort();

interface Point { round: number; sentences: number; tokens: number; f1: number; f1s: number[]; tokenss: number[] }
const curves = new Map<string, Point[]>();
for (const s of strategies) {
  const pts: Point[] = [];
  for (let round = 0; ; round++) {
    const at = recs.filter((r) => r.kind === 'round' && r.strategy === s && r.round === round);
    if (at.length < seeds.length) break;
    pts.push({ round, sentences: mean(at.map((r) => r.sentences)), tokens: mean(at.map((r) => r.tokens)), f1: mean(at.map((r) => r.f1)), f1s: at.map((r) => r.f1), tokenss: at.map((r) => r.tokens) });
  }
  curves.set(s, pts);
}
const n = Math.min(...[...curves.values()].map((p) => p.length));

/** Random's mean F1 at a number of tokens, by linear interpolation (NaN outside its curve). */
function at(pts: Point[], tokens: number): number {
  for (let i = 1; i < pts.length; i++) {
    if (pts[i - 1].tokens <= tokens && tokens <= pts[i].tokens) {
      const t = (tokens - pts[i - 1].tokens) / (pts[i].tokens - pts[i - 1].tokens);
      return pts[i - 1].f1 + t * (pts[i].f1 - pts[i - 1].f1);
    }
  }
  return NaN;
}

const lc = curves.get('lc') ?? [];
const rnd = curves.get('random') ?? [];
const pct = (t: number) => ((100 * t) / pool).toFixed(1);
const lines: string[] = [];
lines.push(`Full training set (${pool.toLocaleString('en-US')} tokens): dev F1 ${full.map((r) => `${r.f1.toFixed(2)} (seed ${r.seed})`).join(', ')}; mean ${fullF1.toFixed(2)}, target (mean − 1) ${target.toFixed(2)}.`);
lines.push('');
lines.push('| batch | sentences | uncertainty: tokens (% of pool) | uncertainty: dev F1 (seeds) | random: tokens | random: dev F1 (seeds) | ahead by | random at uncertainty\'s tokens |');
lines.push('|---|---|---|---|---|---|---|---|');
for (let i = 0; i < n; i++) {
  const a = lc[i];
  const b = rnd[i];
  const r = at(rnd, a.tokens);
  lines.push(`| ${i} | ${a.sentences} | ${Math.round(a.tokens).toLocaleString('en-US')} (${pct(a.tokens)} %) | **${a.f1.toFixed(2)}** (${a.f1s.map((v) => v.toFixed(1)).join(' / ')}) | ${Math.round(b.tokens).toLocaleString('en-US')} | ${b.f1.toFixed(2)} (${b.f1s.map((v) => v.toFixed(1)).join(' / ')}) | ${(a.f1 - b.f1).toFixed(2)} | ${Number.isNaN(r) ? '–' : r.toFixed(2)} |`);
}
const reach = lc.slice(0, n).find((p) => p.f1 >= target);
const ahead = lc.slice(1, n).every((p, i) => p.f1 > rnd[i + 1].f1);
lines.push('');
lines.push(reach
  ? `Uncertainty reaches ${target.toFixed(2)} at batch ${reach.round}: ${Math.round(reach.tokens).toLocaleString('en-US')} tokens, ${pct(reach.tokens)} % of the pool (${reach.sentences} sentences).`
  : `Uncertainty has not reached ${target.toFixed(2)} within the ${n} batches run (best mean ${Math.max(...lc.slice(0, n).map((p) => p.f1)).toFixed(2)} at ${pct(lc[n - 1]?.tokens ?? NaN)} % of the tokens).`);
lines.push(`Ahead of random at every batch after the shared start (mean of ${seeds.length} seeds): ${ahead ? 'yes' : 'no'}.`);
process.stdout.write(lines.join('\n') + '\n');

// ── the plot ──
const W = 720, H = 420, L = 60, R = 20, T = 40, B = 50;
const xMax = Math.max(...[...curves.values()].flatMap((p) => p.slice(0, n).map((q) => Math.max(...q.tokenss))), 1);
const yLo = Math.floor(Math.min(...[...curves.values()].flatMap((p) => p.slice(0, n).flatMap((q) => q.f1s))) / 5) * 5;
const yHi = Math.ceil(Math.max(fullF1, ...[...curves.values()].flatMap((p) => p.slice(0, n).flatMap((q) => q.f1s)))) + 1;
const X = (t: number) => L + (t / xMax) * (W - L - R);
const Y = (f: number) => T + (1 - (f - yLo) / (yHi - yLo)) * (H - T - B);
const colours: Record<string, string> = { lc: '#1f6feb', random: '#d1242f', margin: '#8250df', entropy: '#1a7f37' };
const names: Record<string, string> = { lc: 'uncertainty (least-confident path)', random: 'random order' };
const p: string[] = [];
p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
p.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
p.push(`<text x="${L}" y="22" font-size="15" font-weight="600">CoNLL-2003 dev F1 against labelled tokens (mean of ${seeds.length} seeds; dots: each seed)</text>`);
const step = yHi - yLo > 20 ? 5 : 2;
for (let v = yLo; v <= yHi; v += step) {
  p.push(`<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/><text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" fill="#555">${v}</text>`);
}
const xStep = xMax > 60000 ? 20000 : 10000;
for (let t = 0; t <= xMax; t += xStep) p.push(`<text x="${X(t)}" y="${H - B + 18}" text-anchor="middle" fill="#555">${t / 1000}k (${pct(t)} %)</text>`);
p.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#999"/>`);
p.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" fill="#444">labelled tokens (% of the ${(pool / 1000).toFixed(0)}k-token training set)</text>`);
p.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" fill="#444">dev F1</text>`);
for (const [f, label, dash, dy] of [[fullF1, `all data ${fullF1.toFixed(2)}`, '', -4], [target, `all data − 1 = ${target.toFixed(2)}`, '5 4', 13]] as const) {
  p.push(`<line x1="${L}" x2="${W - R}" y1="${Y(f)}" y2="${Y(f)}" stroke="#555" ${dash ? `stroke-dasharray="${dash}"` : ''}/><text x="${L + 8}" y="${Y(f) + dy}" fill="#333">${label}</text>`);
}
let ly = H - B - 20 - 18 * curves.size;
for (const [s, pts] of curves) {
  const c = colours[s] ?? '#444';
  for (const q of pts.slice(0, n)) q.f1s.forEach((f, k) => p.push(`<circle cx="${X(q.tokenss[k]).toFixed(1)}" cy="${Y(f).toFixed(1)}" r="2" fill="${c}" fill-opacity="0.35"/>`));
  p.push(`<polyline fill="none" stroke="${c}" stroke-width="2.5" points="${pts.slice(0, n).map((q) => `${X(q.tokens).toFixed(1)},${Y(q.f1).toFixed(1)}`).join(' ')}"/>`);
  p.push(`<rect x="${W - R - 250}" y="${ly}" width="14" height="4" fill="${c}"/><text x="${W - R - 230}" y="${ly + 6}">${names[s] ?? s}</text>`);
  ly += 18;
}
p.push('</svg>');
fs.writeFileSync(svgOut, p.join('\n') + '\n');
process.stderr.write(`wrote ${svgOut}\n`);
