/**
 * Silhouette coefficients (Rousseeuw 1987), as scikit-learn's `silhouette_samples` with the
 * Euclidean metric: for row i in cluster A, a(i) = mean distance to the other rows of A,
 * b(i) = min over other clusters B of the mean distance to the rows of B, and
 * s(i) = (b − a) / max(a, b); rows alone in their cluster get 0 (0/0 also gives 0).
 * Distances: rows are centred on the column means (precision), then √max(0, ‖x‖² − 2x·y + ‖y‖²)
 * from the backend's GEMM kernel, one block of rows × all n rows at a time (memory O(block · n)).
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { expectLabels, uniqueLabels } from './labels.js';

/** Floats in one block of the distance matrix (16 MiB). */
const BLOCK_FLOATS = 1 << 22;

/** Per-row silhouette s(i) ∈ [−1, 1]; needs 2 … n−1 distinct labels (scikit-learn's rule). */
export function silhouetteSamples(x: Tensor, labels: Int32Array): Float64Array {
  return samples('silhouetteSamples', x, [labels])[0];
}

/**
 * The mean silhouette of each of several labelings of the same rows (e.g. k-means for every k of a
 * range), from one pass over the distances: the GEMM and the square roots are shared, and each
 * value is bitwise the one `silhouetteScore(x, labels)` returns.
 */
export function silhouetteScores(x: Tensor, labelings: readonly Int32Array[]): number[] {
  return samples('silhouetteScores', x, labelings).map((s) => mean(s));
}

/** The mean of s in row order (as silhouetteScore has always summed it). */
function mean(s: Float64Array): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i];
  return total / s.length;
}

/**
 * The rows of x minus their column means, as float32: distances are translation-invariant, and
 * float32 GEMM loses less on centred data. Refuses a non-finite column, naming `fn`.
 */
export function centredRows(fn: string, x: Tensor): Float32Array {
  const [n, d] = x.shape;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) mean[q] += x.data[i * d + q];
  for (let q = 0; q < d; q++) {
    if (!Number.isFinite(mean[q])) throw new RangeError(`${fn}: expected finite values in x, got a non-finite value in column ${q}`);
    mean[q] /= n;
  }
  const xc = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) xc[i * d + q] = x.data[i * d + q] - mean[q];
  return xc;
}

/** Per-row silhouettes of every labeling, from one pass over the distance blocks. */
function samples(fn: string, x: Tensor, labelings: readonly Int32Array[]): Float64Array[] {
  expect2d(fn, x);
  const n = x.rows;
  const d = x.cols;
  const T = labelings.length;
  // Every labeling's clusters get their own run of slots in one array of per-cluster sums.
  const offsets = new Int32Array(T + 1);
  const slot = new Int32Array(n * T); // slot[j·T + t]: row j's cluster in labeling t
  const inverses: Int32Array[] = [];
  for (const [t, labels] of labelings.entries()) {
    expectLabels(fn, labels, n, 'labels (one per row)');
    const { values, inverse } = uniqueLabels(labels);
    const u = values.length;
    if (u < 2 || u > n - 1) throw new RangeError(`${fn}: expected between 2 and ${n - 1} distinct labels (n − 1), got ${u}`);
    inverses.push(inverse);
    offsets[t + 1] = offsets[t] + u;
  }
  const counts = new Int32Array(offsets[T]);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) {
      slot[j * T + t] = offsets[t] + inverses[t][j];
      counts[offsets[t] + inverses[t][j]]++;
    }
  }

  const xc = centredRows(fn, x);

  const block = Math.max(1, Math.min(n, Math.floor(BLOCK_FLOATS / n)));
  const dist = new Float32Array(block * n);
  const sums = new Float64Array(offsets[T]);
  const out = labelings.map(() => new Float64Array(n));
  const be = backend();
  for (let a0 = 0; a0 < n; a0 += block) {
    const m = Math.min(block, n - a0);
    be.sqDistances(xc.subarray(a0 * d, (a0 + m) * d), xc, m, n, d, dist);
    for (let r = 0; r < m; r++) {
      const i = a0 + r;
      const o = r * n;
      dist[o + i] = 0; // the distance to itself is 0 exactly (scikit-learn zeroes the diagonal too)
      sums.fill(0);
      if (T === 1) {
        for (let j = 0; j < n; j++) sums[slot[j]] += Math.sqrt(dist[o + j]);
      } else {
        for (let j = 0, sj = 0; j < n; j++, sj += T) {
          const v = Math.sqrt(dist[o + j]);
          for (let t = 0; t < T; t++) sums[slot[sj + t]] += v;
        }
      }
      for (let t = 0; t < T; t++) {
        const own = slot[i * T + t];
        if (counts[own] === 1) continue; // s(i) stays 0
        const ai = sums[own] / (counts[own] - 1);
        let bi = Infinity;
        for (let l = offsets[t]; l < offsets[t + 1]; l++) {
          if (l === own) continue;
          const v = sums[l] / counts[l];
          if (v < bi) bi = v;
        }
        const den = Math.max(ai, bi);
        out[t][i] = den > 0 ? (bi - ai) / den : 0;
      }
    }
  }
  return out;
}

/**
 * Mean silhouette coefficient. With `sampleSize`, `rng.sample(n, sampleSize)` draws that many
 * distinct rows uniformly and the exact silhouette of that subset is returned (distances among the
 * drawn rows only, as scikit-learn's `sample_size`); the subset must still hold 2 … size−1 labels.
 */
export function silhouetteScore(x: Tensor, labels: Int32Array, o: { sampleSize?: number; rng?: Rng } = {}): number {
  const fn = 'silhouetteScore';
  expect2d(fn, x);
  const n = x.rows;
  expectLabels(fn, labels, n, 'labels (one per row)');
  let s: Float64Array;
  if (o.sampleSize === undefined) {
    s = samples(fn, x, [labels])[0];
  } else {
    const size = o.sampleSize;
    if (!Number.isInteger(size) || size < 3 || size > n)
      throw new RangeError(`${fn}: expected sampleSize to be an integer between 3 and ${n} (the number of rows), got ${size}`);
    if (o.rng === undefined) throw new TypeError(`${fn}: sampleSize needs an rng (new Rng(seed)) to draw the rows, got none`);
    const idx = o.rng.sample(n, size);
    const d = x.cols;
    const sub = new Float32Array(size * d);
    const subLabels = new Int32Array(size);
    for (let t = 0; t < size; t++) {
      sub.set(x.data.subarray(idx[t] * d, idx[t] * d + d), t * d);
      subLabels[t] = labels[idx[t]];
    }
    s = samples(fn, new Tensor(sub, [size, d]), [subLabels])[0];
  }
  return mean(s);
}
