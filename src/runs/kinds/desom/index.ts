/** The desom run kind: Deep Embedded SOM. */
import type { RunKind } from '../../kind.js';
import { evaluateDesom } from './evaluate.js';
import { desomConfigSchema, type DesomRunConfig } from './config.js';
import { trainDesom } from './train.js';

export * from './config.js';

export const desomKind: RunKind<DesomRunConfig> = {
  name: 'desom',
  command: 'train desom',
  description: 'a Deep Embedded SOM (the DESOM paper): autoencoder + SOM in its latent space, trained jointly; defaults are the paper’s',
  schema: desomConfigSchema,
  resumable: true,
  headline: ['purity', 'test_purity'],
  train: trainDesom,
  evaluate: evaluateDesom,
};
