/** The cnn run kind: a convolutional classifier trained with softmax + cross-entropy. */
import type { RunKind } from '../../kind.js';
import { evaluateMlp } from '../mlp/evaluate.js';
import { cnnConfigSchema, type CnnConfig } from './config.js';
import { trainCnn } from './train.js';

export { cnnConfigSchema, type CnnConfig } from './config.js';
export { buildCnn, parseArch, DEFAULT_ARCH } from './arch.js';

export const cnnKind: RunKind<CnnConfig> = {
  name: 'cnn',
  command: 'train cnn',
  description: 'a convolutional classifier (the course’s CNN: convolutions, pooling, then dense layers; LeNet-style by default)',
  schema: cnnConfigSchema,
  resumable: true,
  headline: ['test_accuracy', 'accuracy'],
  train: trainCnn,
  // Scoring a saved classifier is the same for any Sequential: loadModel rebuilds it from model.json.
  evaluate: evaluateMlp,
};
