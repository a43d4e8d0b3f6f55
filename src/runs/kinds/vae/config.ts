/**
 * The config of a `vae` run (`latentlab train vae`): by default a fully connected VAE
 * 784-512-256 → (μ, log σ²) ∈ ℝ² and the mirrored decoder, ReLU hidden, sigmoid output, the
 * Bernoulli (BCE) reconstruction term summed over the pixels, Adam lr 1e-3, batch 128 — PyTorch's
 * VAE example's training with a wider network and p = 2 — or with `conv` the convolutional
 * autoencoder's stacks (stride-2 convolutions of `filters` channels, `kernel`×`kernel`, then the
 * `dense` layers) under the two heads; optionally on a class subset (`classes`, `per_class`, as `train ae`:
 * the labels the figures colour by renumbered 0..K−1), e.g. every digit but one for the held-out
 * anomaly experiment (`latentlab anomaly`). Its refusals name the value refused (`explained`).
 */
import { z } from 'zod';
import { AE_ACTIVATIONS, CONV_AE_FILTERS, CONV_AE_KERNEL } from '../../../ae/autoencoder.js';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { VAE_HIDDEN_DEFAULT, VAE_LOSSES } from '../../../vae/vae.js';
import { classSubsetFields, commonFields, explained, refineClassSubset, runFields } from '../common.js';

const { int, positive, nonNegative, choice } = explained;
const common = commonFields(explained);

/**
 * The default number of epochs: 20 passes of the 60,000 MNIST digits took 255 s on one thread
 * (native backend, a 2-core machine shared with other jobs) for the default model; the test
 * negative ELBO was then still falling, by about 0.3 nats per epoch over the last ten (docs/vae.md).
 */
export const VAE_EPOCHS_DEFAULT = 20;

export const vaeConfigSchema = z
  .strictObject({
    dataset: common.dataset,
    data_dir: common.data_dir,
    latent: int(1).default(2).describe('latent size p (2: the latent space and the manifold drawn as they are; PyTorch’s example uses 20)').meta({ arg: 'p' }),
    hidden: z
      .array(int(1))
      .min(1, { error: 'expected at least one hidden layer before the μ and log σ² heads' })
      .default([...VAE_HIDDEN_DEFAULT])
      .describe('encoder hidden sizes, mirrored in the decoder; a conv VAE takes dense instead')
      .meta({ arg: 'sizes' }),
    conv: z.boolean().default(false).describe('a convolutional VAE: stride-2 convolutions (filters, kernel), then the dense layers to the μ and log σ² heads'),
    filters: z
      .array(int(1))
      .min(1, { error: 'expected at least one convolution' })
      .default([...CONV_AE_FILTERS])
      .describe('conv: channels of each stride-2 convolution (each halves the image: 28×28 → 14 → 7 → 4)')
      .meta({ arg: 'sizes' }),
    kernel: int(1).default(CONV_AE_KERNEL).describe('conv: kernel size of every convolution (padding kernel/2)').meta({ arg: 'k' }),
    dense: z
      .array(int(1))
      .default([])
      .describe('conv: fully connected sizes between the last convolution and the heads, mirrored in the decoder')
      .meta({ arg: 'sizes', defaultHelp: 'none' }),
    activation: choice(AE_ACTIVATIONS).default('relu').describe('hidden activation'),
    init: choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
    loss: choice(VAE_LOSSES).default('bce').describe('reconstruction term, summed over the pixels: bce (Bernoulli pixels, nats) or mse (squared error)'),
    beta: nonNegative().default(1).describe('weight β of the KL term in the training loss (1: the negative ELBO; β-VAE otherwise)').meta({ arg: 'b' }),
    optimizer: choice(OPTIMIZER_NAMES).default('adam').describe('optimizer'),
    lr: positive().default(0.001).describe('learning rate').meta({ arg: 'rate' }),
    momentum: nonNegative()
      .max(0.999, { error: (iss) => `expected a number ≤ 0.999, got ${JSON.stringify(iss.input)}` })
      .default(0.9)
      .describe('momentum (sgd, rmsprop)')
      .meta({ arg: 'm' }),
    batch_size: int(1).default(128).describe('minibatch size'),
    epochs: int(1).default(VAE_EPOCHS_DEFAULT).describe('passes over the training data (about 13 s each for the default model on one thread, native)'),
    ...runFields(common),
    ...classSubsetFields(explained),
    checkpoint_every: common.checkpoint_every('steps', 'steps').default(1000),
    log_every: common.log_every('steps', 'steps').default(100),
    eval_samples: int(1).default(1).describe('draws of z per test image for the test negative ELBO').meta({ arg: 'n' }),
    sample_grid: int(1, 40).default(10).describe('samples.png: a sample_grid × sample_grid grid of images decoded from z ~ N(0, I)'),
    manifold: int(2, 60).default(20).describe('manifold.png: a manifold × manifold grid of images decoded over the N(0, 1) quantiles of z₁, z₂'),
    umap_sample: int(3).default(2000).describe('test codes μ projected in latent.svg when p > 2 (seeded sample)'),
    umap_epochs: int(1).default(200).describe('UMAP layout epochs for latent.svg'),
    grid: int(1, 200).default(20).describe('test images in reconstructions.png'),
    grid_cols: int(1, 50).default(10).describe('images per row in reconstructions.png'),
  })
  .superRefine((c, ctx) => {
    if (c.conv && (c.hidden.length !== VAE_HIDDEN_DEFAULT.length || c.hidden.some((h, i) => h !== VAE_HIDDEN_DEFAULT[i]))) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden'],
        message: `--hidden sizes the fully connected VAE; with --conv give the layers after the convolutions as --dense (got --hidden ${c.hidden.join(',')})`,
      });
    }
    if (!c.conv && (c.kernel !== CONV_AE_KERNEL || c.filters.length !== CONV_AE_FILTERS.length || c.filters.some((f, i) => f !== CONV_AE_FILTERS[i])))
      ctx.addIssue({
        code: 'custom',
        path: [c.kernel !== CONV_AE_KERNEL ? 'kernel' : 'filters'],
        message: '--filters and --kernel shape a conv VAE; add --conv',
      });
    if (!c.conv && c.dense.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['dense'],
        message: `--dense sizes a conv VAE's fully connected layers; add --conv or use --hidden (got --dense ${c.dense.join(',')})`,
      });
  })
  .superRefine(refineClassSubset);

export type VaeRunConfig = z.infer<typeof vaeConfigSchema>;
