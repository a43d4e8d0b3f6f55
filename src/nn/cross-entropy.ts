import { backend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { ensureBuffer } from './module.js';
import { Loss, sameShape, type Target } from './loss.js';

/**
 * Cross-entropy on logits with the softmax fused in (stable): L = −mean_i Σ_c y_ic·log softmax(z_i)_c,
 * targets as class indices or as one-hot / probability rows; ∂L/∂z = (softmax(z) − y)/B.
 */
export class CrossEntropyLoss extends Loss {
  private probs: Tensor | null = null;
  private grad: Tensor | null = null;
  private target: Target | null = null;

  forward(logits: Tensor, target: Target): number {
    if (logits.rank !== 2) throw new RangeError(`CrossEntropyLoss.forward: expected 2-D logits (batch × classes), got shape [${logits.shape.join(', ')}]`);
    const rows = logits.rows;
    const cols = logits.cols;
    if (target instanceof Int32Array) {
      if (target.length !== rows) throw new RangeError(`CrossEntropyLoss.forward: expected ${rows} class indices, got ${target.length}`);
      for (let r = 0; r < rows; r++) {
        if (!(target[r] >= 0 && target[r] < cols))
          throw new RangeError(`CrossEntropyLoss.forward: expected class indices in [0, ${cols}), got ${target[r]} at row ${r}`);
      }
    } else {
      sameShape('CrossEntropyLoss.forward', logits, target);
    }
    const probs = (this.probs = ensureBuffer(this.probs, logits.shape));
    backend().softmax(logits.data, probs.data, rows, cols);
    this.target = target;
    let s = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      // log softmax recomputed in float64 from the logits for accuracy
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, logits.data[o + c]);
      let se = 0;
      for (let c = 0; c < cols; c++) se += Math.exp(logits.data[o + c] - max);
      const lse = max + Math.log(se);
      if (target instanceof Int32Array) s += lse - logits.data[o + target[r]];
      else for (let c = 0; c < cols; c++) s -= target.data[o + c] * (logits.data[o + c] - lse);
    }
    return s / rows;
  }

  backward(): Tensor {
    const probs = this.probs;
    const target = this.target;
    if (probs === null || target === null) throw new Error('CrossEntropyLoss.backward: called before forward');
    const rows = probs.rows;
    const cols = probs.cols;
    const g = (this.grad = ensureBuffer(this.grad, probs.shape));
    const inv = 1 / rows;
    if (target instanceof Int32Array) {
      for (let i = 0; i < probs.size; i++) g.data[i] = probs.data[i] * inv;
      for (let r = 0; r < rows; r++) g.data[r * cols + target[r]] -= inv;
    } else {
      // Σ_c y_c may differ from 1 for soft targets: ∂L/∂z_c = (p_c·Σy − y_c)/B
      for (let r = 0; r < rows; r++) {
        let sy = 0;
        for (let c = 0; c < cols; c++) sy += target.data[r * cols + c];
        for (let c = 0; c < cols; c++) g.data[r * cols + c] = (probs.data[r * cols + c] * sy - target.data[r * cols + c]) * inv;
      }
    }
    return g;
  }

  /** Softmax probabilities of the last forward (a loss-owned buffer). */
  probabilities(): Tensor {
    if (this.probs === null) throw new Error('CrossEntropyLoss.probabilities: called before forward');
    return this.probs;
  }
}
