/** Row-wise softmax yᵢⱼ = e^xᵢⱼ / Σₖ e^xᵢₖ. For classification prefer CrossEntropyLoss on logits. */
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { Module, ensureBuffer } from './module.js';

export class Softmax extends Module {
  private y: Tensor | null = null;
  private dx: Tensor | null = null;

  forward(x: Tensor): Tensor {
    expect2d('Softmax.forward', x);
    const y = (this.y = ensureBuffer(this.y, x.shape));
    backend().softmax(x.data, y.data, x.rows, x.cols);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const y = this.y;
    if (y === null) throw new Error('Softmax.backward: called before forward');
    if (dy.size !== y.size) throw new RangeError(`Softmax.backward: expected a gradient of shape [${y.shape.join(', ')}], got [${dy.shape.join(', ')}]`);
    const dx = (this.dx = ensureBuffer(this.dx, y.shape));
    const rows = y.rows;
    const cols = y.cols;
    const yd = y.data;
    const g = dy.data;
    // dx = y ⊙ (dy − Σⱼ dyⱼ·yⱼ)
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += g[o + c] * yd[o + c];
      for (let c = 0; c < cols; c++) dx.data[o + c] = yd[o + c] * (g[o + c] - dot);
    }
    return dx;
  }
}
