/**
 * Training an mlp run: the classifier of the course on neural networks (784-100-10, sigmoid
 * hidden, softmax + cross-entropy) or any hidden sizes, trained by the classifier loop
 * (../classifier.ts) that `train cnn` shares.
 */
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../../../nn/activation.js';
import { Linear } from '../../../nn/linear.js';
import type { Module } from '../../../nn/module.js';
import { Sequential } from '../../../nn/sequential.js';
import type { Rng } from '../../../random.js';
import type { Training } from '../../kind.js';
import { mlpNeeds } from '../../limits.js';
import type { TrainSession } from '../../session.js';
import { trainClassifier } from '../classifier.js';
import type { MlpConfig } from './config.js';

const ACTIVATIONS: Record<MlpConfig['activation'], () => Module> = {
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  relu: () => new ReLU(),
  leaky_relu: () => new LeakyReLU(0.01),
};

/** The classifier for a config: Linear layers with the activation between them. */
export function buildMlp(cfg: MlpConfig, inputs: number, classes: number, rng: Rng): Sequential {
  const sizes = [inputs, ...cfg.hidden, classes];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init: cfg.init, inputGrad: i > 0 }));
    if (i + 2 < sizes.length) layers.push(ACTIVATIONS[cfg.activation]());
  }
  return new Sequential(layers);
}

export function trainMlp(session: TrainSession<MlpConfig>): Training {
  return trainClassifier(session, {
    kind: 'mlp',
    build: (cfg, d, rng) => ({
      model: () => buildMlp(cfg, d.features, d.classes, rng),
      architecture: [d.features, ...cfg.hidden, d.classes].join('-'),
      needs: mlpNeeds({ features: d.features, hidden: cfg.hidden, classes: d.classes, batch: cfg.batch_size, rows: d.rows }),
    }),
  });
}
