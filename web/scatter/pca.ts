/**
 * The two leading principal components of a few-column matrix (a DESOM's latent codes: n × 10),
 * computed in the browser: the d × d covariance in float64, then power iteration for the leading
 * eigenvector, deflation (C − λ·v·vᵀ) and power iteration again. d is small, so this takes a
 * few milliseconds for 70,000 rows; the scatter then draws the codes and the map's prototypes on
 * the same two axes.
 */

export interface Pca2 {
  /** Column means (d). */
  mean: Float64Array;
  /** The two unit eigenvectors (d each), the largest variance first; each signed so that its largest |entry| is positive. */
  components: [Float64Array, Float64Array];
  /** Their eigenvalues (variances along them). */
  variances: [number, number];
  /** The share of the total variance each explains. */
  explained: [number, number];
}

/** The covariance of the n × d row-major matrix `x` (divided by n − 1) and its column means. */
export function covariance(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (!(n >= 1) || !(d >= 1) || x.length !== n * d) throw new RangeError(`covariance: expected ${n} × ${d} = ${n * d} values, got ${x.length}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  const div = Math.max(1, n - 1);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= div;
      cov[b * d + a] = cov[a * d + b];
    }
  return { mean, cov };
}

/** The leading eigenvector and eigenvalue of the symmetric d × d matrix `c`, by power iteration. */
export function leadingEigen(c: Float64Array, d: number, iterations = 1000, tolerance = 1e-12): { vector: Float64Array; value: number } {
  // Started from the matrix's largest column: never orthogonal to the leading eigenvector unless c is degenerate.
  let bestCol = 0;
  let bestNorm = -1;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += c[i * d + j] ** 2;
    if (s > bestNorm) {
      bestNorm = s;
      bestCol = j;
    }
  }
  let v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = c[i * d + bestCol] + 1e-3 * (i + 1);
  normalize(v);
  let value = 0;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c[i * d + j] * v[j];
      w[i] = s;
    }
    const norm = normalize(w);
    let change = 0;
    for (let i = 0; i < d; i++) change = Math.max(change, Math.abs(w[i] - v[i]));
    v = w;
    value = norm;
    if (norm === 0 || change < tolerance) break;
  }
  // Sign: the largest entry positive, so the same data always give the same picture.
  let big = 0;
  for (let i = 1; i < d; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
  if (v[big] < 0) for (let i = 0; i < d; i++) v[i] = -v[i];
  return { vector: v, value };
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

/** The two leading principal components of the n × d rows `x`. */
export function pca2(x: ArrayLike<number>, n: number, d: number): Pca2 {
  const { mean, cov } = covariance(x, n, d);
  let total = 0;
  for (let j = 0; j < d; j++) total += cov[j * d + j];
  const first = leadingEigen(cov, d);
  const deflated = cov.slice();
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) deflated[a * d + b] -= first.value * first.vector[a] * first.vector[b];
  // A one-column matrix has no second axis: a zero vector puts every point on y = 0.
  const second = d > 1 ? leadingEigen(deflated, d) : { vector: new Float64Array(d), value: 0 };
  const share = (v: number): number => (total > 0 ? v / total : 0);
  return {
    mean,
    components: [first.vector, second.vector],
    variances: [first.value, second.value],
    explained: [share(first.value), share(second.value)],
  };
}

/** The rows of the m × d matrix `x` on the two components: m × 2, x,y interleaved. */
export function project2(p: Pca2, x: ArrayLike<number>, m: number, d: number): Float32Array {
  const out = new Float32Array(2 * m);
  const [u, v] = p.components;
  for (let i = 0; i < m; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j] - p.mean[j];
      a += c * u[j];
      b += c * v[j];
    }
    out[2 * i] = a;
    out[2 * i + 1] = b;
  }
  return out;
}
