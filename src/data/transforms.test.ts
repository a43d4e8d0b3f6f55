import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  addGaussianNoise,
  classSubset,
  flattenImages,
  kFold,
  oneHot,
  sampleRows,
  scaleToUnit,
  selectClasses,
  takeLabels,
  takeRows,
  trainTestSplit,
} from './transforms.js';

/** 2 columns per row: [i, 10·label], so every output row says where it came from. */
function dataset(labels: number[]): { x: Tensor; labels: Int32Array } {
  return { x: Tensor.fromRows(labels.map((l, i) => [i, 10 * l])), labels: Int32Array.from(labels) };
}

test('scaleToUnit maps bytes to float32 byte/255 in an n × d tensor', () => {
  const t = scaleToUnit(Uint8Array.from([0, 51, 255, 128, 1, 254]), 2, 3);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...t.data], [0, 0.2, 1, 128 / 255, 1 / 255, 254 / 255].map(Math.fround));
  assert.throws(() => scaleToUnit(new Uint8Array(5), 2, 3), /scaleToUnit: 2 × 3 needs 6 bytes, got 5/);
  assert.throws(() => scaleToUnit(new Uint8Array(0), -1, 3), /scaleToUnit: expected n to be an integer ≥ 0, got -1/);
});

test('flattenImages turns n × h × w into n × (h·w) without copying', () => {
  const t = Tensor.from([...Array(12).keys()], [2, 2, 3]);
  const f = flattenImages(t);
  assert.deepEqual(f.shape, [2, 6]);
  assert.equal(f.data, t.data);
  assert.deepEqual(flattenImages(Tensor.zeros([0, 28, 28])).shape, [0, 784]);
  assert.throws(() => flattenImages(Tensor.zeros([5])), /flattenImages: expected a tensor of n images \(rank ≥ 2\), got shape \[5\]/);
});

test('takeRows and takeLabels copy the indexed rows in the order given, repeats allowed', () => {
  const { x, labels } = dataset([0, 1, 2, 3]);
  const idx = Int32Array.from([3, 0, 3]);
  const t = takeRows(x, idx);
  assert.deepEqual(t.toRows(), [
    [3, 30],
    [0, 0],
    [3, 30],
  ]);
  t.data[0] = 99;
  assert.equal(x.data[6], 3);
  assert.deepEqual([...takeLabels(labels, idx)], [3, 0, 3]);
  assert.deepEqual(takeRows(Tensor.zeros([3, 2, 2]), Int32Array.from([1])).shape, [1, 2, 2]);
  assert.throws(() => takeRows(x, Int32Array.from([0, 4])), /takeRows: index 4 at position 1 is outside 0\.\.3/);
  assert.throws(() => takeLabels(labels, Int32Array.from([-1])), /takeLabels: index -1 at position 0 is outside 0\.\.3/);
});

test('sampleRows draws distinct rows in their original order, the same for the same seed, and keeps a small x whole', () => {
  const { x } = dataset([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s = sampleRows(x, 4, new Rng(5));
  const picked = s.toRows().map((r) => r[0]);
  assert.deepEqual(s.shape, [4, 2]);
  assert.deepEqual(
    picked,
    [...new Set(picked)].sort((a, b) => a - b),
  );
  assert.deepEqual(s.toRows(), sampleRows(x, 4, new Rng(5)).toRows());
  // The rows are those of rng.sample's indices, so a caller can take the matching labels from the same draws.
  assert.deepEqual(picked, [...new Rng(5).sample(10, 4).sort()]);
  assert.equal(sampleRows(x, 10, new Rng(5)), x);
});

test('selectClasses without perClass keeps every row of the chosen classes in the original order', () => {
  const { x, labels } = dataset([5, 1, 0, 1, 7, 0, 5]);
  const s = selectClasses(x, labels, [1, 0], undefined, new Rng(1));
  assert.deepEqual([...s.indices], [1, 2, 3, 5]);
  assert.deepEqual([...s.labels], [1, 0, 1, 0]);
  assert.deepEqual(s.x.toRows(), [
    [1, 10],
    [2, 0],
    [3, 10],
    [5, 0],
  ]);
});

test('selectClasses draws perClass distinct rows of each class, sorted, reproducibly with the same seed', () => {
  const labels = Array.from({ length: 300 }, (_, i) => i % 5);
  const { x } = dataset(labels);
  const lab = Int32Array.from(labels);
  const a = selectClasses(x, lab, [4, 2], 7, new Rng(42));
  const b = selectClasses(x, lab, [4, 2], 7, new Rng(42));
  const c = selectClasses(x, lab, [4, 2], 7, new Rng(43));
  assert.deepEqual(a.indices, b.indices);
  assert.notDeepEqual(a.indices, c.indices);
  assert.equal(a.indices.length, 14);
  assert.equal(new Set(a.indices).size, 14);
  assert.deepEqual(
    [...a.indices],
    [...a.indices].sort((p, q) => p - q),
  );
  assert.equal(a.labels.filter((l) => l === 4).length, 7);
  assert.equal(a.labels.filter((l) => l === 2).length, 7);
  // Each row still matches its label.
  a.indices.forEach((i, r) => {
    assert.equal(a.x.data[2 * r], i);
    assert.equal(a.x.data[2 * r + 1], 10 * a.labels[r]);
  });
  // Not simply the first 7 of each class (cut_data's choice).
  assert.notDeepEqual([...a.indices].slice(0, 4), [2, 4, 7, 9]);
});

test('selectClasses refuses classes that are missing, too small, repeated or mismatched with x', () => {
  const { x, labels } = dataset([0, 0, 1, 1, 1]);
  assert.throws(() => selectClasses(x, labels, [0, 1], 3, new Rng(0)), /selectClasses: class 0 has 2 samples, fewer than the 3 asked for/);
  assert.throws(() => selectClasses(x, labels, [1, 9], undefined, new Rng(0)), /selectClasses: class 9 has no samples/);
  assert.throws(() => selectClasses(x, labels, [1, 1], undefined, new Rng(0)), /classes \[1, 1\] contain duplicates/);
  assert.throws(() => selectClasses(x, labels, [], undefined, new Rng(0)), /expected at least one class/);
  assert.throws(() => selectClasses(x, labels.subarray(1), [1], undefined, new Rng(0)), /x has shape \[5, 2\] but there are 4 labels/);
  assert.throws(() => selectClasses(x, labels, [1], 1.5, new Rng(0)), /expected perClass to be an integer ≥ 0, got 1\.5/);
});

/** A tiny labelled dataset with named classes (rows as in `dataset`). */
function named(labels: number[], classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven']) {
  return { ...dataset(labels), classNames };
}

test('classSubset keeps the rows of the classes asked for and renumbers them 0..K−1 in sorted order', () => {
  const data = named([5, 1, 0, 3, 7, 1, 3, 7, 2]);
  for (const asked of [
    [1, 3, 7],
    [7, 3, 1],
    [3, 7, 1],
  ]) {
    const s = classSubset(data, asked);
    assert.deepEqual(s.classes, [1, 3, 7]);
    assert.deepEqual(s.classNames, ['one', 'three', 'seven']);
    assert.deepEqual(
      [...s.mapping],
      [
        [1, 0],
        [3, 1],
        [7, 2],
      ],
    );
    assert.deepEqual([...s.indices], [1, 3, 4, 5, 6, 7]);
    assert.deepEqual([...s.labels], [0, 1, 2, 0, 1, 2]);
    // Each row is the input row it says it is, and its new label names its old one.
    s.indices.forEach((i, r) => {
      assert.equal(s.x.data[2 * r], i);
      assert.equal(s.x.data[2 * r + 1], 10 * s.classes[s.labels[r]]);
    });
  }
  // The input is not changed.
  assert.deepEqual([...data.labels], [5, 1, 0, 3, 7, 1, 3, 7, 2]);
});

test('classSubset with perClass draws that many rows of each class, the same for the same seed whatever the order of the classes', () => {
  const labels = Array.from({ length: 400 }, (_, i) => (i * 7) % 8);
  const data = named(labels);
  const a = classSubset(data, [6, 2, 4], 9, new Rng(3));
  const b = classSubset(data, [2, 4, 6], 9, new Rng(3));
  const c = classSubset(data, [2, 4, 6], 9, new Rng(4));
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.indices, c.indices);
  assert.equal(a.x.rows, 27);
  assert.equal(new Set(a.indices).size, 27);
  for (let k = 0; k < 3; k++) assert.equal(a.labels.filter((l) => l === k).length, 9);
  a.indices.forEach((i, r) => {
    assert.equal(labels[i], a.classes[a.labels[r]]);
    assert.equal(a.x.data[2 * r + 1], 10 * labels[i]);
  });
  // Drawn by selectClasses on the sorted classes with the same rng.
  assert.deepEqual(a.indices, selectClasses(data.x, data.labels, [2, 4, 6], 9, new Rng(3)).indices);
});

test('classSubset refuses classes the dataset does not have, naming the class and the classes it has', () => {
  const data = named([0, 1, 2, 1, 0]);
  assert.throws(() => classSubset(data, [1, 8]), /classSubset: class 8 is not one of the dataset's classes 0\.\.7 \(0 "zero", 1 "one", 2 "two", .*7 "seven"\)/);
  assert.throws(
    () => classSubset({ ...dataset([0, 1, 2]), classNames: ['0', '1', '2'] }, [3]),
    /classSubset: class 3 is not one of the dataset's classes 0\.\.2$/,
  );
  assert.throws(() => classSubset(data, [-1]), /class -1 is not one of/);
  assert.throws(() => classSubset(data, [1.5]), /class 1\.5 is not one of/);
  // A class the dataset has but these rows do not (selectClasses' check).
  assert.throws(() => classSubset(data, [1, 5]), /class 5 has no samples/);
  assert.throws(() => classSubset(data, [1, 1]), /classes \[1, 1\] contain duplicates/);
  assert.throws(() => classSubset(data, []), /expected at least one class/);
  assert.throws(() => classSubset(data, [0, 1], 3, new Rng(0)), /class 0 has 2 samples, fewer than the 3 asked for/);
  assert.throws(() => classSubset(data, [0, 1], 0, new Rng(0)), /classSubset: expected perClass to be an integer ≥ 1, got 0/);
  assert.throws(() => classSubset(data, [0, 1], 1), /classSubset: perClass 1 draws rows at random, so it needs an rng/);
});

test('oneHot puts a single 1 in each row at the label column', () => {
  const t = oneHot(Int32Array.from([2, 0, 1]), 3);
  assert.deepEqual(t.toRows(), [
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 0],
  ]);
  assert.throws(() => oneHot(Int32Array.from([0, 3]), 3), /oneHot: label 3 at index 1 is outside 0\.\.2/);
  assert.throws(() => oneHot(Int32Array.from([-1]), 3), /oneHot: label -1 at index 0/);
  assert.throws(() => oneHot(Int32Array.from([0]), 0), /oneHot: expected classes to be an integer ≥ 1, got 0/);
});

test('addGaussianNoise adds c·N(0,1): over many values the noise has mean ≈ 0 and std ≈ c', () => {
  const n = 200_000;
  const x = Tensor.full([400, 500], 0.5);
  const c = 0.3;
  const y = addGaussianNoise(x, c, new Rng(7));
  assert.deepEqual(y.shape, [400, 500]);
  assert.notEqual(y.data, x.data);
  assert.ok(
    x.data.every((v) => v === 0.5),
    'input unchanged',
  );
  let sum = 0;
  let sq = 0;
  for (const v of y.data) {
    sum += v - 0.5;
    sq += (v - 0.5) ** 2;
  }
  const mean = sum / n;
  const std = Math.sqrt(sq / n - mean * mean);
  // Standard errors: c/√n ≈ 6.7e-4 for the mean, c/√(2n) ≈ 4.7e-4 for the std.
  assert.ok(Math.abs(mean) < 0.003, `mean ${mean}`);
  assert.ok(Math.abs(std - c) < 0.003, `std ${std}`);
  assert.deepEqual(addGaussianNoise(x, c, new Rng(7)).data, y.data);
  assert.deepEqual([...addGaussianNoise(x, 0, new Rng(7)).data.subarray(0, 3)], [0.5, 0.5, 0.5]);
});

test('addGaussianNoise with clip keeps every value inside [lo, hi]', () => {
  const y = addGaussianNoise(Tensor.full([100, 100], 0.9), 1, new Rng(3), [0, 1]);
  let atHi = 0;
  for (const v of y.data) {
    assert.ok(v >= 0 && v <= 1, `value ${v}`);
    if (v === 1) atHi++;
  }
  assert.ok(atHi > 3000, `only ${atHi} values clipped at 1`);
  assert.throws(() => addGaussianNoise(y, -0.1, new Rng(0)), /addGaussianNoise: expected a finite noise scale c ≥ 0, got -0\.1/);
  assert.throws(() => addGaussianNoise(y, 0.1, new Rng(0), [1, 0]), /expected clip \[lo, hi\] with lo ≤ hi, got \[1, 0\]/);
});

test('trainTestSplit partitions 0…n−1 into round(n·f) shuffled test indices and the rest', () => {
  const { train, test: testIdx } = trainTestSplit(101, 0.2, new Rng(5));
  assert.equal(testIdx.length, 20);
  assert.equal(train.length, 81);
  const all = [...train, ...testIdx].sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(101).keys()]);
  assert.notDeepEqual(
    [...testIdx],
    [...testIdx].sort((a, b) => a - b),
  );
  assert.deepEqual(trainTestSplit(101, 0.2, new Rng(5)).test, testIdx);
  assert.equal(trainTestSplit(10, 0.25, new Rng(0)).test.length, 3);
  for (const f of [0, 1, -0.1, 1.5, NaN]) assert.throws(() => trainTestSplit(10, f, new Rng(0)), /trainTestSplit: expected 0 < testFraction < 1/);
});

test('kFold gives k folds of near-equal size whose test parts cover every index exactly once', () => {
  const n = 23;
  const k = 5;
  const folds = kFold(n, k, new Rng(9));
  assert.equal(folds.length, k);
  assert.deepEqual(
    folds.map((f) => f.test.length),
    [5, 5, 5, 4, 4],
  );
  const seen = new Array<number>(n).fill(0);
  for (const f of folds) {
    for (const i of f.test) seen[i]++;
    assert.equal(f.train.length + f.test.length, n);
    const inTest = new Set(f.test);
    assert.ok(
      f.train.every((i) => !inTest.has(i)),
      'train and test are disjoint',
    );
    assert.deepEqual(
      [...f.train, ...f.test].sort((a, b) => a - b),
      [...Array(n).keys()],
    );
  }
  assert.deepEqual(seen, new Array<number>(n).fill(1));
  assert.deepEqual(kFold(n, k, new Rng(9)), folds);
  assert.notDeepEqual(kFold(n, k, new Rng(10)), folds);
  assert.equal(
    kFold(4, 4, new Rng(0)).every((f) => f.test.length === 1),
    true,
  );
  assert.throws(() => kFold(10, 1, new Rng(0)), /kFold: expected an integer 2 ≤ k ≤ n = 10, got k = 1/);
  assert.throws(() => kFold(3, 4, new Rng(0)), /kFold: expected an integer 2 ≤ k ≤ n = 3, got k = 4/);
});
