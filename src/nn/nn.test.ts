import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { withBackend } from '../tensor/registry.js';
import { LeakyReLU, ReLU, Sigmoid, Tanh } from './activation.js';
import { BatchNorm1d } from './batchnorm1d.js';
import { BCELoss } from './bce.js';
import { CrossEntropyLoss } from './cross-entropy.js';
import { Dropout } from './dropout.js';
import { initWeights } from './init.js';
import { Linear } from './linear.js';
import { MSELoss } from './mse.js';
import { Sequential } from './sequential.js';
import { Softmax } from './softmax.js';

describe('bad input is refused with an error naming the function, the value and what was expected', () => {
  const rng = new Rng(0);
  test('Linear', () => {
    const l = new Linear(784, 10, { rng });
    assert.throws(() => l.forward(Tensor.zeros([2, 783])), /Linear.forward: expected 784 input features, got 783/);
    assert.throws(() => l.forward(Tensor.zeros([784])), /Linear.forward: expected a 2-D \(batch × features\) tensor, got shape \[784\]/);
    assert.throws(() => new Linear(0, 3, { rng }), /Linear: expected inFeatures to be a positive integer, got 0/);
    assert.throws(() => new Linear(3, 2.5, { rng }), /Linear: expected outFeatures to be a positive integer, got 2.5/);
    assert.throws(() => new Linear(3, 2, { rng, init: 'xavier' as 'zeros' }), /Linear: unknown init "xavier"; expected one of glorot_uniform/);
    assert.throws(() => new Linear(3, 2, { rng }).backward(Tensor.zeros([1, 2])), /Linear.backward: called before forward/);
    l.forward(Tensor.zeros([4, 784]));
    assert.throws(() => l.backward(Tensor.zeros([3, 10])), /Linear.backward: expected 4 gradient rows \(the forward batch\), got 3/);
    assert.throws(() => l.backward(Tensor.zeros([4, 9])), /Linear.backward: expected 10 output gradient columns, got 9/);
  });
  test('activations, Softmax, Dropout and BatchNorm1d', () => {
    assert.throws(() => new LeakyReLU(-0.1), /LeakyReLU: expected a positive finite slope, got -0.1/);
    const r = new ReLU();
    r.forward(Tensor.zeros([2, 3]));
    assert.throws(() => r.backward(Tensor.zeros([2, 2])), /ReLU.backward: expected a gradient of shape \[2, 3\], got \[2, 2\]/);
    assert.throws(() => new Tanh().backward(Tensor.zeros([1, 1])), /Tanh.backward: called before forward/);
    assert.throws(() => new Softmax().forward(Tensor.zeros([6])), /Softmax.forward: expected a 2-D/);
    assert.throws(() => new Dropout(1, rng), /Dropout: expected 0 ≤ p < 1, got 1/);
    assert.throws(() => new BatchNorm1d(4).forward(Tensor.zeros([1, 4])), /BatchNorm1d.forward: expected at least 2 samples in training mode, got 1/);
    assert.throws(() => new BatchNorm1d(4).forward(Tensor.zeros([3, 5])), /BatchNorm1d.forward: expected 4 input features, got 5/);
    assert.throws(() => new BatchNorm1d(4, { momentum: 2 }), /BatchNorm1d: expected 0 ≤ momentum ≤ 1, got 2/);
  });
  test('Sequential and losses', () => {
    assert.throws(() => new Sequential([new ReLU(), 3 as unknown as ReLU]), /Sequential: element 1 is not a Module \(got 3\)/);
    const p = Tensor.zeros([2, 3]);
    assert.throws(() => new MSELoss().forward(p, Tensor.zeros([2, 2])), /MSELoss.forward: expected a target of shape \[2, 3\], got \[2, 2\]/);
    assert.throws(() => new MSELoss().forward(p, new Int32Array(2)), /MSELoss.forward: expected a target tensor of shape \[2, 3\], got class indices/);
    assert.throws(
      () => new CrossEntropyLoss().forward(p, Int32Array.from([0, 3])),
      /CrossEntropyLoss.forward: expected class indices in \[0, 3\), got 3 at row 1/,
    );
    assert.throws(() => new CrossEntropyLoss().forward(p, new Int32Array(3)), /expected 2 class indices, got 3/);
    assert.throws(
      () => new BCELoss().forward(Tensor.from([0.5, 1.5], [2, 1]), Tensor.zeros([2, 1])),
      /BCELoss.forward: expected probabilities in \[0, 1\], got 1.5 at index 1/,
    );
    assert.throws(() => new MSELoss().backward(), /MSELoss.backward: called before forward/);
  });
});

test('initialisations have the documented bounds and spreads', () => {
  const rng = new Rng(1);
  const w = new Float32Array(784 * 500);
  initWeights('glorot_uniform', w, 784, 500, rng);
  const a = Math.sqrt(6 / (784 + 500));
  assert.ok(w.every((v) => Math.abs(v) <= a));
  assert.ok(Math.max(...w.subarray(0, 10000)) > 0.95 * a);
  initWeights('he_normal', w, 784, 500, rng);
  let s2 = 0;
  for (const v of w) s2 += v * v;
  assert.ok(Math.abs(Math.sqrt(s2 / w.length) - Math.sqrt(2 / 784)) < 0.002);
  initWeights('torch_default', w, 784, 500, rng);
  assert.ok(w.every((v) => Math.abs(v) <= 1 / Math.sqrt(784)));
});

test('parameters are named like PyTorch state_dict keys', () => {
  const rng = new Rng(0);
  const m = new Sequential([new Linear(3, 4, { rng }), new ReLU(), new BatchNorm1d(4), new Linear(4, 1, { rng, bias: false })]);
  assert.deepEqual([...m.namedParameters().keys()], ['0.weight', '0.bias', '2.weight', '2.bias', '3.weight']);
  assert.deepEqual([...m.namedBuffers().keys()], ['2.running_mean', '2.running_var']);
  assert.equal(m.parameterCount(), 3 * 4 + 4 + 4 + 4 + 4);
  assert.deepEqual(m.outputShape([8, 3]), [8, 1]);
});

test('Dropout keeps the expected value in training and is the identity in eval mode', () => {
  const d = new Dropout(0.3, new Rng(2));
  const x = Tensor.full([100, 100], 1);
  const y = d.forward(x);
  let s = 0;
  let zeros = 0;
  for (const v of y.data) {
    s += v;
    if (v === 0) zeros++;
  }
  assert.ok(Math.abs(s / y.size - 1) < 0.03);
  assert.ok(Math.abs(zeros / y.size - 0.3) < 0.02);
  d.eval();
  assert.equal(d.forward(x), x);
});

test('BatchNorm1d normalises a batch in training and uses running statistics in eval', () => {
  const bn = new BatchNorm1d(2, { momentum: 1 });
  const x = Tensor.fromRows([
    [1, 10],
    [3, 20],
    [5, 30],
  ]);
  const y = bn.forward(x).clone();
  assert.ok(Math.abs(y.data[0] + Math.sqrt(1.5)) < 1e-4);
  assert.deepEqual([...bn.runningMean.data], [3, 20]);
  assert.deepEqual([...bn.runningVar.data], [4, 100]);
  bn.eval();
  const e = bn.forward(Tensor.fromRows([[3, 20]]));
  assert.ok(Math.abs(e.data[0]) < 1e-6 && Math.abs(e.data[1]) < 1e-6);
});

test('the fused and unfused Sequential compute the same outputs and gradients on both backends', () => {
  for (const b of ['js', 'native', 'wasm'] as const) {
    withBackend(b, () => {
      const outs = [true, false].map((fuse) => {
        const rng = new Rng(11);
        const m = new Sequential([new Linear(6, 8, { rng }), new Sigmoid(), new Linear(8, 5, { rng }), new LeakyReLU(0.05), new Linear(5, 2, { rng })], {
          fuse,
        });
        const x = Tensor.zeros([7, 6]);
        new Rng(3).fillNormal(x.data);
        const y = m.forward(x).clone();
        m.zeroGrad();
        const dx = m.backward(Tensor.full([7, 2], 1)).clone();
        return { y, dx, g: m.parameters().map((p) => p.grad.clone()) };
      });
      assert.deepEqual(outs[0].y.data, outs[1].y.data);
      assert.deepEqual(outs[0].dx.data, outs[1].dx.data);
      outs[0].g.forEach((g, i) => assert.deepEqual(g.data, outs[1].g[i].data));
    });
  }
});

test('gradients accumulate over backward calls until zeroGrad, which reads as zeros at once', () => {
  const rng = new Rng(4);
  const l = new Linear(3, 2, { rng });
  const x = Tensor.from([1, 2, 3, -1, 0, 2], [2, 3]);
  const dy = Tensor.from([1, -1, 0.5, 2], [2, 2]);
  l.zeroGrad();
  l.forward(x);
  l.backward(dy);
  const once = l.weight.grad.clone();
  l.forward(x);
  l.backward(dy);
  l.weight.grad.data.forEach((v, i) => assert.ok(Math.abs(v - 2 * once.data[i]) < 1e-6));
  l.zeroGrad();
  assert.ok(l.weight.grad.data.every((v) => v === 0) && l.bias?.grad.data.every((v) => v === 0));
  l.zeroGrad();
  l.forward(x);
  l.backward(dy);
  assert.deepEqual(l.weight.grad.data, once.data);
});
