import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../tensor/tensor.js';
import { confusionMatrix, confusionSvg, misclassifiedPng, misclassifiedRows, misclassifiedSvg, mlpAccuracySvg, mlpLossSvg } from './mlp-figures.js';
import { decodePng } from './png.js';
import { svgProblem } from './svg-check.js';

const labels = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
const preds = Int32Array.from([0, 2, 2, 1, 1, 0, 2, 1, 2, 0]);

test('confusionMatrix counts true classes (rows) against predictions (columns)', () => {
  assert.deepEqual(confusionMatrix(labels, preds, 3), [
    [2, 1, 1],
    [0, 2, 1],
    [1, 0, 2],
  ]);
  assert.throws(() => confusionMatrix(labels, preds.subarray(1), 3), /confusionMatrix: expected one prediction per label, got 9 predictions for 10 labels/);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /confusionMatrix: expected labels in 0\.\.2, got 3 at row 1/);
});

test('misclassifiedRows takes the first wrong rows of each true class, in row order', () => {
  const rows = misclassifiedRows(labels, preds, 3, 1);
  assert.deepEqual(rows, [
    { label: 0, indices: [3], predicted: [1], total: 2 },
    { label: 1, indices: [1], predicted: [2], total: 1 },
    { label: 2, indices: [5], predicted: [0], total: 1 },
  ]);
  assert.deepEqual(misclassifiedRows(labels, labels, 3, 5), []);
});

test('misclassifiedPng and misclassifiedSvg draw one row per class, each image over the class it was taken for', () => {
  const x = new Tensor(
    Float32Array.from({ length: 10 * 16 }, (_, i) => (i % 7) / 7),
    [10, 16],
  );
  const rows = misclassifiedRows(labels, preds, 3, 10);
  const png = misclassifiedPng(x, rows, [4, 4]);
  assert.ok(png !== null);
  const r = decodePng(png);
  // 4 px images at ×14 (56 px), 2 px apart; the widest row (class 0) holds 2 images; 3 rows 18 px apart.
  assert.deepEqual([r.width, r.height], [2 * 56 + 2, 3 * 56 + 2 * 18]);
  const svg = misclassifiedSvg(x, rows, [4, 4], ['zero', 'one', 'two']);
  assert.ok(svg !== null);
  assert.equal(svgProblem(svg), null);
  assert.match(svg, /<image [^>]*href="data:image\/png;base64,/);
  for (const t of ['zero', 'one', 'two', '2 wrong', '→ one', '→ two', '→ zero']) assert.ok(svg.includes(`>${t}<`), `missing ${t}`);
  assert.equal(misclassifiedSvg(x, [], [4, 4], ['a']), null);
  assert.throws(() => misclassifiedPng(x, rows, [5, 5]), /misclassifiedPng: expected rows of 5×5 = 25 features, got 16/);
});

test('the loss, accuracy and confusion charts are well-formed SVG with integer epoch ticks', async () => {
  const points = [
    { epoch: 1, loss: 1.2, testLoss: 0.9, testAccuracy: 0.7 },
    { epoch: 2, loss: 0.8, testLoss: 0.7, testAccuracy: 0.8 },
  ];
  const loss = await mlpLossSvg(points);
  const acc = await mlpAccuracySvg(points);
  const conf = await confusionSvg(confusionMatrix(labels, preds, 3), ['a', 'b', 'a']);
  for (const svg of [loss, acc, conf]) assert.equal(svgProblem(svg), null);
  assert.match(loss, /Cross-entropy loss per epoch/);
  assert.match(acc, /test accuracy \(%\)/);
  assert.match(conf, /Confusion matrix, test split/);
  // Two epochs: ticks 1 and 2 only, no 1.5.
  assert.doesNotMatch(loss, />1\.5</);
  await assert.rejects(() => mlpLossSvg([]), /mlpLossSvg: expected at least one epoch, got 0/);
});
