import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import {
  bestMatchingUnits,
  cellLabels,
  cellMembers,
  hitMap,
  quantizationError,
  quantize,
  secondBestMatchingUnits,
  topographicError,
  uMatrix,
} from './analysis.js';
import { SOM } from './som.js';
import { Topology } from './topology.js';

/*
 * A 3×3 rectangular map (cell k = 3·row + col) with 2-D prototypes:
 *
 *   row 0:  m0 (0,0)   m1 (1,0)   m2 (2,0)
 *   row 1:  m3 (0,1)   m4 (1,1)   m5 (2,1)
 *   row 2:  m6 (0,2)   m7 (1,3)   m8 (3,−0.5)     ← m7 pulled down, m8 folded back next to m2
 *
 * and four points, squared distances to the nearest prototypes:
 *   p0 (0.1, 0.2):  m0 0.05,  m3 0.65,  m1 0.85           → BMU 0, second 3 (edge neighbours)
 *   p1 (1.9, 0.8):  m5 0.05,  m2 0.65,  m4 0.85           → BMU 5, second 2 (edge neighbours)
 *   p2 (0.6, 1.55): m4 0.4625, m6 0.5625, m3 0.6625      → BMU 4, second 6 (diagonal: vertex only)
 *   p3 (2.6, −0.3): m8 0.20,  m2 0.45,  m5 2.05           → BMU 8, second 2 (two rows apart)
 */
const PROTOS = [
  [0, 0],
  [1, 0],
  [2, 0],
  [0, 1],
  [1, 1],
  [2, 1],
  [0, 2],
  [1, 3],
  [3, -0.5],
];
const POINTS = [
  [0.1, 0.2],
  [1.9, 0.8],
  [0.6, 1.55],
  [2.6, -0.3],
];

function handSom(): SOM {
  return new SOM(new Topology({ rows: 3, cols: 3 }), Tensor.fromRows(PROTOS));
}

for (const be of ['js', 'native', 'wasm'] as const) {
  test(`a 3×3 map's BMUs, second BMUs and quantization match the hand computation (${be})`, () => {
    withBackend(be, () => {
      const som = handSom();
      const x = Tensor.fromRows(POINTS);
      assert.deepEqual([...bestMatchingUnits(som, x)], [0, 5, 4, 8]);
      const { bmu, second } = secondBestMatchingUnits(som, x);
      assert.deepEqual([...bmu], [0, 5, 4, 8]);
      assert.deepEqual([...second], [3, 2, 6, 2]);
      assert.deepEqual(quantize(som, x).toRows(), [PROTOS[0], PROTOS[5], PROTOS[4], PROTOS[8]]);
    });
  });
}

test('quantization error is the mean Euclidean (not squared) distance to the BMU', () => {
  const som = handSom();
  const x = Tensor.fromRows(POINTS);
  // (√0.05 + √0.05 + √0.4625 + √0.20) / 4 = 0.393625…; squared: (0.05 + 0.05 + 0.4625 + 0.20) / 4 = 0.190625
  const qe = (2 * Math.sqrt(0.05) + Math.sqrt(0.4625) + Math.sqrt(0.2)) / 4;
  assert.ok(Math.abs(quantizationError(som, x) - qe) < 1e-6, `${quantizationError(som, x)} vs ${qe}`);
  assert.ok(Math.abs(quantizationError(som, x, { squared: true }) - 0.190625) < 1e-6);
  assert.ok(
    Math.abs(
      quantizationError(som, x, { bmus: Int32Array.from([0, 0, 0, 0]) }) -
        (Math.sqrt(0.05) + Math.hypot(1.9, 0.8) + Math.hypot(0.6, 1.55) + Math.hypot(2.6, 0.3)) / 4,
    ) < 1e-6,
  );
});

test('topographic error counts p2 (diagonal) and p3 (two rows apart) with edge adjacency, only p3 with vertex adjacency', () => {
  const som = handSom();
  const x = Tensor.fromRows(POINTS);
  assert.equal(topographicError(som, x), 0.5);
  assert.equal(topographicError(som, x, { adjacency: 'edge' }), 0.5);
  assert.equal(topographicError(som, x, { adjacency: 'vertex' }), 0.25);
});

test('the U-matrix is each cell’s mean distance to its edge-adjacent prototypes', () => {
  const s325 = Math.sqrt(3.25); // |m5 − m8| = |(2,1) − (3,−0.5)|
  const s1625 = Math.sqrt(16.25); // |m7 − m8| = |(1,3) − (3,−0.5)|
  const expected = [
    1, // m0: m1 1, m3 1
    1, // m1: m0, m2, m4 all at 1
    1, // m2: m1 1, m5 1
    1, // m3: m0, m4, m6 at 1
    5 / 4, // m4: m1, m3, m5 at 1, m7 at 2
    (2 + s325) / 3, // m5: m2 1, m4 1, m8 √3.25
    (1 + Math.SQRT2) / 2, // m6: m3 1, m7 √2
    (2 + Math.SQRT2 + s1625) / 3, // m7: m4 2, m6 √2, m8 √16.25
    (s325 + s1625) / 2, // m8: m5, m7
  ];
  const u = uMatrix(handSom());
  for (let k = 0; k < 9; k++) assert.ok(Math.abs(u[k] - expected[k]) < 1e-6, `cell ${k}: ${u[k]} vs ${expected[k]}`);
  const sum = uMatrix(handSom(), { reduce: 'sum' });
  assert.ok(Math.abs(sum[4] - 5) < 1e-6);
  // vertex adjacency adds the diagonals, e.g. cell 0 also sees m4 at √2
  assert.ok(Math.abs(uMatrix(handSom(), { adjacency: 'vertex' })[0] - (2 + Math.SQRT2) / 3) < 1e-6);
});

test('hit map and cell members follow the BMUs', () => {
  const bmu = Int32Array.from([0, 5, 4, 8]);
  assert.deepEqual([...hitMap(bmu, 9)], [1, 0, 0, 0, 1, 1, 0, 0, 1]);
  assert.deepEqual(
    cellMembers(bmu, 9).map((m) => [...m]),
    [[0], [], [], [], [2], [1], [], [], [3]],
  );
  assert.throws(() => hitMap(Int32Array.from([0, 9]), 9), /hitMap: expected unit indices in \[0, 9\), got 9 at position 1/);
});

test('per-cell majority label and purity: ties go to the smaller label, empty cells get −1 and NaN', () => {
  // cell 0 wins samples 0, 1, 2 (labels 1, 1, 2) → label 1, purity 2/3
  // cell 1 wins samples 3, 4 (labels 3, 0)       → tie → label 0, purity 1/2
  // cell 2 wins sample 5 (label 2)               → label 2, purity 1
  // cell 3 wins nothing
  const bmu = Int32Array.from([0, 0, 0, 1, 1, 2]);
  const labels = Int32Array.from([1, 1, 2, 3, 0, 2]);
  const r = cellLabels(bmu, labels, 4);
  assert.deepEqual([...r.label], [1, 0, 2, -1]);
  assert.deepEqual([...r.count], [3, 2, 1, 0]);
  assert.ok(Math.abs(r.purity[0] - 2 / 3) < 1e-12);
  assert.equal(r.purity[1], 0.5);
  assert.equal(r.purity[2], 1);
  assert.ok(Number.isNaN(r.purity[3]));
  assert.deepEqual(
    cellMembers(bmu, 4).map((m) => [...m]),
    [[0, 1, 2], [3, 4], [5], []],
  );
  assert.throws(() => cellLabels(bmu, labels.subarray(0, 5), 4), /cellLabels: expected 6 labels \(one per BMU\), got 5/);
});

test('analysis functions reject data of the wrong width', () => {
  const som = handSom();
  const x = Tensor.fromRows([[1, 2, 3]]);
  assert.throws(() => quantizationError(som, x), /quantizationError: expected 2 input features, got 3/);
  assert.throws(() => topographicError(som, x), /topographicError: expected 2 input features, got 3/);
  assert.throws(() => som.bmus(x), /SOM.bmus: expected 2 input features, got 3/);
});
