/**
 * latentlab's layers as ONNX operators, in eval mode (what a trained model computes at inference):
 *
 * | layer                         | ONNX (opset 17)                                                        |
 * |-------------------------------|------------------------------------------------------------------------|
 * | Linear                        | Gemm(x, W, b, transB=1): y = x·Wᵀ + b                                  |
 * | ReLU, Tanh, Sigmoid           | Relu, Tanh, Sigmoid                                                    |
 * | LeakyReLU(slope)              | LeakyRelu(alpha = slope)                                               |
 * | Softmax (row-wise)            | Softmax(axis = −1)                                                     |
 * | Identity, Dropout, Dropout2d  | nothing (identity at inference)                                        |
 * | BatchNorm1d, BatchNorm2d      | BatchNormalization with the running statistics (γ = 1, β = 0 without affine) |
 * | BatchNorm2d without running statistics | ReduceMean / Sub / Mul / Sqrt / Div: the batch's own statistics, as in eval |
 * | Conv2d                        | Conv(kernel_shape, strides, pads [top, left, bottom, right], dilations) |
 * | ConvTranspose2d               | ConvTranspose(…, pads, output_padding, dilations)                      |
 * | MaxPool2d                     | MaxPool(kernel_shape, strides, pads, dilations, ceil_mode)             |
 * | MinPool2d                     | Neg → MaxPool → Neg (−maxpool(−x))                                     |
 * | AvgPool2d                     | AveragePool(kernel_shape, strides, pads, ceil_mode, count_include_pad) |
 * | Upsample (nearest, ×s)        | Resize(scales [1, 1, sₕ, s_w], nearest, asymmetric, floor)             |
 * | Flatten(1, −1)                | Flatten(axis = 1)                                                      |
 * | Flatten(start, end), Unflatten| Reshape to the static shape, batch kept (0)                            |
 * | Sequential                    | its layers in order                                                    |
 *
 * Each value's shape is tracked without its batch dimension, which stays dynamic ("N").
 */
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from '../../nn/activation.js';
import { BatchNorm1d } from '../../nn/batchnorm1d.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { ConvTranspose2d } from '../../nn/conv-transpose2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Dropout } from '../../nn/dropout.js';
import { Dropout2d } from '../../nn/dropout2d.js';
import { Flatten, Unflatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { AvgPool2d, MaxPool2d, MinPool2d } from '../../nn/pool2d.js';
import { Sequential } from '../../nn/sequential.js';
import { Softmax } from '../../nn/softmax.js';
import { Upsample } from '../../nn/upsample.js';
import type { GraphBuilder, Value } from './graph.js';

/** The layer classes the export maps, for messages. */
export const ONNX_LAYERS =
  'Sequential, Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity, Dropout, Dropout2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, MaxPool2d, MinPool2d, AvgPool2d, Upsample, Flatten, Unflatten';

/** A layer the export cannot map; the message names the layer's position and class. */
export class UnsupportedLayerError extends TypeError {
  constructor(
    readonly position: string,
    readonly layer: string,
    reason?: string,
  ) {
    super(
      reason === undefined
        ? `exportOnnx: cannot export the layer at ${position} (a ${layer}); the ONNX export maps ${ONNX_LAYERS}`
        : `exportOnnx: cannot export the layer at ${position} (a ${layer}): ${reason}`,
    );
    this.name = 'UnsupportedLayerError';
  }
}

/** Where a layer sits: its state_dict prefix without the dot ("encoder.3"), or "the model" at the root. */
function where(prefix: string): string {
  return prefix === '' ? 'the model' : prefix.replace(/\.$/, '');
}

function nodeName(prefix: string, fallback: string): string {
  return prefix === '' ? fallback : prefix.replace(/\.$/, '');
}

function fmtShape(shape: readonly number[]): string {
  return `[N, ${shape.join(', ')}]`;
}

function expectRank(prefix: string, m: Module, x: Value, rank: number, what: string): void {
  if (x.shape.length + 1 !== rank)
    throw new UnsupportedLayerError(where(prefix), m.constructor.name, `expected its input to be ${what}, got ${fmtShape(x.shape)} (the shape reaching it)`);
}

/** The output shape (batch dropped) a module gives for input shape `shape` (batch dropped). */
function outShape(m: Module, shape: readonly number[]): number[] {
  return [...m.outputShape([1, ...shape])].slice(1);
}

/**
 * Appends the ONNX nodes computing module `m` (in eval mode) on value `x`; `prefix` is the
 * module's state_dict prefix ("encoder." …), used for initializer and node names. Throws an
 * UnsupportedLayerError naming the layer's position for a module it cannot map.
 */
export function emitModule(g: GraphBuilder, m: Module, x: Value, prefix = ''): Value {
  const name = (fallback: string) => nodeName(prefix, fallback);
  const unary = (op: string, attrs: Record<string, number | { float: number }> = {}): Value => ({
    name: g.node(op, name(op), [x.name], attrs)[0],
    shape: x.shape,
  });
  // Exact classes only (as describeModule): a subclass may compute something else.
  switch (m.constructor) {
    case Sequential: {
      let v = x;
      (m as Sequential).modules.forEach((c, i) => {
        v = emitModule(g, c, v, `${prefix}${i}.`);
      });
      return v;
    }
    case Linear: {
      const l = m as Linear;
      expectRank(prefix, m, x, 2, `[N, ${l.inFeatures}]`);
      if (x.shape[0] !== l.inFeatures)
        throw new UnsupportedLayerError(where(prefix), 'Linear', `expected ${l.inFeatures} input features, got ${fmtShape(x.shape)} (the shape reaching it)`);
      const w = g.floats(`${prefix}weight`, l.weight.value.shape, l.weight.value.data);
      const inputs = [x.name, w];
      if (l.bias !== null) inputs.push(g.floats(`${prefix}bias`, l.bias.value.shape, l.bias.value.data));
      // y = x·Wᵀ + b with W stored out × in (PyTorch's layout): Gemm's transB.
      return { name: g.node('Gemm', name('Gemm'), inputs, { transB: 1 })[0], shape: [l.outFeatures] };
    }
    case ReLU:
      return unary('Relu');
    case Tanh:
      return unary('Tanh');
    case Sigmoid:
      return unary('Sigmoid');
    case LeakyReLU:
      return unary('LeakyRelu', { alpha: { float: (m as LeakyReLU).slope } });
    case Softmax:
      expectRank(prefix, m, x, 2, '[N, features] (latentlab normalises rows)');
      return unary('Softmax', { axis: -1 });
    case Identity:
    case Dropout:
    case Dropout2d:
      return x;
    case BatchNorm1d: {
      const b = m as BatchNorm1d;
      expectRank(prefix, m, x, 2, `[N, ${b.features}]`);
      return batchNorm(g, prefix, x, b.features, b.eps, b.weight?.value.data ?? null, b.bias?.value.data ?? null, b.runningMean.data, b.runningVar.data);
    }
    case BatchNorm2d: {
      const b = m as BatchNorm2d;
      expectRank(prefix, m, x, 4, `[N, ${b.numFeatures}, H, W]`);
      if (b.runningMean === null || b.runningVar === null) return batchNormBatchStats(g, prefix, x, b);
      return batchNorm(g, prefix, x, b.numFeatures, b.eps, b.weight?.value.data ?? null, b.bias?.value.data ?? null, b.runningMean.data, b.runningVar.data);
    }
    case Conv2d: {
      const c = m as Conv2d;
      expectRank(prefix, m, x, 4, `[N, ${c.inChannels}, H, W]`);
      const [top, bottom, left, right] = c.pads;
      const inputs = [x.name, g.floats(`${prefix}weight`, c.weight.value.shape, c.weight.value.data)];
      if (c.bias !== null) inputs.push(g.floats(`${prefix}bias`, c.bias.value.shape, c.bias.value.data));
      const attrs = { kernel_shape: [...c.kernelSize], strides: [...c.stride], pads: [top, left, bottom, right], dilations: [...c.dilation], group: 1 };
      return { name: g.node('Conv', name('Conv'), inputs, attrs)[0], shape: outShape(m, x.shape) };
    }
    case ConvTranspose2d: {
      const c = m as ConvTranspose2d;
      expectRank(prefix, m, x, 4, `[N, ${c.inChannels}, H, W]`);
      const [ph, pw] = c.padding;
      const inputs = [x.name, g.floats(`${prefix}weight`, c.weight.value.shape, c.weight.value.data)];
      if (c.bias !== null) inputs.push(g.floats(`${prefix}bias`, c.bias.value.shape, c.bias.value.data));
      const attrs = {
        kernel_shape: [...c.kernelSize],
        strides: [...c.stride],
        pads: [ph, pw, ph, pw],
        output_padding: [...c.outputPadding],
        dilations: [...c.dilation],
        group: 1,
      };
      return { name: g.node('ConvTranspose', name('ConvTranspose'), inputs, attrs)[0], shape: outShape(m, x.shape) };
    }
    case MaxPool2d:
    case MinPool2d: {
      const p = m as MaxPool2d;
      expectRank(prefix, m, x, 4, '[N, C, H, W]');
      const attrs = { ...poolAttrs(p), dilations: [...p.dilation] };
      const shape = outShape(m, x.shape);
      if (m.constructor === MaxPool2d) return { name: g.node('MaxPool', name('MaxPool'), [x.name], attrs)[0], shape };
      // min over the window = −max(−x), the course's min pooling.
      const neg = g.node('Neg', `${name('MinPool')}/Neg`, [x.name])[0];
      const pooled = g.node('MaxPool', `${name('MinPool')}/MaxPool`, [neg], attrs)[0];
      return { name: g.node('Neg', name('MinPool'), [pooled])[0], shape };
    }
    case AvgPool2d: {
      const p = m as AvgPool2d;
      expectRank(prefix, m, x, 4, '[N, C, H, W]');
      const attrs = { ...poolAttrs(p), count_include_pad: p.countIncludePad ? 1 : 0 };
      return { name: g.node('AveragePool', name('AveragePool'), [x.name], attrs)[0], shape: outShape(m, x.shape) };
    }
    case Upsample: {
      const u = m as Upsample;
      expectRank(prefix, m, x, 4, '[N, C, H, W]');
      const scales = g.floats(`${prefix}scales`, [4], new Float32Array([1, 1, u.scaleFactor[0], u.scaleFactor[1]]));
      // Output pixel (i, j) reads input (⌊i/sₕ⌋, ⌊j/s_w⌋): asymmetric coordinates, floor.
      const attrs = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
      return { name: g.node('Resize', name('Resize'), [x.name, '', scales], attrs)[0], shape: outShape(m, x.shape) };
    }
    case Flatten:
    case Unflatten: {
      const rank = x.shape.length + 1;
      if (m.constructor === Flatten) {
        const f = m as Flatten;
        const start = f.startDim < 0 ? f.startDim + rank : f.startDim;
        const end = f.endDim < 0 ? f.endDim + rank : f.endDim;
        if (start === 0)
          throw new UnsupportedLayerError(where(prefix), 'Flatten', `start_dim ${f.startDim} merges the batch dimension, which the export keeps dynamic`);
        if (start === 1 && end === rank - 1) return { name: g.node('Flatten', name('Flatten'), [x.name], { axis: 1 })[0], shape: outShape(m, x.shape) };
      } else if ((m as Unflatten).dim === 0 || (m as Unflatten).dim === -rank) {
        throw new UnsupportedLayerError(where(prefix), 'Unflatten', 'it splits the batch dimension, which the export keeps dynamic');
      }
      const shape = outShape(m, x.shape);
      // 0 copies the batch size from the input (Reshape's allowzero = 0).
      const target = g.ints(`${prefix}shape`, [0, ...shape]);
      return { name: g.node('Reshape', name('Reshape'), [x.name, target])[0], shape };
    }
    default:
      throw new UnsupportedLayerError(where(prefix), m.constructor.name);
  }
}

/** y = γ·(x − μ)/√(σ² + eps) + β per channel, with the running statistics μ, σ². */
function batchNorm(
  g: GraphBuilder,
  prefix: string,
  x: Value,
  features: number,
  eps: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  mean: Float32Array,
  variance: Float32Array,
): Value {
  const scale = g.floats(`${prefix}weight`, [features], weight ?? new Float32Array(features).fill(1));
  const shift = g.floats(`${prefix}bias`, [features], bias ?? new Float32Array(features));
  const m = g.floats(`${prefix}running_mean`, [features], mean);
  const v = g.floats(`${prefix}running_var`, [features], variance);
  const out = g.node('BatchNormalization', nodeName(prefix, 'BatchNormalization'), [x.name, scale, shift, m, v], { epsilon: { float: eps } })[0];
  return { name: out, shape: x.shape };
}

/**
 * BatchNorm2d without running statistics normalises with the batch's own mean and biased
 * variance over N, H, W even in eval mode (as PyTorch): the same computation as nodes.
 */
function batchNormBatchStats(g: GraphBuilder, prefix: string, x: Value, b: BatchNorm2d): Value {
  const base = nodeName(prefix, 'BatchNorm');
  const c = b.numFeatures;
  // Opset 17's ReduceMean takes its axes as an attribute (an input from opset 18).
  const axes = [0, 2, 3];
  const mean = g.node('ReduceMean', `${base}/mean`, [x.name], { axes, keepdims: 1 })[0];
  const centered = g.node('Sub', `${base}/centered`, [x.name, mean])[0];
  const squares = g.node('Mul', `${base}/squares`, [centered, centered])[0];
  const variance = g.node('ReduceMean', `${base}/var`, [squares], { axes, keepdims: 1 })[0];
  const epsilon = g.floats(`${prefix}eps`, [], new Float32Array([b.eps]));
  const std = g.node('Sqrt', `${base}/std`, [g.node('Add', `${base}/var_eps`, [variance, epsilon])[0]])[0];
  let y = g.node('Div', b.weight === null ? base : `${base}/normalized`, [centered, std])[0];
  if (b.weight !== null && b.bias !== null) {
    const gamma = g.floats(`${prefix}weight`, [c, 1, 1], b.weight.value.data);
    const beta = g.floats(`${prefix}bias`, [c, 1, 1], b.bias.value.data);
    y = g.node('Add', base, [g.node('Mul', `${base}/scaled`, [y, gamma])[0], beta])[0];
  }
  return { name: y, shape: x.shape };
}

/** The attributes ONNX's MaxPool and AveragePool share: window, strides, symmetric pads, ceil mode. */
function poolAttrs(p: MaxPool2d | AvgPool2d): { kernel_shape: number[]; strides: number[]; pads: number[]; ceil_mode: number } {
  const [ph, pw] = p.padding;
  return { kernel_shape: [...p.kernelSize], strides: [...p.stride], pads: [ph, pw, ph, pw], ceil_mode: p.ceilMode ? 1 : 0 };
}
