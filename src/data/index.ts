export * from './idx.js';
export * from './mnist.js';
export * from './usps.js';
export * from './reuters.js';
export * from './transforms.js';
export * from './synthetic.js';
export * from './registry.js';
export * from './fetch.js';
