/**
 * DESOM, the Deep Embedded Self-Organizing Map (seed 000; Forest et al., ESANN 2019): an
 * autoencoder and a SOM whose K prototypes live in the latent space, trained jointly on
 *   L = Lr + γ·Lsom,   Lr = mean over pixels and batch of (x̂ − x)²,
 *   Lsom = (1/n) Σᵢ Σₖ wᵢₖ‖zᵢ − mₖ‖²,   wᵢₖ = K_T(δ(bmuᵢ, k)),  bmuᵢ = argminₖ ‖zᵢ − mₖ‖²,
 * with w computed from the current parameters on the current batch and held fixed during the
 * step (Algorithm 1). Gradients of γ·Lsom reach the encoder through z and the prototypes; one Adam
 * updates everything.
 *
 * Where the paper and the reference Keras code (github.com/FlorentF9/DESOM)
 * differ, the default is the paper's and the code's form is an option:
 * - Tmax: 8 (seed 000 §4.1); the code's default is 10.
 * - T = Tmax·(Tmin/Tmax)^(t/iterations) (the paper); `reachEnd: true` gives the code's
 *   t/(iterations − 1), so the last step uses exactly Tmin.
 * - map distance δ: exact Manhattan; `distance: 'desom_reference'` is the code's flat-index formula.
 * The code's choices kept as defaults: no sigmoid on the output, Glorot-uniform weights with zero
 * biases, Adam with ε = 1e-7 (Keras; applied as PyTorch does, after the bias correction), batches
 * cut in order from the unshuffled data with the short last batch used, then wrapping round.
 *
 * The training step is `desomSteps`, a generator of step events (the CLI's progress bar and the
 * explorer's animation read the same stream); `fitDesom` drives it.
 *
 * "seed 000 §4.1" and the like cite the paper's sections; docs/references.md lists the sources
 * and summarises what the reference code does.
 */
import { Autoencoder, AE_ACTIVATIONS, type AeActivation } from '../ae/autoencoder.js';
import { trainAutoencoderSteps } from '../ae/train.js';
import { MSELoss } from '../nn/mse.js';
import { Module, type Buffer, type Parameter } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d, type Shape } from '../tensor/tensor.js';
import { fitBatch } from './batch.js';
import { findBmus } from './bmu.js';
import { decayValue } from './decay.js';
import { initPrototypes } from './init.js';
import { NEGLIGIBLE_WEIGHT, NEIGHBORHOOD_KINDS, neighborhoodFunction, type NeighborhoodKind } from './neighborhood.js';
import { checkCount, resolveRadius, type SomRadiusOptions } from './progress.js';
import { argminRows, somLossBackward } from './som-loss.js';
import { SOM } from './som.js';
import { Topology, resolveTopology, type TopologyOptions, type TopologySpec } from './topology.js';

// ---------------------------------------------------------------------------------------------
// Options and defaults
// ---------------------------------------------------------------------------------------------

/**
 * How the prototypes start:
 * - 'encoded_samples': K distinct random samples through the (untrained) encoder (the reference);
 * - 'som': a batch SOM fitted on the codes of all samples (the reference's option; see
 *   `initDesomPrototypes`);
 * - 'glorot_uniform': U(±√(6/(K + latent))), the initializer of the reference's SOMLayer.
 */
export type PrototypeInit = 'encoded_samples' | 'som' | 'glorot_uniform';
export const PROTOTYPE_INITS: readonly PrototypeInit[] = ['encoded_samples', 'som', 'glorot_uniform'];

/** Minibatch order: 'sequential' (the reference: in row order, short last batch, wrap) or 'shuffle' (a seeded permutation per pass). */
export type DesomBatchOrder = 'sequential' | 'shuffle';
export const DESOM_BATCH_ORDERS: readonly DesomBatchOrder[] = ['sequential', 'shuffle'];

/** The architecture: autoencoder sizes and the map (defaults: seed 000's 784-500-500-2000-10 and 8×8). */
export interface DesomModelOptions extends TopologyOptions {
  /** Input size (default: the data's columns in `DESOM.create`, else 784). */
  input?: number;
  /** Encoder hidden sizes; the decoder mirrors them (default [500, 500, 2000]). */
  hidden?: readonly number[];
  /** Latent size = prototype dimension (default 10). */
  latent?: number;
  /** Hidden activation (default 'relu'); the latent and output layers are always linear. */
  activation?: AeActivation;
  /** Prototype initialisation (default 'encoded_samples'). */
  prototypeInit?: PrototypeInit;
  /** Epochs of the batch SOM behind prototypeInit 'som' (default 10). */
  somInitEpochs?: number;
}

/** The resolved architecture (what desom.json stores). */
export interface DesomConfig {
  readonly input: number;
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly activation: AeActivation;
  readonly topology: TopologySpec;
  readonly prototypeInit: PrototypeInit;
  readonly somInitEpochs: number;
}

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

/** Every default in one place (the CLI builds its config schema from these). */
export const DESOM_DEFAULTS = Object.freeze({
  input: 784,
  hidden: Object.freeze([500, 500, 2000]) as readonly number[],
  latent: 10,
  activation: 'relu' as AeActivation,
  rows: 8,
  cols: 8,
  prototypeInit: 'encoded_samples' as PrototypeInit,
  somInitEpochs: 10,
  iterations: 10000,
  batchSize: 256,
  order: 'sequential' as DesomBatchOrder,
  gamma: 0.001,
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-7,
  updateInterval: 1,
  pretrainEpochs: 0,
  neighborhood: 'gaussian' as NeighborhoodKind,
  Tmax: 8,
  Tmin: 0.1,
  decay: 'exponential' as const,
  reachEnd: false,
  reportEvery: 1,
});

function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new RangeError(`${fn}: expected ${name} to be a positive integer, got ${String(v)}`);
  return v as number;
}

function checkFinite(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`${fn}: expected ${name} to be a finite number ≥ ${min}, got ${String(v)}`);
  return v;
}

function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v)) throw new RangeError(`${fn}: expected ${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Validates the architecture options and fills the defaults. */
export function resolveDesomConfig(o: DesomModelOptions = {}, fn = 'DESOM'): DesomConfig {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  const hidden = o.hidden ?? DESOM_DEFAULTS.hidden;
  if (!Array.isArray(hidden)) throw new TypeError(`${fn}: expected hidden to be an array of positive integers, got ${String(hidden)}`);
  hidden.forEach((h, i) => checkPositiveInt(fn, `hidden[${i}]`, h));
  const somInitEpochs = o.somInitEpochs ?? DESOM_DEFAULTS.somInitEpochs;
  checkCount(fn, 'somInitEpochs', somInitEpochs, 1);
  return {
    input: checkPositiveInt(fn, 'input', o.input ?? DESOM_DEFAULTS.input),
    hidden: [...hidden],
    latent: checkPositiveInt(fn, 'latent', o.latent ?? DESOM_DEFAULTS.latent),
    activation: oneOf(fn, 'activation', o.activation ?? DESOM_DEFAULTS.activation, AE_ACTIVATIONS),
    topology: resolveTopology({ rows: o.rows ?? DESOM_DEFAULTS.rows, cols: o.cols ?? DESOM_DEFAULTS.cols, topology: o.topology, toroidal: o.toroidal, distance: o.distance }),
    prototypeInit: oneOf(fn, 'prototypeInit', o.prototypeInit ?? DESOM_DEFAULTS.prototypeInit, PROTOTYPE_INITS),
    somInitEpochs,
  };
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/**
 * An autoencoder plus a SOM over its latent space. As a Module its parameters are the
 * autoencoder's followed by the prototypes (state_dict names "encoder.0.weight", …,
 * "decoder.4.bias", "prototypes": the names a PyTorch module with those three attributes gives), so
 * `saveCheckpoint(dir, model, optimizer, …)` and `stateDict(model)` work on it directly.
 * `forward` / `backward` are the autoencoder's reconstruction path; the DESOM objective is
 * `DesomObjective` / `desomSteps`.
 */
export class DESOM extends Module {
  readonly ae: Autoencoder;
  readonly som: SOM;
  readonly config: DesomConfig;

  /** Wraps an autoencoder and a SOM of matching latent size (prototypeInit / somInitEpochs are only recorded). */
  constructor(ae: Autoencoder, som: SOM, options: Pick<DesomModelOptions, 'prototypeInit' | 'somInitEpochs'> = {}) {
    super();
    const fn = 'DESOM';
    if (!(ae instanceof Autoencoder)) throw new TypeError(`${fn}: expected an Autoencoder, got ${ae === null || typeof ae !== 'object' ? String(ae) : (ae as object).constructor.name}`);
    if (!(som instanceof SOM)) throw new TypeError(`${fn}: expected a SOM, got ${som === null || typeof som !== 'object' ? String(som) : (som as object).constructor.name}`);
    if (som.dim !== ae.options.latent) throw new RangeError(`${fn}: expected prototypes of the latent size ${ae.options.latent}, got dimension ${som.dim}`);
    const c = ae.options;
    this.ae = ae;
    this.som = som;
    this.config = resolveDesomConfig(
      { input: c.input, hidden: c.hidden, latent: c.latent, activation: c.activation, ...som.topology.spec(), prototypeInit: options.prototypeInit, somInitEpochs: options.somInitEpochs },
      fn,
    );
  }

  /**
   * A new model for data x (n × input): the autoencoder (Glorot-uniform weights, zero biases,
   * linear latent and output) drawn from rng, then the prototypes initialised from x
   * (`initDesomPrototypes`) with the same rng.
   */
  static create(x: Tensor, options: DesomModelOptions & { rng: Rng }): DESOM {
    const fn = 'DESOM.create';
    expect2d(fn, x);
    if (!(options?.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng, got ${String(options?.rng)}`);
    if (options.input !== undefined && options.input !== x.cols) throw new RangeError(`${fn}: expected data with ${options.input} columns (the input option), got ${x.cols}`);
    const cfg = resolveDesomConfig({ ...options, input: x.cols }, fn);
    const ae = new Autoencoder({
      input: cfg.input,
      hidden: cfg.hidden,
      latent: cfg.latent,
      activation: cfg.activation,
      latentActivation: 'identity',
      outputActivation: 'identity',
      init: 'glorot_uniform',
      rng: options.rng,
    });
    const topology = new Topology(cfg.topology);
    const model = new DESOM(ae, new SOM(topology, Tensor.zeros([topology.size, cfg.latent])), cfg);
    initDesomPrototypes(model, x, { rng: options.rng });
    return model;
  }

  get topology(): Topology {
    return this.som.topology;
  }

  /** The prototypes mₖ (K × latent; the optimizer updates this memory). */
  get prototypes(): Tensor {
    return this.som.prototypes;
  }

  /** Number of cells K. */
  get size(): number {
    return this.som.size;
  }

  /** Latent codes z = f(x) of a dataset (fresh n × latent tensor, eval mode, in batches). */
  encode(x: Tensor, batchSize = 1024): Tensor {
    return this.ae.encode(x, batchSize);
  }

  /** Decoded images g(z) (fresh n × input tensor). */
  decode(z: Tensor, batchSize = 1024): Tensor {
    return this.ae.decode(z, batchSize);
  }

  /** Reconstructions g(f(x)) (fresh tensor). */
  reconstruct(x: Tensor, batchSize = 1024): Tensor {
    return this.ae.reconstruct(x, batchSize);
  }

  /** Best-matching unit of each sample: argminₖ ‖f(xᵢ) − mₖ‖² (χ of seed 000). */
  bmus(x: Tensor, batchSize = 1024): Int32Array {
    expect2d('DESOM.bmus', x, this.config.input);
    return findBmus(this.encode(x, batchSize), this.som.prototypes).bmu;
  }

  /** The prototypes decoded to input space, K × input (the prototype map figure). */
  decodePrototypes(): Tensor {
    return this.ae.decode(this.som.prototypes);
  }

  /** The autoencoder's reconstruction (training mode; a module-owned buffer). */
  forward(x: Tensor): Tensor {
    return this.ae.forward(x);
  }

  backward(dy: Tensor): Tensor {
    return this.ae.backward(dy);
  }

  children(): Module[] {
    return [this.ae];
  }

  /** The autoencoder's parameters, then the prototypes. */
  parameters(): Parameter[] {
    return [...this.ae.parameters(), this.som.parameter];
  }

  buffers(): Buffer[] {
    return this.ae.buffers();
  }

  namedParameters(prefix = ''): Map<string, Parameter> {
    const out = this.ae.namedParameters(prefix);
    out.set(`${prefix}prototypes`, this.som.parameter);
    return out;
  }

  namedBuffers(prefix = ''): Map<string, Tensor> {
    return this.ae.namedBuffers(prefix);
  }

  outputShape(input: Shape): Shape {
    return [input[0], this.config.input];
  }

  toString(): string {
    const t = this.topology;
    return `DESOM(${[this.config.input, ...this.config.hidden, this.config.latent].join('-')}, ${t.rows}×${t.cols} ${t.topology}${t.toroidal ? ' toroidal' : ''} map)`;
  }
}

/**
 * Sets the prototypes in place from data x through the model's current encoder, with the model's
 * prototypeInit (or `init`):
 * - 'encoded_samples': the codes of K distinct rows drawn by rng;
 * - 'som': a batch SOM on the codes of all rows (prototypes first set to K distinct codes),
 *   Gaussian, T from √2·σ down to 1 over somInitEpochs epochs with σ = max(1, min(rows, cols) − 1)
 *   (the reference's σ; √2 converts MiniSom's exp(−d²/2σ²) to K_T's exp(−d²/T²));
 * - 'glorot_uniform': U(±√(6/(K + latent))), independent of x.
 */
export function initDesomPrototypes(model: DESOM, x: Tensor, o: { rng: Rng; init?: PrototypeInit; somInitEpochs?: number }): void {
  const fn = 'initDesomPrototypes';
  expect2d(fn, x, model.config.input);
  const init = oneOf(fn, 'init', o.init ?? model.config.prototypeInit, PROTOTYPE_INITS);
  const K = model.size;
  const d = model.config.latent;
  const protos = model.som.prototypes.data;
  switch (init) {
    case 'encoded_samples': {
      if (x.rows < K) throw new RangeError(`${fn}: 'encoded_samples' needs at least as many rows as cells (${K}), got ${x.rows}; use 'glorot_uniform'`);
      const idx = o.rng.sample(x.rows, K);
      const picked = new Float32Array(K * x.cols);
      for (let k = 0; k < K; k++) picked.set(x.data.subarray(idx[k] * x.cols, (idx[k] + 1) * x.cols), k * x.cols);
      protos.set(model.encode(new Tensor(picked, [K, x.cols])).data);
      return;
    }
    case 'som': {
      if (x.rows < K) throw new RangeError(`${fn}: 'som' needs at least as many rows as cells (${K}), got ${x.rows}; use 'glorot_uniform'`);
      const codes = model.encode(x);
      const som = new SOM(model.topology, initPrototypes(codes, model.topology, { init: 'samples', rng: o.rng }));
      const sigma = Math.max(1, Math.min(model.topology.rows, model.topology.cols) - 1);
      const Tmax = Math.SQRT2 * sigma;
      const epochs = o.somInitEpochs ?? model.config.somInitEpochs;
      checkCount(fn, 'somInitEpochs', epochs, 1);
      fitBatch(som, codes, { epochs, neighborhood: 'gaussian', Tmax, Tmin: 1, decay: 'exponential', qeEvery: 0 });
      protos.set(som.prototypes.data);
      return;
    }
    case 'glorot_uniform': {
      const a = Math.sqrt(6 / (K + d));
      o.rng.fillUniform(protos, -a, a);
      return;
    }
    default: {
      const never: never = init;
      throw new RangeError(`${fn}: unknown init ${JSON.stringify(never)}`);
    }
  }
}

/** The default optimizer: Adam over all parameters, β (0.9, 0.999), lr 1e-3, ε 1e-7 unless given. */
export function desomOptimizer(model: DESOM, o: { lr?: number; beta1?: number; beta2?: number; eps?: number } = {}): Adam {
  return new Adam(model.parameters(), {
    lr: o.lr ?? DESOM_DEFAULTS.lr,
    beta1: o.beta1 ?? DESOM_DEFAULTS.beta1,
    beta2: o.beta2 ?? DESOM_DEFAULTS.beta2,
    eps: o.eps ?? DESOM_DEFAULTS.eps,
  });
}

// ---------------------------------------------------------------------------------------------
// One step's objective
// ---------------------------------------------------------------------------------------------

/** The loss terms of one minibatch. */
export interface DesomLoss {
  /** Lr + γ·Lsom. */
  readonly loss: number;
  /** Lr, the reconstruction MSE (mean over pixels and batch). */
  readonly lr: number;
  /** Lsom, mean over the batch of Σₖ wᵢₖ‖zᵢ − mₖ‖². */
  readonly lsom: number;
}

/**
 * L = Lr + γ·Lsom on one minibatch and its gradient, with every buffer allocated once (for batches
 * of up to maxRows rows). One encoder pass gives z; the squared distances D = ‖zᵢ − mₖ‖² computed
 * once (GEMM) give both the BMUs and Lsom, and with the fixed weights w:
 *   ∂L/∂x̂ = 2(x̂ − x)/(n·input),   ∂L/∂z = decoderᵀ(∂L/∂x̂) + γ·(2/n)(sᵢzᵢ − Σₖ wᵢₖmₖ),
 *   ∂L/∂mₖ = γ·(2/n)(tₖmₖ − Σᵢ wᵢₖzᵢ)   (sᵢ = Σₖ wᵢₖ, tₖ = Σᵢ wᵢₖ; somLossBackward).
 */
export class DesomObjective {
  readonly gamma: number;
  readonly neighborhood: NeighborhoodKind;
  readonly maxRows: number;
  /** BMUs of the last batch (first n entries). */
  readonly bmus: Int32Array;
  /** Assignment weights w of the last batch (n × K). */
  readonly weights: Float32Array;
  /** Squared latent distances of the last batch (n × K). */
  readonly distances: Float32Array;
  private readonly h: (d: number, T: number) => number;
  private readonly mse = new MSELoss();
  private readonly rowsCache: Float32Array;
  private readonly rowStamp: Int32Array;
  private stamp = 0;

  constructor(
    readonly model: DESOM,
    o: { maxRows: number; gamma?: number; neighborhood?: NeighborhoodKind },
  ) {
    const fn = 'DesomObjective';
    this.maxRows = checkPositiveInt(fn, 'maxRows', o.maxRows);
    this.gamma = checkFinite(fn, 'gamma', o.gamma ?? DESOM_DEFAULTS.gamma, 0);
    this.neighborhood = oneOf(fn, 'neighborhood', o.neighborhood ?? DESOM_DEFAULTS.neighborhood, NEIGHBORHOOD_KINDS);
    this.h = neighborhoodFunction(this.neighborhood);
    const K = model.size;
    this.bmus = new Int32Array(this.maxRows);
    this.weights = new Float32Array(this.maxRows * K);
    this.distances = new Float32Array(this.maxRows * K);
    this.rowsCache = new Float32Array(K * K);
    this.rowStamp = new Int32Array(K);
  }

  /**
   * Forward and backward on batch xb at temperature T: adds ∂L/∂θ into every parameter's gradient
   * (zero them first) and returns the loss terms. BMUs come from this forward pass unless `fixed`
   * gives them (n values: the updateInterval store, or a gradient check holding w fixed).
   */
  lossAndGradient(xb: Tensor, T: number, fixed?: Int32Array): DesomLoss {
    const fn = 'DesomObjective.lossAndGradient';
    const { model, gamma } = this;
    const K = model.size;
    const d = model.config.latent;
    const n = xb.rows;
    if (n < 1 || n > this.maxRows) throw new RangeError(`${fn}: expected between 1 and ${this.maxRows} rows, got ${n}`);
    expect2d(fn, xb, model.config.input);
    if (!(T > 0 && Number.isFinite(T))) throw new RangeError(`${fn}: expected a finite temperature T > 0, got ${T}`);
    if (fixed !== undefined && fixed.length < n) throw new RangeError(`${fn}: expected ${n} fixed BMUs, got ${fixed.length}`);
    const be = backend();
    const protos = model.som.prototypes.data;
    const z = model.ae.encoder.forward(xb);
    const dist = this.distances;
    be.sqDistances(z.data, protos, n, K, d, dist);
    const bmu = this.bmus;
    if (fixed === undefined) argminRows(dist, n, K, bmu);
    else
      for (let i = 0; i < n; i++) {
        const b = fixed[i];
        if (!(b >= 0 && b < K)) throw new RangeError(`${fn}: expected BMU indices in [0, ${K}), got ${b} at row ${i}`);
        bmu[i] = b;
      }
    this.fillWeights(n, T);
    const xhat = model.ae.decoder.forward(z);
    const lr = this.mse.forward(xhat, xb);
    const dz = model.ae.decoder.backward(this.mse.backward());
    const lsom = somLossBackward(z.data, protos, this.weights, dist, n, K, d, gamma, dz.data, model.som.parameter.grad.data);
    model.ae.encoder.backward(dz);
    return { loss: lr + gamma * lsom, lr, lsom };
  }

  /** w[i, ·] = h(δ(bmuᵢ, ·), T), each distinct BMU's row computed once; |h| < NEGLIGIBLE_WEIGHT stored as 0 (no denormals in the GEMMs). */
  private fillWeights(n: number, T: number): void {
    const K = this.model.size;
    const delta = this.model.topology.distances;
    const cache = this.rowsCache;
    const w = this.weights;
    const h = this.h;
    // A new stamp invalidates every cached row (T changes each step) without clearing.
    this.stamp = this.stamp === 0x7fffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) this.rowStamp.fill(0);
    for (let i = 0; i < n; i++) {
      const b = this.bmus[i];
      const o = b * K;
      if (this.rowStamp[b] !== this.stamp) {
        for (let k = 0; k < K; k++) {
          const v = h(delta[o + k], T);
          cache[o + k] = Math.abs(v) < NEGLIGIBLE_WEIGHT ? 0 : v;
        }
        this.rowStamp[b] = this.stamp;
      }
      const r = i * K;
      for (let k = 0; k < K; k++) w[r + k] = cache[o + k];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

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
  if (!(model instanceof DESOM)) throw new TypeError(`${fn}: expected a DESOM model, got ${model === null || typeof model !== 'object' ? String(model) : (model as object).constructor.name}`);
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
      throw new RangeError(`${fn}: expected assignments to be an Int32Array of ${x.rows} BMUs (one per sample), got ${o.assignments instanceof Int32Array ? `${o.assignments.length} values` : String(o.assignments)}`);
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
    const perEpoch = Math.ceil(n / bs);
    const totalSteps = perEpoch * r.pretrainEpochs;
    for (const e of trainAutoencoderSteps({ model: model.ae, optimizer: aeOpt, x, batchSize: bs, epochs: r.pretrainEpochs, rng: pretrainRng })) {
      if (e.type === 'step') yield { type: 'pretrain', epoch: e.epoch, step: e.step, totalSteps, loss: e.loss, ms: e.ms };
      else yield { type: 'pretrain_epoch', epoch: e.epoch, epochs: r.pretrainEpochs, loss: e.loss, ms: e.ms };
    }
    initDesomPrototypes(model, x, { rng: initRng });
  }

  const K = model.size;
  const total = r.iterations;
  const perEpoch = Math.ceil(n / bs);
  const objective = new DesomObjective(model, { maxRows: bs, gamma: r.gamma, neighborhood: r.neighborhood });
  const perm = r.order === 'shuffle' ? new Int32Array(n) : null;
  const xBuf = perm === null ? null : new Float32Array(bs * dIn);
  const u = r.updateInterval;
  const store = u > 1 ? (o.assignments ?? new Int32Array(n)) : null;
  const fixed = store === null ? null : new Int32Array(bs);
  // updateInterval's full pass reuses a distance buffer of one batch.
  const passDist = store === null ? null : new Float32Array(bs * K);
  model.train();
  let last = performance.now();
  for (let t = 0; t < total; t++) {
    const b = t % perEpoch;
    if (b === 0 && perm !== null) {
      // the same draws as orderRng.permutation(n), into the one buffer
      for (let i = 0; i < n; i++) perm[i] = i;
      orderRng.shuffle(perm);
    }
    if (t < r.startIteration) continue;
    const s = b * bs;
    const e = Math.min(n, s + bs);
    const rows = e - s;
    let xb: Tensor;
    if (perm !== null && xBuf !== null) {
      for (let i = s; i < e; i++) xBuf.set(x.data.subarray(perm[i] * dIn, (perm[i] + 1) * dIn), (i - s) * dIn);
      xb = new Tensor(rows === bs ? xBuf : xBuf.subarray(0, rows * dIn), [rows, dIn]);
    } else {
      xb = new Tensor(x.data.subarray(s * dIn, e * dIn), [rows, dIn]);
    }
    if (store !== null && fixed !== null && passDist !== null) {
      if (t % u === 0) assignAll(model, x, bs, passDist, store);
      for (let i = 0; i < rows; i++) fixed[i] = store[perm === null ? s + i : perm[s + i]];
    }
    const T = decayValue(r.T, t, total);
    opt.zeroGrad();
    const loss = objective.lossAndGradient(xb, T, fixed ?? undefined);
    opt.step();
    const done = t + 1;
    if (done % r.reportEvery === 0 || done === total) {
      const now = performance.now();
      yield {
        type: 'step',
        iteration: done,
        totalIterations: total,
        epoch: (t - b) / perEpoch,
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
  return { iterations: last?.iteration ?? (o.startIteration ?? 0), last, pretrainLosses, ms: performance.now() - t0 };
}
