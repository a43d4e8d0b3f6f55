import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { kmeans, kmeansPredict, kmeansSteps, type KMeansEvent, type KMeansResult } from './kmeans.js';
import { kmeansPlusPlus, plusPlusTrials } from './kmeans-init.js';

interface KMeansFixture {
  name: string;
  x: number[];
  shape: [number, number];
  init: number[];
  k: number;
  max_iter: number;
  tol: number;
  labels: number[];
  centroids: number[];
  inertia: number;
  n_iter: number;
}
interface PlusPlusFixture {
  name: string;
  x: number[];
  shape: [number, number];
  k: number;
  inertia: number;
}

const load = <T>(file: string): T[] =>
  (JSON.parse(readFileSync(new URL(`../../test/fixtures/sklearn/${file}`, import.meta.url), 'utf8')) as { cases: T[] }).cases;
const fixtures = load<KMeansFixture>('kmeans.json');
const plusPlus = load<PlusPlusFixture>('kmeanspp.json');
const BACKENDS = ['js', 'native', 'wasm'] as const;

/** |a − b| ≤ tol · max(1, |b|) element-wise. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (error ${err})`);
  }
}

/** Sum of squared distances to the assigned centroids, in float64, for checking reported inertias. */
function inertiaOf(x: Tensor, c: Tensor, labels: Int32Array): number {
  const d = x.cols;
  let s = 0;
  for (let i = 0; i < x.rows; i++) for (let q = 0; q < d; q++) s += (x.data[i * d + q] - c.data[labels[i] * d + q]) ** 2;
  return s;
}

describe('kmeans from an explicit init agrees with scikit-learn 1.2 (labels, centroids, inertia, iterations)', () => {
  for (const be of BACKENDS) {
    for (const algorithm of ['hamerly', 'lloyd'] as const) {
      for (const f of fixtures) {
        test(`${f.name}, ${algorithm}, on the ${be} backend`, () => {
          withBackend(be, () => {
            const x = Tensor.from(f.x, f.shape);
            const init = Tensor.from(f.init, [f.k, f.shape[1]]);
            const r = kmeans(x, f.k, { rng: new Rng(0), init, maxIter: f.max_iter, tol: f.tol, algorithm });
            assert.deepEqual(Array.from(r.labels), f.labels);
            assertClose(r.centroids.data, f.centroids, 1e-6, 'centroids');
            assert.ok(Math.abs(r.inertia - f.inertia) <= 1e-6 * f.inertia, `inertia ${r.inertia} vs ${f.inertia}`);
            assert.equal(r.iterations, f.n_iter);
            assert.equal(r.converged, f.n_iter < f.max_iter);
            assert.equal(r.restart, 0);
          });
        });
      }
    }
  }
});

describe('kmeans with k-means++ finds an inertia as low as scikit-learn on well-separated blobs', () => {
  for (const be of BACKENDS) {
    for (const f of plusPlus) {
      test(`${f.name} on the ${be} backend`, () => {
        withBackend(be, () => {
          const x = Tensor.from(f.x, f.shape);
          const r = kmeans(x, f.k, { rng: new Rng(3) });
          assert.ok(r.inertia <= f.inertia * (1 + 1e-6), `inertia ${r.inertia} vs scikit-learn's ${f.inertia}`);
          assert.ok(Math.abs(r.inertia - inertiaOf(x, r.centroids, r.labels)) <= 1e-9 * r.inertia, 'the inertia is that of the returned labels and centroids');
          assert.equal(r.converged, true);
        });
      });
    }
  }
});

test('a hand-computed case: four points on a line, two clusters, one Lloyd step to the answer', () => {
  // x = 0, 1, 10, 11; init centroids 0 and 1. Assignment: {0} → c0, {1, 10, 11} → c1 (10 is nearer 1 than 0).
  // Update: c0 = 0, c1 = 22/3. Second assignment: 1 → c0 (|1−0| < |1−7.33|): c0 = 0.5, c1 = 10.5.
  // Third assignment changes nothing. Inertia = 4 · 0.25 = 1.
  const x = Tensor.fromRows([[0], [1], [10], [11]]);
  const r = kmeans(x, 2, { rng: new Rng(0), init: Tensor.fromRows([[0], [1]]) });
  assert.deepEqual(Array.from(r.labels), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(r.centroids.data), [0.5, 10.5]);
  assert.equal(r.inertia, 1);
  assert.equal(r.iterations, 3);
  assert.equal(r.converged, true);
});

test('the same seed gives an identical result, and another seed may pick other centres', () => {
  const rng = new Rng(9);
  const x = new Tensor(rng.fillNormal(new Float32Array(300 * 4)), [300, 4]);
  const a = kmeans(x, 6, { rng: new Rng(1), restarts: 3 });
  const b = kmeans(x, 6, { rng: new Rng(1), restarts: 3 });
  assert.deepEqual(a, b);
  const seeds = kmeansPlusPlus(x, 6, { rng: new Rng(1) }).indices;
  const other = kmeansPlusPlus(x, 6, { rng: new Rng(2) }).indices;
  assert.notDeepEqual(Array.from(seeds), Array.from(other));
});

test('kmeans keeps the restart with the lowest inertia and reports which one', () => {
  const rng = new Rng(4);
  const x = new Tensor(rng.fillNormal(new Float32Array(200 * 3)), [200, 3]);
  const events = [...iterate(kmeansSteps(x, 8, { rng: new Rng(5), restarts: 4, init: 'random' }))];
  const ends = events.filter((e): e is Extract<KMeansEvent, { kind: 'restart' }> => e.kind === 'restart');
  assert.equal(ends.length, 4);
  const r = kmeans(x, 8, { rng: new Rng(5), restarts: 4, init: 'random' });
  const lowest = Math.min(...ends.map((e) => e.inertia));
  assert.equal(r.inertia, lowest);
  assert.equal(ends[r.restart].inertia, lowest);
  assert.equal(
    ends.findIndex((e) => e.inertia === lowest),
    r.restart,
  );
});

function* iterate<T, R>(g: Generator<T, R>): Generator<T> {
  for (;;) {
    const r = g.next();
    if (r.done === true) return;
    yield r.value;
  }
}

test('kmeansSteps yields an init event, one event per Lloyd iteration and a restart summary, and returns the fit', () => {
  const x = Tensor.fromRows([[0], [1], [10], [11]]);
  const g = kmeansSteps(x, 2, { rng: new Rng(0), init: Tensor.fromRows([[0], [1]]) });
  const kinds: string[] = [];
  let initCentroids: number[] = [];
  let result;
  for (;;) {
    const r = g.next();
    if (r.done === true) {
      result = r.value;
      break;
    }
    // The event's centroids are a view that later steps overwrite: copy what is kept.
    if (r.value.kind === 'init') initCentroids = Array.from(r.value.centroids.data);
    kinds.push(r.value.kind === 'iteration' ? `iteration ${r.value.iteration} changed ${r.value.changed}` : r.value.kind);
  }
  assert.deepEqual(kinds, ['init', 'iteration 1 changed 4', 'iteration 2 changed 1', 'iteration 3 changed 0', 'restart']);
  assert.deepEqual(initCentroids, [0, 1]);
  assert.equal(result.iterations, 3);
});

test('chunked assignment gives the same fit as a single block of rows', () => {
  const rng = new Rng(6);
  const x = new Tensor(rng.fillNormal(new Float32Array(500 * 5)), [500, 5]);
  const whole = kmeans(x, 7, { rng: new Rng(8), restarts: 2, chunkRows: 500 });
  const chunked = kmeans(x, 7, { rng: new Rng(8), restarts: 2, chunkRows: 37 });
  assert.deepEqual(chunked.labels, whole.labels);
  assert.deepEqual(chunked.centroids, whole.centroids);
  assert.equal(chunked.inertia, whole.inertia);
});

test('the js and native backends give the same k-means++ fit', () => {
  const rng = new Rng(12);
  const x = new Tensor(rng.fillNormal(new Float32Array(400 * 6)), [400, 6]);
  const a = withBackend('js', () => kmeans(x, 5, { rng: new Rng(2), restarts: 2 }));
  const b = withBackend('native', () => kmeans(x, 5, { rng: new Rng(2), restarts: 2 }));
  assert.deepEqual(b.labels, a.labels);
  assertClose(b.centroids.data, a.centroids.data, 1e-6, 'centroids');
  assert.ok(Math.abs(a.inertia - b.inertia) <= 1e-9 * a.inertia);
});

test('kmeansPredict assigns each row to the nearest centroid, matching the fitted labels', () => {
  const rng = new Rng(21);
  const x = new Tensor(rng.fillNormal(new Float32Array(250 * 3)), [250, 3]);
  const r = kmeans(x, 4, { rng: new Rng(1) });
  assert.deepEqual(kmeansPredict(r.centroids, x), r.labels);
  assert.deepEqual(
    Array.from(
      kmeansPredict(
        Tensor.fromRows([
          [0, 0],
          [10, 10],
        ]),
        Tensor.fromRows([
          [9, 9],
          [1, -1],
          [5.1, 5],
        ]),
      ),
    ),
    [1, 0, 1],
  );
  assert.throws(() => kmeansPredict(r.centroids, Tensor.zeros([2, 5])), /kmeansPredict: expected 3 features \(the centroids' width\), got 5/);
});

test('k = n puts every row in its own cluster with zero inertia; k = 1 gives the mean', () => {
  const x = Tensor.fromRows([
    [0, 0],
    [1, 0],
    [0, 2],
    [5, 5],
  ]);
  const all = kmeans(x, 4, { rng: new Rng(0), restarts: 2 });
  assert.equal(new Set(all.labels).size, 4);
  assert.equal(all.inertia, 0);
  const one = kmeans(x, 1, { rng: new Rng(0), restarts: 1 });
  assert.deepEqual(Array.from(one.centroids.data), [1.5, 1.75]);
  assert.deepEqual(Array.from(one.labels), [0, 0, 0, 0]);
});

test('duplicate rows leave k-means++ no distinct candidates: empty clusters are relocated and the fit still completes', () => {
  const x = Tensor.fromRows([
    [1, 1],
    [1, 1],
    [1, 1],
    [1, 1],
    [2, 2],
  ]);
  const r = kmeans(x, 3, { rng: new Rng(0), restarts: 3 });
  assert.equal(r.inertia, 0);
  assert.equal(r.labels.length, 5);
});

test('kmeans rejects a bad k, non-finite data, bad options and a mis-shaped init, naming what it got', () => {
  const x = Tensor.fromRows([[0], [1], [2]]);
  const rng = new Rng(0);
  assert.throws(() => kmeans(x, 0, { rng }), /kmeans: expected k between 1 and 3 \(the number of rows\), got 0/);
  assert.throws(() => kmeans(x, 4, { rng }), /kmeans: expected k between 1 and 3 \(the number of rows\), got 4/);
  assert.throws(() => kmeans(x, 1.5, { rng }), /got 1\.5/);
  assert.throws(() => kmeans(Tensor.fromRows([[0], [NaN], [2]]), 2, { rng }), /kmeans: expected finite values in x, got NaN at row 1, column 0/);
  assert.throws(() => kmeans(Tensor.fromRows([[0], [Infinity], [2]]), 2, { rng }), /got Infinity at row 1/);
  assert.throws(() => kmeans(x, 2, { rng, restarts: 0 }), /kmeans: expected restarts to be an integer ≥ 1, got 0/);
  assert.throws(() => kmeans(x, 2, { rng, maxIter: 0 }), /kmeans: expected maxIter to be an integer ≥ 1, got 0/);
  assert.throws(() => kmeans(x, 2, { rng, tol: -1 }), /kmeans: expected tol to be a finite number ≥ 0, got -1/);
  assert.throws(() => kmeans(x, 2, { rng, init: Tensor.zeros([3, 1]) }), /kmeans: expected an init of shape \[2, 1\] \(k × features\), got \[3, 1\]/);
  assert.throws(() => kmeans(x, 2, { rng, init: 'kmeans' as 'random' }), /kmeans: expected init 'k-means\+\+', 'random' or a \[2, 1\] Tensor, got "kmeans"/);
  assert.throws(() => kmeans(x, 2, {} as { rng: Rng }), /kmeans: expected options with an rng/);
  assert.throws(() => kmeans(Tensor.zeros([6]), 2, { rng }), /kmeans: expected a 2-D/);
  assert.throws(() => kmeans(x, 2, { rng, algorithm: 'elkan' as 'lloyd' }), /kmeans: expected algorithm 'hamerly' or 'lloyd', got "elkan"/);
  assert.throws(() => kmeans(x, 2, { rng, chunkRows: 0 }), /kmeans: expected chunkRows to be an integer ≥ 1, got 0/);
});

test('an explicit init runs once whatever restarts says (every run would be the same)', () => {
  const x = Tensor.fromRows([[0], [1], [10], [11]]);
  const events = [...iterate(kmeansSteps(x, 2, { rng: new Rng(0), restarts: 5, init: Tensor.fromRows([[0], [1]]) }))];
  assert.equal(events.filter((e) => e.kind === 'init').length, 1);
});

test('k-means++ uses 2 + ⌊ln k⌋ local trials and returns k distinct rows on distinct data', () => {
  assert.deepEqual([1, 2, 3, 8, 64].map(plusPlusTrials), [2, 2, 3, 4, 6]);
  const rng = new Rng(30);
  const x = new Tensor(rng.fillNormal(new Float32Array(100 * 2)), [100, 2]);
  const { centroids, indices } = kmeansPlusPlus(x, 10, { rng: new Rng(1) });
  assert.equal(new Set(indices).size, 10);
  assert.deepEqual(Array.from(centroids.data.subarray(2, 4)), Array.from(x.data.subarray(indices[1] * 2, indices[1] * 2 + 2)));
});

test('the Hamerly bounds skip work but not iterations: same labels, centroids and iteration counts as plain Lloyd', () => {
  const rng = new Rng(77);
  // Overlapping blobs, so that many rows stay near a boundary for many iterations.
  const n = 1500;
  const d = 5;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) data[i * d + q] = rng.normal() + (i % 7) * 0.6 * ((q + i) % 2);
  const x = new Tensor(data, [n, d]);
  for (const be of BACKENDS) {
    withBackend(be, () => {
      for (const init of ['k-means++', 'random'] as const) {
        const lloyd = kmeans(x, 12, { rng: new Rng(4), restarts: 3, init, algorithm: 'lloyd', chunkRows: 400 });
        const hamerly = kmeans(x, 12, { rng: new Rng(4), restarts: 3, init, algorithm: 'hamerly', chunkRows: 400 });
        assert.deepEqual(hamerly.labels, lloyd.labels);
        assert.deepEqual(hamerly.centroids, lloyd.centroids);
        assert.equal(hamerly.iterations, lloyd.iterations);
        assert.ok(lloyd.iterations > 10, `a test worth having needs many iterations, got ${lloyd.iterations}`);
      }
    });
  }
  // The bounds did settle rows: later iterations computed distances for only part of them.
  const computed = [...iterate(kmeansSteps(x, 12, { rng: new Rng(4), restarts: 1 }))].flatMap((e) => (e.kind === 'iteration' ? [e.computed] : []));
  assert.equal(computed[0], n);
  assert.ok(Math.min(...computed) < n / 4, `fewest rows computed in an iteration: ${Math.min(...computed)} of ${n}`);
  const plain = [...iterate(kmeansSteps(x, 12, { rng: new Rng(4), restarts: 1, algorithm: 'lloyd' }))].flatMap((e) =>
    e.kind === 'iteration' ? [e.computed] : [],
  );
  assert.ok(plain.every((c) => c === n));
});

test('each iteration event reports the inertia of its labels against their means', () => {
  const rng = new Rng(5);
  const x = new Tensor(rng.fillNormal(new Float32Array(300 * 3)), [300, 3]);
  let last = Infinity;
  for (const e of iterate(kmeansSteps(x, 5, { rng: new Rng(1), restarts: 1 }))) {
    if (e.kind !== 'iteration') continue;
    // Lloyd never increases the inertia.
    assert.ok(e.inertia <= last * (1 + 1e-9), `iteration ${e.iteration}: ${e.inertia} after ${last}`);
    last = e.inertia;
  }
  const r = kmeans(x, 5, { rng: new Rng(1), restarts: 1 });
  assert.ok(Math.abs(last - r.inertia) <= 1e-6 * r.inertia, `${last} vs ${r.inertia}`);
});

test('Hamerly matches Lloyd bitwise when the active rows span several row blocks, chunks and threads', () => {
  // sqDistancesRows computes the active rows (up to 90 % of them; above, every row) in blocks of
  // 49152/d rows rounded down to a multiple of 48 (1536 at d = 32) shared between threads;
  // chunkRows 1000 splits both algorithms' passes.
  const rng = new Rng(78);
  const n = 8000;
  const d = 32;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) data[i * d + q] = rng.normal() + (i % 9) * 0.35 * (((q * 7 + i) % 3) - 1);
  const x = new Tensor(data, [n, d]);
  for (const be of BACKENDS) {
    withBackend(be, () => {
      for (const chunkRows of [1000, undefined]) {
        const lloyd = kmeans(x, 10, { rng: new Rng(6), restarts: 2, algorithm: 'lloyd', chunkRows });
        const hamerly = kmeans(x, 10, { rng: new Rng(6), restarts: 2, algorithm: 'hamerly', chunkRows });
        assert.deepEqual(hamerly, lloyd, `${be}, chunkRows ${chunkRows}`);
        assert.ok(lloyd.iterations > 10, `a test worth having needs many iterations, got ${lloyd.iterations}`);
      }
    });
  }
  const computed = [...iterate(kmeansSteps(x, 10, { rng: new Rng(6), restarts: 2 }))].flatMap((e) =>
    e.kind === 'iteration' && e.iteration > 1 ? [e.computed] : [],
  );
  assert.ok(
    computed.some((c) => c > 2 * 1536 && c < n),
    `some pruned iteration needs more than two blocks of rows: ${computed.join(' ')}`,
  );
  assert.ok(Math.min(...computed) < n / 4, `fewest rows computed in an iteration: ${Math.min(...computed)} of ${n}`);
});

test('calls that reuse (or, running side by side, do not share) the work arrays give the same fits as fresh ones', () => {
  const rng = new Rng(91);
  const a = new Tensor(rng.fillNormal(new Float32Array(700 * 6)), [700, 6]);
  const b = new Tensor(rng.fillNormal(new Float32Array(450 * 9)), [450, 9]);
  const fitA = (): KMeansResult => kmeans(a, 7, { rng: new Rng(1), restarts: 2 });
  const fitB = (): KMeansResult => kmeans(b, 4, { rng: new Rng(2), restarts: 2, algorithm: 'lloyd' });
  const a1 = fitA();
  const b1 = fitB(); // reuses arrays sized for a
  const a2 = fitA(); // and for b
  assert.deepEqual(a2, a1);
  // A generator holds its arrays while suspended: a call in between gets others.
  const g = kmeansSteps(a, 7, { rng: new Rng(1), restarts: 2 });
  for (let i = 0; i < 4; i++) g.next();
  const b2 = fitB();
  let r = g.next();
  while (r.done !== true) r = g.next();
  assert.deepEqual(r.value, a1);
  assert.deepEqual(b2, b1);
});
