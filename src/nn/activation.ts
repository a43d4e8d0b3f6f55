/**
 * Element-wise activations as modules. Each caches its output y, from which the derivative is
 * computed: relu' = [y>0], leaky' = y>0 ? 1 : slope, tanh' = 1−y², sigmoid' = y(1−y).
 */
import type { ActivationKind } from '../tensor/backend.js';
import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

export abstract class ElementwiseActivation extends Module {
  abstract readonly kind: ActivationKind;
  /** Negative-side slope (LeakyReLU only). */
  readonly slope: number = 0;
  protected y: Tensor | null = null;
  private dx: Tensor | null = null;

  forward(x: Tensor): Tensor {
    const y = (this.y = ensureBuffer(this.y === x ? null : this.y, x.shape));
    backend().activation(this.kind, x.data, y.data, x.size, this.slope);
    return y;
  }

  /** Adopts an output computed elsewhere (a fused Linear + activation pass) for backward. */
  adoptOutput(y: Tensor): Tensor {
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    const y = this.y;
    if (y === null) throw new Error(`${this.constructor.name}.backward: called before forward`);
    if (dy.size !== y.size) {
      throw new RangeError(`${this.constructor.name}.backward: expected a gradient of shape [${y.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    const dx = (this.dx = ensureBuffer(this.dx, y.shape));
    backend().activationBackward(this.kind, y.data, dy.data, dx.data, y.size, this.slope);
    return dx;
  }
}

/** ReLU(x) = max(0, x). */
export class ReLU extends ElementwiseActivation {
  readonly kind = 'relu' as const;
}

/** LeakyReLU(x) = x for x > 0, slope·x otherwise (slope > 0; default 0.01 as PyTorch). */
export class LeakyReLU extends ElementwiseActivation {
  readonly kind = 'leaky_relu' as const;
  override readonly slope: number;

  constructor(slope = 0.01) {
    super();
    if (!(slope > 0 && Number.isFinite(slope))) {
      throw new RangeError(`LeakyReLU: expected a positive finite slope, got ${slope}`);
    }
    this.slope = slope;
  }

  toString(): string {
    return `LeakyReLU(${this.slope})`;
  }
}

/** Tanh(x). */
export class Tanh extends ElementwiseActivation {
  readonly kind = 'tanh' as const;
}

/** Sigmoid(x) = 1 / (1 + e^(−x)). */
export class Sigmoid extends ElementwiseActivation {
  readonly kind = 'sigmoid' as const;
}

/** Identity(x) = x (a named no-op, e.g. a linear latent layer). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }

  backward(dy: Tensor): Tensor {
    return dy;
  }
}
