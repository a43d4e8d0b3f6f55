/**
 * The config of a `kmeans` run (`latentlab cluster kmeans`): k-means (k-means++, best of several
 * restarts) on a dataset, raw or through a saved encoder.
 */
import { z } from 'zod';
import { commonFields, plain, runFields } from '../common.js';

const common = commonFields(plain);

export const kmeansConfigSchema = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  encoder: z.string().optional().describe('an ae run whose encoder maps the data first').meta({ arg: 'run' }),
  /** Number of clusters; default the number of classes. */
  k: z.int().positive().optional().describe('number of clusters').meta({ defaultHelp: 'the number of classes' }),
  restarts: z.int().positive().default(10).describe('runs from different k-means++ seeds; the lowest inertia is kept'),
  max_iter: z.int().positive().default(300).describe('Lloyd iterations per run'),
  tol: z.number().nonnegative().default(1e-4).describe('relative centroid-shift tolerance').meta({ arg: 't', defaultHelp: '1e-4' }),
  init: plain.choice(['k-means++', 'random']).default('k-means++').describe('centroid initialisation').meta({ arg: 'kind' }),
  split: common.split(['train', 'all']),
  ...runFields(common, { limit: 'use only the first n rows' }),
});

export type KMeansConfig = z.infer<typeof kmeansConfigSchema>;
