/** The kmeans run kind: k-means clustering. */
import type { RunKind } from '../../kind.js';
import { evaluateKmeans } from './evaluate.js';
import { kmeansConfigSchema, type KMeansConfig } from './config.js';
import { trainKmeans } from './train.js';

export * from './config.js';

export const kmeansKind: RunKind<KMeansConfig> = {
  name: 'kmeans',
  command: 'cluster kmeans',
  description: 'k-means (k-means++, best of several restarts) on a dataset, raw or through a saved encoder',
  schema: kmeansConfigSchema,
  resumable: false,
  // k-means keeps no checkpoint: an interrupted run is run again.
  headline: ['purity', 'test_purity'],
  train: trainKmeans,
  evaluate: evaluateKmeans,
};
