/** The som run kind: self-organizing map. */
import type { RunKind } from '../../kind.js';
import { evaluateSom } from './evaluate.js';
import { somConfigSchema, type SomConfig } from './config.js';
import { trainSom } from './train.js';

export * from './config.js';

export const somKind: RunKind<SomConfig> = {
  name: 'som',
  command: 'train som',
  description: 'a self-organizing map (classic | batch | gradient) on a dataset, raw or through a saved encoder',
  schema: somConfigSchema,
  resumable: true,
  headline: ['purity', 'test_purity'],
  train: trainSom,
  evaluate: evaluateSom,
};
