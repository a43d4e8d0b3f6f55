import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { pca, pcaTransform, symmetricEigen } from './pca.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/pca/pca.json', import.meta.url), 'utf8')) as {
  n: number;
  d: number;
  count: number;
  x: number[];
  components: number[];
  variances: number[];
  explained: number[];
};

test('symmetricEigen: a 2 × 2 case by hand, and A·v = λ·v with orthonormal v on a random 12 × 12', () => {
  const two = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(two.values[0] - 3) < 1e-14 && Math.abs(two.values[1] - 1) < 1e-14);
  assert.ok(Math.abs(Math.abs(two.vectors[0]) - Math.SQRT1_2) < 1e-14 && Math.abs(two.vectors[0] - two.vectors[1]) < 1e-14);

  const m = 12;
  const rng = new Rng(3);
  const S = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) S[i * m + j] = S[j * m + i] = rng.normal();
  const { values, vectors } = symmetricEigen(S, m);
  for (let k = 1; k < m; k++) assert.ok(values[k] <= values[k - 1]);
  for (let k = 0; k < m; k++) {
    for (let r = 0; r < m; r++) {
      let av = 0;
      for (let c = 0; c < m; c++) av += S[r * m + c] * vectors[k * m + c];
      assert.ok(Math.abs(av - values[k] * vectors[k * m + r]) < 1e-12, `row ${r} of A·v${k}`);
    }
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let r = 0; r < m; r++) dot += vectors[k * m + r] * vectors[j * m + r];
      assert.ok(Math.abs(dot - (j === k ? 1 : 0)) < 1e-12);
    }
  }
  assert.throws(() => symmetricEigen(Float64Array.from([1, 2, 3, 1]), 2), /symmetricEigen: expected a symmetric matrix, got S\[1\]\[0\] = 3/);
});

// The covariance is a float32 GEMM over 200 rows of values below ~10 in size: each entry is off by
// at most about n·ε₃₂·max|x|² / (n − 1) ≈ 6·10⁻⁶ relative to the largest variance (9), and the
// variances here are at least 0.8² apart relative, so eigenvalues agree to ~1e-5 relative and
// eigenvectors to ~1e-4 (error / gap); the tolerances are 1e-4 and 1e-3.
for (const name of ['js', 'native', 'wasm'] as const) {
  for (const count of [fixture.count, fixture.d]) {
    test(`pca matches scikit-learn's PCA (${name} backend, ${count} of ${fixture.d} components: ${count < fixture.d ? 'subspace iteration' : 'direct Jacobi'})`, () => {
      withBackend(name, () => {
        const x = new Tensor(Float32Array.from(fixture.x), [fixture.n, fixture.d]);
        const p = pca(x, count, { rng: new Rng(1) });
        assert.equal(p.iterations > 0, count < fixture.d);
        for (let j = 0; j < fixture.count; j++) {
          assert.ok(Math.abs(p.variances[j] / fixture.variances[j] - 1) < 1e-4, `variance ${j}: ${p.variances[j]} vs ${fixture.variances[j]}`);
          assert.ok(Math.abs(p.explained[j] - fixture.explained[j]) < 1e-4);
          for (let q = 0; q < fixture.d; q++) {
            const got = p.components[j * fixture.d + q];
            const want = fixture.components[j * fixture.d + q];
            assert.ok(Math.abs(got - want) < 1e-3, `component ${j}[${q}]: ${got} vs ${want}`);
          }
        }
        // The transform is the centred rows times the components: check one row by hand.
        const t = pcaTransform(p, x);
        assert.deepEqual(t.shape, [fixture.n, count]);
        let want = 0;
        for (let q = 0; q < fixture.d; q++) want += (fixture.x[5 * fixture.d + q] - p.mean[q]) * p.components[q];
        assert.ok(Math.abs(t.data[5 * count] - want) < 1e-4 * Math.max(1, Math.abs(want)));
      });
    });
  }
}

test('pca: the same seed gives the same bytes; bad input names the function and the value', () => {
  const x = new Tensor(Float32Array.from(fixture.x), [fixture.n, fixture.d]);
  const a = pca(x, 4, { rng: new Rng(9) });
  const b = pca(x, 4, { rng: new Rng(9) });
  assert.deepEqual(a.components, b.components);
  assert.throws(() => pca(x, 0, { rng: new Rng(1) }), /pca: expected count to be an integer from 1 to 30 \(the number of columns\), got 0/);
  assert.throws(() => pca(x, 31, { rng: new Rng(1) }), /got 31/);
  assert.throws(() => pca(new Tensor(new Float32Array(3), [1, 3]), 1, { rng: new Rng(1) }), /pca: expected at least 2 rows, got 1/);
  assert.throws(() => pcaTransform(a, new Tensor(new Float32Array(6), [2, 3])), /pcaTransform/);
  const bad = Float32Array.from(fixture.x);
  bad[7] = NaN;
  assert.throws(() => pca(new Tensor(bad, [fixture.n, fixture.d]), 2, { rng: new Rng(1) }), /pca: expected finite values, got a non-finite value in column 7/);
});
