/** The ae run kind: autoencoder. */
import type { RunKind } from '../../kind.js';
import { evaluateAe } from './evaluate.js';
import { aeConfigSchema, type AeConfig } from './config.js';
import { trainAe } from './train.js';

export * from './config.js';
export { buildAutoencoder } from './train.js';

export const aeKind: RunKind<AeConfig> = {
  name: 'ae',
  command: 'train ae',
  description:
    'an autoencoder (the autoencoder course: 784-128-p-128-784, Tanh hidden, Sigmoid output, MSE, Adam lr 0.005, batch 64, 100 epochs) with figures and report.html',
  schema: aeConfigSchema,
  resumable: true,
  headline: ['test_mse', 'mse'],
  train: trainAe,
  evaluate: evaluateAe,
};
