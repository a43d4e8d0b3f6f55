/**
 * The Module contract (seed 003, the from-scratch network library coursework; see
 * docs/references.md): `forward` caches what `backward` needs; `backward` takes the
 * gradient of the loss w.r.t. the output, accumulates parameter gradients and returns the
 * gradient w.r.t. the input.
 *
 * Buffers: the tensors returned by `forward` and `backward` belong to the module and are
 * overwritten by its next call (allocating 2 MB activations every step costs more than the
 * arithmetic in V8). `clone()` a result to keep it.
 */
import { Tensor, type Shape } from '../tensor/tensor.js';

/**
 * A learnable tensor with its gradient (same shape, accumulated by backward). `zeroGrad()` is
 * lazy: the buffer is cleared on first read, and a layer that overwrites it whole
 * (`gradForWrite`) skips the clearing pass entirely — 13 MB per DESOM step.
 */
export class Parameter {
  readonly value: Tensor;
  private readonly g: Tensor;
  private pendingZero = false;

  constructor(
    readonly name: string,
    value: Tensor,
  ) {
    this.value = value;
    this.g = Tensor.zeros(value.shape);
  }

  /** The accumulated gradient. */
  get grad(): Tensor {
    if (this.pendingZero) {
      this.g.data.fill(0);
      this.pendingZero = false;
    }
    return this.g;
  }

  /** Sets the gradient to zero (lazily). */
  zeroGrad(): void {
    this.pendingZero = true;
  }

  /**
   * For kernels that can either overwrite or accumulate: the buffer, and whether its contents are
   * logically zero (then the caller must overwrite every element instead of accumulating).
   */
  gradForWrite(): { data: Float32Array; zero: boolean } {
    const zero = this.pendingZero;
    this.pendingZero = false;
    return { data: this.g.data, zero };
  }

  get size(): number {
    return this.value.size;
  }
}

/** A named non-learnable state tensor (e.g. BatchNorm running statistics). */
export interface Buffer {
  readonly name: string;
  readonly value: Tensor;
}

export abstract class Module {
  /** Training mode (Dropout and BatchNorm behave differently in eval mode). */
  training = true;

  abstract forward(x: Tensor): Tensor;
  abstract backward(dy: Tensor): Tensor;

  /** Learnable parameters, in a stable order (weights before biases, layers in order). */
  parameters(): Parameter[] {
    return [];
  }

  /** Non-learnable state saved with the model. */
  buffers(): Buffer[] {
    return [];
  }

  /** Sub-modules (containers override). */
  children(): Module[] {
    return [];
  }

  train(mode = true): this {
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Parameters keyed like PyTorch's state_dict ("0.weight", "2.bias", …); containers add prefixes. */
  namedParameters(prefix = ''): Map<string, Parameter> {
    return new Map(this.parameters().map((p) => [prefix + p.name, p]));
  }

  /** Buffers keyed like PyTorch's state_dict ("1.running_mean", …). */
  namedBuffers(prefix = ''): Map<string, Tensor> {
    return new Map(this.buffers().map((b) => [prefix + b.name, b.value]));
  }

  /** Total number of learnable scalars. */
  parameterCount(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.size;
    return n;
  }

  /** Output shape for an input shape, for summaries; element-wise modules keep it. */
  outputShape(input: Shape): Shape {
    return input;
  }

  /** A one-line description, e.g. "Linear(784 → 100)". */
  toString(): string {
    return this.constructor.name;
  }
}

/** Grows a module-owned buffer to `shape`, reusing its memory when the size is unchanged. */
export function ensureBuffer(buf: Tensor | null, shape: Shape): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  if (buf !== null && buf.size === size) {
    return buf.shape.length === shape.length && buf.shape.every((d, i) => d === shape[i]) ? buf : buf.reshape(shape);
  }
  return Tensor.zeros(shape);
}
