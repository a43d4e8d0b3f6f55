/**
 * Training a GAN: alternate one discriminator step and one generator step per minibatch, with the
 * non-saturating loss of Goodfellow et al. (2014), written with BCE on logits s = D(·):
 *
 *     D step   L_D = −log σ(D(x)) − log(1 − σ(D(G(z))))      = BCE(D(x), 1) + BCE(D(G(z)), 0)
 *     G step   L_G = −log σ(D(G(z)))                         = BCE(D(G(z)), 1)
 *
 * (each BCE a mean over the batch). The G step uses the same z, hence the same G(z), as the D step
 * (as PyTorch's DCGAN example does), through the D just updated; G minimises −log D(G(z)) rather
 * than log(1 − D(G(z))), whose gradient vanishes while D rejects G's samples easily.
 *
 * The D step runs D on the real batch, then on the generated one (two batches, as PyTorch's DCGAN
 * example: batch norm sees each alone), accumulating both gradients before one optimizer step.
 * For a conditional GAN, the generated images get the real batch's classes.
 */
import { BCEWithLogitsLoss, stableSigmoid } from '../nn/bce-logits.js';
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import { ensureBuffer } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { batchRows, batchesPerEpoch, minibatches } from '../train/batches.js';
import { Gan } from './models.js';

/** One step's batch: real images (rows in [−1, 1]), their classes (conditional GAN), and the latent vectors of the generated ones. */
export interface GanBatch {
  x: Tensor;
  labels?: Int32Array;
  z: Tensor;
}

/** What one D step + G step measured (losses before their updates). */
export interface GanStepResult {
  /** L_D = BCE(D(x), 1) + BCE(D(G(z)), 0). */
  dLoss: number;
  dLossReal: number;
  dLossFake: number;
  /** L_G = BCE(D(G(z)), 1), through the updated D. */
  gLoss: number;
  /** Mean σ(D(x)) over the real batch (before the D update): D's probability that a real image is real. */
  dReal: number;
  /** Mean σ(D(G(z))) over the generated batch (before the D update). */
  dFake: number;
  /** G(z), the generated batch (G's output buffer, overwritten by its next forward). */
  fake: Tensor;
}

/** The first layer of a network that has weights (whose input gradient backward may skip). */
function firstWeighted(m: Sequential): Linear | Conv2d | null {
  for (const l of m.modules) {
    if (l instanceof Linear || l instanceof Conv2d) return l;
    if (l.parameters().length > 0) return null;
  }
  return null;
}

function meanSigmoid(logits: Tensor): number {
  let s = 0;
  for (let i = 0; i < logits.size; i++) s += stableSigmoid(logits.data[i]);
  return s / logits.size;
}

/** One D step and one G step on a batch (see the file's comment); owns its loss and target buffers. */
export class GanTrainer {
  private readonly loss = new BCEWithLogitsLoss();
  private ones: Tensor | null = null;
  private zeros: Tensor | null = null;
  private dImage: Tensor | null = null;

  constructor(
    readonly gan: Gan,
    readonly optimizerG: Optimizer,
    readonly optimizerD: Optimizer,
  ) {
    if (!(gan instanceof Gan)) throw new TypeError(`GanTrainer: expected a Gan, got ${String(gan)}`);
  }

  /**
   * One D step then one G step. `onGradients`, when given, is called once each network's gradients
   * are computed, right before its optimizer step (D's are spoiled afterwards: the G step
   * backpropagates through D, adding to them).
   */
  step(b: GanBatch, onGradients?: (network: 'discriminator' | 'generator') => void): GanStepResult {
    const fn = 'GanTrainer.step';
    const { gan, loss } = this;
    const G = gan.generator;
    const D = gan.discriminator;
    expect2d(fn, b.x, gan.imageSize, 'image values');
    expect2d(`${fn}(z)`, b.z, gan.options.latent, 'latent values');
    const n = b.x.rows;
    if (b.z.rows !== n) throw new RangeError(`${fn}: expected as many latent vectors as real images (${n}), got ${b.z.rows}`);
    const ones = (this.ones = ensureBuffer(this.ones, [n, 1]));
    const zeros = (this.zeros = ensureBuffer(this.zeros, [n, 1]));
    ones.data.fill(1);
    zeros.data.fill(0);

    // G(z): its forward caches stay valid for the G step's backward (G is not run in between).
    const fake = G.forward(gan.generatorInput(b.z, b.labels));

    // ---- D step: ∇ of BCE(D(x), 1) + BCE(D(G(z)), 0), G(z) held constant
    this.optimizerD.zeroGrad();
    const first = firstWeighted(D);
    const inputGrad = first?.inputGrad ?? true;
    if (first !== null) first.inputGrad = false; // D's input gradient is not needed here
    let dLossReal: number;
    let dLossFake: number;
    let dReal: number;
    let dFake: number;
    try {
      const real = D.forward(gan.discriminatorInput(b.x, b.labels));
      dReal = meanSigmoid(real);
      dLossReal = loss.forward(real, ones);
      D.backward(loss.backward());
      const judged = D.forward(gan.discriminatorInput(fake, b.labels));
      dFake = meanSigmoid(judged);
      dLossFake = loss.forward(judged, zeros);
      D.backward(loss.backward());
    } finally {
      if (first !== null) first.inputGrad = inputGrad;
    }
    onGradients?.('discriminator');
    this.optimizerD.step();

    // ---- G step: ∇ of BCE(D(G(z)), 1) through the updated D, into G
    this.optimizerG.zeroGrad();
    const out = D.forward(gan.discriminatorInput(fake, b.labels));
    const gLoss = loss.forward(out, ones);
    const dIn = D.backward(loss.backward());
    G.backward(this.imagePart(dIn));
    onGradients?.('generator');
    this.optimizerG.step();
    return { dLoss: dLossReal + dLossFake, dLossReal, dLossFake, gLoss, dReal, dFake, fake };
  }

  /** The image's share of D's input gradient: the first C·H·W values of each row. */
  private imagePart(dIn: Tensor): Tensor {
    const px = this.gan.imageSize;
    const rows = dIn.shape[0];
    const cols = dIn.size / rows;
    if (cols === px) return dIn.reshape([rows, px]);
    const out = (this.dImage = ensureBuffer(this.dImage, [rows, px]));
    for (let r = 0; r < rows; r++) out.data.set(dIn.data.subarray(r * cols, r * cols + px), r * px);
    return out;
  }
}

/** Sums of an epoch's step results so far (the epoch event's means): the caller may keep it in a checkpoint to resume mid-epoch. */
export interface GanEpochSums {
  steps: number;
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
}

export const emptyEpochSums = (): GanEpochSums => ({ steps: 0, dLoss: 0, gLoss: 0, dReal: 0, dFake: 0 });

export interface GanStepEvent extends Omit<GanStepResult, 'fake'> {
  type: 'step';
  /** 0-based global step. */
  step: number;
  epoch: number;
  ms: number;
}

/** The means of an epoch's steps. */
export interface GanEpochEvent {
  type: 'epoch';
  /** The epoch's last step (0-based). */
  step: number;
  epoch: number;
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
  /** Milliseconds of the epoch's steps (since the resume, for a resumed epoch). */
  ms: number;
}

export type GanEvent = GanStepEvent | GanEpochEvent;

export interface GanTrainOptions {
  gan: Gan;
  optimizerG: Optimizer;
  optimizerD: Optimizer;
  /** Real images, n × C·H·W, scaled to [−1, 1] (G's tanh range). */
  x: Tensor;
  /** Their classes, for a conditional GAN. */
  labels?: Int32Array;
  batchSize: number;
  epochs: number;
  /** Draws each epoch's shuffle; pass it in its state at step 0, also to resume. */
  rng: Rng;
  /** Draws each step's z; pass it in its state at `startStep` (save `zRng.state()` with a checkpoint). */
  zRng: Rng;
  /** Steps already done (resume). */
  startStep?: number;
  /** The running sums of the current epoch (mutated; restore them with a checkpoint to resume mid-epoch). */
  epochSums?: GanEpochSums;
}

/**
 * Yields a step event per minibatch (one D step + one G step) and an epoch event per pass. With
 * `rng` in its start state, `zRng` and `epochSums` as they were after step N, a run resumed at
 * `startStep` N ends with exactly the weights of the uninterrupted run.
 */
export function* ganSteps(o: GanTrainOptions): Generator<GanEvent, void, undefined> {
  const fn = 'ganSteps';
  const gan = o.gan;
  if (!(gan instanceof Gan)) throw new TypeError(`${fn}: expected a Gan, got ${String(gan)}`);
  expect2d(fn, o.x, gan.imageSize, 'image values');
  if (o.x.rows === 0) throw new RangeError(`${fn}: expected at least one training image, got 0`);
  if (gan.conditional) {
    if (!(o.labels instanceof Int32Array) || o.labels.length !== o.x.rows)
      throw new RangeError(`${fn}: a conditional GAN needs one label per training image (${o.x.rows}), got ${o.labels?.length ?? 'none'}`);
  } else if (o.labels !== undefined) throw new RangeError(`${fn}: an unconditional GAN takes no labels`);
  if (!Number.isSafeInteger(o.epochs) || o.epochs < 1) throw new RangeError(`${fn}: expected epochs to be a positive integer, got ${o.epochs}`);
  const trainer = new GanTrainer(gan, o.optimizerG, o.optimizerD);
  const px = gan.imageSize;
  const bs = Math.min(o.batchSize, o.x.rows);
  const perEpoch = batchesPerEpoch(o.x.rows, o.batchSize);
  const xBuf = new Float32Array(bs * px);
  const yBuf = new Int32Array(bs);
  const z = Tensor.zeros([bs, gan.options.latent]);
  const sums = o.epochSums ?? emptyEpochSums();
  let epochMs = 0;
  for (const mb of minibatches({ rows: o.x.rows, batchSize: o.batchSize, steps: perEpoch * o.epochs, order: 'shuffle', rng: o.rng, startStep: o.startStep })) {
    const t0 = performance.now();
    const xb = new Tensor(batchRows(o.x.data, px, mb, xBuf), [mb.size, px]);
    const labels = o.labels === undefined ? undefined : batchRows(o.labels, 1, mb, yBuf);
    const zb = mb.size === bs ? z : z.sliceRows(0, mb.size);
    o.zRng.fillNormal(zb.data);
    const { fake: _fake, ...r } = trainer.step({ x: xb, labels, z: zb });
    const ms = performance.now() - t0;
    epochMs += ms;
    sums.steps++;
    sums.dLoss += r.dLoss;
    sums.gLoss += r.gLoss;
    sums.dReal += r.dReal;
    sums.dFake += r.dFake;
    // The epoch's means are taken, and its sums cleared, before the step is told: a checkpoint
    // written on the last step of an epoch then holds the empty sums the next epoch starts from.
    let end: GanEpochEvent | null = null;
    if (mb.endOfEpoch) {
      const k = sums.steps;
      end = {
        type: 'epoch',
        step: mb.step,
        epoch: mb.epoch,
        dLoss: sums.dLoss / k,
        gLoss: sums.gLoss / k,
        dReal: sums.dReal / k,
        dFake: sums.dFake / k,
        ms: epochMs,
      };
      Object.assign(sums, emptyEpochSums());
      epochMs = 0;
    }
    yield { type: 'step', step: mb.step, epoch: mb.epoch, ms, ...r };
    if (end !== null) yield end;
  }
}
