/** The optimizers a training command can name in its config, built by one function. */
import type { Parameter } from '../nn/module.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export const OPTIMIZER_NAMES = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerSettings {
  lr: number;
  /** sgd and rmsprop (default 0). */
  momentum?: number;
  /** adam and adamw (default PyTorch's 1e-8; the DESOM reference trains with Keras's 1e-7). */
  eps?: number;
}

/** `name` over `params`, with the settings that apply to it. */
export function buildOptimizer(name: OptimizerName, params: Parameter[], s: OptimizerSettings): Optimizer {
  switch (name) {
    case 'adam':
      return new Adam(params, { lr: s.lr, ...(s.eps === undefined ? {} : { eps: s.eps }) });
    case 'adamw':
      return new AdamW(params, { lr: s.lr, ...(s.eps === undefined ? {} : { eps: s.eps }) });
    case 'sgd':
      return new SGD(params, { lr: s.lr, momentum: s.momentum ?? 0 });
    case 'rmsprop':
      return new RMSprop(params, { lr: s.lr, momentum: s.momentum ?? 0 });
    default: {
      const never: never = name;
      throw new RangeError(`buildOptimizer: unknown optimizer ${JSON.stringify(never)}; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
    }
  }
}
