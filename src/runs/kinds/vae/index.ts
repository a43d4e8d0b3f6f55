/** The vae run kind: a variational autoencoder. */
import type { RunKind } from '../../kind.js';
import { vaeConfigSchema, type VaeRunConfig } from './config.js';
import { evaluateVae } from './evaluate.js';
import { trainVae } from './train.js';

export * from './config.js';
export { buildVae, vaeArchitecture } from './train.js';

export const vaeKind: RunKind<VaeRunConfig> = {
  name: 'vae',
  command: 'train vae',
  description:
    'a variational autoencoder (784-512-256 → μ, log σ² ∈ ℝ², mirrored decoder, ReLU, sigmoid output, BCE + KL, Adam lr 1e-3, batch 128) with samples, the latent manifold and report.html',
  schema: vaeConfigSchema,
  resumable: true,
  headline: ['test_neg_elbo', 'neg_elbo'],
  train: trainVae,
  evaluate: evaluateVae,
};
