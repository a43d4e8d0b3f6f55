/**
 * The config of a `gan` run (`latentlab train gan`): a generative adversarial network on an image
 * dataset — by default a fully connected pair (G z(100) → 256 → 512 → 1024 → 784, D 784 → 512 →
 * 256 → 1, LeakyReLU 0.2, tanh output), or with `arch dcgan` a
 * DCGAN (transposed / strided convolutions with batch norm); with `conditional` the class is a
 * one-hot appended to both networks' inputs. Adam lr 2e-4, β 0.5, 0.999, as DCGAN. With `judge`, a
 * classifier run scores the generator's samples at the end.
 */
import { z } from 'zod';
import { GAN_ARCHS, GAN_D_HIDDEN, GAN_G_HIDDEN, GAN_LATENT } from '../../../gan/models.js';
import { JUDGE_THRESHOLD } from '../../../gan/quality.js';
import { INIT_NAMES } from '../../../nn/init.js';
import { commonFields, plain, runFields } from '../common.js';

const common = commonFields(plain);

/** The dcgan's channels as `train gan` builds it by default: half DCGAN's 128 / 64 (under a minute an epoch of MNIST on one core instead of about four). */
export const GAN_RUN_G_CHANNELS: readonly [number, number] = [64, 32];
export const GAN_RUN_D_CHANNELS: readonly [number, number] = [32, 64];

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export const ganConfigSchema = z
  .strictObject({
    dataset: common.dataset,
    data_dir: common.data_dir,
    arch: plain
      .choice(GAN_ARCHS)
      .default('mlp')
      .describe(
        'mlp: fully connected G and D (LeakyReLU 0.2, tanh output); dcgan: transposed convolutions up from H/4 in G, strided convolutions in D, batch norm',
      )
      .meta({ arg: 'arch' }),
    conditional: z
      .boolean()
      .default(false)
      .describe(
        'a conditional GAN: the class as a one-hot appended to z (G) and to the image (D: one more input per class, or for dcgan one constant plane per class)',
      ),
    latent: plain.int(1).default(GAN_LATENT).describe('latent size: z ~ N(0, I)').meta({ arg: 'n' }),
    g_hidden: z
      .array(plain.int(1))
      .min(1)
      .default([...GAN_G_HIDDEN])
      .describe('mlp: the generator’s hidden sizes')
      .meta({ arg: 'sizes' }),
    d_hidden: z
      .array(plain.int(1))
      .min(1)
      .default([...GAN_D_HIDDEN])
      .describe('mlp: the discriminator’s hidden sizes')
      .meta({ arg: 'sizes' }),
    g_channels: z
      .array(plain.int(1))
      .length(2)
      .default([...GAN_RUN_G_CHANNELS])
      .describe('dcgan: the generator’s channels at H/4 and H/2')
      .meta({ arg: 'c0,c1' }),
    d_channels: z
      .array(plain.int(1))
      .length(2)
      .default([...GAN_RUN_D_CHANNELS])
      .describe('dcgan: the discriminator’s channels at H/2 and H/4')
      .meta({ arg: 'c0,c1' }),
    dropout: z.number().min(0).lt(1).default(0).describe('dropout in D after each hidden activation (channel dropout for dcgan)').meta({ arg: 'p' }),
    init: plain.choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
    lr: z.number().positive().default(2e-4).describe('Adam learning rate of both networks').meta({ arg: 'rate' }),
    betas: z
      .array(z.number().min(0).lt(1))
      .length(2)
      .default([0.5, 0.999])
      .describe('Adam β₁, β₂ of both networks (DCGAN’s 0.5 damps the oscillation of the two-player game)')
      .meta({ arg: 'b1,b2' }),
    batch_size: plain.int(1).default(64).describe('minibatch size (real images per step; as many generated)'),
    // 20: ~16 s of one core an epoch of 60,000 MNIST digits for the default mlp (native), under 6 min in all.
    epochs: plain
      .int(1)
      .default(20)
      .describe('passes over the training images (~16 s each of one core for the default mlp on MNIST; dcgan ~50 s, about twice that conditional)'),
    ...runFields(common, { testLimit: 'use only the first n test rows (the judge’s real-image baseline, D’s test output)' }),
    judge: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a classifier run (train cnn or train mlp on the same dataset, every class; its id under --out or its directory) that judges the samples at the end',
      )
      .meta({ arg: 'run' }),
    judge_samples: plain.int(1).default(10000).describe('generated images the judge classifies'),
    judge_threshold: z
      .number()
      .gt(0)
      .max(1)
      .default(JUDGE_THRESHOLD)
      .describe('the judge probability at or above which a sample counts as confidently classified')
      .meta({ arg: 'p' }),
    grid_cols: plain.int(1, 50).default(10).describe('samples per row of the sample grids'),
    grid_rows: plain.int(1, 50).default(10).describe('rows of the sample grids (a conditional GAN has one per class instead)'),
    progress_samples: plain.int(1, 50).default(8).describe('samples of each epoch in progress.png'),
    checkpoint_every: common.checkpoint_every('steps', 'steps').default(500),
    log_every: common.log_every('steps', 'steps').default(50),
  })
  .superRefine((c, ctx) => {
    const flag = (k: string): string => `--${k.replace(/_/g, '-')}`;
    const other = c.arch === 'mlp' ? 'dcgan' : 'mlp';
    const given: [string, boolean][] =
      c.arch === 'mlp'
        ? [
            ['g_channels', !sameList(c.g_channels, GAN_RUN_G_CHANNELS)],
            ['d_channels', !sameList(c.d_channels, GAN_RUN_D_CHANNELS)],
          ]
        : [
            ['g_hidden', !sameList(c.g_hidden, GAN_G_HIDDEN)],
            ['d_hidden', !sameList(c.d_hidden, GAN_D_HIDDEN)],
          ];
    for (const [k, differs] of given) {
      if (differs)
        ctx.addIssue({ code: 'custom', path: [k], message: `${flag(k)} sizes the ${other} GAN; add --arch ${other} or leave it out (got --arch ${c.arch})` });
    }
  });

export type GanConfig = z.infer<typeof ganConfigSchema>;
