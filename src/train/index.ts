export * from './loop.js';
export * from './batches.js';
export * from './kfold.js';
