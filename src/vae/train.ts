/**
 * Training and scoring a VAE: the minibatch loop as a generator of step and epoch events (the
 * CLI's progress bar and any other consumer read the same stream), `fitVae` which drives it, and
 * `vaeScore`, the mean negative ELBO and its two terms over a dataset.
 *
 * Random numbers: `rng`, in its start state, is forked once for the ε of the reparameterisation
 * (before anything else), then draws each pass's shuffle through `minibatches`. Step t's ε comes
 * from a generator forked from that stream for step t, so a run resumed at step N (the same `rng`
 * start state, startStep N) draws exactly the batches and ε of the uninterrupted run and ends
 * with its weights.
 */
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { batchRows, minibatches } from '../train/batches.js';
import { VAE, type VaeLossTerms, type VaeRowTerms } from './vae.js';

export interface VaeTrainOptions {
  model: VAE;
  optimizer: Optimizer;
  /** Training rows, N × input (pixels in [0, 1] for 'bce'). */
  x: Tensor;
  batchSize: number;
  epochs: number;
  /** Weight of the KL term in the loss (default 1: the negative ELBO; β-VAE otherwise). */
  beta?: number;
  /** Drives the shuffles and ε; pass it in its start state (with startStep) to resume. */
  rng: Rng;
  /** Steps already done (resume). */
  startStep?: number;
  /** Shuffle each pass (default true). */
  shuffle?: boolean;
  /**
   * Held-out rows scored after each epoch (`vaeScore`, one ε per row). Every evaluation draws its ε
   * from a copy of `rng` as given, so the epochs are compared on the same draws.
   */
  validation?: { x: Tensor; rng: Rng; samples?: number };
}

export interface VaeStepEvent extends VaeLossTerms {
  readonly type: 'step';
  readonly epoch: number;
  /** Global step index, 0-based. */
  readonly step: number;
  readonly lr: number;
  readonly ms: number;
  readonly totalSteps: number;
}

/** The mean negative ELBO and its terms over some rows (per image; nats for 'bce'). */
export interface VaeScore {
  /** reconstruction + kl. */
  negElbo: number;
  reconstruction: number;
  kl: number;
}

export interface VaeEpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  /** The epoch's last step. */
  readonly step: number;
  /** Means over the epoch's training rows of each batch's terms (as the model was at that batch). */
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number;
  readonly lr: number;
  readonly ms: number;
  /** The held-out rows after the epoch. */
  readonly validation?: VaeScore;
}

export type VaeTrainEvent = VaeStepEvent | VaeEpochEvent;

function checkInt(fn: string, name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}, got ${String(v)}`);
}

/** Yields an event per optimisation step (the batch's terms) and one per completed epoch. */
export function* trainVaeSteps(o: VaeTrainOptions): Generator<VaeTrainEvent, void, undefined> {
  const fn = 'trainVae';
  if (!(o.model instanceof VAE)) throw new TypeError(`${fn}: expected model to be a VAE, got ${String(o.model)}`);
  const vae = o.model;
  expect2d(fn, o.x, vae.options.input);
  if (o.x.rows === 0) throw new RangeError(`${fn}: expected at least one training row, got 0`);
  checkInt(fn, 'batchSize', o.batchSize, 1);
  checkInt(fn, 'epochs', o.epochs, 0);
  checkInt(fn, 'startStep', o.startStep ?? 0, 0);
  if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng, got ${String(o.rng)}`);
  const beta = o.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta))
    throw new RangeError(`${fn}: expected beta to be a finite number ≥ 0, got ${String(beta)}`);
  const validation = o.validation;
  if (validation !== undefined) {
    expect2d(`${fn}(validation)`, validation.x, vae.options.input);
    if (!(validation.rng instanceof Rng)) throw new TypeError(`${fn}: expected validation.rng to be an Rng, got ${String(validation.rng)}`);
  }
  const validationState = validation?.rng.state();
  const n = o.x.rows;
  const d = o.x.cols;
  const perEpoch = Math.ceil(n / Math.min(o.batchSize, n));
  const steps = perEpoch * o.epochs;
  const start = Math.min(o.startStep ?? 0, steps);
  // Forked first: ε of step t comes from the t-th fork of this stream; skipped steps fork too.
  const noise = o.rng.fork();
  for (let t = 0; t < start; t++) noise.fork();
  const buf = new Float32Array(Math.min(o.batchSize, n) * d);
  vae.train();
  let sums = { loss: 0, reconstruction: 0, kl: 0, rows: 0 };
  let epochStart = performance.now();
  for (const mb of minibatches({
    rows: n,
    batchSize: o.batchSize,
    steps,
    order: (o.shuffle ?? true) ? 'shuffle' : 'sequential',
    rng: o.rng,
    startStep: start,
  })) {
    if (mb.batch === 0 || mb.step === start) {
      sums = { loss: 0, reconstruction: 0, kl: 0, rows: 0 };
      epochStart = performance.now();
    }
    const stepRng = noise.fork();
    const t0 = performance.now();
    const xb = new Tensor(batchRows(o.x.data, d, mb, buf), [mb.size, d]);
    o.optimizer.zeroGrad();
    const terms = vae.forwardLoss(xb, { rng: stepRng, beta });
    vae.backwardLoss();
    o.optimizer.step();
    sums.loss += terms.loss * mb.size;
    sums.reconstruction += terms.reconstruction * mb.size;
    sums.kl += terms.kl * mb.size;
    sums.rows += mb.size;
    yield { type: 'step', epoch: mb.epoch, step: mb.step, ...terms, lr: o.optimizer.lr, ms: performance.now() - t0, totalSteps: steps };
    if (mb.endOfEpoch) {
      const score =
        validation === undefined || validationState === undefined ? undefined : vaeScore(vae, validation.x, Rng.fromState(validationState), validation.samples);
      vae.train();
      yield {
        type: 'epoch',
        epoch: mb.epoch,
        step: mb.step,
        loss: sums.loss / sums.rows,
        reconstruction: sums.reconstruction / sums.rows,
        kl: sums.kl / sums.rows,
        lr: o.optimizer.lr,
        ms: performance.now() - epochStart,
        validation: score,
      };
    }
  }
}

/** Runs `trainVaeSteps` to the end; `onEvent` sees every event. Returns the epoch events. */
export function fitVae(o: VaeTrainOptions, onEvent?: (e: VaeTrainEvent) => void): VaeEpochEvent[] {
  const epochs: VaeEpochEvent[] = [];
  for (const e of trainVaeSteps(o)) {
    if (e.type === 'epoch') epochs.push(e);
    onEvent?.(e);
  }
  return epochs;
}

/**
 * The mean over the rows of x of `vae.negElbo` (ε from `rng`, `samples` per row, default 1) and
 * of its two terms, accumulated in float64.
 */
export function vaeScore(vae: VAE, x: Tensor, rng: Rng, samples = 1): VaeScore {
  const fn = 'vaeScore';
  if (!(vae instanceof VAE)) throw new TypeError(`${fn}: expected a VAE, got ${String(vae)}`);
  expect2d(fn, x, vae.options.input);
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one row, got 0`);
  return scoreOfRows(vae.negElbo(x, rng, samples));
}

/** The means of per-row terms: negElbo is mean(reconstruction) + mean(kl), as every score reports it. */
export function scoreOfRows(t: VaeRowTerms): VaeScore {
  const n = t.reconstruction.length;
  let r = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    r += t.reconstruction[i];
    k += t.kl[i];
  }
  r /= n;
  k /= n;
  return { negElbo: r + k, reconstruction: r, kl: k };
}
