import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/** Mean squared error, mean over every element: L = Σ(ŷ−y)²/N, ∂L/∂ŷ = 2(ŷ−y)/N. */
export class MSELoss extends Loss {
  private grad: Tensor | null = null;
  private ready = false;

  /** One pass computes the loss and ∂L/∂ŷ, which backward() then returns. */
  forward(prediction: Tensor, target: Target): number {
    const t = sameShape('MSELoss.forward', prediction, target);
    const g = (this.grad = ensureBuffer(this.grad, prediction.shape));
    this.ready = true;
    return backend().mse(prediction.data, t.data, g.data, prediction.size, 1);
  }

  backward(): Tensor {
    if (!this.ready || this.grad === null) throw new Error('MSELoss.backward: called before forward');
    return this.grad;
  }
}
