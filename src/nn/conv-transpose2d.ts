/**
 * 2-D transposed convolution over NCHW batches, as PyTorch's `nn.ConvTranspose2d` (groups 1):
 * weight [in, out, kh, kw] and bias [out] under the names `weight` / `bias`, PyTorch's default init
 * (whose fan_in is out·kh·kw for this layer, see `fansOf`).
 *
 * It is the input gradient of a Conv2d(out → in) with the same kernel, stride, padding and dilation
 * whose weight is this one: the output has the size that convolution would read,
 * (H − 1)·s − 2p + d·(kh − 1) + outputPadding + 1 (`convTransposeOutputSize`). Per image n, with
 * W seen as in × (out·kh·kw):
 *
 *     forward   y_n   = col2im(Wᵀ · x_n) + b
 *     backward  cols_n = im2col(dy_n)            (the convolution's forward, on dy)
 *               dx_n  = W · cols_n
 *               dW   += x_n · cols_nᵀ
 *               db   += Σ_pixels dy_n
 */
import type { Rng } from '../random.js';
import type { ActivationKind, Backend, ConvGeometry } from '../tensor/backend.js';
import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { convTransposeOutputSize, describeConv, size2, type Size2 } from './conv-shape.js';
import { checkChannels, fillChannels } from './conv2d.js';
import { INIT_NAMES, fansOf, initBias, initWeights, type InitName } from './init.js';
import { Module, Parameter, ensureBuffer } from './module.js';

/**
 * A bias gradient, out[c] (+)= Σ_{n, p} g[n, c, p] over an images × channels × plane gradient: per
 * image, a GEMM of a row of ones against its channels × plane block gives the per-channel sums, then
 * colSum adds the images up (in float64). One GEMM over the whole batch (a 16 384 × 1 product) cost
 * 4 times as much on OpenBLAS, which packs it as a full GEMM.
 */
class ChannelSums {
  private ones = new Float32Array(0);
  private sums = new Float32Array(0);

  run(be: Backend, g: Float32Array, images: number, channels: number, plane: number, out: Float32Array, accumulate: boolean): void {
    if (this.ones.length !== plane) this.ones = new Float32Array(plane).fill(1);
    if (this.sums.length < images * channels) this.sums = new Float32Array(images * channels);
    for (let b = 0; b < images; b++) {
      be.gemm(
        false,
        true,
        1,
        channels,
        plane,
        1,
        this.ones,
        g.subarray(b * channels * plane, (b + 1) * channels * plane),
        0,
        this.sums.subarray(b * channels, (b + 1) * channels),
      );
    }
    be.colSum(this.sums, images, channels, out, accumulate);
  }
}

export interface ConvTranspose2dOptions {
  /** Seeded generator for the initial weights. */
  rng: Rng;
  /** The stride of the convolution this layer transposes (the output grows about this many times); default 1. */
  stride?: Size2;
  /** The padding of the convolution this layer transposes: removes that many rows / columns from each side of the output; default 0. */
  padding?: Size2;
  /** Rows / columns added at the end of the output (< stride or < dilation): picks among the sizes a strided convolution maps to the same input; default 0. */
  outputPadding?: Size2;
  /** Spacing between kernel taps; default 1. */
  dilation?: Size2;
  /** Learn a bias; default true. */
  bias?: boolean;
  /** Weight initialisation; default torch_default (PyTorch's: U(±1/√(out·kh·kw)), bias too). */
  init?: InitName;
  /** Compute the input gradient in backward; false saves a GEMM per image. */
  inputGrad?: boolean;
}

export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly init: InitName;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly outputPadding: readonly [number, number];
  readonly dilation: readonly [number, number];
  inputGrad: boolean;
  /** "ConvTranspose2d(16→1, 3×3)": how errors name this layer. */
  private readonly label: string;
  private geom: ConvGeometry | null = null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private noInputGrad: Tensor | null = null;
  private readonly biasSums = new ChannelSums();

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2,
    options: ConvTranspose2dOptions,
  ) {
    super();
    checkChannels('ConvTranspose2d', 'inChannels', inChannels);
    checkChannels('ConvTranspose2d', 'outChannels', outChannels);
    const kernel = size2('ConvTranspose2d', 'kernelSize', kernelSize, 1);
    this.kernelSize = kernel;
    this.label = `ConvTranspose2d(${inChannels}→${outChannels}, ${kernel[0]}×${kernel[1]})`;
    this.stride = size2(this.label, 'stride', options.stride ?? 1, 1);
    this.padding = size2(this.label, 'padding', options.padding ?? 0, 0);
    this.outputPadding = size2(this.label, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = size2(this.label, 'dilation', options.dilation ?? 1, 1);
    for (let a = 0; a < 2; a++) {
      if (this.outputPadding[a] >= this.stride[a] && this.outputPadding[a] >= this.dilation[a]) {
        throw new RangeError(
          `${this.label}: expected outputPadding < stride or < dilation (PyTorch's rule), got outputPadding [${this.outputPadding.join(', ')}] with stride [${this.stride.join(', ')}], dilation [${this.dilation.join(', ')}]`,
        );
      }
    }
    const init = options.init ?? 'torch_default';
    if (!INIT_NAMES.includes(init)) throw new RangeError(`${this.label}: unknown init ${JSON.stringify(init)}; expected one of ${INIT_NAMES.join(', ')}`);
    this.init = init;
    this.weight = new Parameter('weight', Tensor.zeros([inChannels, outChannels, kernel[0], kernel[1]]));
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

  /**
   * The geometry of the transposed convolution for an input of height × width: the output is the
   * image (`channels` = out, height / width = the output size) and the input is the grid of kernel
   * positions (outH / outW).
   */
  geometry(height: number, width: number): ConvGeometry {
    const g = this.geom;
    if (g !== null && g.outH === height && g.outW === width) return g;
    const [kh, kw] = this.kernelSize;
    let outH: number;
    let outW: number;
    try {
      outH = convTransposeOutputSize(height, kh, this.stride[0], this.padding[0], this.outputPadding[0], this.dilation[0]);
      outW = convTransposeOutputSize(width, kw, this.stride[1], this.padding[1], this.outputPadding[1], this.dilation[1]);
    } catch (e) {
      throw new RangeError(`${this.label}: input ${height}×${width}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return (this.geom = {
      channels: this.outChannels,
      height: outH,
      width: outW,
      kernelH: kh,
      kernelW: kw,
      strideH: this.stride[0],
      strideW: this.stride[1],
      padTop: this.padding[0],
      padLeft: this.padding[1],
      dilationH: this.dilation[0],
      dilationW: this.dilation[1],
      outH: height,
      outW: width,
    });
  }

  /** x [N, in, H, W] → y [N, out, H', W']. `fused` applies an element-wise activation to the output. */
  forward(x: Tensor, fused?: { kind: ActivationKind; slope: number }): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new RangeError(`${this.label}: expected input [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`);
    }
    const [n, , h, w] = x.shape;
    const g = this.geometry(h, w);
    const y = (this.y = ensureBuffer(this.y, [n, this.outChannels, g.height, g.width]));
    this.x = x;
    const be = backend();
    // y_n = col2im(Wᵀ · x_n) (+ b, pre-filled): the input gradient of the convolution this layer transposes
    const bias = this.bias?.value.data ?? null;
    if (bias !== null) fillChannels(y.data, bias, n, g.height * g.width);
    be.convGemmBackward(null, x.data, n, g, this.weight.value.data, this.inChannels, null, false, null, false, y.data, bias !== null);
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
    const be = backend();
    const wd = this.weight.value.data;
    // dx_n = W · im2col(dy_n): the convolution's forward, on dy
    const dx = this.inputGrad ? (this.dx = ensureBuffer(this.dx, x.shape)) : null;
    if (dx !== null) be.convGemm(dy.data, n, g, wd, c, dx.data, false);
    // dW += Σ_n x_n · im2col(dy_n)ᵀ (overwritten when the gradient was just zeroed)
    const gw = this.weight.gradForWrite();
    be.convGemmBackward(dy.data, x.data, n, g, wd, c, gw.data, !gw.zero, null, false, null, false);
    // db += Σ_{n, pixels} dy
    if (this.bias !== null) {
      const gb = this.bias.gradForWrite();
      this.biasSums.run(be, dy.data, n, this.outChannels, g.height * g.width, gb.data, !gb.zero);
    }
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
    return [input[0], this.outChannels, g.height, g.width];
  }

  toString(): string {
    const pad = this.padding[0] === this.padding[1] ? `${this.padding[0]}` : `(${this.padding[0]}, ${this.padding[1]})`;
    const details = describeConv(this.kernelSize, {
      stride: this.stride,
      padding: pad,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      bias: this.bias !== null,
    });
    return `ConvTranspose2d(${this.inChannels}→${this.outChannels}, ${details})`;
  }
}
