// Label Studio's JSON export (offsets in code points, end exclusive; Label Studio converts the browser's
// selection to code points before it saves): a JSON array of tasks
//   {"id", "data": {"text"}, "annotations": [{"result": [{"type": "labels", "value": {"start", "end", "text", "labels": [..]}}],
//    "was_cancelled"?, "ground_truth"?, "updated_at"?}], "predictions": [...]}
// Which annotation is taken: cancelled ones are skipped; of the rest, the one marked ground truth, else
// the one updated (or created) last, else the last in the list; tasks with several are counted. A task
// with no annotation left is skipped and counted: predictions are a model's guesses, never labels.
// Older exports call annotations "completions". Results of other types (relations, choices) are counted
// and not used; each span's recorded "text" is checked against the text at its offsets.

import { checkedSpan, checkedText, shortJson, type AnnotatedDoc, type CharSpan } from './doc.js';
import { OffsetMap, type OffsetUnit } from './offsets.js';
import type { Problems, Where } from './problems.js';

export function isLabelStudio(r: Record<string, unknown>): boolean {
  return 'data' in r && typeof r.data === 'object' && ('annotations' in r || 'predictions' in r || 'completions' in r || 'id' in r);
}

type Obj = Record<string, unknown>;

function time(a: Obj): number {
  const t = Date.parse(String(a.updated_at ?? a.created_at ?? ''));
  return Number.isNaN(t) ? -Infinity : t;
}

/** The annotation used for training (see the header), or undefined. */
function chosen(annotations: Obj[], where: Where, problems: Problems): Obj | undefined {
  const live = annotations.filter((a) => {
    if (a.was_cancelled === true) problems.add('cancelled', where, `annotation ${shortJson(a.id)}`);
    return a.was_cancelled !== true;
  });
  if (live.length === 0) return undefined;
  if (live.length > 1) problems.add('several-annotations', where, `${live.length} annotations`);
  const truth = live.find((a) => a.ground_truth === true);
  if (truth) return truth;
  let best = live[live.length - 1];
  for (const a of live) if (time(a) > time(best)) best = a;
  return best;
}

/** The text of a task: data.text, else data's only string field (a labelling config may name it otherwise). */
function taskText(data: unknown, where: Where, problems: Problems): string | undefined {
  if (typeof data !== 'object' || data === null) return checkedText(undefined, where, problems, '"data": {"text"}');
  const d = data as Obj;
  if ('text' in d) return checkedText(d.text, where, problems, '"data.text"');
  const strings = Object.values(d).filter((v) => typeof v === 'string') as string[];
  if (strings.length === 1) return strings[0];
  return checkedText(undefined, where, problems, '"data.text"');
}

/** The labelled spans of one result list. */
function resultSpans(result: unknown, map: OffsetMap, unit: OffsetUnit, where: Where, problems: Problems): CharSpan[] {
  const spans: CharSpan[] = [];
  if (!Array.isArray(result)) {
    problems.add('bad-record', where, `"result" is ${shortJson(result)}, expected a list`);
    return spans;
  }
  for (const r of result as Obj[]) {
    if (typeof r !== 'object' || r === null) {
      problems.add('bad-span', where, `result ${shortJson(r)} is not an object`);
      continue;
    }
    if (r.type !== 'labels') {
      problems.add('ignored', where, `a result of type ${shortJson(r.type)}`);
      continue;
    }
    const v = (r.value ?? {}) as Obj;
    if (!Array.isArray(v.labels) || v.labels.length === 0) {
      problems.add('bad-span', where, `"labels" is ${shortJson(v.labels)}, expected a list with one label`);
      continue;
    }
    if (v.labels.length > 1) {
      problems.add('several-labels', where, `span [${shortJson(v.start)}, ${shortJson(v.end)}) has labels ${shortJson(v.labels)}`);
      continue;
    }
    const span = checkedSpan(map, unit, v.start, v.end, v.labels[0], where, problems, v.text);
    if (span) {
      if (typeof r.score === 'number') span.score = r.score;
      spans.push(span);
    }
  }
  return spans;
}

/** One Label Studio task → a document with the chosen annotation's spans; undefined when skipped. */
export function labelStudioDoc(task: unknown, where: Where, unit: OffsetUnit, problems: Problems): AnnotatedDoc | undefined {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    problems.add('bad-record', where, `expected a task {"data": {"text"}, "annotations": [...]}, got ${shortJson(task)}`);
    return undefined;
  }
  const t = task as Obj;
  const text = taskText(t.data, where, problems);
  if (text === undefined) return undefined;
  const annotations = t.annotations ?? t.completions ?? [];
  if (!Array.isArray(annotations)) {
    problems.add('bad-record', where, `"annotations" is ${shortJson(annotations)}, expected a list`);
    return undefined;
  }
  const a = chosen(annotations as Obj[], where, problems);
  if (a === undefined) {
    problems.add('unlabelled', where, Array.isArray(t.predictions) && t.predictions.length > 0 ? 'predictions only' : 'no annotations');
    return undefined;
  }
  const id = typeof t.id === 'string' || typeof t.id === 'number' ? t.id : undefined;
  return { id, text, spans: resultSpans(a.result, new OffsetMap(text), unit, where, problems), where };
}

/** One result item for a span, as Label Studio's Labels control on a Text object writes it. */
function resultItem(s: CharSpan, map: OffsetMap, unit: OffsetUnit, i: number): Obj {
  const item: Obj = {
    id: `ner-${i}`,
    from_name: 'label',
    to_name: 'text',
    type: 'labels',
    value: { start: map.fromUtf16(s.start, unit), end: map.fromUtf16(s.end, unit), text: map.text.slice(s.start, s.end), labels: [s.label] },
  };
  if (s.score !== undefined) item.score = Math.round(s.score * 1e4) / 1e4;
  return item;
}

export interface LabelStudioOptions {
  /** Write the spans as a prediction (a model's output, pre-annotations) rather than as an annotation. */
  prediction?: boolean;
  /** The prediction's model_version. */
  modelVersion?: string;
}

/**
 * A Label Studio task for a document, for the labelling config
 * <View><Labels name="label" toName="text">…</Labels><Text name="text" value="$text"/></View>.
 */
export function labelStudioTask(doc: AnnotatedDoc, unit: OffsetUnit, opts: LabelStudioOptions = {}): Obj {
  const map = new OffsetMap(doc.text);
  const result = doc.spans.map((s, i) => resultItem(s, map, unit, i));
  const task: Obj = doc.id !== undefined ? { id: doc.id } : {};
  task.data = { text: doc.text };
  if (opts.prediction) {
    const scores = doc.spans.map((s) => s.score).filter((s): s is number => s !== undefined);
    const score = scores.length > 0 ? Math.round(Math.min(...scores) * 1e4) / 1e4 : undefined;
    task.predictions = [{ model_version: opts.modelVersion ?? 'ner', ...(score !== undefined ? { score } : {}), result }];
  } else task.annotations = [{ result }];
  return task;
}
