import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { averagePrecision, precisionRecallCurve, rankingMetrics, rocAucScore, rocCurve } from './roc.js';

interface RocFixture {
  name: string;
  scores: number[];
  labels: number[];
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  auroc: number;
  mann_whitney_auc: number;
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  average_precision: number;
}

const fixtures = (JSON.parse(readFileSync(new URL('../../test/fixtures/roc/roc.json', import.meta.url), 'utf8')) as { cases: RocFixture[] }).cases;

/**
 * Every value here is a ratio of integer counts or a sum of at most n ≤ 500 such terms. Ours sums
 * integers exactly and divides once; scikit-learn divides first and sums n rounded floats (np.trapz
 * for the AUROC, a dot product for AP), so the two differ by at most about n·2⁻⁵² ≈ 1.1e-13.
 */
const TOL = 1e-12;

function close(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= TOL, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

for (const f of fixtures) {
  test(`ROC, AUROC, PR and AP match scikit-learn: ${f.name}`, () => {
    // Float32Array: the fixture's scores are float32 values, so ties stay ties.
    const scores = Float32Array.from(f.scores);
    const roc = rocCurve(scores, f.labels);
    close(roc.fpr, f.roc.fpr, 'fpr');
    close(roc.tpr, f.roc.tpr, 'tpr');
    assert.equal(roc.thresholds[0], Infinity);
    assert.deepEqual([...roc.thresholds.subarray(1)], f.roc.thresholds, 'thresholds: the distinct scores, decreasing');
    const auc = rocAucScore(scores, f.labels);
    assert.ok(Math.abs(auc - f.auroc) <= TOL, `AUROC ${auc} vs ${f.auroc}`);
    assert.ok(Math.abs(auc - f.mann_whitney_auc) <= TOL, `AUROC ${auc} vs Mann–Whitney U/(n₀n₁) ${f.mann_whitney_auc}`);
    const pr = precisionRecallCurve(scores, f.labels);
    close(pr.precision, f.pr.precision, 'precision');
    close(pr.recall, f.pr.recall, 'recall');
    assert.deepEqual([...pr.thresholds], f.pr.thresholds);
    const ap = averagePrecision(scores, f.labels);
    assert.ok(Math.abs(ap - f.average_precision) <= TOL, `AP ${ap} vs ${f.average_precision}`);
    assert.deepEqual(rankingMetrics(scores, f.labels), { auroc: auc, averagePrecision: ap });
  });
}

test('hand-computed: three thresholds, one tie across the classes', () => {
  // scores 3 (pos), 2 (pos), 2 (neg), 1 (neg): P = N = 2.
  // thresholds ∞, 3, 2, 1 → (FP, TP) = (0,0), (0,1), (1,2), (2,2) → FPR 0, 0, ½, 1; TPR 0, ½, 1, 1.
  // Pairs (pos, neg): 3>2, 3>1, 2=2 (½), 2>1 → U = 3.5, AUROC = 3.5/4 = 0.875; trapezoids: ½·(½+1)/2 + ½·(1+1)/2 = 0.875.
  const s = [3, 2, 2, 1];
  const y = [1, 1, 0, 0];
  const roc = rocCurve(s, y);
  assert.deepEqual([...roc.fpr], [0, 0, 0.5, 1]);
  assert.deepEqual([...roc.tpr], [0, 0.5, 1, 1]);
  assert.deepEqual([...roc.thresholds], [Infinity, 3, 2, 1]);
  assert.equal(rocAucScore(s, y), 0.875);
  // precision 1/1, 2/3, 2/4; recall ½, 1, 1 → AP = ½·1 + ½·⅔ = ⅚.
  const pr = precisionRecallCurve(s, y);
  assert.deepEqual([...pr.precision], [1, 2 / 3, 0.5]);
  assert.deepEqual([...pr.recall], [0.5, 1, 1]);
  assert.ok(Math.abs(averagePrecision(s, y) - 5 / 6) < 1e-15);
});

test('hand-computed: a perfect ranking, its reverse, and all scores tied', () => {
  assert.equal(rocAucScore([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
  assert.equal(averagePrecision([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
  assert.equal(rocAucScore([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]), 0);
  // Everything tied: one threshold, the diagonal from (0, 0) to (1, 1), AUROC ½; AP = the share of positives.
  const roc = rocCurve([5, 5, 5, 5, 5], [1, 0, 0, 1, 0]);
  assert.deepEqual([...roc.fpr], [0, 1]);
  assert.deepEqual([...roc.tpr], [0, 1]);
  assert.equal(rocAucScore([5, 5, 5, 5, 5], [1, 0, 0, 1, 0]), 0.5);
  assert.equal(averagePrecision([5, 5, 5, 5, 5], [1, 0, 0, 1, 0]), 0.4);
  // Infinite scores are ordered like any other, two equal infinities are a tie.
  assert.equal(rocAucScore([Infinity, Infinity, -Infinity, 0], [1, 0, 0, 1]), 0.625);
});

test('AUROC equals the Mann–Whitney count of pairs, ties ½, on random integer scores', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 2 + rng.int(60);
    const s = Array.from({ length: n }, () => rng.int(8));
    const y = Array.from({ length: n }, () => rng.int(2));
    y[0] = 0;
    y[1] = 1;
    let u = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] !== 1) continue;
      for (let j = 0; j < n; j++) {
        if (y[j] !== 0) continue;
        pairs++;
        u += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    assert.ok(Math.abs(rocAucScore(s, y) - u / pairs) < 1e-15, `trial ${trial}`);
  }
});

test('ROC and AP refuse a length mismatch, NaN scores, labels other than 0 and 1, a missing class', () => {
  assert.throws(() => rocCurve([1, 2, 3], [0, 1]), /rocCurve: expected as many labels as scores, got 2 labels and 3 scores/);
  assert.throws(() => rocAucScore([1, NaN, 3], [0, 1, 1]), /rocAucScore: expected scores that are numbers, got NaN at index 1/);
  assert.throws(
    () => averagePrecision([1, 2], [0, 2]),
    /averagePrecision: expected labels 0 \(negative, normal\) or 1 \(positive, anomalous\), got 2 at index 1/,
  );
  assert.throws(() => rocAucScore([1, 2, 3], [0, 0, 0]), /rocAucScore: expected at least one positive \(label 1\) among the 3 labels, got none/);
  assert.throws(() => rocCurve([1, 2, 3], [1, 1, 1]), /rocCurve: expected at least one negative \(label 0\) among the 3 labels, got none/);
  assert.throws(() => rankingMetrics([], []), /rankingMetrics: expected at least one positive/);
  assert.throws(() => precisionRecallCurve([1, 2], [0, 0]), /precisionRecallCurve: expected at least one positive \(label 1\) among the 2 labels, got none/);
  assert.throws(() => rocCurve(null as never, [0, 1]), /rocCurve: expected scores to be an array of numbers, got null/);
  // Without negatives, precision is 1 everywhere: AP is defined.
  assert.equal(averagePrecision([0.2, 0.7], [1, 1]), 1);
});
