/**
 * RMSprop as PyTorch: g ← g + wd·p; s ← αs + (1−α)g²; centered: ḡ ← αḡ + (1−α)g, s̃ = s − ḡ²;
 * with momentum μ: b ← μb + g/(√s̃ + ε), p ← p − lr·b; else p ← p − lr·g/(√s̃ + ε).
 */
import type { Parameter } from '../nn/module.js';
import { backend } from '../tensor/registry.js';
import { Optimizer, checkNonNegative, checkUnit } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  private sq: Float32Array[];
  private gAvg: (Float32Array | null)[];
  private buf: (Float32Array | null)[];

  constructor(params: readonly Parameter[], options: RMSpropOptions = {}) {
    super(params, options.lr ?? 1e-2);
    this.alpha = options.alpha ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.momentum = options.momentum ?? 0;
    this.centered = options.centered ?? false;
    checkUnit('RMSprop', 'alpha', this.alpha);
    checkNonNegative('RMSprop', 'eps', this.eps);
    checkNonNegative('RMSprop', 'weightDecay', this.weightDecay);
    checkNonNegative('RMSprop', 'momentum', this.momentum);
    this.sq = this.params.map((p) => new Float32Array(p.size));
    this.gAvg = this.params.map((p) => (this.centered ? new Float32Array(p.size) : null));
    this.buf = this.params.map((p) => (this.momentum > 0 ? new Float32Array(p.size) : null));
  }

  protected update(i: number, p: Parameter): void {
    backend().rmsprop(p.value.data, p.grad.data, this.sq[i], this.gAvg[i], this.buf[i], p.size, this.lr, this.alpha, this.eps, this.weightDecay, this.momentum);
  }

  protected slotNames(): readonly string[] {
    return ['square_avg', 'grad_avg', 'momentum_buffer'];
  }

  protected slot(name: string, i: number): Float32Array | null {
    return name === 'square_avg' ? this.sq[i] : name === 'grad_avg' ? this.gAvg[i] : this.buf[i];
  }

  protected setSlot(name: string, i: number, v: Float32Array | null): void {
    if (name === 'square_avg') this.sq[i] = v ?? new Float32Array(this.params[i].size);
    else if (name === 'grad_avg') this.gAvg[i] = v;
    else this.buf[i] = v;
  }
}
