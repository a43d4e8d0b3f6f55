import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussianBlobs } from '../data/synthetic.js';
import { takeLabels, takeRows } from '../data/transforms.js';
import { CrossEntropyLoss } from '../nn/cross-entropy.js';
import { Linear } from '../nn/linear.js';
import { Sequential } from '../nn/sequential.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../random.js';
import { crossValidate, foldIndices, summarizeFolds } from './kfold.js';
import { evaluate, fit } from './loop.js';

function checkPartition(folds: ReturnType<typeof foldIndices>, n: number): void {
  const seen = new Int32Array(n);
  for (const f of folds) {
    assert.equal(f.train.length + f.validation.length, n);
    const inVal = new Set(f.validation);
    assert.ok(
      f.train.every((i) => !inVal.has(i)),
      `fold ${f.index}: a row both trains and validates`,
    );
    for (const i of f.validation) seen[i]++;
    assert.deepEqual(
      [...f.validation],
      [...f.validation].sort((a, b) => a - b),
    );
  }
  assert.ok(
    seen.every((c) => c === 1),
    'every row validates exactly once',
  );
}

test('plain folds: sizes differ by at most 1 and every row validates once', () => {
  const folds = foldIndices(23, 5, new Rng(1));
  checkPartition(folds, 23);
  assert.deepEqual(
    folds.map((f) => f.validation.length),
    [5, 5, 5, 4, 4],
  );
  assert.deepEqual(foldIndices(23, 5, new Rng(1)), folds);
});

test('stratified folds: each class spread over the folds within 1 row, sizes within 1', () => {
  // 3 classes of 13, 7 and 4 rows, labels interleaved.
  const labels = Int32Array.from({ length: 24 }, (_, i) => (i < 13 ? 0 : i < 20 ? 1 : 2)).reverse();
  const folds = foldIndices(24, 5, new Rng(2), { labels });
  checkPartition(folds, 24);
  const sizes = folds.map((f) => f.validation.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
  for (const c of [0, 1, 2]) {
    const counts = folds.map((f) => [...f.validation].filter((i) => labels[i] === c).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `class ${c}: ${counts.join(',')}`);
  }
});

test('crossValidate trains a fresh classifier per fold and reports mean ± std of the validation scores', () => {
  const data = gaussianBlobs(
    [
      [0, 0],
      [4, 0],
      [0, 4],
    ],
    30,
    0.8,
    new Rng(4),
  );
  const cv = crossValidate({
    rows: data.x.rows,
    k: 3,
    rng: new Rng(5),
    labels: data.labels,
    run: (fold, rng) => {
      const model = new Sequential([new Linear(2, 3, { rng })]);
      const loss = new CrossEntropyLoss();
      fit({
        model,
        loss,
        optimizer: new SGD(model.parameters(), { lr: 0.1 }),
        x: takeRows(data.x, fold.train),
        y: takeLabels(data.labels, fold.train),
        batchSize: 10,
        epochs: 20,
        rng,
      });
      const e = evaluate(model, loss, takeRows(data.x, fold.validation), takeLabels(data.labels, fold.validation));
      return { accuracy: e.accuracy ?? NaN, loss: e.loss };
    },
  });
  assert.equal(cv.folds.length, 3);
  assert.deepEqual(
    cv.folds.map((f) => [f.trainRows, f.validationRows]),
    [
      [60, 30],
      [60, 30],
      [60, 30],
    ],
  );
  const acc = cv.summary.accuracy;
  assert.ok(acc.mean > 0.9, `mean validation accuracy ${acc.mean}`);
  assert.ok(acc.std >= 0 && acc.min <= acc.mean && acc.mean <= acc.max);
  const mean = cv.folds.reduce((s, f) => s + f.metrics.accuracy, 0) / 3;
  assert.ok(Math.abs(acc.mean - mean) < 1e-12);
  assert.equal(acc.n, 3);
});

test('bad input is refused naming the function and the value', () => {
  assert.throws(() => foldIndices(10, 1, new Rng(0)), /foldIndices: expected an integer 2 ≤ k ≤ n = 10, got k = 1/);
  assert.throws(() => foldIndices(3, 4, new Rng(0)), /foldIndices: expected an integer 2 ≤ k ≤ n = 3, got k = 4/);
  assert.throws(() => foldIndices(1, 2, new Rng(0)), /foldIndices: expected at least 2 rows, got 1/);
  assert.throws(() => foldIndices(4, 2, new Rng(0), { labels: [0, 1] }), /foldIndices: expected 4 labels \(one per row\), got 2/);
  assert.throws(() => foldIndices(3, 2, new Rng(0), { labels: [0, 0.5, 1] }), /foldIndices: expected integer labels, got 0.5 at row 1/);
  assert.throws(() => summarizeFolds([]), /summarizeFolds: expected at least one fold result, got 0/);
  assert.throws(
    () =>
      summarizeFolds([
        { fold: 0, trainRows: 1, validationRows: 1, metrics: { a: 1 } },
        { fold: 1, trainRows: 1, validationRows: 1, metrics: { b: 1 } },
      ]),
    /summarizeFolds: expected every fold to report a, got b for fold 1/,
  );
  assert.throws(
    () => summarizeFolds([{ fold: 0, trainRows: 1, validationRows: 1, metrics: { a: NaN } }]),
    /summarizeFolds: expected finite values of a, got NaN for fold 0/,
  );
});
