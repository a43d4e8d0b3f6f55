/**
 * The config of a `signatures` run (`latentlab signatures RUN`): the activation signatures of a
 * trained classifier, after the Cluster Paths student project and paper — each hidden layer's
 * outputs clustered with k-means (k chosen by silhouette), the path of every input through those
 * clusters, the paths' metrics, their outliers, and where inputs of classes the model never saw go.
 */
import { z } from 'zod';
import { commonFields, plain } from '../common.js';

const common = commonFields(plain);

const K_RANGE = /^(\d+)\.\.(\d+)$/;

/** "2..10" → [2, 10] (null when not of that form). */
export function parseKRange(text: string): [number, number] | null {
  const m = K_RANGE.exec(text);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

export const signaturesConfigSchema = z
  .strictObject({
    model: z.string().min(1).describe('the classifier run to analyse (an mlp run id under --out, or its directory)').meta({ arg: 'run' }),
    data_dir: common.data_dir,
    split: plain
      .choice(['train', 'test'])
      .default('train')
      .describe('rows analysed: the training rows the model saw (its class subset, as the Cluster Paths project) or the test rows of its classes')
      .meta({ arg: 'split' }),
    layers: z.string().optional().describe('hidden layers to analyse, e.g. h1,h2 (default: every hidden layer)').meta({ arg: 'names' }),
    k: z
      .string()
      .regex(/^(auto|[1-9]\d*)$/, { message: 'expected auto or a number of clusters ≥ 2' })
      .refine((s) => s === 'auto' || Number(s) >= 2, { message: 'expected auto or a number of clusters ≥ 2' })
      .default('auto')
      .describe('clusters per layer: auto (the best mean silhouette over --k-range) or a number')
      .meta({ arg: 'auto|n' }),
    k_range: z
      .string()
      .refine((s) => {
        const r = parseKRange(s);
        return r !== null && r[0] >= 2 && r[0] <= r[1];
      }, 'expected LOW..HIGH with 2 ≤ LOW ≤ HIGH, e.g. 2..10')
      .default('2..10')
      .describe('the k tried by --k auto')
      .meta({ arg: 'lo..hi' }),
    restarts: plain.int(1).default(10).describe('k-means runs per k (k-means++ seeding), the lowest inertia kept'),
    silhouette_sample: plain.int(3).optional().describe('score each k on a seeded sample of this many rows (default: every row, exact)'),
    insert: z
      .array(z.int().min(0))
      .optional()
      .describe('classes the model never saw, fed through it: their paths beside the others (e.g. 4,3)')
      .meta({ arg: 'classes' }),
    insert_count: plain.int(1).default(100).describe('rows of each inserted class (seeded draw from the same split)'),
    noise: z
      .number()
      .min(0)
      .default(0.1)
      .describe('standard deviation of the Gaussian input noise of the path-agreement metric (0: not measured)')
      .meta({ arg: 'std' }),
    outliers: plain.int(0).default(16).describe('images per class in the outlier galleries'),
    projection: plain.choice(['umap', 'none']).default('umap').describe("each layer's 2-d projection for its figure"),
    seed: common.seed,
    backend: common.backend,
    threads: common.threads,
    matmul_precision: common.matmul_precision,
    limit: common.limit('use only the first n rows of the split (before the class subset)'),
  })
  .superRefine((c, ctx) => {
    if (c.k !== 'auto' && c.silhouette_sample !== undefined && c.silhouette_sample <= Number(c.k))
      ctx.addIssue({ code: 'custom', path: ['silhouette_sample'], message: `expected more rows than k = ${c.k}, got ${c.silhouette_sample}` });
  });

export type SignaturesConfig = z.infer<typeof signaturesConfigSchema>;
