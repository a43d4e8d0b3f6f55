/**
 * The config of an `mlp` run (`latentlab train mlp`): a classifier, by default seed 003 §4's
 * 784-100-10 with a sigmoid hidden layer, softmax and cross-entropy.
 */
import { z } from 'zod';
import { datasetNames, getDataset } from '../../../data/registry.js';
import { describeClasses } from '../../../data/transforms.js';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { commonFields, plain } from '../common.js';

const common = commonFields(plain);

const mlpConfigObject = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  hidden: z.array(z.int().positive()).default([100]).describe('hidden layer sizes, e.g. 100 or 256,128').meta({ arg: 'sizes' }),
  activation: plain.choice(['sigmoid', 'tanh', 'relu', 'leaky_relu']).default('sigmoid').describe('hidden activation'),
  init: plain.choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
  optimizer: plain.choice(OPTIMIZER_NAMES).default('adam').describe('optimizer'),
  lr: z.number().positive().default(0.003).describe('learning rate').meta({ arg: 'rate' }),
  momentum: z.number().min(0).max(0.999).default(0.9).describe('momentum (sgd, rmsprop)').meta({ arg: 'm' }),
  batch_size: z.int().positive().default(64).describe('minibatch size'),
  epochs: z.int().positive().default(5).describe('passes over the training data'),
  seed: common.seed,
  backend: common.backend,
  threads: common.threads,
  matmul_precision: common.matmul_precision,
  limit: common.limit(),
  classes: z
    .array(z.int().nonnegative())
    .optional()
    .describe('train and test on these classes only (labels renumbered 0..K−1 in sorted order)')
    .meta({ arg: 'list' }),
  per_class: z.int().positive().optional().describe('with --classes: this many training images of each, seeded (default all)'),
  checkpoint_every: common.checkpoint_every('steps', 'steps').default(200),
  log_every: common.log_every('steps', 'steps').default(50),
});

/** The keys as above; per_class only with classes, and classes distinct, at least 2, and classes of the dataset. */
export const mlpConfigSchema = mlpConfigObject.superRefine((c, ctx) => {
  if (c.per_class !== undefined && c.classes === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['per_class'],
      message: `applies only with classes (--per-class n draws n training images of each class given by --classes), got per_class ${c.per_class} without classes`,
    });
  }
  if (c.classes === undefined) return;
  const list = `[${c.classes.join(', ')}]`;
  if (c.classes.length < 2) ctx.addIssue({ code: 'custom', path: ['classes'], message: `expected at least 2 classes to tell apart, got ${list}` });
  if (new Set(c.classes).size !== c.classes.length) ctx.addIssue({ code: 'custom', path: ['classes'], message: `expected distinct classes, got ${list}` });
  if (!datasetNames().includes(c.dataset as never)) return; // refused above, under dataset
  const names = getDataset(c.dataset).classNames;
  for (const k of c.classes.filter((k) => Number.isInteger(k) && k >= names.length)) {
    ctx.addIssue({ code: 'custom', path: ['classes'], message: `class ${k} is not one of ${c.dataset}'s classes ${describeClasses(names)}, got ${list}` });
  }
});

export type MlpConfig = z.infer<typeof mlpConfigSchema>;
