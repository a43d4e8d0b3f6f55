/**
 * Losses (seed 003's Loss): `forward(prediction, target)` returns the scalar loss and caches what
 * `backward()` needs; `backward()` returns ∂loss/∂prediction (a loss-owned buffer).
 */
import { Tensor } from '../tensor/tensor.js';

/** Class indices (one per row) or a tensor of the prediction's shape. */
export type Target = Tensor | Int32Array;

export abstract class Loss {
  abstract forward(prediction: Tensor, target: Target): number;
  abstract backward(): Tensor;
}

/** Checks that a target tensor has the prediction's shape. */
export function sameShape(fn: string, p: Tensor, t: Target): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: expected a target tensor of shape [${p.shape.join(', ')}], got class indices`);
  if (t.size !== p.size || t.rows !== p.rows) {
    throw new RangeError(`${fn}: expected a target of shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return t;
}
