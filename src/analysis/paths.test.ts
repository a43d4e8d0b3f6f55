/**
 * buildPaths, clusterPathKeys and sankeyGraph on a hand-made case whose every number is worked out
 * in the comments, and their errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPaths, clusterPathKeys, sankeyGraph, type BuildPathsInput } from './paths.js';
import { tinyPaths } from '../../test/helpers/tiny-paths.js';

/**
 * 8 rows, 2 classes, 2 layers (h1: k = 2, h2: k = 3), tinyPaths() of test/helpers/tiny-paths.ts:
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
const tiny = tinyPaths;

describe('buildPaths', () => {
  test('keys per row, distinct paths by count then path order', () => {
    const ps = buildPaths(tiny());
    assert.equal(ps.n, 8);
    assert.deepEqual(ps.pathKeys, ['0|0|1|0', '0|0|1|0', '0|0|1|0', '0|1|0|1', '1|1|0|1', '1|1|0|1', '1|1|2|1', '1|0|1|0']);
    assert.deepEqual(ps.clusterKeys, ['0|1', '0|1', '0|1', '1|0', '1|0', '1|0', '1|2', '0|1']);
    // Counts: 0|0|1|0 ×3, 1|1|0|1 ×2, then three paths of 1 in tuple order:
    // (0,1,0,1) < (1,0,1,0) < (1,1,2,1).
    assert.deepEqual(
      ps.paths.map((p) => [p.key, p.count, [...p.rows]]),
      [
        ['0|0|1|0', 3, [0, 1, 2]],
        ['1|1|0|1', 2, [4, 5]],
        ['0|1|0|1', 1, [3]],
        ['1|0|1|0', 1, [7]],
        ['1|1|2|1', 1, [6]],
      ],
    );
    assert.deepEqual(ps.paths[1], { key: '1|1|0|1', label: 1, clusters: [1, 0], prediction: 1, count: 2, rows: Int32Array.from([4, 5]) });
    assert.deepEqual([...ps.pathIndex], [0, 0, 0, 2, 1, 1, 4, 3]);
  });

  test('one row, one layer', () => {
    const ps = buildPaths({
      labels: Int32Array.from([5]),
      layers: [{ name: 'code', clusters: Int32Array.from([0]), k: 1 }],
      predictions: Int32Array.from([3]),
    });
    assert.deepEqual(ps.pathKeys, ['5|0|3']);
    assert.deepEqual(ps.clusterKeys, ['0']);
    assert.equal(ps.paths.length, 1);
  });

  test('errors name the function and the sizes', () => {
    const bad = (patch: Partial<BuildPathsInput>, re: RegExp) => assert.throws(() => buildPaths({ ...tiny(), ...patch }), re);
    bad({ predictions: new Int32Array(7) }, /^RangeError: buildPaths: expected predictions of length 8 \(one per label\), got 7$/);
    bad(
      { layers: [tiny().layers[0], { name: 'h2', clusters: new Int32Array(9), k: 3 }] },
      /^RangeError: buildPaths: expected layer 'h2' clusters of length 8 \(one per label\), got 9$/,
    );
    bad({ labels: new Int32Array(0), predictions: new Int32Array(0) }, /buildPaths: expected at least one row, got 0 labels/);
    bad({ layers: [] }, /buildPaths: expected at least one layer, got 0/);
    bad({ layers: [tiny().layers[0], { ...tiny().layers[0] }] }, /buildPaths: layer name 'h1' appears twice/);
    bad(
      { layers: [{ name: 'h1', clusters: Int32Array.from([0, 0, 2, 1, 1, 1, 1, 0]), k: 2 }] },
      /buildPaths: layer 'h1' has cluster 2 at row 2, outside 0 … 1 \(k = 2\)/,
    );
    bad({ layers: [{ name: 'h1', clusters: new Int32Array(8), k: 0 }] }, /buildPaths: expected layer 'h1' to have k a positive integer, got 0/);
    bad({ labels: Int32Array.from([0, 0, 0, -1, 1, 1, 1, 1]) }, /buildPaths: expected labels to be class indices ≥ 0, got -1 at row 3/);
    bad({ predictions: [0, 0, 0, 1, 1, 1, 1, 0] as unknown as Int32Array }, /^TypeError: buildPaths: expected predictions as an Int32Array, got Array$/);
  });
});

describe('clusterPathKeys', () => {
  test('the same keys as buildPaths', () => {
    const t = tiny();
    assert.deepEqual(clusterPathKeys(t.layers.map((l) => l.clusters)), buildPaths(t).clusterKeys);
  });
  test('errors', () => {
    assert.throws(() => clusterPathKeys([]), /clusterPathKeys: expected at least one layer of clusters, got 0/);
    assert.throws(
      () => clusterPathKeys([new Int32Array(8), new Int32Array(7)]),
      /clusterPathKeys: expected 8 clusters of layer 1 \(as many as layer 0\), got 7/,
    );
  });
});

describe('sankeyGraph', () => {
  test('nodes per column, links with their split by class', () => {
    const g = sankeyGraph(buildPaths(tiny()), { classNames: ['zero', 'one'] });
    assert.deepEqual(g.columns, ['class', 'h1', 'h2', 'prediction']);
    assert.deepEqual(g.classes, [0, 1]);
    assert.deepEqual(g.classNames, ['zero', 'one']);
    // Column counts: class 0: rows 0–3, class 1: rows 4–7; h1 c0: rows 0,1,2,7, c1: rows 3–6;
    // h2 c0: rows 3,4,5, c1: rows 0,1,2,7, c2: row 6; pred 0: rows 0,1,2,7, pred 1: rows 3–6.
    assert.deepEqual(
      g.nodes.map((n) => [n.id, n.column, n.value, n.label, n.count]),
      [
        [0, 0, 0, 'class · zero', 4],
        [1, 0, 1, 'class · one', 4],
        [2, 1, 0, 'h1 · c0', 4],
        [3, 1, 1, 'h1 · c1', 4],
        [4, 2, 0, 'h2 · c0', 3],
        [5, 2, 1, 'h2 · c1', 4],
        [6, 2, 2, 'h2 · c2', 1],
        [7, 3, 0, 'pred · zero', 4],
        [8, 3, 1, 'pred · one', 4],
      ],
    );
    // class → h1: 0→c0 rows 0,1,2 [3,0]; 0→c1 row 3 [1,0]; 1→c0 row 7 [0,1]; 1→c1 rows 4,5,6 [0,3].
    // h1 → h2: c0→c1 rows 0,1,2,7 [3,1]; c1→c0 rows 3,4,5 [1,2]; c1→c2 row 6 [0,1].
    // h2 → pred: c0→1 rows 3,4,5 [1,2]; c1→0 rows 0,1,2,7 [3,1]; c2→1 row 6 [0,1].
    assert.deepEqual(
      g.links.map((l) => [l.source, l.target, l.value, l.byClass]),
      [
        [0, 2, 3, [3, 0]],
        [0, 3, 1, [1, 0]],
        [1, 2, 1, [0, 1]],
        [1, 3, 3, [0, 3]],
        [2, 5, 4, [3, 1]],
        [3, 4, 3, [1, 2]],
        [3, 6, 1, [0, 1]],
        [4, 8, 3, [1, 2]],
        [5, 7, 4, [3, 1]],
        [6, 8, 1, [0, 1]],
      ],
    );
  });

  test('default names, layerNames, and only the values that occur', () => {
    const t = tiny();
    // Classes 2 and 5 only; h1's k = 4 leaves clusters 2 and 3 empty: no nodes for them.
    const ps = buildPaths({ ...t, labels: t.labels.map((c) => (c === 0 ? 2 : 5)), layers: [{ ...t.layers[0], k: 4 }, t.layers[1]] });
    const g = sankeyGraph(ps, { layerNames: ['layer 1', 'layer 2'] });
    assert.deepEqual(g.classes, [2, 5]);
    assert.deepEqual(
      g.nodes.map((n) => n.label),
      ['class · 2', 'class · 5', 'layer 1 · c0', 'layer 1 · c1', 'layer 2 · c0', 'layer 2 · c1', 'layer 2 · c2', 'pred · 0', 'pred · 1'],
    );
    const total = g.links.filter((l) => g.nodes[l.source].column === 0).reduce((s, l) => s + l.value, 0);
    assert.equal(total, 8);
  });

  test('errors', () => {
    const ps = buildPaths(tiny());
    assert.throws(() => sankeyGraph(ps, { layerNames: ['a'] }), /sankeyGraph: expected 2 layerNames \(one per layer\), got 1/);
    assert.throws(() => sankeyGraph(ps, { classNames: ['only zero'] }), /sankeyGraph: class 1 has no name \(classNames has 1\)/);
  });
});
