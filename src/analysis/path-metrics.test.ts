/**
 * The path metrics on a hand-made case (every number worked out in the comments), their edge cases
 * and errors, and a simulated 1-vs-7 network: activations drawn around blob centres, clustered
 * with clusterLayer, perturbed and assigned to the clean centroids.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { clusterLayer } from './layer-clusters.js';
import { pathOutliers } from './path-outliers.js';
import {
  assignToCentroids,
  decisionAlignmentFaithfulness,
  distinctPathCount,
  dominantClusterShare,
  keyIds,
  layerMetrics,
  pathAgreement,
  pathComplexity,
  pathMetrics,
  weightedPathPurity,
} from './path-metrics.js';
import { buildPaths, clusterPathKeys } from './paths.js';
import { tinyPaths } from '../../test/helpers/tiny-paths.js';

/**
 * 8 rows, 2 classes, 2 layers (h1: k = 2, h2: k = 3): tinyPaths() of test/helpers/tiny-paths.ts:
 *
 * | row | class | h1 | h2 | pred | cluster key |
 * |-----|-------|----|----|------|-------------|
 * | 0–2 | 0     | 0  | 1  | 0    | 0|1         |
 * | 3   | 0     | 1  | 0  | 1    | 1|0         |
 * | 4–5 | 1     | 1  | 0  | 1    | 1|0         |
 * | 6   | 1     | 1  | 2  | 1    | 1|2         |
 * | 7   | 1     | 0  | 1  | 0    | 0|1         |
 */
const tiny = tinyPaths;

function close(actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}

describe('per-layer metrics', () => {
  test('dominantClusterShare', () => {
    const t = tiny();
    // h1: class 0 → clusters 0,0,0,1: cluster 0 holds 3 of 4; class 1 → 1,1,1,0: cluster 1, 3 of 4.
    assert.deepEqual(dominantClusterShare(t.labels, t.layers[0].clusters), [
      { label: 0, cluster: 0, count: 3, total: 4, share: 0.75 },
      { label: 1, cluster: 1, count: 3, total: 4, share: 0.75 },
    ]);
    // h2: class 1 → clusters 0,0,2,1: cluster 0, 2 of 4.
    assert.deepEqual(dominantClusterShare(t.labels, t.layers[1].clusters)[1], { label: 1, cluster: 0, count: 2, total: 4, share: 0.5 });
    // A tie (one row in cluster 4, one in cluster 2) goes to the smaller cluster.
    assert.deepEqual(dominantClusterShare(Int32Array.from([3, 3]), Int32Array.from([4, 2])), [{ label: 3, cluster: 2, count: 1, total: 2, share: 0.5 }]);
  });

  test('purity and NMI against labels and predictions', () => {
    const [h1, h2] = layerMetrics(buildPaths(tiny()));
    assert.equal(h1.name, 'h1');
    assert.equal(h1.k, 2);
    // h1 cluster 0 = rows 0,1,2,7: classes 0,0,0,1 (majority 3); cluster 1 = rows 3–6: 0,1,1,1 (3) → 6/8.
    assert.equal(h1.purityLabel, 0.75);
    // h1 equals the prediction row for row → purity 1, NMI 1.
    assert.equal(h1.purityPrediction, 1);
    close(h1.nmiPrediction, 1, 'h1 NMI(prediction)');
    // Contingency [[3,1],[1,3]] / 8: I = 2·(3/8)ln(1.5) + 2·(1/8)ln(0.5); H(class) = H(h1) = ln 2 → NMI ≈ 0.188722.
    close(h1.nmiLabel, (0.75 * Math.log(1.5) + 0.25 * Math.log(0.5)) / Math.log(2), 'h1 NMI(label)');
    close(h1.nmiLabel, 0.188722, 'h1 NMI(label), rounded', 1e-6);
    // h2 cluster 0 = rows 3,4,5: classes 0,1,1 (2); cluster 1 = rows 0,1,2,7: 0,0,0,1 (3); cluster 2 = row 6 (1) → 6/8.
    assert.equal(h2.purityLabel, 0.75);
    assert.equal(h2.purityPrediction, 1);
    // H(h2) = −(3/8 ln 3/8 + 1/2 ln 1/2 + 1/8 ln 1/8) ≈ 0.974315. h2 determines the prediction: I = H(pred) = ln 2
    // → NMI = ln 2 / ((ln 2 + H(h2))/2) ≈ 0.831380. Against the class: I = (1/8)ln(2/3) + (3/8)ln(3/2) + (1/4)ln(4/3)
    // + (1/8)ln(1/2) + (1/8)ln 2 = (1/4) ln 2 ≈ 0.173287 → NMI ≈ 0.207845.
    const hH2 = -((3 / 8) * Math.log(3 / 8) + 0.5 * Math.log(0.5) + (1 / 8) * Math.log(1 / 8));
    close(h2.nmiPrediction, (2 * Math.log(2)) / (Math.log(2) + hH2), 'h2 NMI(prediction)');
    close(h2.nmiPrediction, 0.83138, 'h2 NMI(prediction), rounded', 1e-5);
    close(h2.nmiLabel, (0.25 * Math.log(2)) / ((Math.log(2) + hH2) / 2), 'h2 NMI(label)');
    close(h2.nmiLabel, 0.207845, 'h2 NMI(label), rounded', 1e-6);
    assert.deepEqual(
      h2.dominant.map((d) => [d.label, d.cluster, d.share]),
      [
        [0, 1, 0.75],
        [1, 0, 0.5],
      ],
    );
  });

  test('errors', () => {
    assert.throws(() => dominantClusterShare(new Int32Array(3), new Int32Array(2)), /dominantClusterShare: expected 3 clusters \(one per label\), got 2/);
    assert.throws(() => dominantClusterShare(new Int32Array(0), new Int32Array(0)), /dominantClusterShare: expected at least one row, got 0 labels/);
  });
});

describe('path metrics', () => {
  const ps = buildPaths(tiny());

  test('distinct paths and path complexity', () => {
    // Full paths: 0|0|1|0, 0|1|0|1, 1|1|0|1, 1|1|2|1, 1|0|1|0 → 5; cluster paths 0|1, 1|0, 1|2 → 3.
    assert.equal(distinctPathCount(ps.pathKeys), 5);
    assert.equal(distinctPathCount(ps.clusterKeys), 3);
    // Cluster paths used by 4, 3, 1 of 8 rows: H = −(1/2 ln 1/2 + 3/8 ln 3/8 + 1/8 ln 1/8) ≈ 0.974315, exp(H) ≈ 2.649351.
    close(pathComplexity(ps.clusterKeys), Math.exp(-(0.5 * Math.log(0.5) + (3 / 8) * Math.log(3 / 8) + (1 / 8) * Math.log(1 / 8))), 'path complexity');
    close(pathComplexity(ps.clusterKeys), 2.649351, 'path complexity, rounded', 1e-6);
    // Edge cases: one path → 1; m equally used paths → m.
    assert.equal(pathComplexity(['a', 'a', 'a']), 1);
    close(pathComplexity(['a', 'b', 'c', 'd']), 4, 'four equal paths');
  });

  test('weighted-path purity', () => {
    // 0|1: rows 0,1,2,7, classes 0,0,0,1 → 3; 1|0: rows 3,4,5, classes 0,1,1 → 2; 1|2: row 6 → 1. (3 + 2 + 1)/8.
    assert.equal(weightedPathPurity(ps.clusterKeys, ps.labels), 0.75);
    // Every row on its own path → 1; one path for two equal classes → 1/2.
    assert.equal(weightedPathPurity(['a', 'b', 'c', 'd'], Int32Array.from([0, 1, 0, 1])), 1);
    assert.equal(weightedPathPurity(['a', 'a', 'a', 'a'], Int32Array.from([0, 1, 0, 1])), 0.5);
  });

  test('decision-alignment faithfulness', () => {
    // 0|1: predictions 0,0,0,0; 1|0: 1,1,1; 1|2: 1 → every row has its path's majority prediction.
    assert.equal(decisionAlignmentFaithfulness(ps.clusterKeys, ps.predictions), 1);
    // a: predictions 0,0,1 (majority 0: 2 rows aligned); b: 1 (aligned) → 3/4.
    assert.equal(decisionAlignmentFaithfulness(['a', 'a', 'a', 'b'], Int32Array.from([0, 0, 1, 1])), 0.75);
    // With the tiny set as reference: 0|1 → 0 (pred 0, aligned), 1|0 → 1 (pred 0, not), 1|2 → 1 (pred 1, aligned),
    // 2|2 never taken by the reference (not aligned) → 2/4.
    const reference = { keys: ps.clusterKeys, predictions: ps.predictions };
    assert.equal(decisionAlignmentFaithfulness(['0|1', '1|0', '1|2', '2|2'], Int32Array.from([0, 0, 1, 1]), { reference }), 0.5);
    // A tied reference path takes the smaller prediction.
    const tie = { keys: ['a', 'a'], predictions: Int32Array.from([1, 0]) };
    assert.equal(decisionAlignmentFaithfulness(['a'], Int32Array.from([0]), { reference: tie }), 1);
    assert.equal(decisionAlignmentFaithfulness(['a'], Int32Array.from([1]), { reference: tie }), 0);
  });

  test('path agreement', () => {
    assert.equal(pathAgreement(ps.clusterKeys, [...ps.clusterKeys]), 1);
    // Rows 3 and 6 moved: 6 of 8 unchanged.
    const noisy = [...ps.clusterKeys];
    noisy[3] = '0|0';
    noisy[6] = '1|0';
    assert.equal(pathAgreement(ps.clusterKeys, noisy), 0.75);
  });

  test('pathMetrics gathers them', () => {
    const m = pathMetrics(ps);
    assert.equal(m.n, 8);
    assert.equal(m.distinctPaths, 5);
    assert.equal(m.distinctClusterPaths, 3);
    close(m.pathComplexity, 2.649351, 'path complexity', 1e-6);
    assert.equal(m.weightedPathPurity, 0.75);
    assert.equal(m.decisionAlignmentFaithfulness, 1);
    assert.equal(m.layers.length, 2);
  });

  test('keyIds', () => {
    assert.deepEqual([...keyIds(['x', 'y', 'x', 'z'])], [0, 1, 0, 2]);
  });

  test('errors name the function and the sizes', () => {
    assert.throws(
      () => pathAgreement(['a', 'b'], ['a']),
      /^RangeError: pathAgreement: expected cleanKeys and noisyKeys of the same length \(the same rows\), got 2 and 1$/,
    );
    assert.throws(() => pathAgreement([], []), /pathAgreement: expected at least one row, got 0 cleanKeys/);
    assert.throws(
      () => weightedPathPurity(['a'], Int32Array.from([0, 1])),
      /^RangeError: weightedPathPurity: expected keys of length 2 \(one per label\), got 1$/,
    );
    assert.throws(
      () => decisionAlignmentFaithfulness(['a', 'b', 'c'], Int32Array.from([0, 1])),
      /decisionAlignmentFaithfulness: expected keys of length 2 \(one per prediction\), got 3/,
    );
    assert.throws(
      () => decisionAlignmentFaithfulness(['a'], Int32Array.from([0]), { reference: { keys: ['a', 'b'], predictions: Int32Array.from([0]) } }),
      /decisionAlignmentFaithfulness: expected reference keys of length 1 \(one per reference prediction\), got 2/,
    );
    assert.throws(() => pathComplexity([]), /pathComplexity: expected at least one row, got 0 keys/);
    assert.throws(() => distinctPathCount('ab' as unknown as string[]), /distinctPathCount: expected keys as an array of strings, got String/);
  });
});

describe('assignToCentroids', () => {
  test('nearest centroid, and the width must match', () => {
    const centroids = Tensor.fromRows([
      [0, 0],
      [10, 0],
    ]);
    const x = Tensor.fromRows([
      [1, 1],
      [9, -1],
      [5.1, 0],
      [4.9, 0],
    ]);
    assert.deepEqual([...assignToCentroids(x, centroids)], [0, 1, 1, 0]);
    assert.throws(() => assignToCentroids(Tensor.fromRows([[1, 2, 3]]), centroids), /assignToCentroids: expected 2 features \(the centroids' width\), got 3/);
  });
});

/**
 * A simulated network on 1s (class 0) and 7s (class 1), 100 each: 2-D activations drawn around blob
 * centres (σ = 0.3) at two hidden layers. At h1, 97 of the 100 ones sit on the ones' blob (0, 0) and 3
 * on the sevens' blob (4, 4); 90 sevens sit on the sevens' blob and 10 "7s that look like 1s" on the
 * ones' blob. h2 repeats h1's split on blobs (0, 6) and (6, 0), and the prediction follows h2.
 */
describe('simulated 1-vs-7', () => {
  const rng = new Rng(7);
  const n = 200;
  const labels = new Int32Array(n);
  const onesBlob = new Uint8Array(n); // 1: the row sits on the ones' blob
  for (let i = 0; i < n; i++) {
    labels[i] = i < 100 ? 0 : 1;
    onesBlob[i] = i < 97 || (i >= 100 && i < 110) ? 1 : 0;
  }
  const draw = (a: readonly [number, number], b: readonly [number, number], sigma: number, r: Rng): Tensor => {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) {
      const c = onesBlob[i] === 1 ? a : b;
      rows.push([r.normal(c[0], sigma), r.normal(c[1], sigma)]);
    }
    return Tensor.fromRows(rows);
  };
  const h1 = draw([0, 0], [4, 4], 0.3, rng);
  const h2 = draw([0, 6], [6, 0], 0.3, rng);
  const c1 = clusterLayer(h1, { rng: rng.fork(), k: 2 });
  const c2 = clusterLayer(h2, { rng: rng.fork(), k: 2 });
  const onesH2 = c2.labels[0];
  const predictions = c2.labels.map((c) => (c === onesH2 ? 0 : 1));
  const ps = buildPaths({
    labels,
    layers: [
      { name: 'h1', clusters: c1.labels, k: 2 },
      { name: 'h2', clusters: c2.labels, k: 2 },
    ],
    predictions,
  });

  test('97 % of the ones in one h1 cluster, the look-alike 7s with them', () => {
    const [ones, sevens] = dominantClusterShare(labels, c1.labels);
    assert.equal(ones.share, 0.97);
    assert.equal(sevens.share, 0.9);
    const m = pathMetrics(ps);
    // Two cluster paths (the ones' route, 107 rows; the sevens', 93 rows), each mixing classes:
    // WPP = (97 + 90)/200; the prediction follows the path: DAF = 1.
    assert.equal(m.distinctClusterPaths, 2);
    assert.equal(m.weightedPathPurity, 187 / 200);
    assert.equal(m.decisionAlignmentFaithfulness, 1);
    close(m.pathComplexity, Math.exp(-(0.535 * Math.log(0.535) + 0.465 * Math.log(0.465))), 'path complexity');
    // The 10 look-alike 7s leave the sevens' majority path at h1 and follow the ones' route from there on.
    const out = pathOutliers(ps);
    const sevensOut = out.outliers.filter((o) => o.label === 1);
    assert.deepEqual(
      sevensOut.map((o) => o.row),
      [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
    );
    assert.ok(sevensOut.every((o) => o.columnName === 'h1' && o.follows === 0 && o.joins.length === 1 && o.joins[0] === 0));
    assert.deepEqual(
      out.outliers.filter((o) => o.label === 0).map((o) => [o.row, o.follows]),
      [
        [97, 1],
        [98, 1],
        [99, 1],
      ],
    );
  });

  test('path agreement: small noise keeps every path, large noise moves some', () => {
    const noisy = (sigma: number, r: Rng): string[] => {
      const perturb = (t: Tensor): Tensor =>
        new Tensor(
          t.data.map((v) => v + r.normal(0, sigma)),
          [t.rows, t.cols],
        );
      // The noisy activations go to the CLEAN centroids: the clusters are not fitted again.
      return clusterPathKeys([assignToCentroids(perturb(h1), c1.centroids), assignToCentroids(perturb(h2), c2.centroids)]);
    };
    const r = new Rng(11);
    assert.equal(pathAgreement(ps.clusterKeys, noisy(0.05, r)), 1);
    const a = pathAgreement(ps.clusterKeys, noisy(3, r));
    assert.ok(a < 0.9 && a > 0, `agreement under σ = 3: ${a}`);
  });
});
