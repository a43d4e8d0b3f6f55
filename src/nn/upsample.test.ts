import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Upsample } from './upsample.js';

const U = 2 ** -24;

describe('Upsample (nearest) by hand', () => {
  test('×2: each pixel becomes a 2×2 block; backward sums the block', () => {
    const up = new Upsample({ scaleFactor: 2 });
    const y = up.forward(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]));
    assert.deepEqual([...y.shape], [1, 1, 4, 4]);
    assert.deepEqual(Array.from(y.data), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // dy = 0…15 row-major: dx(0,0) = 0+1+4+5 = 10, dx(0,1) = 2+3+6+7 = 18, dx(1,0) = 8+9+12+13 = 42, dx(1,1) = 50
    const dx = up.backward(
      Tensor.from(
        Array.from({ length: 16 }, (_, i) => i),
        [1, 1, 4, 4],
      ),
    );
    assert.deepEqual(Array.from(dx.data), [10, 18, 42, 50]);
  });

  test('[1, 3]: rows kept, columns tripled', () => {
    const y = new Upsample({ scaleFactor: [1, 3] }).forward(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]));
    assert.deepEqual([...y.shape], [1, 1, 2, 6]);
    assert.deepEqual(Array.from(y.data), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  });

  test("×1.6 uses PyTorch 1.13's float32(1/s), not in/out", () => {
    // width 4 → ⌊6.4⌋ = 6; f = float32(1/1.6) = 0.625 (exact): ⌊d·0.625⌋ for d = 0…5 = 0 0 1 1 2 3
    // (⌊d·4/6⌋ would give 0 0 1 2 2 3; the fixture x1.6 pins PyTorch's choice)
    const y = new Upsample({ scaleFactor: 1.6 }).forward(Tensor.from([10, 11, 12, 13], [1, 1, 1, 4]));
    assert.deepEqual([...y.shape], [1, 1, 1, 6]);
    assert.deepEqual(Array.from(y.data), [10, 10, 11, 11, 12, 13]);
  });

  test("an output of exactly twice the input uses dst >> 1 (PyTorch's special case)", () => {
    // ⌊3·2.3⌋ = 6 = 2·3: sources 0 0 1 1 2 2 (⌊d/2.3⌋ would give 0 0 0 1 1 2)
    const y = new Upsample({ scaleFactor: [1, 2.3] }).forward(Tensor.from([5, 6, 7], [1, 1, 1, 3]));
    assert.deepEqual(Array.from(y.data), [5, 5, 6, 6, 7, 7]);
  });

  test('×0.5 picks every other pixel, the gradient goes only there', () => {
    // width 5 → ⌊2.5⌋ = 2, f = 2: sources 0, 2
    const up = new Upsample({ scaleFactor: [1, 0.5] });
    assert.deepEqual(Array.from(up.forward(Tensor.from([1, 2, 3, 4, 5], [1, 1, 1, 5])).data), [1, 3]);
    assert.deepEqual(Array.from(up.backward(Tensor.from([7, 9], [1, 1, 1, 2])).data), [7, 0, 9, 0, 0]);
  });
});

describe('Upsample errors and buffers', () => {
  test('constructor, forward and backward errors', () => {
    assert.throws(() => new Upsample({ scaleFactor: 0 }), /Upsample: expected scaleFactor to be a positive finite number or a pair \[sh, sw\] of them, got 0/);
    assert.throws(() => new Upsample({ scaleFactor: [2, Infinity] }), /Upsample: expected scaleFactor .* got \[2,null\]/);
    assert.throws(
      () => new Upsample({ scaleFactor: 2, mode: 'bilinear' as 'nearest' }),
      /Upsample: expected mode 'nearest' \(the only one implemented\), got "bilinear"/,
    );
    const up = new Upsample({ scaleFactor: 0.25 });
    assert.throws(() => up.forward(Tensor.zeros([2, 3, 4])), /Upsample\(scaleFactor=0.25, mode=nearest\): expected input \[N, C, H, W\], got \[2, 3, 4\]/);
    assert.throws(() => up.forward(Tensor.zeros([1, 1, 3, 8])), /Upsample\(scaleFactor=0.25, mode=nearest\): input \[1, 1, 3, 8\] gives an empty output 0×2/);
    assert.throws(() => new Upsample({ scaleFactor: 2 }).backward(Tensor.zeros([1, 1, 2, 2])), /backward: called before forward/);
    const u2 = new Upsample({ scaleFactor: [2, 3] });
    u2.forward(Tensor.zeros([1, 2, 2, 2]));
    assert.throws(
      () => u2.backward(Tensor.zeros([1, 2, 4, 4])),
      /Upsample\(scaleFactor=\[2, 3\], mode=nearest\)\.backward: expected a gradient of shape \[1, 2, 4, 6\], got \[1, 2, 4, 4\]/,
    );
  });

  test('buffers are reused for the same shape; a new spatial size rebuilds the index tables', () => {
    const up = new Upsample({ scaleFactor: 2 });
    const y = up.forward(Tensor.zeros([2, 3, 5, 5]));
    assert.equal(up.forward(Tensor.zeros([2, 3, 5, 5])), y);
    assert.deepEqual(up.outputShape([2, 3, 5, 5]), [2, 3, 10, 10]);
    const z = up.forward(Tensor.from([1, 2, 3], [1, 1, 1, 3]));
    assert.deepEqual(Array.from(z.data), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });
});

/**
 * Finite differences: L(x) = Σ w·y in float64; y copies x, so L is linear (no truncation error)
 * and the float32 output is exact. Step H = 2⁻⁸ on multiples of 2⁻¹² (x ± H exact in float32).
 * The difference quotient is off only by float64 summation (≤ n·2⁻⁵³·Σ|w·y| per evaluation, /H);
 * the analytic dx sums at most m float32 terms: (m−1)·u·m·max|w|, m ≤ (⌈s_h⌉+1)(⌈s_w⌉+1). Twice their sum.
 */
describe('finite differences agree with backward', () => {
  const H = 2 ** -8;
  const table: { scale: number | [number, number]; shape: [number, number, number, number] }[] = [
    { scale: 2, shape: [2, 2, 3, 3] },
    { scale: 3, shape: [1, 2, 2, 3] },
    { scale: [2, 1], shape: [1, 1, 3, 4] },
    { scale: 1.6, shape: [1, 2, 4, 5] },
    { scale: [1.5, 2.5], shape: [2, 1, 3, 3] },
    { scale: 0.5, shape: [1, 2, 6, 5] },
  ];
  for (const c of table) {
    test(`scaleFactor ${JSON.stringify(c.scale)} on [${c.shape.join(', ')}]`, () => {
      const rng = new Rng(3);
      const up = new Upsample({ scaleFactor: c.scale });
      const x = Tensor.zeros(c.shape);
      for (let i = 0; i < x.size; i++) x.data[i] = Math.round(rng.uniform(-2, 2) * 4096) / 4096;
      const y0 = up.forward(x);
      const w = new Float32Array(y0.size);
      for (let i = 0; i < w.length; i++) w[i] = Math.round(rng.uniform(-1, 1) * 256) / 256;
      const dx = up.backward(new Tensor(w.slice(), y0.shape)).data.slice();
      const [sh, sw] = typeof c.scale === 'number' ? [c.scale, c.scale] : c.scale;
      const m = (Math.ceil(sh) + 1) * (Math.ceil(sw) + 1);
      const wMax = Math.max(...w.map(Math.abs));
      const objective = (): { l: number; a: number } => {
        const y = up.forward(x).data;
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
        const tol = 2 * ((y0.size * 2 ** -53 * (p.a + q.a)) / (2 * H) + (m - 1) * m * U * wMax);
        assert.ok(Math.abs(numeric - dx[i]) <= tol, `dx[${i}] = ${dx[i]}, central difference ${numeric} (tolerance ${tol.toExponential(2)})`);
      }
    });
  }
});
