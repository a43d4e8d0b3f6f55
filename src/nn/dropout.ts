/** Inverted dropout: in training, zero each unit with probability p and scale the rest by 1/(1−p). */
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

export class Dropout extends Module {
  private mask: Float32Array = new Float32Array(0);
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private passThrough = true;

  constructor(
    readonly p: number,
    private readonly rng: Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: expected 0 ≤ p < 1, got ${p}`);
  }

  forward(x: Tensor): Tensor {
    this.passThrough = !this.training || this.p === 0;
    if (this.passThrough) return x;
    const y = (this.y = ensureBuffer(this.y, x.shape));
    if (this.mask.length !== x.size) this.mask = new Float32Array(x.size);
    const keep = 1 / (1 - this.p);
    for (let i = 0; i < x.size; i++) {
      const m = this.rng.uniform() >= this.p ? keep : 0;
      this.mask[i] = m;
      y.data[i] = x.data[i] * m;
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (this.passThrough) return dy;
    if (dy.size !== this.mask.length) throw new RangeError(`Dropout.backward: expected ${this.mask.length} gradient values, got ${dy.size}`);
    const dx = (this.dx = ensureBuffer(this.dx, dy.shape));
    for (let i = 0; i < dy.size; i++) dx.data[i] = dy.data[i] * this.mask[i];
    return dx;
  }

  toString(): string {
    return `Dropout(${this.p})`;
  }
}
