/** Descriptive statistics of a sample of finite numbers: mean, sample standard deviation, range. */

/** The five numbers `describe` gives. `std` is NaN for a single value (no spread can be estimated). */
export interface Description {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

/**
 * Checks that `xs` is a non-empty array (or typed array) of finite numbers; errors name `fn`,
 * the argument `name` and the offending value.
 */
export function expectSample(fn: string, xs: ArrayLike<number>, name = 'xs'): void {
  if (xs === null || typeof xs !== 'object' || typeof xs.length !== 'number') {
    throw new TypeError(`${fn}: expected ${name} to be an array of finite numbers, got ${xs === null ? 'null' : typeof xs}`);
  }
  if (xs.length === 0) throw new RangeError(`${fn}: expected a non-empty ${name}, got 0 values`);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(
        `${fn}: expected finite numbers in ${name}, got ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? typeof v)} at index ${i}`,
      );
    }
  }
}

/**
 * Arithmetic mean Σx / n, plus one correction pass Σ(x − m) / n that removes most summation rounding.
 * A constant sample returns its value exactly, so that its variance is exactly 0 (Welch's edge case).
 */
function meanOf(xs: ArrayLike<number>): number {
  const n = xs.length;
  let s = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    s += xs[i];
    if (xs[i] !== xs[0]) constant = false;
  }
  if (constant) return xs[0];
  const m = s / n;
  let r = 0;
  for (let i = 0; i < n; i++) r += xs[i] - m;
  return m + r / n;
}

/** Sample variance Σ(x − m)² / (n − 1) by two passes (no cancellation for values like 0.93 ± 0.004). */
function varianceOf(xs: ArrayLike<number>, m: number): number {
  const n = xs.length;
  if (n < 2) return NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - m;
    ss += d * d;
  }
  return ss / (n - 1);
}

/** mean = Σx / n. */
export function mean(xs: ArrayLike<number>): number {
  expectSample('mean', xs);
  return meanOf(xs);
}

/** Sample variance Σ(x − mean)² / (n − 1) (ddof = 1); NaN for a single value. */
export function sampleVariance(xs: ArrayLike<number>): number {
  expectSample('sampleVariance', xs);
  return varianceOf(xs, meanOf(xs));
}

/** Sample standard deviation √(Σ(x − mean)² / (n − 1)) (ddof = 1, numpy's `std(ddof=1)`); NaN for a single value. */
export function sampleStd(xs: ArrayLike<number>): number {
  expectSample('sampleStd', xs);
  return Math.sqrt(varianceOf(xs, meanOf(xs)));
}

/** { n, mean, std (ddof = 1; NaN when n = 1), min, max } of a non-empty sample. */
export function describe(xs: ArrayLike<number>): Description {
  expectSample('describe', xs);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < min) min = xs[i];
    if (xs[i] > max) max = xs[i];
  }
  const m = meanOf(xs);
  return { n: xs.length, mean: m, std: Math.sqrt(varianceOf(xs, m)), min, max };
}

/** Internal, for callers that already validated `xs`: mean and sample variance. */
export function meanAndVariance(xs: ArrayLike<number>): { mean: number; variance: number } {
  const m = meanOf(xs);
  return { mean: m, variance: varianceOf(xs, m) };
}
