/**
 * k-means initialisations on raw row-major float32 data: scikit-learn's greedy k-means++
 * (`sklearn.cluster._kmeans._kmeans_plusplus`: each new centre is the best of 2 + ⌊ln k⌋
 * candidates drawn with probability ∝ D(x)², "best" = lowest resulting potential Σ D²) and the
 * uniform choice of k distinct rows. Distances go through the backend's GEMM in row chunks.
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

/**
 * Rows per distance block when the caller does not say: about 8 MiB of rows plus distances
 * (2^21 floats over d + cols), within [256, 8192] — big enough for an efficient GEMM, small enough
 * that the rows are still in cache when the kernel's norm pass and the labelling read them again.
 */
export function defaultChunkRows(n: number, cols: number, d: number): number {
  return Math.max(1, Math.min(n, Math.max(256, Math.min(8192, Math.floor(2097152 / Math.max(1, d + cols))))));
}

/**
 * Greedy k-means++ over the n×d rows of `x`: returns the indices of the k rows chosen as centres.
 * Draws one rng.int(n) for the first centre, then `trials` rng.uniform() per further centre.
 * (Pruning rows by the triangle inequality was tried: on MNIST-like data nearly every row stays
 * within reach of some candidate, and gathering the rest cost more than it saved.)
 */
export function plusPlusIndices(x: Float32Array, n: number, d: number, k: number, rng: Rng, trials: number, chunkRows: number): Int32Array {
  const be = backend();
  const chunk = Math.max(1, Math.min(chunkRows, n));
  const indices = new Int32Array(k);
  const closest = new Float64Array(n); // squared distance to the closest chosen centre
  const cum = new Float64Array(n);
  const cand = new Float32Array(trials * d);
  const candIds = new Int32Array(trials);
  const candDist = new Float32Array(trials * n); // [t·n + i], filled chunk by chunk
  const dist = new Float32Array(trials * chunk);
  const pots = new Float64Array(trials);

  const fill = (m: number): void => {
    // Candidates × rows (the thin side first: measured faster than rows × candidates).
    for (let a = 0; a < n; a += chunk) {
      const mm = Math.min(chunk, n - a);
      be.sqDistances(cand, x.subarray(a * d, (a + mm) * d), m, mm, d, dist);
      for (let t = 0; t < m; t++) candDist.set(dist.subarray(t * mm, (t + 1) * mm), t * n + a);
    }
  };

  const first = rng.int(n);
  indices[0] = first;
  cand.set(x.subarray(first * d, first * d + d), 0);
  fill(1);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = candDist[i];
    pot += candDist[i];
  }

  for (let c = 1; c < k; c++) {
    // Candidates: searchsorted(cumsum(D²), u·pot) (left side), clipped to the last row.
    let s = 0;
    for (let i = 0; i < n; i++) {
      s += closest[i];
      cum[i] = s;
    }
    for (let t = 0; t < trials; t++) {
      const r = rng.uniform() * pot;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      const id = Math.min(lo, n - 1);
      candIds[t] = id;
      cand.set(x.subarray(id * d, id * d + d), t * d);
    }
    fill(trials);
    // Potential after adding each candidate: Σᵢ min(closestᵢ, D(i, t)); keep the lowest (first on ties).
    for (let t = 0; t < trials; t++) {
      const o = t * n;
      let p = 0;
      for (let i = 0; i < n; i++) {
        const v = candDist[o + i];
        p += v < closest[i] ? v : closest[i];
      }
      pots[t] = p;
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (pots[t] < pots[best]) best = t;
    pot = pots[best];
    const o = best * n;
    for (let i = 0; i < n; i++) if (candDist[o + i] < closest[i]) closest[i] = candDist[o + i];
    indices[c] = candIds[best];
  }
  return indices;
}

/** Number of local trials of scikit-learn's greedy k-means++: 2 + ⌊ln k⌋. */
export function plusPlusTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ⌊ln k⌋ local
 * trials): k rows of x as initial centroids, and their indices.
 */
export function kmeansPlusPlus(x: Tensor, k: number, o: { rng: Rng; trials?: number }): { centroids: Tensor; indices: Int32Array } {
  expect2d('kmeansPlusPlus', x);
  const n = x.rows;
  const d = x.cols;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`kmeansPlusPlus: expected k between 1 and ${n} (the number of rows), got ${k}`);
  const trials = o.trials ?? plusPlusTrials(k);
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`kmeansPlusPlus: expected trials to be a positive integer, got ${trials}`);
  const indices = plusPlusIndices(x.data, n, d, k, o.rng, trials, defaultChunkRows(n, trials, d));
  const c = new Float32Array(k * d);
  for (let j = 0; j < k; j++) c.set(x.data.subarray(indices[j] * d, indices[j] * d + d), j * d);
  return { centroids: new Tensor(c, [k, d]), indices };
}
