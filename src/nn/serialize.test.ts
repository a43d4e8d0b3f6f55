import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation.js';
import { BatchNorm1d } from './batchnorm1d.js';
import { BatchNorm2d } from './batchnorm2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';
import { Conv2d } from './conv2d.js';
import { Dropout } from './dropout.js';
import { Dropout2d } from './dropout2d.js';
import { Flatten, Unflatten } from './flatten.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { AvgPool2d, MaxPool2d, MinPool2d } from './pool2d.js';
import { Sequential } from './sequential.js';
import { buildModule, describeModule, moduleSpecSchema, parseModuleSpec, type ModuleSpec } from './serialize.js';
import { Softmax } from './softmax.js';
import { Upsample } from './upsample.js';

function everyLayer(rng: Rng): Sequential {
  return new Sequential([
    new Linear(784, 100, { rng, inputGrad: false }),
    new Sigmoid(),
    new Linear(100, 10, { rng, bias: false, init: 'he_normal' }),
    new LeakyReLU(0.1),
    new BatchNorm1d(10, { eps: 1e-3, momentum: 0.2 }),
    new Dropout(0.2, rng),
    new Sequential([new ReLU(), new Tanh(), new Identity(), new BatchNorm1d(10, { affine: false })], { fuse: false }),
    new Softmax(),
  ]);
}

const everyLayerSpec: ModuleSpec = {
  type: 'sequential',
  layers: [
    { type: 'linear', in: 784, out: 100, bias: true, init: 'glorot_uniform', input_grad: false },
    { type: 'sigmoid' },
    { type: 'linear', in: 100, out: 10, bias: false, init: 'he_normal' },
    { type: 'leaky_relu', slope: 0.1 },
    { type: 'batchnorm1d', features: 10, eps: 1e-3, momentum: 0.2, affine: true },
    { type: 'dropout', p: 0.2 },
    {
      type: 'sequential',
      layers: [{ type: 'relu' }, { type: 'tanh' }, { type: 'identity' }, { type: 'batchnorm1d', features: 10, eps: 1e-5, momentum: 0.1, affine: false }],
      fuse: false,
    },
    { type: 'softmax' },
  ],
};

function shapes(m: Module): [string, number[]][] {
  return [...m.namedParameters()]
    .map(([k, p]) => [k, [...p.value.shape]] as [string, number[]])
    .concat([...m.namedBuffers()].map(([k, b]) => [k, [...b.shape]]));
}

describe('describeModule', () => {
  test('describes every layer type with all of its settings', () => {
    assert.deepEqual(describeModule(everyLayer(new Rng(0))), everyLayerSpec);
  });

  test('the description is plain JSON: it survives stringify → parse unchanged', () => {
    const spec = describeModule(everyLayer(new Rng(0)));
    assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  });

  test('refuses a module class it does not know, naming where it sits', () => {
    class Square extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
      backward(dy: Tensor): Tensor {
        return dy;
      }
    }
    assert.throws(
      () => describeModule(new Square()),
      /describeModule: cannot describe the module \(a Square\); expected one of Sequential, Linear, .*Conv2d, .*Dropout2d$/,
    );
    const nested = new Sequential([new ReLU(), new Sequential([new Tanh(), new Square()])]);
    assert.throws(() => describeModule(nested), /describeModule: cannot describe layers\[1\]\.layers\[1\] \(a Square\)/);
  });

  test('refuses a subclass of a known layer rather than rebuilding it as its parent', () => {
    class ScaledLinear extends Linear {}
    assert.throws(() => describeModule(new ScaledLinear(2, 2, { rng: new Rng(0) })), /describeModule: cannot describe the module \(a ScaledLinear\)/);
  });
});

describe('buildModule', () => {
  test('rebuilds the same architecture: same description, parameter names and shapes', () => {
    const original = everyLayer(new Rng(0));
    const rebuilt = buildModule(describeModule(original), new Rng(1));
    assert.deepEqual(describeModule(rebuilt), everyLayerSpec);
    assert.deepEqual(shapes(rebuilt), shapes(original));
    assert.deepEqual(
      shapes(rebuilt).map(([k]) => k),
      ['0.weight', '0.bias', '2.weight', '4.weight', '4.bias', '4.running_mean', '4.running_var', '6.3.running_mean', '6.3.running_var'],
    );
  });

  test('constructs the right classes with the spec settings', () => {
    const m = buildModule(everyLayerSpec, new Rng(0)) as Sequential;
    const [l0, s1, l2, lr3, bn4, d5, inner, sm7] = m.modules;
    assert.ok(l0 instanceof Linear && l0.inFeatures === 784 && l0.outFeatures === 100 && !l0.inputGrad && l0.init === 'glorot_uniform');
    assert.ok(s1 instanceof Sigmoid);
    assert.ok(l2 instanceof Linear && l2.bias === null && l2.init === 'he_normal' && l2.inputGrad);
    assert.ok(lr3 instanceof LeakyReLU && lr3.slope === 0.1);
    assert.ok(bn4 instanceof BatchNorm1d && bn4.eps === 1e-3 && bn4.momentum === 0.2 && bn4.weight !== null);
    assert.ok(d5 instanceof Dropout && d5.p === 0.2);
    assert.ok(inner instanceof Sequential && !inner.fuse && inner.modules.length === 4);
    assert.ok(sm7 instanceof Softmax);
    assert.ok(m.fuse);
  });

  test('fills PyTorch defaults for omitted settings', () => {
    const spec = { type: 'sequential', layers: [{ type: 'linear', in: 3, out: 2 }, { type: 'leaky_relu' }, { type: 'batchnorm1d', features: 2 }] };
    assert.deepEqual(describeModule(buildModule(spec, new Rng(0))), {
      type: 'sequential',
      layers: [
        { type: 'linear', in: 3, out: 2, bias: true, init: 'glorot_uniform' },
        { type: 'leaky_relu', slope: 0.01 },
        { type: 'batchnorm1d', features: 2, eps: 1e-5, momentum: 0.1, affine: true },
      ],
    });
  });

  test('the same seed gives the same initial weights, another seed different ones', () => {
    const w = (seed: number) => [...(buildModule({ type: 'linear', in: 4, out: 3 }, new Rng(seed)) as Linear).weight.value.data];
    assert.deepEqual(w(7), w(7));
    assert.notDeepEqual(w(7), w(8));
  });

  test('an invalid spec is refused with the path and the value, as in the docs', () => {
    const spec = { type: 'sequential', layers: [{ type: 'linear', in: 784, out: 100 }, { type: 'relu' }, { type: 'linear', in: 100, out: -1 }] };
    assert.throws(() => buildModule(spec, new Rng(0)), { name: 'TypeError', message: 'buildModule: layers[2].out: expected a positive integer, got -1' });
  });

  test('each kind of mistake gets its own message', () => {
    const bad = (spec: unknown) => () => buildModule(spec, new Rng(0));
    assert.throws(
      bad({ type: 'conv3d' }),
      /^TypeError: buildModule: type: unknown layer type "conv3d"; expected one of sequential, linear, relu, leaky_relu, tanh, sigmoid, softmax, identity, batchnorm1d, dropout, conv2d, conv_transpose2d, maxpool2d, minpool2d, avgpool2d, upsample, flatten, unflatten, batchnorm2d, dropout2d$/,
    );
    assert.throws(bad({ layers: [] }), /buildModule: type: missing \(expected one of sequential, /);
    assert.throws(bad({ type: 'linear', in: 3 }), /buildModule: out: missing \(expected a positive integer\)$/);
    assert.throws(
      bad({ type: 'linear', in: 2.5, out: '3' }),
      /buildModule: in: expected a positive integer, got 2.5; out: expected a positive integer, got "3"$/,
    );
    assert.throws(
      bad({ type: 'linear', in: 3, out: 2, init: 'xavier' }),
      /buildModule: init: expected one of glorot_uniform, glorot_normal, he_uniform, he_normal, torch_default, zeros, got "xavier"/,
    );
    assert.throws(bad({ type: 'linear', in: 3, out: 2, bias: 'yes' }), /buildModule: bias: expected a boolean, got "yes"/);
    assert.throws(bad({ type: 'relu', slope: 0.1 }), /buildModule: unexpected key "slope"$/);
    assert.throws(bad({ type: 'leaky_relu', slope: 0 }), /buildModule: slope: expected a positive finite slope, got 0/);
    assert.throws(
      bad({ type: 'batchnorm1d', features: 4, eps: 0, momentum: 1.5 }),
      /buildModule: eps: expected eps > 0, got 0; momentum: expected 0 ≤ momentum ≤ 1, got 1.5$/,
    );
    assert.throws(
      bad({ type: 'sequential', layers: [{ type: 'relu' }, { type: 'sequential', layers: [{ type: 'dropout', p: 1 }] }] }),
      /buildModule: layers\[1\]\.layers\[0\]\.p: expected 0 ≤ p < 1, got 1$/,
    );
    assert.throws(bad({ type: 'sequential', layers: 'relu' }), /buildModule: layers: expected an array of layer specs, got "relu"/);
    assert.throws(bad({ type: 'sequential', layers: [5] }), /buildModule: layers\[0\]: expected an object, got 5/);
    assert.throws(bad(null), /^TypeError: buildModule: expected an object, got null$/);
  });

  test('many mistakes are listed up to five, with a count of the rest', () => {
    const layers = Array.from({ length: 8 }, () => ({ type: 'dropout', p: 2 }));
    assert.throws(() => buildModule({ type: 'sequential', layers }, new Rng(0)), /layers\[4\]\.p: expected 0 ≤ p < 1, got 2; … and 3 more$/);
  });
});

describe('moduleSpecSchema and parseModuleSpec', () => {
  test('the exported schema accepts a described module and rejects a broken one', () => {
    assert.ok(moduleSpecSchema.safeParse(everyLayerSpec).success);
    assert.equal(moduleSpecSchema.safeParse({ type: 'linear', in: 0, out: 1 }).success, false);
  });

  test('parseModuleSpec names its caller and prefixes paths with a root', () => {
    assert.throws(() => parseModuleSpec({ type: 'sequential', layers: [{ type: 'linear', in: 1, out: 0 }] }, 'loadModel: m/model.json', 'architecture'), {
      message: 'loadModel: m/model.json: architecture.layers[0].out: expected a positive integer, got 0',
    });
  });
});

describe('convolutional layers', () => {
  /** Every convolutional layer type, with settings away from their defaults. */
  const cnn = (rng: Rng): Sequential =>
    new Sequential([
      new Unflatten(1, [2, 8, 8]),
      new Conv2d(2, 4, [3, 2], { rng, stride: [1, 2], padding: [1, 0], dilation: [2, 1], init: 'he_uniform' }),
      new BatchNorm2d(4, { eps: 1e-3, momentum: 0.2 }),
      new ReLU(),
      new Dropout2d(0.25, { rng }),
      new MaxPool2d(2, { stride: 1, padding: 1, ceilMode: true }),
      new MinPool2d([2, 1]),
      new AvgPool2d(2, { padding: 1, countIncludePad: false }),
      new Upsample({ scaleFactor: [2, 1] }),
      new ConvTranspose2d(4, 3, 3, { rng, stride: 2, padding: 1, outputPadding: 1, bias: false }),
      new Conv2d(3, 2, 3, { rng, padding: 'same', inputGrad: false }),
      new Flatten(),
    ]);

  test('describe → build rebuilds the same network: same description, state-dict names and shapes, and outputs once the weights are copied', () => {
    const a = cnn(new Rng(1));
    const spec = describeModule(a);
    assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
    const b = buildModule(spec, new Rng(2));
    assert.deepEqual(describeModule(b), spec);
    const shapes = (m: Module): [string, number[]][] => [...m.namedParameters()].map(([k, p]) => [k, [...p.value.shape]]);
    assert.deepEqual(shapes(b), shapes(a));
    assert.deepEqual([...b.namedBuffers().keys()], [...a.namedBuffers().keys()]);
    for (const [k, p] of b.namedParameters()) p.value.data.set(a.namedParameters().get(k)?.value.data ?? []);
    a.eval();
    b.eval();
    const x = new Tensor(
      Float32Array.from({ length: 3 * 128 }, (_, i) => Math.sin(i)),
      [3, 128],
    );
    assert.deepEqual(Array.from(b.forward(x).data), Array.from(a.forward(x).data));
  });

  test('specs name their mistakes', () => {
    const bad = (spec: unknown) => () => buildModule(spec, new Rng(0));
    assert.throws(bad({ type: 'conv2d', in: 1, out: 2, kernel: 3 }), /buildModule: kernel: expected a \[height, width\] pair, got 3/);
    assert.throws(bad({ type: 'conv2d', in: 1, out: 2, kernel: [3, 3], padding: 'full' }), /buildModule: padding: expected a \[height, width\] pair or 'same'/);
    assert.throws(bad({ type: 'upsample', scale: [2, 2], mode: 'bilinear' }), /buildModule: mode: expected 'nearest', got "bilinear"/);
    assert.throws(bad({ type: 'dropout2d', p: 1 }), /buildModule: p: expected 0 ≤ p < 1, got 1/);
  });
});
