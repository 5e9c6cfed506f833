// Takes docs/annotate.png: the `ner annotate` page in headless Chromium (Debian's chromium, driven by
// playwright-core) in the middle of a session on data/sample.txt, with a model trained on the demo
// corpus, a few sentences accepted (so there were retrainings and a dev F1 curve) and words selected.
//
//   npx tsc -p tsconfig.json && node dist/scripts/annotate-screenshot.js [out.png]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { loadEmbeddings } from '../src/embeddings/embeddings.js';
import { readConll } from '../src/data/conll.js';
import { DEFAULT_CONFIG } from '../src/model/ner-model.js';
import { train } from '../src/train/train.js';
import { tokenize } from '../src/data/tokenize.js';
import { Session } from '../src/annotate/session.js';
import { serveSession } from '../src/annotate/server.js';

const png = process.argv[2] ?? 'docs/annotate.png';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ner-annotate-shot-'));
const emb = await loadEmbeddings(undefined, { lazyVectors: true });
const demo = readConll('data/demo/train.conll');
const { model } = await train([{ ...demo, sentences: demo.sentences.slice(0, 120) }], readConll('data/demo/dev.conll'), emb, { ...DEFAULT_CONFIG, epochs: 4 });
const sentences = tokenize(fs.readFileSync('data/sample.txt', 'utf8')).map((s) => s.map((t) => t.text));
const session = new Session({
  sentences, out: path.join(work, 'sample.conll'), types: model.labels.types, model, embeddings: emb,
  trainFiles: ['data/demo/train.conll'], dev: 'data/demo/dev.conll', every: 2, by: 'lc', seed: 1, modelOut: path.join(work, 'sample.model.json'),
});
// six sentences accepted as the model proposes them: three retrainings, three points on the curve
for (let k = 0; k < 6; k++) {
  const it = session.next()!;
  session.accept(it.id, it.spans);
  await session.idle();
}
// show a sentence of some length (skipped ones come back at the end, as in a real session)
while (session.next()!.tokens.length < 12) session.skip(session.next()!.id, []);
const served = await serveSession(session, { port: 0 });
const browser = await chromium.launchPersistentContext(path.join(work, 'profile'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(served.url);
  await page.locator('#sentence .tok').first().waitFor();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.screenshot({ path: png });
  console.log(`wrote ${png}`);
} finally {
  await browser.close();
  await served.close();
  fs.rmSync(work, { recursive: true, force: true });
}
