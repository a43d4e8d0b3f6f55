/**
 * Welch's unequal-variance t-test and the distribution functions it needs, written out by hand:
 * log-gamma (Lanczos), the regularized incomplete beta function (continued fraction evaluated by
 * the modified Lentz method, Numerical Recipes §6.4 / DLMF 8.17.22) and Student's t CDF.
 * Checked against scipy 1.10 (`ttest_ind(equal_var=False)`, `t.cdf`, `betainc`) to 1e-9 relative:
 * scripts/fixtures/make_welch.py.
 */
import { expectSample, meanAndVariance } from './summary.js';

/** Result of `welchTTest`. */
export interface WelchResult {
  /** t = (mean(a) − mean(b)) / √(s²_a/n_a + s²_b/n_b); positive when a's mean is the larger. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general); NaN when both variances are 0. */
  df: number;
  /** Two-sided p-value P(|T_df| ≥ |t|). */
  p: number;
}

// Lanczos approximation, g = 7, 9 terms (relative error ≈ 1e-15 for x > 0).
const LANCZOS_G = 7;
const LANCZOS_C = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0: Lanczos for x ≥ 0.5, the reflection Γ(x)Γ(1 − x) = π / sin(πx) below. */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma: expected a finite x > 0, got ${x}`);
  return logGammaPositive(x);
}

function logGammaPositive(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGammaPositive(1 - x);
  const z = x - 1;
  let sum = LANCZOS_C[0];
  for (let i = 1; i < LANCZOS_C.length; i++) sum += LANCZOS_C[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
function logBeta(a: number, b: number): number {
  return logGammaPositive(a) + logGammaPositive(b) - logGammaPositive(a + b);
}

const CF_EPS = 1e-16;
const CF_TINY = 1e-300;
const CF_MAX_ITER = 100_000;

/**
 * The continued fraction of I_x(a, b) (without its prefactor x^a (1−x)^b / (a B(a, b))):
 * 1 / (1 + d₁ / (1 + d₂ / (1 + …))) with d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and
 * d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)), evaluated front to back by the modified Lentz method.
 * Converges fast for x < (a + 1) / (a + b + 2); the caller swaps (x, a, b) otherwise.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CF_MAX_ITER; m++) {
    const m2 = 2 * m;
    // Even step: d_{2m}.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step: d_{2m+1}.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CF_EPS) return h;
  }
  throw new Error(`internal: incomplete beta continued fraction did not converge for x=${x}, a=${a}, b=${b}`);
}

/**
 * I_x(a, b) given both x and y = 1 − x, so that callers that know 1 − x more precisely than
 * `1 - x` (Student's t near 0) keep that precision.
 */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  // ln of the prefactor x^a y^b / B(a, b).
  const logFront = a * Math.log(x) + b * Math.log(y) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  // Symmetry I_x(a, b) = 1 − I_{1−x}(b, a), where the fraction converges fast.
  return 1 - (Math.exp(logFront) * betaContinuedFraction(y, b, a)) / b;
}

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) = (1 / B(a, b)) ∫₀ˣ t^(a−1) (1−t)^(b−1) dt
 * (scipy's `betainc(a, b, x)`; note the argument order here is x first), for 0 ≤ x ≤ 1, a > 0, b > 0.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  const fn = 'regularizedIncompleteBeta';
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw new RangeError(`${fn}: expected x in [0, 1], got ${x}`);
  if (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a)) throw new RangeError(`${fn}: expected a finite a > 0, got ${a}`);
  if (typeof b !== 'number' || !(b > 0) || !Number.isFinite(b)) throw new RangeError(`${fn}: expected a finite b > 0, got ${b}`);
  return incompleteBeta(x, 1 - x, a, b);
}

function expectDf(fn: string, df: number): void {
  if (typeof df !== 'number' || !(df > 0) || !Number.isFinite(df)) throw new RangeError(`${fn}: expected finite degrees of freedom df > 0, got ${df}`);
}

/**
 * One tail of Student's t: P(T_df ≥ |t|) = ½ I_{df/(df+t²)}(df/2, ½), with 1 − df/(df+t²) = t²/(df+t²)
 * passed exactly; precise for tails far below 1e-12.
 */
function studentTTail(absT: number, df: number): number {
  if (absT === Infinity) return 0;
  const t2 = absT * absT;
  const denom = df + t2;
  return 0.5 * incompleteBeta(df / denom, t2 / denom, df / 2, 0.5);
}

/** Student's t cumulative distribution function P(T_df ≤ t), for any real df > 0 (scipy's `t.cdf(t, df)`). */
export function studentTCdf(t: number, df: number): number {
  const fn = 'studentTCdf';
  if (typeof t !== 'number' || Number.isNaN(t)) throw new RangeError(`${fn}: expected a number t, got ${t}`);
  expectDf(fn, df);
  const tail = studentTTail(Math.abs(t), df);
  return t < 0 ? tail : 1 - tail;
}

/**
 * Two-sided Welch's t-test of equal means without assuming equal variances (scipy's
 * `ttest_ind(a, b, equal_var=False)`): with v = s²/n per sample (s² the ddof = 1 variance),
 * t = (mean(a) − mean(b)) / √(v_a + v_b), df = (v_a + v_b)² / (v_a²/(n_a − 1) + v_b²/(n_b − 1))
 * (Welch–Satterthwaite), p = 2 P(T_df ≥ |t|).
 *
 * Edge case: both variances 0 (two constant samples; scipy returns NaN). Then the means are
 * either equal, giving t = 0, p = 1, or they differ with no noise at all, giving t = ±Infinity
 * (the sign of mean(a) − mean(b)), p = 0; df is NaN in both. Each sample needs at least 2 values
 * (RangeError otherwise) and only finite numbers.
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): WelchResult {
  const fn = 'welchTTest';
  expectSample(fn, a, 'a');
  expectSample(fn, b, 'b');
  if (a.length < 2) throw new RangeError(`${fn}: expected at least 2 values in a, got ${a.length}`);
  if (b.length < 2) throw new RangeError(`${fn}: expected at least 2 values in b, got ${b.length}`);
  const sa = meanAndVariance(a);
  const sb = meanAndVariance(b);
  const va = sa.variance / a.length;
  const vb = sb.variance / b.length;
  const diff = sa.mean - sb.mean;
  const se2 = va + vb;
  if (se2 === 0) {
    if (diff === 0) return { t: 0, df: NaN, p: 1 };
    return { t: diff > 0 ? Infinity : -Infinity, df: NaN, p: 0 };
  }
  const t = diff / Math.sqrt(se2);
  // The same df, written with the shares v/(v_a + v_b) so that tiny variances cannot underflow.
  const ra = va / se2;
  const rb = vb / se2;
  const df = 1 / ((ra * ra) / (a.length - 1) + (rb * rb) / (b.length - 1));
  const p = Math.min(1, 2 * studentTTail(Math.abs(t), df));
  return { t, df, p };
}
