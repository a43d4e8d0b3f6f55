/**
 * Principal component analysis of the rows of a matrix, for wide data: the covariance
 * C = XcᵀXc / (n − 1) of the centred rows comes from one GEMM (n·d² multiply-adds), then the
 * leading eigenvectors of C from a subspace iteration (Q ← orth(C·Q), each step one d×d by d×l
 * GEMM with l = count + 10 columns, the extra ones speeding up convergence), finished by a
 * Rayleigh–Ritz step (the l×l matrix QᵀCQ diagonalised by Jacobi rotations). With d ≤ l the whole
 * of C goes to Jacobi directly. The cost is ≈ n·d² for the covariance, whatever the count, so a
 * 70,000 × 2,000 layer takes seconds, where a full eigendecomposition of C would take minutes in
 * JavaScript.
 *
 * The iteration stops when every kept eigenvalue moved by less than `tol` (relative) between two
 * Ritz steps, checked every 5 iterations. Signs are fixed: each component's largest-magnitude entry is
 * positive. Same rng seed and backend → the same bytes.
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export interface PcaFitOptions {
  /** Draws the starting subspace. */
  rng: Rng;
  /** Largest number of subspace iterations (default 200). */
  maxIter?: number;
  /** Relative change of the kept eigenvalues below which the iteration stops (default 1e-6). */
  tol?: number;
}

export interface Pca {
  /** Column means (d). */
  readonly mean: Float64Array;
  /** count × d: unit, mutually orthogonal eigenvectors of the covariance, by decreasing variance. */
  readonly components: Float64Array;
  /** The variance along each component (eigenvalue of C, 1/(n − 1) normalisation), decreasing. */
  readonly variances: Float64Array;
  /** The share of the total variance (trace of C) each component explains. */
  readonly explained: Float64Array;
  readonly count: number;
  readonly features: number;
  /** Subspace iterations run (0 when C was diagonalised directly). */
  readonly iterations: number;
}

/** Oversampling of the subspace: extra columns that make the kept ones converge faster. */
const EXTRA = 10;

/** The leading `count` principal components of the rows of x (n × d, n ≥ 2). */
export function pca(x: Tensor, count: number, o: PcaFitOptions): Pca {
  const fn = 'pca';
  expect2d(fn, x);
  const [n, d] = x.shape;
  if (n < 2) throw new RangeError(`${fn}: expected at least 2 rows, got ${n}`);
  if (!Number.isSafeInteger(count) || count < 1 || count > d)
    throw new RangeError(`${fn}: expected count to be an integer from 1 to ${d} (the number of columns), got ${count}`);
  if (o === null || typeof o !== 'object' || typeof o.rng?.normal !== 'function') throw new TypeError(`${fn}: expected options with an rng (new Rng(seed))`);
  const maxIter = o.maxIter ?? 200;
  const tol = o.tol ?? 1e-6;
  if (!Number.isSafeInteger(maxIter) || maxIter < 1) throw new RangeError(`${fn}: expected maxIter to be a positive integer, got ${maxIter}`);
  if (!(tol > 0)) throw new RangeError(`${fn}: expected tol to be a positive number, got ${tol}`);

  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) mean[q] += x.data[i * d + q];
  for (let q = 0; q < d; q++) {
    if (!Number.isFinite(mean[q])) throw new RangeError(`${fn}: expected finite values, got a non-finite value in column ${q}`);
    mean[q] /= n;
  }
  const xc = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) xc[i * d + q] = x.data[i * d + q] - mean[q];
  const c32 = new Float32Array(d * d);
  backend().gemm(true, false, d, d, n, 1 / (n - 1), xc, xc, 0, c32);
  const C = new Float64Array(d * d);
  // Symmetrise (the GEMM's two triangles may round differently).
  for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) C[p * d + q] = (c32[p * d + q] + c32[q * d + p]) / 2;
  let trace = 0;
  for (let p = 0; p < d; p++) trace += C[p * d + p];

  const l = Math.min(d, count + EXTRA);
  let vectors: Float64Array; // l × d rows, by decreasing eigenvalue
  let values: Float64Array;
  let iterations = 0;
  if (l === d) {
    ({ vectors, values } = symmetricEigen(C, d));
  } else {
    // Q: d × l, column j = a basis vector (row-major d × l for the GEMMs).
    const Q = new Float32Array(d * l);
    o.rng.fillNormal(Q);
    orthonormalColumns(Q, d, l);
    const c = Float32Array.from(C);
    const z = new Float32Array(d * l);
    let previous: Float64Array | null = null;
    for (;;) {
      backend().gemm(false, false, d, l, d, 1, c, Q, 0, z);
      Q.set(z);
      orthonormalColumns(Q, d, l);
      iterations++;
      if (iterations % 5 !== 0 && iterations < maxIter) continue;
      ({ vectors, values } = ritz(C, Q, d, l));
      const kept = values.subarray(0, count);
      const settled = previous !== null && kept.every((v, j) => Math.abs(v - (previous as Float64Array)[j]) <= tol * Math.max(Math.abs(v), 1e-300));
      if (settled || iterations >= maxIter) break;
      previous = Float64Array.from(kept);
    }
  }
  const components = vectors.slice(0, count * d);
  for (let j = 0; j < count; j++) {
    let arg = 0;
    for (let q = 1; q < d; q++) if (Math.abs(components[j * d + q]) > Math.abs(components[j * d + arg])) arg = q;
    if (components[j * d + arg] < 0) for (let q = 0; q < d; q++) components[j * d + q] = -components[j * d + q];
  }
  const variances = Float64Array.from(values.subarray(0, count), (v) => Math.max(0, v));
  const explained = Float64Array.from(variances, (v) => (trace > 0 ? v / trace : 0));
  return { mean, components, variances, explained, count, features: d, iterations };
}

/** The rows of x (n × d) in the components' coordinates: (x − mean)·componentsᵀ, n × count. */
export function pcaTransform(p: Pca, x: Tensor): Tensor {
  const fn = 'pcaTransform';
  expect2d(fn, x, p.features, "columns (the fitted PCA's features)");
  const [n, d] = x.shape;
  const xc = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) xc[i * d + q] = x.data[i * d + q] - p.mean[q];
  const out = new Float32Array(n * p.count);
  backend().gemm(false, true, n, p.count, d, 1, xc, Float32Array.from(p.components), 0, out);
  return new Tensor(out, [n, p.count]);
}

/** Modified Gram–Schmidt on the l columns of the row-major d × l matrix q, in float64; a column that vanishes is replaced by a unit vector. */
function orthonormalColumns(q: Float32Array, d: number, l: number): void {
  const cols = Array.from({ length: l }, (_, j) => Float64Array.from({ length: d }, (_, p) => q[p * l + j]));
  for (let j = 0; j < l; j++) {
    const v = cols[j];
    for (let pass = 0; pass < 2; pass++) {
      // Twice: one pass leaves float rounding of the earlier columns behind.
      for (let i = 0; i < j; i++) {
        const u = cols[i];
        let dot = 0;
        for (let p = 0; p < d; p++) dot += u[p] * v[p];
        for (let p = 0; p < d; p++) v[p] -= dot * u[p];
      }
    }
    let norm = 0;
    for (let p = 0; p < d; p++) norm += v[p] * v[p];
    norm = Math.sqrt(norm);
    if (norm > 1e-12) for (let p = 0; p < d; p++) v[p] /= norm;
    else {
      v.fill(0);
      v[j % d] = 1; // a degenerate start: any direction of the remaining space will do after the next pass
    }
  }
  for (let j = 0; j < l; j++) for (let p = 0; p < d; p++) q[p * l + j] = cols[j][p];
}

/** Rayleigh–Ritz: the eigenpairs of QᵀCQ (l × l) mapped back, vectors as l rows of length d. */
function ritz(C: Float64Array, Q: Float32Array, d: number, l: number): { vectors: Float64Array; values: Float64Array } {
  const CQ = new Float64Array(d * l);
  for (let p = 0; p < d; p++)
    for (let r = 0; r < d; r++) {
      const c = C[p * d + r];
      if (c === 0) continue;
      for (let j = 0; j < l; j++) CQ[p * l + j] += c * Q[r * l + j];
    }
  const T = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) for (let p = 0; p < d; p++) T[i * l + j] += Q[p * l + i] * CQ[p * l + j];
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) T[i * l + j] = T[j * l + i] = (T[i * l + j] + T[j * l + i]) / 2;
  const small = symmetricEigen(T, l);
  const vectors = new Float64Array(l * d);
  for (let k = 0; k < l; k++) for (let p = 0; p < d; p++) for (let j = 0; j < l; j++) vectors[k * d + p] += Q[p * l + j] * small.vectors[k * l + j];
  return { vectors, values: small.values };
}

/**
 * Eigenvalues and eigenvectors of a symmetric m × m matrix (row-major, not modified) by cyclic
 * Jacobi rotations, until the off-diagonal mass is below 1e-22 of the total. Returns the values in
 * decreasing order and the vectors as rows (vectors[k·m …] belongs to values[k]).
 */
export function symmetricEigen(S: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const fn = 'symmetricEigen';
  if (!Number.isSafeInteger(m) || m < 1 || S.length !== m * m)
    throw new RangeError(`${fn}: expected an m × m matrix (${m}² = ${m * m} values), got ${S.length}`);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < i; j++)
      if (S[i * m + j] !== S[j * m + i])
        throw new RangeError(`${fn}: expected a symmetric matrix, got S[${i}][${j}] = ${S[i * m + j]} ≠ S[${j}][${i}] = ${S[j * m + i]}`);
  const A = Float64Array.from(S);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  let total = 0;
  for (let i = 0; i < m * m; i++) total += A[i] * A[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) off += A[i * m + j] * A[i * m + j];
    if (off <= 1e-22 * total) break;
    for (let p = 0; p < m - 1; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (apq === 0) continue;
        // The rotation that zeroes A[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p];
          const akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k];
          const aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p];
          const vkq = V[k * m + q];
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => A[b * m + b] - A[a * m + a] || a - b);
  const values = Float64Array.from(order, (i) => A[i * m + i]);
  const vectors = new Float64Array(m * m);
  order.forEach((col, k) => {
    for (let r = 0; r < m; r++) vectors[k * m + r] = V[r * m + col];
  });
  return { values, vectors };
}
