// doccano's auto-labelling. Its "Custom REST Request" template POSTs the JSON body the user sets up,
// with the placeholder "{{ text }}" replaced by the document's text, and renders the answer through a
// Jinja2 "mapping template" (the answer is `input`) into `[{"label", "start_offset", "end_offset"}]`
// for a sequence-labelling project (doccano docs/advanced/auto_labelling_config.md; the request is
// CustomRESTRequestModel in doccano/auto-labeling-pipeline models.py). POST /doccano answers that list
// directly. doccano is Python: its offsets count code points, where JavaScript strings (and `ner tag`)
// count UTF-16 units; the offsets are converted, so an emoji before an entity does not shift it.

import { OffsetMap } from '../data/formats/index.js';
import type { Entity } from '../predict/entities.js';
import { badRequest, expectObject, expectString } from './validate.js';

export interface DoccanoSpan {
  label: string;
  start_offset: number;
  end_offset: number;
}

/** The mapping template a user pastes into doccano for POST /doccano (shown in the README). */
export const MAPPING_TEMPLATE = `[{% for e in input %}{"label": "{{ e.label }}", "start_offset": {{ e.start_offset }}, "end_offset": {{ e.end_offset }}}{% if not loop.last %},{% endif %}{% endfor %}]`;

/** The text of a doccano request: the body's "text" (what the template's Body sets up). */
export function doccanoText(body: unknown): string {
  const o = expectObject(body, 'POST /doccano', '{"text": "{{ text }}"} as the request Body in doccano');
  if (!('text' in o)) throw badRequest('POST /doccano: expected a "text" field (in doccano: Body key "text", value "{{ text }}")');
  return expectString(o.text, 'text');
}

export function doccanoSpans(text: string, entities: Entity[]): DoccanoSpan[] {
  const map = new OffsetMap(text);
  return entities.map((e) => ({ label: e.type, start_offset: map.fromUtf16(e.start, 'codepoint'), end_offset: map.fromUtf16(e.end, 'codepoint') }));
}
