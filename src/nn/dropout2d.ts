/**
 * Channel dropout, as PyTorch's `nn.Dropout2d(p)`: in training, each (sample, channel) feature map
 * of an NCHW input is zeroed whole with probability p and the kept ones are scaled by 1/(1−p); in
 * eval it is the identity. The mask comes from the seeded Rng, one uniform draw per (n, c) in
 * row-major order, so the same seed gives the same mask.
 */
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

export interface Dropout2dOptions {
  /** Seeded generator for the channel masks. */
  rng: Rng;
}

export class Dropout2d extends Module {
  private readonly rng: Rng;
  /** Per (n, c): 0 or 1/(1−p), from the last training forward. */
  private mask = new Float32Array(0);
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private passThrough = true;
  private shape: readonly number[] = [];

  constructor(
    readonly p: number,
    options: Dropout2dOptions,
  ) {
    super();
    if (!(typeof p === 'number' && p >= 0 && p < 1)) throw new RangeError(`Dropout2d: expected 0 ≤ p < 1, got ${p}`);
    if (options?.rng === undefined || typeof options.rng.uniform !== 'function') {
      throw new RangeError('Dropout2d: expected options.rng, a seeded Rng (every stochastic layer takes one)');
    }
    this.rng = options.rng;
  }

  /** The last training mask as a copy: 0 or 1/(1−p) per (sample, channel), row-major [N, C]. */
  channelMask(): Float32Array {
    return this.mask.slice();
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`${this.toString()}: expected input [N, C, H, W], got [${x.shape.join(', ')}]`);
    this.passThrough = !this.training || this.p === 0;
    this.shape = x.shape;
    if (this.passThrough) return x;
    const [n, c, h, w] = x.shape;
    const maps = n * c;
    const hw = h * w;
    const y = (this.y = ensureBuffer(this.y === x ? null : this.y, x.shape));
    if (this.mask.length !== maps) this.mask = new Float32Array(maps);
    const keep = 1 / (1 - this.p);
    const xd = x.data;
    const yd = y.data;
    for (let k = 0; k < maps; k++) {
      const s = this.rng.uniform() >= this.p ? keep : 0;
      this.mask[k] = s;
      const base = k * hw;
      if (s === 0) yd.fill(0, base, base + hw);
      else for (let i = base; i < base + hw; i++) yd[i] = xd[i] * s;
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (this.shape.length === 0) throw new Error(`${this.toString()}.backward: called before forward`);
    if (dy.rank !== this.shape.length || dy.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(`${this.toString()}.backward: expected a gradient of shape [${this.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    if (this.passThrough) return dy;
    const [, , h, w] = dy.shape;
    const hw = h * w;
    const dx = (this.dx = ensureBuffer(this.dx === dy ? null : this.dx, dy.shape));
    const g = dy.data;
    const dxd = dx.data;
    for (let k = 0; k < this.mask.length; k++) {
      const s = this.mask[k];
      const base = k * hw;
      if (s === 0) dxd.fill(0, base, base + hw);
      else for (let i = base; i < base + hw; i++) dxd[i] = g[i] * s;
    }
    return dx;
  }

  toString(): string {
    return `Dropout2d(${this.p})`;
  }
}
