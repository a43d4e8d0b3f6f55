/**
 * 2-D convolution over NCHW batches, as PyTorch's `nn.Conv2d` (groups 1, zero padding): weight
 * [out, in, kh, kw] and bias [out] under the names `weight` / `bias`, so a state_dict loads into
 * `torch.nn.Conv2d` unchanged, and PyTorch's default init.
 *
 * y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] (cross-correlation). Per image n, with cols_n = im2col(x_n)
 * ((in·kh·kw) × (H'·W'), see Backend.im2col):
 *
 *     forward   y_n   = W · cols_n + b            (W seen as out × in·kh·kw)
 *     backward  dW   += dy_n · cols_nᵀ
 *               db   += Σ_pixels dy_n
 *               dx_n  = col2im(Wᵀ · dy_n)
 *
 * The backend runs these per image (Backend.convGemm / convGemmBackward): an image's column matrix
 * (in·kh·kw·H'·W' floats, 0.9 MB for 32 channels 3×3 on 28×28) stays in the CPU's L2 cache between
 * im2col and the GEMM that reads it, where a batched column matrix (hundreds of MB) would not, and
 * backward recomputes it rather than keep it.
 */
import type { Rng } from '../random.js';
import type { ActivationKind, ConvGeometry } from '../tensor/backend.js';
import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { convOutputSize, describeConv, samePadding, size2, type Size2 } from './conv-shape.js';
import { INIT_NAMES, fansOf, initBias, initWeights, type InitName } from './init.js';
import { Module, Parameter, ensureBuffer } from './module.js';

export type Conv2dPadding = Size2 | 'same' | 'valid';

export interface Conv2dOptions {
  /** Seeded generator for the initial weights. */
  rng: Rng;
  /** Step between kernel positions; default 1. */
  stride?: Size2;
  /**
   * Zeros added on each side: a number, [height, width], 'valid' (0) or 'same' (output size = input
   * size; stride 1 only; an odd total puts the extra zero after, as PyTorch). Default 0.
   */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps; default 1. */
  dilation?: Size2;
  /** Learn a bias; default true. */
  bias?: boolean;
  /** Weight initialisation; default torch_default (PyTorch's kaiming_uniform(a=√5): U(±1/√(in·kh·kw)), bias too). */
  init?: InitName;
  /** Compute the input gradient in backward; false for a network's first layer saves a GEMM and a col2im per image. */
  inputGrad?: boolean;
}

/** Throws unless v is a positive integer; `layer` names the layer in the message. */
export function checkChannels(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: expected ${what} to be a positive integer, got ${v}`);
}

/** y[n, c, ·] = bias[c] over an images × channels × plane buffer (the GEMM then adds into it). */
export function fillChannels(y: Float32Array, bias: Float32Array, images: number, plane: number): void {
  for (let n = 0, o = 0; n < images; n++) {
    for (let c = 0; c < bias.length; c++, o += plane) y.fill(bias[c], o, o + plane);
  }
}

export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly init: InitName;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** The padding as configured: [height, width] per side ('valid' is [0, 0]), or 'same'. */
  readonly padding: readonly [number, number] | 'same';
  /** Zero rows and columns added: [top, bottom, left, right] (bottom / right exceed top / left by one for 'same' with an odd total). */
  readonly pads: readonly [number, number, number, number];
  inputGrad: boolean;
  /** "Conv2d(1→32, 3×3)": how errors name this layer. */
  private readonly label: string;
  private geom: ConvGeometry | null = null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private noInputGrad: Tensor | null = null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2,
    options: Conv2dOptions,
  ) {
    super();
    checkChannels('Conv2d', 'inChannels', inChannels);
    checkChannels('Conv2d', 'outChannels', outChannels);
    const kernel = size2('Conv2d', 'kernelSize', kernelSize, 1);
    this.kernelSize = kernel;
    this.label = `Conv2d(${inChannels}→${outChannels}, ${kernel[0]}×${kernel[1]})`;
    this.stride = size2(this.label, 'stride', options.stride ?? 1, 1);
    this.dilation = size2(this.label, 'dilation', options.dilation ?? 1, 1);
    const padding = options.padding ?? 0;
    if (padding === 'same') {
      try {
        const [top, bottom] = samePadding(kernel[0], this.dilation[0], this.stride[0]);
        const [left, right] = samePadding(kernel[1], this.dilation[1], this.stride[1]);
        this.pads = [top, bottom, left, right];
      } catch (e) {
        throw new RangeError(`${this.label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      this.padding = 'same';
    } else {
      const p = padding === 'valid' ? ([0, 0] as const) : size2(this.label, "padding (a number, [height, width], 'same' or 'valid')", padding, 0);
      this.padding = p;
      this.pads = [p[0], p[0], p[1], p[1]];
    }
    const init = options.init ?? 'torch_default';
    if (!INIT_NAMES.includes(init)) throw new RangeError(`${this.label}: unknown init ${JSON.stringify(init)}; expected one of ${INIT_NAMES.join(', ')}`);
    this.init = init;
    this.weight = new Parameter('weight', Tensor.zeros([outChannels, inChannels, kernel[0], kernel[1]]));
    this.bias = options.bias === false ? null : new Parameter('bias', Tensor.zeros([outChannels]));
    this.inputGrad = options.inputGrad ?? true;
    this.resetParameters(options.rng);
  }

  /** Redraws the weights (then the bias) with the layer's init, fans as PyTorch computes them. */
  resetParameters(rng: Rng): void {
    const { fanIn, fanOut } = fansOf(this.weight.value.shape);
    initWeights(this.init, this.weight.value.data, fanIn, fanOut, rng);
    if (this.bias !== null) initBias(this.init, this.bias.value.data, fanIn, rng);
  }

  /** The im2col geometry for an input of height × width (throws when the kernel does not fit). */
  geometry(height: number, width: number): ConvGeometry {
    const g = this.geom;
    if (g !== null && g.height === height && g.width === width) return g;
    const [kh, kw] = this.kernelSize;
    const [top, bottom, left, right] = this.pads;
    let outH: number;
    let outW: number;
    try {
      outH = convOutputSize(height, kh, this.stride[0], [top, bottom], this.dilation[0]);
      outW = convOutputSize(width, kw, this.stride[1], [left, right], this.dilation[1]);
    } catch (e) {
      throw new RangeError(`${this.label}: input ${height}×${width} is too small: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return (this.geom = {
      channels: this.inChannels,
      height,
      width,
      kernelH: kh,
      kernelW: kw,
      strideH: this.stride[0],
      strideW: this.stride[1],
      padTop: top,
      padLeft: left,
      dilationH: this.dilation[0],
      dilationW: this.dilation[1],
      outH,
      outW,
    });
  }

  private checkInput(x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new RangeError(`${this.label}: expected input [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`);
    }
  }

  /**
   * y = conv(x, W) + b, x [N, in, H, W] → y [N, out, H', W']. `fused` applies an element-wise
   * activation to the output in the same call (as Linear's, for Conv2d → activation pairs).
   */
  forward(x: Tensor, fused?: { kind: ActivationKind; slope: number }): Tensor {
    this.checkInput(x);
    const [n, , h, w] = x.shape;
    const g = this.geometry(h, w);
    const y = (this.y = ensureBuffer(this.y, [n, this.outChannels, g.outH, g.outW]));
    this.x = x;
    const be = backend();
    // y_n = W · im2col(x_n) (+ b, pre-filled)
    const bias = this.bias?.value.data ?? null;
    if (bias !== null) fillChannels(y.data, bias, n, g.outH * g.outW);
    be.convGemm(x.data, n, g, this.weight.value.data, this.outChannels, y.data, bias !== null);
    const kind = fused?.kind ?? 'identity';
    if (kind !== 'identity') be.activation(kind, y.data, y.data, y.size, fused?.slope ?? 0);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.x;
    const y = this.y;
    if (x === null || y === null) throw new Error(`${this.label}.backward: called before forward`);
    if (dy.rank !== 4 || !dy.shape.every((d, i) => d === y.shape[i])) {
      throw new RangeError(
        `${this.label}.backward: expected an output gradient [${y.shape.join(', ')}] (the forward output's shape), got [${dy.shape.join(', ')}]`,
      );
    }
    const [n, c, h, w] = x.shape;
    const g = this.geometry(h, w);
    const dx = this.inputGrad ? (this.dx = ensureBuffer(this.dx, x.shape)) : null;
    // dW += Σ_n dy_n · im2col(x_n)ᵀ, db += Σ dy, dx_n = col2im(Wᵀ · dy_n); a gradient just zeroed is
    // overwritten rather than cleared and added to
    const gw = this.weight.gradForWrite();
    const gb = this.bias?.gradForWrite() ?? null;
    backend().convGemmBackward(
      x.data,
      dy.data,
      n,
      g,
      this.weight.value.data,
      this.outChannels,
      gw.data,
      !gw.zero,
      gb?.data ?? null,
      !(gb?.zero ?? true),
      dx?.data ?? null,
      false,
    );
    return dx ?? (this.noInputGrad ??= Tensor.zeros([0, c, h, w]));
  }

  parameters(): Parameter[] {
    return this.bias === null ? [this.weight] : [this.weight, this.bias];
  }

  outputShape(input: readonly number[]): readonly number[] {
    if (input.length !== 4 || input[1] !== this.inChannels) {
      throw new RangeError(`${this.label}: expected input [N, ${this.inChannels}, H, W], got [${input.join(', ')}]`);
    }
    const g = this.geometry(input[2], input[3]);
    return [input[0], this.outChannels, g.outH, g.outW];
  }

  toString(): string {
    const pad = this.padding === 'same' ? 'same' : this.padding[0] === this.padding[1] ? `${this.padding[0]}` : `(${this.padding[0]}, ${this.padding[1]})`;
    const details = describeConv(this.kernelSize, { stride: this.stride, padding: pad, dilation: this.dilation, bias: this.bias !== null });
    return `Conv2d(${this.inChannels}→${this.outChannels}, ${details})`;
  }
}
