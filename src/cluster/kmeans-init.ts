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
 * Named work arrays whose memory is kept for reuse: `f32('x', n)` returns a Float32Array of length
 * n over the buffer last used under that name when it is large enough (its old contents included),
 * else over a new one. Why: on the 2-core VM measured, touching a freshly allocated buffer costs
 * about 2.5 ms per MB in page faults (150 ms for the 61 MB centred copy of 60,000 × 256 floats),
 * more than the centring itself.
 */
export class Scratch {
  private readonly buffers = new Map<string, ArrayBuffer>();

  f32(name: string, length: number): Float32Array {
    return new Float32Array(this.buffer(name, length * 4), 0, length);
  }

  f64(name: string, length: number): Float64Array {
    return new Float64Array(this.buffer(name, length * 8), 0, length);
  }

  i32(name: string, length: number): Int32Array {
    return new Int32Array(this.buffer(name, length * 4), 0, length);
  }

  private buffer(name: string, bytes: number): ArrayBuffer {
    let b = this.buffers.get(name);
    if (b === undefined || b.byteLength < bytes) {
      b = new ArrayBuffer(bytes);
      this.buffers.set(name, b);
    }
    return b;
  }
}

/**
 * Greedy k-means++ over the n×d rows of `x`: returns the indices of the k rows chosen as centres.
 * Draws one rng.int(n) for the first centre, then `trials` rng.uniform() per further centre.
 * Its work arrays come from `scratch`, so that restarts reuse them; xNorm2 (‖xᵢ‖² from the
 * backend's sqNorms) is computed when not given.
 * (Pruning rows by the triangle inequality was tried: on MNIST-like data nearly every row stays
 * within reach of some candidate, and gathering the rest cost more than it saved.)
 */
export function plusPlusIndices(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  trials: number,
  chunkRows: number,
  scratch = new Scratch(),
  xNorm2?: Float64Array,
): Int32Array {
  const be = backend();
  const chunk = Math.max(1, Math.min(chunkRows, n));
  // ‖xᵢ‖² once, rather than again in every candidate round's distances.
  let xn = xNorm2;
  if (xn === undefined) {
    xn = scratch.f64('pp.xNorm2', n);
    be.sqNorms(x, n, d, xn);
  }
  const indices = new Int32Array(k);
  // Every element is written before it is read, so reused (dirty) arrays are fine.
  const closest = scratch.f64('pp.closest', n); // squared distance to the closest chosen centre
  const cum = scratch.f64('pp.cum', n);
  const cand = scratch.f32('pp.cand', trials * d);
  const candIds = scratch.i32('pp.candIds', trials);
  const candDist = scratch.f32('pp.candDist', trials * n); // [t·n + i], filled chunk by chunk
  const dist = scratch.f32('pp.dist', trials * chunk);
  const pots = scratch.f64('pp.pots', trials);

  /**
   * Distances from the m candidates to every row, and pots[t] = Σᵢ min(closestᵢ, D(i, t)), the
   * potential after adding candidate t, summed in row order while the chunk is at hand.
   */
  const fill = (m: number): void => {
    pots.fill(0, 0, m);
    for (let a = 0; a < n; a += chunk) {
      const mm = Math.min(chunk, n - a);
      // Candidates × rows (the thin side first: measured faster than rows × candidates).
      be.sqDistances(cand, x.subarray(a * d, (a + mm) * d), m, mm, d, dist, null, xn.subarray(a, a + mm));
      for (let t = 0; t < m; t++) {
        const o = t * mm;
        let p = pots[t];
        for (let i = 0; i < mm; i++) {
          const v = dist[o + i];
          const c = closest[a + i];
          p += v < c ? v : c;
        }
        pots[t] = p;
        candDist.set(dist.subarray(o, o + mm), t * n + a);
      }
    }
  };

  /** Adds candidate t: closest = min(closest, D(·, t)), and the running sums of closest for the next draw. */
  const keep = (t: number): void => {
    const o = t * n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (candDist[o + i] < closest[i]) closest[i] = candDist[o + i];
      s += closest[i];
      cum[i] = s;
    }
  };

  // The first centre is the first round with one candidate and nothing chosen yet (closest = +∞).
  const first = rng.int(n);
  indices[0] = first;
  cand.set(x.subarray(first * d, first * d + d), 0);
  closest.fill(Infinity);
  fill(1);
  let pot = pots[0];
  keep(0);

  for (let c = 1; c < k; c++) {
    // Candidates: searchsorted(cumsum(D²), u·pot) (left side), clipped to the last row.
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
    // Keep the candidate with the lowest potential (the first on ties).
    let best = 0;
    for (let t = 1; t < trials; t++) if (pots[t] < pots[best]) best = t;
    pot = pots[best];
    keep(best);
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
