export * from './atomic.js';
export * from './safetensors.js';
export * from './model-file.js';
export * from './files.js';
export * from './npy.js';
