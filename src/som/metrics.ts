/**
 * The SOM metric suites: the partition metrics of src/metrics/suites.ts with each map cell as a
 * cluster of the rows it wins, plus
 * - qe: mean Euclidean distance from each row to its BMU's prototype;
 * - te: share of rows whose first and second BMUs are not edge neighbours (4 on a rectangular
 *   map, the DESOM reference's TE; 6 on a hexagonal one);
 * - prototype_kmeans_accuracy: seed 000's "unsupervised classification", k-means with k = number
 *   of classes on the prototypes, each row labelled by its BMU's cluster (10 restarts, seeded by
 *   the run's seed, so eval reproduces the run's numbers).
 */
import { nmi } from '../metrics/nmi.js';
import { prototypeKmeansAccuracy } from '../metrics/prototype-kmeans.js';
import { purity } from '../metrics/purity.js';
import { partitionMetrics } from '../metrics/suites.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { quantizationError, topographicErrorOf } from './analysis.js';
import type { SOM } from './som.js';

/** Restarts of the k-means on the prototypes behind prototype_kmeans_accuracy. */
export const PROTOTYPE_KMEANS_RESTARTS = 10;

/** BMUs of x and the SOM metrics (qe, te, purity, nmi, ari, accuracy, prototype_kmeans_accuracy) with a prefix. */
export function somMetrics(
  som: SOM,
  x: Tensor,
  labels: Int32Array,
  nClasses: number,
  seed: number,
  prefix = '',
): { bmus: Int32Array; metrics: Record<string, number> } {
  const { bmu, second } = som.secondBmus(x);
  const metrics: Record<string, number> = {
    [`${prefix}qe`]: quantizationError(som, x, { bmus: bmu }),
    [`${prefix}te`]: topographicErrorOf(som.topology, bmu, second, 'edge'),
    ...partitionMetrics(labels, bmu, prefix),
  };
  // k-means on K prototypes needs k ≤ K; a map smaller than the number of classes has no such score.
  if (nClasses >= 1 && nClasses <= som.size) {
    metrics[`${prefix}prototype_kmeans_accuracy`] = prototypeKmeansAccuracy(som.prototypes, bmu, labels, nClasses, {
      rng: new Rng(seed),
      restarts: PROTOTYPE_KMEANS_RESTARTS,
    });
  }
  return { bmus: bmu, metrics };
}

/**
 * Purity, NMI (both averages), QE and TE of the map on rows x: the cheaper set measured on a
 * sample during training (`eval` records of events.jsonl).
 */
export function somSampleMetrics(som: SOM, x: Tensor, labels: Int32Array): Record<string, number> {
  const { bmu, second } = som.secondBmus(x);
  return {
    purity: purity(labels, bmu),
    nmi: nmi(labels, bmu),
    nmi_geometric: nmi(labels, bmu, { average: 'geometric' }),
    qe: quantizationError(som, x, { bmus: bmu }),
    te: topographicErrorOf(som.topology, bmu, second, 'edge'),
  };
}
