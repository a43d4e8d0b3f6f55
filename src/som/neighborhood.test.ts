import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decayValue, checkDecay } from './decay.js';
import { neighborhood, neighborhoodMatrix, neighborhoodWeights } from './neighborhood.js';
import { Topology } from './topology.js';

function near(a: number, b: number, tol = 1e-12): void {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}

test('the Gaussian is seed 000’s exp(−d²/T²), without the ½ of 2σ²', () => {
  near(neighborhood('gaussian', 0, 3), 1);
  near(neighborhood('gaussian', 1, 1), Math.exp(-1));
  near(neighborhood('gaussian', 2, 4), Math.exp(-0.25));
});

test('bubble is the window δ ≤ T, triangle falls linearly to 0 at T, the Mexican hat crosses 0 at δ = T/√2', () => {
  assert.equal(neighborhood('bubble', 2, 2), 1);
  assert.equal(neighborhood('bubble', 2.0001, 2), 0);
  near(neighborhood('triangle', 1, 2), 0.5);
  assert.equal(neighborhood('triangle', 3, 2), 0);
  near(neighborhood('mexican_hat', 0, 2), 1);
  near(neighborhood('mexican_hat', 2 / Math.SQRT2, 2), 0);
  assert.ok(neighborhood('mexican_hat', 2, 2) < 0); // (1 − 2)·e^−1
  near(neighborhood('mexican_hat', 2, 2), -Math.exp(-1));
  assert.throws(() => neighborhood('gaussian', 1, 0), /neighborhood: expected a finite radius\/temperature T > 0, got 0/);
  assert.throws(() => neighborhood('cone' as 'gaussian', 1, 1), /neighborhood: expected one of 'gaussian', 'bubble', 'mexican_hat', 'triangle', got "cone"/);
});

test('the DESOM weights w are the neighbourhood matrix rows of each sample’s BMU', () => {
  const t = new Topology({ rows: 3, cols: 4 });
  const H = neighborhoodMatrix(t, 'gaussian', 1.5);
  near(H[0 * 12 + 5], Math.exp(-4 / 2.25)); // δ(0, 5) = 2
  const bmus = Int32Array.from([5, 0, 5, 11]);
  const w = neighborhoodWeights(t, bmus, 'gaussian', 1.5);
  assert.equal(w.length, 4 * 12);
  for (let i = 0; i < 4; i++) for (let k = 0; k < 12; k++) near(w[i * 12 + k], Math.fround(H[bmus[i] * 12 + k]));
  assert.throws(() => neighborhoodWeights(t, Int32Array.from([12]), 'gaussian', 1), /neighborhoodWeights: expected BMU indices in \[0, 12\), got 12 at row 0/);
});

test('decays: exponential Tmax·(Tmin/Tmax)^(t/total), linear, constant, asymptotic x/(1 + t/(total/2))', () => {
  const exp = { decay: 'exponential', start: 8, end: 0.1 } as const;
  near(decayValue(exp, 0, 100), 8);
  near(decayValue(exp, 50, 100), Math.sqrt(0.8));
  near(decayValue(exp, 100, 100), 0.1);
  // the paper divides by total, the reference code by total − 1 (reaching Tmin at the last iteration)
  assert.ok(decayValue(exp, 99, 100) > 0.1);
  near(decayValue({ ...exp, reachEnd: true }, 99, 100), 0.1);
  near(decayValue({ decay: 'linear', start: 2, end: 1 }, 25, 100), 1.75);
  assert.equal(decayValue({ decay: 'constant', start: 3, end: 1 }, 60, 100), 3);
  near(decayValue({ decay: 'asymptotic', start: 0.5, end: 0 }, 50, 100), 0.25);
  near(decayValue({ decay: 'asymptotic', start: 0.5, end: 0 }, 100, 100), 0.5 / 3);
  assert.throws(() => checkDecay('f', { decay: 'exponential', start: 1, end: 0 }, 'Tmax/Tmin'), /f: exponential decay needs Tmax\/Tmin > 0, got 1\/0/);
  assert.throws(
    () => checkDecay('f', { decay: 'cosine' as 'linear', start: 1, end: 0 }),
    /f: expected decay to be one of 'exponential', 'linear', 'constant', 'asymptotic', got "cosine"/,
  );
});
