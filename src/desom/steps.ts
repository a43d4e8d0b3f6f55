/**
 * DESOM training (Algorithm 1 of seed 000; see model.ts): the options, the step events, the
 * `desomSteps` generator (the CLI's progress bar and the explorer's animation read the same
 * stream) and `fitDesom`, which drives it.
 */
import { trainAutoencoderSteps } from '../ae/train.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../random.js';
import { decayValue } from '../som/decay.js';
import type { NeighborhoodKind } from '../som/neighborhood.js';
import { checkCount, resolveRadius, type SomRadiusOptions } from '../som/progress.js';
import { argminRows } from '../som/som-loss.js';
import { backend } from '../tensor/registry.js';
import { batchRows, batchesPerEpoch, minibatches } from '../train/batches.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { DESOM, DESOM_BATCH_ORDERS, DESOM_DEFAULTS, checkFinite, desomOptimizer, initDesomPrototypes, oneOf, type DesomBatchOrder } from './model.js';
import { DesomObjective } from './objective.js';

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

/** Training options; the neighbourhood / T options are the SOM trainers' (Gaussian, Tmax 8, Tmin 0.1, exponential, t/iterations). */
export interface DesomTrainOptions extends SomRadiusOptions {
  /** Draws the batch order ('shuffle'), the pretraining shuffles and the re-initialised prototypes; pass it in its start state to resume. */
  rng: Rng;
  /** DESOM minibatch steps (default 10,000). */
  iterations?: number;
  /** Rows per minibatch (default 256; the last batch of a pass may be shorter). */
  batchSize?: number;
  /** Default 'sequential' (the reference). */
  order?: DesomBatchOrder;
  /** Weight of Lsom (default 0.001). */
  gamma?: number;
  /** An optimizer over all of `model.parameters()` (pass one to save/restore its state); default `desomOptimizer(model, this)`. */
  optimizer?: Optimizer;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Adam β₁ (default 0.9). */
  beta1?: number;
  /** Adam β₂ (default 0.999). */
  beta2?: number;
  /** Adam ε (default 1e-7, Keras; PyTorch's is 1e-8). */
  eps?: number;
  /**
   * Steps between assignments (default 1). 1: each step's BMUs come from its own forward pass (the
   * reference). u > 1: every u steps the BMUs of all samples are recomputed with the current
   * parameters (one encoder pass over the data) and the steps in between use those, with the
   * current T.
   */
  updateInterval?: number;
  /**
   * updateInterval > 1: the per-sample BMU store (n values), kept by the caller so a checkpoint can
   * save it. Resuming at an iteration that is not a multiple of updateInterval needs the saved one.
   */
  assignments?: Int32Array;
  /**
   * Epochs of autoencoder pretraining (MSE only, a fresh Adam, shuffled batches) before DESOM
   * training (default 0: none, as the paper). The prototypes are then re-initialised from the
   * pretrained encoder with the model's prototypeInit. Skipped when resuming (startIteration > 0).
   */
  pretrainEpochs?: number;
  /** DESOM iterations already done (resume). */
  startIteration?: number;
  /** Yield a step event every this many steps and after the last (default 1). */
  reportEvery?: number;
}

/** After a DESOM step (or every reportEvery steps). */
export interface DesomStepEvent {
  readonly type: 'step';
  /** Iterations completed (1 after the first); checkpoint with this and resume with startIteration = it. */
  readonly iteration: number;
  readonly totalIterations: number;
  /** 0-based pass over the data. */
  readonly epoch: number;
  /** Temperature of the last step. */
  readonly T: number;
  /** Lr + γ·Lsom of the last step's batch, before its update. */
  readonly loss: number;
  /** Lr (the reconstruction MSE) — a loss, not the learning rate (that is `learningRate`). */
  readonly lr: number;
  /** Lsom. */
  readonly lsom: number;
  /** The optimizer's learning rate. */
  readonly learningRate: number;
  /** Milliseconds since the previous event. */
  readonly ms: number;
  /** BMUs of the last step's batch (a view overwritten by the next step: copy to keep). */
  readonly bmus: Int32Array;
}

/** A pretraining step (autoencoder only, MSE). */
export interface DesomPretrainEvent {
  readonly type: 'pretrain';
  readonly epoch: number;
  /** 0-based pretraining step. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly ms: number;
}

/** End of a pretraining epoch (mean step loss). */
export interface DesomPretrainEpochEvent {
  readonly type: 'pretrain_epoch';
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly ms: number;
}

export type DesomEvent = DesomStepEvent | DesomPretrainEvent | DesomPretrainEpochEvent;

interface ResolvedTraining {
  iterations: number;
  batchSize: number;
  order: DesomBatchOrder;
  gamma: number;
  updateInterval: number;
  pretrainEpochs: number;
  startIteration: number;
  reportEvery: number;
  neighborhood: NeighborhoodKind;
  T: ReturnType<typeof resolveRadius>['T'];
}

function resolveTraining(fn: string, model: DESOM, x: Tensor, o: DesomTrainOptions): ResolvedTraining {
  if (!(model instanceof DESOM))
    throw new TypeError(
      `${fn}: expected a DESOM model, got ${model === null || typeof model !== 'object' ? String(model) : (model as object).constructor.name}`,
    );
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng, got ${String(o.rng)}`);
  expect2d(fn, x, model.config.input);
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  checkCount(fn, 'iterations', o.iterations);
  checkCount(fn, 'batchSize', o.batchSize, 1);
  checkCount(fn, 'updateInterval', o.updateInterval, 1);
  checkCount(fn, 'pretrainEpochs', o.pretrainEpochs);
  checkCount(fn, 'startIteration', o.startIteration);
  checkCount(fn, 'reportEvery', o.reportEvery, 1);
  const iterations = o.iterations ?? DESOM_DEFAULTS.iterations;
  const startIteration = o.startIteration ?? 0;
  if (startIteration > iterations) throw new RangeError(`${fn}: expected startIteration ≤ iterations (${iterations}), got ${startIteration}`);
  const { neighborhood, T } = resolveRadius(fn, o);
  const updateInterval = o.updateInterval ?? DESOM_DEFAULTS.updateInterval;
  if (o.assignments !== undefined) {
    if (!(o.assignments instanceof Int32Array) || o.assignments.length !== x.rows) {
      throw new RangeError(
        `${fn}: expected assignments to be an Int32Array of ${x.rows} BMUs (one per sample), got ${o.assignments instanceof Int32Array ? `${o.assignments.length} values` : String(o.assignments)}`,
      );
    }
  }
  if (updateInterval > 1 && startIteration % updateInterval !== 0 && startIteration < iterations && o.assignments === undefined) {
    throw new RangeError(
      `${fn}: resuming at iteration ${startIteration} (not a multiple of updateInterval ${updateInterval}) needs the saved assignments (the assignments option)`,
    );
  }
  return {
    iterations,
    batchSize: o.batchSize ?? DESOM_DEFAULTS.batchSize,
    order: oneOf(fn, 'order', o.order ?? DESOM_DEFAULTS.order, DESOM_BATCH_ORDERS),
    gamma: checkFinite(fn, 'gamma', o.gamma ?? DESOM_DEFAULTS.gamma, 0),
    updateInterval,
    pretrainEpochs: o.pretrainEpochs ?? DESOM_DEFAULTS.pretrainEpochs,
    startIteration,
    reportEvery: o.reportEvery ?? DESOM_DEFAULTS.reportEvery,
    neighborhood,
    T,
  };
}

/** The BMU of every sample with the current parameters (encoder pass in chunks of the batch size, reusing the objective's buffers). */
function assignAll(model: DESOM, x: Tensor, chunk: number, dist: Float32Array, out: Int32Array): void {
  const be = backend();
  const K = model.size;
  const d = model.config.latent;
  const was = model.training;
  model.eval();
  try {
    for (let s = 0; s < x.rows; s += chunk) {
      const e = Math.min(x.rows, s + chunk);
      const z = model.ae.encoder.forward(x.sliceRows(s, e));
      be.sqDistances(z.data, model.som.prototypes.data, e - s, K, d, dist);
      argminRows(dist, e - s, K, out.subarray(s, e));
    }
  } finally {
    model.train(was);
  }
}

/**
 * Trains `model` in place (Algorithm 1), yielding a step event after each step (or every
 * reportEvery steps). Step t (0-based) uses T = decay(Tmax → Tmin, t, iterations) and batch
 * t mod ⌈n/batchSize⌉ of its pass. `rng` is forked three times at the start (pretraining, prototype
 * re-initialisation, batch order), so a run resumed with `rng` in its start state, the model and
 * optimizer restored and startIteration = N continues bit-identically: skipped passes still draw
 * their permutations. Sequential batches are views into x (no copy); shuffled ones are gathered
 * into one reused buffer.
 */
export function* desomSteps(model: DESOM, x: Tensor, o: DesomTrainOptions): Generator<DesomEvent, void, undefined> {
  const fn = 'desomSteps';
  const r = resolveTraining(fn, model, x, o);
  const opt = o.optimizer ?? desomOptimizer(model, o);
  const params = model.parameters();
  const missing = params.filter((p) => !opt.params.includes(p));
  if (missing.length > 0) throw new RangeError(`${fn}: the optimizer must hold every model parameter; it lacks ${missing.length} (e.g. "${missing[0].name}")`);
  const pretrainRng = o.rng.fork();
  const initRng = o.rng.fork();
  const orderRng = o.rng.fork();
  const n = x.rows;
  const dIn = x.cols;
  const bs = Math.min(r.batchSize, n);

  if (r.pretrainEpochs > 0 && r.startIteration === 0) {
    const aeOpt = new Adam(model.ae.parameters(), { lr: opt.lr, eps: o.eps ?? DESOM_DEFAULTS.eps, beta1: o.beta1, beta2: o.beta2 });
    const perEpoch = batchesPerEpoch(n, bs);
    const totalSteps = perEpoch * r.pretrainEpochs;
    for (const e of trainAutoencoderSteps({ model: model.ae, optimizer: aeOpt, x, batchSize: bs, epochs: r.pretrainEpochs, rng: pretrainRng })) {
      if (e.type === 'step') yield { type: 'pretrain', epoch: e.epoch, step: e.step, totalSteps, loss: e.loss, ms: e.ms };
      else yield { type: 'pretrain_epoch', epoch: e.epoch, epochs: r.pretrainEpochs, loss: e.loss, ms: e.ms };
    }
    initDesomPrototypes(model, x, { rng: initRng });
  }

  const K = model.size;
  const total = r.iterations;
  const objective = new DesomObjective(model, { maxRows: bs, gamma: r.gamma, neighborhood: r.neighborhood });
  const xBuf = new Float32Array(r.order === 'shuffle' ? bs * dIn : 0);
  const u = r.updateInterval;
  const store = u > 1 ? (o.assignments ?? new Int32Array(n)) : null;
  const fixedBuf = new Int32Array(store !== null && r.order === 'shuffle' ? bs : 0);
  // updateInterval's full pass reuses a distance buffer of one batch.
  const passDist = store === null ? null : new Float32Array(bs * K);
  model.train();
  let last = performance.now();
  for (const mb of minibatches({ rows: n, batchSize: bs, steps: total, order: r.order, rng: orderRng, startStep: r.startIteration })) {
    const { step: t, size: rows } = mb;
    const xb = new Tensor(batchRows(x.data, dIn, mb, xBuf), [rows, dIn]);
    let fixed: Int32Array | undefined;
    if (store !== null && passDist !== null) {
      if (t % u === 0) assignAll(model, x, bs, passDist, store);
      fixed = batchRows(store, 1, mb, fixedBuf);
    }
    const T = decayValue(r.T, t, total);
    opt.zeroGrad();
    const loss = objective.lossAndGradient(xb, T, fixed);
    opt.step();
    const done = t + 1;
    if (done % r.reportEvery === 0 || done === total) {
      const now = performance.now();
      yield {
        type: 'step',
        iteration: done,
        totalIterations: total,
        epoch: mb.epoch,
        T,
        loss: loss.loss,
        lr: loss.lr,
        lsom: loss.lsom,
        learningRate: opt.lr,
        ms: now - last,
        bmus: objective.bmus.subarray(0, rows),
      };
      last = performance.now();
    }
  }
}

/** What `fitDesom` returns. */
export interface DesomFitResult {
  /** Iterations completed (including any before startIteration). */
  readonly iterations: number;
  /** The last step event (null when no step ran). */
  readonly last: DesomStepEvent | null;
  /** Mean pretraining loss per pretraining epoch (empty without pretraining). */
  readonly pretrainLosses: readonly number[];
  readonly ms: number;
}

/** Runs `desomSteps` to the end; `onEvent` sees every event. */
export function fitDesom(model: DESOM, x: Tensor, o: DesomTrainOptions, onEvent?: (e: DesomEvent) => void): DesomFitResult {
  const t0 = performance.now();
  let last: DesomStepEvent | null = null;
  const pretrainLosses: number[] = [];
  for (const e of desomSteps(model, x, o)) {
    if (e.type === 'step') last = e;
    else if (e.type === 'pretrain_epoch') pretrainLosses.push(e.loss);
    onEvent?.(e);
  }
  return { iterations: last?.iteration ?? o.startIteration ?? 0, last, pretrainLosses, ms: performance.now() - t0 };
}
