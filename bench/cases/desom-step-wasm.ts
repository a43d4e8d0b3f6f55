/**
 * Case desom-step-wasm: the desom-step case's training step (batch 256, the DESOM paper's
 * 784-500-500-2000-10 autoencoder and 8×8 map, Adam) on the wasm backend against the js backend in
 * the same process, both single-threaded. No PyTorch peer here (desom-step has it, against the
 * native backend): the wasm backend's target is the js backend it replaces (issue 19: ≥ 10×).
 * Also what its operand copies between JS and wasm memory cost: one step's, recorded and replayed.
 */
import type { WasmBackend } from '../../src/tensor/backends/wasm.js';
import { backend, useBackend } from '../../src/tensor/registry.js';
import { median, timeCalls, type BenchCase } from '../common.js';
import { makeDesomStep } from './desom-step.js';
import { replayCopies } from './mlp-epoch-wasm.js';

export const desomStepWasmCase: BenchCase = {
  name: 'desom-step-wasm',
  description: 'the DESOM step (batch 256) on the wasm backend against js, same process, one thread each',
  run(ctx) {
    useBackend('wasm');
    const w = makeDesomStep(256, 0);
    w.step();
    const be = backend() as WasmBackend;
    be.traceCopies(true);
    w.step();
    const copies = be.traceCopies(false);
    const copyMs = replayCopies(copies, 10);
    const wasmRuns = timeCalls(() => w.step(), 7);
    const wasmMs = median(wasmRuns);
    useBackend('js');
    const j = makeDesomStep(256, 0);
    j.step();
    const jsRuns = timeCalls(() => j.step(), 2);
    const jsMs = median(jsRuns);
    ctx.log(
      `desom-step: wasm ${wasmMs.toFixed(0)} ms, js ${jsMs.toFixed(0)} ms: ${(jsMs / wasmMs).toFixed(1)}× (${(w.flops / wasmMs / 1e6).toFixed(2)} vs ${(j.flops / jsMs / 1e6).toFixed(2)} GFLOP/s); copies ≈ ${copyMs.toFixed(1)} ms of the step`,
    );
    return [
      {
        case: 'desom-step-wasm',
        unit: 'ms',
        ours: wasmMs,
        peer: jsMs,
        peer_name: 'the js backend (same process, one thread)',
        ratio: wasmMs / jsMs,
        env: { backend: 'wasm', threads: 1, openblas_core: null },
        detail: {
          speedup_over_js: jsMs / wasmMs,
          gflops: w.flops / wasmMs / 1e6,
          js_gflops: j.flops / jsMs / 1e6,
          flops_per_step: w.flops,
          wasm_steps_ms: wasmRuns,
          js_steps_ms: jsRuns,
          copies_per_step: copies.length,
          copied_floats_per_step: copies.reduce((a, b) => a + b, 0),
          copy_ms_per_step: copyMs,
          copy_fraction: copyMs / wasmMs,
        },
      },
    ];
  },
};
