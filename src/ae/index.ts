export * from './autoencoder.js';
export * from './noise.js';
export * from './train.js';
export * from './autoencoder-file.js';
