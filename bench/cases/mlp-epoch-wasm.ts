/**
 * Case mlp-epoch-wasm: one epoch of the README's first command, `latentlab train mlp` with its
 * defaults (784-100-10, sigmoid, PyTorch's default init, Adam lr 0.003, minibatches of 64 in a
 * shuffled order, cross-entropy) on the 60,000 MNIST training rows, on the wasm backend on one
 * thread and on the runner's threads, against the js backend in the same process (the wasm
 * backend's target is the js backend it replaces: ≥ 10×), and the wasm epoch on the runner's
 * threads against the same epoch in PyTorch (bench/peers/cnn_torch.py with `--arch fc100
 * --hidden-activation sigmoid`: the same network, init, loss and Adam; the faster of two thread
 * layouts). The one- and n-thread epochs alternate. Also what the wasm backend's copies of the operands between JS and
 * wasm memory cost (one step's copies, recorded and replayed), and the same with the parameters,
 * their gradients and Adam's state resident in the module's memory (`residentArray`): the bench
 * moves them there itself, which is what the library would do if it allocated them through the
 * backend (docs/wasm.md, "Resident arrays").
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadDataset } from '../../src/data/fetch.js';
import { writeNpy } from '../../src/io/npy.js';
import { CrossEntropyLoss } from '../../src/nn/cross-entropy.js';
import { Linear } from '../../src/nn/linear.js';
import type { Parameter } from '../../src/nn/module.js';
import type { Sequential } from '../../src/nn/sequential.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { buildOptimizer } from '../../src/optim/registry.js';
import { Rng } from '../../src/random.js';
import { mlpConfigSchema } from '../../src/runs/kinds/mlp/config.js';
import { buildMlp } from '../../src/runs/kinds/mlp/train.js';
import { WasmBackend, wasmThreadedKernelsUrl } from '../../src/tensor/backends/wasm.js';
import { useBackend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { trainSteps } from '../../src/train/loop.js';
import { median, type BenchCase } from '../common.js';

/**
 * Milliseconds of copying these float counts once each, from and to places that walk through two
 * 64 MiB rings (larger than the caches, as the operands of a training step are together), so the
 * copies pay for memory traffic as the backend's do.
 */
export function replayCopies(lengths: readonly number[], repeats: number): number {
  const ring = 16 << 20;
  const src = new Float32Array(ring).fill(1);
  const dst = new Float32Array(ring);
  const times: number[] = [];
  let from = 0;
  let to = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (const len of lengths) {
      const n = Math.min(len, ring);
      if (from + n > ring) from = 0;
      if (to + n > ring) to = 0;
      dst.set(src.subarray(from, from + n), to);
      from += n;
      to += n;
    }
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** FLOPs of a pass over `rows` rows: forward, weight gradient and (inputGrad) input gradient of each Linear, 2·in·out each. */
export function linearFlops(model: Sequential, rows: number): number {
  let f = 0;
  for (const m of model.modules) if (m instanceof Linear) f += 2 * rows * m.inFeatures * m.outFeatures * (m.inputGrad ? 3 : 2);
  return f;
}

/**
 * A wasm backend over kernels-mt.wasm on `threads` threads, once its workers run (they start in
 * the background; a bench timing the first calls would time the calling thread alone).
 */
export function threadedWasm(threads: number): WasmBackend {
  const b = new WasmBackend(readFileSync(wasmThreadedKernelsUrl()));
  b.setThreads(threads);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 500 && b.workerStats().running < threads - 1; i++) Atomics.wait(nap, 0, 0, 10);
  return b;
}

/**
 * Moves the parameters' values and gradients and Adam's moments into `be`'s memory
 * (residentArray), as the library would allocate them if it asked the backend: the bench reaches
 * into Parameter's and Adam's fields to do it, and checks they are where it expects.
 */
function makeResident(params: readonly Parameter[], optimizer: Optimizer, be: WasmBackend): void {
  const moved = (a: Float32Array): Float32Array => {
    const r = be.residentArray(a.length);
    r.set(a);
    return r;
  };
  for (const p of params) {
    const fields = p as unknown as { value: Tensor; g: Tensor };
    if (!(fields.g instanceof Tensor)) throw new Error('mlp-epoch-wasm: Parameter no longer keeps its gradient in `g`');
    Object.defineProperty(p, 'value', { value: new Tensor(moved(p.value.data), p.value.shape) });
    fields.g = new Tensor(moved(fields.g.data), fields.g.shape);
  }
  const state = optimizer as unknown as { m?: Float32Array[]; v?: Float32Array[] };
  if (!Array.isArray(state.m) || !Array.isArray(state.v)) throw new Error('mlp-epoch-wasm: Adam no longer keeps its moments in `m` and `v`');
  state.m = state.m.map(moved);
  state.v = state.v.map(moved);
}

export const mlpEpochWasmCase: BenchCase = {
  name: 'mlp-epoch-wasm',
  rows: ['mlp-epoch-wasm', 'mlp-epoch-wasm-threads', 'mlp-epoch-wasm-vs-torch'],
  description:
    'one epoch of `train mlp` (784-100-10 sigmoid, Adam, batch 64) on 60,000 MNIST rows: wasm on 1 and n threads against js (same process) and against PyTorch',
  async run(ctx) {
    const { x, labels } = await loadDataset('mnist', { split: 'train' });
    const cfg = mlpConfigSchema.parse({});
    const n = x.rows;
    const setup = (be: WasmBackend | 'js') => {
      useBackend(be);
      const rng = new Rng(0);
      const model = buildMlp(cfg, x.cols, 10, rng);
      const optimizer = buildOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
      const loss = new CrossEntropyLoss();
      const epoch = (maxSteps = Infinity): { ms: number; cpuMs: number; loss: number } => {
        useBackend(be);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        let steps = 0;
        let last = NaN;
        for (const e of trainSteps({ model, loss, optimizer, x, y: labels, batchSize: cfg.batch_size, epochs: 1, rng })) {
          if (e.type === 'epoch') last = e.loss;
          else if (++steps >= maxSteps) break;
        }
        const c = process.cpuUsage(c0); // every thread of the process, the workers' spinning included
        return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, loss: last };
      };
      return { model, optimizer, epoch };
    };
    const flops = linearFlops(setup('js').model, n);
    const one = new WasmBackend(readFileSync(wasmThreadedKernelsUrl()));
    const many = threadedWasm(ctx.threads);
    /** Copies of `tracedSteps` steps on `be` (after a warm-up), per step: their lengths and replayed milliseconds. */
    const traced = (be: WasmBackend, epoch: (maxSteps?: number) => unknown): { floats: number; count: number; ms: number } => {
      epoch(50); // warm-up: compiled code, the arena grown
      const tracedSteps = 20;
      be.traceCopies(true);
      epoch(tracedSteps);
      const copies = be.traceCopies(false);
      return { floats: copies.reduce((a, b) => a + b, 0) / tracedSteps, count: copies.length / tracedSteps, ms: replayCopies(copies, 20) / tracedSteps };
    };
    const w1 = setup(one);
    const wn = setup(many);
    const copies = traced(one, w1.epoch);
    traced(many, wn.epoch);
    const res = new WasmBackend(readFileSync(wasmThreadedKernelsUrl()));
    const wr = setup(res);
    makeResident(wr.model.parameters(), wr.optimizer, res);
    const residentCopies = traced(res, wr.epoch);
    const load = loadavg()[0];
    type Run = { ms: number; cpuMs: number; loss: number };
    const oneRuns: Run[] = [];
    const manyRuns: Run[] = [];
    const resRuns: Run[] = [];
    const tiles0 = many.workerStats().workerTiles;
    for (let r = 0; r < 3; r++) {
      oneRuns.push(w1.epoch());
      manyRuns.push(wn.epoch());
      resRuns.push(wr.epoch());
    }
    const workerTiles = many.workerStats().workerTiles - tiles0;
    many.close();
    const ms = (runs: { ms: number }[]): number => median(runs.map((r) => r.ms));
    const [oneMs, manyMs, resMs] = [ms(oneRuns), ms(manyRuns), ms(resRuns)];
    const cpu = (runs: Run[]): number => median(runs.map((r) => r.cpuMs));
    ctx.log(
      `mlp epoch on wasm: 1 thread ${oneRuns.map((r) => r.ms.toFixed(0)).join(', ')} ms; ${ctx.threads} threads ${manyRuns.map((r) => r.ms.toFixed(0)).join(', ')} ms; resident, 1 thread ${resRuns.map((r) => r.ms.toFixed(0)).join(', ')} ms`,
    );
    const j = setup('js');
    j.epoch(50);
    const jsRun = j.epoch(); // one epoch: about 15 s on js
    ctx.log(`mlp epoch on js: ${jsRun.ms.toFixed(0)} ms`);
    const { npy } = await ctx.mnist('train');
    const torch = torchEpoch(ctx, npy, labels, cfg, buildMlp(cfg, x.cols, 10, new Rng(0)).parameterCount());
    const steps = Math.ceil(n / cfg.batch_size);
    const gflops = (t: number): number => flops / t / 1e6;
    ctx.log(
      `wasm ${oneMs.toFixed(0)} ms (1 thread), ${manyMs.toFixed(0)} ms (${ctx.threads}), js ${jsRun.ms.toFixed(0)} ms: ${(jsRun.ms / oneMs).toFixed(1)}× / ${(jsRun.ms / manyMs).toFixed(1)}× ` +
        `(${gflops(oneMs).toFixed(2)} / ${gflops(manyMs).toFixed(2)} vs ${gflops(jsRun.ms).toFixed(2)} GFLOP/s); copies ≈ ${(copies.ms * steps).toFixed(0)} ms of the epoch, ` +
        `${(residentCopies.ms * steps).toFixed(0)} ms with resident parameters (${resMs.toFixed(0)} ms); CPU ${cpu(oneRuns).toFixed(0)} / ${cpu(manyRuns).toFixed(0)} ms per epoch; load average ${load.toFixed(1)}`,
    );
    const common = {
      rows: n,
      batch: cfg.batch_size,
      steps_per_epoch: steps,
      architecture: `${x.cols}-${cfg.hidden.join('-')}-10 ${cfg.activation}, ${cfg.optimizer} lr ${cfg.lr}, cross-entropy`,
      js_gflops: gflops(jsRun.ms),
      flops_per_epoch: flops,
      copies_per_step: copies.count,
      copied_floats_per_step: copies.floats,
      copy_ms_per_epoch: copies.ms * steps,
      resident: {
        epoch_ms: resMs,
        rounds_ms: resRuns.map((r) => r.ms),
        epoch_losses: resRuns.map((r) => r.loss),
        copies_per_step: residentCopies.count,
        copied_floats_per_step: residentCopies.floats,
        copy_ms_per_epoch: residentCopies.ms * steps,
        copy_fraction: (residentCopies.ms * steps) / resMs,
      },
      load_average: load,
    };
    return [
      {
        case: 'mlp-epoch-wasm',
        unit: 'ms',
        ours: oneMs,
        peer: jsRun.ms,
        peer_name: 'the js backend (same process, one thread)',
        ratio: oneMs / jsRun.ms,
        env: { backend: 'wasm', threads: 1, openblas_core: null },
        detail: {
          ...common,
          speedup_over_js: jsRun.ms / oneMs,
          gflops: gflops(oneMs),
          wasm_rounds_ms: oneRuns.map((r) => r.ms),
          cpu_ms_per_epoch: cpu(oneRuns),
          epoch_losses: { wasm: oneRuns.map((r) => r.loss), js: jsRun.loss },
          copy_fraction: (copies.ms * steps) / oneMs,
        },
      },
      {
        case: 'mlp-epoch-wasm-threads',
        unit: 'ms',
        ours: manyMs,
        peer: oneMs,
        peer_name: 'the wasm backend on one thread (same process, epochs alternating)',
        ratio: manyMs / oneMs,
        env: { backend: 'wasm', threads: ctx.threads, openblas_core: null },
        detail: {
          ...common,
          speedup_over_js: jsRun.ms / manyMs,
          speedup_over_one_thread: oneMs / manyMs,
          gflops: gflops(manyMs),
          one_thread_gflops: gflops(oneMs),
          wasm_rounds_ms: manyRuns.map((r) => r.ms),
          cpu_ms_per_epoch: cpu(manyRuns),
          one_thread_cpu_ms_per_epoch: cpu(oneRuns),
          epoch_losses: { wasm: manyRuns.map((r) => r.loss), one_thread: oneRuns.map((r) => r.loss), js: jsRun.loss },
          worker_tiles: workerTiles,
          copy_fraction: (copies.ms * steps) / manyMs,
        },
      },
      {
        case: 'mlp-epoch-wasm-vs-torch',
        unit: 'ms',
        ours: manyMs,
        peer: torch?.ms ?? null,
        peer_name: torch === null ? null : `PyTorch ${torch.version} loop, randperm indexing (${torch.label}, the faster of ${TORCH_CONFIGS.length})`,
        ratio: torch === null ? null : manyMs / torch.ms,
        env: { backend: 'wasm', threads: ctx.threads, openblas_core: null },
        detail: {
          ...common,
          note: 'the wasm epoch on the runner’s threads against the PyTorch loop; both run the same network, init scheme, loss and Adam on the same rows',
          gflops: gflops(manyMs),
          peer_gflops: torch === null ? null : gflops(torch.ms),
          peer_runs: torch?.runs ?? [],
          peer_epoch_loss: torch?.loss ?? null,
        },
      },
    ];
  },
};

/** PyTorch's thread layouts on 2 cores (never both pools at 2), torch 1.13's default for-loop Adam. */
const TORCH_CONFIGS = [
  { label: 'torch 1 thread, OpenBLAS 2', args: ['--threads', '1', '--blas-threads', '2'] },
  { label: 'torch 2 threads, OpenBLAS 1', args: ['--threads', '2', '--blas-threads', '1'] },
];

/** One timed epoch of the same MLP in PyTorch per layout (after 50 warm-up steps); the faster, or null when PyTorch cannot run. */
function torchEpoch(
  ctx: Parameters<BenchCase['run']>[0],
  xNpy: string,
  labels: Int32Array,
  cfg: ReturnType<typeof mlpConfigSchema.parse>,
  parameters: number,
): { ms: number; label: string; version: string; loss: number; runs: { label: string; ms: number }[] } | null {
  if (cfg.activation !== 'sigmoid' || cfg.optimizer !== 'adam' || cfg.hidden.length !== 1) {
    throw new Error(`mlp-epoch-wasm: the PyTorch peer builds 784-N-10 sigmoid with Adam; train mlp's defaults are now ${JSON.stringify(cfg)}`);
  }
  const labelsNpy = ctx.tmpPath('mlp-epoch-labels.npy');
  writeNpy(labelsNpy, { dtype: 'i4', shape: [labels.length], data: labels });
  const common = ['--mode', 'epoch', '--arch', `fc${cfg.hidden[0]}`, '--hidden-activation', 'sigmoid', '--data', xNpy, '--labels', labelsNpy];
  const runs: { label: string; ms: number; loss: number; version: string }[] = [];
  for (const c of TORCH_CONFIGS) {
    const out = ctx.peer('cnn_torch.py', [
      ...common,
      '--batch',
      String(cfg.batch_size),
      '--lr',
      String(cfg.lr),
      '--warmup-steps',
      '50',
      '--epochs',
      '1',
      ...c.args,
    ]);
    if (out === null) continue;
    if (out.parameters !== parameters) throw new Error(`mlp-epoch-wasm: PyTorch's network has ${String(out.parameters)} parameters, ours ${parameters}`);
    runs.push({ label: c.label, ms: out.ms_median as number, loss: out.loss as number, version: String(out.torch) });
    ctx.log(`mlp epoch in PyTorch (${c.label}): ${(out.ms_median as number).toFixed(0)} ms`);
  }
  if (runs.length === 0) return null;
  const best = [...runs].sort((a, b) => a.ms - b.ms)[0];
  return { ms: best.ms, label: best.label, version: best.version, loss: best.loss, runs: runs.map(({ label, ms }) => ({ label, ms })) };
}
