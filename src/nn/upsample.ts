/**
 * Nearest-neighbour upsampling of NCHW inputs, as PyTorch 1.13's `nn.Upsample(scale_factor=s,
 * mode='nearest')` (the `nearest_idx` of aten/src/ATen/native/UpSample.h):
 *
 * - output size = ⌊input · s⌋ per axis;
 * - source index: dst when the output size equals the input size, dst >> 1 when it is twice it,
 *   otherwise min(⌊dst · f⌋, input − 1) computed in float32 with f = float32(1 / s).
 *
 * For integer factors this is ⌊dst · in/out⌋. For other factors PyTorch uses 1/s, not in/out (for
 * s = 1.6 on 4 pixels: sources 0 0 1 1 2 3, where ⌊dst · 4/6⌋ would give 0 0 1 2 2 3); we follow
 * PyTorch. Backward sums each output gradient into its source pixel (gathered per source pixel:
 * each source owns a rectangle of outputs, since the index tables are non-decreasing).
 */
import { Tensor, type Shape } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

export interface UpsampleOptions {
  /** Scale factor for both axes, or [height, width]; positive and finite. */
  scaleFactor: number | readonly [number, number];
  /** Only 'nearest' (the default). */
  mode?: 'nearest';
}

function fmtScale(s: readonly [number, number]): string {
  return s[0] === s[1] ? `${s[0]}` : `[${s[0]}, ${s[1]}]`;
}

/** start[r] … start[r+1] − 1: the outputs whose source is r (the table is non-decreasing). */
function spans(src: Int32Array, input: number): Int32Array {
  const start = new Int32Array(input + 1);
  for (const s of src) start[s + 1]++;
  for (let r = 0; r < input; r++) start[r + 1] += start[r];
  return start;
}

/** PyTorch's source index table for one axis. */
function nearestSources(input: number, output: number, scale: number): Int32Array {
  const src = new Int32Array(output);
  const f = Math.fround(1 / scale);
  for (let d = 0; d < output; d++) {
    if (output === input) src[d] = d;
    else if (output === 2 * input) src[d] = d >> 1;
    else src[d] = Math.min(Math.floor(Math.fround(d * f)), input - 1);
  }
  return src;
}

export class Upsample extends Module {
  readonly scaleFactor: readonly [number, number];
  readonly mode = 'nearest' as const;
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private inShape: Shape | null = null;
  private key = '';
  private srcH: Int32Array = new Int32Array(0);
  private srcW: Int32Array = new Int32Array(0);
  private spanH: Int32Array = new Int32Array(0);
  private spanW: Int32Array = new Int32Array(0);

  constructor(options: UpsampleOptions) {
    super();
    const s = options?.scaleFactor;
    const p: [number, number] = typeof s === 'number' ? [s, s] : Array.isArray(s) && s.length === 2 ? [s[0], s[1]] : [NaN, NaN];
    if (!p.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new RangeError(`Upsample: expected scaleFactor to be a positive finite number or a pair [sh, sw] of them, got ${JSON.stringify(s)}`);
    }
    this.scaleFactor = p;
    const mode = options.mode ?? 'nearest';
    if (mode !== 'nearest') throw new RangeError(`Upsample: expected mode 'nearest' (the only one implemented), got ${JSON.stringify(mode)}`);
  }

  outputShape(input: Shape): Shape {
    return [input[0], input[1], Math.floor(input[2] * this.scaleFactor[0]), Math.floor(input[3] * this.scaleFactor[1])];
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`${this.toString()}: expected input [N, C, H, W], got [${x.shape.join(', ')}]`);
    const [n, c, h, w] = x.shape;
    const [, , oh, ow] = this.outputShape(x.shape);
    if (oh < 1 || ow < 1) throw new RangeError(`${this.toString()}: input [${x.shape.join(', ')}] gives an empty output ${oh}×${ow}`);
    const key = `${h},${w}`;
    if (key !== this.key) {
      this.srcH = nearestSources(h, oh, this.scaleFactor[0]);
      this.srcW = nearestSources(w, ow, this.scaleFactor[1]);
      this.spanH = spans(this.srcH, h);
      this.spanW = spans(this.srcW, w);
      this.key = key;
    }
    this.inShape = x.shape;
    const y = (this.y = ensureBuffer(this.y, [n, c, oh, ow]));
    const xd = x.data;
    const yd = y.data;
    const srcH = this.srcH;
    const srcW = this.srcW;
    const planes = n * c;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * h * w;
      for (let i = 0; i < oh; i++) {
        if (i > 0 && srcH[i] === srcH[i - 1]) {
          // the same source row as the previous output row: copy it
          yd.copyWithin(o, o - ow, o);
          o += ow;
          continue;
        }
        const row = base + srcH[i] * w;
        for (let j = 0; j < ow; j++) yd[o++] = xd[row + srcW[j]];
      }
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const inShape = this.inShape;
    const y = this.y;
    if (inShape === null || y === null) throw new Error(`${this.toString()}.backward: called before forward`);
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== y.shape[i])) {
      throw new RangeError(`${this.toString()}.backward: expected a gradient of shape [${y.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    const [n, c, h, w] = inShape;
    const [, , oh, ow] = y.shape;
    const dx = (this.dx = ensureBuffer(this.dx, inShape));
    const dxd = dx.data;
    const g = dy.data;
    const spanH = this.spanH;
    const spanW = this.spanW;
    const planes = n * c;
    // Gather: dx(r, q) = Σ dy over the block of outputs whose source is (r, q) (sources are
    // non-decreasing along each axis, so the block is a rectangle); each dx written once.
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * oh * ow;
      for (let r = 0; r < h; r++) {
        const i0 = spanH[r];
        const i1 = spanH[r + 1];
        for (let q = 0; q < w; q++) {
          const j0 = spanW[q];
          const j1 = spanW[q + 1];
          let s = 0;
          for (let i = i0; i < i1; i++) {
            const row = base + i * ow;
            for (let j = j0; j < j1; j++) s += g[row + j];
          }
          dxd[o++] = s;
        }
      }
    }
    return dx;
  }

  toString(): string {
    return `Upsample(scaleFactor=${fmtScale(this.scaleFactor)}, mode=nearest)`;
  }
}
