// The version of this ner (package.json's), which every model file records.

import fs from 'node:fs';

export const NER_VERSION: string = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
