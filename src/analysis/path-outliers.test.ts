/** pathOutliers and insertionFlows on hand-made cases (every number worked out in the comments), and their errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { insertionFlows, pathOutliers } from './path-outliers.js';
import { buildPaths } from './paths.js';
import { tinyPaths } from '../../test/helpers/tiny-paths.js';

/**
 * 8 rows, 2 classes, 2 layers (h1: k = 2, h2: k = 3): tinyPaths() of test/helpers/tiny-paths.ts. Paths without the class
 * (h1, h2, prediction):
 *
 * | row | class | path    |
 * |-----|-------|---------|
 * | 0–2 | 0     | (0,1,0) |  class 0's majority path, 3 of 4
 * | 3   | 0     | (1,0,1) |  class 1's majority path
 * | 4–5 | 1     | (1,0,1) |  class 1's majority path, 2 of 4
 * | 6   | 1     | (1,2,1) |
 * | 7   | 1     | (0,1,0) |  class 0's majority path
 */
const tiny = tinyPaths;

describe('pathOutliers', () => {
  test('majority paths and the rows that leave them', () => {
    const out = pathOutliers(buildPaths(tiny()));
    assert.deepEqual(out.columns, ['h1', 'h2', 'prediction']);
    assert.deepEqual(out.majority, [
      { label: 0, key: '0|0|1|0', clusters: [0, 1], prediction: 0, count: 3, total: 4, share: 0.75 },
      { label: 1, key: '1|1|0|1', clusters: [1, 0], prediction: 1, count: 2, total: 4, share: 0.5 },
    ]);
    // Row 3 (class 0): h1 = 1 against 0 → diverges at h1, where class 1's majority is 1 (joins [1]), and
    // (1,0,1) is class 1's majority path from there on (follows 1).
    // Row 6 (class 1): (1,2,1) against (1,0,1) → diverges at h2 with cluster 2, no class's majority
    // cluster there (class 0's is 1): joins [], follows null.
    // Row 7 (class 1): (0,1,0) → diverges at h1 with cluster 0 = class 0's: joins [0], follows 0.
    assert.deepEqual(out.outliers, [
      { row: 3, label: 0, prediction: 1, column: 0, columnName: 'h1', value: 1, majorityValue: 0, joins: [1], follows: 1 },
      { row: 6, label: 1, prediction: 1, column: 1, columnName: 'h2', value: 2, majorityValue: 0, joins: [], follows: null },
      { row: 7, label: 1, prediction: 0, column: 0, columnName: 'h1', value: 0, majorityValue: 1, joins: [0], follows: 0 },
    ]);
  });

  test('only the rows that differ at one column', () => {
    const ps = buildPaths(tiny());
    // At h2 all three differ (row 3: 0 vs 1; row 6: 2 vs 0; row 7: 1 vs 0); at the prediction rows 3 and 7 only.
    assert.deepEqual(
      pathOutliers(ps, { column: 'h2' }).outliers.map((o) => o.row),
      [3, 6, 7],
    );
    assert.deepEqual(
      pathOutliers(ps, { column: 'prediction' }).outliers.map((o) => [o.row, o.column]),
      [
        [3, 0],
        [7, 0],
      ],
    );
    assert.deepEqual(
      pathOutliers(ps, { column: 2 }).outliers.map((o) => o.row),
      [3, 7],
    );
  });

  test('a row diverging only at the prediction; a class with a single path has no outliers', () => {
    // Class 0: (0, pred 0) ×2 and (0, pred 1) ×1 → row 2 diverges at column 1 ('prediction').
    const ps = buildPaths({
      labels: Int32Array.from([0, 0, 0, 1]),
      layers: [{ name: 'code', clusters: Int32Array.from([0, 0, 0, 1]), k: 2 }],
      predictions: Int32Array.from([0, 0, 1, 1]),
    });
    const out = pathOutliers(ps);
    assert.deepEqual(out.outliers, [
      { row: 2, label: 0, prediction: 1, column: 1, columnName: 'prediction', value: 1, majorityValue: 0, joins: [1], follows: 1 },
    ]);
    // A tie between two paths of a class: the first in path order, (0, 0) before (1, 1), is the majority.
    const tie = pathOutliers(
      buildPaths({ labels: Int32Array.from([0, 0]), layers: [{ name: 'h', clusters: Int32Array.from([1, 0]), k: 2 }], predictions: Int32Array.from([1, 0]) }),
    );
    assert.equal(tie.majority[0].key, '0|0|0');
    assert.deepEqual(
      tie.outliers.map((o) => [o.row, o.joins, o.follows]),
      [[0, [], null]],
    );
  });

  test('errors', () => {
    const ps = buildPaths(tiny());
    assert.throws(() => pathOutliers(ps, { column: 'h3' }), /pathOutliers: expected column to be one of 'h1', 'h2', 'prediction' or an index 0 … 2, got "h3"/);
    assert.throws(() => pathOutliers(ps, { column: 3 }), /pathOutliers: expected column .* got 3/);
  });
});

describe('insertionFlows', () => {
  /**
   * Known: the tiny set with h2's k = 4 (cluster 3 holds no known row). Cluster owners:
   * h1: cluster 0 = rows 0,1,2,7 (classes 0,0,0,1) → 0; cluster 1 = rows 3–6 (0,1,1,1) → 1.
   * h2: cluster 0 = rows 3,4,5 (0,1,1) → 1; cluster 1 = rows 0,1,2,7 (0,0,0,1) → 0; cluster 2 = row 6 → 1; cluster 3 → none.
   *
   * Inserted: class 7 (4 rows) and class 9 (2 rows):
   * | row | class | h1 | h2 | pred |
   * |-----|-------|----|----|------|
   * | 0   | 7     | 0  | 3  | 0    |
   * | 1   | 9     | 0  | 1  | 0    |
   * | 2   | 7     | 1  | 3  | 1    |
   * | 3   | 7     | 1  | 2  | 1    |
   * | 4   | 9     | 0  | 0  | 5    |
   * | 5   | 7     | 1  | 1  | 1    |
   */
  const t = tiny();
  const known = { labels: t.labels, layers: [t.layers[0], { ...t.layers[1], k: 4 }] };
  const inserted = {
    labels: Int32Array.from([7, 9, 7, 7, 9, 7]),
    layers: [
      { name: 'h1', clusters: Int32Array.from([0, 0, 1, 1, 0, 1]) },
      { name: 'h2', clusters: Int32Array.from([3, 1, 3, 2, 0, 1]) },
    ],
    predictions: Int32Array.from([0, 0, 1, 1, 5, 1]),
  };

  test('shares per inserted class and layer, with the other share', () => {
    const f = insertionFlows({ known, inserted });
    assert.deepEqual(f.knownClasses, [0, 1]);
    assert.deepEqual(
      f.owners.map((o) => [o.name, [...o.owner]]),
      [
        ['h1', [0, 1]],
        ['h2', [1, 0, 1, -1]],
      ],
    );
    // Class 7: h1 clusters 0,1,1,1 → owners 0,1,1,1: [1, 3]/4. h2 clusters 3,3,2,1 → none, none, 1, 0:
    // [1, 1]/4, other 2/4. Predictions 0,1,1,1 → [1, 3]/4.
    // Class 9: h1 clusters 0,0 → [2, 0]/2. h2 clusters 1,0 → owners 0, 1: [1, 1]/2. Predictions 0 and 5
    // (not a known class) → [1, 0], other 1.
    assert.deepEqual(f.flows, [
      {
        label: 7,
        count: 4,
        steps: [
          { name: 'h1', counts: [1, 3], shares: [0.25, 0.75], other: 0, otherShare: 0 },
          { name: 'h2', counts: [1, 1], shares: [0.25, 0.25], other: 2, otherShare: 0.5 },
          { name: 'prediction', counts: [1, 3], shares: [0.25, 0.75], other: 0, otherShare: 0 },
        ],
      },
      {
        label: 9,
        count: 2,
        steps: [
          { name: 'h1', counts: [2, 0], shares: [1, 0], other: 0, otherShare: 0 },
          { name: 'h2', counts: [1, 1], shares: [0.5, 0.5], other: 0, otherShare: 0 },
          { name: 'prediction', counts: [1, 0], shares: [0.5, 0], other: 1, otherShare: 0.5 },
        ],
      },
    ]);
  });

  test('without predictions, and a path set as known', () => {
    const one = {
      labels: Int32Array.from([4]),
      layers: [
        { name: 'h1', clusters: Int32Array.from([0]) },
        { name: 'h2', clusters: Int32Array.from([2]) },
      ],
    };
    const f = insertionFlows({ known: buildPaths(tiny()), inserted: one });
    // The one inserted row: h1 cluster 0 (owner 0), h2 cluster 2 (owner 1, row 6's).
    assert.deepEqual(
      f.flows[0].steps.map((s) => [s.name, s.counts, s.other]),
      [
        ['h1', [1, 0], 0],
        ['h2', [0, 1], 0],
      ],
    );
  });

  test('a tied cluster goes to the smaller known class', () => {
    const f = insertionFlows({
      known: { labels: Int32Array.from([3, 1]), layers: [{ name: 'h', clusters: Int32Array.from([0, 0]), k: 1 }] },
      inserted: { labels: Int32Array.from([8]), layers: [{ name: 'h', clusters: Int32Array.from([0]) }] },
    });
    assert.deepEqual(f.knownClasses, [1, 3]);
    assert.deepEqual([...f.owners[0].owner], [1]);
    assert.deepEqual(f.flows[0].steps[0].counts, [1, 0]);
  });

  test('errors name the function and the sizes', () => {
    assert.throws(
      () => insertionFlows({ known, inserted: { ...inserted, layers: [inserted.layers[0]] } }),
      /insertionFlows: expected 2 inserted layers \(as known: 'h1', 'h2'\), got 1/,
    );
    assert.throws(
      () => insertionFlows({ known, inserted: { ...inserted, layers: [inserted.layers[1], inserted.layers[0]] } }),
      /insertionFlows: expected inserted layer 0 to be 'h1' \(the known layers' order\), got 'h2'/,
    );
    assert.throws(
      () => insertionFlows({ known, inserted: { ...inserted, layers: [inserted.layers[0], { name: 'h2', clusters: Int32Array.from([0, 0, 0, 0, 0]) }] } }),
      /insertionFlows: expected layer 'h2' clusters of length 6 \(one per inserted label\), got 5/,
    );
    assert.throws(
      () => insertionFlows({ known, inserted: { ...inserted, layers: [inserted.layers[0], { name: 'h2', clusters: Int32Array.from([0, 0, 0, 0, 0, 4]) }] } }),
      /insertionFlows: layer 'h2' has cluster 4 at row 5, outside 0 … 3 \(k = 4\)/,
    );
    assert.throws(
      () => insertionFlows({ known, inserted: { ...inserted, predictions: new Int32Array(5) } }),
      /insertionFlows: expected 6 inserted predictions \(one per inserted label\), got 5/,
    );
    assert.throws(
      () => insertionFlows({ known: { ...known, labels: new Int32Array(7) }, inserted }),
      /insertionFlows: expected layer 'h1' clusters of length 7 \(one per known label\), got 8/,
    );
    assert.throws(
      () => insertionFlows({ known, inserted: { labels: new Int32Array(0), layers: [] } }),
      /insertionFlows: expected at least one inserted row, got 0 inserted labels/,
    );
  });
});
