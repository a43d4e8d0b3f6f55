export * from './loop.js';
export * from './batches.js';
