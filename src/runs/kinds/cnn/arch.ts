/**
 * The architecture of a `cnn` run, written as one string of comma-separated layers (`--arch`), in
 * the order the course draws a CNN: convolutions and pooling on the image, then fully connected
 * layers, then the output layer (added: one unit per class).
 *
 * | token              | layer                                                                   |
 * |--------------------|-------------------------------------------------------------------------|
 * | `c32k5`            | Conv2d, 32 kernels of 5×5, stride 1, no padding; then the activation     |
 * | `c32k3s2p1`        | … with stride 2 and padding 1 (`psame`: the output keeps the input size) |
 * | `mp2`, `mp3s2`     | max pooling 2×2 (stride = kernel unless `s` says otherwise)              |
 * | `ap2`, `minp2`     | average pooling, min pooling (the course's −maxpool(−x))                 |
 * | `bn`               | batch normalisation (BatchNorm2d on images, BatchNorm1d after an `fc`)   |
 * | `d0.25`, `dc0.25`  | dropout of single values, or of whole channels (Dropout2d)               |
 * | `fc128`            | a fully connected layer of 128 units; then the activation               |
 *
 * Shapes are followed through the formulas of the course (src/nn/conv-shape.ts, pool2d.ts), so a
 * layer that would leave nothing of the image is an error naming the token and the sizes.
 */
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../../../nn/activation.js';
import { BatchNorm1d } from '../../../nn/batchnorm1d.js';
import { BatchNorm2d } from '../../../nn/batchnorm2d.js';
import { convOutputSize } from '../../../nn/conv-shape.js';
import { Conv2d } from '../../../nn/conv2d.js';
import { Dropout } from '../../../nn/dropout.js';
import { Dropout2d } from '../../../nn/dropout2d.js';
import { Flatten, Unflatten } from '../../../nn/flatten.js';
import type { InitName } from '../../../nn/init.js';
import { Linear } from '../../../nn/linear.js';
import type { Module } from '../../../nn/module.js';
import { AvgPool2d, MaxPool2d, MinPool2d, pool2dOutputSize } from '../../../nn/pool2d.js';
import { Sequential } from '../../../nn/sequential.js';
import type { Rng } from '../../../random.js';

export type ArchLayer =
  | { kind: 'conv'; out: number; kernel: number; stride: number; padding: number | 'same' }
  | { kind: 'pool'; op: 'max' | 'avg' | 'min'; kernel: number; stride: number }
  | { kind: 'bn' }
  | { kind: 'dropout'; p: number; channels: boolean }
  | { kind: 'fc'; out: number };

export type CnnActivation = 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';

/** The default: two 5×5 convolutions of 32 and 64 kernels ('same' padding), each followed by 2×2 max pooling, then 512 units with dropout 0.5. */
export const DEFAULT_ARCH = 'c32k5psame,mp2,c64k5psame,mp2,fc512,d0.5';

const TOKENS = 'c<kernels>k<size>[s<stride>][p<padding>|psame], mp|ap|minp<size>[s<stride>], bn, d<p>, dc<p>, fc<units>';

/** Parses an --arch string; errors name the token and say what the grammar accepts. */
export function parseArch(text: string): ArchLayer[] {
  const fn = 'parseArch';
  if (typeof text !== 'string' || text.trim() === '') throw new RangeError(`${fn}: expected comma-separated layers (${TOKENS}), got ${JSON.stringify(text)}`);
  const layers: ArchLayer[] = [];
  let dense = false;
  for (const [i, raw] of text.split(',').entries()) {
    const t = raw.trim();
    const where = `${fn}: layer ${i + 1} ${JSON.stringify(t)}`;
    const int = (s: string, what: string): number => {
      const v = Number(s);
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${where}: expected ${what} to be a positive integer, got ${s}`);
      return v;
    };
    let m: RegExpExecArray | null;
    if ((m = /^c(\d+)k(\d+)(?:s(\d+))?(?:p(\d+|same))?$/.exec(t)) !== null) {
      if (dense) throw new RangeError(`${where}: a convolution after a fully connected layer; convolutions and pooling come first`);
      const stride = m[3] === undefined ? 1 : int(m[3], 'the stride');
      const padding = m[4] === undefined ? 0 : m[4] === 'same' ? 'same' : Number(m[4]);
      if (padding === 'same' && stride !== 1) throw new RangeError(`${where}: 'same' padding needs stride 1, got stride ${stride}`);
      layers.push({ kind: 'conv', out: int(m[1], 'the number of kernels'), kernel: int(m[2], 'the kernel size'), stride, padding });
    } else if ((m = /^(mp|ap|minp)(\d+)(?:s(\d+))?$/.exec(t)) !== null) {
      if (dense) throw new RangeError(`${where}: pooling after a fully connected layer; convolutions and pooling come first`);
      const kernel = int(m[2], 'the pooling size');
      layers.push({
        kind: 'pool',
        op: m[1] === 'mp' ? 'max' : m[1] === 'ap' ? 'avg' : 'min',
        kernel,
        stride: m[3] === undefined ? kernel : int(m[3], 'the stride'),
      });
    } else if (t === 'bn') {
      layers.push({ kind: 'bn' });
    } else if ((m = /^d(c?)(0?\.\d+|0)$/.exec(t)) !== null) {
      const p = Number(m[2]);
      if (!(p >= 0 && p < 1)) throw new RangeError(`${where}: expected a dropout probability 0 ≤ p < 1, got ${m[2]}`);
      if (m[1] === 'c' && dense) throw new RangeError(`${where}: channel dropout (dc) after a fully connected layer; use d`);
      layers.push({ kind: 'dropout', p, channels: m[1] === 'c' });
    } else if ((m = /^fc(\d+)$/.exec(t)) !== null) {
      dense = true;
      layers.push({ kind: 'fc', out: int(m[1], 'the number of units') });
    } else {
      throw new RangeError(`${where}: not a layer; expected one of ${TOKENS}`);
    }
  }
  return layers;
}

export interface BuildCnnOptions {
  /** The input images: [channels, height, width]. The network reads rows of C·H·W values and unflattens them. */
  input: readonly [number, number, number];
  classes: number;
  activation: CnnActivation;
  init?: InitName;
  rng: Rng;
}

function activationOf(a: CnnActivation): Module {
  switch (a) {
    case 'relu':
      return new ReLU();
    case 'leaky_relu':
      return new LeakyReLU(0.01);
    case 'tanh':
      return new Tanh();
    case 'sigmoid':
      return new Sigmoid();
    default: {
      const never: never = a;
      throw new RangeError(`buildCnn: unknown activation ${JSON.stringify(never)}`);
    }
  }
}

/** The shape after each layer, [C, H, W] on the image and [units] after flattening, as the table of `summary` shows. */
export function archShapes(layers: readonly ArchLayer[], input: readonly [number, number, number]): number[][] {
  let [c, h, w] = input;
  let units: number | null = null;
  const out: number[][] = [];
  for (const [i, l] of layers.entries()) {
    const where = `buildCnn: layer ${i + 1} (${describeLayer(l)})`;
    switch (l.kind) {
      case 'conv': {
        const p = l.padding;
        let oh = h;
        let ow = w;
        if (p !== 'same') {
          try {
            oh = convOutputSize(h, l.kernel, l.stride, p);
            ow = convOutputSize(w, l.kernel, l.stride, p);
          } catch (e) {
            throw new RangeError(
              `${where}: a ${h}×${w} input is smaller than the ${l.kernel}×${l.kernel} kernel${p > 0 ? ` with padding ${p}` : ''} (${(e as Error).message})`,
              { cause: e },
            );
          }
        }
        [c, h, w] = [l.out, oh, ow];
        break;
      }
      case 'pool': {
        if (l.kernel > h || l.kernel > w) throw new RangeError(`${where}: a ${l.kernel}×${l.kernel} window does not fit the ${h}×${w} input`);
        [h, w] = [pool2dOutputSize(h, l.kernel, l.stride), pool2dOutputSize(w, l.kernel, l.stride)];
        break;
      }
      case 'fc':
        units = l.out;
        break;
      default:
        break;
    }
    out.push(units === null ? [c, h, w] : [units]);
  }
  return out;
}

/** The network's learnable parameters, counted by the course's formulas before anything is allocated: (k·k·C_in + 1)·C_out per convolution, (in + 1)·out per fully connected layer, 2·C per batch normalisation. */
export function archParameters(layers: readonly ArchLayer[], input: readonly [number, number, number], classes: number): number {
  const shapes = archShapes(layers, input);
  let n = 0;
  let before: readonly number[] = input;
  for (const [i, l] of layers.entries()) {
    const units = before.reduce((a, b) => a * b, 1);
    if (l.kind === 'conv') n += (l.kernel * l.kernel * before[0] + 1) * l.out;
    else if (l.kind === 'fc') n += (units + 1) * l.out;
    else if (l.kind === 'bn') n += 2 * before[0];
    before = shapes[i];
  }
  return n + (before.reduce((a, b) => a * b, 1) + 1) * classes;
}

/** A layer's token. */
export function describeLayer(l: ArchLayer): string {
  switch (l.kind) {
    case 'conv':
      return `c${l.out}k${l.kernel}${l.stride !== 1 ? `s${l.stride}` : ''}${l.padding === 0 ? '' : `p${l.padding}`}`;
    case 'pool':
      return `${l.op === 'max' ? 'mp' : l.op === 'avg' ? 'ap' : 'minp'}${l.kernel}${l.stride !== l.kernel ? `s${l.stride}` : ''}`;
    case 'bn':
      return 'bn';
    case 'dropout':
      return `d${l.channels ? 'c' : ''}${l.p}`;
    case 'fc':
      return `fc${l.out}`;
    default: {
      const never: never = l;
      return String(never);
    }
  }
}

/**
 * The network of an architecture: Unflatten to [C, H, W], the layers (each convolution and fully
 * connected layer followed by the activation), Flatten before the first fully connected layer, and
 * a last Linear to the classes (its logits go to the cross-entropy).
 */
export function buildCnn(layers: readonly ArchLayer[], o: BuildCnnOptions): Sequential {
  const shapes = archShapes(layers, o.input);
  const mods: Module[] = [new Unflatten(1, [...o.input])];
  let [c] = o.input;
  let flat: number | null = null;
  let first = true;
  const flatten = (i: number): number => {
    if (flat === null) {
      const s = i === 0 ? [...o.input] : shapes[i - 1];
      flat = s.reduce((a, b) => a * b, 1);
      mods.push(new Flatten());
    }
    return flat;
  };
  for (const [i, l] of layers.entries()) {
    switch (l.kind) {
      case 'conv':
        mods.push(
          new Conv2d(c, l.out, l.kernel, { rng: o.rng, stride: l.stride, padding: l.padding, init: o.init, inputGrad: !first }),
          activationOf(o.activation),
        );
        c = l.out;
        first = false;
        break;
      case 'pool':
        mods.push(
          l.op === 'max'
            ? new MaxPool2d(l.kernel, { stride: l.stride })
            : l.op === 'avg'
              ? new AvgPool2d(l.kernel, { stride: l.stride })
              : new MinPool2d(l.kernel, { stride: l.stride }),
        );
        break;
      case 'bn':
        mods.push(flat === null ? new BatchNorm2d(c) : new BatchNorm1d(flat));
        break;
      case 'dropout':
        mods.push(l.channels ? new Dropout2d(l.p, { rng: o.rng }) : new Dropout(l.p, o.rng));
        break;
      case 'fc': {
        const n = flatten(i);
        mods.push(new Linear(n, l.out, { rng: o.rng, init: o.init, inputGrad: !first }), activationOf(o.activation));
        flat = l.out;
        first = false;
        break;
      }
      default: {
        const never: never = l;
        throw new RangeError(`buildCnn: unknown layer ${JSON.stringify(never)}`);
      }
    }
  }
  const n = flatten(layers.length);
  mods.push(new Linear(n, o.classes, { rng: o.rng, init: o.init, inputGrad: !first }));
  return new Sequential(mods);
}
