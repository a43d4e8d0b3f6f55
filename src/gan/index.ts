export * from './models.js';
export * from './steps.js';
export * from './file.js';
export * from './quality.js';
