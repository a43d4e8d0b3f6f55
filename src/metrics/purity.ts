/** Cluster purity (Manning et al., "Introduction to IR", §16.3; DESOM's evaluation). */
import { contingencyFor } from './contingency.js';

/** purity = (1/n) Σ_clusters max_class n_ck: each cluster is credited with its majority class. */
export function purity(labelsTrue: Int32Array, labelsPred: Int32Array): number {
  const { table, classes, clusters } = contingencyFor('purity', labelsTrue, labelsPred);
  const nc = classes.length;
  const nk = clusters.length;
  let total = 0;
  for (let k = 0; k < nk; k++) {
    let best = 0;
    for (let c = 0; c < nc; c++) if (table[c * nk + k] > best) best = table[c * nk + k];
    total += best;
  }
  return total / labelsTrue.length;
}
