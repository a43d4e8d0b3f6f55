/**
 * A variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014; the
 * deep-learning course names image generation as its use): an encoder to the parameters of
 * q(z|x) = N(μ, diag σ²) — a trunk, then two Linear heads, μ and log σ² — and a decoder from z to
 * the pixels' probabilities. Laid out as the natural PyTorch module
 *
 *     self.encoder = nn.Sequential(...)   # x → h
 *     self.mu = nn.Linear(h, p)           # h → μ
 *     self.logvar = nn.Linear(h, p)       # h → log σ²
 *     self.decoder = nn.Sequential(...)   # z → x̂
 *
 * so the state_dict names ("encoder.0.weight", "mu.bias", "logvar.weight", "decoder.4.bias", …)
 * and their order are the ones PyTorch gives it.
 *
 * Two architectures, both on rows of n values:
 * - 'mlp' (default): encoder Linear + activation through `hidden` (default 784-512-256), decoder
 *   the mirror p → 256 → 512 → 784 with the output activation (sigmoid).
 * - 'conv': the convolutional autoencoder's stacks (src/ae/autoencoder.ts, `convEncoderLayers`
 *   without its code layer, and `convDecoderLayers`): stride-2 Conv2d + activation per filter,
 *   Flatten, Linear + activation through `hidden`; the heads read that; the decoder mirrors it
 *   with ConvTranspose2d layers.
 *
 * Training pass (`forwardLoss`, then `backwardLoss`), for a batch of N rows:
 *
 *     z = μ + exp(½·log σ²)·ε,  ε ~ N(0, I) drawn from a seeded Rng (or given)   reparameterisation
 *     rec_i = −Σ_j [x_ij·log x̂_ij + (1 − x_ij)·log(1 − x̂_ij)]  ('bce', logs clamped at −100 as PyTorch)
 *           or Σ_j (x̂_ij − x_ij)²                                 ('mse')
 *     kl_i  = −½ Σ_k (1 + log σ²_ik − μ_ik² − σ²_ik)               KL(N(μ, σ²) ‖ N(0, I)), closed form
 *     loss  = (1/N) Σ_i (rec_i + β·kl_i)                            per-image sums, batch mean
 *
 * With 'bce' and β = 1, rec_i + kl_i is the negative ELBO of image i in nats (one sample of z).
 */
import { AE_ACTIVATIONS, AE_ARCHITECTURES, convDecoderLayers, convEncoderLayers, linears, resolveAutoencoderOptions } from '../ae/autoencoder.js';
import type { AeActivation, AeArchitecture, ConvAeConfig } from '../ae/autoencoder.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module, ensureBuffer, type Buffer, type Parameter } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d, type Shape } from '../tensor/tensor.js';

/** The reconstruction term: 'bce' (Bernoulli pixels, needs a sigmoid output) or 'mse' (squared error). */
export type VaeLoss = 'bce' | 'mse';

export const VAE_LOSSES: readonly VaeLoss[] = ['bce', 'mse'];

/** The fully connected VAE's default hidden sizes (784-512-256 → p, decoder mirrored). */
export const VAE_HIDDEN_DEFAULT: readonly number[] = Object.freeze([512, 256]);

export interface VaeOptions {
  /** Input size n (784 for 28×28 images). */
  input: number;
  /** Latent size p. */
  latent: number;
  /**
   * 'mlp': encoder hidden sizes (default [512, 256]; at least one), mirrored in the decoder.
   * 'conv': fully connected sizes between the last convolution and the heads (default none).
   */
  hidden?: readonly number[];
  /** Hidden activation, default 'relu'. */
  activation?: AeActivation;
  /** Output activation, default 'sigmoid' (pixels in [0, 1]; 'bce' needs it). */
  outputActivation?: AeActivation;
  /** The reconstruction term (default 'bce'): part of the model, p(x|z). */
  loss?: VaeLoss;
  /** 'mlp' (default) or 'conv'. */
  architecture?: AeArchitecture;
  /** 'conv': the input image [channels, height, width]; default [1, √input, √input]. */
  image?: readonly [number, number, number];
  /** 'conv': channels of each stride-2 convolution (default [32, 64, 128]). */
  filters?: readonly number[];
  /** 'conv': square kernel size (default 3). */
  kernel?: number;
  /** Weight initialisation, default 'torch_default' (PyTorch's nn.Linear / nn.Conv2d). */
  init?: InitName;
  /** Compute ∂loss/∂x in backward (default false: nothing upstream needs it). */
  inputGrad?: boolean;
  /** Draws the initial weights: the encoder's, μ's, log σ²'s, then the decoder's. */
  rng: Rng;
}

/** The resolved options (defaults filled, no rng): what model.json stores. */
export interface VaeConfig {
  readonly input: number;
  readonly latent: number;
  readonly hidden: readonly number[];
  readonly activation: AeActivation;
  readonly outputActivation: AeActivation;
  readonly loss: VaeLoss;
  readonly init: InitName;
  readonly inputGrad: boolean;
  readonly architecture: AeArchitecture;
  /** The convolutions of architecture 'conv' (null for 'mlp'). */
  readonly conv: ConvAeConfig | null;
}

/** Mean loss terms of a batch (per image: sums over pixels and latent dimensions). */
export interface VaeLossTerms {
  /** (1/N) Σ_i (rec_i + β·kl_i): what backwardLoss differentiates. */
  loss: number;
  /** (1/N) Σ_i rec_i. */
  reconstruction: number;
  /** (1/N) Σ_i kl_i. */
  kl: number;
}

/** Per-row terms (`negElbo`, `reconstructionError`): one value per input row. */
export interface VaeRowTerms {
  /** reconstruction + kl (β = 1): the negative ELBO (nats, for 'bce'). */
  negElbo: Float64Array;
  reconstruction: Float64Array;
  kl: Float64Array;
}

/** Validates options and fills the defaults. */
export function resolveVaeOptions(o: Omit<VaeOptions, 'rng'>, fn = 'VAE'): VaeConfig {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  const architecture = o.architecture ?? 'mlp';
  if (!AE_ARCHITECTURES.includes(architecture))
    throw new RangeError(`${fn}: expected architecture to be one of ${AE_ARCHITECTURES.join(', ')}, got ${JSON.stringify(architecture)}`);
  const hidden = o.hidden ?? (architecture === 'mlp' ? VAE_HIDDEN_DEFAULT : []);
  const loss = o.loss ?? 'bce';
  if (!VAE_LOSSES.includes(loss)) throw new RangeError(`${fn}: expected loss to be one of ${VAE_LOSSES.join(', ')}, got ${JSON.stringify(loss)}`);
  const outputActivation = o.outputActivation ?? 'sigmoid';
  if (!AE_ACTIVATIONS.includes(outputActivation))
    throw new RangeError(`${fn}: expected outputActivation to be one of ${AE_ACTIVATIONS.join(', ')}, got ${JSON.stringify(outputActivation)}`);
  if (loss === 'bce' && outputActivation !== 'sigmoid')
    throw new RangeError(`${fn}: the bce loss needs probabilities, i.e. outputActivation 'sigmoid', got '${outputActivation}'`);
  // The autoencoder's checks (sizes, activations, init, the conv image and filters) apply as they are.
  const ae = resolveAutoencoderOptions(
    {
      input: o.input,
      hidden,
      latent: o.latent,
      activation: o.activation ?? 'relu',
      outputActivation,
      init: o.init ?? 'torch_default',
      inputGrad: o.inputGrad,
      architecture,
      image: o.image,
      filters: o.filters,
      kernel: o.kernel,
    },
    fn,
  );
  if (architecture === 'mlp' && ae.hidden.length === 0)
    throw new RangeError(`${fn}: a fully connected VAE needs at least one hidden layer before its μ and log σ² heads, got hidden []`);
  if (!INIT_NAMES.includes(ae.init)) throw new RangeError(`internal: ${fn}: init ${ae.init}`);
  return {
    input: ae.input,
    latent: ae.latent,
    hidden: ae.hidden,
    activation: ae.activation,
    outputActivation: ae.outputActivation,
    loss,
    init: ae.init,
    inputGrad: ae.inputGrad,
    architecture,
    conv: ae.conv,
  };
}

function checkBatchSize(fn: string, b: number): void {
  if (!Number.isSafeInteger(b) || b < 1) throw new RangeError(`${fn}: expected batchSize to be a positive integer, got ${b}`);
}

function checkRng(fn: string, rng: unknown): Rng {
  if (!(rng instanceof Rng))
    throw new TypeError(`${fn}: expected rng to be an Rng, got ${rng === null || typeof rng !== 'object' ? String(rng) : rng.constructor.name}`);
  return rng;
}

function checkBeta(fn: string, beta: number): void {
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta))
    throw new RangeError(`${fn}: expected beta to be a finite number ≥ 0, got ${String(beta)}`);
}

/** −[y·log p + (1 − y)·log(1 − p)] with each log clamped at −100, as PyTorch's binary_cross_entropy. */
/** The error for a bce pass the backend refused: the first input or output outside [0, 1]. */
function bceRangeError(fn: string, xh: Float32Array, t: Float32Array, d: number): RangeError {
  for (let j = 0; j < t.length; j++) {
    const row = Math.floor(j / d);
    if (!(t[j] >= 0 && t[j] <= 1))
      return new RangeError(`${fn}: the bce loss needs inputs in [0, 1] (each pixel's probability of ink), got ${t[j]} in row ${row}`);
    if (!(xh[j] >= 0 && xh[j] <= 1)) return new RangeError(`${fn}: the bce loss needs outputs in [0, 1], got ${xh[j]} in row ${row}`);
  }
  return new RangeError(`internal: ${fn}: the bce kernel refused values all in [0, 1]`);
}

/** The pass `forwardLoss` caches for `backwardLoss`. */
interface LossPass {
  rows: number;
  beta: number;
  target: Tensor;
  xhat: Tensor;
}

export class VAE extends Module {
  readonly encoder: Sequential;
  /** The μ head. */
  readonly mu: Linear;
  /** The log σ² head. */
  readonly logvar: Linear;
  readonly decoder: Sequential;
  readonly options: VaeConfig;
  private pass: LossPass | null = null;
  // Buffers of the training pass, reused while the batch size stays the same.
  private epsBuf: Tensor | null = null;
  private stdBuf: Tensor | null = null;
  private zBuf: Tensor | null = null;
  private dxhatBuf: Tensor | null = null;
  private dmuBuf: Tensor | null = null;
  private dlvBuf: Tensor | null = null;
  private dhBuf: Tensor | null = null;
  private noInputGrad: Tensor | null = null;
  // μ and log σ² of the last pass (the heads' own buffers).
  private muOut: Tensor | null = null;
  private lvOut: Tensor | null = null;
  // The deterministic pass (forward / backward: z = μ).
  private deterministic = false;

  constructor(o: VaeOptions) {
    super();
    const cfg = resolveVaeOptions(o);
    checkRng('VAE', o.rng);
    this.options = cfg;
    const rng = o.rng;
    // As PyTorch's __init__ would: the encoder's layers draw first, then μ, log σ², the decoder.
    // The autoencoder's config shape, for its stack builders (hidden = the fully connected sizes).
    const ae = { ...cfg, latentActivation: 'identity' as const, decoderHidden: [...cfg.hidden].reverse() };
    let width: number;
    if (cfg.conv !== null) {
      this.encoder = new Sequential(convEncoderLayers(ae, cfg.conv, rng, false));
      width = cfg.hidden.at(-1) ?? this.encoder.outputShape([1, cfg.input])[1];
    } else {
      this.encoder = new Sequential(linears([], [cfg.input, ...cfg.hidden], cfg.activation, cfg.activation, cfg.init, rng, cfg.inputGrad));
      width = cfg.hidden[cfg.hidden.length - 1];
    }
    this.mu = new Linear(width, cfg.latent, { rng, init: cfg.init });
    this.logvar = new Linear(width, cfg.latent, { rng, init: cfg.init });
    this.decoder =
      cfg.conv !== null
        ? new Sequential(convDecoderLayers(ae, cfg.conv, rng))
        : new Sequential(linears([], [cfg.latent, ...ae.decoderHidden, cfg.input], cfg.activation, cfg.outputActivation, cfg.init, rng, true));
  }

  // ---- the training pass ------------------------------------------------------------------

  /**
   * The loss of a batch (see the file's comment), caching what `backwardLoss` needs. ε is `eps`
   * (N × p) when given, else drawn from `rng` (N·p standard normals, row-major). The
   * reconstruction is compared with `target` (default x itself; e.g. the clean images of noisy x).
   */
  forwardLoss(x: Tensor, o: { rng?: Rng; eps?: Tensor; beta?: number; target?: Tensor }): VaeLossTerms {
    const fn = 'VAE.forwardLoss';
    expect2d(fn, x, this.options.input);
    if (x.rows === 0) throw new RangeError(`${fn}: expected at least one row, got 0`);
    const beta = o.beta ?? 1;
    checkBeta(fn, beta);
    const target = o.target ?? x;
    if (target !== x) {
      expect2d(`${fn}(target)`, target, this.options.input);
      if (target.rows !== x.rows) throw new RangeError(`${fn}: expected target to have the ${x.rows} rows of x, got ${target.rows}`);
    }
    const eps = this.epsilon(fn, x.rows, o);
    const rec = new Float64Array(x.rows);
    const kl = new Float64Array(x.rows);
    // ∂loss/∂x̂ = (1/N)·∂rec/∂x̂ comes with the reconstruction term, for backwardLoss
    this.dxhatBuf = ensureBuffer(this.dxhatBuf, [x.rows, this.options.input]);
    const xhat = this.sampledPass(fn, x, eps, rec, kl, target, this.dxhatBuf);
    this.pass = { rows: x.rows, beta, target, xhat };
    this.deterministic = false;
    let r = 0;
    let k = 0;
    for (let i = 0; i < x.rows; i++) {
      r += rec[i];
      k += kl[i];
    }
    r /= x.rows;
    k /= x.rows;
    return { loss: r + beta * k, reconstruction: r, kl: k };
  }

  /**
   * Accumulates ∂loss/∂θ of the last `forwardLoss` into every parameter's gradient. Returns ∂loss/∂x
   * through the encoder — x as the network's input, not as the reconstruction's target — (an empty
   * [0, n] tensor unless inputGrad).
   */
  backwardLoss(): Tensor {
    const pass = this.pass;
    if (pass === null || this.deterministic) throw new Error('VAE.backwardLoss: called before forwardLoss');
    const { rows: n, beta } = pass;
    const p = this.options.latent;
    const s = 1 / n;
    const mu = this.muOut;
    const lv = this.lvOut;
    const dxhat = this.dxhatBuf;
    if (mu === null || lv === null || this.stdBuf === null || this.epsBuf === null || dxhat === null)
      throw new Error('internal: VAE.backwardLoss: no cached pass');
    const std = this.stdBuf.data;
    const eps = this.epsBuf.data;
    // ∂loss/∂z through the decoder (forwardLoss wrote ∂loss/∂x̂)
    const dz = this.decoder.backward(dxhat).data;
    const dmu = (this.dmuBuf = ensureBuffer(this.dmuBuf, [n, p]));
    const dlv = (this.dlvBuf = ensureBuffer(this.dlvBuf, [n, p]));
    for (let i = 0; i < n * p; i++) {
      // dμ = dz + β·μ/N                                   (z = μ + σε; ∂kl/∂μ = μ)
      dmu.data[i] = dz[i] + beta * s * mu.data[i];
      // d log σ² = dz·ε·½σ + β·½(σ² − 1)/N               (∂z/∂log σ² = ½σε; ∂kl/∂log σ² = ½(e^{log σ²} − 1))
      dlv.data[i] = dz[i] * eps[i] * 0.5 * std[i] + beta * s * 0.5 * (Math.exp(lv.data[i]) - 1);
    }
    // dh = dμ·W_μ + d log σ²·W_logvar (each head also accumulates its own dW, db)
    const dh = this.headsBackward(dmu, dlv);
    return this.encoderBackward(dh);
  }

  // ---- the Module contract: the deterministic pass z = μ -----------------------------------

  /** x̂ = decoder(μ(x)): the reconstruction without sampling (z = μ); a module-owned buffer. */
  forward(x: Tensor): Tensor {
    expect2d('VAE.forward', x, this.options.input);
    const h = this.encoder.forward(x);
    this.muOut = this.mu.forward(h);
    this.deterministic = true;
    this.pass = null;
    return this.decoder.forward(this.muOut);
  }

  /** Back through the decoder, the μ head and the encoder (the log σ² head gets no gradient); returns ∂loss/∂x. */
  backward(dy: Tensor): Tensor {
    if (!this.deterministic) throw new Error('VAE.backward: called before forward (forwardLoss pairs with backwardLoss)');
    expect2d('VAE.backward', dy, this.options.input, 'gradient columns');
    return this.encoderBackward(this.mu.backward(this.decoder.backward(dy)));
  }

  // ---- whole datasets, in eval mode and batches ---------------------------------------------

  /** μ and log σ² of q(z|x) for every row (fresh N × p tensors). */
  encode(x: Tensor, batchSize = 1024): { mu: Tensor; logvar: Tensor } {
    const fn = 'VAE.encode';
    expect2d(fn, x, this.options.input);
    checkBatchSize(fn, batchSize);
    const p = this.options.latent;
    const mu = Tensor.zeros([x.rows, p]);
    const logvar = Tensor.zeros([x.rows, p]);
    this.batches(x.rows, batchSize, (s, e) => {
      const h = this.encoder.forward(x.sliceRows(s, e));
      mu.data.set(this.mu.forward(h).data, s * p);
      logvar.data.set(this.logvar.forward(h).data, s * p);
    });
    return { mu, logvar };
  }

  /** The decoder's output for codes z (N × p → a fresh N × n tensor). */
  decode(z: Tensor, batchSize = 1024): Tensor {
    const fn = 'VAE.decode';
    expect2d(fn, z, this.options.latent, 'latent columns');
    checkBatchSize(fn, batchSize);
    const n = this.options.input;
    const out = Tensor.zeros([z.rows, n]);
    this.batches(z.rows, batchSize, (s, e) => out.data.set(this.decoder.forward(z.sliceRows(s, e)).data, s * n));
    return out;
  }

  /** decoder(μ(x)) for every row: the reconstruction without sampling (a fresh tensor). */
  reconstruct(x: Tensor, batchSize = 1024): Tensor {
    const fn = 'VAE.reconstruct';
    expect2d(fn, x, this.options.input);
    checkBatchSize(fn, batchSize);
    const n = this.options.input;
    const out = Tensor.zeros([x.rows, n]);
    this.batches(x.rows, batchSize, (s, e) => out.data.set(this.decoder.forward(this.mu.forward(this.encoder.forward(x.sliceRows(s, e)))).data, s * n));
    return out;
  }

  /** `count` new images: the decoder's output for z ~ N(0, I) drawn from `rng` (count·p normals, row-major). */
  sample(count: number, rng: Rng): Tensor {
    const fn = 'VAE.sample';
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`${fn}: expected count to be a positive integer, got ${count}`);
    checkRng(fn, rng);
    const z = Tensor.zeros([count, this.options.latent]);
    rng.fillNormal(z.data);
    return this.decode(z);
  }

  /**
   * Per row: the negative ELBO −log p(x|z) + KL(q(z|x) ‖ N(0, I)) with the reconstruction term
   * averaged over `samples` draws of z = μ + σε (ε from `rng`: for each batch of rows, one N × p
   * draw per sample in turn) and the KL in closed form; β = 1 (the bound itself). For 'bce', nats.
   * A Monte-Carlo estimate: its mean over many rows is what `test_neg_elbo` reports.
   */
  negElbo(x: Tensor, rng: Rng, samples = 1, batchSize = 1024): VaeRowTerms {
    const fn = 'VAE.negElbo';
    expect2d(fn, x, this.options.input);
    checkRng(fn, rng);
    if (!Number.isSafeInteger(samples) || samples < 1) throw new RangeError(`${fn}: expected samples to be a positive integer, got ${samples}`);
    checkBatchSize(fn, batchSize);
    const out = { negElbo: new Float64Array(x.rows), reconstruction: new Float64Array(x.rows), kl: new Float64Array(x.rows) };
    this.batches(x.rows, batchSize, (s, e) => {
      const xb = x.sliceRows(s, e);
      const rec = out.reconstruction.subarray(s, e);
      const kl = out.kl.subarray(s, e);
      const one = new Float64Array(e - s);
      for (let k = 0; k < samples; k++) {
        const eps = this.epsilon(fn, e - s, { rng });
        this.sampledPass(fn, xb, eps, one, kl);
        for (let i = 0; i < one.length; i++) rec[i] += one[i] / samples;
      }
    });
    for (let i = 0; i < x.rows; i++) out.negElbo[i] = out.reconstruction[i] + out.kl[i];
    return out;
  }

  /**
   * Per row, without sampling: the reconstruction term of x̂ = decoder(μ(x)) (BCE or squared error
   * summed over the row's values), the KL term, and their sum. Deterministic: an anomaly score.
   */
  reconstructionError(x: Tensor, batchSize = 1024): VaeRowTerms {
    const fn = 'VAE.reconstructionError';
    expect2d(fn, x, this.options.input);
    checkBatchSize(fn, batchSize);
    const out = { negElbo: new Float64Array(x.rows), reconstruction: new Float64Array(x.rows), kl: new Float64Array(x.rows) };
    this.batches(x.rows, batchSize, (s, e) => {
      const xb = x.sliceRows(s, e);
      const zeros = (this.epsBuf = ensureBuffer(this.epsBuf, [e - s, this.options.latent]));
      zeros.data.fill(0);
      this.sampledPass(fn, xb, zeros, out.reconstruction.subarray(s, e), out.kl.subarray(s, e));
    });
    for (let i = 0; i < x.rows; i++) out.negElbo[i] = out.reconstruction[i] + out.kl[i];
    return out;
  }

  // ---- Module plumbing ----------------------------------------------------------------------

  children(): Module[] {
    return [this.encoder, this.mu, this.logvar, this.decoder];
  }

  parameters(): Parameter[] {
    return [...this.encoder.parameters(), ...this.mu.parameters(), ...this.logvar.parameters(), ...this.decoder.parameters()];
  }

  buffers(): Buffer[] {
    return [...this.encoder.buffers(), ...this.decoder.buffers()];
  }

  namedParameters(prefix = ''): Map<string, Parameter> {
    return new Map([
      ...this.encoder.namedParameters(`${prefix}encoder.`),
      ...this.mu.namedParameters(`${prefix}mu.`),
      ...this.logvar.namedParameters(`${prefix}logvar.`),
      ...this.decoder.namedParameters(`${prefix}decoder.`),
    ]);
  }

  namedBuffers(prefix = ''): Map<string, Tensor> {
    return new Map([...this.encoder.namedBuffers(`${prefix}encoder.`), ...this.decoder.namedBuffers(`${prefix}decoder.`)]);
  }

  outputShape(input: Shape): Shape {
    return [input[0], this.options.input];
  }

  toString(): string {
    const indent = (s: string): string => s.replace(/\n/g, '\n  ');
    return `VAE(\n  (encoder) ${indent(this.encoder.toString())}\n  (mu) ${this.mu.toString()}\n  (logvar) ${this.logvar.toString()}\n  (decoder) ${indent(this.decoder.toString())}\n)`;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** ε for N rows: `o.eps` checked, or N·p normals from `o.rng` into a reused buffer. */
  private epsilon(fn: string, rows: number, o: { rng?: Rng; eps?: Tensor }): Tensor {
    const p = this.options.latent;
    if (o.eps !== undefined) {
      if (!(o.eps instanceof Tensor) || o.eps.rank !== 2 || o.eps.rows !== rows || o.eps.cols !== p)
        throw new RangeError(
          `${fn}: expected eps to be a [${rows}, ${p}] tensor, got ${o.eps instanceof Tensor ? `[${o.eps.shape.join(', ')}]` : String(o.eps)}`,
        );
      return o.eps;
    }
    const rng = checkRng(fn, o.rng);
    const eps = (this.epsBuf = ensureBuffer(this.epsBuf, [rows, p]));
    rng.fillNormal(eps.data);
    return eps;
  }

  /**
   * Encoder, heads, z = μ + exp(½ log σ²)·ε, decoder; writes each row's reconstruction term (x̂
   * against `target`) into `rec` and its KL term into `kl`, and returns x̂ (the decoder's buffer). Caches μ, log σ², σ, ε.
   */
  /**
   * The sampled pass: fills rec and kl per row and returns x̂; with `dxhat`, also writes
   * ∂loss/∂x̂ = (1/N)·∂rec/∂x̂: bce (x̂ − x)/max(x̂(1 − x̂), 1e−12) (PyTorch's), mse 2(x̂ − x).
   */
  private sampledPass(fn: string, x: Tensor, eps: Tensor, rec: Float64Array, kl: Float64Array, target: Tensor = x, dxhat: Tensor | null = null): Tensor {
    const n = x.rows;
    const p = this.options.latent;
    const h = this.encoder.forward(x);
    const mu = (this.muOut = this.mu.forward(h));
    const lv = (this.lvOut = this.logvar.forward(h));
    const std = (this.stdBuf = ensureBuffer(this.stdBuf, [n, p]));
    const z = (this.zBuf = ensureBuffer(this.zBuf, [n, p]));
    if (eps !== this.epsBuf) this.epsBuf = eps.clone();
    const e = this.epsBuf.data;
    for (let i = 0; i < n; i++) {
      let k = 0;
      for (let j = i * p; j < (i + 1) * p; j++) {
        std.data[j] = Math.exp(0.5 * lv.data[j]);
        z.data[j] = mu.data[j] + std.data[j] * e[j];
        k += 1 + lv.data[j] - mu.data[j] * mu.data[j] - Math.exp(lv.data[j]);
      }
      kl[i] = -0.5 * k;
    }
    const xhat = this.decoder.forward(z);
    const d = this.options.input;
    const xh = xhat.data;
    const t = target.data;
    if (this.options.loss === 'bce') {
      // the backend's kernel: logs of 100,000 pixels a batch were a quarter of a step in js
      if (Number.isNaN(backend().bce(xh, t, n, d, rec, dxhat?.data ?? null, 1 / n))) throw bceRangeError(fn, xh, t, d);
      return xhat;
    }
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let j = i * d; j < (i + 1) * d; j++) r += (xh[j] - t[j]) * (xh[j] - t[j]);
      rec[i] = r;
    }
    if (dxhat !== null) for (let j = 0; j < xh.length; j++) dxhat.data[j] = (2 * (xh[j] - t[j])) / n;
    return xhat;
  }

  /** ∂loss/∂h of both heads: dμ·W_μ + d log σ²·W_logvar into a reused buffer. */
  private headsBackward(dmu: Tensor, dlv: Tensor): Tensor {
    const a = this.mu.backward(dmu);
    const dh = (this.dhBuf = ensureBuffer(this.dhBuf, a.shape));
    dh.data.set(a.data);
    backend().axpy(dh.size, 1, this.logvar.backward(dlv).data, dh.data);
    return dh;
  }

  /** Back through the encoder; an empty [0, n] gradient unless inputGrad. */
  private encoderBackward(dh: Tensor): Tensor {
    const dx = this.encoder.backward(dh);
    if (dx.rank !== 2 || dx.rows === 0) return (this.noInputGrad ??= Tensor.zeros([0, this.options.input]));
    return dx;
  }

  /** Runs `f(start, end)` over row batches in eval mode (restoring the mode after). */
  private batches(rows: number, batchSize: number, f: (start: number, end: number) => void): void {
    const was = this.training;
    this.eval();
    try {
      for (let s = 0; s < rows; s += batchSize) f(s, Math.min(rows, s + batchSize));
    } finally {
      this.train(was);
    }
  }
}
