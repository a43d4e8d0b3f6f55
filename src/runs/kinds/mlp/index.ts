/** The mlp run kind: a classifier trained with softmax + cross-entropy. */
import type { RunKind } from '../../kind.js';
import { mlpConfigSchema, type MlpConfig } from './config.js';
import { evaluateMlp } from './evaluate.js';
import { trainMlp } from './train.js';

export { mlpConfigSchema, type MlpConfig } from './config.js';
export { buildMlp } from './train.js';

export const mlpKind: RunKind<MlpConfig> = {
  name: 'mlp',
  command: 'train mlp',
  description: 'a classifier (the network-library course: 784-100-10, sigmoid hidden, softmax + cross-entropy)',
  schema: mlpConfigSchema,
  resumable: true,
  headline: ['test_accuracy', 'accuracy'],
  train: trainMlp,
  evaluate: evaluateMlp,
};
