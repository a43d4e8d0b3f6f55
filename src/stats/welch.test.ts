/**
 * Tests for src/stats: descriptive summaries, and Welch's t-test, Student's t CDF and the regularized
 * incomplete beta function against scipy 1.10 (fixtures: scripts/fixtures/make_welch.py) to 1e-9 relative.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe as suite, test } from 'node:test';
import { describe, logGamma, mean, regularizedIncompleteBeta, sampleStd, sampleVariance, studentTCdf, welchTTest } from './index.js';

interface WelchCase {
  name: string;
  a: number[];
  b: number[];
  t: number;
  df: number;
  p: number;
}
interface TCdfCase {
  t: number;
  df: number;
  cdf: number;
}
interface BetaCase {
  x: number;
  a: number;
  b: number;
  value: number;
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/welch/welch.json', import.meta.url), 'utf8')) as {
  welch: WelchCase[];
  t_cdf: TCdfCase[];
  betainc: BetaCase[];
};

/** |actual − expected| ≤ tol·|expected| (an expected 0 must come out as 0 within 1e-15). */
function rel(actual: number, expected: number, what: string, tol = 1e-9): void {
  const bound = expected === 0 ? 1e-15 : tol * Math.abs(expected);
  assert.ok(
    Math.abs(actual - expected) <= bound,
    `${what}: got ${actual}, expected ${expected} (relative error ${Math.abs(actual - expected) / Math.abs(expected)})`,
  );
}

suite('summary statistics', () => {
  test('mean, sampleStd and describe of a small sample agree with the hand-computed values', () => {
    // xs = [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, Σ(x − 5)² = 32, variance 32/7.
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    assert.equal(mean(xs), 5);
    rel(sampleVariance(xs), 32 / 7, 'variance', 1e-15);
    rel(sampleStd(xs), Math.sqrt(32 / 7), 'std', 1e-15);
    const d = describe(xs);
    assert.equal(d.n, 8);
    assert.equal(d.mean, 5);
    rel(d.std, Math.sqrt(32 / 7), 'describe std', 1e-15);
    assert.equal(d.min, 2);
    assert.equal(d.max, 9);
  });

  test('typed arrays are accepted', () => {
    assert.equal(mean(Float64Array.of(1, 2, 3, 6)), 3);
    assert.equal(describe(Float32Array.of(-1, 1)).min, -1);
  });

  test('the std of one value is NaN and of a constant sample exactly 0', () => {
    assert.ok(Number.isNaN(sampleStd([0.93])));
    const d = describe([0.93]);
    assert.equal(d.n, 1);
    assert.equal(d.mean, 0.93);
    assert.ok(Number.isNaN(d.std));
    // 0.1 · 3 rounds; the mean must still be 0.1 exactly so that the variance is 0.
    assert.equal(mean([0.1, 0.1, 0.1]), 0.1);
    assert.equal(sampleStd([0.1, 0.1, 0.1]), 0);
  });

  test('metric-like values 0.93 ± 0.004 keep their precision', () => {
    const xs = [0.9391, 0.9352, 0.943];
    rel(mean(xs), (0.9391 + 0.9352 + 0.943) / 3, 'mean', 1e-15);
    rel(sampleStd(xs), 0.0039, 'std', 1e-12);
  });

  test('invalid input is rejected with the function, the value and what was expected', () => {
    assert.throws(() => mean([]), { name: 'RangeError', message: 'mean: expected a non-empty xs, got 0 values' });
    assert.throws(() => sampleStd([1, NaN]), { name: 'RangeError', message: 'sampleStd: expected finite numbers in xs, got NaN at index 1' });
    assert.throws(() => describe([1, Infinity]), { message: 'describe: expected finite numbers in xs, got Infinity at index 1' });
    assert.throws(() => mean(['1'] as unknown as number[]), { message: 'mean: expected finite numbers in xs, got "1" at index 0' });
    assert.throws(() => mean(null as unknown as number[]), { name: 'TypeError', message: 'mean: expected xs to be an array of finite numbers, got null' });
  });
});

suite('Welch t-test agrees with scipy.stats.ttest_ind(equal_var=False) to 1e-9 relative', () => {
  assert.ok(fixture.welch.length >= 20);
  for (const c of fixture.welch) {
    test(c.name, () => {
      const r = welchTTest(c.a, c.b);
      rel(r.t, c.t, 't');
      rel(r.df, c.df, 'df');
      rel(r.p, c.p, 'p');
    });
  }
  test('the fixture reaches p-values of 1e-12 and below', () => {
    assert.ok(fixture.welch.some((c) => c.p < 1e-12 && c.p > 1e-13));
    assert.ok(fixture.welch.some((c) => c.p < 1e-18));
    assert.ok(fixture.welch.some((c) => !Number.isInteger(c.df)));
  });
});

suite('Student t CDF agrees with scipy.stats.t.cdf to 1e-9 relative', () => {
  for (const c of fixture.t_cdf) {
    test(`t = ${c.t}, df = ${c.df}`, () => rel(studentTCdf(c.t, c.df), c.cdf, 'cdf'));
  }
});

suite('regularized incomplete beta agrees with scipy.special.betainc to 1e-9 relative', () => {
  for (const c of fixture.betainc) {
    test(`I_${c.x}(${c.a}, ${c.b})`, () => rel(regularizedIncompleteBeta(c.x, c.a, c.b), c.value, 'I'));
  }
});

suite('hand-computed cases', () => {
  test('a = [0, 2], b = [3, 5]: t = −3/√2, df = 2, p = 1 − 3/√13 (t CDF at df 2 is ½ + t / (2√(2 + t²)))', () => {
    // Means 1 and 4, both variances 2, so v_a = v_b = 1: t = −3/√2, df = (1 + 1)² / (1/1 + 1/1) = 2.
    const r = welchTTest([0, 2], [3, 5]);
    rel(r.t, -3 / Math.SQRT2, 't', 1e-15);
    rel(r.df, 2, 'df', 1e-15);
    rel(r.p, 1 - 3 / Math.sqrt(13), 'p', 1e-12);
  });

  test('a = [5, 5], b = [0, 2]: one constant sample, t = 4, df = 1 (Cauchy), p = 1 − (2/π)·atan 4', () => {
    const r = welchTTest([5, 5], [0, 2]);
    assert.equal(r.t, 4);
    assert.equal(r.df, 1);
    rel(r.p, 1 - (2 / Math.PI) * Math.atan(4), 'p', 1e-12);
  });

  test('closed forms of I_x(a, b): I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b, I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    rel(regularizedIncompleteBeta(0.3, 2.5, 1), 0.3 ** 2.5, 'I_x(a,1)', 1e-13);
    rel(regularizedIncompleteBeta(0.3, 1, 4.5), 1 - 0.7 ** 4.5, 'I_x(1,b)', 1e-13);
    rel(regularizedIncompleteBeta(0.25, 3.5, 7.25), 1 - regularizedIncompleteBeta(0.75, 7.25, 3.5), 'symmetry', 1e-13);
    assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
    assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  });

  test('ln Γ matches factorials and Γ(½) = √π', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-14 && Math.abs(logGamma(2)) < 1e-14);
    rel(logGamma(10), Math.log(362880), 'lnΓ(10)', 1e-14);
    rel(logGamma(0.5), 0.5 * Math.log(Math.PI), 'lnΓ(½)', 1e-14);
    rel(logGamma(0.1), Math.log(9.513507698668732), 'lnΓ(0.1)', 1e-13);
    assert.throws(() => logGamma(0), { message: 'logGamma: expected a finite x > 0, got 0' });
  });

  test('the t CDF is symmetric, ½ at 0 and 0 / 1 at ∓Infinity', () => {
    assert.equal(studentTCdf(0, 3.3), 0.5);
    rel(studentTCdf(-1.7, 4.2) + studentTCdf(1.7, 4.2), 1, 'symmetry', 1e-15);
    assert.equal(studentTCdf(-Infinity, 5), 0);
    assert.equal(studentTCdf(Infinity, 5), 1);
  });
});

suite('edge cases', () => {
  test('both variances zero with equal means: t = 0, p = 1, df NaN', () => {
    const r = welchTTest([0.5, 0.5, 0.5], [0.5, 0.5]);
    assert.equal(r.t, 0);
    assert.equal(r.p, 1);
    assert.ok(Number.isNaN(r.df));
  });

  test('both variances zero with different means: t = ±Infinity by the sign of mean(a) − mean(b), p = 0', () => {
    const up = welchTTest([0.94, 0.94], [0.93, 0.93, 0.93]);
    assert.equal(up.t, Infinity);
    assert.equal(up.p, 0);
    const down = welchTTest([0.93, 0.93, 0.93], [0.94, 0.94]);
    assert.equal(down.t, -Infinity);
    assert.equal(down.p, 0);
  });

  test('identical samples with spread give t = 0, p = 1', () => {
    const r = welchTTest([1, 2, 4], [4, 2, 1]);
    assert.equal(r.t, 0);
    assert.equal(r.p, 1);
  });

  test('swapping the samples flips t and keeps df and p', () => {
    const a = [0.931, 0.936, 0.929, 0.934];
    const b = [0.941, 0.938, 0.944];
    const ab = welchTTest(a, b);
    const ba = welchTTest(b, a);
    assert.equal(ba.t, -ab.t);
    assert.equal(ba.df, ab.df);
    assert.equal(ba.p, ab.p);
    assert.ok(ab.t < 0 && ab.p < 0.05);
  });

  test('fewer than 2 values in a sample is a RangeError naming the sample', () => {
    assert.throws(() => welchTTest([1], [1, 2]), { name: 'RangeError', message: 'welchTTest: expected at least 2 values in a, got 1' });
    assert.throws(() => welchTTest([1, 2], [3]), { name: 'RangeError', message: 'welchTTest: expected at least 2 values in b, got 1' });
    assert.throws(() => welchTTest([1, 2], []), { name: 'RangeError', message: 'welchTTest: expected a non-empty b, got 0 values' });
    assert.throws(() => welchTTest([1, NaN], [1, 2]), { message: 'welchTTest: expected finite numbers in a, got NaN at index 1' });
  });

  test('out-of-domain arguments of the distribution functions are RangeErrors', () => {
    assert.throws(() => studentTCdf(1, 0), { name: 'RangeError', message: 'studentTCdf: expected finite degrees of freedom df > 0, got 0' });
    assert.throws(() => studentTCdf(NaN, 3), { message: 'studentTCdf: expected a number t, got NaN' });
    assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), { message: 'regularizedIncompleteBeta: expected x in [0, 1], got 1.5' });
    assert.throws(() => regularizedIncompleteBeta(0.5, -1, 1), { message: 'regularizedIncompleteBeta: expected a finite a > 0, got -1' });
    assert.throws(() => regularizedIncompleteBeta(0.5, 1, Infinity), { message: 'regularizedIncompleteBeta: expected a finite b > 0, got Infinity' });
  });
});
