/**
 * Training and scoring an autoencoder: reconstruction loss (seed 001: MSELoss between x̂ and x,
 * Adam), optionally denoising (noisy input, clean target), plus seed 003 §5.3's noise sweep
 * (the sources and their sections: docs/references.md).
 */
import { BCELoss } from '../nn/bce.js';
import type { Loss } from '../nn/loss.js';
import { ensureBuffer } from '../nn/module.js';
import { MSELoss } from '../nn/mse.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LrSchedule } from '../optim/schedule.js';
import { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { trainSteps, type FitResult, type InputTransform, type TrainEvent, type EpochEvent } from '../train/loop.js';
import { Autoencoder } from './autoencoder.js';
import { NOISE_KINDS, checkNoise, corruptInto, type NoiseOptions } from './noise.js';

export type AeLossName = 'mse' | 'bce';

export const AE_LOSSES: readonly AeLossName[] = ['mse', 'bce'];

export interface AeTrainOptions {
  model: Autoencoder;
  optimizer: Optimizer;
  /** Reconstruction loss, mean over all pixels: 'mse' (default, seed 001) or 'bce' (needs a sigmoid output). */
  loss?: AeLossName;
  /** Training images, n × input. */
  x: Tensor;
  batchSize: number;
  epochs: number;
  /** Drives the shuffles and the noise; restore its start state (with startStep) to resume. */
  rng: Rng;
  /** Denoising: each minibatch's input is corrupted with fresh noise, the target stays clean. */
  noise?: NoiseOptions;
  /** Held-out images; each epoch event carries their clean reconstruction loss. */
  validation?: Tensor;
  /** Steps already done (resume: with `rng` in its start state, the run ends bit-identical). */
  startStep?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Learning rate as a function of completed epochs (default constant). */
  schedule?: LrSchedule;
}

function lossFor(name: AeLossName): Loss {
  switch (name) {
    case 'mse':
      return new MSELoss();
    case 'bce':
      return new BCELoss();
    default: {
      const never: never = name;
      throw new RangeError(`trainAutoencoder: expected loss to be one of ${AE_LOSSES.join(', ')}, got ${JSON.stringify(never)}`);
    }
  }
}

function checkAe(fn: string, ae: unknown): Autoencoder {
  if (!(ae instanceof Autoencoder))
    throw new TypeError(`${fn}: expected an Autoencoder, got ${ae === null || typeof ae !== 'object' ? String(ae) : ae.constructor.name}`);
  return ae;
}

/**
 * Yields a step event per minibatch and an epoch event per pass (mean train loss, and the
 * validation reconstruction loss when `validation` is given). The noise of step t comes from a
 * generator forked from `rng`'s start state for step t (see TrainOptions.inputTransform), so an
 * interrupted run resumed from step N ends with the weights of the uninterrupted run.
 */
export function* trainAutoencoderSteps(o: AeTrainOptions): Generator<TrainEvent, void, undefined> {
  const fn = 'trainAutoencoder';
  const ae = checkAe(fn, o.model);
  expect2d(fn, o.x, ae.options.input);
  const lossName = o.loss ?? 'mse';
  if (!AE_LOSSES.includes(lossName)) throw new RangeError(`${fn}: expected loss to be one of ${AE_LOSSES.join(', ')}, got ${JSON.stringify(lossName)}`);
  if (lossName === 'bce' && ae.options.outputActivation !== 'sigmoid') {
    throw new RangeError(`${fn}: the bce loss needs probabilities, i.e. outputActivation 'sigmoid', got '${ae.options.outputActivation}'`);
  }
  if (o.validation !== undefined) expect2d(`${fn}(validation)`, o.validation, ae.options.input);
  let inputTransform: InputTransform | undefined;
  if (o.noise !== undefined) {
    checkNoise(fn, o.noise);
    const noise = { ...o.noise };
    let buf: Tensor | null = null;
    inputTransform = (xb, ctx) => {
      buf = ensureBuffer(buf, xb.shape);
      corruptInto(xb.data, buf.data, noise, ctx.rng);
      return buf;
    };
  }
  yield* trainSteps({
    model: ae,
    loss: lossFor(lossName),
    optimizer: o.optimizer,
    x: o.x,
    y: o.x,
    batchSize: o.batchSize,
    epochs: o.epochs,
    rng: o.rng,
    shuffle: o.shuffle,
    schedule: o.schedule,
    startStep: o.startStep,
    validation: o.validation === undefined ? undefined : { x: o.validation, y: o.validation },
    inputTransform,
  });
}

/** Runs `trainAutoencoderSteps` to the end; `onEvent` sees every event. */
export function trainAutoencoder(o: AeTrainOptions, onEvent?: (e: TrainEvent) => void): FitResult {
  const epochs: EpochEvent[] = [];
  let steps = 0;
  let last = NaN;
  for (const e of trainAutoencoderSteps(o)) {
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

/**
 * Mean squared reconstruction error over every pixel (PyTorch MSELoss, reduction 'mean'):
 * Σ(x̂ − x)²/(n·d), in eval mode and batches. With `noise`, x̂ reconstructs a corrupted x (drawn
 * from `rng`) and is compared with the clean x, as in seed 003 §5.3.
 */
export function reconstructionMse(ae: Autoencoder, x: Tensor, o: { noise?: NoiseOptions; rng?: Rng; batchSize?: number } = {}): number {
  const fn = 'reconstructionMse';
  checkAe(fn, ae);
  expect2d(fn, x, ae.options.input);
  const batchSize = o.batchSize ?? 1024;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: expected batchSize to be a positive integer, got ${batchSize}`);
  if (o.noise !== undefined) {
    checkNoise(fn, o.noise);
    if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: noise needs an rng to draw from, got ${String(o.rng)}`);
  }
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one row, got 0`);
  const d = x.cols;
  const noisy = o.noise === undefined ? null : new Float32Array(Math.min(batchSize, x.rows) * d);
  const was = ae.training;
  ae.eval();
  let sum = 0;
  try {
    for (let s = 0; s < x.rows; s += batchSize) {
      const e = Math.min(x.rows, s + batchSize);
      const clean = x.sliceRows(s, e);
      let input = clean;
      if (noisy !== null && o.noise !== undefined && o.rng !== undefined) {
        const buf = noisy.subarray(0, (e - s) * d);
        corruptInto(clean.data, buf, o.noise, o.rng);
        input = new Tensor(buf, [e - s, d]);
      }
      const out = ae.forward(input).data;
      const t = clean.data;
      let part = 0;
      for (let i = 0; i < out.length; i++) {
        const r = out[i] - t[i];
        part += r * r;
      }
      sum += part;
    }
  } finally {
    ae.train(was);
  }
  return sum / (x.rows * d);
}

/**
 * Seed 003 §5.3 / Figure 20: the reconstruction MSE (against the clean images) for each noise
 * scale c, the noise drawn from `rng` in the order of `scales`.
 */
export function noiseSweep(
  ae: Autoencoder,
  x: Tensor,
  scales: readonly number[],
  o: { kind?: NoiseOptions['kind']; rng: Rng; batchSize?: number },
): { scale: number; mse: number }[] {
  const fn = 'noiseSweep';
  if (!Array.isArray(scales)) throw new TypeError(`${fn}: expected an array of noise scales, got ${String(scales)}`);
  const kind = o.kind ?? 'gaussian';
  if (!NOISE_KINDS.includes(kind)) throw new RangeError(`${fn}: expected kind to be one of ${NOISE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng, got ${String(o.rng)}`);
  return scales.map((scale: number) => {
    checkNoise(fn, { kind, scale });
    return { scale, mse: reconstructionMse(ae, x, { noise: { kind, scale }, rng: o.rng, batchSize: o.batchSize }) };
  });
}

/**
 * The trivial baseline: MSE of predicting every image of `x` by the mean image of `reference`
 * (default `x` itself) — the total pixel variance. A useful autoencoder must beat it.
 */
export function meanImageMse(x: Tensor, reference: Tensor = x): number {
  expect2d('meanImageMse', x);
  expect2d('meanImageMse(reference)', reference, x.cols);
  if (x.rows === 0 || reference.rows === 0) throw new RangeError('meanImageMse: expected at least one row in x and reference, got 0');
  const d = x.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < reference.rows; i++) for (let j = 0; j < d; j++) mean[j] += reference.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= reference.rows;
  let sum = 0;
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++) {
      const r = x.data[i * d + j] - mean[j];
      sum += r * r;
    }
  }
  return sum / (x.rows * d);
}
