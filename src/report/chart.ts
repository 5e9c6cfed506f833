// Small terminal charts for training histories: a one-line sparkline and a few-rows-high ASCII column
// chart with a y axis, one column per epoch and the best epoch marked. Pure string building; colour is
// left to the caller.

import type { EpochRecord } from '../model/ner-model.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/** One character per value, ▁ for the smallest and █ for the largest (all ▄ when they are equal). */
export function sparkline(values: number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return ' '.repeat(values.length);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return ' ';
      if (hi === lo) return BLOCKS[3];
      return BLOCKS[Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))];
    })
    .join('');
}

export interface AsciiChartOptions {
  height?: number; // rows of the plot area (default 8)
  digits?: number; // decimals of the y-axis labels (default 1)
  mark?: number; // index of the value to mark with ★ under its column (e.g. the best epoch)
  columnWidth?: number; // characters per value (default: 3 when there are few values, else 1)
}

/**
 * A column chart of `values` (one column per value, bottom row = the minimum, top row = the maximum),
 * with y-axis labels on the left and the 1-based index of every value (or every 5th) underneath.
 */
export function asciiChart(values: number[], opts: AsciiChartOptions = {}): string {
  const n = values.length;
  if (n === 0) return '';
  const height = Math.max(2, opts.height ?? 8);
  const digits = opts.digits ?? 1;
  const width = opts.columnWidth ?? (n <= 20 ? 3 : n <= 40 ? 2 : 1);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // level(v) in 0 … height·8: how many eighths of a row the column fills
  const eighths = (v: number) => (hi === lo ? height * 4 : Math.max(1, Math.round(((v - lo) / (hi - lo)) * (height * 8 - 1)) + 1));
  const labels = Array.from({ length: height }, (_, r) => (hi === lo ? (r === height - 1 ? hi : NaN) : hi - ((hi - lo) * r) / (height - 1)));
  const labelWidth = Math.max(...labels.filter(Number.isFinite).map((v) => v.toFixed(digits).length));
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const rowBase = (height - 1 - r) * 8; // eighths below this row
    const label = r === 0 || r === height - 1 || r === Math.floor((height - 1) / 2) ? (Number.isFinite(labels[r]) ? labels[r].toFixed(digits) : '') : '';
    let row = `${label.padStart(labelWidth)} ┤`;
    for (const v of values) {
      const fill = eighths(v) - rowBase;
      const ch = fill >= 8 ? '█' : fill <= 0 ? ' ' : BLOCKS[fill - 1];
      row += (width > 1 ? ' ' : '') + ch.repeat(Math.max(1, width - 1));
    }
    lines.push(row.trimEnd());
  }
  lines.push(`${' '.repeat(labelWidth)} └${'─'.repeat(n * width)}`);
  let axis = '';
  let marks = '';
  const every = width >= 3 ? 1 : width === 2 ? 2 : 5;
  for (let i = 0; i < n; i++) {
    const pos = i * width + (width > 1 ? 1 : 0); // where column i's bar starts
    if ((i === 0 || (i + 1) % every === 0) && axis.length < pos) axis = axis.padEnd(pos) + String(i + 1);
    if (opts.mark === i) marks = marks.padEnd(pos) + '★';
  }
  lines.push(`${' '.repeat(labelWidth + 2)}${axis}`.trimEnd());
  if (marks) lines.push(`${' '.repeat(labelWidth + 2)}${marks}`);
  return lines.join('\n') + '\n';
}

/**
 * The compact summary printed after training: a sparkline of dev F1 and of the loss per epoch with the
 * first, last and best values, the best epoch marked under the F1 line.
 *   dev F1 ▃▅▇█▇  62.10 → 80.02, best 81.30 at epoch 4
 *          ···★·
 *   loss   █▄▂▁▁  0.2561 → 0.0410
 */
export function trainingChart(history: Pick<EpochRecord, 'epoch' | 'loss' | 'dev'>[], bestEpoch: number): string {
  if (history.length === 0) return '';
  const lines: string[] = [];
  const loss = history.map((r) => r.loss);
  const first = history[0];
  const last = history[history.length - 1];
  if (history.some((r) => r.dev)) {
    const f1 = history.map((r) => r.dev?.f1 ?? NaN);
    const best = history.find((r) => r.epoch === bestEpoch);
    const bestText = best?.dev ? `, best ${best.dev.f1.toFixed(2)} at epoch ${best.epoch}` : '';
    lines.push(`dev F1 ${sparkline(f1)}  ${fmtF1(first.dev?.f1)} → ${fmtF1(last.dev?.f1)}${bestText}`);
    if (best) lines.push(`       ${history.map((r) => (r.epoch === bestEpoch ? '★' : '·')).join('')}`);
  }
  lines.push(`loss   ${sparkline(loss)}  ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}`);
  return lines.join('\n') + '\n';
}

function fmtF1(v: number | undefined): string {
  return v === undefined ? '–' : v.toFixed(2);
}
