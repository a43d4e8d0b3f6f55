/** Builds models, losses and optimizers from the JSON specs that the PyTorch fixture scripts write. */
import { BCELoss } from '../../src/nn/bce.js';
import { CrossEntropyLoss } from '../../src/nn/cross-entropy.js';
import type { Loss } from '../../src/nn/loss.js';
import type { Module, Parameter } from '../../src/nn/module.js';
import { L1Loss } from '../../src/nn/mae.js';
import { MSELoss } from '../../src/nn/mse.js';
import { Sequential } from '../../src/nn/sequential.js';
import { buildModule } from '../../src/nn/serialize.js';
import { Adam, AdamW } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { RMSprop } from '../../src/optim/rmsprop.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/random.js';

export type LayerSpec =
  | { type: 'linear'; in: number; out: number }
  | { type: 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'identity' }
  | { type: 'leaky_relu'; slope: number }
  | { type: 'batchnorm1d'; features: number; eps: number; momentum: number };

export type LossSpec = { type: 'mse' } | { type: 'l1' } | { type: 'bce' } | { type: 'cross_entropy'; targets: 'index' | 'onehot' };

export type OptimizerSpec =
  | { type: 'sgd'; lr: number; momentum: number; dampening: number; weight_decay: number; nesterov: boolean }
  | { type: 'adam' | 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weight_decay: number }
  | { type: 'rmsprop'; lr: number; alpha: number; eps: number; weight_decay: number; momentum: number; centered: boolean };

export interface NamedArray {
  name: string;
  shape: number[];
  data: number[];
}

/** Builds the fixture's network through the model-file spec builder (the same code loadModel uses). */
export function buildModel(layers: LayerSpec[], fuse = true): Sequential {
  const m = buildModule({ type: 'sequential', layers, fuse }, new Rng(0));
  if (!(m instanceof Sequential)) throw new Error('buildModel: internal: expected a Sequential');
  return m;
}

export function buildLoss(s: LossSpec): Loss {
  switch (s.type) {
    case 'mse':
      return new MSELoss();
    case 'l1':
      return new L1Loss();
    case 'bce':
      return new BCELoss();
    case 'cross_entropy':
      return new CrossEntropyLoss();
  }
}

export function buildOptimizer(s: OptimizerSpec, params: Parameter[]): Optimizer {
  switch (s.type) {
    case 'sgd':
      return new SGD(params, { lr: s.lr, momentum: s.momentum, dampening: s.dampening, weightDecay: s.weight_decay, nesterov: s.nesterov });
    case 'adam':
      return new Adam(params, { lr: s.lr, beta1: s.beta1, beta2: s.beta2, eps: s.eps, weightDecay: s.weight_decay });
    case 'adamw':
      return new AdamW(params, { lr: s.lr, beta1: s.beta1, beta2: s.beta2, eps: s.eps, weightDecay: s.weight_decay });
    case 'rmsprop':
      return new RMSprop(params, { lr: s.lr, alpha: s.alpha, eps: s.eps, weightDecay: s.weight_decay, momentum: s.momentum, centered: s.centered });
  }
}

/** Copies named arrays (PyTorch state_dict layout) into a model's parameters and buffers. */
export function loadNamed(model: Module, params: NamedArray[], buffers: NamedArray[] = []): void {
  const ps = model.namedParameters();
  const bs = model.namedBuffers();
  for (const a of params) {
    const p = ps.get(a.name);
    if (p === undefined) throw new Error(`loadNamed: no parameter ${a.name} (have ${[...ps.keys()].join(', ')})`);
    p.value.data.set(a.data);
  }
  for (const a of buffers) {
    const b = bs.get(a.name);
    if (b === undefined) throw new Error(`loadNamed: no buffer ${a.name}`);
    b.data.set(a.data);
  }
}

/** ‖a − b‖∞ / max(‖b‖∞, floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, floor);
}
