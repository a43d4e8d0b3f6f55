/**
 * The config of a `signatures` run (`latentlab signatures RUN`): the activation signatures of a
 * trained classifier, after the Cluster Paths student project and paper — each hidden layer's
 * outputs clustered with k-means (k chosen by silhouette), the path of every input through those
 * clusters, the paths' metrics, their outliers, and where inputs of classes the model never saw go.
 */
import { z } from 'zod';
import { commonFields, plain } from '../common.js';

const common = commonFields(plain);

/** `--silhouette-sample auto` computes silhouettes exactly up to this many rows, on a seeded sample of this many above. */
export const AUTO_SILHOUETTE_ROWS = 10_000;

const K_RANGE = /^(\d+)\.\.(\d+)$/;

/** "2..10" → [2, 10] (null when not of that form). */
export function parseKRange(text: string): [number, number] | null {
  const m = K_RANGE.exec(text);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

export const signaturesConfigSchema = z
  .strictObject({
    model: z.string().min(1).describe('the run to analyse (an mlp, cnn, ae or desom run id under --out, or its directory)').meta({ arg: 'run' }),
    data_dir: common.data_dir,
    split: plain
      .choice(['train', 'test', 'all'])
      .default('train')
      .describe(
        'rows analysed: the training rows the model saw (its class subset, as the Cluster Paths project), the test rows of its classes, or both (train then test)',
      )
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
    silhouette_sample: z
      .string()
      .regex(/^(auto|all|[1-9]\d*)$/, { message: 'expected auto, all or a number of rows' })
      .default('auto')
      .describe(
        `rows each k's silhouette is computed on: all (exact), a number (a seeded sample of that many rows), or auto: exact up to ${AUTO_SILHOUETTE_ROWS} rows, a seeded sample of ${AUTO_SILHOUETTE_ROWS} above`,
      )
      .meta({ arg: 'auto|all|n' }),
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
    save_activations: z.boolean().default(false).describe("also save each analysed layer's outputs (arrays/activations_<layer>.npy, rows × width float32)"),
    projection: plain.choice(['umap', 'none']).default('umap').describe("each layer's 2-d projection (arrays/umap_<layer>.npy and its figures)"),
    projection_pca: plain
      .int(0)
      .default(50)
      .describe('UMAP a wider layer on its leading principal components, this many (0: on the raw outputs); the nearest neighbours cost ∝ width')
      .meta({ arg: 'n' }),
    projection_sample: plain.int(3).optional().describe('UMAP a seeded sample of this many rows (default: every row)'),
    seed: common.seed,
    backend: common.backend,
    threads: common.threads,
    matmul_precision: common.matmul_precision,
    limit: common.limit('use only the first n rows of the split (before the class subset)'),
  })
  .superRefine((c, ctx) => {
    const rows = /^\d+$/.test(c.silhouette_sample) ? Number(c.silhouette_sample) : null;
    const kMax = c.k === 'auto' ? (parseKRange(c.k_range)?.[1] ?? 2) : Number(c.k);
    if (rows !== null && rows <= kMax)
      ctx.addIssue({ code: 'custom', path: ['silhouette_sample'], message: `expected more rows than the largest k tried (${kMax}), got ${rows}` });
  });

/** The silhouette rows of a config for n analysed rows: undefined = every row (exact). */
export function silhouetteRows(c: Pick<SignaturesConfig, 'silhouette_sample'>, n: number): number | undefined {
  if (c.silhouette_sample === 'all') return undefined;
  const rows = c.silhouette_sample === 'auto' ? AUTO_SILHOUETTE_ROWS : Number(c.silhouette_sample);
  return rows < n ? rows : undefined;
}

export type SignaturesConfig = z.infer<typeof signaturesConfigSchema>;
