/**
 * A fully connected autoencoder (seed 001, seed 003 §5, DESOM's AE): an `encoder` Sequential
 * ℝⁿ → ℝᵖ and a `decoder` Sequential ℝᵖ → ℝⁿ, laid out like the seed's PyTorch module
 * (`self.encoder = nn.Sequential(...)`, `self.decoder = nn.Sequential(...)`), so the state_dict
 * names ("encoder.0.weight", "decoder.2.bias", …) are the ones PyTorch gives that module.
 * (Seed 001 is the autoencoder coursework, seed 003 the network library coursework: see
 * docs/references.md.)
 */
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module, type Buffer, type Parameter } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../random.js';
import type { Shape } from '../tensor/tensor.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export type AeActivation = 'tanh' | 'relu' | 'sigmoid' | 'leaky_relu' | 'identity';

export const AE_ACTIVATIONS: readonly AeActivation[] = ['tanh', 'relu', 'sigmoid', 'leaky_relu', 'identity'];

export interface AutoencoderOptions {
  /** Input size n (784 for 28×28 images). */
  input: number;
  /** Encoder hidden sizes, e.g. [128] (seed 001 listing 1) or [256, 128] (listing 4); may be empty. */
  hidden: readonly number[];
  /** Latent size p. */
  latent: number;
  /** Hidden-layer activation, default 'tanh' (seed 001). */
  activation?: AeActivation;
  /** Activation after the latent Linear, default 'identity' (seed 001: nn.Linear(128, p), nothing after). */
  latentActivation?: AeActivation;
  /** Output activation, default 'sigmoid' (pixels in [0, 1]). */
  outputActivation?: AeActivation;
  /** Decoder hidden sizes; default `hidden` reversed (a mirrored decoder). */
  decoderHidden?: readonly number[];
  /** Weight initialisation, default 'torch_default' (PyTorch nn.Linear, as the seed's code). */
  init?: InitName;
  /**
   * Compute ∂loss/∂input in `backward` (default false: nothing upstream of an autoencoder needs
   * it, and skipping it saves the largest GEMM of the backward pass; `backward` then returns an
   * empty [0, input] tensor).
   */
  inputGrad?: boolean;
  /** Draws the initial weights. */
  rng: Rng;
}

/** The resolved options (defaults filled, no rng): what model.json stores. */
export interface AutoencoderConfig {
  readonly input: number;
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly activation: AeActivation;
  readonly latentActivation: AeActivation;
  readonly outputActivation: AeActivation;
  readonly decoderHidden: readonly number[];
  readonly init: InitName;
  readonly inputGrad: boolean;
}

function checkSize(fn: string, what: string, v: unknown): void {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new RangeError(`${fn}: expected ${what} to be a positive integer, got ${String(v)}`);
}

function checkSizes(fn: string, what: string, v: unknown): readonly number[] {
  if (!Array.isArray(v)) throw new TypeError(`${fn}: expected ${what} to be an array of positive integers, got ${String(v)}`);
  v.forEach((h, i) => checkSize(fn, `${what}[${i}]`, h));
  return [...(v as number[])];
}

function checkActivation(fn: string, what: string, v: unknown): AeActivation {
  if (!AE_ACTIVATIONS.includes(v as AeActivation))
    throw new RangeError(`${fn}: expected ${what} to be one of ${AE_ACTIVATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  return v as AeActivation;
}

/** Validates options and fills the defaults. */
export function resolveAutoencoderOptions(o: Omit<AutoencoderOptions, 'rng'>, fn = 'Autoencoder'): AutoencoderConfig {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  checkSize(fn, 'input', o.input);
  checkSize(fn, 'latent', o.latent);
  const hidden = checkSizes(fn, 'hidden', o.hidden);
  const decoderHidden = o.decoderHidden === undefined ? [...hidden].reverse() : checkSizes(fn, 'decoderHidden', o.decoderHidden);
  const init = o.init ?? 'torch_default';
  if (!INIT_NAMES.includes(init)) throw new RangeError(`${fn}: expected init to be one of ${INIT_NAMES.join(', ')}, got ${JSON.stringify(init)}`);
  if (o.inputGrad !== undefined && typeof o.inputGrad !== 'boolean')
    throw new TypeError(`${fn}: expected inputGrad to be a boolean, got ${String(o.inputGrad)}`);
  return {
    input: o.input,
    hidden,
    latent: o.latent,
    activation: checkActivation(fn, 'activation', o.activation ?? 'tanh'),
    latentActivation: checkActivation(fn, 'latentActivation', o.latentActivation ?? 'identity'),
    outputActivation: checkActivation(fn, 'outputActivation', o.outputActivation ?? 'sigmoid'),
    decoderHidden,
    init,
    inputGrad: o.inputGrad ?? false,
  };
}

/** The module for an activation name; identity adds no module (as the seed's latent layer). */
function activationModule(kind: AeActivation): Module | null {
  switch (kind) {
    case 'tanh':
      return new Tanh();
    case 'relu':
      return new ReLU();
    case 'sigmoid':
      return new Sigmoid();
    case 'leaky_relu':
      return new LeakyReLU();
    case 'identity':
      return null;
    default: {
      const never: never = kind;
      throw new RangeError(`Autoencoder: unknown activation ${JSON.stringify(never)}; expected one of ${AE_ACTIVATIONS.join(', ')}`);
    }
  }
}

/** Linear layers through `sizes` with `hidden` after each inner one and `last` after the final one. */
function stack(sizes: readonly number[], hidden: AeActivation, last: AeActivation, init: InitName, rng: Rng, firstInputGrad: boolean): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init, inputGrad: i > 0 || firstInputGrad }));
    const act = activationModule(i + 2 < sizes.length ? hidden : last);
    if (act !== null) layers.push(act);
  }
  return new Sequential(layers);
}

function checkBatchSize(fn: string, b: number): void {
  if (!Number.isSafeInteger(b) || b < 1) throw new RangeError(`${fn}: expected batchSize to be a positive integer, got ${b}`);
}

/** Runs `f` over row batches of `x` in eval mode and gathers its outputs (outCols wide) into a fresh tensor. */
function batched(m: Module, x: Tensor, outCols: number, batchSize: number, f: (xb: Tensor) => Tensor): Tensor {
  const out = Tensor.zeros([x.rows, outCols]);
  const was = m.training;
  m.eval();
  try {
    for (let s = 0; s < x.rows; s += batchSize) {
      const y = f(x.sliceRows(s, Math.min(x.rows, s + batchSize)));
      out.data.set(y.data, s * outCols);
    }
  } finally {
    m.train(was);
  }
  return out;
}

export class Autoencoder extends Module {
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  readonly options: AutoencoderConfig;

  constructor(o: AutoencoderOptions) {
    super();
    const cfg = resolveAutoencoderOptions(o);
    if (!(o.rng instanceof Rng)) throw new TypeError(`Autoencoder: expected rng to be an Rng, got ${String(o.rng)}`);
    this.options = cfg;
    // Encoder layers draw first, then the decoder's; each Linear draws its weight, then its bias.
    this.encoder = stack([cfg.input, ...cfg.hidden, cfg.latent], cfg.activation, cfg.latentActivation, cfg.init, o.rng, cfg.inputGrad);
    this.decoder = stack([cfg.latent, ...cfg.decoderHidden, cfg.input], cfg.activation, cfg.outputActivation, cfg.init, o.rng, true);
  }

  /** x̂ = decoder(encoder(x)) for training; the result is a module-owned buffer. */
  forward(x: Tensor): Tensor {
    expect2d('Autoencoder.forward', x, this.options.input);
    return this.decoder.forward(this.encoder.forward(x));
  }

  /** Back through the decoder then the encoder; returns ∂loss/∂x (empty unless inputGrad). */
  backward(dy: Tensor): Tensor {
    expect2d('Autoencoder.backward', dy, this.options.input, 'gradient columns');
    return this.encoder.backward(this.decoder.backward(dy));
  }

  /** Latent codes of a whole dataset, in eval mode and batches (a fresh n × latent tensor). */
  encode(x: Tensor, batchSize = 1024): Tensor {
    expect2d('Autoencoder.encode', x, this.options.input);
    checkBatchSize('Autoencoder.encode', batchSize);
    return batched(this, x, this.options.latent, batchSize, (xb) => this.encoder.forward(xb));
  }

  /** Decoded images of latent codes, in eval mode and batches (a fresh n × input tensor). */
  decode(z: Tensor, batchSize = 1024): Tensor {
    expect2d('Autoencoder.decode', z, this.options.latent, 'latent columns');
    checkBatchSize('Autoencoder.decode', batchSize);
    return batched(this, z, this.options.input, batchSize, (zb) => this.decoder.forward(zb));
  }

  /** decoder(encoder(x)) over a whole dataset, in eval mode and batches (a fresh tensor). */
  reconstruct(x: Tensor, batchSize = 1024): Tensor {
    expect2d('Autoencoder.reconstruct', x, this.options.input);
    checkBatchSize('Autoencoder.reconstruct', batchSize);
    return batched(this, x, this.options.input, batchSize, (xb) => this.decoder.forward(this.encoder.forward(xb)));
  }

  children(): Module[] {
    return [this.encoder, this.decoder];
  }

  parameters(): Parameter[] {
    return [...this.encoder.parameters(), ...this.decoder.parameters()];
  }

  buffers(): Buffer[] {
    return [...this.encoder.buffers(), ...this.decoder.buffers()];
  }

  namedParameters(prefix = ''): Map<string, Parameter> {
    return new Map([...this.encoder.namedParameters(`${prefix}encoder.`), ...this.decoder.namedParameters(`${prefix}decoder.`)]);
  }

  namedBuffers(prefix = ''): Map<string, Tensor> {
    return new Map([...this.encoder.namedBuffers(`${prefix}encoder.`), ...this.decoder.namedBuffers(`${prefix}decoder.`)]);
  }

  outputShape(input: Shape): Shape {
    return [input[0], this.options.input];
  }

  toString(): string {
    const indent = (s: string): string => s.replace(/\n/g, '\n  ');
    return `Autoencoder(\n  (encoder) ${indent(this.encoder.toString())}\n  (decoder) ${indent(this.decoder.toString())}\n)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Saving and loading
// ---------------------------------------------------------------------------------------------
