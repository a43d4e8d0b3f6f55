import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/**
 * Binary cross-entropy on probabilities, mean over elements, as PyTorch: log terms clamped at
 * −100; ∂L/∂p = (p−y)/max(p(1−p), 1e−12)/N.
 */
export class BCELoss extends Loss {
  private grad: Tensor | null = null;
  private ready = false;

  forward(prediction: Tensor, target: Target): number {
    const t = sameShape('BCELoss.forward', prediction, target);
    const p = prediction.data;
    // ∂L/∂p comes with the loss from the backend's kernel (its logs were most of the cost in js)
    const g = (this.grad = ensureBuffer(this.grad, prediction.shape));
    const s = backend().bce(p, t.data, 1, p.length, null, g.data, 1 / p.length);
    if (Number.isNaN(s)) {
      for (let i = 0; i < p.length; i++)
        if (!(p[i] >= 0 && p[i] <= 1)) throw new RangeError(`BCELoss.forward: expected probabilities in [0, 1], got ${p[i]} at index ${i}`);
      for (let i = 0; i < p.length; i++)
        if (!(t.data[i] >= 0 && t.data[i] <= 1)) throw new RangeError(`BCELoss.forward: expected targets in [0, 1], got ${t.data[i]} at index ${i}`);
      throw new Error('internal: BCELoss.forward: the bce kernel refused values all in [0, 1]');
    }
    this.ready = true;
    return s / p.length;
  }

  backward(): Tensor {
    if (!this.ready || this.grad === null) throw new Error('BCELoss.backward: called before forward');
    return this.grad;
  }
}
