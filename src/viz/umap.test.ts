import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { backend, useBackend } from '../tensor/registry.js';
import type { UmapEpochState } from '../tensor/backend.js';
import { Tensor } from '../tensor/tensor.js';
import {
  attractionCoefficient,
  coefficientTables,
  defaultUmapEpochs,
  fuzzySimplicialSet,
  knnExact,
  layoutEdges,
  layoutEpoch,
  repulsionCoefficient,
  tabulatedCoefficient,
  umap,
  umapCurve,
} from './umap.js';

/** `count` Gaussian blobs of `per` points in d dimensions, centres 10 apart (unit spread). */
function blobs(seed: number, count: number, per: number, d = 10): { x: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const n = count * per;
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = i % count;
    labels[i] = b;
    for (let j = 0; j < d; j++) data[i * d + j] = (j === b ? 10 : 0) + rng.normal();
  }
  return { x: new Tensor(data, [n, d]), labels };
}

function randomRows(seed: number, n: number, d: number): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, [n, d]);
}

/** Brute force: for each row, all rows sorted by (float64 distance, index), the row itself first. */
function bruteKnn(x: Tensor, k: number): { indices: number[][]; distances: number[][] } {
  const [n, d] = x.shape;
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const all: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (x.data[i * d + q] - x.data[j * d + q]) ** 2;
      all.push([j === i ? -1 : Math.sqrt(s), j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    indices.push(all.slice(0, k).map((p) => p[1]));
    distances.push(all.slice(0, k).map((p) => Math.max(0, p[0])));
  }
  return { indices, distances };
}

function checkKnnAgainstBruteForce(x: Tensor, k: number): void {
  const n = x.rows;
  const got = knnExact(x, k);
  const want = bruteKnn(x, k);
  assert.equal(got.indices.length, n * k);
  for (let i = 0; i < n; i++) {
    const row = Array.from(got.indices.subarray(i * k, (i + 1) * k));
    assert.equal(row[0], i, `row ${i}: the row itself comes first`);
    assert.equal(got.distances[i * k], 0);
    assert.deepEqual(
      [...row].sort((a, b) => a - b),
      [...want.indices[i]].sort((a, b) => a - b),
      `row ${i}: neighbour set`,
    );
    for (let s = 0; s < k; s++) {
      const w = want.distances[i][s];
      assert.ok(Math.abs(got.distances[i * k + s] - w) <= 1e-6 * (1 + w), `row ${i}, neighbour ${s}: ${got.distances[i * k + s]} vs ${w}`);
      if (s > 0) assert.ok(got.distances[i * k + s] >= got.distances[i * k + s - 1], `row ${i}: ascending`);
    }
  }
}

test('knnExact finds the same neighbours as a brute-force double loop (300 random rows)', () => {
  // 300 rows in 10-d, and 1,100 rows in 3-d so that the tiles (1,024 × 4,096) do not cover all rows at once.
  checkKnnAgainstBruteForce(randomRows(11, 300, 10), 15);
  checkKnnAgainstBruteForce(randomRows(12, 1100, 3), 7);
});

test('knnExact gives the same neighbours on the js backend', () => {
  const previous = backend().name;
  try {
    useBackend('js');
    checkKnnAgainstBruteForce(randomRows(13, 300, 10), 15);
  } finally {
    useBackend(previous);
  }
});

test('fuzzySimplicialSet is symmetric with memberships in (0, 1]', () => {
  const x = randomRows(14, 200, 5);
  const g = fuzzySimplicialSet(knnExact(x, 10));
  const w = new Map<string, number>();
  for (let e = 0; e < g.head.length; e++) {
    assert.notEqual(g.head[e], g.tail[e], 'no self loops');
    assert.ok(g.weight[e] > 0 && g.weight[e] <= 1, `weight ${g.weight[e]}`);
    if (e > 0) assert.ok(g.head[e] >= g.head[e - 1], 'grouped by head row');
    w.set(`${g.head[e]},${g.tail[e]}`, g.weight[e]);
  }
  for (const [key, v] of w) {
    const [i, j] = key.split(',');
    assert.equal(w.get(`${j},${i}`), v, `edge ${key} has its reverse with the same weight`);
  }
  // Every row keeps its nearest neighbour with membership 1 (local connectivity 1).
  for (let i = 0; i < 200; i++)
    assert.ok(
      [...w].some(([key, v]) => key.startsWith(`${i},`) && v > 1 - 1e-12),
      `row ${i}`,
    );
});

test('umapCurve reproduces umap-learn’s a, b for spread 1, minDist 0.1', () => {
  // The reference implementation's find_ab_params (scipy curve_fit) gives a = 1.5769434603113077,
  // b = 0.8950608779109733 for these defaults: the values umap-js hard-codes as its defaults and
  // checks its own fit against (PAIR-code/umap-js test/umap.test.ts); uwot logs them as a = 1.577, b = 0.8951.
  const { a, b } = umapCurve(1, 0.1);
  assert.ok(Math.abs(a - 1.5769434603113077) < 1e-4, `a = ${a}`);
  assert.ok(Math.abs(b - 0.8950608779109733) < 1e-4, `b = ${b}`);
  // Any setting: the fitted curve stays close to the target membership.
  for (const [spread, minDist] of [
    [1, 0],
    [2, 0.5],
    [1, 1],
  ]) {
    const f = umapCurve(spread, minDist);
    for (let i = 0; i <= 30; i++) {
      const d = (3 * spread * i) / 30;
      const target = d < minDist ? 1 : Math.exp(-(d - minDist) / spread);
      const fit = 1 / (1 + f.a * d ** (2 * f.b));
      assert.ok(Math.abs(fit - target) < 0.12, `spread ${spread}, minDist ${minDist}, d ${d}: ${fit} vs ${target}`);
    }
  }
});

test('the tabulated SGD coefficients match the exact ones within 2e-5', () => {
  for (const [spread, minDist] of [
    [1, 0.1],
    [1, 0],
    [2, 0.5],
  ]) {
    const { a, b } = umapCurve(spread, minDist);
    const t = coefficientTables(a, b);
    for (let i = 0; i <= 20000; i++) {
      const x = 2 ** (-30 + (50 * i) / 20000); // beyond the table on both sides too
      const att = tabulatedCoefficient(t.attraction, x, (v) => attractionCoefficient(v, a, b));
      const rep = tabulatedCoefficient(t.repulsion, x, (v) => repulsionCoefficient(v, a, b));
      assert.ok(Math.abs(att / attractionCoefficient(x, a, b) - 1) < 2e-5, `attraction at ${x}`);
      assert.ok(Math.abs(rep / repulsionCoefficient(x, a, b) - 1) < 2e-5, `repulsion at ${x}`);
    }
  }
});

test('umap gives identical bytes for the same seed and a different map for another seed', () => {
  const { x } = blobs(1, 3, 100);
  const a = umap(x, { rng: new Rng(42), nEpochs: 60 });
  const b = umap(x, { rng: new Rng(42), nEpochs: 60 });
  const c = umap(x, { rng: new Rng(43), nEpochs: 60 });
  assert.equal(a.length, 600);
  assert.ok(a.every(Number.isFinite));
  assert.deepEqual(new Uint8Array(a.buffer), new Uint8Array(b.buffer));
  assert.notDeepEqual(a, c);
});

test('umap separates well-separated blobs: ≥ 95% of each point’s 10 nearest embedded neighbours share its blob', () => {
  const { x, labels } = blobs(2, 3, 200);
  const n = x.rows;
  const e = umap(x, { rng: new Rng(5) });
  let same = 0;
  for (let i = 0; i < n; i++) {
    const d: [number, number][] = [];
    for (let j = 0; j < n; j++) if (j !== i) d.push([(e[2 * i] - e[2 * j]) ** 2 + (e[2 * i + 1] - e[2 * j + 1]) ** 2, j]);
    d.sort((p, q) => p[0] - q[0]);
    for (let t = 0; t < 10; t++) if (labels[d[t][1]] === labels[i]) same++;
  }
  assert.ok(same / (10 * n) >= 0.95, `share of same-blob embedded neighbours ${same / (10 * n)}`);
});

// The native layout epoch (native/umap.cc) does layoutEpoch's arithmetic step for step: doubles
// where it computes, float32 where it stores, no fused multiply-adds, the same tables. The one
// place they may differ is pow outside the tables' range (squared distances below 2⁻²⁴ or from 2¹⁶),
// which these distinct rows, started within [−10, 10]², never reach; so the bytes must be equal.
test('the native backend lays UMAP out to the same bytes as the TypeScript epoch', () => {
  // One graph for both (knnExact on the js backend), then 120 epochs from the same state each way.
  const { x } = blobs(7, 4, 150);
  const previous = backend().name;
  try {
    useBackend('js');
    const graph = fuzzySimplicialSet(knnExact(x, 15));
    const { a, b } = umapCurve(1, 0.1);
    const { head, tail, period } = layoutEdges(graph, 120);
    const { attraction, repulsion } = coefficientTables(a, b);
    const start = (): UmapEpochState => {
      const rng = new Rng(5);
      const y = new Float32Array(2 * x.rows);
      for (let i = 0; i < y.length; i++) y[i] = rng.uniform(-10, 10);
      const negPeriod = period.map((p) => p / 5);
      const seed = Int32Array.from([rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0]);
      return { y, n: x.rows, head, tail, period, negPeriod, nextSample: period.slice(), nextNeg: negPeriod.slice(), a, b, attraction, repulsion, seed };
    };
    const js = start();
    for (let e = 0; e < 120; e++) layoutEpoch(js, e, 1 - e / 120);
    useBackend('native');
    const be = backend();
    assert.equal(typeof be.umapLayoutEpoch, 'function');
    const native = start();
    for (let e = 0; e < 120; e++) be.umapLayoutEpoch?.(native, e, 1 - e / 120);
    assert.deepEqual(new Uint8Array(native.y.buffer), new Uint8Array(js.y.buffer));
    assert.deepEqual(native.seed, js.seed);
    assert.deepEqual(native.nextNeg, js.nextNeg);
  } finally {
    useBackend(previous);
  }
});

test('umap calls onEpoch once per epoch and uses umap-js’s default epoch counts', () => {
  const { x } = blobs(3, 3, 20);
  const seen: [number, number][] = [];
  umap(x, { rng: new Rng(1), nNeighbors: 5, nEpochs: 7, onEpoch: (epoch, total) => seen.push([epoch, total]) });
  assert.deepEqual(
    seen,
    Array.from({ length: 7 }, (_, i) => [i + 1, 7]),
  );
  let count = 0;
  umap(x, { rng: new Rng(1), nNeighbors: 5, onEpoch: () => count++ });
  assert.equal(count, 500);
  assert.deepEqual([2500, 2501, 5000, 7500, 7501, 70000].map(defaultUmapEpochs), [500, 400, 400, 300, 200, 200]);
});

test('umap names the bad option or input in its errors', () => {
  const { x } = blobs(4, 3, 10);
  const rng = new Rng(0);
  assert.throws(() => umap(x, {} as never), /umap: expected options with a seeded rng/);
  assert.throws(() => umap(x, { rng, nNeighbors: 30 }), /umap: expected nNeighbors to be an integer from 2 to 29 .* got 30/);
  assert.throws(() => umap(x, { rng, nNeighbors: 1 }), /nNeighbors/);
  assert.throws(() => umap(x, { rng, nNeighbors: 2.5 }), /nNeighbors/);
  assert.throws(() => umap(x, { rng, minDist: -0.1 }), /umap: expected minDist from 0 to spread \(1\), got -0\.1/);
  assert.throws(() => umap(x, { rng, minDist: 2 }), /minDist/);
  assert.throws(() => umap(x, { rng, spread: 0 }), /umap: expected spread to be a positive number, got 0/);
  assert.throws(() => umap(x, { rng, nEpochs: 0 }), /umap: expected nEpochs to be a positive integer, got 0/);
  assert.throws(() => umap(x, { rng, nEpochs: 1.5 }), /nEpochs/);
  assert.throws(() => umap(x, { rng, learningRate: NaN }), /umap: expected learningRate to be a positive number, got NaN/);
  assert.throws(() => umap(x, { rng, negativeSampleRate: -1 }), /umap: expected negativeSampleRate to be a non-negative number, got -1/);
  assert.throws(() => umap(x, { rng, onEpoch: 3 as never }), /umap: expected onEpoch to be a function/);
  assert.throws(() => umap(new Tensor(new Float32Array(30), [30]), { rng }), /umap: expected a 2-D \(n × features\) tensor, got shape \[30\]/);
  assert.throws(() => umap(new Tensor(new Float32Array(4), [2, 2]), { rng }), /umap: expected at least 3 rows, got 2/);
  const bad = new Float32Array(x.data);
  bad[7] = NaN;
  assert.throws(() => umap(new Tensor(bad, x.shape), { rng }), /umap: expected finite values, got NaN at row 0, column 7/);
  assert.throws(() => knnExact(x, 0), /knnExact: expected nNeighbors to be an integer from 2 to 29/);
  assert.throws(() => umapCurve(1, 1.5), /umapCurve: expected minDist from 0 to spread \(1\), got 1\.5/);
});
