/**
 * The gradient SOM ("kerasom" in seed 000, the DESOM paper — docs/references.md: DESOM without
 * the autoencoder). Each minibatch step:
 * BMUs with the current prototypes, weights wᵢₖ = K_T(δ(bmuᵢ, k)) held constant, then one
 * optimizer step on the prototypes for
 *   Lsom = (1/n) Σᵢ Σₖ wᵢₖ‖xᵢ − mₖ‖²
 * (mean over the batch, sum over the cells — the DESOM reference's normalisation; somLossBackward).
 * Defaults follow the reference: Adam lr 1e-3, ε 1e-7 (Keras), batches of 256 cut in order from
 * the unshuffled data, the last short batch included, wrapping round; 10,000 iterations.
 */
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Rng } from '../random.js';
import { batchRows, batchesPerEpoch, minibatches } from '../train/batches.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { quantizationError } from './analysis.js';
import { decayValue } from './decay.js';
import { neighborhoodWeights } from './neighborhood.js';
import { checkCount, drive, resolveRadius, wantsQe, type SomEvent, type SomFitResult, type SomRadiusOptions } from './progress.js';
import { argminRows, somLossBackward } from './som-loss.js';
import type { SOM } from './som.js';

export interface GradientSomOptions extends SomRadiusOptions {
  /** Minibatch steps (default 10,000). */
  iterations?: number;
  /** Rows per minibatch (default 256); the last batch of a pass may be shorter. */
  batchSize?: number;
  /** 'sequential' (default, the reference): batches in row order; 'shuffle': a fresh permutation each pass (needs rng). */
  order?: 'sequential' | 'shuffle';
  rng?: Rng;
  /** An optimizer over [som.parameter]; default Adam({ lr, eps: 1e-7 }). */
  optimizer?: Optimizer;
  /** Learning rate of the default Adam (default 1e-3). */
  lr?: number;
  /** Evaluate the QE on all of x every this many passes and after the last (default 0 = never; the fit result still has the final QE). */
  qeEvery?: number;
  /** Yield a step event every this many steps (default 1). */
  reportEvery?: number;
  /**
   * Steps already done (resume; default 0): training continues at step startIteration with
   * som.prototypes and the optimizer's state as they were after that many steps, and `rng` (order
   * 'shuffle') in its state at step 0 (the permutations of the passes already done are drawn again
   * and dropped). The prototypes then end exactly as in the uninterrupted run; the first epoch
   * event's mean loss covers only the steps taken since the restart.
   */
  startIteration?: number;
}

export const GRADIENT_DEFAULTS = Object.freeze({
  iterations: 10000,
  batchSize: 256,
  order: 'sequential' as const,
  lr: 1e-3,
  eps: 1e-7,
  qeEvery: 0,
  reportEvery: 1,
});

/** Trains `som` in place by gradient steps on Lsom, yielding a step event per step and an epoch event per pass. */
export function* gradientSteps(som: SOM, x: Tensor, options: GradientSomOptions = {}): Generator<SomEvent, void, undefined> {
  const fn = 'gradientSteps';
  expect2d(fn, x, som.dim);
  const n = x.rows;
  if (n === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  checkCount(fn, 'iterations', options.iterations);
  checkCount(fn, 'batchSize', options.batchSize, 1);
  checkCount(fn, 'qeEvery', options.qeEvery);
  checkCount(fn, 'reportEvery', options.reportEvery, 1);
  checkCount(fn, 'startIteration', options.startIteration);
  const order = options.order ?? GRADIENT_DEFAULTS.order;
  if (order !== 'sequential' && order !== 'shuffle') throw new RangeError(`${fn}: expected order 'sequential' or 'shuffle', got ${JSON.stringify(order)}`);
  if (order === 'shuffle' && options.rng === undefined) throw new RangeError(`${fn}: order 'shuffle' needs an rng`);
  const { neighborhood, T: Ts } = resolveRadius(fn, options);
  const total = options.iterations ?? GRADIENT_DEFAULTS.iterations;
  const start = options.startIteration ?? 0;
  if (start > total) throw new RangeError(`${fn}: expected startIteration ≤ ${total} (the number of iterations), got ${start}`);
  const bs = Math.min(options.batchSize ?? GRADIENT_DEFAULTS.batchSize, n);
  const qeEvery = options.qeEvery ?? GRADIENT_DEFAULTS.qeEvery;
  const reportEvery = options.reportEvery ?? GRADIENT_DEFAULTS.reportEvery;
  const param = som.parameter;
  const opt = options.optimizer ?? new Adam([param], { lr: options.lr ?? GRADIENT_DEFAULTS.lr, eps: GRADIENT_DEFAULTS.eps });
  if (!opt.params.includes(param))
    throw new RangeError(`${fn}: the optimizer must hold som.parameter (the prototypes), got one over ${opt.params.length} other parameter(s)`);

  const K = som.size;
  const d = som.dim;
  const perEpoch = batchesPerEpoch(n, bs);
  const epochs = Math.ceil(total / perEpoch);
  const xBuf = new Float32Array(order === 'shuffle' ? bs * d : 0);
  const dist = new Float32Array(bs * K);
  const bmu = new Int32Array(bs);
  const w = new Float32Array(bs * K);
  const be = backend();
  let last = performance.now();
  let epochStart = last;
  let epochLoss = 0;
  let epochSteps = 0;
  for (const mb of minibatches({ rows: n, batchSize: bs, steps: total, order, rng: options.rng, startStep: start })) {
    const { step: t, epoch, size: rows } = mb;
    if (mb.batch === 0) {
      epochStart = performance.now();
      epochLoss = 0;
      epochSteps = 0;
    }
    const xb = batchRows(x.data, d, mb, xBuf);
    const T = decayValue(Ts, t, total);
    be.sqDistances(xb, som.prototypes.data, rows, K, d, dist);
    const bm = argminRows(dist, rows, K, bmu).subarray(0, rows);
    neighborhoodWeights(som.topology, bm, neighborhood, T, w);
    opt.zeroGrad();
    const loss = somLossBackward(xb, som.prototypes.data, w, dist, rows, K, d, 1, null, param.grad.data);
    opt.step();
    epochLoss += loss;
    epochSteps++;
    const done = t + 1;
    if (done % reportEvery === 0 || done === total) {
      const now = performance.now();
      yield { type: 'step', algorithm: 'gradient', iteration: done, totalIterations: total, epoch, T, lr: opt.lr, loss, ms: now - last };
      last = now;
    }
    if (mb.endOfEpoch) {
      const qe = wantsQe(qeEvery, epoch, epoch === epochs - 1) ? quantizationError(som, x) : undefined;
      const now = performance.now();
      yield {
        type: 'epoch',
        algorithm: 'gradient',
        epoch,
        iteration: done,
        totalIterations: total,
        T,
        lr: opt.lr,
        qe,
        loss: epochLoss / epochSteps,
        ms: now - epochStart,
      };
      last = now;
    }
  }
}

/** Trains `som` in place with the gradient SOM; returns the epoch events and the final QE. */
export function fitGradient(som: SOM, x: Tensor, options: GradientSomOptions = {}, onEvent?: (e: SomEvent) => void): SomFitResult {
  return drive(som, x, gradientSteps(som, x, options), onEvent);
}
