import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { friedman1, gaussianBlobs } from './synthetic.js';

test('friedman1: inputs in [0, 1], the formula on the first five, the noise on top, seeded', () => {
  const a = friedman1(500, new Rng(1), { features: 8, noise: 1 });
  assert.deepEqual(a.x.shape, [500, 8]);
  assert.deepEqual(a.y.shape, [500, 1]);
  assert.ok(a.x.data.every((v) => v >= 0 && v < 1));
  const x = a.x.data;
  for (const r of [0, 17, 499]) {
    const v = (j: number) => x[r * 8 + j];
    const f = 10 * Math.sin(Math.PI * v(0) * v(1)) + 20 * (v(2) - 0.5) ** 2 + 10 * v(3) + 5 * v(4);
    assert.ok(Math.abs(a.signal[r] - f) < 1e-5, `row ${r}`);
  }
  // y − f(x) is the N(0, 1) noise: mean near 0, std near 1 over 500 rows (±4.5 standard errors).
  const e = Array.from(a.y.data, (y, i) => y - a.signal[i]);
  const m = e.reduce((s, v) => s + v, 0) / e.length;
  const sd = Math.sqrt(e.reduce((s, v) => s + (v - m) ** 2, 0) / (e.length - 1));
  assert.ok(Math.abs(m) < 0.2 && Math.abs(sd - 1) < 0.15, `noise mean ${m}, std ${sd}`);
  assert.deepEqual(friedman1(500, new Rng(1), { features: 8 }).y, a.y);
  const clean = friedman1(50, new Rng(2), { noise: 0 });
  assert.deepEqual([...clean.y.data], [...clean.signal]);
  assert.equal(clean.x.cols, 10);
});

test('gaussianBlobs: centre after centre, labelled in order, seeded', () => {
  const b = gaussianBlobs(
    [
      [0, 0],
      [10, 10],
    ],
    50,
    0.5,
    new Rng(3),
  );
  assert.deepEqual(b.x.shape, [100, 2]);
  assert.deepEqual([...b.labels.subarray(48, 52)], [0, 0, 1, 1]);
  const meanOf = (k: number, j: number) => {
    let s = 0;
    for (let r = k * 50; r < (k + 1) * 50; r++) s += b.x.data[r * 2 + j];
    return s / 50;
  };
  assert.ok(Math.abs(meanOf(0, 0)) < 0.3 && Math.abs(meanOf(1, 1) - 10) < 0.3);
  assert.deepEqual(gaussianBlobs([[0, 0]], 5, 1, new Rng(3)).x.data, gaussianBlobs([[0, 0]], 5, 1, new Rng(3)).x.data);
});

test('bad input is refused naming the function and the value', () => {
  assert.throws(() => friedman1(0, new Rng(0)), /friedman1: expected a positive integer row count, got 0/);
  assert.throws(() => friedman1(5, new Rng(0), { features: 4 }), /friedman1: expected features to be an integer ≥ 5, got 4/);
  assert.throws(() => friedman1(5, new Rng(0), { noise: -1 }), /friedman1: expected a noise standard deviation ≥ 0, got -1/);
  assert.throws(() => gaussianBlobs([], 5, 1, new Rng(0)), /gaussianBlobs: expected at least one centre, got 0/);
  assert.throws(() => gaussianBlobs([[0, 0], [1]], 5, 1, new Rng(0)), /gaussianBlobs: expected every centre to have 2 coordinates, got 1 for centre 1/);
  assert.throws(() => gaussianBlobs([[0, 0]], 0, 1, new Rng(0)), /gaussianBlobs: expected a positive integer perCenter, got 0/);
  assert.throws(() => gaussianBlobs([[0, 0]], 3, NaN, new Rng(0)), /gaussianBlobs: expected a standard deviation ≥ 0, got NaN/);
});
