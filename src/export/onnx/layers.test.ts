/**
 * Every layer the ONNX export maps, run in onnxruntime-node and compared with latentlab's eval-mode
 * forward on both backends (bound: test/helpers/onnx.ts), and the error for a layer it cannot map.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeakyReLU, ReLU, Sigmoid, Tanh, Identity } from '../../nn/activation.js';
import { BatchNorm1d } from '../../nn/batchnorm1d.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { ConvTranspose2d } from '../../nn/conv-transpose2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Dropout } from '../../nn/dropout.js';
import { Dropout2d } from '../../nn/dropout2d.js';
import { Flatten, Unflatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { AvgPool2d, MaxPool2d, MinPool2d } from '../../nn/pool2d.js';
import { Sequential } from '../../nn/sequential.js';
import { Softmax } from '../../nn/softmax.js';
import { Upsample } from '../../nn/upsample.js';
import { Rng } from '../../random.js';
import { withBackend } from '../../tensor/registry.js';
import { Tensor } from '../../tensor/tensor.js';
import { assertOnnxClose, runOnnx } from '../../../test/helpers/onnx.js';
import { UnsupportedLayerError } from './layers.js';
import { sequentialToOnnx } from './models.js';
import { decodeModelProto } from './proto.js';

const BACKENDS = ['js', 'native'] as const;

/** Random weights everywhere, running statistics away from 0 / 1, so a swapped tensor shows. */
function randomize(m: Module, rng: Rng): Module {
  for (const p of m.parameters()) for (let i = 0; i < p.value.size; i++) p.value.data[i] = rng.normal(0, 0.5);
  for (const b of m.buffers()) {
    const isVar = b.name.endsWith('running_var');
    for (let i = 0; i < b.value.size; i++) b.value.data[i] = isVar ? rng.uniform(0.5, 2) : rng.normal(0, 0.3);
  }
  return m.eval();
}

function randomInput(rng: Rng, shape: number[]): Tensor {
  const x = Tensor.zeros(shape);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal(0, 1);
  return x;
}

/** Exports `model` with input rows of `features` values, runs it in onnxruntime and checks it against both backends. */
async function checkNetwork(label: string, build: (rng: Rng) => Module, features: number, rows = 5, inputShape?: number[]): Promise<string[]> {
  const rng = new Rng(7);
  const model = randomize(build(rng), rng);
  const shape = inputShape ?? [features];
  const x = randomInput(rng, [rows, ...shape]);
  const exported = sequentialToOnnx(model, { inputShape: shape });
  const out = await runOnnx(exported.bytes, { input: { data: x.data, dims: x.shape } });
  for (const be of BACKENDS) {
    const y = withBackend(be, () => {
      const r = model.forward(x);
      return { data: r.data.slice(), shape: [...r.shape] };
    });
    assertOnnxClose(out.output, y.data, y.shape, `${label} (${be})`);
  }
  return exported.ops;
}

describe('ONNX export of each layer equals the eval-mode forward on js and native', () => {
  test('an MLP: Linear (with and without bias), every activation, Dropout, BatchNorm1d, Softmax', async () => {
    const ops = await checkNetwork(
      'mlp',
      (rng) =>
        new Sequential([
          new Linear(12, 16, { rng }),
          new ReLU(),
          new Linear(16, 8, { rng }),
          new Tanh(),
          new Dropout(0.5, rng),
          new Linear(8, 6, { rng }),
          new Sigmoid(),
          new Linear(6, 5, { rng }),
          new LeakyReLU(0.2),
          new BatchNorm1d(5),
          new Identity(),
          new Linear(5, 4, { rng, bias: false }),
          new Softmax(),
        ]),
      12,
      7,
    );
    assert.deepEqual(ops, ['Gemm', 'Relu', 'Gemm', 'Tanh', 'Gemm', 'Sigmoid', 'Gemm', 'LeakyRelu', 'BatchNormalization', 'Gemm', 'Softmax']);
  });

  test('BatchNorm1d without affine parameters', async () => {
    await checkNetwork('bn1d', () => new Sequential([new BatchNorm1d(6, { affine: false, eps: 1e-3 })]), 6);
  });

  test("Conv2d: padding 'same' with an even kernel (asymmetric pads) and dilation, then stride + dilation + padding", async () => {
    await checkNetwork(
      'conv',
      (rng) =>
        new Sequential([
          new Unflatten(1, [2, 9, 10]),
          new Conv2d(2, 3, [4, 3], { rng, padding: 'same', dilation: [1, 2] }),
          new ReLU(),
          new Conv2d(3, 4, 3, { rng, stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
          new Conv2d(4, 2, 1, { rng, bias: false }),
          new Flatten(),
          new Linear(2 * 5 * 6, 3, { rng }),
        ]),
      180,
    );
  });

  test('ConvTranspose2d with stride, padding, output_padding and dilation', async () => {
    await checkNetwork(
      'conv-transpose',
      (rng) =>
        new Sequential([
          new ConvTranspose2d(3, 4, 3, { rng, stride: 2, padding: 1, outputPadding: 1 }),
          new Tanh(),
          new ConvTranspose2d(4, 2, [2, 3], { rng, stride: [1, 2], padding: [0, 1], outputPadding: [0, 1], dilation: [2, 1], bias: false }),
        ]),
      0,
      4,
      [3, 4, 5],
    );
  });

  test('MaxPool2d (padding, dilation, ceil_mode), MinPool2d, AvgPool2d (count_include_pad on and off, ceil_mode)', async () => {
    await checkNetwork('maxpool', () => new Sequential([new MaxPool2d(3, { stride: 2, padding: 1, dilation: [1, 2], ceilMode: true })]), 0, 3, [2, 9, 11]);
    await checkNetwork('minpool', () => new Sequential([new MinPool2d(2)]), 0, 3, [2, 8, 7]);
    await checkNetwork('avgpool', () => new Sequential([new AvgPool2d(3, { stride: 2, padding: 1 })]), 0, 3, [2, 9, 8]);
    await checkNetwork(
      'avgpool-nopad',
      () => new Sequential([new AvgPool2d([3, 2], { stride: [2, 1], padding: [1, 1], countIncludePad: false })]),
      0,
      3,
      [2, 9, 8],
    );
    await checkNetwork('avgpool-ceil', () => new Sequential([new AvgPool2d(2, { ceilMode: true })]), 0, 3, [2, 7, 9]);
  });

  test('Upsample (nearest, unequal factors), BatchNorm2d, Dropout2d, Flatten(2, 3) and Unflatten', async () => {
    await checkNetwork(
      'upsample',
      (rng) =>
        new Sequential([
          new Upsample({ scaleFactor: [2, 3] }),
          new BatchNorm2d(3),
          new Dropout2d(0.3, { rng }),
          new Flatten(2, 3),
          new Unflatten(2, [4, 12]),
          new BatchNorm2d(3, { affine: false }),
        ]),
      0,
      4,
      [3, 2, 4],
    );
  });

  test('BatchNorm2d without running statistics normalises with the batch statistics, as in eval', async () => {
    await checkNetwork('bn2d-batch-stats', () => new Sequential([new BatchNorm2d(3, { trackRunningStats: false })]), 0, 4, [3, 3, 2]);
    await checkNetwork('bn2d-batch-stats-plain', () => new Sequential([new BatchNorm2d(2, { trackRunningStats: false, affine: false })]), 0, 3, [2, 2, 2]);
  });
});

class Doubler extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
  backward(dy: Tensor): Tensor {
    return dy;
  }
}

describe('the export refuses what it cannot map', () => {
  test('an unknown layer: the error names its position and class', () => {
    const rng = new Rng(1);
    const model = new Sequential([new Linear(4, 3, { rng }), new ReLU(), new Sequential([new Tanh(), new Doubler()])]);
    assert.throws(
      () => sequentialToOnnx(model),
      (e: unknown) => e instanceof UnsupportedLayerError && e.position === '2.1' && e.layer === 'Doubler' && /the layer at 2\.1 \(a Doubler\)/.test(e.message),
    );
  });

  test('a network starting with a convolution needs its input shape; a Flatten of the batch is refused', () => {
    const rng = new Rng(1);
    assert.throws(() => sequentialToOnnx(new Sequential([new Conv2d(1, 2, 3, { rng })])), /pass inputShape, e\.g\. \[1, 28, 28\]/);
    assert.throws(
      () => sequentialToOnnx(new Sequential([new Flatten(0)]), { inputShape: [3] }),
      /the layer at 0 \(a Flatten\): start_dim 0 merges the batch dimension/,
    );
    assert.throws(
      () => sequentialToOnnx(new Sequential([new Linear(4, 3, { rng })]), { inputShape: [5] }),
      /the layer at 0 \(a Linear\): expected 4 input features/,
    );
  });
});

describe('the file', () => {
  test('is a ModelProto of IR version 8 and opset 17 with a dynamic batch, named initializers and metadata', () => {
    const rng = new Rng(3);
    const model = new Sequential([new Linear(3, 2, { rng }), new ReLU()]);
    const m = sequentialToOnnx(model, { metadata: { kind: 'test' } });
    const proto = decodeModelProto(m.bytes) as {
      ir_version: number;
      opset_import: { version: number }[];
      producer_name: string;
      graph: { initializer: { name: string; dims: number[] }[]; input: { name: string; type: { tensor_type: { shape: { dim: object[] } } } }[] };
      metadata_props: { key: string; value: string }[];
    };
    assert.equal(proto.ir_version, 8);
    assert.deepEqual(
      proto.opset_import.map((o) => o.version),
      [17],
    );
    assert.equal(proto.producer_name, 'latentlab');
    assert.deepEqual(
      proto.graph.initializer.map((t) => [t.name, t.dims]),
      [
        ['0.weight', [2, 3]],
        ['0.bias', [2]],
      ],
    );
    assert.deepEqual(proto.graph.input[0].type.tensor_type.shape.dim, [{ dim_param: 'N' }, { dim_value: 3 }]);
    assert.ok(proto.metadata_props.some((p) => p.key === 'kind' && p.value === 'test'));
    assert.deepEqual(m.inputs, [{ name: 'input', shape: ['N', 3], type: 'float32', description: 'the input rows' }]);
    assert.equal(m.values, 8);
  });
});
