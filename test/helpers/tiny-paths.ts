/**
 * The hand-made path set of the analysis tests (src/analysis/paths, path-metrics and path-outliers
 * tests), every number of which those tests work out in their comments: 8 rows, 2 classes, 2
 * layers (h1: k = 2, h2: k = 3).
 *
 * | row | class | h1 | h2 | pred |
 * |-----|-------|----|----|------|
 * | 0   | 0     | 0  | 1  | 0    |
 * | 1   | 0     | 0  | 1  | 0    |
 * | 2   | 0     | 0  | 1  | 0    |
 * | 3   | 0     | 1  | 0  | 1    |  a 0 on the 1s' route
 * | 4   | 1     | 1  | 0  | 1    |
 * | 5   | 1     | 1  | 0  | 1    |
 * | 6   | 1     | 1  | 2  | 1    |  a 1 in a cluster of its own at h2
 * | 7   | 1     | 0  | 1  | 0    |  a 1 on the 0s' route, predicted 0
 */
import type { BuildPathsInput } from '../../src/analysis/paths.js';

export function tinyPaths(): BuildPathsInput {
  return {
    labels: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
    layers: [
      { name: 'h1', clusters: Int32Array.from([0, 0, 0, 1, 1, 1, 1, 0]), k: 2 },
      { name: 'h2', clusters: Int32Array.from([1, 1, 1, 0, 0, 0, 2, 1]), k: 3 },
    ],
    predictions: Int32Array.from([0, 0, 0, 1, 1, 1, 1, 0]),
  };
}
