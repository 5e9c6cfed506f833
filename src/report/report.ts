// The HTML report of a model (and optionally of its evaluation on a labelled corpus): one self-contained
// page with inline SVG charts drawn here — loss and dev P/R/F1 per epoch, per-type scores, the entity
// confusion matrix as a heat-map table, the most frequent errors, OOV vs in-vocabulary F1 and the
// configuration. No scripts, fonts, images or links to fetch: it renders offline. Pure string building.

import type { OovSplit } from '../eval/analysis.js';
import type { EvalResult } from '../eval/metrics.js';
import type { NerModel } from '../model/ner-model.js';

/** What the report needs from a model (a NerModel or a model file read without its embeddings). */
export type ModelSummary = Pick<NerModel, 'config' | 'labels' | 'inputScheme' | 'dims' | 'embeddings' | 'history' | 'bestEpoch' | 'trainedOn'>;

export interface EvalSection {
  name: string; // what was scored, e.g. the file names
  result: EvalResult;
  oov?: OovSplit;
}

export interface ReportInput {
  title: string;
  model: ModelSummary;
  modelFile?: string;
  evaluation?: EvalSection;
  generatedBy?: string; // e.g. "ner 0.1.0"
}

const COLOURS = { precision: '#4e79a7', recall: '#f28e2b', f1: '#59a14f', loss: '#e15759', best: '#888888' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const n2 = (v: number) => v.toFixed(2);
const num = (v: number) => v.toLocaleString('en-US');

// ── charts ───────────────────────────────────────────────────────────────────────────────────────

/** Round tick values covering [lo, hi]: about `count` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(10)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toFixed(10)));
  return ticks;
}

export interface Series {
  name: string;
  colour: string;
  values: number[]; // one per epoch (x = 1 … n)
}

interface LineChartOptions {
  title: string;
  yLabel: string;
  width?: number;
  height?: number;
  yRange?: [number, number]; // default: from the data, rounded outwards
  markX?: number; // an epoch to mark with a dashed vertical line (the best epoch)
  markLabel?: string;
}

/** A line chart over epochs: one <polyline> per series with one point per epoch, plus dots, axes and a legend. */
export function lineChart(series: Series[], o: LineChartOptions): string {
  const W = o.width ?? 540;
  const H = o.height ?? 300;
  const m = { left: 56, right: 16, top: 34, bottom: 44 };
  const n = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const yt = niceTicks(o.yRange?.[0] ?? Math.min(...all), o.yRange?.[1] ?? Math.max(...all), 5);
  const y0 = yt[0];
  const y1 = yt[yt.length - 1];
  const px = (epoch: number) => m.left + (n <= 1 ? (W - m.left - m.right) / 2 : ((epoch - 1) / (n - 1)) * (W - m.left - m.right));
  const py = (v: number) => m.top + (1 - (v - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<svg class="chart line-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}">`);
  parts.push(`<text class="chart-title" x="${m.left}" y="18">${escapeHtml(o.title)}</text>`);
  for (const t of yt) {
    const y = py(t).toFixed(1);
    parts.push(`<line class="grid" x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtTick(t)}</text>`);
  }
  const xStep = Math.max(1, Math.ceil(n / 12));
  for (let e = 1; e <= n; e += xStep) {
    parts.push(`<text class="tick" x="${px(e).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<line class="axis" x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}"/>`);
  parts.push(`<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}"/>`);
  parts.push(`<text class="axis-label" x="${(m.left + W - m.right) / 2}" y="${H - 8}" text-anchor="middle">epoch</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
  if (o.markX !== undefined && o.markX >= 1 && o.markX <= n) {
    const x = px(o.markX).toFixed(1);
    parts.push(`<line class="best" x1="${x}" x2="${x}" y1="${m.top}" y2="${H - m.bottom}" stroke="${COLOURS.best}" stroke-dasharray="4 3"/>`);
    if (o.markLabel) parts.push(`<text class="best-label" x="${x}" y="${m.top - 4}" text-anchor="middle">${escapeHtml(o.markLabel)}</text>`);
  }
  for (const s of series) {
    const pts = s.values.flatMap((v, i) => (Number.isFinite(v) ? [`${px(i + 1).toFixed(1)},${py(v).toFixed(1)}`] : []));
    parts.push(`<polyline class="series" data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    if (n <= 60) for (const p of pts) {
      const [x, y] = p.split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.colour}"/>`);
    }
  }
  legend(parts, series, W - m.right, 4, 14); // top right, line swatches
  parts.push('</svg>');
  return parts.join('\n');
}

function fmtTick(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : String(Number(v.toPrecision(3)));
}

/** Width of one legend entry: swatch, gap, text (about 7 px a character), gap. */
const legendEntryWidth = (name: string): number => 14 + name.length * 7 + 12;

/** A legend ending at x = right: per series a coloured swatch (12 × swatchH) and its name (baseline textY). */
function legend(parts: string[], series: { name: string; colour: string }[], right: number, swatchH: number, textY: number): void {
  let lx = right;
  for (const s of [...series].reverse()) {
    lx -= legendEntryWidth(s.name);
    parts.push(`<rect x="${lx}" y="8" width="12" height="${swatchH}" fill="${s.colour}"/><text class="legend" x="${lx + 16}" y="${textY}">${escapeHtml(s.name)}</text>`);
  }
}

/** Grouped bars: for each type, one bar per measure (P, R, F1), on a 0–100 scale. */
export function barChart(groups: { label: string; values: number[] }[], measures: { name: string; colour: string }[], title: string): string {
  const barW = 14;
  const gap = 18;
  const groupW = measures.length * barW + gap;
  const m = { left: 44, right: 16, top: 34, bottom: 40 };
  // wide enough for the bars, and for the title and the legend side by side above them
  const legendW = measures.reduce((a, x) => a + legendEntryWidth(x.name), 0);
  const W = Math.max(360, m.left + m.right + groups.length * groupW, m.left + title.length * 8 + 24 + legendW + m.right);
  const H = 280;
  const py = (v: number) => m.top + (1 - v / 100) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<svg class="chart bar-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`);
  parts.push(`<text class="chart-title" x="${m.left}" y="18">${escapeHtml(title)}</text>`);
  for (let t = 0; t <= 100; t += 20) {
    const y = py(t).toFixed(1);
    parts.push(`<line class="grid" x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = m.left + gap / 2 + gi * groupW;
    g.values.forEach((v, k) => {
      const y = py(v);
      parts.push(`<rect class="bar" x="${(x0 + k * barW).toFixed(1)}" y="${y.toFixed(1)}" width="${barW - 2}" height="${(py(0) - y).toFixed(1)}" fill="${measures[k].colour}"><title>${escapeHtml(`${g.label} ${measures[k].name} ${n2(v)}`)}</title></rect>`);
    });
    parts.push(`<text class="tick" x="${(x0 + (measures.length * barW) / 2).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${escapeHtml(g.label)}</text>`);
  });
  parts.push(`<line class="axis" x1="${m.left}" x2="${W - m.right}" y1="${py(0)}" y2="${py(0)}"/>`);
  legend(parts, measures, W - m.right, 8, 16); // top right, bar swatches
  parts.push('</svg>');
  return parts.join('\n');
}

// ── tables ───────────────────────────────────────────────────────────────────────────────────────

/** The confusion matrix as a table whose cells are shaded by their share of the row (gold type). */
export function confusionTable(r: EvalResult): string {
  const { rowLabels, colLabels, counts } = r.confusion;
  const T = r.confusion.types.length;
  const rows: string[] = [];
  rows.push(`<tr><th class="corner">gold ↓ / predicted →</th>${colLabels.map((c, j) => `<th${j === T ? ' class="none"' : ''}>${escapeHtml(c)}</th>`).join('')}<th class="total">total</th></tr>`);
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((v, j) => {
      if (i === T && j === T) return '<td class="na">–</td>';
      const share = total > 0 ? v / total : 0;
      // correct (diagonal) cells in green, errors in red, stronger for a larger share of the row
      const hue = i === j ? 130 : 5;
      const bg = v === 0 ? '#ffffff' : `hsl(${hue}, 60%, ${(95 - share * 50).toFixed(0)}%)`;
      const fg = share > 0.6 ? '#ffffff' : '#222222';
      return `<td style="background:${bg};color:${fg}" title="${escapeHtml(`${rowLabels[i]} → ${colLabels[j]}: ${v}`)}">${v}</td>`;
    });
    rows.push(`<tr><th${i === T ? ' class="none"' : ''}>${escapeHtml(rowLabels[i])}</th>${cells.join('')}<td class="total">${total}</td></tr>`);
  });
  return `<table class="confusion">\n${rows.join('\n')}\n</table>`;
}

function scoreTable(r: EvalResult): string {
  const row = (label: string, p: number, rc: number, f: number, g: number, fo: number, c: number, cls = '') =>
    `<tr${cls ? ` class="${cls}"` : ''}><th>${escapeHtml(label)}</th><td>${n2(p)}</td><td>${n2(rc)}</td><td>${n2(f)}</td><td>${g}</td><td>${fo}</td><td>${c}</td></tr>`;
  const rows = r.perType.map((t) => row(t.type, t.precision, t.recall, t.f1, t.gold, t.found, t.correct));
  rows.push(row('overall', r.precision, r.recall, r.f1, r.gold, r.found, r.correct, 'overall'));
  return `<table class="scores"><tr><th>type</th><th>precision</th><th>recall</th><th>F1</th><th>gold</th><th>found</th><th>correct</th></tr>\n${rows.join('\n')}\n</table>`;
}

function errorTable(r: EvalResult, limit: number): string {
  if (r.errors.length === 0) return '<p>No errors.</p>';
  const rows = r.errors.slice(0, limit).map((e) => {
    const text = e.kind === 'wrong boundary' && e.predictedText ? `${e.text ?? ''} → ${e.predictedText}` : e.text ?? '';
    return `<tr><td class="count">${e.count}</td><td>${escapeHtml(e.kind)}</td><td class="text">${escapeHtml(text)}</td><td>${escapeHtml(e.gold ?? '–')}</td><td>${escapeHtml(e.predicted ?? '–')}</td></tr>`;
  });
  return `<table class="errors"><tr><th>count</th><th>kind</th><th>text</th><th>gold</th><th>predicted</th></tr>\n${rows.join('\n')}\n</table>`;
}

function oovTable(o: OovSplit): string {
  const row = (label: string, g: OovSplit['oov']) =>
    `<tr><th>${label}</th><td>${n2(g.precision)}</td><td>${n2(g.recall)}</td><td>${n2(g.f1)}</td><td>${g.gold}</td><td>${g.found}</td><td>${g.correct}</td></tr>`;
  return `<table class="scores"><tr><th>entities</th><th>precision</th><th>recall</th><th>F1</th><th>gold</th><th>found</th><th>correct</th></tr>
${row('with an OOV word', o.oov)}
${row('all words in vocabulary', o.inVocab)}
</table>
<p class="note">${n2(o.oovTokenRate)} % of the tokens have no pretrained vector.</p>`;
}

function keyValueTable(rows: [string, string][], cls: string): string {
  return `<table class="${cls}">\n${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</table>`;
}

// ── the page ─────────────────────────────────────────────────────────────────────────────────────

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin: 0 0 16px; font-size: 13px; }
.headline { display: flex; gap: 24px; flex-wrap: wrap; margin: 12px 0; }
.headline div { background: #f5f7fa; border-radius: 6px; padding: 8px 14px; }
.headline b { display: block; font-size: 22px; }
.row { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 9px; border: 1px solid #e2e2e2; text-align: right; }
th { background: #f5f7fa; font-weight: 600; white-space: nowrap; }
table.config th, table.config td, table.errors td.text, table.errors td, table.errors th { text-align: left; }
table.errors td.count { text-align: right; }
tr.overall th, tr.overall td { font-weight: 700; border-top: 2px solid #bbb; }
.row > div { flex: 1 1 0; min-width: 320px; }
table.confusion th.none { color: #a33; font-style: italic; }
table.confusion td.total, table.confusion th.total { background: #fafafa; color: #666; }
table.confusion .corner { font-weight: 400; color: #666; font-size: 12px; }
td.na { color: #bbb; text-align: center; }
.note { color: #666; font-size: 12px; }
svg.chart { background: #fff; border: 1px solid #eee; border-radius: 6px; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #222; }
svg .tick, svg .legend, svg .best-label { font-size: 11px; fill: #555; }
svg .axis-label { font-size: 12px; fill: #444; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #999; }
`;

/** The whole report page. */
export function reportHtml(input: ReportInput): string {
  const { model, evaluation: ev } = input;
  const h = model.history;
  const best = h.find((r) => r.epoch === model.bestEpoch) ?? (model.bestEpoch === 0 ? h[h.length - 1] : undefined);
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(input.title)}</h1>`);
  const sub = [
    input.modelFile ? `model ${input.modelFile}` : '',
    `${model.config.head} head, ${model.labels.types.length} types (${model.labels.types.join(', ')})`,
    input.generatedBy ?? '',
  ].filter(Boolean);
  body.push(`<p class="sub">${escapeHtml(sub.join(' · '))}</p>`);

  const headline: string[] = [];
  if (ev) headline.push(`<div>F1 on ${escapeHtml(ev.name)}<b>${n2(ev.result.f1)}</b>P ${n2(ev.result.precision)} · R ${n2(ev.result.recall)}</div>`);
  if (best?.dev) headline.push(`<div>best dev F1 (epoch ${best.epoch})<b>${n2(best.dev.f1)}</b>P ${n2(best.dev.precision)} · R ${n2(best.dev.recall)}</div>`);
  headline.push(`<div>epochs<b>${h.length}</b>${model.bestEpoch ? `kept epoch ${model.bestEpoch}` : 'kept the last epoch'}</div>`);
  headline.push(`<div>trained on<b>${num(model.trainedOn.sentences)}</b>sentences, ${num(model.trainedOn.tokens)} tokens</div>`);
  body.push(`<div class="headline">${headline.join('')}</div>`);

  body.push('<h2>Training</h2>');
  if (h.length === 0) body.push('<p>This model has no training history.</p>');
  else {
    const charts: string[] = [];
    charts.push(lineChart([{ name: 'loss', colour: COLOURS.loss, values: h.map((r) => r.loss) }], { title: 'Training loss per token', yLabel: 'mean loss' }));
    if (h.some((r) => r.dev)) {
      const dev = (k: 'precision' | 'recall' | 'f1') => h.map((r) => r.dev?.[k] ?? NaN);
      charts.push(
        lineChart(
          [
            { name: 'precision', colour: COLOURS.precision, values: dev('precision') },
            { name: 'recall', colour: COLOURS.recall, values: dev('recall') },
            { name: 'F1', colour: COLOURS.f1, values: dev('f1') },
          ],
          { title: 'Dev precision, recall and F1', yLabel: 'percent', markX: model.bestEpoch || undefined, markLabel: model.bestEpoch ? `best: epoch ${model.bestEpoch}` : undefined },
        ),
      );
    } else charts.push('<p class="note">No dev set was scored during training.</p>');
    body.push(`<div class="row">${charts.join('\n')}</div>`);
  }

  if (ev) {
    const r = ev.result;
    body.push(`<h2>Scores on ${escapeHtml(ev.name)}</h2>`);
    body.push(`<p class="sub">${num(r.tokens)} tokens, ${r.gold} gold entities, ${r.found} found, ${r.correct} correct; token accuracy ${n2(r.accuracy)} %</p>`);
    const measures = [
      { name: 'precision', colour: COLOURS.precision },
      { name: 'recall', colour: COLOURS.recall },
      { name: 'F1', colour: COLOURS.f1 },
    ];
    const groups = [...r.perType.map((t) => ({ label: t.type, values: [t.precision, t.recall, t.f1] })), { label: 'overall', values: [r.precision, r.recall, r.f1] }];
    body.push(`<div class="row">${barChart(groups, measures, 'Per-type scores')}\n${scoreTable(r)}</div>`);
    const confusion = `<div><h2>Entity confusion matrix</h2>
<p class="note">Spans with the same boundaries, gold type against predicted type; <i>missed</i>: no predicted span with those boundaries; <i>spurious</i>: a predicted span with no gold span of those boundaries. Shade: share of the row.</p>
${confusionTable(r)}</div>`;
    const oov = ev.oov ? `<div><h2>OOV vs in-vocabulary entities</h2>\n${oovTable(ev.oov)}</div>` : '';
    body.push(`<div class="row">${confusion}\n${oov}</div>`);
    body.push('<h2>Most frequent errors</h2>');
    body.push(errorTable(r, 20));
  }

  body.push('<h2>Configuration</h2>');
  const cfg = Object.entries(model.config).map(([k, v]): [string, string] => [k, Array.isArray(v) ? (v.length ? v.join(', ') : '(all)') : String(v)]);
  const about: [string, string][] = [
    ['labels', model.labels.types.join(', ')],
    ['outputs', `${model.labels.outputs.length} (${model.labels.head === 'ovr' ? 'one sigmoid per type' : `${model.labels.scheme} tags${model.labels.head === 'logistic' ? ', one sigmoid each' : ''}`})`],
    ['training data scheme', model.inputScheme],
    ['dims', `n=${model.dims.n}, H=${model.dims.H}, K=${model.dims.K}`],
    ['embeddings', `${model.embeddings.source} (${num(model.embeddings.count)} × ${model.embeddings.d}, fingerprint ${model.embeddings.fingerprint})`],
    ['trained on', model.trainedOn.files.join(', ') || '–'],
  ];
  body.push(`<div class="row">${keyValueTable(cfg, 'config')}\n${keyValueTable(about, 'config')}</div>`);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

/** The report `ner train --report` writes: the training curves and configuration, and the dev scores when given. */
export function trainReportHtml(model: ModelSummary, dev?: EvalSection, modelFile?: string): string {
  return reportHtml({ title: 'ner training report', model, evaluation: dev, modelFile });
}

/** The report `ner eval --report` writes. */
export function evalReportHtml(model: ModelSummary, evaluation: EvalSection, modelFile?: string): string {
  return reportHtml({ title: `ner evaluation: ${evaluation.name}`, model, evaluation, modelFile });
}
