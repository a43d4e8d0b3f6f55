/**
 * An autoencoder (seed 001, seed 003 §5, DESOM's AE): an `encoder` Sequential ℝⁿ → ℝᵖ and a
 * `decoder` Sequential ℝᵖ → ℝⁿ, laid out like the seed's PyTorch module
 * (`self.encoder = nn.Sequential(...)`, `self.decoder = nn.Sequential(...)`), so the state_dict
 * names ("encoder.0.weight", "decoder.2.bias", …) are the ones PyTorch gives that module.
 * (Seed 001 is the autoencoder coursework, seed 003 the network library coursework: see
 * docs/references.md.)
 *
 * Two architectures, both taking and giving rows of n values:
 * - 'mlp' (the default): Linear layers input → hidden… → latent → decoderHidden… → input.
 * - 'conv': the rows are images [C, H, W] (`image`). The encoder is Unflatten(1, [C, H, W]), one
 *   Conv2d(k×k, stride 2, padding ⌊k/2⌋) + activation per entry of `filters` (each halves the
 *   height and width, rounding up for an odd kernel), Flatten, then Linear layers through `hidden`
 *   to the latent code. The decoder mirrors it: Linear layers through `decoderHidden` to the last
 *   convolution's maps + activation, Unflatten, one ConvTranspose2d(k×k, stride 2, same padding,
 *   output_padding picked so each restores the size its convolution read) + activation per filter
 *   in reverse, the last one back to C channels, then Flatten and the output activation. As a
 *   PyTorch nn.Sequential of nn.Unflatten / nn.Conv2d / nn.ReLU / nn.Flatten / nn.Linear /
 *   nn.ConvTranspose2d it has the same state_dict names.
 */
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { ConvTranspose2d } from '../nn/conv-transpose2d.js';
import { Conv2d } from '../nn/conv2d.js';
import { convOutputSize, convTransposeOutputSize } from '../nn/conv-shape.js';
import { Flatten, Unflatten } from '../nn/flatten.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module, type Buffer, type Parameter } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../random.js';
import type { Shape } from '../tensor/tensor.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export type AeActivation = 'tanh' | 'relu' | 'sigmoid' | 'leaky_relu' | 'identity';

export const AE_ACTIVATIONS: readonly AeActivation[] = ['tanh', 'relu', 'sigmoid', 'leaky_relu', 'identity'];

/** 'mlp': fully connected layers; 'conv': strided convolutions, then fully connected layers to the code (see the file's comment). */
export type AeArchitecture = 'mlp' | 'conv';

export const AE_ARCHITECTURES: readonly AeArchitecture[] = ['mlp', 'conv'];

/** A convolutional autoencoder's default filters (three stride-2 convolutions: 28×28 → 14 → 7 → 4). */
export const CONV_AE_FILTERS: readonly number[] = Object.freeze([32, 64, 128]);

/** A convolutional autoencoder's default kernel size. */
export const CONV_AE_KERNEL = 3;

/** A convolutional autoencoder's image settings (what model.json records). */
export interface ConvAeConfig {
  /** The input image [channels, height, width] (channels · height · width = input). */
  readonly image: readonly [number, number, number];
  /** Channels of each stride-2 convolution of the encoder. */
  readonly filters: readonly number[];
  /** Square kernel size of every convolution. */
  readonly kernel: number;
}

export interface AutoencoderOptions {
  /** Input size n (784 for 28×28 images). */
  input: number;
  /**
   * Encoder hidden sizes, e.g. [128] (seed 001 listing 1) or [256, 128] (listing 4); may be empty.
   * With architecture 'conv': fully connected layers between the flattened maps of the last
   * convolution and the code (often empty).
   */
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
  /** 'mlp' (default) or 'conv'. */
  architecture?: AeArchitecture;
  /** 'conv': the input image [channels, height, width]; default [1, √input, √input] when input is a square. */
  image?: readonly [number, number, number];
  /** 'conv': channels of each stride-2 convolution (default [32, 64, 128]). */
  filters?: readonly number[];
  /** 'conv': square kernel size, padding ⌊kernel/2⌋ (default 3). */
  kernel?: number;
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
  readonly architecture: AeArchitecture;
  /** The convolutions of architecture 'conv' (null for 'mlp'). */
  readonly conv: ConvAeConfig | null;
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
  const architecture = o.architecture ?? 'mlp';
  if (!AE_ARCHITECTURES.includes(architecture))
    throw new RangeError(`${fn}: expected architecture to be one of ${AE_ARCHITECTURES.join(', ')}, got ${JSON.stringify(architecture)}`);
  let conv: ConvAeConfig | null = null;
  if (architecture === 'conv') conv = resolveConv(fn, o);
  else {
    for (const key of ['image', 'filters', 'kernel'] as const) {
      if (o[key] !== undefined) throw new RangeError(`${fn}: ${key} is an option of architecture 'conv', not '${architecture}'`);
    }
  }
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
    architecture,
    conv,
  };
}

/** The image of a conv autoencoder: given, or a square single-channel one when input is a square. */
function resolveImage(fn: string, input: number, image: unknown): [number, number, number] {
  if (image === undefined) {
    const side = Math.round(Math.sqrt(input));
    if (side * side !== input)
      throw new RangeError(`${fn}: a conv autoencoder needs the image shape [channels, height, width] of its ${input} inputs (not a square, so give image)`);
    return [1, side, side];
  }
  if (!Array.isArray(image) || image.length !== 3) throw new TypeError(`${fn}: expected image to be [channels, height, width], got ${JSON.stringify(image)}`);
  ['channels', 'height', 'width'].forEach((what, i) => checkSize(fn, `image ${what}`, image[i]));
  const [c, h, w] = image as number[];
  if (c * h * w !== input) throw new RangeError(`${fn}: image [${c}, ${h}, ${w}] has ${c * h * w} values, but input is ${input}`);
  return [c, h, w];
}

function resolveConv(fn: string, o: Omit<AutoencoderOptions, 'rng'>): ConvAeConfig {
  const image = resolveImage(fn, o.input, o.image);
  const filters = checkSizes(fn, 'filters', o.filters ?? CONV_AE_FILTERS);
  if (filters.length === 0) throw new RangeError(`${fn}: a conv autoencoder needs at least one convolution (filters is empty)`);
  const kernel = o.kernel ?? CONV_AE_KERNEL;
  checkSize(fn, 'kernel', kernel);
  const cfg = { image, filters, kernel };
  convAeSizes(fn, cfg); // throws when the image is too small for that many convolutions
  return cfg;
}

/** "1×28×28 conv 32-64-128 (3×3, stride 2)-128-10": a conv encoder in a line (the decoder mirrors it). */
export function convArchitecture(conv: ConvAeConfig, hidden: readonly number[], latent: number): string {
  const k = conv.kernel;
  return [`${conv.image.join('×')} conv ${conv.filters.join('-')} (${k}×${k}, stride ${CONV_STRIDE})`, ...hidden, latent].join('-');
}

/**
 * An autoencoder in a line: "784-128-2-128-784" (mlp, every layer's size) or, for 'conv', its
 * encoder (`convArchitecture`; the decoder mirrors it).
 */
export function aeArchitecture(c: AutoencoderConfig): string {
  if (c.conv === null) return [c.input, ...c.hidden, c.latent, ...c.decoderHidden, c.input].join('-');
  return convArchitecture(c.conv, c.hidden, c.latent);
}

/** Stride and padding of every convolution of a conv autoencoder. */
const CONV_STRIDE = 2;
const convPadding = (kernel: number): number => Math.floor(kernel / 2);

/**
 * The [height, width] of the image and of each convolution's output (filters.length + 1 entries),
 * and the output padding each transposed convolution needs to give back the size its convolution read.
 */
export function convAeSizes(fn: string, c: ConvAeConfig): { sizes: [number, number][]; outputPadding: [number, number][] } {
  const k = c.kernel;
  const p = convPadding(k);
  const sizes: [number, number][] = [[c.image[1], c.image[2]]];
  for (let i = 0; i < c.filters.length; i++) {
    const [h, w] = sizes[i];
    try {
      sizes.push([convOutputSize(h, k, CONV_STRIDE, p), convOutputSize(w, k, CONV_STRIDE, p)]);
    } catch (e) {
      throw new RangeError(
        `${fn}: a ${h}×${w} image is too small for convolution ${i + 1} of ${c.filters.length} (kernel ${k}, stride ${CONV_STRIDE}): ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
  const outputPadding = c.filters.map((_, i): [number, number] => {
    const [h, w] = sizes[i + 1];
    const op: [number, number] = [sizes[i][0] - convTransposeOutputSize(h, k, CONV_STRIDE, p), sizes[i][1] - convTransposeOutputSize(w, k, CONV_STRIDE, p)];
    if (op.some((v) => v < 0 || v >= CONV_STRIDE))
      throw new RangeError(`${fn}: no transposed convolution (kernel ${k}, stride ${CONV_STRIDE}) maps ${h}×${w} back to ${sizes[i][0]}×${sizes[i][1]}`);
    return op;
  });
  return { sizes, outputPadding };
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

/** Linear layers through `sizes` with `hidden` after each inner one and `last` after the final one, appended to `layers` (the VAE builds its stacks with it too). */
export function linears(
  layers: Module[],
  sizes: readonly number[],
  hidden: AeActivation,
  last: AeActivation,
  init: InitName,
  rng: Rng,
  firstInputGrad: boolean,
): Module[] {
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init, inputGrad: i > 0 || firstInputGrad }));
    const act = activationModule(i + 2 < sizes.length ? hidden : last);
    if (act !== null) layers.push(act);
  }
  return layers;
}

function stack(sizes: readonly number[], hidden: AeActivation, last: AeActivation, init: InitName, rng: Rng, firstInputGrad: boolean): Sequential {
  return new Sequential(linears([], sizes, hidden, last, init, rng, firstInputGrad));
}

/** The encoder and decoder of architecture 'conv' (see the file's comment); the encoder's layers draw first. */
function convStacks(cfg: AutoencoderConfig, conv: ConvAeConfig, rng: Rng): { encoder: Sequential; decoder: Sequential } {
  const encoder = new Sequential(convEncoderLayers(cfg, conv, rng));
  return { encoder, decoder: new Sequential(convDecoderLayers(cfg, conv, rng)) };
}

/** Appends the module for an activation name to `layers` (identity adds none). */
function pushActivation(kind: AeActivation, layers: Module[]): void {
  const m = activationModule(kind);
  if (m !== null) layers.push(m);
}

/**
 * The encoder layers of architecture 'conv': Unflatten, the stride-2 convolutions with their
 * activations, Flatten, then Linear + activation through `cfg.hidden` and, with `head` (default),
 * the Linear to the code with the latent activation. Without it the layers end at the last hidden
 * size (or the flattened maps): the VAE puts its two heads, μ and log σ², there.
 */
export function convEncoderLayers(cfg: AutoencoderConfig, conv: ConvAeConfig, rng: Rng, head = true): Module[] {
  const { sizes } = convAeSizes('Autoencoder', conv);
  const { filters, kernel, image } = conv;
  const padding = convPadding(kernel);
  const channels = [image[0], ...filters];
  const L = filters.length;
  const flat = filters[L - 1] * sizes[L][0] * sizes[L][1];
  const enc: Module[] = [new Unflatten(1, [...image])];
  for (let i = 0; i < L; i++) {
    enc.push(new Conv2d(channels[i], channels[i + 1], kernel, { rng, stride: CONV_STRIDE, padding, init: cfg.init, inputGrad: i > 0 || cfg.inputGrad }));
    pushActivation(cfg.activation, enc);
  }
  enc.push(new Flatten());
  if (head) return linears(enc, [flat, ...cfg.hidden, cfg.latent], cfg.activation, cfg.latentActivation, cfg.init, rng, true);
  return linears(enc, [flat, ...cfg.hidden], cfg.activation, cfg.activation, cfg.init, rng, true);
}

/**
 * The decoder layers of architecture 'conv': Linear + activation from the code through
 * `cfg.decoderHidden` to the last convolution's maps, Unflatten, the transposed convolutions in
 * reverse, Flatten and the output activation.
 */
export function convDecoderLayers(cfg: AutoencoderConfig, conv: ConvAeConfig, rng: Rng): Module[] {
  const { sizes, outputPadding } = convAeSizes('Autoencoder', conv);
  const { filters, kernel, image } = conv;
  const padding = convPadding(kernel);
  const channels = [image[0], ...filters];
  const L = filters.length;
  const [lastH, lastW] = sizes[L];
  const flat = filters[L - 1] * lastH * lastW;
  const dec = linears([], [cfg.latent, ...cfg.decoderHidden, flat], cfg.activation, cfg.activation, cfg.init, rng, true);
  dec.push(new Unflatten(1, [filters[L - 1], lastH, lastW]));
  for (let i = L - 1; i >= 0; i--) {
    dec.push(new ConvTranspose2d(channels[i + 1], channels[i], kernel, { rng, stride: CONV_STRIDE, padding, outputPadding: outputPadding[i], init: cfg.init }));
    if (i > 0) pushActivation(cfg.activation, dec);
  }
  // Flatten before the output activation, so the activation ends the network (capture's 'output').
  dec.push(new Flatten());
  pushActivation(cfg.outputActivation, dec);
  return dec;
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
  private noInputGrad: Tensor | null = null;

  constructor(o: AutoencoderOptions) {
    super();
    const cfg = resolveAutoencoderOptions(o);
    if (!(o.rng instanceof Rng)) throw new TypeError(`Autoencoder: expected rng to be an Rng, got ${String(o.rng)}`);
    this.options = cfg;
    // Encoder layers draw first, then the decoder's; each layer draws its weight, then its bias.
    if (cfg.conv !== null) {
      const { encoder, decoder } = convStacks(cfg, cfg.conv, o.rng);
      this.encoder = encoder;
      this.decoder = decoder;
    } else {
      this.encoder = stack([cfg.input, ...cfg.hidden, cfg.latent], cfg.activation, cfg.latentActivation, cfg.init, o.rng, cfg.inputGrad);
      this.decoder = stack([cfg.latent, ...cfg.decoderHidden, cfg.input], cfg.activation, cfg.outputActivation, cfg.init, o.rng, true);
    }
  }

  /** x̂ = decoder(encoder(x)) for training; the result is a module-owned buffer. */
  forward(x: Tensor): Tensor {
    expect2d('Autoencoder.forward', x, this.options.input);
    return this.decoder.forward(this.encoder.forward(x));
  }

  /** Back through the decoder then the encoder; returns ∂loss/∂x (an empty [0, input] tensor unless inputGrad). */
  backward(dy: Tensor): Tensor {
    expect2d('Autoencoder.backward', dy, this.options.input, 'gradient columns');
    const dx = this.encoder.backward(this.decoder.backward(dy));
    // A conv encoder's first convolution answers an empty [0, C, H, W] without inputGrad.
    if (dx.rank !== 2) return (this.noInputGrad ??= Tensor.zeros([0, this.options.input]));
    return dx;
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
