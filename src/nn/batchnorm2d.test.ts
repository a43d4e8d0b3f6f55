import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { BatchNorm2d } from './batchnorm2d.js';

const U = 2 ** -24;

function near(what: string, got: ArrayLike<number>, want: number[], tol: number): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

/**
 * x is [N=2, C=2, H=1, W=2], row-major (n, c, w):
 *   channel 0 = n0 [0, 2], n1 [0, 2] → values {0, 2, 0, 2}: mean 1, biased var 1, unbiased 4/3
 *   channel 1 = n0 [1, 3], n1 [5, 7] → values {1, 3, 5, 7}: mean 4, biased var (9+1+1+9)/4 = 5, unbiased 20/3
 * γ = [2, −1], β = [0.5, 0], eps = 1e-5.
 */
const X = [0, 2, 1, 3, 0, 2, 5, 7];
const a = 1 / Math.sqrt(1 + 1e-5); // channel 0's 1/σ
const b = 1 / Math.sqrt(5 + 1e-5); // channel 1's 1/σ
const make = (): BatchNorm2d => {
  const bn = new BatchNorm2d(2);
  bn.weight!.value.data.set([2, -1]);
  bn.bias!.value.data.set([0.5, 0]);
  return bn;
};
const x4 = (): Tensor => Tensor.from(X, [2, 2, 1, 2]);

describe('BatchNorm2d by hand', () => {
  test('training: batch mean and biased variance per channel over N·H·W; running stats with the unbiased variance', () => {
    const bn = make();
    const y = bn.forward(x4());
    // channel 0: 2·(x − 1)·a + 0.5; channel 1: −(x − 4)·b
    near('y', y.data, [-2 * a + 0.5, 2 * a + 0.5, 3 * b, b, -2 * a + 0.5, 2 * a + 0.5, -b, -3 * b], 2 * U);
    // running_mean = 0.9·0 + 0.1·mean = [0.1, 0.4]; running_var = 0.9·1 + 0.1·unbiased = [0.9 + 0.4/3, 0.9 + 2/3]
    near('running_mean', bn.runningMean!.data, [0.1, 0.4], 2 * U);
    near('running_var', bn.runningVar!.data, [0.9 + 0.4 / 3, 0.9 + 2 / 3], 2 * U);
    assert.deepEqual([...bn.namedBuffers().keys()], ['running_mean', 'running_var']);
    assert.deepEqual([...bn.namedParameters().keys()], ['weight', 'bias']);
  });

  test('backward: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy', () => {
    const bn = make();
    bn.forward(x4());
    // dy = 1 at (n0, c0, w0), 0 elsewhere. Channel 0 in (n, w) order: x̂ = a·[−1, 1, −1, 1], dy = [1, 0, 0, 0]:
    // mean(dy) = 1/4, mean(dy·x̂) = −a/4, so dx = 2a·(dy − 1/4 + a²/4·[−1, 1, −1, 1]) ≈ [a, 0, −a, 0].
    // dγ₀ = −a, dβ₀ = 1; channel 1 gets no gradient.
    const dx = bn.backward(Tensor.from([1, 0, 0, 0, 0, 0, 0, 0], [2, 2, 1, 2]));
    const q = (a * a) / 4;
    const c0 = [0.75 - q, -0.25 + q, -0.25 - q, -0.25 + q].map((v) => 2 * a * v);
    near('dx', dx.data, [c0[0], c0[1], 0, 0, c0[2], c0[3], 0, 0], 4 * U);
    near('dγ', bn.weight!.grad.data, [-a, 0], 2 * U);
    near('dβ', bn.bias!.grad.data, [1, 0], 0);
    // gradients accumulate until zeroGrad, as every layer's
    bn.backward(Tensor.from([1, 0, 0, 0, 0, 0, 0, 0], [2, 2, 1, 2]));
    near('dβ accumulated', bn.bias!.grad.data, [2, 0], 0);
  });

  test('eval: the running stats, dx = γ·dy/√(running_var + eps)', () => {
    const bn = make();
    bn.forward(x4()); // running_mean [0.1, 0.4], running_var [0.9 + 0.4/3, 0.9 + 2/3]
    bn.eval();
    const rm = [0.1, 0.4];
    const rv = [0.9 + 0.4 / 3, 0.9 + 2 / 3];
    const y = bn.forward(x4());
    const expect = X.map((v, i) => {
      const c = Math.floor(i / 2) % 2;
      return [2, -1][c] * ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5)) + [0.5, 0][c];
    });
    near('y', y.data, expect, 4 * U);
    const before = Array.from(bn.runningMean!.data);
    bn.forward(x4());
    assert.deepEqual(Array.from(bn.runningMean!.data), before, 'eval does not update the running stats');
    const dx = bn.backward(Tensor.from([1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 1, 2]));
    near(
      'dx',
      dx.data,
      [0, 0, 1, 1, 0, 0, 1, 1].map((_, i) => [2, -1][Math.floor(i / 2) % 2] / Math.sqrt(rv[Math.floor(i / 2) % 2] + 1e-5)),
      4 * U,
    );
  });

  test('trackRunningStats false: no buffers, batch statistics in eval too; affine false: no parameters', () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false });
    assert.deepEqual(bn.buffers(), []);
    assert.deepEqual(bn.parameters(), []);
    assert.equal(bn.trackRunningStats, false);
    const yTrain = Array.from(bn.forward(x4()).data);
    bn.eval();
    const yEval = Array.from(bn.forward(x4()).data);
    assert.deepEqual(yEval, yTrain);
    near('y = x̂', yTrain, [-a, a, -3 * b, -b, -a, a, b, 3 * b], 2 * U);
    // dy = 1 everywhere: the mean is removed, dx = 0
    near('dx', bn.backward(Tensor.full([2, 2, 1, 2], 1)).data, [0, 0, 0, 0, 0, 0, 0, 0], 4 * U);
  });

  test('offset channels keep their accuracy (statistics in float64, shifted)', () => {
    // values 1000 + {0, 1, 2, 3}·2⁻⁸: mean 1000 + 1.5·2⁻⁸, biased var 1.25·2⁻¹⁶; float32 sums of x² would lose it all
    const bn = new BatchNorm2d(1, { eps: 1e-12 });
    const d = 2 ** -8;
    const y = bn.forward(Tensor.from([1000, 1000 + d, 1000 + 2 * d, 1000 + 3 * d], [1, 1, 2, 2]));
    const s = Math.sqrt(1.25) * d;
    near(
      'y',
      y.data,
      [-1.5, -0.5, 0.5, 1.5].map((v) => (v * d) / s),
      1e-6,
    );
  });
});

describe('errors and buffers', () => {
  test('constructor options', () => {
    assert.throws(() => new BatchNorm2d(0), /BatchNorm2d: expected a positive integer channel count, got 0/);
    assert.throws(() => new BatchNorm2d(3, { eps: 0 }), /BatchNorm2d\(3\): expected eps > 0, got 0/);
    assert.throws(() => new BatchNorm2d(3, { momentum: 1.5 }), /BatchNorm2d\(3\): expected 0 ≤ momentum ≤ 1, got 1.5/);
    assert.throws(() => new BatchNorm2d(3, { momentum: null as unknown as number }), /BatchNorm2d\(3\): expected 0 ≤ momentum ≤ 1, got null/);
    assert.throws(() => new BatchNorm2d(3, { affine: 'yes' as unknown as boolean }), /BatchNorm2d\(3\): expected affine to be a boolean, got "yes"/);
    assert.throws(
      () => new BatchNorm2d(3, { trackRunningStats: 0 as unknown as boolean }),
      /BatchNorm2d\(3\): expected trackRunningStats to be a boolean, got 0/,
    );
  });

  test('forward checks rank and channels; backward its gradient', () => {
    const bn = new BatchNorm2d(32);
    assert.throws(() => bn.forward(Tensor.zeros([64, 16, 14, 14])), /BatchNorm2d\(32\): expected input \[N, 32, H, W\], got \[64, 16, 14, 14\]/);
    assert.throws(() => bn.forward(Tensor.zeros([64, 32])), /BatchNorm2d\(32\): expected input \[N, 32, H, W\], got \[64, 32\]/);
    assert.throws(
      () => bn.forward(Tensor.zeros([1, 32, 1, 1])),
      /BatchNorm2d\(32\): expected more than 1 value per channel when using batch statistics, got input \[1, 32, 1, 1\]/,
    );
    assert.throws(() => new BatchNorm2d(2).backward(Tensor.zeros([1, 2, 2, 2])), /BatchNorm2d\(2\)\.backward: called before forward/);
    bn.forward(Tensor.zeros([2, 32, 3, 3]));
    assert.throws(
      () => bn.backward(Tensor.zeros([2, 32, 3, 4])),
      /BatchNorm2d\(32\)\.backward: expected a gradient of shape \[2, 32, 3, 3\], got \[2, 32, 3, 4\]/,
    );
    // eval with running stats accepts a single value per channel
    bn.eval();
    assert.deepEqual([...bn.forward(Tensor.zeros([1, 32, 1, 1])).shape], [1, 32, 1, 1]);
  });

  test('buffers are reused for the same shape', () => {
    const bn = new BatchNorm2d(3);
    const x = Tensor.zeros([2, 3, 4, 4]);
    x.data.forEach((_, i) => (x.data[i] = i % 7));
    const y = bn.forward(x);
    assert.equal(bn.forward(x), y);
    const dx = bn.backward(Tensor.full(x.shape, 1));
    assert.equal(bn.backward(Tensor.full(x.shape, 1)), dx);
    assert.equal(bn.toString(), 'BatchNorm2d(3)');
  });
});

/**
 * Finite differences, L = Σ w·y in float64 over the float32 output; step H = 2⁻⁸; inputs and γ, β
 * are multiples of 2⁻¹² (x ± H exact in float32).
 *
 * Rounding: each y is float32-rounded (≤ u·|y|; the float64 statistics add ~1e-16), so the
 * difference quotient is within u·(A₊ + A₋)/(2H), A = Σ|w·y|; the analytic gradient is rounded once
 * (u·|g|).
 *
 * Truncation: L is linear in γ, β, and in x in eval mode with running stats (zero error). In x with
 * batch statistics, along one input x_j of a channel with M values: L(t) = γ·(P + Q·t)·f(t)^(−1/2),
 * f(t) = s² + a·t + b·t², s² = σ² + eps, a = 2(x_j − μ)/M, b = (M−1)/M², |P + Q·t| ≤ W·M·s·r,
 * W = max|w| over the channel, X = max|x − μ|/s, r = X + H/s. With f ≥ s²/2 on |t| ≤ H (asserted:
 * |a|·H + b·H² ≤ s²/2), |L'''| ≤ |γ|·W·s⁻³·(170·r⁴/M² + 153·r²/M + 17/M) and the central difference
 * is off by at most H²/6·|L'''|. We allow twice the sum of the three terms.
 */
describe('finite differences agree with backward', () => {
  const H = 2 ** -8;
  interface Case {
    name: string;
    shape: [number, number, number, number];
    options?: ConstructorParameters<typeof BatchNorm2d>[1];
    eval?: boolean;
    offset?: number;
  }
  const table: Case[] = [
    { name: 'training, [2, 3, 3, 3]', shape: [2, 3, 3, 3] },
    { name: 'training, momentum 0.3, eps 1e-3, [3, 2, 2, 2]', shape: [3, 2, 2, 2], options: { momentum: 0.3, eps: 1e-3 } },
    { name: 'training, 1×1 maps [6, 3, 1, 1]', shape: [6, 3, 1, 1] },
    { name: 'training, offset channels (mean 3)', shape: [2, 2, 3, 3], offset: 3 },
    { name: 'training, affine false', shape: [2, 2, 2, 3], options: { affine: false } },
    { name: 'eval with running stats', shape: [2, 3, 2, 2], eval: true },
    { name: 'eval without running stats (batch statistics)', shape: [2, 2, 3, 2], options: { trackRunningStats: false }, eval: true },
  ];
  for (const c of table) {
    test(c.name, () => {
      const rng = new Rng(17);
      const q = (v: number): number => Math.round(v * 4096) / 4096;
      const bn = new BatchNorm2d(c.shape[1], c.options);
      if (bn.weight !== null && bn.bias !== null) {
        for (let i = 0; i < c.shape[1]; i++) {
          bn.weight.value.data[i] = q(rng.uniform(0.5, 2) * (rng.uniform() < 0.5 ? -1 : 1));
          bn.bias.value.data[i] = q(rng.uniform(-1, 1));
        }
      }
      if (bn.runningMean !== null && bn.runningVar !== null) {
        for (let i = 0; i < c.shape[1]; i++) {
          bn.runningMean.data[i] = q(rng.uniform(-0.5, 0.5));
          bn.runningVar.data[i] = q(rng.uniform(0.5, 2));
        }
      }
      bn.train(!c.eval);
      const x = Tensor.zeros(c.shape);
      for (let i = 0; i < x.size; i++) x.data[i] = q((c.offset ?? 0) + rng.uniform(-2, 2));
      const y0 = bn.forward(x);
      const w = new Float32Array(y0.size);
      for (let i = 0; i < w.length; i++) w[i] = Math.round(rng.uniform(-1, 1) * 256) / 256;
      bn.zeroGrad();
      bn.forward(x);
      const dx = bn.backward(new Tensor(w.slice(), y0.shape)).data.slice();
      const grads = bn.parameters().map((p) => p.grad.data.slice());
      const objective = (): { l: number; a: number } => {
        const y = bn.forward(x).data;
        let l = 0;
        let a = 0;
        for (let i = 0; i < y.length; i++) {
          l += w[i] * y[i];
          a += Math.abs(w[i] * y[i]);
        }
        return { l, a };
      };
      const check = (what: string, v: Float32Array, g: Float32Array, trunc: (i: number) => number): void => {
        for (let i = 0; i < v.length; i++) {
          const old = v[i];
          v[i] = old + H;
          const p = objective();
          v[i] = old - H;
          const m = objective();
          v[i] = old;
          const numeric = (p.l - m.l) / (2 * H);
          const tol = 2 * ((U * (p.a + m.a)) / (2 * H) + trunc(i) + U * Math.abs(g[i]));
          assert.ok(Math.abs(numeric - g[i]) <= tol, `${c.name}: ${what}[${i}] = ${g[i]}, central difference ${numeric} (tolerance ${tol.toExponential(2)})`);
        }
      };
      // the truncation bound per channel (zero when L is linear in x)
      const [n, ch, h, wd] = c.shape;
      const hw = h * wd;
      const M = n * hw;
      const batchStats = !c.eval || bn.runningMean === null;
      const eps = bn.eps;
      const truncation = Array.from({ length: ch }, (_, cc) => {
        if (!batchStats) return 0;
        const vals: number[] = [];
        const ws: number[] = [];
        for (let s = 0; s < n; s++) {
          for (let i = 0; i < hw; i++) {
            vals.push(x.data[(s * ch + cc) * hw + i]);
            ws.push(Math.abs(w[(s * ch + cc) * hw + i]));
          }
        }
        const mu = vals.reduce((p, v) => p + v, 0) / M;
        const s2 = vals.reduce((p, v) => p + (v - mu) ** 2, 0) / M + eps;
        const sd = Math.sqrt(s2);
        const X = Math.max(...vals.map((v) => Math.abs(v - mu))) / sd;
        assert.ok((2 * X * sd * H) / M + ((M - 1) / (M * M)) * H * H <= s2 / 2, 'the step keeps f ≥ s²/2');
        const r = X + H / sd;
        const gamma = bn.weight === null ? 1 : Math.abs(bn.weight.value.data[cc]);
        const W = Math.max(...ws);
        return ((H * H) / 6) * gamma * W * sd ** -3 * ((170 * r ** 4) / (M * M) + (153 * r * r) / M + 17 / M);
      });
      check('dx', x.data, dx, (i) => truncation[Math.floor(i / hw) % ch]);
      bn.parameters().forEach((p, k) => check(p.name, p.value.data, grads[k], () => 0));
    });
  }
});
