/**
 * Unsupervised clustering accuracy, DEC's / DESOM's `cluster_acc`: the best one-to-one map from
 * clusters to classes (Hungarian algorithm on the contingency table, maximising the matched
 * counts), then the share of samples whose cluster maps to their class. Clusters left without a
 * class (more clusters than classes) count as wrong, as in the reference's zero-padded square matrix.
 */
import { hungarian } from '../cluster/hungarian.js';
import { contingencyFor } from './contingency.js';

/** max over one-to-one maps m of (1/n) Σᵢ [m(labelsPred[i]) = labelsTrue[i]]. */
export function unsupervisedAccuracy(labelsTrue: Int32Array, labelsPred: Int32Array): number {
  const { table, classes, clusters } = contingencyFor('unsupervisedAccuracy', labelsTrue, labelsPred);
  const nc = classes.length;
  const nk = clusters.length;
  const match = hungarian(table, nc, nk, { maximize: true });
  let hits = 0;
  for (let c = 0; c < nc; c++) if (match[c] >= 0) hits += table[c * nk + match[c]];
  return hits / labelsTrue.length;
}
