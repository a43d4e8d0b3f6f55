/**
 * Prototype initialisation, as named strategies:
 * - 'samples': K distinct random rows of the data (seed 000, Algorithm 1; MiniSom's random_weights_init
 *   draws with replacement, we do not);
 * - 'pca': the grid spread over the plane of the first two principal components, centred on the
 *   data mean, ±1 standard deviation along each (rows along PC1, columns along PC2). MiniSom's
 *   pca_weights_init spreads ±1 along the unit eigenvectors around the origin, which only fits
 *   standardised data; scaling by √λ and adding the mean fits any data;
 * - 'uniform': each component uniform in the data's bounding box [min_q, max_q].
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import type { Topology } from './topology.js';

export type InitKind = 'samples' | 'pca' | 'uniform';
export const INIT_KINDS: readonly InitKind[] = ['samples', 'pca', 'uniform'];

export interface InitOptions {
  /** Default 'samples' (seed 000). */
  init?: InitKind;
  rng: Rng;
  /** 'pca': rows used for the covariance (a seeded random subset when n is larger; default 5000). */
  pcaSamples?: number;
}

export interface PrincipalComponents {
  /** Column means (d). */
  readonly mean: Float64Array;
  /** Unit eigenvectors of the covariance, one per row (count×d), sign fixed so that the largest-magnitude entry is positive. */
  readonly components: Float64Array;
  /** Their eigenvalues (variances, 1/(n−1) normalisation), descending. */
  readonly variances: Float64Array;
}

export interface PcaOptions {
  rng: Rng;
  /** Rows used for the covariance (default 5000; all rows when n is not larger). */
  maxSamples?: number;
  /** Power-iteration stop: ‖v_new − v‖∞ below this (default 1e-10). */
  tol?: number;
  /** Power iterations per component (default 2000). */
  maxIter?: number;
}

/**
 * The leading principal components of x (n×d): covariance C = XcᵀXc/(n−1) through the backend's
 * GEMM (on at most maxSamples rows), then power iteration with deflation on C in float64.
 */
export function principalComponents(x: Tensor, count: number, options: PcaOptions): PrincipalComponents {
  const fn = 'principalComponents';
  expect2d(fn, x);
  const d = x.cols;
  const maxSamples = options.maxSamples ?? 5000;
  if (!Number.isInteger(count) || count < 1 || count > d)
    throw new RangeError(`${fn}: expected count between 1 and ${d} (the number of features), got ${count}`);
  if (!Number.isInteger(maxSamples) || maxSamples < 2) throw new RangeError(`${fn}: expected maxSamples to be an integer ≥ 2, got ${maxSamples}`);
  if (x.rows < 2) throw new RangeError(`${fn}: expected at least 2 rows, got ${x.rows}`);
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 2000;
  const idx = x.rows > maxSamples ? options.rng.sample(x.rows, maxSamples).sort() : null;
  const n = idx === null ? x.rows : idx.length;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = (idx === null ? i : idx[i]) * d;
    for (let q = 0; q < d; q++) mean[q] += x.data[o + q];
  }
  for (let q = 0; q < d; q++) mean[q] /= n;
  const xc = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = (idx === null ? i : idx[i]) * d;
    for (let q = 0; q < d; q++) xc[i * d + q] = x.data[o + q] - mean[q];
  }
  const c32 = new Float32Array(d * d);
  backend().gemm(true, false, d, d, n, 1 / (n - 1), xc, xc, 0, c32);
  const C = Float64Array.from(c32);
  const components = new Float64Array(count * d);
  const variances = new Float64Array(count);
  const v = new Float64Array(d);
  const w = new Float64Array(d);
  for (let c = 0; c < count; c++) {
    for (let q = 0; q < d; q++) v[q] = options.rng.normal();
    normalize(v);
    for (let it = 0; it < maxIter; it++) {
      matVec(C, v, w, d);
      const norm = normalize(w);
      if (norm === 0) break; // v lies in the null space: the remaining variance is 0
      let change = 0;
      for (let q = 0; q < d; q++) change = Math.max(change, Math.abs(w[q] - v[q]));
      v.set(w);
      if (change < tol) break;
    }
    // Fix the sign: largest-magnitude entry positive (eigenvectors are defined up to sign).
    let arg = 0;
    for (let q = 1; q < d; q++) if (Math.abs(v[q]) > Math.abs(v[arg])) arg = q;
    if (v[arg] < 0) for (let q = 0; q < d; q++) v[q] = -v[q];
    matVec(C, v, w, d);
    const lambda = Math.max(0, dot(v, w));
    components.set(v, c * d);
    variances[c] = lambda;
    // Deflate: C ← C − λ·v·vᵀ.
    for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) C[p * d + q] -= lambda * v[p] * v[q];
  }
  return { mean, components, variances };
}

function matVec(C: Float64Array, v: Float64Array, out: Float64Array, d: number): void {
  for (let p = 0; p < d; p++) {
    let s = 0;
    const o = p * d;
    for (let q = 0; q < d; q++) s += C[o + q] * v[q];
    out[p] = s;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalize(v: Float64Array): number {
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return n;
}

/** Maps values to [−1, 1] over their range (0 when the range is empty). */
function spread(values: number[]): number[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => (hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0));
}

/** Initial prototypes (K×d) for a map from data x (n×d); see the strategies above. */
export function initPrototypes(x: Tensor, topology: Topology, options: InitOptions): Tensor {
  const fn = 'initPrototypes';
  expect2d(fn, x);
  const init = options.init ?? 'samples';
  const K = topology.size;
  const n = x.rows;
  const d = x.cols;
  if (n === 0) throw new RangeError(`${fn}: expected at least one data row, got 0`);
  const out = new Float32Array(K * d);
  switch (init) {
    case 'samples': {
      if (K > n) throw new RangeError(`${fn}: 'samples' needs at least as many rows as cells (${K}), got ${n}; use init 'pca' or 'uniform'`);
      const idx = options.rng.sample(n, K);
      for (let k = 0; k < K; k++) out.set(x.data.subarray(idx[k] * d, (idx[k] + 1) * d), k * d);
      break;
    }
    case 'uniform': {
      const lo = new Float64Array(d).fill(Infinity);
      const hi = new Float64Array(d).fill(-Infinity);
      for (let i = 0; i < n; i++) {
        for (let q = 0; q < d; q++) {
          const v = x.data[i * d + q];
          if (v < lo[q]) lo[q] = v;
          if (v > hi[q]) hi[q] = v;
        }
      }
      for (let k = 0; k < K; k++) for (let q = 0; q < d; q++) out[k * d + q] = options.rng.uniform(lo[q], hi[q]);
      break;
    }
    case 'pca': {
      if (d < 2) throw new RangeError(`${fn}: 'pca' needs at least 2 features, got ${d}`);
      if (n < 2) throw new RangeError(`${fn}: 'pca' needs at least 2 rows, got ${n}`);
      const pc = principalComponents(x, 2, { rng: options.rng, maxSamples: options.pcaSamples });
      const ys: number[] = [];
      const xs: number[] = [];
      for (let k = 0; k < K; k++) {
        xs.push(topology.coords[2 * k]);
        ys.push(topology.coords[2 * k + 1]);
      }
      const a = spread(ys);
      const b = spread(xs);
      const s1 = Math.sqrt(pc.variances[0]);
      const s2 = Math.sqrt(pc.variances[1]);
      for (let k = 0; k < K; k++) {
        for (let q = 0; q < d; q++) out[k * d + q] = pc.mean[q] + a[k] * s1 * pc.components[q] + b[k] * s2 * pc.components[d + q];
      }
      break;
    }
    default:
      throw new RangeError(`${fn}: expected init to be one of ${INIT_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(init)}`);
  }
  return new Tensor(out, [K, d]);
}
