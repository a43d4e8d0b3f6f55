/**
 * Seed 000's "unsupervised classification" of a SOM: k-means with k = the number of classes on
 * the map's prototypes, each sample labelled with its best-matching unit's cluster, then scored by
 * `unsupervisedAccuracy`. (DESOM's benchmark script used k = max(label) = 9 on MNIST and predicted
 * on the encoded samples; this follows the paper's description.)
 */
import { kmeans } from '../cluster/kmeans.js';
import { expectLabels } from '../cluster/labels.js';
import type { Rng } from '../random.js';
import { type Tensor, expect2d } from '../tensor/tensor.js';
import { unsupervisedAccuracy } from './unsupervised-accuracy.js';

/** unsupervisedAccuracy(labelsTrue, cluster(bmu(i))) with clusters from kmeans(prototypes, nClasses). */
export function prototypeKmeansAccuracy(
  prototypes: Tensor,
  bmus: Int32Array,
  labelsTrue: Int32Array,
  nClasses: number,
  o: { rng: Rng; restarts?: number },
): number {
  const fn = 'prototypeKmeansAccuracy';
  expect2d(fn, prototypes);
  const units = prototypes.rows;
  expectLabels(fn, bmus, undefined, 'bmus');
  expectLabels(fn, labelsTrue, bmus.length, 'labelsTrue (one per BMU)');
  if (!Number.isInteger(nClasses) || nClasses < 1 || nClasses > units) {
    throw new RangeError(`${fn}: expected nClasses between 1 and ${units} (the number of prototypes), got ${nClasses}`);
  }
  for (let i = 0; i < bmus.length; i++) {
    if (bmus[i] < 0 || bmus[i] >= units) throw new RangeError(`${fn}: expected BMU indices in [0, ${units}), got ${bmus[i]} at sample ${i}`);
  }
  const unitCluster = kmeans(prototypes, nClasses, { rng: o.rng, restarts: o.restarts }).labels;
  const pred = new Int32Array(bmus.length);
  for (let i = 0; i < bmus.length; i++) pred[i] = unitCluster[bmus[i]];
  return unsupervisedAccuracy(labelsTrue, pred);
}
