/**
 * clusterLayer against scikit-learn 1.2 (fixture: scripts/fixtures/make_signatures.py, two datasets
 * of well-separated Gaussian blobs with KMeans(n_clusters=k, n_init=10, random_state=0) for
 * k = 2 … 6), and its options, sampling and step events.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { silhouetteScore } from '../cluster/silhouette.js';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { clusterLayer, clusterLayerSteps, type LayerClusterEvent, type LayerClustering } from './layer-clusters.js';

interface SignatureCase {
  name: string;
  shape: [number, number];
  x: number[];
  labels_true: number[];
  best_k: number;
  curve: { k: number; silhouette: number; silhouette_f32_spread: number; inertia: number; labels: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/signatures/signatures.json', import.meta.url), 'utf8')) as { cases: SignatureCase[] };

/**
 * Silhouettes: relative 1e-6. scikit-learn computes the distances in float64, we compute
 * ‖x‖² − 2x·y + ‖y‖² in float32 (a GEMM on centred rows); on the same labels the two differ by the
 * float32 rounding of the distances alone. The script measures how far that rounding moves each
 * silhouette (`silhouette_f32_spread`: a numpy float32 GEMM run, ≤ 1.5e-7 here) and the test checks
 * that 1e-6 is at least 4× that spread, so a correct float32 computation (another BLAS kernel,
 * another summation order) stays inside it while a wrong formula (a missing −1 in a(i)'s count,
 * squared distances, a wrong b(i)) moves the score by 1e-3 or more.
 */
const SILHOUETTE_TOL = 1e-6;
/**
 * Inertias: relative 1e-9. The blobs are well separated (every row at least 2.3× nearer its own
 * blob's mean than any other's), so at the chosen k every good k-means start reaches the same
 * optimum, the blobs: the test asserts that our partition is scikit-learn's. With the same
 * partition the inertia differs only by our centroids being rounded to float32, and since the
 * centroid is the minimiser of its cluster's Σ‖x − c‖², that error enters to second order
 * (n·d·(2⁻²⁴·|c|)² ≈ 1e-10 absolute here, against inertias of 200 – 3000).
 */
const INERTIA_TOL = 1e-9;

function rel(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tol, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)} > ${tol})`);
}

/** Whether two labelings are the same partition (equal up to renaming the clusters). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

/** 3 blobs of 20 rows in 4-D, centres 10 apart. */
function blobs(seed = 1, perBlob = 20): Tensor {
  const rng = new Rng(seed);
  const centres = [
    [0, 0, 0, 0],
    [10, 0, 0, 0],
    [0, 10, 0, 0],
  ];
  const rows: number[][] = [];
  for (const c of centres) for (let i = 0; i < perBlob; i++) rows.push(c.map((v) => v + rng.normal()));
  return Tensor.fromRows(rows);
}

describe('clusterLayer agrees with scikit-learn on well-separated blobs', () => {
  for (const f of fixture.cases) {
    const x = Tensor.from(f.x, f.shape);

    for (const be of ['js', 'native', 'wasm'] as const) {
      test(`${f.name}: our silhouette of scikit-learn's labels is scikit-learn's, k = 2 … 6 (${be} backend)`, () => {
        withBackend(be, () => {
          for (const p of f.curve) {
            assert.ok(4 * p.silhouette_f32_spread <= SILHOUETTE_TOL, `k = ${p.k}: float32 spread ${p.silhouette_f32_spread} is too large for the tolerance`);
            rel(silhouetteScore(x, Int32Array.from(p.labels)), p.silhouette, SILHOUETTE_TOL, `k = ${p.k} silhouette`);
          }
        });
      });
    }

    for (const seed of [0, 1, 2]) {
      test(`${f.name}: the chosen k is scikit-learn's best k (${f.best_k}), with its partition, silhouette and inertia (seed ${seed})`, () => {
        const r = clusterLayer(x, { rng: new Rng(seed), kRange: [2, 6] });
        assert.equal(r.k, f.best_k);
        const sk = f.curve.find((p) => p.k === r.k);
        assert.ok(sk !== undefined);
        assert.ok(samePartition(r.labels, sk.labels), 'our partition differs from scikit-learn’s');
        assert.ok(samePartition(r.labels, f.labels_true), 'the chosen clusters are not the blobs');
        rel(r.silhouette, sk.silhouette, SILHOUETTE_TOL, 'silhouette of our labels');
        rel(r.inertia, sk.inertia, INERTIA_TOL, 'inertia');
        assert.deepEqual(
          r.curve.map((p) => p.k),
          [2, 3, 4, 5, 6],
        );
        assert.equal(Math.max(...r.curve.map((p) => p.silhouette)), r.silhouette);
        assert.equal(r.silhouetteSample, f.shape[0]);
      });
    }
  }
});

describe('clusterLayer', () => {
  test('a fixed k gives exactly the row of k of the auto run with the same seed', () => {
    const x = blobs();
    const auto = clusterLayer(x, { rng: new Rng(7), kRange: [2, 5] });
    for (const k of [2, 3, 4, 5]) {
      const fixed = clusterLayer(x, { rng: new Rng(7), k });
      assert.equal(fixed.k, k);
      assert.deepEqual(fixed.curve, [auto.curve[k - 2]]);
      assert.equal(fixed.silhouette, silhouetteScore(x, fixed.labels));
      if (k === auto.k) assert.deepEqual(fixed.labels, auto.labels);
    }
    assert.equal(auto.k, 3);
    assert.deepEqual(auto.centroids.shape, [3, 4]);
  });

  test('is deterministic for a seed, and the default kRange is [2, 10]', () => {
    const x = blobs(2);
    const a = clusterLayer(x, { rng: new Rng(3) });
    const b = clusterLayer(x, { rng: new Rng(3) });
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.curve.map((p) => p.k),
      [2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });

  test('silhouetteSample: the exact silhouette of one seeded sample of rows, recorded in the result', () => {
    const x = blobs(4, 40);
    const r = clusterLayer(x, { rng: new Rng(11), k: 3, silhouetteSample: 50 });
    assert.equal(r.silhouetteSample, 50);
    // The documented draws: one fork (the k-means generators), then rng.sample(n, size).
    const rng = new Rng(11);
    rng.fork();
    const idx = rng.sample(x.rows, 50);
    const sub = Tensor.fromRows(Array.from(idx, (i) => x.toRows()[i]));
    assert.equal(
      r.silhouette,
      silhouetteScore(
        sub,
        Int32Array.from(idx, (i) => r.labels[i]),
      ),
    );
    // The same clustering as without sampling; only the silhouette is estimated.
    const exact = clusterLayer(x, { rng: new Rng(11), k: 3 });
    assert.deepEqual(r.labels, exact.labels);
    assert.equal(exact.silhouetteSample, 120);
    assert.ok(Math.abs(r.silhouette - exact.silhouette) < 0.05);
    // A sample of n rows or more is the exact silhouette.
    assert.deepEqual(clusterLayer(x, { rng: new Rng(11), k: 3, silhouetteSample: 500 }), exact);
  });

  test('clusterLayerSteps yields an event per k-means, then one per k with its silhouette, and returns what clusterLayer returns', () => {
    const x = blobs();
    const it = clusterLayerSteps(x, { rng: new Rng(5), kRange: [2, 5], restarts: 3 });
    const events: LayerClusterEvent[] = [];
    let result: LayerClustering;
    for (;;) {
      const s = it.next();
      if (s.done === true) {
        result = s.value;
        break;
      }
      events.push(s.value);
    }
    assert.deepEqual(
      events.map((e) => [e.type, e.k, e.step, e.total]),
      [
        ['kmeans', 2, 1, 4],
        ['kmeans', 3, 2, 4],
        ['kmeans', 4, 3, 4],
        ['kmeans', 5, 4, 4],
        ['k', 2, 1, 4],
        ['k', 3, 2, 4],
        ['k', 4, 3, 4],
        ['k', 5, 4, 4],
      ],
    );
    const scored = events.filter((e) => e.type === 'k');
    assert.deepEqual(
      scored.map((e) => e.best),
      [true, true, false, false],
    );
    assert.deepEqual(
      scored.map((e) => ({ k: e.k, silhouette: e.silhouette, inertia: e.inertia })),
      result.curve,
    );
    // The k-means events carry the same inertia as the scored ones, before any silhouette.
    assert.deepEqual(
      events.filter((e) => e.type === 'kmeans').map((e) => e.inertia),
      result.curve.map((p) => p.inertia),
    );
    assert.ok(events.every((e) => e.iterations >= 1 && e.ms >= 0));
    assert.deepEqual(result, clusterLayer(x, { rng: new Rng(5), kRange: [2, 5], restarts: 3 }));
  });

  test('bad options are errors naming the function and the value', () => {
    const x = blobs(); // 60 rows
    const rng = new Rng(0);
    assert.throws(() => clusterLayer(x, { rng, k: 1 }), {
      name: 'RangeError',
      message: "clusterLayer: expected k to be 'auto' or an integer ≥ 2 (a silhouette needs 2 clusters), got 1",
    });
    assert.throws(() => clusterLayer(x, { rng, k: 2.5 }), /clusterLayer: expected k to be 'auto' or an integer ≥ 2 .*got 2\.5/);
    assert.throws(() => clusterLayer(x, { rng, k: 'best' as unknown as number }), /got "best"/);
    assert.throws(() => clusterLayer(x, { rng, k: 60 }), /clusterLayer: k = 60 needs at least 61 rows \(k ≤ n − 1 for a silhouette\), got 60/);
    assert.throws(() => clusterLayer(x, { rng, kRange: [5, 3] }), /clusterLayer: expected kRange \[low, high\] with low ≤ high, got \[5, 3\]/);
    assert.throws(() => clusterLayer(x, { rng, kRange: [1, 3] }), /clusterLayer: expected kRange to start at k ≥ 2 .*got \[1, 3\]/);
    assert.throws(() => clusterLayer(x, { rng, kRange: [2, 70] }), /clusterLayer: kRange \[2, 70\] reaches k = 70, which needs at least 71 rows .*got 60/);
    assert.throws(
      () => clusterLayer(x, { rng, kRange: [2] as unknown as [number, number] }),
      /clusterLayer: expected kRange to be \[low, high\] with integers, got \[2\]/,
    );
    assert.throws(() => clusterLayer(x, { rng, restarts: 0 }), /clusterLayer: expected restarts to be a positive integer, got 0/);
    assert.throws(
      () => clusterLayer(x, { rng, silhouetteSample: 10 }),
      /clusterLayer: expected silhouetteSample to be an integer > 10 \(the largest k tried\), got 10/,
    );
    assert.throws(() => clusterLayer(x, { rng: undefined as unknown as Rng }), { name: 'TypeError', message: /clusterLayer: expected rng to be an Rng/ });
    assert.throws(() => clusterLayer(Tensor.zeros([12]), { rng }), /clusterLayer: expected a 2-D/);
    assert.throws(() => clusterLayer(Tensor.zeros([8, 2]), { rng }), /kRange \[2, 10\] reaches k = 10, which needs at least 11 rows/);
  });
});
