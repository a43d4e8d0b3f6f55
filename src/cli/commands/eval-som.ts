/**
 * Scoring SOM and k-means runs, shared by `train som`, `cluster kmeans` and `latentlab eval`:
 * each map cell (or k-means cluster) is a cluster of the rows it wins, compared with the true
 * classes. Metric names as docs/architecture.md's run-directory contract (prefix `test_` on the
 * held-out split):
 * - qe: mean Euclidean distance from each row to its BMU's prototype;
 * - te: share of rows whose first and second BMUs are not edge neighbours (4 on a rectangular
 *   map, the DESOM reference's TE; 6 on a hexagonal one);
 * - purity, nmi (arithmetic mean of the entropies, scikit-learn's default), nmi_geometric (the
 *   normalisation of scikit-learn before 0.22, which the DESOM paper's numbers use), ari;
 * - accuracy: the unsupervised (Hungarian-matched) accuracy of the cells or clusters as
 *   predictions: one cluster per class at most, so a 64-cell map scores at most the share of its
 *   10 best-matched cells;
 * - prototype_kmeans_accuracy: seed 000's "unsupervised classification", k-means with k = number
 *   of classes on the prototypes, each row labelled by its BMU's cluster (10 restarts, seeded by
 *   the run's seed, so eval reproduces the run's numbers);
 * - k-means: inertia (Σ squared distances to the centroid) and silhouette (on a seeded sample of
 *   at most 5,000 rows: the exact silhouette is O(n²)).
 */
import { kmeansPredict } from '../../cluster/kmeans.js';
import { silhouetteScore } from '../../cluster/silhouette.js';
import { readNpy } from '../../data/npy.js';
import { ari } from '../../metrics/ari.js';
import { nmi } from '../../metrics/nmi.js';
import { prototypeKmeansAccuracy } from '../../metrics/prototype-kmeans.js';
import { purity } from '../../metrics/purity.js';
import { unsupervisedAccuracy } from '../../metrics/unsupervised-accuracy.js';
import { Rng } from '../../random.js';
import { quantizationError, topographicErrorOf } from '../../som/analysis.js';
import { loadSom } from '../../som/som-file.js';
import { loadDesom } from '../../som/desom-file.js';
import { reconstructionMse } from '../../ae/train.js';
import type { SOM } from '../../som/som.js';
import { Tensor } from '../../tensor/tensor.js';
import { openEncoderRun, loadClusterData, type EncoderNote, type EncoderRun } from '../encoded.js';
import type { Output } from '../output.js';
import type { EvalContext } from './eval.js';

/** Rows in the silhouette sample (documented in docs/clustering.md). */
export const SILHOUETTE_SAMPLE = 5000;

/** Restarts of the k-means on the prototypes behind prototype_kmeans_accuracy. */
export const PROTOTYPE_KMEANS_RESTARTS = 10;

/** Partition metrics of cluster assignments against classes, with a name prefix. */
export function partitionMetrics(labels: Int32Array, clusters: Int32Array, prefix = ''): Record<string, number> {
  return {
    [`${prefix}purity`]: purity(labels, clusters),
    [`${prefix}nmi`]: nmi(labels, clusters),
    [`${prefix}nmi_geometric`]: nmi(labels, clusters, { average: 'geometric' }),
    [`${prefix}ari`]: ari(labels, clusters),
    [`${prefix}accuracy`]: unsupervisedAccuracy(labels, clusters),
  };
}

/** BMUs of x and the SOM metrics (qe, te, purity, nmi, ari, accuracy, prototype_kmeans_accuracy) with a prefix. */
export function somMetrics(som: SOM, x: Tensor, labels: Int32Array, nClasses: number, seed: number, prefix = ''): { bmus: Int32Array; metrics: Record<string, number> } {
  const { bmu, second } = som.secondBmus(x);
  const metrics: Record<string, number> = {
    [`${prefix}qe`]: quantizationError(som, x, { bmus: bmu }),
    [`${prefix}te`]: topographicErrorOf(som.topology, bmu, second, 'edge'),
    ...partitionMetrics(labels, bmu, prefix),
  };
  // k-means on K prototypes needs k ≤ K; a map smaller than the number of classes has no such score.
  if (nClasses >= 1 && nClasses <= som.size) {
    metrics[`${prefix}prototype_kmeans_accuracy`] = prototypeKmeansAccuracy(som.prototypes, bmu, labels, nClasses, { rng: new Rng(seed), restarts: PROTOTYPE_KMEANS_RESTARTS });
  }
  return { bmus: bmu, metrics };
}

/** Σᵢ‖xᵢ − c_{aᵢ}‖² in float64. */
export function inertiaOf(x: Tensor, centroids: Tensor, assignments: Int32Array): number {
  const d = x.cols;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    const o = i * d;
    const c = assignments[i] * d;
    for (let q = 0; q < d; q++) {
      const e = x.data[o + q] - centroids.data[c + q];
      total += e * e;
    }
  }
  return total;
}

/** k-means metrics of assignments (inertia, purity, nmi, ari, accuracy, silhouette) with a prefix. */
export function kmeansMetrics(x: Tensor, centroids: Tensor, assignments: Int32Array, labels: Int32Array, seed: number, prefix = ''): Record<string, number> {
  const metrics: Record<string, number> = { [`${prefix}inertia`]: inertiaOf(x, centroids, assignments), ...partitionMetrics(labels, assignments, prefix) };
  const used = new Set(assignments).size;
  const size = Math.min(SILHOUETTE_SAMPLE, x.rows);
  // The silhouette needs 2 … size−1 clusters; a single cluster (k = 1) has none.
  if (used >= 2 && used < size) {
    try {
      metrics[`${prefix}silhouette`] = silhouetteScore(x, assignments, size < x.rows ? { sampleSize: size, rng: new Rng(seed) } : {});
    } catch (e) {
      // A sample can miss all but one cluster on tiny data; the metric is then undefined, not an error.
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return metrics;
}

/**
 * The run's row limits apply when scoring the splits it used again, so eval reproduces the
 * summary's metrics: test_limit on the test split, limit on the split it was fitted on.
 */
function splitLimit(ctx: EvalContext): number | undefined {
  if (ctx.dataset !== ctx.config.dataset) return undefined;
  const c = ctx.config;
  if (ctx.split === 'test') return typeof c.test_limit === 'number' ? c.test_limit : undefined;
  const fitted = c.split === 'all' ? 'all' : 'train';
  return ctx.split === fitted && typeof c.limit === 'number' ? c.limit : undefined;
}

/** The encoder recorded in a run's config.json, reopened by its absolute path. */
function runEncoder(ctx: EvalContext): EncoderRun | undefined {
  const saved = ctx.run.readConfig<{ encoder?: EncoderNote | null }>();
  return saved.encoder ? openEncoderRun(saved.encoder.path, '.', 'eval: encoder') : undefined;
}

function printMetrics(out: Output, metrics: Record<string, number>): void {
  const w = Math.max(...Object.keys(metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(metrics)) out.line(`  ${k.padEnd(w)}  ${Number.isInteger(v) ? v : v.toFixed(4)}`);
}

/** `latentlab eval` for a som run: BMUs of the chosen split with the saved map, and its metrics. */
export async function evalSom(ctx: EvalContext, out: Output): Promise<number> {
  const som = loadSom(ctx.run.file('model'));
  const encoder = runEncoder(ctx);
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx), encoder });
  if (data.x.cols !== som.dim) throw new Error(`eval: the map's prototypes have ${som.dim} features, but the ${ctx.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const { metrics } = somMetrics(som, data.x, data.labels, data.classNames.length, seed, ctx.prefix);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows${encoder ? `, encoded by ${encoder.runId}` : ''})`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}

/** `latentlab eval` for a desom run: codes of the split through the saved encoder, their BMUs, the SOM metrics and the reconstruction MSE. */
export async function evalDesom(ctx: EvalContext, out: Output): Promise<number> {
  const model = loadDesom(ctx.run.file('model'));
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx) });
  if (data.x.cols !== model.config.input) throw new Error(`eval: the DESOM expects ${model.config.input} input features, but the ${ctx.dataset} rows have ${data.x.cols}`);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const { metrics } = somMetrics(model.som, model.encode(data.x), data.labels, data.classNames.length, seed, ctx.prefix);
  metrics[`${ctx.prefix}mse`] = reconstructionMse(model.ae, data.x);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows)`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}

/** `latentlab eval` for a kmeans run: nearest saved centroid of each row of the split, and the metrics. */
export async function evalKmeans(ctx: EvalContext, out: Output): Promise<number> {
  const arr = readNpy(ctx.run.file('model', 'centroids.npy'));
  if (arr.dtype !== 'f4' || arr.shape.length !== 2) throw new Error(`eval: expected model/centroids.npy to be float32 k×d, got ${arr.dtype} [${arr.shape.join(', ')}]`);
  const centroids = new Tensor(arr.data as Float32Array, [arr.shape[0], arr.shape[1]]);
  const encoder = runEncoder(ctx);
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx), encoder });
  if (data.x.cols !== centroids.cols) throw new Error(`eval: the centroids have ${centroids.cols} features, but the ${ctx.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const assignments = kmeansPredict(centroids, data.x);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const metrics = kmeansMetrics(data.x, centroids, assignments, data.labels, seed, ctx.prefix);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows${encoder ? `, encoded by ${encoder.runId}` : ''})`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}
