// The one-hot groups a model can have after casing in each window block, by the name its file records
// them under: the config chooses them for training, the model file's window.groups names them for tagging.

import type { OneHot, TokenFeature } from './features.js';
import type { ModelConfig } from './ner-model.js';
import { SHAPE_FEATURE } from './shape.js';

/** The groups a config asks for, in block order. */
export function featuresOf(config: ModelConfig): TokenFeature[] {
  return config.shape ? [SHAPE_FEATURE] : [];
}

/** The rule of a group a model file names, or a message saying why this ner cannot use it. */
export function featureFor(g: OneHot): TokenFeature | string {
  if (g.name === SHAPE_FEATURE.name) {
    return g.size === SHAPE_FEATURE.size ? SHAPE_FEATURE : `its word shape has ${g.size} classes, this ner has ${SHAPE_FEATURE.size}`;
  }
  return `it has a one-hot group "${g.name}" this ner does not know`;
}
