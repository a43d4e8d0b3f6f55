/**
 * The config of a `desom` run (`latentlab train desom`): the Deep Embedded SOM of seed 000, an
 * autoencoder and a SOM over its latent space trained jointly. The defaults are the paper's
 * (DESOM_DEFAULTS); `encoder: conv` gives the reference code's ConvDESOM (stride-2 convolutions of
 * `filters` channels, then the `dense` layers to the code). `classes` and `per_class` train and
 * score it on a class subset, labels renumbered 0..K−1.
 */
import { z } from 'zod';
import { AE_ACTIVATIONS, AE_ARCHITECTURES } from '../../../ae/autoencoder.js';
import { DESOM_BATCH_ORDERS, DESOM_DEFAULTS, PROTOTYPE_INITS } from '../../../desom/model.js';
import { classSubsetFields, commonFields, plain, refineClassSubset, runFields } from '../common.js';
import { mapFields, parseMapSize } from '../som/config.js';

const D = DESOM_DEFAULTS;
const common = commonFields(plain);

const desomConfigObject = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  /** 'all' (the paper: train and test concatenated, trained and scored on all of it) or 'train' (scored on test too). */
  split: common.split(['all', 'train'], 'all (train + test, the paper) or train (and score on test)'),
  map: mapFields.size('map size').default(`${D.rows}x${D.cols}`),
  topology: mapFields.topology(),
  toroidal: mapFields.toroidal(),
  distance: mapFields.distance('distance between cells (desom_reference: the reference code’s formula)'),
  neighborhood: mapFields.neighborhood(D.neighborhood),
  decay: mapFields.decay(D.decay),
  t_max: z.number().positive().default(D.Tmax).describe('initial temperature').meta({ arg: 'T' }),
  t_min: z.number().positive().default(D.Tmin).describe('final temperature').meta({ arg: 'T' }),
  /** T reaches t_min at the last step (the reference code's t/(iterations − 1)) rather than t/iterations (the paper). */
  reach_end: z.boolean().default(D.reachEnd).describe('T reaches t_min at the last step (the reference code)'),
  encoder: plain
    .choice(AE_ARCHITECTURES)
    .default(D.encoder)
    .describe('mlp (the paper: fully connected) or conv (the reference code’s ConvDESOM: stride-2 convolutions of filters channels, then the dense layers)')
    .meta({ arg: 'kind' }),
  hidden: z
    .array(z.int().positive())
    .min(1)
    .default([...D.hidden])
    .describe('encoder hidden sizes, mirrored by the decoder (encoder mlp; a conv encoder takes dense instead)')
    .meta({ arg: 'sizes' }),
  filters: z
    .array(z.int().positive())
    .min(1)
    .default([...D.filters])
    .describe('encoder conv: channels of each stride-2 convolution (28×28 → 14 → 7 → 4 → 2)')
    .meta({ arg: 'sizes' }),
  kernel: z.int().positive().default(D.kernel).describe('encoder conv: kernel size of every convolution').meta({ arg: 'k' }),
  dense: z
    .array(z.int().positive())
    .default([])
    .describe('encoder conv: fully connected sizes between the last convolution and the code, mirrored by the decoder')
    .meta({ arg: 'sizes', defaultHelp: 'none' }),
  latent: z.int().positive().default(D.latent).describe('latent size').meta({ arg: 'p' }),
  activation: plain.choice(AE_ACTIVATIONS).default(D.activation).describe('hidden activation'),
  gamma: z.number().nonnegative().default(D.gamma).describe('weight of the SOM loss (0 trains the autoencoder alone)').meta({ arg: 'γ' }),
  iterations: z.int().positive().default(D.iterations).describe('minibatch steps'),
  batch_size: z.int().positive().default(D.batchSize).describe('rows per step'),
  order: plain.choice(DESOM_BATCH_ORDERS).default(D.order).describe('batch order (sequential: the reference, in file order)').meta({ arg: 'order' }),
  lr: z.number().positive().default(D.lr).describe('Adam learning rate').meta({ arg: 'rate' }),
  eps: z.number().positive().default(D.eps).describe('Adam ε (as Keras)').meta({ arg: 'ε' }),
  update_interval: z.int().positive().default(D.updateInterval).describe('steps between recomputing every sample’s BMU (1: each batch’s own)'),
  pretrain_epochs: z.int().nonnegative().default(D.pretrainEpochs).describe('autoencoder pretraining epochs before DESOM'),
  prototype_init: plain.choice(PROTOTYPE_INITS).default(D.prototypeInit).describe('how the prototypes start').meta({ arg: 'kind' }),
  som_init_epochs: z.int().positive().default(D.somInitEpochs).describe('batch SOM epochs behind --prototype-init som'),
  ...runFields(common, { limit: 'use only the first n rows', testLimit: 'use only the first n test rows (--split train)' }),
  ...classSubsetFields(plain),
  checkpoint_every: common.checkpoint_every('iterations').default(500),
  log_every: common.log_every('iterations').default(50),
  eval_every: common.eval_every('purity/NMI/QE/TE').default(500),
  /** Rows (a seeded sample of the training data) on which eval_every measures purity, NMI, QE and TE. */
  eval_sample: common.eval_sample().default(10000),
  /** The explorer's scatter of the codes: a 2-d UMAP saved as arrays/codes_umap.npy at the end of the run. */
  projection: plain.choice(['umap', 'none']).default('umap').describe('a 2-d UMAP of the codes, saved as arrays/codes_umap.npy (none: skip it)'),
});

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export const desomConfigSchema = desomConfigObject.superRefine((c, ctx) => {
  if (c.encoder === 'conv' && !same(c.hidden, D.hidden)) {
    ctx.addIssue({
      code: 'custom',
      path: ['hidden'],
      message: `--hidden sizes the fully connected encoder; with --encoder conv give the layers after the convolutions as --dense (got --hidden ${c.hidden.join(',')})`,
    });
  }
  if (c.encoder === 'mlp' && (c.dense.length > 0 || !same(c.filters, D.filters) || c.kernel !== D.kernel)) {
    const key = c.dense.length > 0 ? 'dense' : c.kernel !== D.kernel ? 'kernel' : 'filters';
    ctx.addIssue({ code: 'custom', path: [key], message: `--${key} shapes a convolutional encoder; add --encoder conv` });
  }
  if (c.t_min > c.t_max) ctx.addIssue({ code: 'custom', path: ['t_min'], message: `expected t_min ≤ t_max, got ${c.t_min} > ${c.t_max}` });
  const size = parseMapSize(c.map);
  if (size !== null && c.topology === 'hexagonal' && c.toroidal && size[0] % 2 !== 0) {
    ctx.addIssue({ code: 'custom', path: ['map'], message: `a toroidal hexagonal map needs an even number of rows, got ${c.map}` });
  }
  refineClassSubset(c, ctx);
});

export type DesomRunConfig = z.infer<typeof desomConfigSchema>;
