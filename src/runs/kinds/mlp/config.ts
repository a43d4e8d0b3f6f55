/**
 * The config of an `mlp` run (`latentlab train mlp`): a classifier, by default seed 003 §4's
 * 784-100-10 with a sigmoid hidden layer, softmax and cross-entropy.
 */
import { z } from 'zod';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { classSubsetFields, commonFields, plain, refineClassSubset } from '../common.js';

const common = commonFields(plain);

/**
 * Presets of `--preset`: the config of a published model, filling in what the config file and the
 * flags leave unset. cluster-paths: the Cluster Paths student project's 784-32-64-K classifier as
 * examples/signatures-partitions.ts trains it — hidden 32,64, 100 epochs (each network then fits
 * its training rows), 100 training images per class (per_class 100 with classes; without them the
 * first 1,000 training images, limit 1000, about 100 per digit).
 */
export const MLP_PRESETS = {
  'cluster-paths': (given: Readonly<Record<string, unknown>>): Record<string, unknown> => ({
    hidden: [32, 64],
    epochs: 100,
    ...(given.classes !== undefined ? { per_class: 100 } : { limit: 1000 }),
  }),
} as const;

const mlpConfigObject = z.strictObject({
  preset: plain
    .choice(Object.keys(MLP_PRESETS) as (keyof typeof MLP_PRESETS)[])
    .optional()
    .describe(
      'defaults of a published model, for the keys neither the flags nor the config file set; cluster-paths: the Cluster Paths project’s 784-32-64-K classifier (hidden 32,64, epochs 100, per_class 100 with classes, otherwise limit 1000)',
    )
    .meta({ presets: MLP_PRESETS }),
  dataset: common.dataset,
  data_dir: common.data_dir,
  hidden: z.array(z.int().positive()).default([100]).describe('hidden layer sizes, e.g. 100 or 256,128').meta({ arg: 'sizes' }),
  activation: plain.choice(['sigmoid', 'tanh', 'relu', 'leaky_relu']).default('sigmoid').describe('hidden activation'),
  batch_norm: z.boolean().default(false).describe('batch normalisation (BatchNorm1d) between each hidden Linear layer and its activation'),
  dropout: z.number().min(0).lt(1).default(0).describe('drop probability of a Dropout layer after each hidden activation (0: no dropout)').meta({ arg: 'p' }),
  init: plain.choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
  optimizer: plain.choice(OPTIMIZER_NAMES).default('adam').describe('optimizer'),
  lr: z.number().positive().default(0.003).describe('learning rate').meta({ arg: 'rate' }),
  momentum: z.number().min(0).max(0.999).default(0.9).describe('momentum (sgd, rmsprop)').meta({ arg: 'm' }),
  batch_size: z.int().positive().default(64).describe('minibatch size'),
  epochs: z.int().positive().default(5).describe('passes over the training data'),
  folds: plain
    .int(2)
    .optional()
    .describe(
      'k-fold cross-validation on the training split first: k models on k−1 stratified folds each, scored on the fold left out; their mean ± std validation accuracy and loss go in the summary (the saved model is still the one trained on the whole split)',
    )
    .meta({ arg: 'k' }),
  seed: common.seed,
  backend: common.backend,
  threads: common.threads,
  matmul_precision: common.matmul_precision,
  limit: common.limit(),
  ...classSubsetFields(plain),
  checkpoint_every: common.checkpoint_every('steps', 'steps').default(200),
  log_every: common.log_every('steps', 'steps').default(50),
});

/** The keys as above; per_class only with classes, and classes distinct, at least 2, and classes of the dataset (refineClassSubset). */
export const mlpConfigSchema = mlpConfigObject.superRefine(refineClassSubset);

export type MlpConfig = z.infer<typeof mlpConfigSchema>;
