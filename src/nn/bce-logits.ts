import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/**
 * Binary cross-entropy on logits with the sigmoid fused in, mean over elements, as PyTorch's
 * `BCEWithLogitsLoss`: ℓ(z, y) = −y·log σ(z) − (1−y)·log(1−σ(z)), computed in the stable form
 * ℓ = max(z, 0) − z·y + log(1 + e^(−|z|)) (no overflow, no log 0, however large |z|);
 * ∂L/∂z = (σ(z) − y)/N.
 */
export class BCEWithLogitsLoss extends Loss {
  private grad: Tensor | null = null;
  private z: Tensor | null = null;
  private t: Tensor | null = null;

  forward(logits: Tensor, target: Target): number {
    const t = sameShape('BCEWithLogitsLoss.forward', logits, target);
    const z = logits.data;
    let s = 0;
    for (let i = 0; i < z.length; i++) {
      const zi = z[i];
      if (!Number.isFinite(zi)) throw new RangeError(`BCEWithLogitsLoss.forward: expected finite logits, got ${zi} at index ${i}`);
      // ℓ = max(z, 0) − z·y + log(1 + e^(−|z|)), in float64
      s += Math.max(zi, 0) - zi * t.data[i] + Math.log1p(Math.exp(-Math.abs(zi)));
    }
    this.z = logits;
    this.t = t;
    return s / z.length;
  }

  backward(): Tensor {
    if (this.z === null || this.t === null) throw new Error('BCEWithLogitsLoss.backward: called before forward');
    const g = (this.grad = ensureBuffer(this.grad, this.z.shape));
    const n = this.z.size;
    const z = this.z.data;
    const y = this.t.data;
    // ∂L/∂z = (σ(z) − y)/N
    for (let i = 0; i < n; i++) g.data[i] = (stableSigmoid(z[i]) - y[i]) / n;
    return g;
  }
}

/** σ(z) = 1/(1 + e^(−z)), written so that neither branch overflows. */
export function stableSigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
