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
 * This file holds the architecture options, every default and the model; the objective is
 * `DesomObjective` (objective.ts); the training options and the training step, `desomSteps`, are in
 * steps.ts: a generator of step events (the CLI's progress bar and the explorer's animation read the
 * same stream); `fitDesom` drives it.
 *
 * "seed 000 §4.1" and the like cite the paper's sections; docs/references.md lists the sources
 * and summarises what the reference code does.
 */
import {
  Autoencoder,
  AE_ACTIVATIONS,
  AE_ARCHITECTURES,
  convArchitecture,
  resolveAutoencoderOptions,
  type AeActivation,
  type AeArchitecture,
  type ConvAeConfig,
} from '../ae/autoencoder.js';
import { Module, type Buffer, type Parameter } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { fitBatch } from '../som/batch.js';
import { findBmus } from '../som/bmu.js';
import { initPrototypes } from '../som/init.js';
import type { NeighborhoodKind } from '../som/neighborhood.js';
import { checkCount } from '../som/progress.js';
import { SOM } from '../som/som.js';
import { Topology, resolveTopology, type TopologyOptions, type TopologySpec } from '../som/topology.js';
import { Tensor, expect2d, type Shape } from '../tensor/tensor.js';

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
  /**
   * 'mlp' (default, seed 000) or 'conv': the convolutional autoencoder (the reference code's
   * ConvDESOM; see Autoencoder), `filters` stride-2 convolutions then `hidden` fully connected layers.
   */
  encoder?: AeArchitecture;
  /**
   * Encoder hidden sizes; the decoder mirrors them (default [500, 500, 2000]). With encoder 'conv':
   * fully connected layers between the last convolution and the code (default none).
   */
  hidden?: readonly number[];
  /** encoder 'conv': the input image [channels, height, width] (default [1, √input, √input] for a square input). */
  image?: readonly [number, number, number];
  /** encoder 'conv': channels of each stride-2 convolution (default [32, 64, 128, 256], the reference's ConvDESOM). */
  filters?: readonly number[];
  /** encoder 'conv': square kernel size (default 3). */
  kernel?: number;
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
  readonly encoder: AeArchitecture;
  /** The convolutions of encoder 'conv' (null for 'mlp'). */
  readonly conv: ConvAeConfig | null;
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly activation: AeActivation;
  readonly topology: TopologySpec;
  readonly prototypeInit: PrototypeInit;
  readonly somInitEpochs: number;
}

// The `as` casts below widen literals to their unions so the exported defaults have the option
// types; no-unnecessary-type-assertion only sees that Object.freeze would accept the literal.
/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- widening casts, see above */
/** Every default in one place (the CLI builds its config schema from these). */
export const DESOM_DEFAULTS = Object.freeze({
  input: 784,
  encoder: 'mlp' as AeArchitecture,
  hidden: Object.freeze<readonly number[]>([500, 500, 2000]),
  filters: Object.freeze<readonly number[]>([32, 64, 128, 256]),
  kernel: 3,
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
/* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */

export function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new RangeError(`${fn}: expected ${name} to be a positive integer, got ${String(v)}`);
  return v as number;
}

export function checkFinite(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`${fn}: expected ${name} to be a finite number ≥ ${min}, got ${String(v)}`);
  return v;
}

export function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v))
    throw new RangeError(`${fn}: expected ${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Validates the architecture options and fills the defaults. */
export function resolveDesomConfig(o: DesomModelOptions = {}, fn = 'DESOM'): DesomConfig {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  const encoder = oneOf(fn, 'encoder', o.encoder ?? DESOM_DEFAULTS.encoder, AE_ARCHITECTURES);
  const hidden = o.hidden ?? (encoder === 'conv' ? [] : DESOM_DEFAULTS.hidden);
  if (!Array.isArray(hidden)) throw new TypeError(`${fn}: expected hidden to be an array of positive integers, got ${String(hidden)}`);
  hidden.forEach((h, i) => checkPositiveInt(fn, `hidden[${i}]`, h));
  const somInitEpochs = o.somInitEpochs ?? DESOM_DEFAULTS.somInitEpochs;
  checkCount(fn, 'somInitEpochs', somInitEpochs, 1);
  const input = checkPositiveInt(fn, 'input', o.input ?? DESOM_DEFAULTS.input);
  const latent = checkPositiveInt(fn, 'latent', o.latent ?? DESOM_DEFAULTS.latent);
  let conv: ConvAeConfig | null = null;
  if (encoder === 'conv') {
    // The autoencoder's own checks (image size, filters, kernel) and defaults, with the DESOM's filters.
    conv = resolveAutoencoderOptions(
      { input, hidden, latent, architecture: 'conv', image: o.image, filters: o.filters ?? DESOM_DEFAULTS.filters, kernel: o.kernel ?? DESOM_DEFAULTS.kernel },
      fn,
    ).conv;
  } else {
    for (const key of ['image', 'filters', 'kernel'] as const) {
      if (o[key] !== undefined) throw new RangeError(`${fn}: ${key} is an option of encoder 'conv', not 'mlp'`);
    }
  }
  return {
    input,
    encoder,
    conv,
    hidden: Array.from<number>(hidden),
    latent,
    activation: oneOf(fn, 'activation', o.activation ?? DESOM_DEFAULTS.activation, AE_ACTIVATIONS),
    topology: resolveTopology({
      rows: o.rows ?? DESOM_DEFAULTS.rows,
      cols: o.cols ?? DESOM_DEFAULTS.cols,
      topology: o.topology,
      toroidal: o.toroidal,
      distance: o.distance,
    }),
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
    if (!(ae instanceof Autoencoder))
      throw new TypeError(`${fn}: expected an Autoencoder, got ${ae === null || typeof ae !== 'object' ? String(ae) : (ae as object).constructor.name}`);
    if (!(som instanceof SOM))
      throw new TypeError(`${fn}: expected a SOM, got ${som === null || typeof som !== 'object' ? String(som) : (som as object).constructor.name}`);
    if (som.dim !== ae.options.latent) throw new RangeError(`${fn}: expected prototypes of the latent size ${ae.options.latent}, got dimension ${som.dim}`);
    const c = ae.options;
    this.ae = ae;
    this.som = som;
    this.config = resolveDesomConfig(
      {
        input: c.input,
        encoder: c.architecture,
        ...(c.conv === null ? {} : { image: c.conv.image, filters: c.conv.filters, kernel: c.conv.kernel }),
        hidden: c.hidden,
        latent: c.latent,
        activation: c.activation,
        ...som.topology.spec(),
        prototypeInit: options.prototypeInit,
        somInitEpochs: options.somInitEpochs,
      },
      fn,
    );
  }

  /**
   * A new model for data x (n × input): the autoencoder (Glorot-uniform weights, zero biases,
   * linear latent and output, as the reference's MLP and conv autoencoders) drawn from rng, then the
   * prototypes initialised from x (`initDesomPrototypes`) with the same rng.
   */
  static create(x: Tensor, options: DesomModelOptions & { rng: Rng }): DESOM {
    const fn = 'DESOM.create';
    expect2d(fn, x);
    if (!(options?.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng, got ${String(options?.rng)}`);
    if (options.input !== undefined && options.input !== x.cols)
      throw new RangeError(`${fn}: expected data with ${options.input} columns (the input option), got ${x.cols}`);
    const cfg = resolveDesomConfig({ ...options, input: x.cols }, fn);
    const ae = new Autoencoder({
      input: cfg.input,
      hidden: cfg.hidden,
      latent: cfg.latent,
      activation: cfg.activation,
      latentActivation: 'identity',
      outputActivation: 'identity',
      init: 'glorot_uniform',
      ...(cfg.conv === null ? {} : { architecture: 'conv' as const, image: cfg.conv.image, filters: cfg.conv.filters, kernel: cfg.conv.kernel }),
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
    return `DESOM(${desomArchitecture(this.config)}, ${t.rows}×${t.cols} ${t.topology}${t.toroidal ? ' toroidal' : ''} map)`;
  }
}

/**
 * The encoder in a line: "784-500-500-2000-10" (mlp), or for encoder 'conv'
 * "1×28×28 conv 32-64-128-256 (3×3, stride 2)-10" with any fully connected sizes before the code.
 */
export function desomArchitecture(c: Pick<DesomConfig, 'input' | 'hidden' | 'latent' | 'conv'>): string {
  if (c.conv === null) return [c.input, ...c.hidden, c.latent].join('-');
  return convArchitecture(c.conv, c.hidden, c.latent);
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
