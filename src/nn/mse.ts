import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/** Mean squared error, mean over every element: L = Σ(ŷ−y)²/N, ∂L/∂ŷ = 2(ŷ−y)/N. */
export class MSELoss extends Loss {
  private grad: Tensor | null = null;
  private p: Tensor | null = null;
  private t: Tensor | null = null;

  forward(prediction: Tensor, target: Target): number {
    const t = sameShape('MSELoss.forward', prediction, target);
    this.p = prediction;
    this.t = t;
    return backend().mse(prediction.data, t.data, null, prediction.size, 1);
  }

  /** forward and backward in one pass (the training loop's fast path). */
  forwardBackward(prediction: Tensor, target: Target): { loss: number; grad: Tensor } {
    const t = sameShape('MSELoss.forwardBackward', prediction, target);
    const g = (this.grad = ensureBuffer(this.grad, prediction.shape));
    const loss = backend().mse(prediction.data, t.data, g.data, prediction.size, 1);
    this.p = null;
    return { loss, grad: g };
  }

  backward(): Tensor {
    if (this.p === null || this.t === null) {
      if (this.grad !== null) return this.grad;
      throw new Error('MSELoss.backward: called before forward');
    }
    const g = (this.grad = ensureBuffer(this.grad, this.p.shape));
    backend().mse(this.p.data, this.t.data, g.data, this.p.size, 1);
    return g;
  }
}
