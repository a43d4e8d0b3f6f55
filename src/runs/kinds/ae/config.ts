/**
 * The config of an `ae` run (`latentlab train ae`): by default seed 001's autoencoder
 * (784-128-p-128-784, Tanh hidden, Sigmoid output, MSE, Adam lr 0.005, batch 64, 100 epochs), or
 * with `conv` a convolutional one (stride-2 convolutions of `filters` channels, `kernel`×`kernel`,
 * then the fully connected `dense` layers to the code, mirrored by the decoder), optionally
 * denoising, optionally on a class subset (`classes`, `per_class`: the labels the figures colour by
 * renumbered 0..K−1). Its refusals name the value refused (`explained`).
 */
import { z } from 'zod';
import { AE_ACTIVATIONS, CONV_AE_FILTERS, CONV_AE_KERNEL } from '../../../ae/autoencoder.js';
import { NOISE_KINDS } from '../../../ae/noise.js';
import { AE_LOSSES } from '../../../ae/train.js';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { classSubsetFields, commonFields, explained, refineClassSubset, runFields } from '../common.js';

const { int, positive, nonNegative, choice } = explained;
const common = commonFields(explained);

export const AE_NOISES = ['none', ...NOISE_KINDS] as const;

/** --hidden's default (the fully connected autoencoder's; a conv one sizes its fully connected layers with --dense). */
export const AE_HIDDEN_DEFAULT: readonly number[] = [128];

export const aeConfigSchema = z
  .strictObject({
    dataset: common.dataset,
    data_dir: common.data_dir,
    /** Encoder hidden sizes; the decoder mirrors them. */
    hidden: z
      .array(int(1))
      .default([...AE_HIDDEN_DEFAULT])
      .describe('encoder hidden sizes, mirrored in the decoder (the autoencoder course also uses 256,128); a conv autoencoder takes dense instead')
      .meta({ arg: 'sizes' }),
    conv: z.boolean().default(false).describe('a convolutional autoencoder: stride-2 convolutions (filters, kernel), then the dense layers to the code'),
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
      .describe('conv: fully connected sizes between the last convolution and the code, mirrored in the decoder')
      .meta({ arg: 'sizes', defaultHelp: 'none' }),
    latent: int(1).default(2).describe('latent size p').meta({ arg: 'p' }),
    activation: choice(AE_ACTIVATIONS).default('tanh').describe('hidden activation'),
    latent_activation: choice(AE_ACTIVATIONS).default('identity').describe('after the latent layer'),
    output_activation: choice(AE_ACTIVATIONS).default('sigmoid').describe('output activation'),
    init: choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
    loss: choice(AE_LOSSES).default('mse').describe('reconstruction loss'),
    optimizer: choice(OPTIMIZER_NAMES).default('adam').describe('optimizer'),
    lr: positive().default(0.005).describe('learning rate').meta({ arg: 'rate' }),
    momentum: nonNegative()
      .max(0.999, { error: (iss) => `expected a number ≤ 0.999, got ${JSON.stringify(iss.input)}` })
      .default(0.9)
      .describe('momentum (sgd, rmsprop)')
      .meta({ arg: 'm' }),
    batch_size: int(1).default(64).describe('minibatch size'),
    // 100 as seed 001: ~1.5 s per epoch of 60,000 MNIST digits for 784-128-2-128-784 on 2 cores (native).
    epochs: int(1).default(100).describe('passes over the training data (as the autoencoder course; ~1.5 s each for the default model on 2 cores)'),
    noise: choice(AE_NOISES).default('none').describe('denoising: corrupt each training batch').meta({ arg: 'kind' }),
    noise_scale: nonNegative().default(0.2).describe('gaussian: standard deviation c; masking / salt_pepper: probability').meta({ arg: 'c' }),
    noise_sweep: z
      .array(nonNegative())
      .optional()
      .describe('test MSE for inputs corrupted at these scales, e.g. 0,0.1,0.2,0.3,0.5 (noise.svg; default for denoising runs)')
      .meta({ arg: 'scales' }),
    ...runFields(common),
    ...classSubsetFields(explained),
    checkpoint_every: common.checkpoint_every('steps', 'steps').default(1000),
    log_every: common.log_every('steps', 'steps').default(100),
    umap_sample: int(3).default(2000).describe('test codes projected in latent.svg when p > 2 (seeded sample)'),
    umap_epochs: int(1).default(200).describe('UMAP layout epochs for latent.svg'),
    grid: int(1, 200).default(20).describe('test images in reconstructions.png'),
    grid_cols: int(1, 50).default(10).describe('images per row in the grids'),
  })
  .superRefine((c, ctx) => {
    if (c.conv && (c.hidden.length !== AE_HIDDEN_DEFAULT.length || c.hidden.some((h, i) => h !== AE_HIDDEN_DEFAULT[i]))) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden'],
        message: `--hidden sizes the fully connected autoencoder; with --conv give the layers after the convolutions as --dense (got --hidden ${c.hidden.join(',')})`,
      });
    }
    if (!c.conv && (c.kernel !== CONV_AE_KERNEL || c.filters.length !== CONV_AE_FILTERS.length || c.filters.some((f, i) => f !== CONV_AE_FILTERS[i])))
      ctx.addIssue({
        code: 'custom',
        path: [c.kernel !== CONV_AE_KERNEL ? 'kernel' : 'filters'],
        message: '--filters and --kernel shape a conv autoencoder; add --conv',
      });
    if (!c.conv && c.dense.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['dense'],
        message: `--dense sizes a conv autoencoder's fully connected layers; add --conv or use --hidden (got --dense ${c.dense.join(',')})`,
      });
    if (c.loss === 'bce' && c.output_activation !== 'sigmoid') {
      ctx.addIssue({
        code: 'custom',
        path: ['loss'],
        message: `bce needs probabilities, i.e. output_activation sigmoid, got output_activation "${c.output_activation}"`,
      });
    }
    const probability = c.noise === 'masking' || c.noise === 'salt_pepper';
    if (c.noise !== 'none' && c.noise_scale === 0)
      ctx.addIssue({ code: 'custom', path: ['noise_scale'], message: `expected a scale > 0 with noise ${c.noise}, got 0` });
    if (probability && c.noise_scale > 1)
      ctx.addIssue({ code: 'custom', path: ['noise_scale'], message: `expected a probability between 0 and 1 for ${c.noise} noise, got ${c.noise_scale}` });
    if (c.noise_sweep !== undefined) {
      if (c.noise_sweep.length === 0) ctx.addIssue({ code: 'custom', path: ['noise_sweep'], message: 'expected at least one noise scale, got none' });
      const seen = new Set<number>();
      c.noise_sweep.forEach((s, i) => {
        if (seen.has(s)) ctx.addIssue({ code: 'custom', path: ['noise_sweep', i], message: `expected distinct noise scales, got ${s} twice` });
        seen.add(s);
        if (probability && s > 1)
          ctx.addIssue({ code: 'custom', path: ['noise_sweep', i], message: `expected a probability between 0 and 1 for ${c.noise} noise, got ${s}` });
      });
    }
  })
  .superRefine(refineClassSubset);

export type AeConfig = z.infer<typeof aeConfigSchema>;
