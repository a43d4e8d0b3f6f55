/**
 * Flatten and Unflatten, as PyTorch's `nn.Flatten(start_dim=1, end_dim=-1)` and
 * `nn.Unflatten(dim, sizes)`. Both are views: the output shares the input's memory (our tensors
 * are always contiguous, so no copy is ever needed), and backward is the gradient reshaped back.
 * Negative dimensions count from the end, as in PyTorch.
 */
import { Tensor, type Shape } from '../tensor/tensor.js';
import { Module } from './module.js';

function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Normalises a possibly negative dim for a rank, or throws naming the layer. */
function normDim(layer: string, what: string, dim: number, rank: number): number {
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) throw new RangeError(`${layer}: ${what} ${dim} is out of range for an input of rank ${rank} (expected ${-rank} … ${rank - 1})`);
  return d;
}

/** A view module: forward reshapes, backward reshapes the gradient to the input's shape. */
abstract class View extends Module {
  private inShape: Shape | null = null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private dy: Tensor | null = null;
  private dx: Tensor | null = null;

  protected abstract viewShape(input: Shape): Shape;

  outputShape(input: Shape): Shape {
    return this.viewShape(input);
  }

  forward(x: Tensor): Tensor {
    // The same input tensor gives the same view object (no allocation per step).
    if (x !== this.x || this.y === null) {
      this.y = x.reshape(this.viewShape(x.shape));
      this.x = x;
    }
    this.inShape = x.shape;
    return this.y;
  }

  backward(dy: Tensor): Tensor {
    const inShape = this.inShape;
    const y = this.y;
    if (inShape === null || y === null) throw new Error(`${this.toString()}.backward: called before forward`);
    if (dy.rank !== y.rank || dy.shape.some((d, i) => d !== y.shape[i])) {
      throw new RangeError(`${this.toString()}.backward: expected a gradient of shape ${shapeStr(y.shape)}, got ${shapeStr(dy.shape)}`);
    }
    if (dy !== this.dy || this.dx === null) {
      this.dx = dy.reshape(inShape);
      this.dy = dy;
    }
    return this.dx;
  }
}

/** Merges dimensions startDim … endDim (inclusive) into one; default everything but the batch. */
export class Flatten extends View {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    for (const [what, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!Number.isInteger(v)) throw new RangeError(`Flatten: expected ${what} to be an integer, got ${v}`);
    }
    if (startDim >= 0 && endDim >= 0 && startDim > endDim) {
      throw new RangeError(`Flatten: expected startDim ≤ endDim, got startDim ${startDim} and endDim ${endDim}`);
    }
  }

  protected viewShape(input: Shape): Shape {
    // PyTorch treats a 0-d tensor as 1-d here.
    const rank = Math.max(1, input.length);
    const shape = input.length === 0 ? [1] : input;
    const s = normDim(this.toString(), 'startDim', this.startDim, rank);
    const e = normDim(this.toString(), 'endDim', this.endDim, rank);
    if (s > e) throw new RangeError(`${this.toString()}: startDim ${this.startDim} comes after endDim ${this.endDim} for input ${shapeStr(input)}`);
    let merged = 1;
    for (let i = s; i <= e; i++) merged *= shape[i];
    return [...shape.slice(0, s), merged, ...shape.slice(e + 1)];
  }

  toString(): string {
    return this.startDim === 1 && this.endDim === -1 ? 'Flatten' : `Flatten(${this.startDim}, ${this.endDim})`;
  }
}

/** Splits dimension `dim` into `sizes` (one entry may be −1, inferred). */
export class Unflatten extends View {
  readonly sizes: readonly number[];

  constructor(
    readonly dim: number,
    sizes: readonly number[],
  ) {
    super();
    if (!Number.isInteger(dim)) throw new RangeError(`Unflatten: expected dim to be an integer, got ${dim}`);
    const list: unknown = sizes;
    if (!Array.isArray(list) || sizes.length === 0 || !sizes.every((v) => Number.isInteger(v) && (v >= 1 || v === -1))) {
      throw new RangeError(`Unflatten: expected sizes to be a non-empty list of positive integers (one may be -1), got ${JSON.stringify(sizes)}`);
    }
    if (sizes.filter((v) => v === -1).length > 1) throw new RangeError(`Unflatten: expected at most one -1 in sizes, got ${JSON.stringify(sizes)}`);
    this.sizes = Object.freeze([...sizes]);
  }

  protected viewShape(input: Shape): Shape {
    const d = normDim(this.toString(), 'dim', this.dim, input.length);
    const known = this.sizes.reduce((a, v) => (v === -1 ? a : a * v), 1);
    const n = input[d];
    const sizes = this.sizes.map((v) => (v === -1 ? n / known : v));
    if (!sizes.every((v) => Number.isInteger(v)) || sizes.reduce((a, v) => a * v, 1) !== n) {
      throw new RangeError(`${this.toString()}: cannot split dimension ${this.dim} of size ${n} (input ${shapeStr(input)}) into ${shapeStr(this.sizes)}`);
    }
    return [...input.slice(0, d), ...sizes, ...input.slice(d + 1)];
  }

  toString(): string {
    return `Unflatten(${this.dim}, ${shapeStr(this.sizes)})`;
  }
}
