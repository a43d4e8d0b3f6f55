import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/**
 * Binary cross-entropy on probabilities, mean over elements, as PyTorch: log terms clamped at
 * −100; ∂L/∂p = (p−y)/max(p(1−p), 1e−12)/N.
 */
export class BCELoss extends Loss {
  private grad: Tensor | null = null;
  private p: Tensor | null = null;
  private t: Tensor | null = null;

  forward(prediction: Tensor, target: Target): number {
    const t = sameShape('BCELoss.forward', prediction, target);
    const p = prediction.data;
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      const yi = t.data[i];
      if (!(pi >= 0 && pi <= 1)) throw new RangeError(`BCELoss.forward: expected probabilities in [0, 1], got ${pi} at index ${i}`);
      const lp = Math.max(Math.log(pi), -100);
      const l1p = Math.max(Math.log(1 - pi), -100);
      s -= yi * lp + (1 - yi) * l1p;
    }
    this.p = prediction;
    this.t = t;
    return s / p.length;
  }

  backward(): Tensor {
    if (this.p === null || this.t === null) throw new Error('BCELoss.backward: called before forward');
    const g = (this.grad = ensureBuffer(this.grad, this.p.shape));
    const n = this.p.size;
    const p = this.p.data;
    const y = this.t.data;
    for (let i = 0; i < n; i++) g.data[i] = (p[i] - y[i]) / Math.max(p[i] * (1 - p[i]), 1e-12) / n;
    return g;
  }
}
