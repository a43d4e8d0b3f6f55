export * from './vae.js';
export * from './train.js';
export * from './manifold.js';
export * from './vae-file.js';
export * from './vae-json.js';
