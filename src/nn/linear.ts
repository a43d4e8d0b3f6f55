/** Fully connected layer y = x·Wᵀ + b, with W stored out×in like PyTorch's `nn.Linear`. */
import type { Rng } from '../random.js';
import type { ActivationKind } from '../tensor/backend.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { INIT_NAMES, initBias, initWeights, type InitName } from './init.js';
import { Module, Parameter, ensureBuffer } from './module.js';

export interface LinearOptions {
  /** Seeded generator for the initial weights. */
  rng: Rng;
  /** Weight initialisation; default glorot_uniform (Keras/DESOM). */
  init?: InitName;
  /** Learn a bias; default true. */
  bias?: boolean;
  /** Compute the input gradient in backward; false for a network's first layer saves a GEMM. */
  inputGrad?: boolean;
}

function checkSize(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: expected ${what} to be a positive integer, got ${v}`);
}

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly init: InitName;
  inputGrad: boolean;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private dx: Tensor | null = null;
  private noInputGrad: Tensor | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions,
  ) {
    super();
    checkSize('inFeatures', inFeatures);
    checkSize('outFeatures', outFeatures);
    const init = options.init ?? 'glorot_uniform';
    if (!INIT_NAMES.includes(init)) throw new RangeError(`Linear: unknown init ${JSON.stringify(init)}; expected one of ${INIT_NAMES.join(', ')}`);
    this.init = init;
    this.weight = new Parameter('weight', Tensor.zeros([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : new Parameter('bias', Tensor.zeros([outFeatures]));
    this.inputGrad = options.inputGrad ?? true;
    this.resetParameters(options.rng);
  }

  resetParameters(rng: Rng): void {
    initWeights(this.init, this.weight.value.data, this.inFeatures, this.outFeatures, rng);
    if (this.bias !== null) initBias(this.init, this.bias.value.data, this.inFeatures, rng);
  }

  /**
   * y = x·Wᵀ + b. `fused` applies an element-wise activation in the same pass (Sequential uses
   * it for Linear → activation pairs).
   */
  forward(x: Tensor, fused?: { kind: ActivationKind; slope: number }): Tensor {
    expect2d('Linear.forward', x, this.inFeatures);
    const n = x.rows;
    const y = (this.y = ensureBuffer(this.y, [n, this.outFeatures]));
    this.x = x;
    const be = backend();
    be.gemm(false, true, n, this.outFeatures, this.inFeatures, 1, x.data, this.weight.value.data, 0, y.data);
    const kind = fused?.kind ?? 'identity';
    if (this.bias !== null || kind !== 'identity') {
      be.biasActivation(kind, y.data, this.bias?.value.data ?? null, n, this.outFeatures, fused?.slope ?? 0);
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.x;
    if (x === null) throw new Error('Linear.backward: called before forward');
    expect2d('Linear.backward', dy, this.outFeatures, 'output gradient columns');
    const n = x.rows;
    if (dy.rows !== n) throw new RangeError(`Linear.backward: expected ${n} gradient rows (the forward batch), got ${dy.rows}`);
    const be = backend();
    // dW += dyᵀ·x (overwritten when the gradient was just zeroed)
    const gw = this.weight.gradForWrite();
    be.gemm(true, false, this.outFeatures, this.inFeatures, n, 1, dy.data, x.data, gw.zero ? 0 : 1, gw.data);
    // db += Σ_rows dy
    if (this.bias !== null) {
      const gb = this.bias.gradForWrite();
      be.colSum(dy.data, n, this.outFeatures, gb.data, !gb.zero);
    }
    if (!this.inputGrad) return (this.noInputGrad ??= Tensor.zeros([0, this.inFeatures]));
    // dx = dy·W
    const dx = (this.dx = ensureBuffer(this.dx, [n, this.inFeatures]));
    be.gemm(false, false, n, this.inFeatures, this.outFeatures, 1, dy.data, this.weight.value.data, 0, dx.data);
    return dx;
  }

  parameters(): Parameter[] {
    return this.bias === null ? [this.weight] : [this.weight, this.bias];
  }

  outputShape(input: readonly number[]): readonly number[] {
    return [input[0], this.outFeatures];
  }

  toString(): string {
    return `Linear(${this.inFeatures} → ${this.outFeatures}${this.bias === null ? ', no bias' : ''})`;
  }
}
