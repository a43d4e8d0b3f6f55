import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { attractionCoefficient, umap, umapCurve } from './umap.js';
import { nearestRows, umapTransform, type UmapFitted } from './umap-transform.js';

/**
 * The hand case: five fitted rows in 2-D and the new point (0, 0). Its 3 nearest rows are A at
 * distance 1 and B, C at distance 5; D and E are far away.
 */
function handCase(): UmapFitted {
  const data = new Float32Array([1, 0, 0, 5, 0, -5, 100, 100, -100, 50]);
  const embedding = new Float32Array([4, 1, -1, 3, -2, -3, 9, 9, -9, 9]);
  return { data, rows: 5, cols: 2, embedding };
}

const D = 10;
const PER_BLOB = 150;

/** A point of Gaussian blob 0 or 1 in D dimensions: unit spread, centres 10·√2 apart. */
function blobPoint(rng: Rng, blob: number, out: Float32Array, o: number): void {
  for (let j = 0; j < D; j++) out[o + j] = (j === blob ? 10 : 0) + rng.normal();
}

/** Two blobs (row i in blob i % 2) embedded with our umap(); computed once, shared by the tests. */
const blobs = ((): UmapFitted => {
  const rng = new Rng(7);
  const rows = 2 * PER_BLOB;
  const data = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) blobPoint(rng, i % 2, data, i * D);
  const embedding = umap(new Tensor(data, [rows, D]), { rng: new Rng(1), nEpochs: 200 });
  return { data, rows, cols: D, embedding };
})();

function freshBlobPoints(seed: number, blob: number, count: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * D);
  for (let i = 0; i < count; i++) blobPoint(rng, blob, out, i * D);
  return out;
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s[s.length >> 1];
}

test('nearestRows returns the k nearest rows of a brute-force sort, ties to the lower index', () => {
  const rng = new Rng(3);
  const rows = 400;
  const cols = 7;
  const data = rng.fillNormal(new Float32Array(rows * cols));
  // Rows 10 and 250 are copies of row 5: three tied distances.
  for (let q = 0; q < cols; q++) data[10 * cols + q] = data[250 * cols + q] = data[5 * cols + q];
  const points = [rng.fillNormal(new Float32Array(cols)), data.slice(5 * cols, 6 * cols)];
  for (const point of points) {
    const want = Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let q = 0; q < cols; q++) s += (data[r * cols + q] - point[q]) ** 2;
      return { r, d: Math.sqrt(s) };
    }).sort((x, y) => x.d - y.d || x.r - y.r);
    const got = nearestRows(data, rows, cols, point, 12);
    assert.deepEqual(
      Array.from(got.indices),
      want.slice(0, 12).map((w) => w.r),
    );
    // Both sum the same float32 inputs in float64 in the same order: equal up to last-bit rounding.
    for (let s = 0; s < 12; s++) assert.ok(Math.abs(got.distances[s] - want[s].d) <= 1e-12 * (1 + want[s].d));
  }
  assert.deepEqual(Array.from(nearestRows(data, rows, cols, points[1], 3).indices), [5, 10, 250]);
});

test('epochs: 0 places a point at the membership-weighted mean of its neighbours, with ρ = 0 as umap-learn’s transform', () => {
  const fitted = handCase();
  const y = umapTransform(fitted, new Float32Array([0, 0]), { rng: new Rng(1), nNeighbors: 3, epochs: 0 });
  // ρ = 0, so σ solves Σ over the 2nd and 3rd neighbours: 2·exp(−5/σ) = log₂ 3. With c = log₂(3)/2,
  // exp(−5/σ) = c and A's weight exp(−1/σ) = c^(1/5).
  const c = Math.log2(3) / 2;
  const wA = c ** 0.2;
  const e = fitted.embedding;
  const want = [(wA * e[0] + c * e[2] + c * e[4]) / (wA + 2 * c), (wA * e[1] + c * e[3] + c * e[5]) / (wA + 2 * c)];
  // Bound: the bisection stops within 1e-5 of log₂ 3, so c is within 5e-6 and wA within 1.5e-6; the
  // weights are then rounded to float32 (< 6e-8). The mean moves by at most |e_j − mean| / Σw ≤ 4/2.5
  // per unit of one weight, so by < 2e-5 in all; the float32 output adds < 3e-7. Tolerance 1e-4.
  assert.ok(Math.abs(y[0] - want[0]) < 1e-4 && Math.abs(y[1] - want[1]) < 1e-4, `got (${y[0]}, ${y[1]}), want (${want[0]}, ${want[1]})`);
  // The fit's ρ = distance to the nearest neighbour would give A weight 1: about 0.06 further in x.
  const alt = (e[0] + c * e[2] + c * e[4]) / (1 + 2 * c);
  assert.ok(Math.abs(y[0] - alt) > 0.03, `x = ${y[0]} matches the local-connectivity-1 weights (${alt})`);
});

test('a copy of a fitted row starts exactly at that row’s position (the lowest index among duplicates)', () => {
  const fitted = handCase();
  const y = umapTransform(fitted, new Float32Array([100, 100, 1, 0]), { rng: new Rng(1), nNeighbors: 3, epochs: 0 });
  assert.deepEqual(Array.from(y), [9, 9, 4, 1]);
  // Row 5 duplicates row 3 with another position: umap-learn takes the first fitted copy.
  const dup: UmapFitted = {
    data: new Float32Array([...fitted.data, 100, 100]),
    rows: 6,
    cols: 2,
    embedding: new Float32Array([...fitted.embedding, 8, 7]),
  };
  assert.deepEqual(Array.from(umapTransform(dup, new Float32Array([100, 100]), { rng: new Rng(1), nNeighbors: 3, epochs: 0 })), [9, 9]);
});

test('the first SGD step pulls the point towards its strongest neighbour at a quarter of the learning rate', () => {
  const fitted = handCase();
  const point = new Float32Array([0, 0]);
  const base = { nNeighbors: 3, negativeSampleRate: 0 };
  const y0 = umapTransform(fitted, point, { rng: new Rng(1), ...base, epochs: 0 });
  // Epoch 0 samples nothing (an edge is first due at epoch w_max / w ≥ 1), as in umap-learn.
  assert.deepEqual(umapTransform(fitted, point, { rng: new Rng(1), ...base, epochs: 1 }), y0);
  // With 2 epochs, epoch 1 runs at α = (1/4)·(1 − 0/2) and samples only edges with w = w_max: A's
  // (B's and C's are due at w_A / w_B = c^(−4/5) ≈ 1.2). A stays where it is (the fit is fixed).
  const y = umapTransform(fitted, point, { rng: new Rng(1), ...base, epochs: 2 });
  const { a, b } = umapCurve(1, 0.1);
  const e = fitted.embedding;
  const dx = y0[0] - e[0];
  const dy = y0[1] - e[1];
  const coeff = attractionCoefficient(dx * dx + dy * dy, a, b);
  const clip = (g: number): number => Math.max(-4, Math.min(4, g));
  const want = [y0[0] + clip(coeff * dx) * 0.25, y0[1] + clip(coeff * dy) * 0.25];
  // The same float64 arithmetic; only the float32 rounding of the result may differ (< 3e-7 here).
  assert.ok(Math.abs(y[0] - want[0]) < 1e-6 && Math.abs(y[1] - want[1]) < 1e-6, `got (${y[0]}, ${y[1]}), want (${want[0]}, ${want[1]})`);
  assert.ok(Math.hypot(y[0] - e[0], y[1] - e[1]) < Math.hypot(dx, dy), 'the point moved towards A');
  assert.deepEqual(fitted.embedding, handCase().embedding, 'the fitted embedding is unchanged');
});

test('fresh points of blob A land nearer blob A’s embedded centroid than blob B’s', () => {
  const { embedding, rows } = blobs;
  const centroid = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < rows; i++) {
    centroid[i % 2][0] += embedding[2 * i] / PER_BLOB;
    centroid[i % 2][1] += embedding[2 * i + 1] / PER_BLOB;
  }
  const count = 20;
  const fresh = freshBlobPoints(99, 0, count);
  // Precondition: every fresh point's 15 nearest fitted rows are in blob A (even rows).
  for (let i = 0; i < count; i++) {
    const nn = nearestRows(blobs.data, rows, D, fresh.subarray(i * D, (i + 1) * D), 15);
    assert.ok(
      nn.indices.every((r) => r % 2 === 0),
      `point ${i}: a neighbour in blob B`,
    );
  }
  for (const epochs of [0, undefined]) {
    const y = umapTransform(blobs, fresh, { rng: new Rng(3), epochs });
    for (let i = 0; i < count; i++) {
      const dA = Math.hypot(y[2 * i] - centroid[0][0], y[2 * i + 1] - centroid[0][1]);
      const dB = Math.hypot(y[2 * i] - centroid[1][0], y[2 * i + 1] - centroid[1][1]);
      assert.ok(dA < dB, `epochs ${epochs}, point ${i}: ${dA} from A’s centroid, ${dB} from B’s`);
    }
  }
});

test('fitted rows (slightly perturbed) land within their own embedded neighbourhood', () => {
  const { data, rows, embedding } = blobs;
  // Noise of 0.01 per coordinate is ~1/400 of the distance between neighbours (~√20), so each
  // row keeps (nearly) its neighbours, yet is no exact copy (which would start at its own position).
  const rng = new Rng(5);
  const noisy = data.map((v) => v + 0.01 * rng.normal());
  const y = umapTransform(blobs, noisy, { rng: new Rng(4) });
  const moved: number[] = [];
  const radius: number[] = [];
  for (let i = 0; i < rows; i++) {
    moved.push(Math.hypot(y[2 * i] - embedding[2 * i], y[2 * i + 1] - embedding[2 * i + 1]));
    // Distance from the row's position to its 15th nearest other embedded row.
    radius.push(nearestRows(embedding, rows, 2, embedding.subarray(2 * i, 2 * i + 2), 16).distances[15]);
  }
  // Initialised at a convex combination of its neighbours' positions and pulled towards them, a
  // point should stay within the disc its 15 embedded neighbours span (median over the rows).
  assert.ok(median(moved) < median(radius), `median displacement ${median(moved)} vs median 15-NN radius ${median(radius)}`);
});

test('the same seed gives the same bytes; another seed other bytes; the inputs are left unchanged', () => {
  const fresh = freshBlobPoints(11, 1, 5);
  const before = { data: blobs.data.slice(), embedding: blobs.embedding.slice(), fresh: fresh.slice() };
  const y1 = umapTransform(blobs, fresh, { rng: new Rng(21) });
  const y2 = umapTransform(blobs, fresh, { rng: new Rng(21) });
  const y3 = umapTransform(blobs, fresh, { rng: new Rng(22) });
  assert.ok(Buffer.from(y1.buffer).equals(Buffer.from(y2.buffer)));
  assert.ok(!Buffer.from(y1.buffer).equals(Buffer.from(y3.buffer)), 'the negative samples depend on the seed');
  assert.deepEqual(blobs.data, before.data);
  assert.deepEqual(blobs.embedding, before.embedding);
  assert.deepEqual(fresh, before.fresh);
  assert.equal(umapTransform(blobs, new Float32Array(0), { rng: new Rng(1) }).length, 0);
});

test('umapTransform and nearestRows name the bad value and what was expected', () => {
  const rng = new Rng(1);
  const f = handCase();
  const wide: UmapFitted = { data: new Float32Array(3 * 784), rows: 3, cols: 784, embedding: new Float32Array(6) };
  const cases: [() => unknown, RegExp][] = [
    [
      () => umapTransform(wide, new Float32Array(785), { rng, nNeighbors: 2 }),
      /^RangeError: umapTransform: points has 785 values, not a multiple of the fitted data's 784 columns$/,
    ],
    [
      () => umapTransform({ ...f, data: new Float32Array(0), rows: 0, embedding: new Float32Array(0) }, new Float32Array(2), { rng }),
      /fitted set is empty \(0 rows\)/,
    ],
    [
      () => umapTransform({ ...f, embedding: new Float32Array(9) }, new Float32Array(2), { rng }),
      /umapTransform: embedding has 9 values, expected rows × 2 = 10/,
    ],
    [() => umapTransform({ ...f, rows: 4 }, new Float32Array(2), { rng }), /umapTransform: data has 10 values, expected rows × cols = 4 × 2 = 8/],
    [
      () => umapTransform({ ...f, data: new Float64Array(10) as unknown as Float32Array }, new Float32Array(2), { rng }),
      /expected data to be a Float32Array, got Float64Array/,
    ],
    [() => umapTransform(f, [0, 0] as unknown as Float32Array, { rng }), /expected points to be a Float32Array, got Array/],
    [() => umapTransform(f, new Float32Array(2), { rng }), /expected nNeighbors to be an integer from 2 to the 5 fitted rows, got 15/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 6 }), /nNeighbors .* got 6/],
    [
      () => umapTransform(f, new Float32Array([0, NaN]), { rng, nNeighbors: 3 }),
      /umapTransform: expected finite values in points, got NaN at point 0, column 1/,
    ],
    [
      () => umapTransform({ ...f, data: new Float32Array([1, 0, 0, 5, Infinity, -5, 100, 100, -100, 50]) }, new Float32Array(2), { rng, nNeighbors: 3 }),
      /umapTransform: expected finite values in the fitted data, got Infinity at row 2, column 0/,
    ],
    [
      () => umapTransform({ ...f, embedding: new Float32Array([4, 1, -1, 3, -2, -3, 9, NaN, -9, 9]) }, new Float32Array(2), { rng, nNeighbors: 3 }),
      /expected finite values in embedding, got NaN at row 3, column 1/,
    ],
    [() => umapTransform(f, new Float32Array(2), { nNeighbors: 3 } as never), /^TypeError: umapTransform: expected options with a seeded rng/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, epochs: 1.5 }), /expected epochs to be a non-negative integer, got 1.5/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, negativeSampleRate: -1 }), /negativeSampleRate to be a non-negative number, got -1/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, learningRate: 0 }), /learningRate to be a positive number, got 0/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, minDist: 2 }), /minDist from 0 to spread \(1\), got 2/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, a: 1.5 }), /both curve parameters a and b or neither, got a = 1.5, b = undefined/],
    [() => umapTransform(f, new Float32Array(2), { rng, nNeighbors: 3, a: 1.5, b: -1 }), /expected b to be a positive number, got -1/],
    [() => nearestRows(f.data, 5, 2, new Float32Array(3), 2), /^RangeError: nearestRows: point has 3 values, expected the data's 2 columns$/],
    [() => nearestRows(f.data, 5, 2, new Float32Array(2), 6), /nearestRows: expected k to be an integer from 1 to the 5 rows, got 6/],
  ];
  for (const [fn, re] of cases) {
    assert.throws(fn, (err: Error) => {
      assert.match(`${err.name}: ${err.message}`, re);
      return true;
    });
  }
});
