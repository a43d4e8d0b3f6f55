import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { neighborhoodWeights } from './neighborhood.js';
import { somLossBackward } from './som-loss.js';
import { Topology } from './topology.js';

/** Lsom = (1/n) Σᵢ Σₖ wᵢₖ‖zᵢ − mₖ‖², in float64. */
function lossOf(z: ArrayLike<number>, m: ArrayLike<number>, w: ArrayLike<number>, n: number, k: number, d: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let dd = 0;
      for (let q = 0; q < d; q++) dd += (z[i * d + q] - m[j * d + q]) ** 2;
      s += w[i * k + j] * dd;
    }
  }
  return s / n;
}

for (const be of ['js', 'native', 'wasm'] as const) {
  test(`the SOM loss gradient wrt prototypes and inputs matches central finite differences (${be})`, () => {
    withBackend(be, () => {
      const rng = new Rng(11);
      const topology = new Topology({ rows: 3, cols: 4 });
      const n = 7;
      const k = topology.size;
      const d = 5;
      const z = rng.fillNormal(new Float32Array(n * d));
      const m = rng.fillNormal(new Float32Array(k * d));
      // DESOM's weights: Gaussian rows of random BMUs at T = 1.5
      const bmus = Int32Array.from({ length: n }, () => rng.int(k));
      const w = neighborhoodWeights(topology, bmus, 'gaussian', 1.5);
      const dist = new Float32Array(n * k);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) for (let q = 0; q < d; q++) dist[i * k + j] += (z[i * d + q] - m[j * d + q]) ** 2;
      const dz = new Float32Array(n * d);
      const dm = new Float32Array(k * d);
      const loss = somLossBackward(z, m, w, dist, n, k, d, 1, dz, dm);
      assert.ok(Math.abs(loss - lossOf(z, m, w, n, k, d)) < 1e-5 * Math.abs(loss));
      // The loss is quadratic in each coordinate, so a central difference is exact up to rounding.
      const eps = 1e-2;
      const m64 = Float64Array.from(m);
      const z64 = Float64Array.from(z);
      let worst = 0;
      for (let p = 0; p < k * d; p++) {
        const v = m64[p];
        m64[p] = v + eps;
        const up = lossOf(z64, m64, w, n, k, d);
        m64[p] = v - eps;
        const down = lossOf(z64, m64, w, n, k, d);
        m64[p] = v;
        worst = Math.max(worst, Math.abs((up - down) / (2 * eps) - dm[p]));
      }
      for (let p = 0; p < n * d; p++) {
        const v = z64[p];
        z64[p] = v + eps;
        const up = lossOf(z64, m64, w, n, k, d);
        z64[p] = v - eps;
        const down = lossOf(z64, m64, w, n, k, d);
        z64[p] = v;
        worst = Math.max(worst, Math.abs((up - down) / (2 * eps) - dz[p]));
      }
      assert.ok(worst < 1e-4, `largest gradient error ${worst}`);
      // scale multiplies both gradients and accumulates into what is there
      const dm2 = Float32Array.from(dm);
      somLossBackward(z, m, w, dist, n, k, d, 0.5, null, dm2);
      for (let p = 0; p < k * d; p++) assert.ok(Math.abs(dm2[p] - 1.5 * dm[p]) < 1e-5 * Math.max(1, Math.abs(dm[p])));
    });
  });
}
