import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/**
 * Mean absolute error (MAE), PyTorch's `L1Loss`, mean over every element: L = Σ|ŷ−y|/N,
 * ∂L/∂ŷ = sign(ŷ−y)/N with sign(0) = 0 (the regression loss of the deep-learning course).
 */
export class L1Loss extends Loss {
  private grad: Tensor | null = null;
  private ready = false;

  /** One pass computes the loss and ∂L/∂ŷ, which backward() then returns. */
  forward(prediction: Tensor, target: Target): number {
    const t = sameShape('L1Loss.forward', prediction, target);
    const g = (this.grad = ensureBuffer(this.grad, prediction.shape));
    const p = prediction.data;
    const n = prediction.size;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = p[i] - t.data[i];
      s += Math.abs(d);
      // dL/dŷ = sign(ŷ − y)/N
      g.data[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) / n;
    }
    this.ready = true;
    return s / n;
  }

  backward(): Tensor {
    if (!this.ready || this.grad === null) throw new Error('L1Loss.backward: called before forward');
    return this.grad;
  }
}
