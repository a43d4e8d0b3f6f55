/**
 * 2-D pooling over NCHW inputs with PyTorch's semantics (the CNN practical's max, min and average
 * pooling with padding and stride):
 *
 * - `MaxPool2d`: padding counts as −∞; the gradient of each window goes to its first maximum in scan
 *   order (row by row), as PyTorch's CPU kernel (`val > max || isnan(val)`: a NaN wins and
 *   propagates).
 * - `MinPool2d`: defined as −maxpool(−x) — computed exactly so (negation is exact), hence padding
 *   counts as +∞ and ties go to the first minimum.
 * - `AvgPool2d`: the mean over the window; with `countIncludePad` (default, as PyTorch) the divisor
 *   counts the padding but not the part of a ceil-mode window that hangs past the right/bottom
 *   padding, exactly as PyTorch's `(min(start + k, size + pad) − start)`.
 *
 * Output sizes follow `pool2dOutputSize` (PyTorch's `pooling_output_shape`).
 */
import { Tensor, type Shape } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

/** A size for both spatial axes, or [height, width]. */
export type Size2d = number | readonly [number, number];

/**
 * PyTorch's pooling output size along one axis:
 * ⌊(input + 2·padding − dilation·(kernel − 1) − 1 + (ceilMode ? stride − 1 : 0)) / stride⌋ + 1,
 * and in ceil mode one less when the last window would start at or after input + padding (it must
 * start inside the input or the left padding). May be < 1 when the window does not fit; the layers
 * turn that into an error naming the sizes.
 */
export function pool2dOutputSize(input: number, kernel: number, stride: number, padding = 0, dilation = 1, ceilMode = false): number {
  let out = Math.floor((input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + padding) out--;
  return out;
}

function fmt(p: readonly [number, number]): string {
  return p[0] === p[1] ? `${p[0]}` : `[${p[0]}, ${p[1]}]`;
}

function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Validates a Size2d option; `min` is 1 for sizes, 0 for padding. */
function pair(layer: string, what: string, v: Size2d, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) {
    const shown = typeof v === 'number' ? `${v}` : JSON.stringify(v);
    throw new RangeError(`${layer}: expected ${what} to be an integer ≥ ${min} or a pair [h, w] of them, got ${shown}`);
  }
  return p;
}

/** Per-axis window tables, rebuilt when the input's spatial size changes. */
interface AxisTable {
  /** Output size along the axis. */
  out: number;
  /** First in-bounds input position of window o. */
  first: Int32Array;
  /** Number of in-bounds taps of window o (positions first + t·dilation). */
  count: Int32Array;
  /** Window length used by AvgPool2d's countIncludePad divisor (clipped at input + padding). */
  padded: Int32Array;
}

abstract class Pool2d extends Module {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
  protected y: Tensor | null = null;
  protected dx: Tensor | null = null;
  protected inShape: Shape | null = null;
  private tableKey = '';
  protected rowsT: AxisTable | null = null;
  protected colsT: AxisTable | null = null;

  constructor(
    name: string,
    kernel: Size2d,
    options: { stride?: Size2d; padding?: Size2d; dilation?: Size2d; ceilMode?: boolean },
    private readonly extra: string[] = [],
  ) {
    super();
    const layer = `${name}(${typeof kernel === 'number' ? kernel : JSON.stringify(kernel)})`;
    this.kernelSize = pair(layer, 'kernel', kernel, 1);
    this.stride = options.stride === undefined || options.stride === null ? this.kernelSize : pair(layer, 'stride', options.stride, 1);
    this.padding = pair(layer, 'padding', options.padding ?? 0, 0);
    this.dilation = pair(layer, 'dilation', options.dilation ?? 1, 1);
    const ceil = options.ceilMode ?? false;
    if (typeof ceil !== 'boolean') throw new RangeError(`${layer}: expected ceilMode to be a boolean, got ${JSON.stringify(ceil)}`);
    this.ceilMode = ceil;
    const [kh, kw] = this.kernelSize;
    const [ph, pw] = this.padding;
    if (2 * ph > kh || 2 * pw > kw) {
      throw new RangeError(`${layer}: expected padding ≤ kernel / 2 (as PyTorch), got padding ${fmt(this.padding)} with kernel ${fmt(this.kernelSize)}`);
    }
  }

  toString(): string {
    const parts = [fmt(this.kernelSize)];
    if (this.stride[0] !== this.kernelSize[0] || this.stride[1] !== this.kernelSize[1]) parts.push(`stride=${fmt(this.stride)}`);
    if (this.padding[0] !== 0 || this.padding[1] !== 0) parts.push(`padding=${fmt(this.padding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=${fmt(this.dilation)}`);
    if (this.ceilMode) parts.push('ceilMode');
    return `${this.constructor.name}(${[...parts, ...this.extra].join(', ')})`;
  }

  outputShape(input: Shape): Shape {
    const oh = pool2dOutputSize(input[2], this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0], this.ceilMode);
    const ow = pool2dOutputSize(input[3], this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1], this.ceilMode);
    return [input[0], input[1], oh, ow];
  }

  /** Checks the input, (re)builds the window tables, returns the output buffer. */
  protected prepare(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`${this.toString()}: expected input [N, C, H, W], got ${shapeStr(x.shape)}`);
    const [n, c, h, w] = x.shape;
    const key = `${h},${w}`;
    if (key !== this.tableKey) {
      const oh = pool2dOutputSize(h, this.kernelSize[0], this.stride[0], this.padding[0], this.dilation[0], this.ceilMode);
      const ow = pool2dOutputSize(w, this.kernelSize[1], this.stride[1], this.padding[1], this.dilation[1], this.ceilMode);
      if (oh < 1 || ow < 1) {
        const eh = this.dilation[0] * (this.kernelSize[0] - 1) + 1;
        const ew = this.dilation[1] * (this.kernelSize[1] - 1) + 1;
        throw new RangeError(
          `${this.toString()}: the ${eh}×${ew} window (kernel ${fmt(this.kernelSize)}, dilation ${fmt(this.dilation)}) is larger than the padded input ` +
            `${h + 2 * this.padding[0]}×${w + 2 * this.padding[1]} (input ${shapeStr(x.shape)}, padding ${fmt(this.padding)}): output size ${oh}×${ow}`,
        );
      }
      this.rowsT = this.axis(h, oh, 0, x.shape);
      this.colsT = this.axis(w, ow, 1, x.shape);
      this.tableKey = key;
    }
    this.inShape = x.shape;
    return (this.y = ensureBuffer(this.y, [n, c, this.rowsT!.out, this.colsT!.out]));
  }

  private axis(size: number, out: number, a: 0 | 1, shape: Shape): AxisTable {
    const k = this.kernelSize[a];
    const s = this.stride[a];
    const p = this.padding[a];
    const d = this.dilation[a];
    const t: AxisTable = { out, first: new Int32Array(out), count: new Int32Array(out), padded: new Int32Array(out) };
    for (let o = 0; o < out; o++) {
      const start = o * s - p;
      let first = -1;
      let count = 0;
      for (let j = 0; j < k; j++) {
        const pos = start + j * d;
        if (pos < 0 || pos >= size) continue;
        if (first < 0) first = pos;
        count++;
      }
      // Only possible with dilation (PyTorch then reads out of bounds): refuse.
      if (count === 0) {
        throw new RangeError(
          `${this.toString()}: output ${a === 0 ? 'row' : 'column'} ${o}'s window covers only padding (input ${shapeStr(shape)}, ` +
            `padding ${fmt(this.padding)}, dilation ${fmt(this.dilation)})`,
        );
      }
      t.first[o] = first;
      t.count[o] = count;
      t.padded[o] = Math.min(start + k, size + p) - start;
    }
    return t;
  }

  protected checkGrad(dy: Tensor): Shape {
    const inShape = this.inShape;
    const y = this.y;
    if (inShape === null || y === null) throw new Error(`${this.toString()}.backward: called before forward`);
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== y.shape[i])) {
      throw new RangeError(`${this.toString()}.backward: expected a gradient of shape ${shapeStr(y.shape)}, got ${shapeStr(dy.shape)}`);
    }
    return inShape;
  }
}

/** Options of MaxPool2d and MinPool2d (PyTorch's defaults: stride = kernel). */
export interface MaxPool2dOptions {
  stride?: Size2d;
  padding?: Size2d;
  dilation?: Size2d;
  ceilMode?: boolean;
}

/**
 * The max-pool kernel over `planes` H×W planes: y = sign·max(sign·x) per window, arg = the flat index
 * of the first extreme in scan order (PyTorch's CPU rule: strictly greater, NaN wins). A standalone
 * function so that V8 keeps its locals in registers.
 */
function signedMaxPool(
  xd: Float32Array,
  yd: Float32Array,
  arg: Int32Array,
  sign: number,
  planes: number,
  h: number,
  w: number,
  rt: AxisTable,
  ct: AxisTable,
  rstep: number,
  dw: number,
  full2: boolean,
): void {
  const oh = rt.out;
  const ow = ct.out;
  const rFirst = rt.first;
  const rCount = rt.count;
  const cFirst = ct.first;
  const cCount = ct.count;
  const plane = h * w;
  let o = 0;
  if (full2 && rCount.every((v) => v === 2) && cCount.every((v) => v === 2)) {
    // Every window a full 2×2 (MaxPool2d(2) and friends): unrolled, same scan order and rule, no
    // table lookups — a third faster on random data.
    const sh = oh > 1 ? rFirst[1] - rFirst[0] : 0;
    const sw = ow > 1 ? cFirst[1] - cFirst[0] : 0;
    const r00 = rFirst[0] * w + cFirst[0];
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * plane + r00;
      for (let i = 0; i < oh; i++) {
        const r0 = base + i * sh * w;
        for (let j = 0; j < ow; j++) {
          const c0 = r0 + j * sw;
          let best = sign * xd[c0];
          let bi = c0;
          let v = sign * xd[c0 + dw];
          if (v > best || v !== v) {
            best = v;
            bi = c0 + dw;
          }
          v = sign * xd[c0 + rstep];
          if (v > best || v !== v) {
            best = v;
            bi = c0 + rstep;
          }
          v = sign * xd[c0 + rstep + dw];
          if (v > best || v !== v) {
            best = v;
            bi = c0 + rstep + dw;
          }
          yd[o] = sign * best;
          arg[o] = bi;
          o++;
        }
      }
    }
    return;
  }
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * plane;
    for (let i = 0; i < oh; i++) {
      const r0 = base + rFirst[i] * w;
      const rn = rCount[i];
      for (let j = 0; j < ow; j++) {
        const c0 = r0 + cFirst[j];
        const cn = cCount[j];
        let best = -Infinity;
        let bi = c0;
        for (let a = 0, row = c0; a < rn; a++, row += rstep) {
          for (let b = 0, idx = row; b < cn; b++, idx += dw) {
            const v = sign * xd[idx];
            // PyTorch's CPU rule: strictly greater (ties keep the first), and NaN wins.
            if (v > best || v !== v) {
              best = v;
              bi = idx;
            }
          }
        }
        yd[o] = sign * best;
        arg[o] = bi;
        o++;
      }
    }
  }
}

/** Max (sign 1) or min (sign −1, = −max(−x)) pooling; the argmax of each window feeds backward. */
abstract class SignedMaxPool2d extends Pool2d {
  protected abstract readonly sign: 1 | -1;
  private arg = new Int32Array(0);

  constructor(name: string, kernel: Size2d, options: MaxPool2dOptions) {
    super(name, kernel, options);
  }

  forward(x: Tensor): Tensor {
    const y = this.prepare(x);
    const rt = this.rowsT!;
    const ct = this.colsT!;
    const [n, c, h, w] = x.shape;
    if (this.arg.length !== y.size) this.arg = new Int32Array(y.size);
    const full2 = this.kernelSize[0] === 2 && this.kernelSize[1] === 2;
    signedMaxPool(x.data, y.data, this.arg, this.sign, n * c, h, w, rt, ct, this.dilation[0] * w, this.dilation[1], full2);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const inShape = this.checkGrad(dy);
    const dx = (this.dx = ensureBuffer(this.dx, inShape));
    const dxd = dx.data;
    dxd.fill(0);
    const g = dy.data;
    const arg = this.arg;
    for (let o = 0; o < g.length; o++) dxd[arg[o]] += g[o];
    return dx;
  }
}

/**
 * `nn.MaxPool2d(kernel, stride=kernel, padding=0, dilation=1, ceil_mode=False)`: the maximum of
 * each window, padding counting as −∞; backward routes each output gradient to the window's first
 * maximum in scan order (summed where windows overlap).
 */
export class MaxPool2d extends SignedMaxPool2d {
  protected readonly sign = 1;

  constructor(kernel: Size2d, options: MaxPool2dOptions = {}) {
    super('MaxPool2d', kernel, options);
  }
}

/**
 * The course's min pooling, defined as −maxpool(−x) with MaxPool2d's options: the minimum of each
 * window, padding counting as +∞, the gradient to the first minimum in scan order. A layer of its
 * own so that it composes in Sequential (PyTorch has none: `-F.max_pool2d(-x, …)`).
 */
export class MinPool2d extends SignedMaxPool2d {
  protected readonly sign = -1;

  constructor(kernel: Size2d, options: MaxPool2dOptions = {}) {
    super('MinPool2d', kernel, options);
  }
}

/** Options of AvgPool2d (PyTorch's defaults: stride = kernel, countIncludePad true). */
export interface AvgPool2dOptions {
  stride?: Size2d;
  padding?: Size2d;
  ceilMode?: boolean;
  /** Divide by the window size including padding (default, as PyTorch) or by the in-bounds count. */
  countIncludePad?: boolean;
}

/**
 * `nn.AvgPool2d(kernel, stride=kernel, padding=0, ceil_mode=False, count_include_pad=True)`: the
 * mean of each window's in-bounds values, divided by the padded window size (clipped at the far
 * padding, as PyTorch) or, without countIncludePad, by the number of in-bounds values.
 */
export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;
  private divH = new Float64Array(0);
  private divW = new Float64Array(0);

  constructor(kernel: Size2d, options: AvgPool2dOptions = {}) {
    const cip = options.countIncludePad ?? true;
    super('AvgPool2d', kernel, { stride: options.stride, padding: options.padding, ceilMode: options.ceilMode }, cip ? [] : ['countIncludePad=false']);
    if (typeof cip !== 'boolean') throw new RangeError(`${this.toString()}: expected countIncludePad to be a boolean, got ${JSON.stringify(cip)}`);
    this.countIncludePad = cip;
    if ('dilation' in options) throw new RangeError(`${this.toString()}: AvgPool2d has no dilation option (PyTorch's has none)`);
  }

  /** Per-axis divisor factors; the divisor of a window is divH[i]·divW[j] (PyTorch's product). */
  private divisors(): void {
    const rt = this.rowsT!;
    const ct = this.colsT!;
    if (this.divH.length !== rt.out) this.divH = new Float64Array(rt.out);
    if (this.divW.length !== ct.out) this.divW = new Float64Array(ct.out);
    for (let i = 0; i < rt.out; i++) this.divH[i] = this.countIncludePad ? rt.padded[i] : rt.count[i];
    for (let j = 0; j < ct.out; j++) this.divW[j] = this.countIncludePad ? ct.padded[j] : ct.count[j];
  }

  forward(x: Tensor): Tensor {
    const y = this.prepare(x);
    this.divisors();
    const rt = this.rowsT!;
    const ct = this.colsT!;
    const [n, c, h, w] = x.shape;
    const oh = rt.out;
    const ow = ct.out;
    const xd = x.data;
    const yd = y.data;
    const divH = this.divH;
    const divW = this.divW;
    const planes = n * c;
    const plane = h * w;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * plane;
      for (let i = 0; i < oh; i++) {
        const r0 = base + rt.first[i] * w;
        const rn = rt.count[i];
        for (let j = 0; j < ow; j++) {
          const c0 = r0 + ct.first[j];
          const cn = ct.count[j];
          let s = 0;
          for (let a = 0, row = c0; a < rn; a++, row += w) {
            for (let b = 0; b < cn; b++) s += xd[row + b];
          }
          yd[o++] = s / (divH[i] * divW[j]);
        }
      }
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const inShape = this.checkGrad(dy);
    const dx = (this.dx = ensureBuffer(this.dx, inShape));
    const dxd = dx.data;
    dxd.fill(0);
    const rt = this.rowsT!;
    const ct = this.colsT!;
    const [n, c, h, w] = inShape;
    const g = dy.data;
    const planes = n * c;
    const plane = h * w;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * plane;
      for (let i = 0; i < rt.out; i++) {
        const r0 = base + rt.first[i] * w;
        const rn = rt.count[i];
        for (let j = 0; j < ct.out; j++) {
          const c0 = r0 + ct.first[j];
          const cn = ct.count[j];
          const v = g[o++] / (this.divH[i] * this.divW[j]);
          for (let a = 0, row = c0; a < rn; a++, row += w) {
            for (let b = 0; b < cn; b++) dxd[row + b] += v;
          }
        }
      }
    }
    return dx;
  }
}
