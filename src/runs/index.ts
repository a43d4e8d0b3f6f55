export * from './run-dir.js';
export * from './checkpoint.js';
export * from './lock.js';
export * from './divergence.js';
