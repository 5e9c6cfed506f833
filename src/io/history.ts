// The training history that model files and checkpoints carry (one record per epoch: loss, learning
// rate, dev scores), checked when read back: a hand-edited entry is named, not met later as a crash.

/** What is wrong with one entry of a training history (model files and checkpoints), or undefined. */
export function epochRecordProblem(r: any, epoch: number): string | undefined {
  if (!r || typeof r !== 'object') return 'is not an epoch record';
  if (r.epoch !== epoch) return `has epoch ${JSON.stringify(r.epoch)}, expected ${epoch}`;
  for (const k of ['loss', 'lr']) if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) return `has ${k} ${JSON.stringify(r[k])}, expected a number`;
  if (r.dev !== null) {
    if (!r.dev || typeof r.dev !== 'object') return 'has dev that is neither scores nor null';
    for (const k of ['precision', 'recall', 'f1']) if (typeof r.dev[k] !== 'number' || !(r.dev[k] >= 0 && r.dev[k] <= 100)) return `has dev.${k} ${JSON.stringify(r.dev[k])}, expected a number from 0 to 100`;
  }
  return undefined;
}
