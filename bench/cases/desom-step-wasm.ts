/**
 * Case desom-step-wasm: the desom-step case's training step (batch 256, the DESOM paper's
 * 784-500-500-2000-10 autoencoder and 8×8 map, Adam) on the wasm backend, on one thread and on the
 * runner's threads (kernels-mt.wasm's workers), against the js backend in the same process. No
 * PyTorch peer here (desom-step has it, against the native backend): the wasm backend's target is
 * the js backend it replaces (issue 19: ≥ 10×). The one- and n-thread steps alternate on the same
 * model (their results are bit-identical), so that both see the same load on a busy machine.
 * Also what the operand copies between JS and wasm memory cost: one step's, recorded and replayed.
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { WasmBackend, wasmThreadedKernelsUrl } from '../../src/tensor/backends/wasm.js';
import { useBackend } from '../../src/tensor/registry.js';
import { median, timeCalls, type BenchCase } from '../common.js';
import { makeDesomStep } from './desom-step.js';
import { replayCopies, threadedWasm } from './mlp-epoch-wasm.js';

export const desomStepWasmCase: BenchCase = {
  name: 'desom-step-wasm',
  rows: ['desom-step-wasm', 'desom-step-wasm-threads'],
  description: 'the DESOM step (batch 256) on the wasm backend, one thread and the runner’s threads, against js in the same process',
  run(ctx) {
    const one = new WasmBackend(readFileSync(wasmThreadedKernelsUrl()));
    const many = threadedWasm(ctx.threads);
    useBackend(one);
    const w = makeDesomStep(256, 0);
    w.step();
    one.traceCopies(true);
    w.step();
    const copies = one.traceCopies(false);
    const copyMs = replayCopies(copies, 10);
    useBackend(many);
    w.step();
    const load = loadavg()[0];
    const oneRuns: number[] = [];
    const manyRuns: number[] = [];
    const oneCpu: number[] = [];
    const manyCpu: number[] = [];
    const tiles0 = many.workerStats().workerTiles;
    for (let r = 0; r < 7; r++) {
      for (const [be, runs, cpu] of [
        [one, oneRuns, oneCpu],
        [many, manyRuns, manyCpu],
      ] as const) {
        useBackend(be);
        const c0 = process.cpuUsage();
        runs.push(...timeCalls(() => w.step(), 1));
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000); // every thread of the process, the workers' spinning included
      }
    }
    const workerTiles = many.workerStats().workerTiles - tiles0;
    many.close();
    const oneMs = median(oneRuns);
    const manyMs = median(manyRuns);
    useBackend('js');
    const j = makeDesomStep(256, 0);
    j.step();
    const jsRuns = timeCalls(() => j.step(), 2);
    const jsMs = median(jsRuns);
    const gflops = (ms: number): number => w.flops / ms / 1e6;
    ctx.log(
      `desom-step: wasm ${oneMs.toFixed(0)} ms on 1 thread, ${manyMs.toFixed(0)} ms on ${ctx.threads} (${(oneMs / manyMs).toFixed(2)}×), js ${jsMs.toFixed(0)} ms: ` +
        `${(jsMs / oneMs).toFixed(1)}× / ${(jsMs / manyMs).toFixed(1)}× (${gflops(oneMs).toFixed(2)} / ${gflops(manyMs).toFixed(2)} vs ${(j.flops / jsMs / 1e6).toFixed(2)} GFLOP/s); ` +
        `CPU ${median(oneCpu).toFixed(0)} / ${median(manyCpu).toFixed(0)} ms per step; copies ≈ ${copyMs.toFixed(1)} ms of the step; load average ${load.toFixed(1)}`,
    );
    const common = {
      js_gflops: j.flops / jsMs / 1e6,
      flops_per_step: w.flops,
      js_steps_ms: jsRuns,
      copies_per_step: copies.length,
      copied_floats_per_step: copies.reduce((a, b) => a + b, 0),
      copy_ms_per_step: copyMs,
      load_average: load,
    };
    return [
      {
        case: 'desom-step-wasm',
        unit: 'ms',
        ours: oneMs,
        peer: jsMs,
        peer_name: 'the js backend (same process, one thread)',
        ratio: oneMs / jsMs,
        env: { backend: 'wasm', threads: 1, openblas_core: null },
        detail: {
          ...common,
          speedup_over_js: jsMs / oneMs,
          gflops: gflops(oneMs),
          wasm_steps_ms: oneRuns,
          cpu_ms_per_step: median(oneCpu),
          copy_fraction: copyMs / oneMs,
        },
      },
      {
        case: 'desom-step-wasm-threads',
        unit: 'ms',
        ours: manyMs,
        peer: oneMs,
        peer_name: 'the wasm backend on one thread (same process, steps alternating)',
        ratio: manyMs / oneMs,
        env: { backend: 'wasm', threads: ctx.threads, openblas_core: null },
        detail: {
          ...common,
          speedup_over_js: jsMs / manyMs,
          speedup_over_one_thread: oneMs / manyMs,
          gflops: gflops(manyMs),
          one_thread_gflops: gflops(oneMs),
          wasm_steps_ms: manyRuns,
          one_thread_steps_ms: oneRuns,
          cpu_ms_per_step: median(manyCpu),
          one_thread_cpu_ms_per_step: median(oneCpu),
          worker_tiles: workerTiles,
          copy_fraction: copyMs / manyMs,
        },
      },
    ];
  },
};
