/** The kmeans run kind: k-means clustering. */
import type { RunKind } from '../../kind.js';
import { evaluateKmeans } from './evaluate.js';
import { kmeansConfigSchema, type KMeansConfig } from './config.js';

export * from './config.js';

/** Until this kind's training moves here, the CLI trains it through its own command. */
const notHere = (): never => {
  throw new Error('kmeansKind: training and evaluation are still in the CLI command');
};

export const kmeansKind: RunKind<KMeansConfig> = {
  name: 'kmeans',
  command: 'cluster kmeans',
  description: 'k-means (k-means++, best of several restarts) on a dataset, raw or through a saved encoder',
  schema: kmeansConfigSchema,
  resumable: false,
  // k-means keeps no checkpoint: an interrupted run is run again.
  headline: ['purity', 'test_purity'],
  train: notHere,
  evaluate: evaluateKmeans,
};
