export * from './tensor.js';
export * from './backend.js';
export * from './registry.js';
export { JsBackend } from './backends/js.js';
