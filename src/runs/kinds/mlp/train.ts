/**
 * Training an mlp run: the classifier of the course on neural networks (784-100-10, sigmoid
 * hidden, softmax + cross-entropy) or any hidden sizes, with the deep-learning course's batch
 * normalisation and dropout as options, trained by the classifier loop (../classifier.ts) that
 * `train cnn` shares.
 */
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../../../nn/activation.js';
import { BatchNorm1d } from '../../../nn/batchnorm1d.js';
import { Dropout } from '../../../nn/dropout.js';
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

/**
 * The classifier for a config: Linear layers with the activation between them; with batch_norm a
 * BatchNorm1d between each hidden Linear and its activation, with dropout > 0 a Dropout after each
 * hidden activation (Linear → BatchNorm1d → activation → Dropout). Dropout draws its masks from
 * `rng` once the weights are drawn, so the initial weights are those of the network without it.
 * (Configs saved before these keys existed build the plain network.)
 */
export function buildMlp(cfg: MlpConfig, inputs: number, classes: number, rng: Rng): Sequential {
  const sizes = [inputs, ...cfg.hidden, classes];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init: cfg.init, inputGrad: i > 0 }));
    if (i + 2 === sizes.length) break;
    if (cfg.batch_norm === true) layers.push(new BatchNorm1d(sizes[i + 1]));
    layers.push(ACTIVATIONS[cfg.activation]());
    if ((cfg.dropout ?? 0) > 0) layers.push(new Dropout(cfg.dropout, rng));
  }
  return new Sequential(layers);
}

/** "784-100-10", with " + batch norm, dropout 0.2" when the config adds them (notices and the report's title). */
export function mlpArchitecture(cfg: MlpConfig, inputs: number, classes: number): string {
  const extras = [...(cfg.batch_norm === true ? ['batch norm'] : []), ...((cfg.dropout ?? 0) > 0 ? [`dropout ${cfg.dropout}`] : [])];
  return [inputs, ...cfg.hidden, classes].join('-') + (extras.length > 0 ? ` + ${extras.join(', ')}` : '');
}

export function trainMlp(session: TrainSession<MlpConfig>): Training {
  return trainClassifier(session, {
    kind: 'mlp',
    build: (cfg, d, rng) => ({
      model: () => buildMlp(cfg, d.features, d.classes, rng),
      architecture: mlpArchitecture(cfg, d.features, d.classes),
      needs: mlpNeeds({ features: d.features, hidden: cfg.hidden, classes: d.classes, batch: cfg.batch_size, rows: d.rows }),
    }),
  });
}
