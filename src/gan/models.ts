/**
 * Generative adversarial networks (Goodfellow et al., 2014; the deep-learning course's last
 * chapter): a generator G maps a latent vector z ~ N(0, I) to an image, a discriminator D maps an
 * image to one logit, "real" (> 0) or "generated" (< 0). Two architectures:
 *
 * - `mlp`: G  z → 256 → 512 → 1024 → C·H·W, LeakyReLU(0.2) between, tanh output (images scaled to
 *   [−1, 1]); D  C·H·W → 512 → 256 → 1, LeakyReLU(0.2) between, a logit out.
 * - `dcgan` (Radford et al., 2016, for 28×28 digits): G  Linear(z → c₀·(H/4)·(W/4)) → BatchNorm1d →
 *   ReLU → Unflatten → ConvTranspose2d(c₀ → c₁, 4, stride 2, padding 1) (H/4 → H/2) → BatchNorm2d →
 *   ReLU → ConvTranspose2d(c₁ → C, 4, 2, 1) (H/2 → H) → tanh; D  Conv2d(C → d₀, 4, 2, 1) (H → H/2)
 *   → LeakyReLU(0.2) → Conv2d(d₀ → d₁, 4, 2, 1) (H/2 → H/4) → BatchNorm2d → LeakyReLU(0.2) →
 *   Flatten → Linear(d₁·(H/4)·(W/4) → 1). As DCGAN: no pooling, strided convolutions; batch norm
 *   everywhere but G's output and D's input layer; no bias in a layer batch norm follows (batch
 *   norm subtracts it again: its gradient is 0, in float32 rounding noise that Adam would turn
 *   into steps of ±lr).
 *
 * Conditional GAN (Mirza & Osindero, 2014): "z carries the wanted class". The class k is a one-hot
 * vector e_k of K values, concatenated to G's input, [z, e_k] (K more inputs to its first Linear),
 * and to D's input: [x, e_k] for the mlp (K more input features); for the dcgan, as K more input
 * channels, constant planes (plane k all ones, the others zeros), so D's first convolution sees
 * the class at every pixel. Either way each row's image comes first, so D's input gradient for the
 * image (what trains G) is the first C·H·W values of each row.
 *
 * G ends with a Flatten: both networks speak rows of C·H·W values, as the datasets do.
 */
import { LeakyReLU, ReLU, Tanh } from '../nn/activation.js';
import { BatchNorm1d } from '../nn/batchnorm1d.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { ConvTranspose2d } from '../nn/conv-transpose2d.js';
import { Conv2d } from '../nn/conv2d.js';
import { Dropout } from '../nn/dropout.js';
import { Dropout2d } from '../nn/dropout2d.js';
import { Flatten, Unflatten } from '../nn/flatten.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { ensureBuffer, type Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import type { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export type GanArch = 'mlp' | 'dcgan';

export const GAN_ARCHS: readonly GanArch[] = ['mlp', 'dcgan'];

/** The mlp generator's hidden sizes (z → 256 → 512 → 1024 → image). */
export const GAN_G_HIDDEN: readonly number[] = [256, 512, 1024];
/** The mlp discriminator's hidden sizes (image → 512 → 256 → 1). */
export const GAN_D_HIDDEN: readonly number[] = [512, 256];
/** The dcgan generator's channels at H/4 and H/2 (then the image's channels at H). */
export const GAN_G_CHANNELS: readonly [number, number] = [128, 64];
/** The dcgan discriminator's channels at H/2 and H/4. */
export const GAN_D_CHANNELS: readonly [number, number] = [64, 128];
/** The latent size (DCGAN's). */
export const GAN_LATENT = 100;
/** LeakyReLU's negative slope in both networks (DCGAN's 0.2). */
export const GAN_SLOPE = 0.2;

/** What a GAN is: architecture, sizes and conditioning (defaults in resolveGanOptions). */
export interface GanOptions {
  arch?: GanArch;
  /** The images: [channels, height, width]; for dcgan, height and width divisible by 4. */
  image: readonly [number, number, number];
  /** Latent size (default 100). */
  latent?: number;
  /** Conditional on one of this many classes (the one-hot appended to both inputs); 0 = unconditional (default). */
  classes?: number;
  /** mlp: G's hidden sizes (default 256, 512, 1024). */
  gHidden?: readonly number[];
  /** mlp: D's hidden sizes (default 512, 256). */
  dHidden?: readonly number[];
  /** dcgan: G's channels at H/4 and H/2 (default 128, 64). */
  gChannels?: readonly [number, number];
  /** dcgan: D's channels at H/2 and H/4 (default 64, 128). */
  dChannels?: readonly [number, number];
  /** LeakyReLU slope (default 0.2). */
  slope?: number;
  /** Dropout in D after each hidden activation (Dropout for mlp, Dropout2d for dcgan); default 0 (none). */
  dropout?: number;
  /** Weight initialisation (default torch_default, PyTorch's). */
  init?: InitName;
}

/** GanOptions with every default filled in. */
export type ResolvedGanOptions = Required<Omit<GanOptions, 'image' | 'gChannels' | 'dChannels'>> & {
  image: [number, number, number];
  gChannels: [number, number];
  dChannels: [number, number];
};

function positiveInt(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new RangeError(`${fn}: expected ${what} to be a positive integer, got ${String(v)}`);
  return v;
}

function sizes(fn: string, what: string, v: readonly number[], length?: number): number[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length) || (length === undefined && v.length === 0))
    throw new RangeError(
      `${fn}: expected ${what} to be ${length === undefined ? 'a non-empty list' : `${length}`} positive integers, got ${JSON.stringify(v)}`,
    );
  return v.map((x, i) => positiveInt(fn, `${what}[${i}]`, x));
}

/** Validates options and fills in the defaults; errors name the option and the value. */
export function resolveGanOptions(o: GanOptions, fn = 'Gan'): ResolvedGanOptions {
  const arch = o.arch ?? 'mlp';
  if (!GAN_ARCHS.includes(arch)) throw new RangeError(`${fn}: expected arch to be one of ${GAN_ARCHS.join(', ')}, got ${JSON.stringify(arch)}`);
  if (!Array.isArray(o.image) || o.image.length !== 3)
    throw new RangeError(`${fn}: expected image to be [channels, height, width], got ${JSON.stringify(o.image)}`);
  const image = sizes(fn, 'image', o.image, 3) as [number, number, number];
  if (arch === 'dcgan' && (image[1] % 4 !== 0 || image[2] % 4 !== 0))
    throw new RangeError(`${fn}: the dcgan upsamples twice by 2, so it needs a height and width divisible by 4, got ${image[1]}×${image[2]}`);
  const classes = o.classes ?? 0;
  if (!Number.isSafeInteger(classes) || classes < 0 || classes === 1)
    throw new RangeError(`${fn}: expected classes to be 0 (unconditional) or an integer ≥ 2, got ${String(classes)}`);
  const slope = o.slope ?? GAN_SLOPE;
  if (!(typeof slope === 'number' && slope > 0 && Number.isFinite(slope))) throw new RangeError(`${fn}: expected slope > 0, got ${String(slope)}`);
  const dropout = o.dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new RangeError(`${fn}: expected dropout in [0, 1), got ${String(dropout)}`);
  const init = o.init ?? 'torch_default';
  if (!INIT_NAMES.includes(init)) throw new RangeError(`${fn}: expected init to be one of ${INIT_NAMES.join(', ')}, got ${JSON.stringify(init)}`);
  return {
    arch,
    image,
    latent: positiveInt(fn, 'latent', o.latent ?? GAN_LATENT),
    classes,
    gHidden: sizes(fn, 'gHidden', o.gHidden ?? GAN_G_HIDDEN),
    dHidden: sizes(fn, 'dHidden', o.dHidden ?? GAN_D_HIDDEN),
    gChannels: sizes(fn, 'gChannels', o.gChannels ?? GAN_G_CHANNELS, 2) as [number, number],
    dChannels: sizes(fn, 'dChannels', o.dChannels ?? GAN_D_CHANNELS, 2) as [number, number],
    slope,
    dropout,
    init,
  };
}

/** The generator: G's input rows (latent + classes values) → image rows in [−1, 1]. */
export function buildGenerator(o: ResolvedGanOptions, rng: Rng): Sequential {
  const [c, h, w] = o.image;
  const inputs = o.latent + o.classes;
  const init = o.init;
  switch (o.arch) {
    case 'mlp': {
      const layers: Module[] = [];
      let n = inputs;
      for (const [i, units] of o.gHidden.entries()) {
        layers.push(new Linear(n, units, { rng, init, inputGrad: i > 0 }), new LeakyReLU(o.slope));
        n = units;
      }
      layers.push(new Linear(n, c * h * w, { rng, init }), new Tanh());
      return new Sequential(layers);
    }
    case 'dcgan': {
      const [c0, c1] = o.gChannels;
      const base = c0 * (h / 4) * (w / 4);
      return new Sequential([
        new Linear(inputs, base, { rng, init, bias: false, inputGrad: false }),
        new BatchNorm1d(base),
        new ReLU(),
        new Unflatten(1, [c0, h / 4, w / 4]),
        new ConvTranspose2d(c0, c1, 4, { rng, init, bias: false, stride: 2, padding: 1 }),
        new BatchNorm2d(c1),
        new ReLU(),
        new ConvTranspose2d(c1, c, 4, { rng, init, stride: 2, padding: 1 }),
        new Tanh(),
        new Flatten(),
      ]);
    }
    default: {
      const never: never = o.arch;
      throw new RangeError(`buildGenerator: unknown arch ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The discriminator: D's input rows (the image, then the class's one-hot values or planes) → one
 * logit. Its first layer computes its input gradient: the generator learns through it.
 */
export function buildDiscriminator(o: ResolvedGanOptions, rng: Rng, dropoutRng: Rng = rng): Sequential {
  const [c, h, w] = o.image;
  const init = o.init;
  switch (o.arch) {
    case 'mlp': {
      const layers: Module[] = [];
      let n = c * h * w + o.classes;
      for (const units of o.dHidden) {
        layers.push(new Linear(n, units, { rng, init }), new LeakyReLU(o.slope));
        if (o.dropout > 0) layers.push(new Dropout(o.dropout, dropoutRng));
        n = units;
      }
      layers.push(new Linear(n, 1, { rng, init }));
      return new Sequential(layers);
    }
    case 'dcgan': {
      const [d0, d1] = o.dChannels;
      const drop = (): Module[] => (o.dropout > 0 ? [new Dropout2d(o.dropout, { rng: dropoutRng })] : []);
      return new Sequential([
        new Unflatten(1, [c + o.classes, h, w]),
        new Conv2d(c + o.classes, d0, 4, { rng, init, stride: 2, padding: 1 }),
        new LeakyReLU(o.slope),
        ...drop(),
        new Conv2d(d0, d1, 4, { rng, init, bias: false, stride: 2, padding: 1 }),
        new BatchNorm2d(d1),
        new LeakyReLU(o.slope),
        ...drop(),
        new Flatten(),
        new Linear(d1 * (h / 4) * (w / 4), 1, { rng, init }),
      ]);
    }
    default: {
      const never: never = o.arch;
      throw new RangeError(`buildDiscriminator: unknown arch ${JSON.stringify(never)}`);
    }
  }
}

/** "mlp 100-256-512-1024-784 / 784-512-256-1", or the dcgan's layers, "+ 10 classes" when conditional. */
export function describeGan(o: ResolvedGanOptions): string {
  const [c, h, w] = o.image;
  const px = c * h * w;
  const cond = o.classes > 0 ? `, conditional on ${o.classes} classes` : '';
  if (o.arch === 'mlp') return `mlp G ${[o.latent, ...o.gHidden, px].join('-')}, D ${[px, ...o.dHidden, 1].join('-')}${cond}`;
  const [c0, c1] = o.gChannels;
  const [d0, d1] = o.dChannels;
  return `dcgan G ${o.latent} → ${c0}×${h / 4}×${w / 4} → ${c1}×${h / 2}×${w / 2} → ${c}×${h}×${w}, D ${c}×${h}×${w} → ${d0}×${h / 2}×${w / 2} → ${d1}×${h / 4}×${w / 4} → 1${cond}`;
}

function checkLabels(fn: string, labels: Int32Array | undefined, rows: number, classes: number): void {
  if (classes === 0) {
    if (labels !== undefined) throw new RangeError(`${fn}: an unconditional GAN takes no labels, got ${labels.length}`);
    return;
  }
  if (!(labels instanceof Int32Array)) throw new TypeError(`${fn}: a conditional GAN needs an Int32Array of ${rows} class labels, got ${String(labels)}`);
  if (labels.length !== rows) throw new RangeError(`${fn}: expected ${rows} labels (one per row), got ${labels.length}`);
  for (let i = 0; i < rows; i++) {
    if (!(labels[i] >= 0 && labels[i] < classes)) throw new RangeError(`${fn}: expected labels in 0..${classes - 1}, got ${labels[i]} at row ${i}`);
  }
}

/** A generator and a discriminator built together from one set of options. */
export class Gan {
  readonly options: ResolvedGanOptions;
  readonly generator: Sequential;
  readonly discriminator: Sequential;
  private gIn: Tensor | null = null;
  private dIn: Tensor | null = null;

  /** `rng` draws the initial weights (G's, then D's); `dropoutRng` (default `rng`) D's dropout masks. */
  constructor(options: GanOptions & { rng: Rng; dropoutRng?: Rng }) {
    this.options = resolveGanOptions(options);
    this.generator = buildGenerator(this.options, options.rng);
    this.discriminator = buildDiscriminator(this.options, options.rng, options.dropoutRng ?? options.rng);
  }

  /** Values per image (C·H·W). */
  get imageSize(): number {
    const [c, h, w] = this.options.image;
    return c * h * w;
  }

  /** True when G and D take a class. */
  get conditional(): boolean {
    return this.options.classes > 0;
  }

  /**
   * G's input: z (n × latent) as is, or for a conditional GAN [z, one-hot(labels)] (a GAN-owned
   * buffer, overwritten by the next call).
   */
  generatorInput(z: Tensor, labels?: Int32Array): Tensor {
    const fn = 'Gan.generatorInput';
    expect2d(fn, z, this.options.latent, 'latent values');
    checkLabels(fn, labels, z.rows, this.options.classes);
    if (labels === undefined) return z;
    const k = this.options.classes;
    const d = this.options.latent + k;
    const out = (this.gIn = ensureBuffer(this.gIn, [z.rows, d]));
    out.data.fill(0);
    for (let r = 0; r < z.rows; r++) {
      out.data.set(z.data.subarray(r * this.options.latent, (r + 1) * this.options.latent), r * d);
      out.data[r * d + this.options.latent + labels[r]] = 1;
    }
    return out;
  }

  /**
   * D's input: image rows x as they are, or for a conditional GAN each row followed by the class's
   * one-hot (mlp) or its K constant planes (dcgan) (a GAN-owned buffer, overwritten by the next call).
   */
  discriminatorInput(x: Tensor, labels?: Int32Array): Tensor {
    const fn = 'Gan.discriminatorInput';
    expect2d(fn, x, this.imageSize, 'image values');
    checkLabels(fn, labels, x.rows, this.options.classes);
    if (labels === undefined) return x;
    const px = this.imageSize;
    const k = this.options.classes;
    const [, h, w] = this.options.image;
    const plane = this.options.arch === 'dcgan' ? h * w : 1;
    const d = px + k * plane;
    const out = (this.dIn = ensureBuffer(this.dIn, [x.rows, d]));
    for (let r = 0; r < x.rows; r++) {
      out.data.set(x.data.subarray(r * px, (r + 1) * px), r * d);
      out.data.fill(0, r * d + px, (r + 1) * d);
      const at = r * d + px + labels[r] * plane;
      out.data.fill(1, at, at + plane);
    }
    return out;
  }

  /** n latent vectors z ~ N(0, I), drawn from `rng`. */
  sampleLatent(n: number, rng: Rng): Tensor {
    positiveInt('Gan.sampleLatent', 'n', n);
    const z = Tensor.zeros([n, this.options.latent]);
    rng.fillNormal(z.data);
    return z;
  }

  /** G(z) (with the classes `labels` for a conditional GAN), in eval mode and batches: a fresh n × C·H·W tensor in [−1, 1]. */
  generate(z: Tensor, labels?: Int32Array, batchSize = 500): Tensor {
    const fn = 'Gan.generate';
    expect2d(fn, z, this.options.latent, 'latent values');
    checkLabels(fn, labels, z.rows, this.options.classes);
    const out = Tensor.zeros([z.rows, this.imageSize]);
    const g = this.generator;
    const was = g.training;
    g.eval();
    try {
      for (let s = 0; s < z.rows; s += batchSize) {
        const e = Math.min(z.rows, s + batchSize);
        const y = g.forward(this.generatorInput(z.sliceRows(s, e), labels?.subarray(s, e)));
        out.data.set(y.data, s * this.imageSize);
      }
    } finally {
      g.train(was);
    }
    return out;
  }

  /** D's logits for image rows x (eval mode, batches): a fresh n-value array. */
  discriminate(x: Tensor, labels?: Int32Array, batchSize = 500): Float32Array {
    const fn = 'Gan.discriminate';
    expect2d(fn, x, this.imageSize, 'image values');
    checkLabels(fn, labels, x.rows, this.options.classes);
    const out = new Float32Array(x.rows);
    const d = this.discriminator;
    const was = d.training;
    d.eval();
    try {
      for (let s = 0; s < x.rows; s += batchSize) {
        const e = Math.min(x.rows, s + batchSize);
        out.set(d.forward(this.discriminatorInput(x.sliceRows(s, e), labels?.subarray(s, e))).data, s);
      }
    } finally {
      d.train(was);
    }
    return out;
  }

  parameterCount(): { generator: number; discriminator: number } {
    return { generator: this.generator.parameterCount(), discriminator: this.discriminator.parameterCount() };
  }

  toString(): string {
    return `Gan(${describeGan(this.options)})\nG ${this.generator.toString()}\nD ${this.discriminator.toString()}`;
  }
}
