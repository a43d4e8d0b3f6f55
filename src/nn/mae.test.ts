import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../tensor/tensor.js';
import { L1Loss } from './mae.js';

test('L1Loss by hand: mean |ŷ − y| and sign(ŷ − y)/N, with sign(0) = 0 as PyTorch', () => {
  const loss = new L1Loss();
  // residuals 0.5, −2, 0, 1.5 → (0.5 + 2 + 0 + 1.5)/4 = 1
  const l = loss.forward(Tensor.from([1.5, -1, 3, 2], [4, 1]), Tensor.from([1, 1, 3, 0.5], [4, 1]));
  assert.equal(l, 1);
  assert.deepEqual([...loss.backward().data], [0.25, -0.25, 0, 0.25]);
});

test('L1Loss refuses a target of another shape, class indices, and backward before forward', () => {
  const p = Tensor.zeros([2, 3]);
  assert.throws(() => new L1Loss().forward(p, Tensor.zeros([2, 2])), /L1Loss.forward: expected a target of shape \[2, 3\], got \[2, 2\]/);
  assert.throws(() => new L1Loss().forward(p, new Int32Array(2)), /L1Loss.forward: expected a target tensor of shape \[2, 3\], got class indices/);
  assert.throws(() => new L1Loss().backward(), /L1Loss.backward: called before forward/);
});
