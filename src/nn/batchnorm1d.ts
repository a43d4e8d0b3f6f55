/**
 * BatchNorm1d over a (batch × features) input, as PyTorch: in training, normalise with the batch
 * mean and biased variance, and update running stats with the unbiased variance
 * (r ← (1−momentum)·r + momentum·batch); in eval, normalise with the running stats.
 * y = γ·(x − μ)/√(σ² + eps) + β.
 */
import { Tensor, expect2d } from '../tensor/tensor.js';
import { Module, Parameter, ensureBuffer, type Buffer } from './module.js';

export interface BatchNorm1dOptions {
  eps?: number;
  momentum?: number;
  /** Learn γ and β; default true. */
  affine?: boolean;
}

export class BatchNorm1d extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  private xhat: Tensor | null = null;
  private invStd = new Float64Array(0);
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private usedBatchStats = true;

  constructor(
    readonly features: number,
    options: BatchNorm1dOptions = {},
  ) {
    super();
    if (!Number.isInteger(features) || features < 1) throw new RangeError(`BatchNorm1d: expected a positive integer feature count, got ${features}`);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new RangeError(`BatchNorm1d: expected eps > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`BatchNorm1d: expected 0 ≤ momentum ≤ 1, got ${this.momentum}`);
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter('weight', Tensor.full([features], 1)) : null;
    this.bias = affine ? new Parameter('bias', Tensor.zeros([features])) : null;
    this.runningMean = Tensor.zeros([features]);
    this.runningVar = Tensor.full([features], 1);
  }

  forward(x: Tensor): Tensor {
    expect2d('BatchNorm1d.forward', x, this.features);
    const n = x.rows;
    const f = this.features;
    if (this.training && n < 2) throw new RangeError(`BatchNorm1d.forward: expected at least 2 samples in training mode, got ${n}`);
    const y = (this.y = ensureBuffer(this.y, x.shape));
    const xhat = (this.xhat = ensureBuffer(this.xhat, x.shape));
    if (this.invStd.length !== f) this.invStd = new Float64Array(f);
    const xd = x.data;
    this.usedBatchStats = this.training;
    for (let c = 0; c < f; c++) {
      let mean: number;
      let variance: number;
      if (this.training) {
        let s = 0;
        for (let r = 0; r < n; r++) s += xd[r * f + c];
        mean = s / n;
        let v = 0;
        for (let r = 0; r < n; r++) {
          const d = xd[r * f + c] - mean;
          v += d * d;
        }
        variance = v / n;
        this.runningMean.data[c] = (1 - this.momentum) * this.runningMean.data[c] + this.momentum * mean;
        this.runningVar.data[c] = (1 - this.momentum) * this.runningVar.data[c] + this.momentum * (v / (n - 1));
      } else {
        mean = this.runningMean.data[c];
        variance = this.runningVar.data[c];
      }
      const inv = 1 / Math.sqrt(variance + this.eps);
      this.invStd[c] = inv;
      const g = this.weight === null ? 1 : this.weight.value.data[c];
      const b = this.bias === null ? 0 : this.bias.value.data[c];
      for (let r = 0; r < n; r++) {
        const h = (xd[r * f + c] - mean) * inv;
        xhat.data[r * f + c] = h;
        y.data[r * f + c] = g * h + b;
      }
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const xhat = this.xhat;
    if (xhat === null) throw new Error('BatchNorm1d.backward: called before forward');
    if (dy.size !== xhat.size)
      throw new RangeError(`BatchNorm1d.backward: expected a gradient of shape [${xhat.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    const n = xhat.rows;
    const f = this.features;
    const dx = (this.dx = ensureBuffer(this.dx, xhat.shape));
    const g = dy.data;
    const gGamma = this.weight?.grad.data ?? null;
    const gBeta = this.bias?.grad.data ?? null;
    for (let c = 0; c < f; c++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let r = 0; r < n; r++) {
        sumDy += g[r * f + c];
        sumDyXhat += g[r * f + c] * xhat.data[r * f + c];
      }
      // dγ = Σ dy·x̂, dβ = Σ dy
      if (gGamma !== null) gGamma[c] += sumDyXhat;
      if (gBeta !== null) gBeta[c] += sumDy;
      const gamma = this.weight === null ? 1 : this.weight.value.data[c];
      const k = gamma * this.invStd[c];
      if (this.usedBatchStats) {
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
        const mDy = sumDy / n;
        const mDyX = sumDyXhat / n;
        for (let r = 0; r < n; r++) dx.data[r * f + c] = k * (g[r * f + c] - mDy - xhat.data[r * f + c] * mDyX);
      } else {
        for (let r = 0; r < n; r++) dx.data[r * f + c] = k * g[r * f + c];
      }
    }
    return dx;
  }

  parameters(): Parameter[] {
    return this.weight === null || this.bias === null ? [] : [this.weight, this.bias];
  }

  buffers(): Buffer[] {
    return [
      { name: 'running_mean', value: this.runningMean },
      { name: 'running_var', value: this.runningVar },
    ];
  }

  toString(): string {
    return `BatchNorm1d(${this.features})`;
  }
}
