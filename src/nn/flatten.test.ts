import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Flatten, Unflatten } from './flatten.js';
import type { Module } from './module.js';

describe('Flatten and Unflatten by hand', () => {
  test('Flatten() keeps the batch and merges the rest, as a view; backward reshapes back', () => {
    const x = Tensor.from(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 2, 2],
    );
    const f = new Flatten();
    const y = f.forward(x);
    assert.deepEqual([...y.shape], [2, 12]);
    assert.equal(y.data, x.data); // no copy
    assert.equal(y.data[13], 13); // row 1, column 1 = sample 1, channel 0, (0, 1)
    const dy = Tensor.from(
      Array.from({ length: 24 }, (_, i) => -i),
      [2, 12],
    );
    const dx = f.backward(dy);
    assert.deepEqual([...dx.shape], [2, 3, 2, 2]);
    assert.equal(dx.data, dy.data);
    // the same input gives the same view object: nothing allocated per step
    assert.equal(f.forward(x), y);
    assert.equal(f.backward(dy), dx);
  });

  test('start and end dims, negative dims count from the end', () => {
    const x = Tensor.zeros([2, 3, 4, 5]);
    assert.deepEqual([...new Flatten(0).forward(x).shape], [120]);
    assert.deepEqual([...new Flatten(2, 3).forward(x).shape], [2, 3, 20]);
    assert.deepEqual([...new Flatten(-3, -2).forward(x).shape], [2, 12, 5]);
    assert.deepEqual([...new Flatten(1, 1).forward(x).shape], [2, 3, 4, 5]);
    assert.deepEqual(new Flatten().outputShape([64, 32, 7, 7]), [64, 1568]);
  });

  test('Unflatten splits one dim, with one size inferred from −1', () => {
    const x = Tensor.zeros([2, 60]);
    assert.deepEqual([...new Unflatten(1, [3, 4, 5]).forward(x).shape], [2, 3, 4, 5]);
    assert.deepEqual([...new Unflatten(-1, [6, -1]).forward(x).shape], [2, 6, 10]);
    const u = new Unflatten(1, [32, 7, 7]);
    const z = Tensor.zeros([8, 1568]);
    const y = u.forward(z);
    assert.equal(y.data, z.data);
    assert.deepEqual([...u.backward(Tensor.zeros([8, 32, 7, 7])).shape], [8, 1568]);
    // Flatten then Unflatten is the identity on shapes
    const round = new Unflatten(1, [3, 4]).forward(new Flatten(1, 2).forward(Tensor.zeros([2, 3, 4, 5])));
    assert.deepEqual([...round.shape], [2, 3, 4, 5]);
  });
});

describe('errors', () => {
  test('constructors', () => {
    assert.throws(() => new Flatten(1.5), /Flatten: expected startDim to be an integer, got 1.5/);
    assert.throws(() => new Flatten(0, 0.5), /Flatten: expected endDim to be an integer, got 0.5/);
    assert.throws(() => new Flatten(3, 1), /Flatten: expected startDim ≤ endDim, got startDim 3 and endDim 1/);
    assert.throws(() => new Unflatten(1, []), /Unflatten: expected sizes to be a non-empty list of positive integers \(one may be -1\), got \[\]/);
    assert.throws(() => new Unflatten(1, [0, 3]), /Unflatten: expected sizes .* got \[0,3\]/);
    assert.throws(() => new Unflatten(1, [-1, -1]), /Unflatten: expected at most one -1 in sizes, got \[-1,-1\]/);
    assert.throws(() => new Unflatten(0.5, [2]), /Unflatten: expected dim to be an integer, got 0.5/);
  });

  test('forward and backward', () => {
    assert.throws(() => new Flatten(1).forward(Tensor.zeros([5])), /Flatten: startDim 1 is out of range for an input of rank 1 \(expected -1 … 0\)/);
    assert.throws(() => new Flatten(-1, 1).forward(Tensor.zeros([2, 3, 4])), /Flatten\(-1, 1\): startDim -1 comes after endDim 1 for input \[2, 3, 4\]/);
    assert.throws(
      () => new Unflatten(1, [7, -1]).forward(Tensor.zeros([2, 60])),
      /Unflatten\(1, \[7, -1\]\): cannot split dimension 1 of size 60 \(input \[2, 60\]\) into \[7, -1\]/,
    );
    assert.throws(() => new Unflatten(1, [3, 4]).forward(Tensor.zeros([2, 13])), /cannot split dimension 1 of size 13/);
    assert.throws(() => new Unflatten(2, [3, 4]).forward(Tensor.zeros([2, 12])), /Unflatten\(2, \[3, 4\]\): dim 2 is out of range for an input of rank 2/);
    assert.throws(() => new Flatten().backward(Tensor.zeros([2, 3])), /Flatten\.backward: called before forward/);
    const f = new Flatten();
    f.forward(Tensor.zeros([2, 3, 4]));
    assert.throws(() => f.backward(Tensor.zeros([2, 11])), /Flatten\.backward: expected a gradient of shape \[2, 12\], got \[2, 11\]/);
  });
});

/**
 * Finite differences: Flatten and Unflatten are the identity on the data, so L(x) = Σ w·y is
 * linear and exact in float32 for x ± H (multiples of 2⁻¹², H = 2⁻⁸): the central difference equals
 * w up to float64 summation, n·2⁻⁵³·Σ|w·y|/H.
 */
describe('finite differences agree with backward', () => {
  const H = 2 ** -8;
  const table: { name: string; make: () => Module; shape: number[] }[] = [
    { name: 'Flatten()', make: () => new Flatten(), shape: [2, 3, 2, 2] },
    { name: 'Flatten(0, 2)', make: () => new Flatten(0, 2), shape: [2, 2, 3, 2] },
    { name: 'Unflatten(1, [2, -1])', make: () => new Unflatten(1, [2, -1]), shape: [3, 8] },
  ];
  for (const c of table) {
    test(c.name, () => {
      const rng = new Rng(1);
      const layer = c.make();
      const x = Tensor.zeros(c.shape);
      for (let i = 0; i < x.size; i++) x.data[i] = Math.round(rng.uniform(-2, 2) * 4096) / 4096;
      const y0 = layer.forward(x);
      const w = new Float32Array(y0.size);
      for (let i = 0; i < w.length; i++) w[i] = Math.round(rng.uniform(-1, 1) * 256) / 256;
      const dx = layer.backward(new Tensor(w.slice(), y0.shape)).data.slice();
      const objective = (): { l: number; a: number } => {
        const y = layer.forward(x).data;
        let l = 0;
        let a = 0;
        for (let i = 0; i < y.length; i++) {
          l += w[i] * y[i];
          a += Math.abs(w[i] * y[i]);
        }
        return { l, a };
      };
      for (let i = 0; i < x.size; i++) {
        const old = x.data[i];
        x.data[i] = old + H;
        const p = objective();
        x.data[i] = old - H;
        const q = objective();
        x.data[i] = old;
        const numeric = (p.l - q.l) / (2 * H);
        const tol = (2 * x.size * 2 ** -53 * (p.a + q.a)) / (2 * H);
        assert.ok(Math.abs(numeric - dx[i]) <= tol, `dx[${i}] = ${dx[i]}, central difference ${numeric}`);
      }
    });
  }
});
