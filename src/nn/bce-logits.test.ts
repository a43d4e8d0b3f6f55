import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Tensor } from '../tensor/tensor.js';
import { BCEWithLogitsLoss, stableSigmoid } from './bce-logits.js';

interface BceFixture {
  logits: { shape: number[]; data: number[] };
  targets: { shape: number[]; data: number[] };
  loss: number;
  grad: { shape: number[]; data: number[] };
  spread: { order: { loss: number; grad: number }; float64: { loss: number; grad: number } };
}

// scripts/fixtures/make_gan.py: nn.BCEWithLogitsLoss (mean) on logits from −60 to 60, 0/1 and soft targets.
const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/gan/bce-logits.json', import.meta.url), 'utf8')) as BceFixture;

/** As the other parity tests: 8 × the spread of PyTorch's own float32 runs, at least one float32 ulp (2⁻²³) relative. */
const tol = (m: 'loss' | 'grad'): number => Math.max(2 ** -23, 8 * Math.max(fx.spread.order[m], fx.spread.float64[m]));

test('BCEWithLogitsLoss gives PyTorch’s loss and gradient, saturated logits included', () => {
  const loss = new BCEWithLogitsLoss();
  const z = Tensor.from(fx.logits.data, fx.logits.shape);
  const l = loss.forward(z, Tensor.from(fx.targets.data, fx.targets.shape));
  assert.ok(Math.abs(l - fx.loss) / Math.max(1, fx.loss) <= tol('loss'), `loss ${l} vs torch ${fx.loss}`);
  const g = loss.backward();
  assert.deepEqual(g.shape, fx.grad.shape);
  const scale = Math.max(...fx.grad.data.map(Math.abs));
  const err = Math.max(...fx.grad.data.map((v, i) => Math.abs(g.data[i] - v))) / scale;
  assert.ok(err <= tol('grad'), `gradient relative error ${err.toExponential(2)} > ${tol('grad').toExponential(2)}`);
});

test('BCEWithLogitsLoss by hand: ℓ(0, y) = log 2, ℓ(z, 1) = log(1 + e^(−z)), and no overflow at ±1000', () => {
  const loss = new BCEWithLogitsLoss();
  assert.ok(Math.abs(loss.forward(Tensor.from([0, 0], [2, 1]), Tensor.from([1, 0], [2, 1])) - Math.LN2) < 1e-15);
  assert.ok(Math.abs(loss.forward(Tensor.from([2], [1, 1]), Tensor.from([1], [1, 1])) - Math.log1p(Math.exp(-2))) < 1e-15);
  // −log σ(−1000) = 1000 for a real image D calls fake with logit −1000; log σ(1000) = 0.
  assert.equal(loss.forward(Tensor.from([-1000, 1000], [2, 1]), Tensor.from([1, 1], [2, 1])), 500);
  assert.deepEqual([...loss.backward().data], [-0.5, 0]);
  assert.equal(stableSigmoid(-1000), 0);
  assert.equal(stableSigmoid(1000), 1);
  assert.equal(stableSigmoid(0), 0.5);
});

test('BCEWithLogitsLoss’s gradient matches central differences', () => {
  const z = Tensor.from([-3.5, -0.75, 0, 0.25, 1.5, 6], [3, 2]);
  const y = Tensor.from([0, 1, 0.3, 1, 0, 0.9], [3, 2]);
  const loss = new BCEWithLogitsLoss();
  loss.forward(z, y);
  const g = Float64Array.from(loss.backward().data);
  // h = 2⁻¹⁰: z ± h is exact in float32 for these logits; the loss is summed in float64.
  const h = 2 ** -10;
  for (let i = 0; i < z.size; i++) {
    const at = (d: number): number => {
      const zz = z.clone();
      zz.data[i] += d;
      return new BCEWithLogitsLoss().forward(zz, y);
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]) <= 1e-6 * Math.max(...g.map(Math.abs)), `∂L/∂z[${i}]: ${g[i]} vs finite difference ${fd}`);
  }
});

test('BCEWithLogitsLoss refuses a target of another shape, non-finite logits and backward before forward', () => {
  const loss = new BCEWithLogitsLoss();
  assert.throws(() => loss.backward(), /BCEWithLogitsLoss\.backward: called before forward/);
  assert.throws(
    () => loss.forward(Tensor.zeros([4, 1]), Tensor.zeros([3, 1])),
    /BCEWithLogitsLoss\.forward: expected a target of shape \[4, 1\], got \[3, 1\]/,
  );
  assert.throws(() => loss.forward(Tensor.from([0, NaN], [2, 1]), Tensor.zeros([2, 1])), /expected finite logits, got NaN at index 1/);
  assert.throws(() => loss.forward(Tensor.zeros([2, 1]), Int32Array.from([0, 1])), /expected a target tensor/);
});
