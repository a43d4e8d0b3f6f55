import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanAbsoluteError, meanSquaredError, r2Score, regressionMetrics, rootMeanSquaredError } from './regression.js';

test('regression metrics by hand', () => {
  // errors ŷ − y: 1, −2, 0, 1 → MAE 4/4 = 1, MSE 6/4 = 1.5; ȳ = 2.5, Σ(y − ȳ)² = 5 → R² = 1 − 6/5 = −0.2
  const y = [1, 2, 3, 4];
  const p = Float32Array.from([2, 0, 3, 5]);
  assert.equal(meanAbsoluteError(y, p), 1);
  assert.equal(meanSquaredError(y, p), 1.5);
  assert.equal(rootMeanSquaredError(y, p), Math.sqrt(1.5));
  assert.ok(Math.abs(r2Score(y, p) - -0.2) < 1e-15);
  assert.deepEqual(regressionMetrics(y, p), { mae: 1, mse: 1.5, rmse: Math.sqrt(1.5), r2: r2Score(y, p) });
  assert.equal(r2Score(y, y), 1);
  assert.ok(Number.isNaN(r2Score([3, 3], [3, 4])), 'a constant target has no variance to explain');
});

test('regression metrics refuse mismatched, empty or non-finite input', () => {
  assert.throws(() => meanAbsoluteError([1, 2], [1]), /meanAbsoluteError: expected as many predictions as true values, got 1 and 2/);
  assert.throws(() => meanSquaredError([], []), /meanSquaredError: expected at least one value, got 0/);
  assert.throws(() => regressionMetrics([1, 2], [1, NaN]), /regressionMetrics: expected finite predictions, got NaN at index 1/);
  assert.throws(() => r2Score([Infinity], [1]), /r2Score: expected finite true values, got Infinity at index 0/);
});
