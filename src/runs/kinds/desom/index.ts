/** The desom run kind: Deep Embedded SOM. */
import type { RunKind } from '../../kind.js';
import { evaluateDesom } from './evaluate.js';
import { desomConfigSchema, type DesomRunConfig } from './config.js';

export * from './config.js';

/** Until this kind's training moves here, the CLI trains it through its own command. */
const notHere = (): never => {
  throw new Error('desomKind: training and evaluation are still in the CLI command');
};

export const desomKind: RunKind<DesomRunConfig> = {
  name: 'desom',
  command: 'train desom',
  description: 'a Deep Embedded SOM (seed 000): autoencoder + SOM in its latent space, trained jointly; defaults are the paper’s',
  schema: desomConfigSchema,
  resumable: true,
  headline: ['purity', 'test_purity'],
  train: notHere,
  evaluate: evaluateDesom,
};
