/** The som run kind: self-organizing map. */
import type { RunKind } from '../../kind.js';
import { evaluateSom } from './evaluate.js';
import { somConfigSchema, type SomConfig } from './config.js';

export * from './config.js';

/** Until this kind's training moves here, the CLI trains it through its own command. */
const notHere = (): never => {
  throw new Error('somKind: training and evaluation are still in the CLI command');
};

export const somKind: RunKind<SomConfig> = {
  name: 'som',
  command: 'train som',
  description: 'a self-organizing map (classic | batch | gradient) on a dataset, raw or through a saved encoder',
  schema: somConfigSchema,
  resumable: true,
  headline: ['purity', 'test_purity'],
  train: notHere,
  evaluate: evaluateSom,
};
