/** Plain classification accuracy (scikit-learn's `accuracy_score`). */
import { expectLabelPair } from './contingency.js';

/** Share of samples with labelsPred[i] === labelsTrue[i]; no relabelling (see `unsupervisedAccuracy`). */
export function accuracy(labelsTrue: Int32Array, labelsPred: Int32Array): number {
  expectLabelPair('accuracy', labelsTrue, labelsPred);
  let hits = 0;
  for (let i = 0; i < labelsTrue.length; i++) if (labelsTrue[i] === labelsPred[i]) hits++;
  return hits / labelsTrue.length;
}
