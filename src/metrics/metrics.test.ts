import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import {
  accuracy,
  ari,
  contingencyTable,
  entropyOfCounts,
  mutualInfo,
  nmi,
  prototypeKmeansAccuracy,
  purity,
  unsupervisedAccuracy,
  type NmiAverage,
} from './index.js';

interface MetricsFixture {
  name: string;
  labels_true: number[];
  labels_pred: number[];
  purity: number;
  nmi: Record<NmiAverage, number>;
  ari: number;
  accuracy: number;
  unsupervised_accuracy: number;
}
const fixtures = (JSON.parse(readFileSync(new URL('../../test/fixtures/sklearn/metrics.json', import.meta.url), 'utf8')) as { cases: MetricsFixture[] }).cases;
const AVERAGES: NmiAverage[] = ['arithmetic', 'geometric', 'min', 'max'];
const labels = (...v: number[]): Int32Array => Int32Array.from(v);

function close(actual: number, expected: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}

describe('metrics agree with scikit-learn 1.2 / scipy to 1e-6', () => {
  for (const f of fixtures) {
    test(f.name, () => {
      const t = Int32Array.from(f.labels_true);
      const p = Int32Array.from(f.labels_pred);
      close(purity(t, p), f.purity, 'purity');
      for (const a of AVERAGES) close(nmi(t, p, { average: a }), f.nmi[a], `nmi ${a}`);
      close(nmi(t, p), f.nmi.arithmetic, 'nmi default (arithmetic)');
      close(ari(t, p), f.ari, 'ari');
      close(accuracy(t, p), f.accuracy, 'accuracy');
      close(unsupervisedAccuracy(t, p), f.unsupervised_accuracy, 'unsupervised accuracy');
    });
  }
});

test('a hand-computed case: 4 points, 2 classes, 2 clusters with one point misplaced', () => {
  // true [0, 0, 1, 1], pred [0, 0, 0, 1]; contingency (classes × clusters) = [[2, 0], [1, 1]].
  const t = labels(0, 0, 1, 1);
  const p = labels(0, 0, 0, 1);
  const c = contingencyTable(t, p);
  assert.deepEqual(Array.from(c.table), [2, 0, 1, 1]);
  // purity: cluster 0 majority 2, cluster 1 majority 1 → 3/4.
  assert.equal(purity(t, p), 0.75);
  // H(T) = ln 2; H(P) = −(3/4 ln 3/4 + 1/4 ln 1/4) = ln 4 − (3/4) ln 3.
  // I = Σ (n_ck/N) ln(N·n_ck / (n_c·n_k)) = 2/4 ln(4·2/(2·3)) + 1/4 ln(4·1/(2·3)) + 1/4 ln(4·1/(2·1))
  //   = ½ ln(4/3) + ¼ ln(2/3) + ¼ ln 2 = (3/2) ln 2 − (3/4) ln 3 ≈ 0.2158.
  const I = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
  const hT = Math.log(2);
  const hP = Math.log(4) - 0.75 * Math.log(3);
  close(mutualInfo(t, p), I, 'I', 1e-15);
  close(I, 1.5 * Math.log(2) - 0.75 * Math.log(3), 'I closed form', 1e-15);
  close(entropyOfCounts([2, 2]), hT, 'H(T)', 1e-15);
  close(entropyOfCounts([3, 1]), hP, 'H(P)', 1e-15);
  close(nmi(t, p), I / ((hT + hP) / 2), 'nmi arithmetic', 1e-15);
  close(nmi(t, p, { average: 'geometric' }), I / Math.sqrt(hT * hP), 'nmi geometric', 1e-15);
  close(nmi(t, p, { average: 'min' }), I / Math.min(hT, hP), 'nmi min', 1e-15);
  close(nmi(t, p, { average: 'max' }), I / Math.max(hT, hP), 'nmi max', 1e-15);
  // ARI over the 16 ordered pairs: Σ n_ck² = 6 → tp = 2; Σ n_k² = 10 → fp = 4; Σ n_c² = 8 → fn = 2; tn = 16 − 4 − 2 − 6 = 4.
  // ARI = 2(2·4 − 2·4) / ((2 + 2)(2 + 4) + (2 + 4)(4 + 4)) = 0.
  assert.equal(ari(t, p), 0);
  assert.equal(accuracy(t, p), 0.75);
  assert.equal(unsupervisedAccuracy(t, p), 0.75);
});

test('unsupervised accuracy is invariant to renaming the clusters; plain accuracy is not', () => {
  const t = labels(0, 0, 1, 1, 2, 2, 2);
  const p = labels(9, 9, 4, 4, 7, 7, 4);
  assert.equal(unsupervisedAccuracy(t, p), 6 / 7);
  assert.equal(accuracy(t, p), 0);
  // More clusters than classes: the extra cluster's samples count as wrong.
  assert.equal(unsupervisedAccuracy(labels(0, 0, 1, 1), labels(0, 1, 2, 2)), 0.75);
});

test('the contingency table lists classes and clusters in increasing label order', () => {
  const c = contingencyTable(labels(42, 7, 7, -1), labels(3, 3, 1, 1));
  assert.deepEqual(Array.from(c.classes), [-1, 7, 42]);
  assert.deepEqual(Array.from(c.clusters), [1, 3]);
  assert.deepEqual(Array.from(c.table), [1, 0, 1, 1, 0, 1]);
  const wide = contingencyTable(labels(0, 2_000_000_000), labels(-2_000_000_000, 5));
  assert.deepEqual(Array.from(wide.classes), [0, 2_000_000_000]);
  assert.deepEqual(Array.from(wide.table), [1, 0, 0, 1]);
});

test('metrics reject labelings of different lengths, empty ones and plain arrays', () => {
  assert.throws(() => purity(labels(0, 1), labels(0)), /purity: expected labelsTrue and labelsPred of the same length, got 2 and 1/);
  assert.throws(() => nmi(labels(), labels()), /nmi: expected at least one labelled sample, got 0/);
  assert.throws(() => contingencyTable(labels(1), labels(1, 2)), /contingencyTable: expected labelsTrue and labelsPred of the same length/);
  const unique = Int32Array.from({ length: 12000 }, (_, i) => i);
  assert.throws(() => ari(unique, unique), /ari: 12000 classes × 12000 clusters = 144000000 cells, more than the 134217728 a dense table may hold/);
  assert.throws(() => accuracy([0, 1] as unknown as Int32Array, labels(0, 1)), /accuracy: expected labelsTrue as an Int32Array, got Array/);
  assert.throws(
    () => nmi(labels(0, 1), labels(0, 1), { average: 'harmonic' as NmiAverage }),
    /nmi: expected average 'arithmetic', 'geometric', 'min' or 'max', got "harmonic"/,
  );
});

test('prototype k-means accuracy labels samples through their BMU cluster', () => {
  // Six prototypes in two well-separated groups; samples of class 5 sit on units 0–2, class 8 on units 3–5.
  const protos = Tensor.fromRows([
    [0, 0],
    [0.1, 0],
    [0, 0.1],
    [10, 10],
    [10.1, 10],
    [10, 10.1],
  ]);
  const bmus = labels(0, 1, 2, 3, 4, 5, 0, 5);
  const truth = labels(5, 5, 5, 8, 8, 8, 5, 8);
  for (const be of ['js', 'native', 'wasm'] as const) {
    assert.equal(
      withBackend(be, () => prototypeKmeansAccuracy(protos, bmus, truth, 2, { rng: new Rng(0) })),
      1,
    );
  }
  const wrong = labels(5, 5, 8, 8, 8, 8, 5, 8); // one sample on a class-5 unit is labelled 8
  assert.equal(prototypeKmeansAccuracy(protos, bmus, wrong, 2, { rng: new Rng(0), restarts: 2 }), 7 / 8);
  assert.throws(
    () => prototypeKmeansAccuracy(protos, labels(6), labels(0), 2, { rng: new Rng(0) }),
    /prototypeKmeansAccuracy: expected BMU indices in \[0, 6\), got 6 at sample 0/,
  );
  assert.throws(
    () => prototypeKmeansAccuracy(protos, bmus, truth, 7, { rng: new Rng(0) }),
    /expected nClasses between 1 and 6 \(the number of prototypes\), got 7/,
  );
  assert.throws(
    () => prototypeKmeansAccuracy(protos, bmus, labels(5, 8), 2, { rng: new Rng(0) }),
    /prototypeKmeansAccuracy: expected 8 labelsTrue \(one per BMU\), got 2/,
  );
});
