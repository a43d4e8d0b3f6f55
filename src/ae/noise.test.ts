import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { addNoise } from './noise.js';

function constant(n: number, v: number): Tensor {
  return Tensor.full([n, 100], v);
}

test('gaussian noise of scale c has standard deviation c before clipping (seed 003 §5.3)', () => {
  const x = constant(100, 0.5);
  const y = addNoise(x, { kind: 'gaussian', scale: 0.1, clip: false }, new Rng(1));
  let mean = 0;
  for (const v of y.data) mean += v - 0.5;
  mean /= y.size;
  let variance = 0;
  for (const v of y.data) variance += (v - 0.5 - mean) ** 2;
  const std = Math.sqrt(variance / y.size);
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.1) < 0.003, `std ${std}`);
  assert.ok(
    x.data.every((v) => v === 0.5),
    'the input is untouched',
  );
});

test('gaussian noise is clipped to [0, 1] by default and not when clip is false', () => {
  const x = constant(20, 0.9);
  const clipped = addNoise(x, { kind: 'gaussian', scale: 1 }, new Rng(2));
  assert.ok(clipped.data.every((v) => v >= 0 && v <= 1));
  assert.ok(clipped.data.some((v) => v === 1) && clipped.data.some((v) => v === 0));
  const raw = addNoise(x, { kind: 'gaussian', scale: 1, clip: false }, new Rng(2));
  assert.ok(raw.data.some((v) => v > 1) && raw.data.some((v) => v < 0));
});

test('masking zeroes about a share c of the pixels and keeps the rest', () => {
  const x = constant(100, 0.7);
  const y = addNoise(x, { kind: 'masking', scale: 0.3 }, new Rng(3));
  const zeros = y.data.filter((v) => v === 0).length / y.size;
  assert.ok(Math.abs(zeros - 0.3) < 0.02, `masked share ${zeros}`);
  assert.ok(y.data.every((v) => v === 0 || Math.abs(v - 0.7) < 1e-7));
});

test('salt-and-pepper sets about c/2 of the pixels to 0 and c/2 to 1', () => {
  const x = constant(100, 0.4);
  const y = addNoise(x, { kind: 'salt_pepper', scale: 0.2 }, new Rng(4));
  const zeros = y.data.filter((v) => v === 0).length / y.size;
  const ones = y.data.filter((v) => v === 1).length / y.size;
  assert.ok(Math.abs(zeros - 0.1) < 0.015 && Math.abs(ones - 0.1) < 0.015, `pepper ${zeros}, salt ${ones}`);
});

test('the same generator state gives the same noise; scale 0 changes nothing', () => {
  const x = constant(5, 0.3);
  assert.deepEqual(addNoise(x, { kind: 'gaussian', scale: 0.5 }, new Rng(9)).data, addNoise(x, { kind: 'gaussian', scale: 0.5 }, new Rng(9)).data);
  assert.notDeepEqual(addNoise(x, { kind: 'gaussian', scale: 0.5 }, new Rng(9)).data, addNoise(x, { kind: 'gaussian', scale: 0.5 }, new Rng(10)).data);
  for (const kind of ['gaussian', 'masking', 'salt_pepper'] as const) assert.deepEqual(addNoise(x, { kind, scale: 0 }, new Rng(1)).data, x.data);
});

test('bad noise options are refused with errors naming the value', () => {
  const x = constant(1, 0.5);
  const rng = new Rng(0);
  assert.throws(
    () => addNoise(x, { kind: 'poisson' as never, scale: 0.1 }, rng),
    /addNoise: expected noise kind to be one of gaussian, masking, salt_pepper, got "poisson"/,
  );
  assert.throws(() => addNoise(x, { kind: 'gaussian', scale: -1 }, rng), /addNoise: expected noise scale ≥ 0 \(finite\), got -1/);
  assert.throws(() => addNoise(x, { kind: 'masking', scale: 1.5 }, rng), /addNoise: expected a masking noise scale \(a probability\) between 0 and 1, got 1.5/);
  assert.throws(() => addNoise(x, { kind: 'gaussian', scale: NaN }, rng), /got NaN/);
});
