/**
 * Case desom-step-wasm: the desom-step case's training step (batch 256, the DESOM paper's
 * 784-500-500-2000-10 autoencoder and 8×8 map, Adam) on the wasm backend, on one thread and on the
 * runner's threads (kernels-mt.wasm's workers), against the js backend in the same process (the
 * wasm backend's target is the js backend it replaces: ≥ 10×), and the wasm step on the runner's
 * threads against PyTorch's (bench/peers/desom_step_torch.py, the fastest of desom-step's four
 * thread/Adam layouts). The one- and n-thread steps alternate on the same
 * model (their results are bit-identical), so that both see the same load on a busy machine.
 * Also what the operand copies between JS and wasm memory cost: one step's, recorded and replayed.
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { WasmBackend, wasmThreadedKernelsUrl } from '../../src/tensor/backends/wasm.js';
import { useBackend } from '../../src/tensor/registry.js';
import { median, timeCalls, type BenchCase } from '../common.js';
import { makeDesomStep, PEER_CONFIGS } from './desom-step.js';
import { replayCopies, threadedWasm } from './mlp-epoch-wasm.js';

export const desomStepWasmCase: BenchCase = {
  name: 'desom-step-wasm',
  rows: ['desom-step-wasm', 'desom-step-wasm-threads', 'desom-step-wasm-vs-torch'],
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
    const torchRuns: { label: string; ms: number }[] = [];
    let torchVersion = '';
    for (const c of PEER_CONFIGS) {
      const out = ctx.peer('desom_step_torch.py', [...c.args, '--steps', '15', '--repeats', '3']);
      if (out === null) continue;
      torchVersion = String(out.torch);
      torchRuns.push({ label: c.label, ms: out.ms_per_step_median as number });
      ctx.log(`desom-step in PyTorch (${c.label}): ${(out.ms_per_step_median as number).toFixed(2)} ms/step`);
    }
    const torch = torchRuns.length === 0 ? null : [...torchRuns].sort((a, b) => a.ms - b.ms)[0];
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
      {
        case: 'desom-step-wasm-vs-torch',
        unit: 'ms',
        ours: manyMs,
        peer: torch?.ms ?? null,
        peer_name: torch === null ? null : `PyTorch ${torchVersion} (${torch.label}, the fastest of ${PEER_CONFIGS.length} thread/Adam configurations)`,
        ratio: torch === null ? null : manyMs / torch.ms,
        env: { backend: 'wasm', threads: ctx.threads, openblas_core: null },
        detail: {
          ...common,
          note: 'the wasm step on the runner’s threads against PyTorch’s float32 step (OpenBLAS), same model and batch',
          gflops: gflops(manyMs),
          peer_gflops: torch === null ? null : gflops(torch.ms),
          peer_runs: torchRuns,
        },
      },
    ];
  },
};
