// Label Studio's ML backend protocol, the request and answer shapes of HumanSignal/label-studio-ml-backend
// label_studio_ml/api.py: POST /predict gets {"tasks": [{"id", "data": {…}}], "label_config", "project",
// "params"} and answers {"results": [{"result": [regions], "score", "model_version"}]}, one per task, a
// region being {"from_name", "to_name", "type": "labels", "value": {"start", "end", "text", "labels"}}
// (as in its examples/gliner/test_api.py); POST /setup gets {"project", "schema"} and answers
// {"model_version"}; POST /webhook gets {"action", "project", "annotation", "task"} and answers 201.
// Which names to use comes from the project's labelling config: <Labels name=… toName=…> names the
// from_name and to_name, <Text name=… value="$key"> the task's data key. Label Studio stores offsets in
// code points (label-studio PR #1559 and label-studio-frontend PR #308 moved it off JavaScript's UTF-16
// lengths, after issues #1008 and #1347 about emoji shifting the spans); ours are UTF-16, so they are
// converted.

import type { Entity } from '../predict/entities.js';
import { docOfEntities, labelStudioTask } from '../data/formats/index.js';
import { badRequest, described, expectObject, isObject, type JsonObject } from './validate.js';

export interface LabelConfig {
  fromName: string;
  toName: string;
  dataKey: string; // the task data field with the text
  labels: { value: string; alias?: string }[]; // the <Label>s of the <Labels> tag ([] when unknown)
}

export const DEFAULT_CONFIG: LabelConfig = { fromName: 'label', toName: 'text', dataKey: 'text', labels: [] };

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? (m[2] ?? m[3]) : undefined;
}

/** The names a labelling config gives: the first <Labels> tag, and the <Text> tag it labels. */
export function parseLabelConfig(xml: unknown): LabelConfig {
  if (typeof xml !== 'string' || xml.trim() === '') return DEFAULT_CONFIG;
  const labelsTag = /<Labels\b[^>]*>/i.exec(xml);
  if (!labelsTag) throw badRequest('label_config has no <Labels> tag: this backend labels spans of text', 'use a Named Entity Recognition labelling config, e.g. <View><Labels name="label" toName="text"><Label value="PER"/></Labels><Text name="text" value="$text"/></View>');
  const fromName = attr(labelsTag[0], 'name') ?? DEFAULT_CONFIG.fromName;
  const toName = attr(labelsTag[0], 'toName') ?? DEFAULT_CONFIG.toName;
  let dataKey = DEFAULT_CONFIG.dataKey;
  for (const m of xml.matchAll(/<(?:Text|HyperText)\b[^>]*>/gi)) {
    if (attr(m[0], 'name') === toName) dataKey = (attr(m[0], 'value') ?? `$${dataKey}`).replace(/^\$/, '');
  }
  const end = xml.indexOf('</Labels>', labelsTag.index);
  const body = xml.slice(labelsTag.index + labelsTag[0].length, end < 0 ? undefined : end);
  const labels = [...body.matchAll(/<Label\b[^>]*>/gi)].map((m) => ({ value: attr(m[0], 'value') ?? '', alias: attr(m[0], 'alias') }));
  return { fromName, toName, dataKey, labels };
}

/** The project's label for a model type: a <Label> whose value or alias is the type (case aside); the
 *  type itself when none is. */
export function labelFor(config: LabelConfig, type: string): string {
  const exact = config.labels.find((l) => l.value === type || l.alias === type);
  if (exact) return exact.value;
  const t = type.toLowerCase();
  return config.labels.find((l) => l.value.toLowerCase() === t || l.alias?.toLowerCase() === t)?.value ?? type;
}

export interface PredictRequest {
  config: LabelConfig;
  texts: string[];
}

export function predictRequest(body: unknown): PredictRequest {
  const o = expectObject(body, 'POST /predict', '{"tasks": [{"id": 1, "data": {"text": "…"}}], "label_config": "<View>…</View>"}');
  const config = parseLabelConfig(o.label_config);
  if (!Array.isArray(o.tasks)) throw badRequest(`"tasks": expected an array of Label Studio tasks, got ${'tasks' in o ? described(o.tasks) : 'nothing'}`, 'e.g. {"tasks": [{"id": 1, "data": {"text": "…"}}]}');
  const texts = o.tasks.map((task, i) => {
    const t = expectObject(task, `tasks[${i}]`, '{"id": 1, "data": {"text": "…"}}');
    const data = t.data;
    if (!isObject(data) || typeof data[config.dataKey] !== 'string') {
      throw badRequest(`"tasks[${i}].data.${config.dataKey}": expected the text to label (a string), got ${isObject(data) ? described(data[config.dataKey]) : `data ${described(data)}`}`,
        `the labelling config's <Text name="${config.toName}"> reads $${config.dataKey}: each task needs data.${config.dataKey}`);
    }
    return data[config.dataKey] as string;
  });
  return { config, texts };
}

/** One task's prediction, as the annotation-format writer makes it for Label Studio (offsets in code
 *  points, a region per entity with its probability, the task's score the least sure entity's), with
 *  the names and labels of the project's config. */
export function prediction(config: LabelConfig, text: string, entities: Entity[], modelVersion: string): JsonObject {
  const task = labelStudioTask(docOfEntities(text, entities), 'codepoint', { prediction: true, modelVersion });
  const p = (task.predictions as JsonObject[])[0];
  for (const region of p.result as { from_name: string; to_name: string; value: { labels: string[] } }[]) {
    region.from_name = config.fromName;
    region.to_name = config.toName;
    region.value.labels = region.value.labels.map((type) => labelFor(config, type));
  }
  return p;
}
