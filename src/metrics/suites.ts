/**
 * Metric suites: the named sets of scores that runs record (summary.json, events.jsonl) and
 * `latentlab eval` reproduces. Names as docs/architecture.md's run-directory contract (prefix
 * `test_` on the held-out split). Each cluster (a map cell, a k-means cluster) is compared with the
 * true classes:
 * - purity, nmi (arithmetic mean of the entropies, scikit-learn's default), nmi_geometric (the
 *   normalisation of scikit-learn before 0.22, which the DESOM paper's numbers use), ari;
 * - accuracy: the unsupervised (Hungarian-matched) accuracy of the clusters as predictions: one
 *   cluster per class at most, so a 64-cell map scores at most the share of its 10 best-matched
 *   cells;
 * - k-means: inertia (Σ squared distances to the centroid) and silhouette (on a seeded sample of
 *   at most 5,000 rows: the exact silhouette is O(n²)).
 * The SOM suite (qe, te, prototype_kmeans_accuracy on top of these) is `somMetrics` in
 * src/som/metrics.ts.
 */
import { silhouetteScore } from '../cluster/silhouette.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ari } from './ari.js';
import { nmi } from './nmi.js';
import { purity } from './purity.js';
import { unsupervisedAccuracy } from './unsupervised-accuracy.js';

/** Rows in the silhouette sample (documented in docs/clustering.md). */
export const SILHOUETTE_SAMPLE = 5000;

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
