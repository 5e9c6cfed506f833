// Train, save, load, tag and evaluate with the library API: node docs/library-example.mjs (in this repository
// or in any project that installed ner; DEMO holds the paths of the demo corpus inside the package).
import { DEMO, train, saveModel, loadModel, tag, evaluate, trainingChart } from 'ner';

const model = await train({
  train: DEMO.train,
  dev: DEMO.dev,
  epochs: 5,
  seed: 1,
  onEpoch: (r, isBest) => console.log(`epoch ${r.epoch}  loss ${r.loss.toFixed(4)}  dev F1 ${r.dev.f1.toFixed(2)}${isBest ? ' *' : ''}`),
});
process.stdout.write(trainingChart(model.history, model.bestEpoch));
saveModel(model, '/tmp/demo-model.json');

const loaded = await loadModel('/tmp/demo-model.json'); // finds the embeddings it was trained with
for (const e of tag(loaded, 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.')) {
  console.log(`${e.type.padEnd(5)} ${e.text.padEnd(14)} [${e.start}, ${e.end})  p = ${e.prob.toFixed(2)}`);
}

const r = evaluate(loaded, DEMO.dev);
console.log(`dev: P ${r.precision.toFixed(2)}  R ${r.recall.toFixed(2)}  F1 ${r.f1.toFixed(2)}`);
console.log(`OOV entities F1 ${r.oov.oov.f1.toFixed(2)}, in-vocabulary F1 ${r.oov.inVocab.f1.toFixed(2)}`);
for (const t of r.perType) console.log(`  ${t.type.padEnd(5)} F1 ${t.f1.toFixed(2)}`);
