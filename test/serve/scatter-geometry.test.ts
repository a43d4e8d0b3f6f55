/**
 * The scatter's computations, in Node (no browser): the lasso's point-in-polygon against hand
 * cases and a brute-force count, the grid index's nearest point against brute force, the browser
 * PCA against a known covariance, the SOM grid's edges, the cells' majority labels and the export's
 * CSV/JSON.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { toCsv, toJson } from '../../web/scatter/export.js';
import { GridIndex, boundsOf, discStamp, pointInPolygon, pointsInPolygon } from '../../web/scatter/geometry.js';
import { covariance, pca2, project2 } from '../../web/scatter/pca.js';
import { cellMajority, gridEdges } from '../../web/scatter/som-grid.js';

function randomPoints(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) xy[i] = rng.uniform(-5, 5);
  return xy;
}

test('point in polygon: a square, a concave "C", and a self-crossing bow tie by the even-odd rule', () => {
  const square = [0, 0, 4, 0, 4, 4, 0, 4];
  assert.equal(pointInPolygon(2, 2, square), true);
  assert.equal(pointInPolygon(5, 2, square), false);
  assert.equal(pointInPolygon(-0.1, 2, square), false);
  // A "C" open to the right: its notch (x 2..4, y 1..3) is outside.
  const c = [0, 0, 4, 0, 4, 1, 2, 1, 2, 3, 4, 3, 4, 4, 0, 4];
  assert.equal(pointInPolygon(1, 2, c), true);
  assert.equal(pointInPolygon(3, 2, c), false);
  assert.equal(pointInPolygon(3, 0.5, c), true);
  // A bow tie (edges crossing at (2, 2)): both lobes inside.
  const bow = [0, 0, 4, 4, 4, 0, 0, 4];
  assert.equal(pointInPolygon(0.5, 2, bow), true);
  assert.equal(pointInPolygon(3.5, 2, bow), true);
  assert.equal(pointInPolygon(2, 0.5, bow), false);
});

test('pointsInPolygon returns exactly the points a brute-force test finds, increasing', () => {
  const xy = randomPoints(20_000, 1);
  const star: number[] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? 4 : 1.5;
    star.push(r * Math.cos((k * Math.PI) / 5), r * Math.sin((k * Math.PI) / 5));
  }
  const got = pointsInPolygon(xy, star);
  const want: number[] = [];
  for (let p = 0; p < 20_000; p++) if (pointInPolygon(xy[2 * p], xy[2 * p + 1], star)) want.push(p);
  assert.deepEqual([...got], want);
  assert.ok(want.length > 1000 && want.length < 10_000, `${want.length} points inside`);
  assert.equal(pointsInPolygon(xy, [0, 0, 1, 1]).length, 0, 'fewer than three vertices select nothing');
});

test('the grid index finds the nearest point within a radius, as brute force does', () => {
  const xy = randomPoints(5000, 2);
  const grid = new GridIndex(xy);
  const rng = new Rng(3);
  for (let q = 0; q < 500; q++) {
    const x = rng.uniform(-6, 6);
    const y = rng.uniform(-6, 6);
    const r = rng.uniform(0.01, 0.5);
    let best = -1;
    let bestD = r * r;
    for (let p = 0; p < 5000; p++) {
      const d = (xy[2 * p] - x) ** 2 + (xy[2 * p + 1] - y) ** 2;
      if (d < bestD || (d === bestD && (best < 0 || p < best))) {
        bestD = d;
        best = p;
      }
    }
    assert.equal(grid.nearest(x, y, r), best, `query (${x}, ${y}) r ${r}`);
  }
  // Degenerate data: every point at one place, and points that are not finite.
  const same = new Float32Array([1, 1, 1, 1, NaN, 0]);
  assert.equal(new GridIndex(same).nearest(1.1, 1, 0.5), 0);
  assert.deepEqual(boundsOf(same), { x0: 0, y0: 0, x1: 2, y1: 2 });
});

test('the browser PCA finds the axes of a known covariance and projects onto them', () => {
  // Points on a line along (3, 4)/5 with small noise along (−4, 3)/5, offset by (10, −2), in 3-d with a constant column.
  const rng = new Rng(4);
  const n = 2000;
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rng.normal() * 5;
    const b = rng.normal() * 0.5;
    x[3 * i] = 10 + (3 * a - 4 * b) / 5;
    x[3 * i + 1] = -2 + (4 * a + 3 * b) / 5;
    x[3 * i + 2] = 7;
  }
  const p = pca2(x, n, 3);
  assert.ok(Math.abs(p.mean[0] - 10) < 0.5 && Math.abs(p.mean[1] + 2) < 0.5 && p.mean[2] === 7);
  const [u, v] = p.components;
  assert.ok(Math.abs(Math.abs(u[0]) - 0.6) < 0.01 && Math.abs(Math.abs(u[1]) - 0.8) < 0.01 && Math.abs(u[2]) < 1e-9, `u ${Array.from(u).join(', ')}`);
  assert.ok(Math.abs(Math.abs(v[0]) - 0.8) < 0.02 && Math.abs(Math.abs(v[1]) - 0.6) < 0.02, `v ${Array.from(v).join(', ')}`);
  assert.ok(Math.abs(u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) < 1e-6, 'orthogonal');
  assert.ok(p.explained[0] > 0.98 && p.explained[0] + p.explained[1] > 0.9999);
  // The eigen equation: C·u = λ·u.
  const { cov } = covariance(x, n, 3);
  for (let i = 0; i < 3; i++) {
    const cu = cov[3 * i] * u[0] + cov[3 * i + 1] * u[1] + cov[3 * i + 2] * u[2];
    assert.ok(Math.abs(cu - p.variances[0] * u[i]) < 1e-6 * p.variances[0]);
  }
  const y = project2(p, x, n, 3);
  let varY = 0;
  for (let i = 0; i < n; i++) varY += y[2 * i] ** 2;
  assert.ok(Math.abs(varY / (n - 1) - p.variances[0]) < 1e-3 * p.variances[0]);
});

test('map grid edges: a rectangular map joins right and down neighbours; an odd-r hexagonal one the two cells below', () => {
  const pairs = (e: Int32Array): string[] => Array.from({ length: e.length / 2 }, (_, i) => `${e[2 * i]}-${e[2 * i + 1]}`);
  assert.deepEqual(pairs(gridEdges(2, 3, false)), ['0-1', '0-3', '1-2', '1-4', '2-5', '3-4', '4-5']);
  // Row 0 (even) cell 1 sits over cells 3 and 4; row 1 (odd) cell 3 over 6 and 7.
  assert.deepEqual(pairs(gridEdges(3, 3, true)), [
    '0-1',
    '0-3',
    '1-2',
    '1-3',
    '1-4',
    '2-4',
    '2-5',
    '3-4',
    '3-6',
    '3-7',
    '4-5',
    '4-7',
    '4-8',
    '5-8',
    '6-7',
    '7-8',
  ]);
});

test('cell majority: the most frequent label of each cell (ties to the smaller), −1 for an empty cell', () => {
  const cells = Int32Array.from([0, 0, 0, 2, 2]);
  const labels = Int32Array.from([1, 1, 3, 2, 0]);
  assert.deepEqual([...cellMajority(cells, labels, 3)], [1, -1, 0]);
});

test('the export: CSV with a header and quoted fields, JSON with the selection and every column', () => {
  const names = ['a', 'b,c', 'say "hi"'];
  const table = {
    columns: [
      { name: 'row', value: (r: number) => r },
      { name: 'class', value: (r: number) => names[r] },
    ],
    rows: Int32Array.from([0, 1, 2]),
  };
  assert.equal(toCsv(table), 'row,class\n0,a\n1,"b,c"\n2,"say ""hi"""\n');
  const j = JSON.parse(toJson(table, { run: 'r1', label: 'lasso: 3 points', source: 'scatter:codes' })) as Record<string, unknown>;
  assert.deepEqual(j, {
    run: 'r1',
    selection: { label: 'lasso: 3 points', source: 'scatter:codes', count: 3 },
    columns: ['row', 'class'],
    rows: [
      { row: 0, class: 'a' },
      { row: 1, class: 'b,c' },
      { row: 2, class: 'say "hi"' },
    ],
  });
});

test('the rasterizer’s disc covers about πr² pixels, fully inside and partly at its edge', () => {
  for (const r of [1, 1.5, 2.5, 4]) {
    const s = discStamp(r);
    const area = s.cover.reduce((a, c) => a + c, 0) / 256;
    assert.ok(Math.abs(area - Math.PI * r * r) < 0.15 * Math.PI * r * r, `r ${r}: area ${area}`);
    assert.equal(s.cover[s.dx.findIndex((dx, k) => dx === 0 && s.dy[k] === 0)], 256);
  }
});
