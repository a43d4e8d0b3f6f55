import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Dropout2d } from './dropout2d.js';

const U = 2 ** -24;

function ramp(shape: number[]): Tensor {
  const x = Tensor.zeros(shape);
  for (let i = 0; i < x.size; i++) x.data[i] = 1 + (i % 13) / 8;
  return x;
}

describe('Dropout2d', () => {
  test('zeroes whole channels and scales the kept ones by 1/(1−p)', () => {
    const d = new Dropout2d(0.5, { rng: new Rng(1) });
    const x = ramp([4, 6, 3, 3]);
    const y = d.forward(x);
    const mask = d.channelMask();
    assert.equal(mask.length, 24);
    let kept = 0;
    for (let k = 0; k < 24; k++) {
      const s = mask[k];
      assert.ok(s === 0 || s === 2, `map ${k}: scale ${s}`);
      if (s === 2) kept++;
      for (let i = 0; i < 9; i++) assert.equal(y.data[k * 9 + i], x.data[k * 9 + i] * s, `map ${k}, pixel ${i}`);
    }
    assert.ok(kept > 0 && kept < 24, 'some maps kept, some dropped');
    // backward applies the same mask
    const dy = Tensor.full(x.shape, 3);
    const dx = d.backward(dy);
    for (let k = 0; k < 24; k++) for (let i = 0; i < 9; i++) assert.equal(dx.data[k * 9 + i], 3 * mask[k]);
  });

  test('the scale is float32(1/(1−p)), as PyTorch (bernoulli mask divided by 1 − p)', () => {
    const d = new Dropout2d(0.3, { rng: new Rng(2) });
    const x = Tensor.full([1, 64, 1, 1], 1.5);
    const y = d.forward(x);
    const s = Math.fround(1 / 0.7);
    for (const v of y.data) assert.ok(v === 0 || v === Math.fround(1.5 * s), `${v}`);
  });

  test('same seed → same mask; the stream advances by one draw per (sample, channel)', () => {
    const x = ramp([3, 5, 2, 2]);
    const a = new Dropout2d(0.4, { rng: new Rng(9) });
    const b = new Dropout2d(0.4, { rng: new Rng(9) });
    assert.deepEqual(Array.from(a.forward(x).data), Array.from(b.forward(x).data));
    assert.deepEqual(a.channelMask(), b.channelMask());
    const r = new Rng(9);
    const expect = Array.from({ length: 15 }, () => (r.uniform() >= 0.4 ? Math.fround(1 / 0.6) : 0));
    // the first call above drew 15 numbers; a fresh layer reproduces them
    const c = new Dropout2d(0.4, { rng: new Rng(9) });
    c.forward(x);
    assert.deepEqual(Array.from(c.channelMask()), expect);
    // the next call draws new ones
    a.forward(x);
    assert.notDeepEqual(a.channelMask(), b.channelMask());
  });

  test('the kept fraction over 20,000 maps is within 5σ of 1 − p', () => {
    // kept ~ Binomial(n, 1 − p): σ of the fraction = √(p(1−p)/n) = √(0.21/20000) ≈ 0.00324;
    // |fraction − 0.7| ≤ 5σ ≈ 0.0162 fails with probability < 6e-7 for a correct layer
    const p = 0.3;
    const n = 20000;
    const d = new Dropout2d(p, { rng: new Rng(123) });
    const y = d.forward(Tensor.full([200, 100, 1, 1], 1));
    let kept = 0;
    for (const v of y.data) if (v !== 0) kept++;
    const sigma = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(kept / n - (1 - p)) <= 5 * sigma, `kept ${kept / n}, expected ${1 - p} ± ${5 * sigma}`);
  });

  test('eval and p = 0 are the identity (forward and backward return their argument)', () => {
    const x = ramp([2, 3, 2, 2]);
    const d = new Dropout2d(0.5, { rng: new Rng(4) });
    d.eval();
    assert.equal(d.forward(x), x);
    const dy = Tensor.full(x.shape, 1);
    assert.equal(d.backward(dy), dy);
    const z = new Dropout2d(0, { rng: new Rng(4) });
    assert.equal(z.forward(x), x);
  });

  test('errors name the layer, the value and what was expected', () => {
    const rng = new Rng(0);
    assert.throws(() => new Dropout2d(1, { rng }), /Dropout2d: expected 0 ≤ p < 1, got 1/);
    assert.throws(() => new Dropout2d(-0.1, { rng }), /Dropout2d: expected 0 ≤ p < 1, got -0.1/);
    assert.throws(() => new Dropout2d(0.5, {} as { rng: Rng }), /Dropout2d: expected options.rng, a seeded Rng/);
    const d = new Dropout2d(0.5, { rng });
    assert.throws(() => d.backward(Tensor.zeros([2, 3, 1, 1])), /Dropout2d\(0.5\)\.backward: called before forward/);
    assert.throws(() => d.forward(Tensor.zeros([2, 3])), /Dropout2d\(0.5\): expected input \[N, C, H, W\], got \[2, 3\]/);
    d.forward(Tensor.zeros([2, 3, 2, 2]));
    assert.throws(() => d.backward(Tensor.zeros([2, 3, 2, 1])), /Dropout2d\(0.5\)\.backward: expected a gradient of shape \[2, 3, 2, 2\], got \[2, 3, 2, 1\]/);
  });

  test('output buffers are reused for the same shape', () => {
    const d = new Dropout2d(0.5, { rng: new Rng(4) });
    const x = ramp([2, 3, 2, 2]);
    const y = d.forward(x);
    assert.equal(d.forward(x), y);
  });
});

/**
 * Finite differences with the mask held fixed (the Rng state restored before every forward): y =
 * x·s is linear, so no truncation error; x ± H exact in float32 (multiples of 2⁻¹², H = 2⁻⁸). Each y
 * is rounded once (u·|y|), so the difference quotient is within u·(A₊ + A₋)/(2H), A = Σ|w·y|, and
 * the analytic dx = w·s within u·|dx|. Twice their sum.
 */
describe('finite differences agree with backward (fixed mask)', () => {
  const H = 2 ** -8;
  const table: { p: number; shape: number[] }[] = [
    { p: 0.2, shape: [2, 4, 2, 2] },
    { p: 0.5, shape: [3, 3, 1, 3] },
    { p: 0.9, shape: [4, 5, 1, 1] },
  ];
  for (const c of table) {
    test(`p ${c.p} on [${c.shape.join(', ')}]`, () => {
      const rng = new Rng(21);
      const dropRng = new Rng(5);
      const state = dropRng.state();
      const d = new Dropout2d(c.p, { rng: dropRng });
      const x = Tensor.zeros(c.shape);
      for (let i = 0; i < x.size; i++) x.data[i] = Math.round(rng.uniform(-2, 2) * 4096) / 4096;
      const w = new Float32Array(x.size);
      for (let i = 0; i < w.length; i++) w[i] = Math.round(rng.uniform(-1, 1) * 256) / 256;
      dropRng.setState(state);
      d.forward(x);
      const dx = d.backward(new Tensor(w.slice(), x.shape)).data.slice();
      const objective = (): { l: number; a: number } => {
        dropRng.setState(state);
        const y = d.forward(x).data;
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
        const tol = 2 * ((U * (p.a + q.a)) / (2 * H) + U * Math.abs(dx[i]));
        assert.ok(Math.abs(numeric - dx[i]) <= tol, `dx[${i}] = ${dx[i]}, central difference ${numeric}`);
      }
    });
  }
});
