/**
 * The contingency table of two labelings (scikit-learn's `contingency_matrix`): rows are the
 * distinct true classes, columns the distinct predicted clusters, both in increasing label order;
 * table[c·nClusters + k] counts the samples of class c put in cluster k. Every metric here reads it.
 */
import { expectLabels, uniqueLabels } from '../cluster/labels.js';

export interface Contingency {
  /** classes.length × clusters.length counts, row-major. */
  table: Float64Array;
  /** Distinct values of labelsTrue, increasing. */
  classes: Int32Array;
  /** Distinct values of labelsPred, increasing. */
  clusters: Int32Array;
}

/** Largest dense table built (1 GiB of float64): two labelings with ~10⁴ distinct values each. */
const MAX_CELLS = 2 ** 27;

/** Checks two labelings of the same n ≥ 1 samples (the metrics' common boundary). */
export function expectLabelPair(fn: string, labelsTrue: Int32Array, labelsPred: Int32Array): void {
  expectLabels(fn, labelsTrue, undefined, 'labelsTrue');
  expectLabels(fn, labelsPred, undefined, 'labelsPred');
  if (labelsTrue.length !== labelsPred.length) {
    throw new RangeError(`${fn}: expected labelsTrue and labelsPred of the same length, got ${labelsTrue.length} and ${labelsPred.length}`);
  }
  if (labelsTrue.length === 0) throw new RangeError(`${fn}: expected at least one labelled sample, got 0`);
}

/** Counts n_ck = |{i : labelsTrue[i] = class c, labelsPred[i] = cluster k}|. */
export function contingencyTable(labelsTrue: Int32Array, labelsPred: Int32Array): Contingency {
  return contingencyFor('contingencyTable', labelsTrue, labelsPred);
}

/** `contingencyTable` with errors named after the calling metric `fn`. */
export function contingencyFor(fn: string, labelsTrue: Int32Array, labelsPred: Int32Array): Contingency {
  expectLabelPair(fn, labelsTrue, labelsPred);
  const t = uniqueLabels(labelsTrue);
  const p = uniqueLabels(labelsPred);
  const nk = p.values.length;
  const cells = t.values.length * nk;
  if (cells > MAX_CELLS) {
    throw new RangeError(`${fn}: ${t.values.length} classes × ${nk} clusters = ${cells} cells, more than the ${MAX_CELLS} a dense table may hold`);
  }
  const table = new Float64Array(cells);
  for (let i = 0; i < labelsTrue.length; i++) table[t.inverse[i] * nk + p.inverse[i]]++;
  return { table, classes: t.values, clusters: p.values };
}
