/**
 * Adam (Kingma & Ba) as PyTorch computes it: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε). weightDecay adds wd·p to g (L2); AdamW instead
 * decays p ← p·(1 − lr·wd) before the update (decoupled).
 */
import type { Parameter } from '../nn/module.js';
import { backend } from '../tensor/registry.js';
import { Optimizer, checkNonNegative, checkUnit } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  /** PyTorch's default 1e-8; Keras (and the DESOM reference) use 1e-7. */
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private m: Float32Array[];
  private v: Float32Array[];

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? (this.constructor === Adam ? 0 : 0.01);
    const fn = this.constructor.name;
    checkUnit(fn, 'beta1', this.beta1);
    checkUnit(fn, 'beta2', this.beta2);
    checkNonNegative(fn, 'eps', this.eps);
    checkNonNegative(fn, 'weightDecay', this.weightDecay);
    this.m = this.params.map((p) => new Float32Array(p.size));
    this.v = this.params.map((p) => new Float32Array(p.size));
  }

  protected update(i: number, p: Parameter): void {
    backend().adam(p.value.data, p.grad.data, this.m[i], this.v[i], p.size, {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      step: this.stepCount,
    });
  }

  protected slotNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected slot(name: string, i: number): Float32Array | null {
    return name === 'exp_avg' ? this.m[i] : this.v[i];
  }

  protected setSlot(name: string, i: number, value: Float32Array | null): void {
    const a = value ?? new Float32Array(this.params[i].size);
    if (name === 'exp_avg') this.m[i] = a;
    else this.v[i] = a;
  }
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, default wd 0.01 as PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
}
