// The wasm backend's kernels (src/tensor/backends/wasm.ts loads them). Pointers are byte offsets
// into this module's memory, which the loader manages as a grow-only arena above heapBase();
// a null array is pointer 0. Build: npm run build:wasm (scripts/build-wasm.mjs), into two modules
// from this one source: kernels.wasm (its own memory) and kernels-mt.wasm (a shared memory it
// imports, for the worker threads; runTile is the part of a call one thread runs).
export { gemm, gemmWorkFloats } from './gemm';
export { activation, activationBackward, axpy, bce, biasActivation, colSum, mse, scale, softmax } from './elementwise';
export { adam, rmsprop, sgd } from './optim';
export { addSqNorms, sqNorms } from './distances';
export { runTile } from './parallel';

/** The first address past the module's static data: where the loader's arena may begin. */
export function heapBase(): usize {
  return __heap_base;
}
