/** The gan run kind: a generative adversarial network (mlp or DCGAN, optionally conditional), judged by a classifier run. */
import type { RunKind } from '../../kind.js';
import { ganConfigSchema, type GanConfig } from './config.js';
import { evaluateGan } from './evaluate.js';
import { trainGan } from './train.js';

export { ganConfigSchema, type GanConfig } from './config.js';
export { openJudge, type Judge } from './judge.js';

export const ganKind: RunKind<GanConfig> = {
  name: 'gan',
  command: 'train gan',
  description:
    'a generative adversarial network (the course’s last chapter: mlp G z(100)-256-512-1024-784 and D 784-512-256-1, or --arch dcgan; --conditional for one class per row) with sample grids per epoch and, given --judge, a classifier’s verdict on the samples',
  schema: ganConfigSchema,
  resumable: true,
  headline: ['sample_class_match', 'sample_confident_share', 'g_loss'],
  train: trainGan,
  evaluate: evaluateGan,
};
