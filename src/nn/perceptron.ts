/**
 * Rosenblatt's perceptron (1958) as the deep-learning course teaches it: one artificial neuron
 * whose output is a step of the weighted sum of its inputs,
 *
 *   f(x) = 1 if Σᵢ wᵢxᵢ + b > 0, else 0,
 *
 * the bias b being the weight of a constant input 1 (the course's threshold θ is −b), trained
 * sample by sample with the course's rule
 *
 *   wᵢ ← wᵢ + α·(y − f(x))·xᵢ,   b ← b + α·(y − f(x))·1,
 *
 * which changes nothing when the output is right (y − f(x) = 0). An epoch is one pass over the
 * rows (in a fresh seeded order when shuffled); training stops after the first epoch without a
 * mistake (converged) or after `maxEpochs`. On linearly separable data it always converges
 * (Novikoff's theorem); on data no line separates (XOR) it never does.
 *
 * Not a `Module`: no gradient flows through a step, and the rule needs no backward pass. Weights
 * are float64 so that hand-computed cases are exact.
 */
import type { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export interface PerceptronOptions {
  /** Initial weights (default zeros, the classic start). */
  weights?: ArrayLike<number>;
  /** Initial bias (default 0). */
  bias?: number;
}

export class Perceptron {
  readonly weights: Float64Array;
  bias: number;

  constructor(
    readonly features: number,
    options: PerceptronOptions = {},
  ) {
    if (!Number.isInteger(features) || features < 1) throw new RangeError(`Perceptron: expected a positive integer feature count, got ${features}`);
    this.weights = new Float64Array(features);
    if (options.weights !== undefined) {
      if (options.weights.length !== features) throw new RangeError(`Perceptron: expected ${features} initial weights, got ${options.weights.length}`);
      for (let i = 0; i < features; i++) {
        const w = options.weights[i];
        if (!Number.isFinite(w)) throw new RangeError(`Perceptron: expected finite initial weights, got ${w} at index ${i}`);
        this.weights[i] = w;
      }
    }
    this.bias = options.bias ?? 0;
    if (!Number.isFinite(this.bias)) throw new RangeError(`Perceptron: expected a finite initial bias, got ${this.bias}`);
  }

  /** Σᵢ wᵢxᵢ + b of row `r` of the n × d values `x`. */
  score(x: ArrayLike<number>, r = 0): number {
    const d = this.features;
    let s = this.bias;
    for (let i = 0; i < d; i++) s += this.weights[i] * x[r * d + i];
    return s;
  }

  /** f(x) = step(w·x + b) of row `r`: 1 when the score is > 0, else 0. */
  output(x: ArrayLike<number>, r = 0): 0 | 1 {
    return this.score(x, r) > 0 ? 1 : 0;
  }

  /** The output (0 or 1) of every row of `x` (n × features). */
  predict(x: Tensor): Int32Array {
    expect2d('Perceptron.predict', x, this.features);
    const out = new Int32Array(x.rows);
    for (let r = 0; r < x.rows; r++) out[r] = this.output(x.data, r);
    return out;
  }

  /** One application of the rule to row `r` with target `y` (0 or 1); returns y − f(x) (0: nothing changed). */
  update(x: ArrayLike<number>, r: number, y: number, lr: number): number {
    const error = y - this.output(x, r);
    if (error === 0) return 0;
    const d = this.features;
    // wᵢ ← wᵢ + α(y − f(x))xᵢ
    for (let i = 0; i < d; i++) this.weights[i] += lr * error * x[r * d + i];
    // b ← b + α(y − f(x))·1
    this.bias += lr * error;
    return error;
  }

  toString(): string {
    return `Perceptron(${this.features} → 1, step)`;
  }
}

export interface PerceptronFitOptions {
  /** Learning rate α (default 1: with integer inputs and zero initial weights every weight stays an integer). */
  lr?: number;
  /** Epochs at most (default 100). */
  maxEpochs?: number;
  /** Visit the rows in a fresh order each epoch (default true; needs `rng`). */
  shuffle?: boolean;
  /** Seeded generator of the epochs' orders. */
  rng?: Rng;
}

/** One row seen: its target, the output before the rule, and whether the weights changed. */
export interface PerceptronStepEvent {
  readonly type: 'step';
  readonly epoch: number;
  /** The row of `x`. */
  readonly row: number;
  readonly target: number;
  readonly output: 0 | 1;
  /** y − f(x): −1, 0 or 1. */
  readonly error: number;
}

/** One epoch done: how many rows it got wrong (each one an update), and the weights after it. */
export interface PerceptronEpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly mistakes: number;
  readonly weights: readonly number[];
  readonly bias: number;
}

export type PerceptronEvent = PerceptronStepEvent | PerceptronEpochEvent;

/** How training ended. */
export interface PerceptronResult {
  /** True when the last epoch made no mistake: every training row is classified right. */
  readonly converged: boolean;
  /** Epochs run, the mistake-free last one included when converged. */
  readonly epochs: number;
  /** Updates made in all (mistakes over every epoch). */
  readonly updates: number;
  /** Mistakes per epoch. */
  readonly mistakes: readonly number[];
}

function checkData(fn: string, p: Perceptron, x: Tensor, y: ArrayLike<number>): void {
  expect2d(fn, x, p.features);
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one row, got 0`);
  if (y.length !== x.rows) throw new RangeError(`${fn}: expected ${x.rows} labels (one per row), got ${y.length}`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`${fn}: expected labels 0 or 1, got ${y[i]} at row ${i}`);
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new RangeError(`${fn}: expected finite inputs, got ${x.data[i]} at row ${Math.floor(i / p.features)}`);
  }
}

/**
 * Trains `p` in place with the perceptron rule, one event per row seen and one per epoch; returns
 * how it ended. The same seed gives the same orders, so the same weights.
 */
export function* perceptronSteps(p: Perceptron, x: Tensor, y: ArrayLike<number>, o: PerceptronFitOptions = {}): Generator<PerceptronEvent, PerceptronResult> {
  const fn = 'perceptronSteps';
  checkData(fn, p, x, y);
  const lr = o.lr ?? 1;
  if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`${fn}: expected a learning rate lr > 0, got ${lr}`);
  const maxEpochs = o.maxEpochs ?? 100;
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new RangeError(`${fn}: expected maxEpochs to be a positive integer, got ${maxEpochs}`);
  const shuffle = o.shuffle ?? true;
  if (shuffle && o.rng === undefined) throw new RangeError(`${fn}: shuffle needs a seeded rng; pass rng, or shuffle: false`);
  const n = x.rows;
  const sequential = Int32Array.from({ length: n }, (_, i) => i);
  const mistakes: number[] = [];
  let updates = 0;
  for (let epoch = 0; epoch < maxEpochs; epoch++) {
    const order = shuffle && o.rng !== undefined ? o.rng.permutation(n) : sequential;
    let wrong = 0;
    for (const row of order) {
      const output = p.output(x.data, row);
      const error = p.update(x.data, row, y[row], lr);
      if (error !== 0) wrong++;
      yield { type: 'step', epoch, row, target: y[row], output, error };
    }
    mistakes.push(wrong);
    updates += wrong;
    yield { type: 'epoch', epoch, mistakes: wrong, weights: [...p.weights], bias: p.bias };
    if (wrong === 0) return { converged: true, epochs: epoch + 1, updates, mistakes };
  }
  return { converged: false, epochs: maxEpochs, updates, mistakes };
}

/** Runs perceptronSteps to its end; `onEvent` sees every event. */
export function fitPerceptron(
  p: Perceptron,
  x: Tensor,
  y: ArrayLike<number>,
  o: PerceptronFitOptions = {},
  onEvent?: (e: PerceptronEvent) => void,
): PerceptronResult {
  const it = perceptronSteps(p, x, y, o);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
    onEvent?.(r.value);
  }
}
