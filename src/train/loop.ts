/**
 * The minibatch training loop (seed 003's SGD() grown up; see docs/references.md), written as a
 * generator of events so a progress bar, a logger or the explorer's animation consume the same
 * steps. `fit` drives it.
 */
import type { Loss, Target } from '../nn/loss.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { checkSchedule, scheduledLr, type LrSchedule } from '../optim/schedule.js';
import type { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { batchRows, minibatches } from './batches.js';

export interface TrainOptions {
  model: Module;
  loss: Loss;
  optimizer: Optimizer;
  /** Inputs, n × d. */
  x: Tensor;
  /** Targets: class indices (Int32Array of n) or an n × k tensor. */
  y: Target;
  batchSize: number;
  /** Number of passes over the data (give epochs or iterations, not both). */
  epochs?: number;
  /** Number of optimisation steps; the data is reshuffled at each pass. */
  iterations?: number;
  /** Shuffles the minibatch order each pass (default true). */
  shuffle?: boolean;
  /** Seeded generator for the shuffles. */
  rng: Rng;
  /** Learning rate as a function of completed epochs (default constant). */
  schedule?: LrSchedule;
  /** Evaluated at the end of each epoch. */
  validation?: { x: Tensor; y: Target };
  /** Step to start from (resuming); earlier steps are skipped without drawing their batches twice. */
  startStep?: number;
  /**
   * Replaces each minibatch's inputs before the forward pass (e.g. a denoising autoencoder's
   * fresh noise); targets are untouched. Its `rng` is forked per step from a stream forked once
   * from `rng` at the start, so the draws depend only on the start state and the step index and
   * a resumed run sees the same noise. Without a transform the loop draws exactly as before.
   */
  inputTransform?: InputTransform;
}

/** A per-minibatch input transform; must return a tensor of the input's shape. */
export type InputTransform = (x: Tensor, ctx: { readonly step: number; readonly epoch: number; readonly rng: Rng }) => Tensor;

export interface StepEvent {
  readonly type: 'step';
  readonly epoch: number;
  /** Global step index, 0-based. */
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly ms: number;
  /** Steps in the whole run. */
  readonly totalSteps: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly step: number;
  /** Mean training loss over the epoch's steps. */
  readonly loss: number;
  readonly lr: number;
  readonly ms: number;
  readonly validation?: EvalResult;
}

export type TrainEvent = StepEvent | EpochEvent;

export interface EvalResult {
  readonly loss: number;
  /** Share of rows whose argmax matches the class index (class-index targets only). */
  readonly accuracy?: number;
}

function targetRows(y: Target): number {
  return y instanceof Int32Array ? y.length : y.rows;
}

function checkOptions(o: TrainOptions): { steps: number; perEpoch: number } {
  expect2d('train', o.x);
  const n = o.x.rows;
  if (n === 0) throw new RangeError('train: expected at least one training sample, got 0');
  if (targetRows(o.y) !== n) throw new RangeError(`train: expected ${n} targets (one per input row), got ${targetRows(o.y)}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`train: expected batchSize to be a positive integer, got ${o.batchSize}`);
  if ((o.epochs === undefined) === (o.iterations === undefined)) {
    throw new RangeError(`train: expected exactly one of epochs or iterations, got epochs=${o.epochs}, iterations=${o.iterations}`);
  }
  if (o.epochs !== undefined && (!Number.isInteger(o.epochs) || o.epochs < 0))
    throw new RangeError(`train: expected epochs to be a non-negative integer, got ${o.epochs}`);
  if (o.iterations !== undefined && (!Number.isInteger(o.iterations) || o.iterations < 0)) {
    throw new RangeError(`train: expected iterations to be a non-negative integer, got ${o.iterations}`);
  }
  if (o.schedule !== undefined) checkSchedule(o.schedule);
  if (o.validation !== undefined) {
    expect2d('train(validation)', o.validation.x, o.x.cols);
    if (targetRows(o.validation.y) !== o.validation.x.rows) {
      throw new RangeError(`train: expected ${o.validation.x.rows} validation targets, got ${targetRows(o.validation.y)}`);
    }
  }
  const perEpoch = Math.ceil(n / o.batchSize);
  const steps = o.iterations ?? (o.epochs ?? 0) * perEpoch;
  return { steps, perEpoch };
}

/** Yields one event per optimisation step and one per completed epoch. */
export function* trainSteps(o: TrainOptions): Generator<TrainEvent, void, undefined> {
  const { steps, perEpoch } = checkOptions(o);
  const n = o.x.rows;
  const d = o.x.cols;
  const lr0 = o.optimizer.lr;
  const yCols = o.y instanceof Int32Array ? 0 : o.y.cols;
  // A batch never holds more rows than the data (a batch size above the row count is one batch).
  const rowsPerBatch = Math.min(o.batchSize, n);
  const xBuf = new Float32Array(rowsPerBatch * d);
  const yBuf = o.y instanceof Int32Array ? new Int32Array(rowsPerBatch) : new Float32Array(rowsPerBatch * yCols);
  const start = o.startStep ?? 0;
  // Forked before any shuffle, and only when asked for, so runs without a transform are unchanged.
  const transformStream = o.inputTransform === undefined ? null : o.rng.fork();
  // Skipped steps still fork, so step N's generator is the same whether or not we resumed.
  if (transformStream !== null) for (let step = 0; step < Math.min(start, steps); step++) transformStream.fork();
  // Resuming: the learning rate of the epoch the last skipped step belonged to (a new epoch's is set below).
  if (o.schedule !== undefined && start > 0 && steps > 0) o.optimizer.lr = scheduledLr(o.schedule, lr0, Math.floor((Math.min(start, steps) - 1) / perEpoch));
  o.model.train();
  let epochLoss = 0;
  let epochSteps = 0;
  let epochStart = performance.now();
  for (const mb of minibatches({
    rows: n,
    batchSize: o.batchSize,
    steps,
    order: (o.shuffle ?? true) ? 'shuffle' : 'sequential',
    rng: o.rng,
    startStep: start,
  })) {
    const { step, epoch, size: rows } = mb;
    if (mb.batch === 0) {
      if (o.schedule !== undefined) o.optimizer.lr = scheduledLr(o.schedule, lr0, epoch);
      epochLoss = 0;
      epochSteps = 0;
      epochStart = performance.now();
    }
    const stepRng = transformStream?.fork();
    const t0 = performance.now();
    let xb = new Tensor(batchRows(o.x.data, d, mb, xBuf), [rows, d]);
    if (o.inputTransform !== undefined && stepRng !== undefined) {
      xb = o.inputTransform(xb, { step, epoch, rng: stepRng });
      if (!(xb instanceof Tensor) || xb.shape.length !== 2 || xb.rows !== rows || xb.cols !== d) {
        throw new RangeError(
          `train: expected inputTransform to return a [${rows}, ${d}] tensor, got ${xb instanceof Tensor ? `[${xb.shape.join(', ')}]` : String(xb)}`,
        );
      }
    }
    const yb: Target =
      o.y instanceof Int32Array ? batchRows(o.y, 1, mb, yBuf as Int32Array) : new Tensor(batchRows(o.y.data, yCols, mb, yBuf as Float32Array), [rows, yCols]);
    o.optimizer.zeroGrad();
    const out = o.model.forward(xb);
    const loss = o.loss.forward(out, yb);
    o.model.backward(o.loss.backward());
    o.optimizer.step();
    epochLoss += loss;
    epochSteps++;
    yield { type: 'step', epoch, step, loss, lr: o.optimizer.lr, ms: performance.now() - t0, totalSteps: steps };
    if (mb.endOfEpoch) {
      const validation = o.validation === undefined ? undefined : evaluate(o.model, o.loss, o.validation.x, o.validation.y);
      o.model.train();
      yield { type: 'epoch', epoch, step, loss: epochLoss / Math.max(1, epochSteps), lr: o.optimizer.lr, ms: performance.now() - epochStart, validation };
    }
  }
}

export interface FitResult {
  readonly steps: number;
  readonly epochs: EpochEvent[];
  readonly finalLoss: number;
}

/** Runs the whole loop; `onEvent` sees every event (for progress display or logging). */
export function fit(o: TrainOptions, onEvent?: (e: TrainEvent) => void): FitResult {
  const epochs: EpochEvent[] = [];
  let steps = 0;
  let last = NaN;
  for (const e of trainSteps(o)) {
    if (e.type === 'step') {
      steps++;
      last = e.loss;
    } else {
      epochs.push(e);
    }
    onEvent?.(e);
  }
  return { steps, epochs, finalLoss: last };
}

/** Mean loss (and accuracy for class-index targets) over a dataset, in eval mode, in batches. */
export function evaluate(model: Module, loss: Loss, x: Tensor, y: Target, batchSize = 1000): EvalResult {
  expect2d('evaluate', x);
  if (targetRows(y) !== x.rows) throw new RangeError(`evaluate: expected ${x.rows} targets, got ${targetRows(y)}`);
  const was = model.training;
  model.eval();
  let total = 0;
  let correct = 0;
  try {
    for (let s = 0; s < x.rows; s += batchSize) {
      const e = Math.min(x.rows, s + batchSize);
      const out = model.forward(x.sliceRows(s, e));
      const yb = y instanceof Int32Array ? y.subarray(s, e) : y.sliceRows(s, e);
      total += loss.forward(out, yb) * (e - s);
      if (y instanceof Int32Array) {
        const pred = out.argmaxRows();
        for (let i = 0; i < pred.length; i++) if (pred[i] === y[s + i]) correct++;
      }
    }
  } finally {
    model.train(was);
  }
  const n = Math.max(1, x.rows);
  return y instanceof Int32Array ? { loss: total / n, accuracy: correct / n } : { loss: total / n };
}
