/**
 * Stochastic gradient descent as PyTorch's SGD: g ← g + wd·p; b ← μ·b + (1−τ)·g (b = g at the
 * first step); update = nesterov ? g + μ·b : b; p ← p − lr·update.
 */
import type { Parameter } from '../nn/module.js';
import { backend } from '../tensor/registry.js';
import { Optimizer, checkNonNegative } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private bufs: (Float32Array | null)[];

  constructor(params: readonly Parameter[], options: SGDOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    checkNonNegative('SGD', 'momentum', this.momentum);
    checkNonNegative('SGD', 'dampening', this.dampening);
    checkNonNegative('SGD', 'weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError(`SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
    this.bufs = this.params.map(() => null);
  }

  protected update(i: number, p: Parameter): void {
    let buf = this.bufs[i];
    const first = buf === null;
    if (this.momentum !== 0 && buf === null) buf = this.bufs[i] = new Float32Array(p.size);
    backend().sgd(p.value.data, p.grad.data, buf, p.size, this.lr, this.momentum, this.dampening, this.weightDecay, this.nesterov, first);
  }

  protected slotNames(): readonly string[] {
    return ['momentum_buffer'];
  }

  protected slot(_name: string, i: number): Float32Array | null {
    return this.bufs[i];
  }

  protected setSlot(_name: string, i: number, v: Float32Array | null): void {
    this.bufs[i] = v;
  }
}
