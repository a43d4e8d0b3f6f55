/**
 * The config of an `mlp` run (`latentlab train mlp`): a classifier, by default seed 003 §4's
 * 784-100-10 with a sigmoid hidden layer, softmax and cross-entropy.
 */
import { z } from 'zod';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { commonFields, plain } from '../common.js';

const common = commonFields(plain);

export const mlpConfigSchema = z.strictObject({
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
  checkpoint_every: common.checkpoint_every('steps', 'steps').default(200),
  log_every: common.log_every('steps', 'steps').default(50),
});

export type MlpConfig = z.infer<typeof mlpConfigSchema>;
