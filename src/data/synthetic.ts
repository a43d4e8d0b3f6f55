/**
 * Generated datasets, seeded: Friedman's first regression problem (a nonlinear function of five
 * inputs among d, plus Gaussian noise) and Gaussian blobs in the plane for classifiers. The same
 * seed gives the same rows everywhere.
 */
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';

export interface Friedman1Options {
  /** Inputs per row, at least 5 (default 10); only the first five enter the target. */
  features?: number;
  /** Standard deviation σ of the Gaussian noise added to the target (default 1). */
  noise?: number;
}

/** Rows of Friedman #1: inputs, noisy targets, and the noiseless targets f(x). */
export interface Friedman1Data {
  /** n × features, uniform on [0, 1]. */
  x: Tensor;
  /** n × 1: f(x) + σε. */
  y: Tensor;
  /** f(x) of each row, without the noise (the best any model can predict). */
  signal: Float32Array;
}

/**
 * Friedman #1 (J. H. Friedman, "Multivariate adaptive regression splines", Annals of Statistics,
 * 1991; scikit-learn's `make_friedman1`): xⱼ ~ U[0, 1] independently,
 * y = 10·sin(π·x₁·x₂) + 20·(x₃ − 0.5)² + 10·x₄ + 5·x₅ + σε with ε ~ N(0, 1). Inputs 6 … d are noise
 * the model must learn to ignore. Per row, the d inputs are drawn first, then ε.
 */
export function friedman1(n: number, rng: Rng, o: Friedman1Options = {}): Friedman1Data {
  const fn = 'friedman1';
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: expected a positive integer row count, got ${n}`);
  const d = o.features ?? 10;
  if (!Number.isInteger(d) || d < 5) throw new RangeError(`${fn}: expected features to be an integer ≥ 5, got ${d}`);
  const noise = o.noise ?? 1;
  if (!(noise >= 0 && Number.isFinite(noise))) throw new RangeError(`${fn}: expected a noise standard deviation ≥ 0, got ${noise}`);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  const signal = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) x[r * d + j] = rng.uniform();
    const v = (j: number): number => x[r * d + j];
    const f = 10 * Math.sin(Math.PI * v(0) * v(1)) + 20 * (v(2) - 0.5) ** 2 + 10 * v(3) + 5 * v(4);
    signal[r] = f;
    y[r] = f + noise * rng.normal();
  }
  return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n, 1]), signal };
}

/**
 * `perCenter` points around each centre, every coordinate drawn from N(centre, std²), centre after
 * centre (labels 0, 1, …, in that order). For the perceptron's and the classifiers' toy problems.
 */
export function gaussianBlobs(centers: readonly (readonly number[])[], perCenter: number, std: number, rng: Rng): { x: Tensor; labels: Int32Array } {
  const fn = 'gaussianBlobs';
  if (centers.length === 0) throw new RangeError(`${fn}: expected at least one centre, got 0`);
  const d = centers[0].length;
  if (d === 0) throw new RangeError(`${fn}: expected centres with at least one coordinate, got 0`);
  centers.forEach((c, i) => {
    if (c.length !== d) throw new RangeError(`${fn}: expected every centre to have ${d} coordinates, got ${c.length} for centre ${i}`);
    if (!c.every(Number.isFinite)) throw new RangeError(`${fn}: expected finite centre coordinates, got [${c.join(', ')}] for centre ${i}`);
  });
  if (!Number.isInteger(perCenter) || perCenter < 1) throw new RangeError(`${fn}: expected a positive integer perCenter, got ${perCenter}`);
  if (!(std >= 0 && Number.isFinite(std))) throw new RangeError(`${fn}: expected a standard deviation ≥ 0, got ${std}`);
  const n = centers.length * perCenter;
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  let r = 0;
  centers.forEach((c, k) => {
    for (let i = 0; i < perCenter; i++, r++) {
      labels[r] = k;
      for (let j = 0; j < d; j++) x[r * d + j] = rng.normal(c[j], std);
    }
  });
  return { x: new Tensor(x, [n, d]), labels };
}
