import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { silhouetteSamples, silhouetteScore } from './silhouette.js';

interface SilhouetteFixture {
  name: string;
  x: number[];
  shape: [number, number];
  labels: number[];
  samples: number[];
  score: number;
}
const fixtures = (JSON.parse(readFileSync(new URL('../../test/fixtures/sklearn/silhouette.json', import.meta.url), 'utf8')) as { cases: SilhouetteFixture[] })
  .cases;

/** Straightforward float64 silhouette (per-pair loops), for checking the blocked GEMM version. */
function naive(x: Tensor, labels: Int32Array): Float64Array {
  const n = x.rows;
  const d = x.cols;
  const out = new Float64Array(n);
  const ids = [...new Set(labels)];
  for (let i = 0; i < n; i++) {
    const sum = new Map<number, number>(ids.map((l) => [l, 0]));
    const cnt = new Map<number, number>(ids.map((l) => [l, 0]));
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (x.data[i * d + q] - x.data[j * d + q]) ** 2;
      sum.set(labels[j], (sum.get(labels[j]) ?? 0) + Math.sqrt(s));
      cnt.set(labels[j], (cnt.get(labels[j]) ?? 0) + 1);
    }
    const own = labels[i];
    const c = cnt.get(own) ?? 0;
    if (c === 1) continue;
    const a = (sum.get(own) ?? 0) / (c - 1);
    let b = Infinity;
    for (const l of ids) if (l !== own) b = Math.min(b, (sum.get(l) ?? 0) / (cnt.get(l) ?? 1));
    out[i] = (b - a) / Math.max(a, b);
  }
  return out;
}

describe('silhouette agrees with scikit-learn 1.2 to 1e-6', () => {
  for (const be of ['js', 'native', 'wasm'] as const) {
    for (const f of fixtures) {
      test(`${f.name} on the ${be} backend`, () => {
        withBackend(be, () => {
          const x = Tensor.from(f.x, f.shape);
          const labels = Int32Array.from(f.labels);
          const s = silhouetteSamples(x, labels);
          for (let i = 0; i < s.length; i++) assert.ok(Math.abs(s[i] - f.samples[i]) <= 1e-6, `sample ${i}: ${s[i]} vs ${f.samples[i]}`);
          assert.ok(Math.abs(silhouetteScore(x, labels) - f.score) <= 1e-6);
        });
      });
    }
  }
});

test('a hand-computed case: two pairs of points on a line', () => {
  // x = 0, 1 (cluster 0) and 4, 6 (cluster 1).
  // Row 0: a = 1, b = (4 + 6)/2 = 5 → s = 4/5.   Row 1: a = 1, b = (3 + 5)/2 = 4 → s = 3/4.
  // Row 2: a = 2, b = (4 + 3)/2 = 3.5 → s = 1.5/3.5 = 3/7.   Row 3: a = 2, b = (6 + 5)/2 = 5.5 → s = 3.5/5.5 = 7/11.
  const s = silhouetteSamples(Tensor.fromRows([[0], [1], [4], [6]]), Int32Array.from([0, 0, 1, 1]));
  const expected = [4 / 5, 3 / 4, 3 / 7, 7 / 11];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(s[i] - expected[i]) < 1e-7, `row ${i}: ${s[i]} vs ${expected[i]}`);
});

test('rows alone in their cluster get 0, and identical clusters (a = b = 0) get 0 rather than NaN', () => {
  const s = silhouetteSamples(Tensor.fromRows([[0], [0], [5]]), Int32Array.from([3, 3, 9]));
  assert.deepEqual(Array.from(s), [1, 1, 0]);
  const t = silhouetteSamples(Tensor.fromRows([[2], [2], [2], [2]]), Int32Array.from([0, 0, 1, 1]));
  assert.deepEqual(Array.from(t), [0, 0, 0, 0]);
});

test('several row blocks give the same values as a float64 per-pair computation', () => {
  // n = 2500 > 2^22 / n rows per block, so the distances come in two blocks.
  const rng = new Rng(8);
  const n = 2500;
  const x = new Tensor(rng.fillNormal(new Float32Array(n * 2)), [n, 2]);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = x.data[i * 2] > 0.3 ? 1 : x.data[i * 2 + 1] > 0 ? 2 : 0;
  const s = silhouetteSamples(x, labels);
  const ref = naive(x, labels);
  for (let i = 0; i < n; i += 7) assert.ok(Math.abs(s[i] - ref[i]) <= 1e-5, `row ${i}: ${s[i]} vs ${ref[i]}`);
});

test('silhouetteScore with sampleSize draws distinct rows through the rng: all rows give the exact score', () => {
  const rng = new Rng(2);
  const x = new Tensor(rng.fillNormal(new Float32Array(120 * 3)), [120, 3]);
  const labels = Int32Array.from({ length: 120 }, (_, i) => i % 3);
  const exact = silhouetteScore(x, labels);
  assert.ok(Math.abs(silhouetteScore(x, labels, { sampleSize: 120, rng: new Rng(1) }) - exact) < 1e-12);
  const a = silhouetteScore(x, labels, { sampleSize: 50, rng: new Rng(1) });
  assert.equal(silhouetteScore(x, labels, { sampleSize: 50, rng: new Rng(1) }), a);
  assert.notEqual(a, exact);
});

test('silhouette rejects one label, n labels, a missing rng and mismatched lengths', () => {
  const x = Tensor.fromRows([[0], [1], [2]]);
  assert.throws(() => silhouetteSamples(x, Int32Array.from([1, 1, 1])), /silhouetteSamples: expected between 2 and 2 distinct labels \(n − 1\), got 1/);
  assert.throws(() => silhouetteSamples(x, Int32Array.from([0, 1, 2])), /got 3/);
  assert.throws(() => silhouetteSamples(x, Int32Array.from([0, 1])), /silhouetteSamples: expected 3 labels \(one per row\), got 2/);
  assert.throws(() => silhouetteScore(x, Int32Array.from([0, 0, 1]), { sampleSize: 3 }), /silhouetteScore: sampleSize needs an rng/);
  assert.throws(
    () => silhouetteScore(x, Int32Array.from([0, 0, 1]), { sampleSize: 4, rng: new Rng(0) }),
    /expected sampleSize to be an integer between 3 and 3/,
  );
  assert.throws(() => silhouetteSamples(Tensor.fromRows([[0], [NaN], [1]]), Int32Array.from([0, 0, 1])), /expected finite values in x/);
});
