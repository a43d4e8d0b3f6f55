import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { AvgPool2d, MaxPool2d, MinPool2d, pool2dOutputSize } from './pool2d.js';

const U = 2 ** -24;

/** A 1×1×H×W tensor from rows. */
const img = (rows: number[][]): Tensor => Tensor.from(rows.flat(), [1, 1, rows.length, rows[0].length]);
const rowsOf = (t: Tensor): number[][] => {
  const [, , h, w] = t.shape;
  return Array.from({ length: h }, (_, i) => Array.from(t.data.subarray(i * w, (i + 1) * w)));
};
const near = (a: number[][], b: number[][], tol: number): void => {
  assert.equal(a.length, b.length);
  a.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) <= tol, `[${i}][${j}]: ${v} vs ${b[i][j]}`)));
};

// 4×4 input used by several hand cases:
//  1 2 | 5 3
//  4 0 | 1 1
//  ----+----
//  7 2 | 9 0
//  1 8 | 3 6
const X4 = [
  [1, 2, 5, 3],
  [4, 0, 1, 1],
  [7, 2, 9, 0],
  [1, 8, 3, 6],
];

describe('MaxPool2d by hand', () => {
  test('2×2 windows: the maximum of each, the gradient to its position', () => {
    const m = new MaxPool2d(2);
    // quadrants: max{1,2,4,0} = 4, max{5,3,1,1} = 5, max{7,2,1,8} = 8, max{9,0,3,6} = 9
    assert.deepEqual(rowsOf(m.forward(img(X4))), [
      [4, 5],
      [8, 9],
    ]);
    // dy = [[1, 2], [3, 4]] goes to the positions of 4 (1,0), 5 (0,2), 8 (3,1), 9 (2,2)
    assert.deepEqual(
      rowsOf(
        m.backward(
          img([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
      [
        [0, 0, 2, 0],
        [1, 0, 0, 0],
        [0, 0, 4, 0],
        [0, 3, 0, 0],
      ],
    );
  });

  test('ties: the first maximum in scan order takes the gradient (PyTorch CPU), summed over overlapping windows', () => {
    const m = new MaxPool2d(2, { stride: 1 });
    // [[1, 3, 3], [2, 3, 1]]: window 0 = {1,3,2,3} → first 3 at (0,1); window 1 = {3,3,3,1} → first 3 at (0,1)
    const y = m.forward(
      img([
        [1, 3, 3],
        [2, 3, 1],
      ]),
    );
    assert.deepEqual(rowsOf(y), [[3, 3]]);
    // dy = [1, 10] → both land on (0,1): 11 (PyTorch gives the same, see the ties fixtures)
    assert.deepEqual(rowsOf(m.backward(img([[1, 10]]))), [
      [0, 11, 0],
      [0, 0, 0],
    ]);
  });

  test('padding counts as −∞: negative values still win', () => {
    const m = new MaxPool2d(3, { stride: 2, padding: 1 });
    // output ⌊(3 + 2 − 3)/2⌋ + 1 = 2 per axis; window (i,j) covers rows 2i−1…2i+1, cols 2j−1…2j+1:
    // (0,0) {-1,-2,-4,-5} → -1, (0,1) {-2,-3,-5,-6} → -2, (1,0) {-4,-5,-7,-8} → -4, (1,1) → -5
    const x = img([
      [-1, -2, -3],
      [-4, -5, -6],
      [-7, -8, -9],
    ]);
    assert.deepEqual(rowsOf(m.forward(x)), [
      [-1, -2],
      [-4, -5],
    ]);
  });

  test('ceil mode adds the partial last window', () => {
    const x = img(Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => 5 * i + j)));
    // floor mode: ⌊(5 − 2)/2⌋ + 1 = 2; ceil mode: ⌊(5 − 2 + 1)/2⌋ + 1 = 3, the last window holding
    // row/column 4 only: max{20,21} = 21, max{4,9} = 9, {24} = 24
    assert.deepEqual(rowsOf(new MaxPool2d(2).forward(x)), [
      [6, 8],
      [16, 18],
    ]);
    assert.deepEqual(rowsOf(new MaxPool2d(2, { ceilMode: true }).forward(x)), [
      [6, 8, 9],
      [16, 18, 19],
      [21, 23, 24],
    ]);
  });

  test('dilation spreads the taps', () => {
    // kernel 2, dilation 2 on one row [0 5 1 7 2]: windows {0,1} → 1, {5,7} → 7, {1,2} → 2 (stride 1)
    const m = new MaxPool2d([1, 2], { stride: 1, dilation: [1, 2] });
    assert.deepEqual(rowsOf(m.forward(img([[0, 5, 1, 7, 2]]))), [[1, 7, 2]]);
  });
});

describe('MinPool2d = −maxpool(−x)', () => {
  test('by hand: the minimum of each window, ties to the first', () => {
    const m = new MinPool2d(2);
    // quadrants of X4: min{1,2,4,0} = 0 at (1,1); min{5,3,1,1} = 1, first at (1,2); min{7,2,1,8} = 1 at (3,0); min{9,0,3,6} = 0 at (2,3)
    assert.deepEqual(rowsOf(m.forward(img(X4))), [
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(
      rowsOf(
        m.backward(
          img([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
      [
        [0, 0, 0, 0],
        [0, 1, 2, 0],
        [0, 0, 0, 4],
        [3, 0, 0, 0],
      ],
    );
  });

  test('padding counts as +∞: positive values still win', () => {
    // kernel 2, stride 1, padding 1 on [[1, 2], [3, 4]]: 3×3 windows, each corner window holds one value
    const y = new MinPool2d(2, { stride: 1, padding: 1 }).forward(
      img([
        [1, 2],
        [3, 4],
      ]),
    );
    assert.deepEqual(rowsOf(y), [
      [1, 1, 2],
      [1, 1, 2],
      [3, 3, 4],
    ]);
  });

  test('bitwise equal to −MaxPool2d(−x), values and gradients, in every geometry of the table', () => {
    const rng = new Rng(5);
    for (const g of [
      { k: 2, o: {} },
      { k: 3, o: { stride: 2, padding: 1, ceilMode: true } },
      { k: [2, 3] as [number, number], o: { stride: [1, 2] as [number, number], padding: 1, dilation: [2, 1] as [number, number] } },
    ]) {
      const x = Tensor.zeros([2, 3, 7, 8]);
      // integers: plenty of ties
      for (let i = 0; i < x.size; i++) x.data[i] = rng.int(4) - 2;
      const neg = new Tensor(
        x.data.map((v) => -v),
        x.shape,
      );
      const min = new MinPool2d(g.k, g.o);
      const max = new MaxPool2d(g.k, g.o);
      const y1 = min.forward(x);
      const y2 = max.forward(neg);
      // === (not deepEqual): −0 and 0 are the same number here
      const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => v === -b[i]);
      assert.ok(same(y1.data, y2.data), 'forward');
      const dy = Tensor.zeros(y1.shape);
      rng.fillUniform(dy.data, -1, 1);
      // f(x) = −max(−x) has the Jacobian of max at −x (the two signs cancel): the same backward of dy
      const dxMin = min.backward(dy).data;
      const dxMax = max.backward(dy).data;
      assert.ok(dxMin.length === dxMax.length && dxMin.every((v, i) => v === dxMax[i]), 'backward');
    }
  });
});

describe('AvgPool2d by hand', () => {
  const X3 = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  test('2×2 means, and the gradient spread evenly', () => {
    const m = new AvgPool2d(2);
    // (1+2+4+0)/4 = 1.75, (5+3+1+1)/4 = 2.5, (7+2+1+8)/4 = 4.5, (9+0+3+6)/4 = 4.5
    assert.deepEqual(rowsOf(m.forward(img(X4))), [
      [1.75, 2.5],
      [4.5, 4.5],
    ]);
    assert.deepEqual(
      rowsOf(
        m.backward(
          img([
            [4, 8],
            [0, -4],
          ]),
        ),
      ),
      [
        [1, 1, 2, 2],
        [1, 1, 2, 2],
        [0, 0, -1, -1],
        [0, 0, -1, -1],
      ],
    );
  });

  test('padding: countIncludePad divides by 9, without it by the in-bounds count', () => {
    // kernel 3, stride 2, padding 1 on 1…9: windows (0,0) {1,2,4,5} = 12, (0,1) {2,3,5,6} = 16,
    // (1,0) {4,5,7,8} = 24, (1,1) {5,6,8,9} = 28; each window has 4 in-bounds values
    const inc = new AvgPool2d(3, { stride: 2, padding: 1 });
    near(
      rowsOf(inc.forward(img(X3))),
      [
        [12 / 9, 16 / 9],
        [24 / 9, 28 / 9],
      ],
      4 * U,
    );
    const exc = new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
    assert.deepEqual(rowsOf(exc.forward(img(X3))), [
      [3, 4],
      [6, 7],
    ]);
    // backward of dy = [[1, 2], [3, 4]]: window (i,j) covers rows i…i+1, cols j…j+1 of the input, so
    // dx(r,c) = Σ dy of the windows containing (r,c) / divisor
    const dy = img([
      [1, 2],
      [3, 4],
    ]);
    const sums = [
      [1, 3, 2],
      [4, 10, 6],
      [3, 7, 4],
    ];
    near(
      rowsOf(inc.backward(dy)),
      sums.map((r) => r.map((v) => v / 9)),
      8 * U,
    );
    near(
      rowsOf(exc.backward(dy)),
      sums.map((r) => r.map((v) => v / 4)),
      8 * U,
    );
  });

  test('ceil mode: the last window is clipped at the input and its padding, for the divisor too (PyTorch)', () => {
    // 4×4 of 0…15, kernel 3, stride 2, ceil: output ⌊(4 − 3 + 1)/2⌋ + 1 = 2; window 1 starts at 2 and
    // would end at 5 > 4 + 0 (input + padding): clipped to 2 rows/cols, divisor 3·2 or 2·2 even with
    // countIncludePad. (0,0): 0+1+2+4+5+6+8+9+10 = 45/9 = 5; (0,1): 2+3+6+7+10+11 = 39/6 = 6.5;
    // (1,0): 8+9+10+12+13+14 = 66/6 = 11; (1,1): 10+11+14+15 = 50/4 = 12.5
    const x = img(Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => 4 * i + j)));
    assert.deepEqual(rowsOf(new AvgPool2d(3, { stride: 2, ceilMode: true }).forward(x)), [
      [5, 6.5],
      [11, 12.5],
    ]);
    // with padding 1: (size 4, k 3, s 2, p 1, ceil) → ⌊(4+2−3+1)/2⌋+1 = 3, and (3−1)·2 = 4 < 4+1 keeps it;
    // window 2 starts at 3 and ends at min(6, 4+1) = 5: 2 padded taps along that axis, 1 in-bounds.
    // (2,2): {15}, divisor 2·2 = 4 with countIncludePad → 3.75, 1 without → 15
    const y1 = new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }).forward(x);
    const y2 = new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).forward(x);
    assert.deepEqual([...y1.shape], [1, 1, 3, 3]);
    assert.equal(y1.data[8], 3.75);
    assert.equal(y2.data[8], 15);
  });
});

describe('pool2dOutputSize (PyTorch pooling_output_shape)', () => {
  test('floor, ceil, and the rule that the last window starts inside the input or left padding', () => {
    assert.equal(pool2dOutputSize(28, 2, 2), 14);
    assert.equal(pool2dOutputSize(7, 2, 2), 3); // ⌊5/2⌋ + 1
    assert.equal(pool2dOutputSize(7, 2, 2, 0, 1, true), 4); // ⌊6/2⌋ + 1
    assert.equal(pool2dOutputSize(7, 3, 2, 1, 2), 3); // ⌊(7 + 2 − 5)/2⌋ + 1
    // ceil gives ⌊(5 + 2 − 3 + 2)/3⌋ + 1 = 3, but window 2 would start at 6 ≥ 5 + 1: 2
    assert.equal(pool2dOutputSize(5, 3, 3, 1, 1, true), 2);
    // kernel 1, stride 2 on 2: ceil gives 2, window 1 would start at 2 ≥ 2 + 0: 1
    assert.equal(pool2dOutputSize(2, 1, 2, 0, 1, true), 1);
    assert.equal(pool2dOutputSize(2, 3, 1), 0); // the window does not fit
  });
});

describe('errors name the layer, the value and what was expected', () => {
  test('constructors', () => {
    assert.throws(() => new MaxPool2d(0), /MaxPool2d\(0\): expected kernel to be an integer ≥ 1 or a pair \[h, w\] of them, got 0/);
    assert.throws(() => new MaxPool2d(2.5), /MaxPool2d\(2.5\): expected kernel/);
    assert.throws(
      () => new MaxPool2d([2, 2, 2] as unknown as [number, number]),
      /expected kernel to be an integer ≥ 1 or a pair \[h, w\] of them, got \[2,2,2\]/,
    );
    assert.throws(() => new MaxPool2d(2, { stride: 0 }), /MaxPool2d\(2\): expected stride to be an integer ≥ 1/);
    assert.throws(() => new MaxPool2d(2, { padding: -1 }), /MaxPool2d\(2\): expected padding to be an integer ≥ 0/);
    assert.throws(() => new MaxPool2d(2, { dilation: 0 }), /MaxPool2d\(2\): expected dilation to be an integer ≥ 1/);
    assert.throws(() => new MaxPool2d(2, { padding: 2 }), /MaxPool2d\(2\): expected padding ≤ kernel \/ 2 \(as PyTorch\), got padding 2 with kernel 2/);
    assert.throws(() => new MinPool2d(3, { ceilMode: 1 as unknown as boolean }), /MinPool2d\(3\): expected ceilMode to be a boolean, got 1/);
    assert.throws(
      () => new AvgPool2d(3, { padding: [1, 2] }),
      /AvgPool2d\(3\): expected padding ≤ kernel \/ 2 \(as PyTorch\), got padding \[1, 2\] with kernel 3/,
    );
    assert.throws(
      () => new AvgPool2d(2, { countIncludePad: 'no' as unknown as boolean }),
      /AvgPool2d\(2\): expected countIncludePad to be a boolean, got "no"/,
    );
    assert.throws(() => new AvgPool2d(2, { dilation: 2 } as object), /AvgPool2d\(2\): AvgPool2d has no dilation option/);
  });

  test('forward and backward', () => {
    const m = new MaxPool2d(3);
    assert.throws(() => m.forward(Tensor.zeros([4, 5, 5])), /MaxPool2d\(3\): expected input \[N, C, H, W\], got \[4, 5, 5\]/);
    assert.throws(
      () => m.forward(Tensor.zeros([1, 2, 2, 5])),
      /MaxPool2d\(3\): the 3×3 window \(kernel 3, dilation 1\) is larger than the padded input 2×5 \(input \[1, 2, 2, 5\], padding 0\): output size 0×1/,
    );
    assert.throws(
      () => new AvgPool2d(3, { stride: 2, padding: 1 }).forward(Tensor.zeros([1, 1, 1, 0])),
      /AvgPool2d\(3, stride=2, padding=1\): the 3×3 window .* is larger than the padded input 3×2/,
    );
    // kernel 2, dilation 3, padding 1 on 2×2: the only window's taps are at −1 and 2, both padding
    assert.throws(
      () => new MaxPool2d(2, { stride: 1, padding: 1, dilation: 3 }).forward(Tensor.zeros([1, 1, 2, 2])),
      /MaxPool2d\(2, stride=1, padding=1, dilation=3\): output row 0's window covers only padding \(input \[1, 1, 2, 2\], padding 1, dilation 3\)/,
    );
    assert.throws(() => new MaxPool2d(2).backward(Tensor.zeros([1, 1, 1, 1])), /MaxPool2d\(2\)\.backward: called before forward/);
    m.forward(Tensor.zeros([1, 2, 6, 6]));
    assert.throws(() => m.backward(Tensor.zeros([1, 2, 2, 3])), /MaxPool2d\(3\)\.backward: expected a gradient of shape \[1, 2, 2, 2\], got \[1, 2, 2, 3\]/);
  });

  test('toString and outputShape', () => {
    assert.equal(new MaxPool2d(2).toString(), 'MaxPool2d(2)');
    assert.equal(
      new MaxPool2d([3, 2], { stride: 2, padding: 1, dilation: 2, ceilMode: true }).toString(),
      'MaxPool2d([3, 2], stride=2, padding=1, dilation=2, ceilMode)',
    );
    assert.equal(new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }).toString(), 'AvgPool2d(3, stride=1, padding=1, countIncludePad=false)');
    assert.deepEqual(new MaxPool2d(2).outputShape([256, 32, 28, 28]), [256, 32, 14, 14]);
  });

  test('output buffers are reused across calls of the same shape', () => {
    const m = new AvgPool2d(2);
    const x = Tensor.zeros([2, 3, 4, 4]);
    const y = m.forward(x);
    assert.equal(m.forward(x), y);
    const dx = m.backward(Tensor.zeros(y.shape));
    assert.equal(m.backward(Tensor.zeros(y.shape)), dx);
  });
});

/**
 * Finite differences. L(x) = Σ w·y in float64 over the float32 output, with w random. Central
 * differences with step H = 2⁻⁸: inputs are multiples of 2⁻¹² in (−2, 2), so x ± H is exact in
 * float32. These layers are linear in x wherever the argmax does not change, so the truncation error
 * is zero: max/min pooling inputs are distinct multiples of 2⁻⁵ (> 2H apart, no tie and no argmax
 * change within ±H). What remains is float32 rounding of y (≤ u·|y| each): |ΔL| ≤ u·Σ|w·y| per
 * evaluation, so the difference quotient is within u·(A₊ + A₋)/(2H); the analytic dx sums at most m
 * float32 terms ((m−1)·u·m·max|w|). We allow twice their sum.
 */
describe('finite differences agree with backward', () => {
  const H = 2 ** -8;
  interface Case {
    name: string;
    make: () => Module;
    shape: [number, number, number, number];
    distinct?: boolean;
    /** Most windows containing one input value. */
    m: number;
  }
  const table: Case[] = [
    { name: 'MaxPool2d(2)', make: () => new MaxPool2d(2), shape: [2, 2, 4, 4], distinct: true, m: 1 },
    {
      name: 'MaxPool2d(3, stride 2, padding 1, ceil)',
      make: () => new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
      shape: [1, 2, 6, 6],
      distinct: true,
      m: 4,
    },
    {
      name: 'MaxPool2d([2, 3], stride [1, 2], padding 1, dilation [2, 1])',
      make: () => new MaxPool2d([2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] }),
      shape: [1, 2, 5, 6],
      distinct: true,
      m: 6,
    },
    { name: 'MinPool2d(3, stride 1, padding 1)', make: () => new MinPool2d(3, { stride: 1, padding: 1 }), shape: [1, 2, 5, 5], distinct: true, m: 9 },
    { name: 'MinPool2d(2, ceil)', make: () => new MinPool2d(2, { ceilMode: true }), shape: [2, 1, 5, 5], distinct: true, m: 1 },
    { name: 'AvgPool2d(2)', make: () => new AvgPool2d(2), shape: [2, 2, 4, 4], m: 1 },
    { name: 'AvgPool2d(3, stride 2, padding 1)', make: () => new AvgPool2d(3, { stride: 2, padding: 1 }), shape: [1, 2, 5, 5], m: 4 },
    {
      name: 'AvgPool2d(3, stride 2, padding 1, ceil, exclude pad)',
      make: () => new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      shape: [1, 2, 6, 6],
      m: 4,
    },
    { name: 'AvgPool2d([3, 2], stride 1, padding [1, 0])', make: () => new AvgPool2d([3, 2], { stride: 1, padding: [1, 0] }), shape: [1, 1, 5, 4], m: 6 },
  ];
  for (const c of table) {
    test(c.name, () => {
      const rng = new Rng(11);
      const layer = c.make();
      const x = Tensor.zeros(c.shape);
      if (c.distinct) {
        // distinct multiples of 2⁻⁵ in (−2, 2) per tensor (shapes here have ≤ 128 values)
        const perm = rng.permutation(128);
        for (let i = 0; i < x.size; i++) x.data[i] = (perm[i] - 64) / 32;
      } else {
        for (let i = 0; i < x.size; i++) x.data[i] = Math.round(rng.uniform(-2, 2) * 4096) / 4096;
      }
      const y0 = layer.forward(x);
      const w = new Float32Array(y0.size);
      for (let i = 0; i < w.length; i++) w[i] = Math.round(rng.uniform(-1, 1) * 256) / 256;
      const dx = layer.backward(new Tensor(w.slice(), y0.shape)).data.slice();
      const wMax = Math.max(...w.map(Math.abs));
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
        const tol = 2 * ((U * (p.a + q.a)) / (2 * H) + (c.m - 1) * c.m * U * wMax);
        assert.ok(Math.abs(numeric - dx[i]) <= tol, `${c.name}: dx[${i}] = ${dx[i]}, central difference ${numeric} (tolerance ${tol.toExponential(2)})`);
      }
    });
  }
});
