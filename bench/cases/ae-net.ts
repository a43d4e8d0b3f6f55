/**
 * The autoencoder of the ae-* cases: seed 001's two-hidden-layer network with p = 16,
 * 784-256-128-16-128-256-784, Tanh hidden, linear latent, Sigmoid output, PyTorch's default
 * Linear initialisation (the weights only matter for timing). bench/peers/ae_torch.py builds the
 * same network in PyTorch.
 */
import { Autoencoder } from '../../src/ae/autoencoder.js';
import { Rng } from '../../src/random.js';

export const AE_LAYERS = [784, 256, 128, 16, 128, 256, 784];
export const AE_ARCH = '784-256-128-16-128-256-784, Tanh hidden, linear latent, Sigmoid output';

/** A fresh seeded autoencoder. */
export function makeAe(seed = 0): Autoencoder {
  return new Autoencoder({ input: 784, hidden: [256, 128], latent: 16, rng: new Rng(seed) });
}
