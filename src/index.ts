/** latentlab: networks, autoencoders and latent spaces in TypeScript. */
export * from './random.js';
export * from './tensor/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export * from './ae/index.js';
export * from './vae/index.js';
export * from './data/index.js';
export * from './io/index.js';
export * from './runs/index.js';
export * from './som/index.js';
export * from './desom/index.js';
export * from './gan/index.js';
export * from './cluster/index.js';
export * from './metrics/index.js';
export * from './stats/index.js';
export * from './analysis/index.js';
