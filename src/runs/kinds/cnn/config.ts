/**
 * The config of a `cnn` run (`latentlab train cnn`): a convolutional classifier, by default a
 * LeNet-style network (two 5×5 convolutions with max pooling, then 512 units) trained with Adam.
 */
import { z } from 'zod';
import { INIT_NAMES } from '../../../nn/init.js';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { classSubsetFields, commonFields, plain, refineClassSubset } from '../common.js';
import { DEFAULT_ARCH, parseArch } from './arch.js';

const common = commonFields(plain);

const cnnConfigObject = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  arch: z
    .string()
    .default(DEFAULT_ARCH)
    .superRefine((s, ctx) => {
      try {
        parseArch(s);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^parseArch: /, '') });
      }
    })
    .describe(
      'the layers, comma-separated: c<kernels>k<size>[s<stride>][p<pad>|psame] (convolution + activation), mp|ap|minp<size>[s<stride>] (max, average, min pooling), bn, d<p> / dc<p> (dropout of values / channels), fc<units>; the output layer is added',
    )
    .meta({ arg: 'layers' }),
  activation: plain.choice(['relu', 'leaky_relu', 'tanh', 'sigmoid']).default('relu').describe('activation after each convolution and fully connected layer'),
  init: plain.choice(INIT_NAMES).default('torch_default').describe('weight initialisation'),
  optimizer: plain.choice(OPTIMIZER_NAMES).default('adam').describe('optimizer'),
  lr: z.number().positive().default(0.001).describe('learning rate').meta({ arg: 'rate' }),
  momentum: z.number().min(0).max(0.999).default(0.9).describe('momentum (sgd, rmsprop)').meta({ arg: 'm' }),
  batch_size: z.int().positive().default(64).describe('minibatch size'),
  epochs: z.int().positive().default(3).describe('passes over the training data'),
  seed: common.seed,
  backend: common.backend,
  threads: common.threads,
  matmul_precision: common.matmul_precision,
  limit: common.limit(),
  ...classSubsetFields(plain),
  checkpoint_every: common.checkpoint_every('steps', 'steps').default(200),
  log_every: common.log_every('steps', 'steps').default(50),
});

export const cnnConfigSchema = cnnConfigObject.superRefine(refineClassSubset);

export type CnnConfig = z.infer<typeof cnnConfigSchema>;
