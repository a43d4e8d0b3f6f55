export * from './run-dir.js';
export * from './checkpoint.js';
