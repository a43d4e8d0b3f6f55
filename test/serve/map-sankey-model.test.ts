/**
 * The pure parts of the explorer's map and Sankey views (web/map-model.ts, web/sankey-model.ts),
 * without a browser: each cell's rows, per-cell counts of a selection, the U-matrix from plain
 * arrays, a band's and a node's rows, the selected rows per band, and the inserted classes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPaths, sankeyGraph } from '../../src/analysis/paths.js';
import { Rng } from '../../src/random.js';
import { uMatrixOf } from '../../src/som/cells.js';
import { Topology, cellNeighbors, type TopologyKind } from '../../src/som/topology.js';
import { sankeyInputOf, sankeyLayout } from '../../src/viz/sankey.js';
import { MapModel, extent, greyLevels, imageShapeOf, mapShapeOf, matrixOf } from '../../web/map-model.js';
import { int32Of } from '../../web/npy.js';
import { bandRows, column, nodeClassSplit, nodeRows, pathSetOf, pathTable, sankeyOf, selectedFlows } from '../../web/sankey-model.js';

/** Rows i with pred(i), increasing: the brute-force answer every fast path is checked against. */
const where = (n: number, pred: (i: number) => boolean): number[] => Array.from({ length: n }, (_, i) => i).filter(pred);

describe('the map model', () => {
  const rng = new Rng(7);
  const shape = { rows: 3, cols: 4, topology: 'hexagonal' as const, toroidal: false };
  const n = 200;
  const bmus = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * 11)); // cell 11 stays empty
  const labels = Int32Array.from(bmus, (b) => (rng.uniform() < 0.8 ? b % 3 : Math.floor(rng.uniform() * 3)));
  const dim = 5;
  const protos = Float32Array.from({ length: 12 * dim }, () => rng.uniform());
  const model = new MapModel(shape, bmus, labels, { data: protos, dim });

  test('a cell’s rows are exactly the rows whose BMU it is, increasing; an empty cell has none', () => {
    for (let k = 0; k < 12; k++)
      assert.deepEqual(
        Array.from(model.rowsOf(k)),
        where(n, (i) => bmus[i] === k),
        `cell ${k}`,
      );
    assert.equal(model.rowsOf(11).length, 0);
    assert.throws(() => model.rowsOf(12), /MapModel\.rowsOf: expected a cell in 0\.\.11, got 12/);
  });

  test('a selection’s count per cell, and the hits', () => {
    const rows = where(n, (i) => i % 3 === 0);
    const counts = model.countsOf(rows);
    for (let k = 0; k < 12; k++) assert.equal(counts[k], rows.filter((i) => bmus[i] === k).length);
    assert.deepEqual(
      Array.from(model.hits),
      Array.from({ length: 12 }, (_, k) => where(n, (i) => bmus[i] === k).length),
    );
  });

  test('majority class and purity per cell', () => {
    const cl = model.classes!;
    for (let k = 0; k < 11; k++) {
      const tally = [0, 1, 2].map((c) => where(n, (i) => bmus[i] === k && labels[i] === c).length);
      const best = tally.indexOf(Math.max(...tally));
      assert.equal(cl.label[k], best);
      assert.ok(Math.abs(cl.purity[k] - tally[best] / model.hits[k]) < 1e-12);
    }
    assert.equal(cl.label[11], -1);
  });

  test('component planes are a feature of every prototype', () => {
    assert.deepEqual(
      Array.from(model.component(3)),
      Array.from({ length: 12 }, (_, k) => protos[k * dim + 3]),
    );
    assert.throws(() => model.component(5), /MapModel\.component: expected a feature in 0\.\.4, got 5/);
  });

  test('a BMU outside the map or labels of another length are refused, naming the row', () => {
    assert.throws(() => new MapModel(shape, Int32Array.from([0, 12]), null, null), /MapModel: row 1's BMU is 12; expected a cell in 0\.\.11/);
    assert.throws(() => new MapModel(shape, Int32Array.from([0, 1]), Int32Array.from([0]), null), /expected 2 labels/);
  });

  test('the U-matrix from plain arrays: a hand-computed 2×2 map, and the neighbours a Topology finds', () => {
    // Prototypes on a line at 0, 1, 3, 6 (cells 0 1 / 2 3): edge neighbours 0–1, 0–2, 1–3, 2–3.
    const u = uMatrixOf({ rows: 2, cols: 2, topology: 'rectangular', toroidal: false }, [0, 1, 3, 6], 1);
    assert.deepEqual(Array.from(u), [(1 + 3) / 2, (1 + 5) / 2, (3 + 3) / 2, (5 + 3) / 2]);
    assert.ok(Math.abs(model.umatrix![0] - uMatrixOf(shape, protos, dim)[0]) === 0);
    for (const topology of ['rectangular', 'hexagonal'] as TopologyKind[])
      for (const toroidal of [false, true])
        for (const adjacency of ['edge', 'vertex'] as const) {
          const t = new Topology({ rows: 4, cols: 5, topology, toroidal });
          const lists = cellNeighbors(t, adjacency);
          for (let k = 0; k < t.size; k++)
            assert.deepEqual(Array.from(lists[k]), Array.from(t.neighbors(k, adjacency)), `${topology} ${toroidal} ${adjacency} ${k}`);
        }
    assert.throws(() => uMatrixOf(shape, protos, 4), /uMatrix: expected 12 prototypes .* of 4 values, got 60 values/);
  });

  test('the map’s shape from config.json, or from the config’s map size; image shapes', () => {
    assert.deepEqual(mapShapeOf({ map: { rows: 8, cols: 6, topology: 'hexagonal', toroidal: true } }, {}), {
      rows: 8,
      cols: 6,
      topology: 'hexagonal',
      toroidal: true,
    });
    assert.deepEqual(mapShapeOf(null, { map: '5x7', topology: 'rectangular' }), { rows: 5, cols: 7, topology: 'rectangular', toroidal: false });
    assert.throws(() => mapShapeOf(null, { map: 'big' }), /mapShapeOf: .*map is "big"; expected e\.g\. "8x8"/);
    assert.deepEqual(imageShapeOf({ dataset: { image_shape: [28, 28] } }), [28, 28]);
    assert.equal(imageShapeOf({ dataset: { name: 'reuters' } }), null);
  });

  test('prototypes as grey levels, in the range the figures use', () => {
    assert.deepEqual(Array.from(greyLevels([0, 0.5, 1, 1.2, -0.1])), [0, 128, 255, 255, 0]);
    assert.deepEqual(Array.from(greyLevels([2, 4, 6])), [0, 128, 255]);
    assert.deepEqual(extent([NaN, 3, -1]), [-1, 3]);
    assert.throws(() => matrixOf({ dtype: 'f4', shape: [3, 2], data: new Float32Array(6) }, 4, 'prototypes.npy'), /expected prototypes\.npy of shape \(4, d\)/);
    assert.deepEqual(Array.from(int32Of({ dtype: 'i8', shape: [2], data: BigInt64Array.from([3n, 4n]) }, 'bmus')), [3, 4]);
    assert.throws(() => int32Of({ dtype: 'f4', shape: [1], data: new Float32Array(1) }, 'bmus.npy'), /int32Of: expected bmus\.npy as integers, got dtype f4/);
  });
});

describe('the Sankey model', () => {
  // 8 rows, 2 classes, 2 layers: class | h1 | h2 | prediction (the case of src/analysis/paths.test.ts).
  const rowsOfTable = [
    [0, 0, 1, 0],
    [0, 0, 1, 0],
    [0, 0, 1, 0],
    [0, 1, 0, 1],
    [1, 1, 0, 1],
    [1, 1, 0, 1],
    [1, 1, 2, 1],
    [1, 0, 1, 0],
  ];
  const table = pathTable(Int32Array.from(rowsOfTable.flat()), [8, 4]);
  const n = table.n;
  const at = (i: number, j: number): number => rowsOfTable[i][j];

  test('the table reads back as the path set buildPaths makes from its columns', () => {
    const ps = pathSetOf(table, ['h1', 'h2']);
    const direct = buildPaths({
      labels: column(table, 0),
      layers: [
        { name: 'h1', clusters: column(table, 1), k: 2 },
        { name: 'h2', clusters: column(table, 2), k: 3 },
      ],
      predictions: column(table, 3),
    });
    assert.deepEqual(ps.pathKeys, direct.pathKeys);
    assert.deepEqual(sankeyGraph(ps), sankeyGraph(direct));
    assert.throws(() => pathSetOf(table, ['h1']), /pathSetOf: expected 2 layer names/);
    assert.throws(() => pathTable(new Int32Array(4), [2, 2]), /pathTable: expected paths of shape \(n, L \+ 2\)/);
  });

  test('a node’s rows and a band’s rows are the rows with those values in those columns', () => {
    for (let j = 0; j < 4; j++)
      for (const v of [0, 1, 2])
        assert.deepEqual(
          Array.from(nodeRows(table, j, v)),
          where(n, (i) => at(i, j) === v),
          `node ${j}:${v}`,
        );
    const graph = sankeyGraph(pathSetOf(table, ['h1', 'h2']));
    for (const l of graph.links) {
      const a = graph.nodes[l.source];
      const b = graph.nodes[l.target];
      const rows = bandRows(table, a.column, a.value, b.value);
      assert.deepEqual(
        Array.from(rows),
        where(n, (i) => at(i, a.column) === a.value && at(i, b.column) === b.value),
      );
      assert.equal(rows.length, l.value, 'a band holds as many rows as the graph’s link');
    }
    assert.throws(() => bandRows(table, 3, 0, 0), /bandRows: expected a source column in 0\.\.2, got 3/);
  });

  test('selected rows per node and per band, by class; nodes’ class split', () => {
    const graph = sankeyGraph(pathSetOf(table, ['h1', 'h2']));
    const selected = [0, 3, 6, 7];
    const f = selectedFlows(table, graph, selected);
    graph.nodes.forEach((nd) => assert.equal(f.nodes[nd.id], selected.filter((i) => at(i, nd.column) === nd.value).length, nd.label));
    graph.links.forEach((l, li) => {
      const a = graph.nodes[l.source];
      const b = graph.nodes[l.target];
      const expected = graph.classes.map((c) => selected.filter((i) => at(i, 0) === c && at(i, a.column) === a.value && at(i, b.column) === b.value).length);
      assert.deepEqual(Array.from(f.links[li]), expected, `${a.label} → ${b.label}`);
    });
    const split = nodeClassSplit(graph);
    graph.nodes.forEach((nd) => {
      assert.deepEqual(
        split[nd.id],
        graph.classes.map((c) => where(n, (i) => at(i, 0) === c && at(i, nd.column) === nd.value).length),
        nd.label,
      );
    });
  });

  test('a band’s thickness is its rows times the layout’s scale, its classes stacked in order', () => {
    const graph = sankeyGraph(pathSetOf(table, ['h1', 'h2']));
    const layout = sankeyLayout(sankeyInputOf(graph, '', 'prediction'), { width: 800, height: 400 });
    assert.equal(layout.links.length, graph.links.length);
    for (const l of layout.links) {
      assert.ok(Math.abs(l.thickness - l.value * l.scale) < 1e-9);
      let offset = 0;
      for (const b of l.bands) {
        assert.ok(Math.abs(b.offset - offset) < 1e-9 && Math.abs(b.thickness - b.value * l.scale) < 1e-9);
        offset += b.thickness;
      }
      assert.equal(graph.links[l.index].value, l.value);
    }
  });

  test('inserted classes are drawn after the known ones, named as never seen; the known rows keep their values', () => {
    const known = pathSetOf(table, ['h1', 'h2']);
    const inserted = {
      labels: Int32Array.from([7, 4, 7]),
      clusters: [Int32Array.from([1, 0, 1]), Int32Array.from([2, 1, 0])],
      predictions: Int32Array.from([1, 0, 1]),
    };
    const { graph, insertedClasses } = sankeyOf(known, { classNames: ['zero', 'one'], layerNames: ['h1', 'h2'], inserted });
    assert.deepEqual(insertedClasses, [2, 3]);
    assert.deepEqual(graph.classNames, ['zero', 'one', '4 (never seen)', '7 (never seen)']);
    assert.equal(
      graph.nodes.filter((nd) => nd.column === 0).reduce((s, nd) => s + nd.count, 0),
      n + 3,
    );
    // Selected known rows count the same through the joined graph as through the known one.
    const f = selectedFlows(table, graph, [0, 1, 6]);
    assert.equal(f.nodes[graph.nodes.find((nd) => nd.column === 2 && nd.value === 1)!.id], 2);
    const plain = sankeyOf(known, { classNames: ['zero', 'one'], layerNames: ['h1', 'h2'] });
    assert.deepEqual(plain.insertedClasses, []);
    assert.deepEqual(plain.graph.classNames, ['zero', 'one']);
  });
});
