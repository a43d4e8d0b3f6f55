import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { conv2dParameterCount, convOutputSize, convTransposeOutputSize, samePadding } from './conv-shape.js';
import { Conv2d } from './conv2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';

describe('convOutputSize: ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1', () => {
  test('the course examples on MNIST-sized inputs', () => {
    assert.equal(convOutputSize(28, 5, 1, 0), 24); // (28 − 4 − 1)/1 + 1
    assert.equal(convOutputSize(28, 3, 2, 1), 14); // ⌊(28 + 2 − 2 − 1)/2⌋ + 1 = 13 + 1
    assert.equal(convOutputSize(28, 3, 1, 1), 28); // padding 1 keeps a 3×3 convolution's size
    assert.equal(convOutputSize(24, 2, 2, 0), 12); // a 2×2 window at stride 2 halves
  });

  test("the course's RGB 9×9 input", () => {
    assert.equal(convOutputSize(9, 3), 7); // 9 − 3 + 1
    assert.equal(convOutputSize(9, 3, 1, 1), 9);
    assert.equal(convOutputSize(9, 3, 2, 0), 4); // ⌊6/2⌋ + 1
    assert.equal(convOutputSize(9, 3, 2, 1), 5); // ⌊8/2⌋ + 1
    assert.equal(convOutputSize(9, 5, 2, 0), 3); // ⌊4/2⌋ + 1
    assert.equal(convOutputSize(9, 9), 1); // the kernel covers the image once
  });

  test('dilation spreads the taps: a 3-tap kernel at dilation 2 spans 5 inputs', () => {
    assert.equal(convOutputSize(9, 3, 1, 0, 2), 5); // 9 − 5 + 1
    assert.equal(convOutputSize(9, 3, 1, 2, 2), 9); // padding 2 = d·(k−1)/2 keeps the size
  });

  test('an asymmetric [before, after] padding adds both', () => {
    assert.equal(convOutputSize(7, 4, 1, [1, 2]), 7); // 'same' for an even kernel
    assert.equal(convOutputSize(7, 4, 1, [1, 2]), convOutputSize(7, 4, 1, 0) + 3);
  });

  test('errors name the function, the value and what was expected', () => {
    assert.throws(() => convOutputSize(3, 5), /^RangeError: convOutputSize: the kernel spans 5 inputs .* the padded input has 3 .* expected n \+ padding ≥ 5$/);
    assert.throws(() => convOutputSize(4, 3, 1, 0, 2), /convOutputSize: the kernel spans 5 inputs \(dilation·\(kernel−1\) \+ 1 = 2·2 \+ 1\)/);
    assert.throws(() => convOutputSize(28, 0), /convOutputSize: expected kernel to be an integer ≥ 1, got 0/);
    assert.throws(() => convOutputSize(28, 3, 0), /convOutputSize: expected stride to be an integer ≥ 1, got 0/);
    assert.throws(() => convOutputSize(28, 3, 1, -1), /convOutputSize: expected padding to be an integer ≥ 0, got -1/);
    assert.throws(() => convOutputSize(28.5, 3), /convOutputSize: expected the input size n to be an integer ≥ 1, got 28.5/);
    assert.throws(() => convOutputSize(28, 3, 1, [1] as unknown as number), /convOutputSize: expected padding to be a number or \[before, after\], got \[1\]/);
  });
});

describe('convTransposeOutputSize: (n − 1)·s − 2p + d·(k − 1) + outputPadding + 1', () => {
  test('upsampling examples', () => {
    assert.equal(convTransposeOutputSize(7, 3, 2, 1, 1), 14); // 12 − 2 + 2 + 1 + 1
    assert.equal(convTransposeOutputSize(14, 4, 2, 1), 28); // 26 − 2 + 3 + 1 (DCGAN's ×2)
    assert.equal(convTransposeOutputSize(24, 5), 28); // undoes 28 → 24
    assert.equal(convTransposeOutputSize(5, 3, 1, 0, 1, 2), 10); // outputPadding < dilation
  });

  test('inverts convOutputSize: the convolution maps the transposed output back to n', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 500; t++) {
      const n = 1 + rng.int(12);
      const k = 1 + rng.int(5);
      const s = 1 + rng.int(3);
      const d = 1 + rng.int(2);
      const op = rng.int(s);
      const total = (n - 1) * s + d * (k - 1) + op + 1;
      const p = rng.int(Math.floor((total - 1) / 2) + 1);
      const m = convTransposeOutputSize(n, k, s, p, op, d);
      assert.equal(convOutputSize(m, k, s, p, d), n, `n ${n} k ${k} s ${s} p ${p} op ${op} d ${d}`);
    }
  });

  test('errors', () => {
    assert.throws(
      () => convTransposeOutputSize(4, 3, 2, 0, 2),
      /convTransposeOutputSize: expected outputPadding < stride or < dilation \(PyTorch's rule\), got outputPadding 2 with stride 2, dilation 1/,
    );
    assert.throws(() => convTransposeOutputSize(1, 1, 1, 1), /convTransposeOutputSize: padding 1 removes the whole output .* = -1\); expected padding ≤ 0/);
    assert.throws(() => convTransposeOutputSize(0, 3), /expected the input size n to be an integer ≥ 1, got 0/);
  });
});

describe('conv2dParameterCount: (k_h·k_w·C_in + 1)·C_out', () => {
  test('course examples', () => {
    assert.equal(conv2dParameterCount(3, 32, 3, 3), (3 * 3 * 3 + 1) * 32); // 896: 32 3×3 kernels on an RGB image
    assert.equal(conv2dParameterCount(1, 32, 5, 5), (5 * 5 * 1 + 1) * 32); // 832 on MNIST
    assert.equal(conv2dParameterCount(32, 64, 3, 3), (3 * 3 * 32 + 1) * 64); // 18,496
    assert.equal(conv2dParameterCount(32, 64, 3, 3, false), 3 * 3 * 32 * 64);
    assert.equal(conv2dParameterCount(3, 8, 2, 4), (2 * 4 * 3 + 1) * 8); // rectangular
    assert.equal(conv2dParameterCount(32, 64, 3, 3, true, 4), (3 * 3 * 8 + 1) * 64); // groups
  });

  test('equals the layers’ parameterCount', () => {
    const rng = new Rng(1);
    assert.equal(new Conv2d(3, 32, 3, { rng }).parameterCount(), conv2dParameterCount(3, 32, 3, 3));
    assert.equal(new Conv2d(3, 5, [2, 4], { rng, bias: false }).parameterCount(), conv2dParameterCount(3, 5, 2, 4, false));
    assert.equal(new ConvTranspose2d(6, 3, [3, 2], { rng }).parameterCount(), conv2dParameterCount(6, 3, 3, 2));
  });

  test('errors', () => {
    assert.throws(
      () => conv2dParameterCount(3, 4, 3, 3, true, 2),
      /conv2dParameterCount: expected groups to divide cIn and cOut, got groups 2 with cIn 3, cOut 4/,
    );
    assert.throws(() => conv2dParameterCount(0, 4, 3, 3), /conv2dParameterCount: expected cIn to be an integer ≥ 1, got 0/);
  });
});

describe("samePadding: PyTorch's padding='same'", () => {
  test('odd totals put the extra zero after', () => {
    assert.deepEqual(samePadding(3), [1, 1]);
    assert.deepEqual(samePadding(5), [2, 2]);
    assert.deepEqual(samePadding(1), [0, 0]);
    assert.deepEqual(samePadding(2), [0, 1]);
    assert.deepEqual(samePadding(4), [1, 2]);
    assert.deepEqual(samePadding(3, 2), [2, 2]); // total d·(k−1) = 4
    assert.deepEqual(samePadding(4, 3), [4, 5]); // total 9
  });

  test('keeps the size for every kernel and dilation', () => {
    for (let k = 1; k <= 6; k++) for (let d = 1; d <= 3; d++) assert.equal(convOutputSize(11, k, 1, samePadding(k, d), d), 11);
  });

  test('refuses a stride other than 1, as PyTorch', () => {
    assert.throws(() => samePadding(3, 1, 2), /^RangeError: samePadding: padding 'same' needs stride 1 \(as PyTorch\), got stride 2$/);
  });
});
