/**
 * BatchNorm2d over NCHW inputs, as PyTorch's `nn.BatchNorm2d`: per-channel statistics over the
 * N·H·W values of each channel. In training, normalise with the batch mean and *biased* variance
 * and update the running stats with the *unbiased* variance (r ← (1−momentum)·r + momentum·batch);
 * in eval, normalise with the running stats. y = γ·(x − μ)/√(σ² + eps) + β.
 *
 * Conventions follow BatchNorm1d: parameters `weight`/`bias`, buffers `running_mean`/`running_var`
 * (PyTorch's state_dict names); `num_batches_tracked` is not kept (it only matters when momentum
 * is None, which is not supported). With `trackRunningStats: false` there are no running buffers
 * and the batch statistics are used in eval mode too, as PyTorch.
 *
 * The statistics are accumulated in float64 in one pass, shifted by the channel's first value
 * (Σ(x−K), Σ(x−K)²), which keeps the variance accurate for offset data. The forward output is
 * x·scale + shift per channel; backward recomputes x̂ from the input instead of storing it.
 */
import { Tensor, type Shape } from '../tensor/tensor.js';
import { Module, Parameter, ensureBuffer, type Buffer } from './module.js';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  /** Learn γ and β; default true. */
  affine?: boolean;
  /** Keep running_mean / running_var and use them in eval; default true. */
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  /** Null when trackRunningStats is false. */
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  private usedBatchStats = true;

  constructor(
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new RangeError(`BatchNorm2d: expected a positive integer channel count, got ${numFeatures}`);
    }
    const name = `BatchNorm2d(${numFeatures})`;
    if ((options.momentum as unknown) === null) {
      throw new RangeError(`${name}: expected 0 ≤ momentum ≤ 1, got null (PyTorch's cumulative average, momentum=None, is not supported)`);
    }
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(typeof this.eps === 'number' && this.eps > 0 && Number.isFinite(this.eps))) throw new RangeError(`${name}: expected eps > 0, got ${this.eps}`);
    if (!(typeof this.momentum === 'number' && this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`${name}: expected 0 ≤ momentum ≤ 1, got ${this.momentum}`);
    }
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    if (typeof affine !== 'boolean') throw new RangeError(`${name}: expected affine to be a boolean, got ${JSON.stringify(affine)}`);
    if (typeof track !== 'boolean') throw new RangeError(`${name}: expected trackRunningStats to be a boolean, got ${JSON.stringify(track)}`);
    this.weight = affine ? new Parameter('weight', Tensor.full([numFeatures], 1)) : null;
    this.bias = affine ? new Parameter('bias', Tensor.zeros([numFeatures])) : null;
    this.runningMean = track ? Tensor.zeros([numFeatures]) : null;
    this.runningVar = track ? Tensor.full([numFeatures], 1) : null;
    this.mean = new Float64Array(numFeatures);
    this.invStd = new Float64Array(numFeatures);
  }

  get trackRunningStats(): boolean {
    return this.runningMean !== null;
  }

  private checkInput(fn: string, x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.toString()}${fn}: expected input [N, ${this.numFeatures}, H, W], got [${x.shape.join(', ')}]`);
    }
  }

  forward(x: Tensor): Tensor {
    this.checkInput('', x);
    const [n, ch, h, w] = x.shape;
    const hw = h * w;
    const m = n * hw;
    const useBatch = this.training || this.runningMean === null;
    if (useBatch && m < 2) {
      throw new RangeError(`${this.toString()}: expected more than 1 value per channel when using batch statistics, got input [${x.shape.join(', ')}]`);
    }
    const y = (this.y = ensureBuffer(this.y === x ? null : this.y, x.shape));
    this.x = x;
    this.usedBatchStats = useBatch;
    const xd = x.data;
    const yd = y.data;
    const rm = this.runningMean?.data ?? null;
    const rv = this.runningVar?.data ?? null;
    const stride = ch * hw;
    for (let c = 0; c < ch; c++) {
      let mean: number;
      let variance: number;
      if (useBatch) {
        const k = m > 0 ? xd[c * hw] : 0;
        // two partial sums each, to break the add-latency chains
        let s1 = 0;
        let s2 = 0;
        let t1 = 0;
        let t2 = 0;
        for (let b = 0, base = c * hw; b < n; b++, base += stride) {
          const end = base + hw;
          let i = base;
          for (; i + 1 < end; i += 2) {
            const v = xd[i] - k;
            const u = xd[i + 1] - k;
            s1 += v;
            s2 += v * v;
            t1 += u;
            t2 += u * u;
          }
          if (i < end) {
            const v = xd[i] - k;
            s1 += v;
            s2 += v * v;
          }
        }
        s1 += t1;
        s2 += t2;
        const d = s1 / m;
        mean = k + d;
        variance = Math.max(0, s2 / m - d * d);
        if (this.training && rm !== null && rv !== null) {
          rm[c] = (1 - this.momentum) * rm[c] + this.momentum * mean;
          rv[c] = (1 - this.momentum) * rv[c] + (this.momentum * (variance * m)) / (m - 1);
        }
      } else {
        mean = rm![c];
        variance = rv![c];
      }
      const inv = 1 / Math.sqrt(variance + this.eps);
      this.mean[c] = mean;
      this.invStd[c] = inv;
      const g = this.weight === null ? 1 : this.weight.value.data[c];
      const scale = g * inv;
      const shift = (this.bias === null ? 0 : this.bias.value.data[c]) - mean * scale;
      for (let b = 0, base = c * hw; b < n; b++, base += stride) {
        for (let i = base, end = base + hw; i < end; i++) yd[i] = xd[i] * scale + shift;
      }
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.x;
    if (x === null) throw new Error(`${this.toString()}.backward: called before forward`);
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== x.shape[i])) {
      throw new RangeError(`${this.toString()}.backward: expected a gradient of shape [${x.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    const [n, ch, h, w] = x.shape;
    const hw = h * w;
    const m = n * hw;
    const stride = ch * hw;
    const dx = (this.dx = ensureBuffer(this.dx === dy ? null : this.dx, x.shape));
    const xd = x.data;
    const g = dy.data;
    const dxd = dx.data;
    const gGamma = this.weight?.grad.data ?? null;
    const gBeta = this.bias?.grad.data ?? null;
    for (let c = 0; c < ch; c++) {
      const mean = this.mean[c];
      const inv = this.invStd[c];
      // Σ dy and Σ dy·(x − μ); Σ dy·x̂ = inv · the latter.
      let sumDy = 0;
      let sumDyXc = 0;
      let s1 = 0;
      let s2 = 0;
      for (let b = 0, base = c * hw; b < n; b++, base += stride) {
        const end = base + hw;
        let i = base;
        for (; i + 1 < end; i += 2) {
          const d = g[i];
          const e = g[i + 1];
          sumDy += d;
          sumDyXc += d * (xd[i] - mean);
          s1 += e;
          s2 += e * (xd[i + 1] - mean);
        }
        if (i < end) {
          const d = g[i];
          sumDy += d;
          sumDyXc += d * (xd[i] - mean);
        }
      }
      sumDy += s1;
      sumDyXc += s2;
      const sumDyXhat = sumDyXc * inv;
      // dγ = Σ dy·x̂, dβ = Σ dy
      if (gGamma !== null) gGamma[c] += sumDyXhat;
      if (gBeta !== null) gBeta[c] += sumDy;
      const k = (this.weight === null ? 1 : this.weight.value.data[c]) * inv;
      if (this.usedBatchStats) {
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)) = a·dy + b·x + c0 per channel
        const a = k;
        const bx = (-k * inv * sumDyXhat) / m;
        const c0 = (-k * sumDy) / m - bx * mean;
        for (let b = 0, base = c * hw; b < n; b++, base += stride) {
          for (let i = base, end = base + hw; i < end; i++) dxd[i] = a * g[i] + bx * xd[i] + c0;
        }
      } else {
        for (let b = 0, base = c * hw; b < n; b++, base += stride) {
          for (let i = base, end = base + hw; i < end; i++) dxd[i] = k * g[i];
        }
      }
    }
    return dx;
  }

  parameters(): Parameter[] {
    return this.weight === null || this.bias === null ? [] : [this.weight, this.bias];
  }

  buffers(): Buffer[] {
    if (this.runningMean === null || this.runningVar === null) return [];
    return [
      { name: 'running_mean', value: this.runningMean },
      { name: 'running_var', value: this.runningVar },
    ];
  }

  outputShape(input: Shape): Shape {
    return input;
  }

  toString(): string {
    return `BatchNorm2d(${this.numFeatures})`;
  }
}
