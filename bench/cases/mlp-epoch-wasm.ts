/**
 * Case mlp-epoch-wasm: one epoch of the README's first command, `latentlab train mlp` with its
 * defaults (784-100-10, sigmoid, PyTorch's default init, Adam lr 0.003, minibatches of 64 in a
 * shuffled order, cross-entropy) on the 60,000 MNIST training rows, on the wasm backend against the
 * js backend in the same process (both single-threaded). No PyTorch peer: the wasm backend's
 * target is the js backend it replaces (issue 19: ≥ 10×). Also what the wasm backend's copies of
 * the operands between JS and wasm memory cost: one step's copies, recorded and replayed.
 */
import { loadDataset } from '../../src/data/fetch.js';
import { CrossEntropyLoss } from '../../src/nn/cross-entropy.js';
import { Linear } from '../../src/nn/linear.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { buildOptimizer } from '../../src/optim/registry.js';
import { Rng } from '../../src/random.js';
import { mlpConfigSchema } from '../../src/runs/kinds/mlp/config.js';
import { buildMlp } from '../../src/runs/kinds/mlp/train.js';
import type { WasmBackend } from '../../src/tensor/backends/wasm.js';
import { backend, useBackend } from '../../src/tensor/registry.js';
import type { Tensor } from '../../src/tensor/tensor.js';
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

export const mlpEpochWasmCase: BenchCase = {
  name: 'mlp-epoch-wasm',
  description: 'one epoch of `train mlp` (784-100-10 sigmoid, Adam, batch 64) on 60,000 MNIST rows: wasm against js, same process',
  async run(ctx) {
    const { x, labels } = await loadDataset('mnist', { split: 'train' });
    const cfg = mlpConfigSchema.parse({});
    const n = x.rows;
    const setup = (name: 'wasm' | 'js') => {
      useBackend(name);
      const rng = new Rng(0);
      const model = buildMlp(cfg, x.cols, 10, rng);
      const optimizer = buildOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
      const loss = new CrossEntropyLoss();
      const epoch = (data: Tensor, maxSteps = Infinity): { ms: number; loss: number } => {
        const t0 = performance.now();
        let steps = 0;
        let last = NaN;
        for (const e of trainSteps({ model, loss, optimizer, x: data, y: labels, batchSize: cfg.batch_size, epochs: 1, rng })) {
          if (e.type === 'epoch') last = e.loss;
          else if (++steps >= maxSteps) break;
        }
        return { ms: performance.now() - t0, loss: last };
      };
      return { model, epoch };
    };
    const flops = linearFlops(setup('js').model, n);
    const w = setup('wasm');
    w.epoch(x, 50); // warm-up: compiled code, the arena grown
    const be = backend() as WasmBackend;
    be.traceCopies(true);
    const tracedSteps = 20;
    w.epoch(x, tracedSteps);
    const copies = be.traceCopies(false);
    const copyMsPerStep = replayCopies(copies, 20) / tracedSteps;
    const wasmRuns = [w.epoch(x), w.epoch(x), w.epoch(x)];
    const wasmMs = median(wasmRuns.map((r) => r.ms));
    ctx.log(`mlp epoch on wasm: ${wasmRuns.map((r) => r.ms.toFixed(0)).join(', ')} ms`);
    const j = setup('js');
    j.epoch(x, 50);
    const jsRun = j.epoch(x); // one epoch: about 15 s on js
    ctx.log(`mlp epoch on js: ${jsRun.ms.toFixed(0)} ms`);
    const steps = Math.ceil(n / cfg.batch_size);
    const copyMs = copyMsPerStep * steps;
    ctx.log(
      `wasm ${wasmMs.toFixed(0)} ms vs js ${jsRun.ms.toFixed(0)} ms: ${(jsRun.ms / wasmMs).toFixed(1)}× (${(flops / wasmMs / 1e6).toFixed(2)} vs ${(flops / jsRun.ms / 1e6).toFixed(2)} GFLOP/s); copies ≈ ${copyMs.toFixed(0)} ms of the epoch`,
    );
    return [
      {
        case: 'mlp-epoch-wasm',
        unit: 'ms',
        ours: wasmMs,
        peer: jsRun.ms,
        peer_name: 'the js backend (same process, one thread)',
        ratio: wasmMs / jsRun.ms,
        env: { backend: 'wasm', threads: 1, openblas_core: null },
        detail: {
          rows: n,
          batch: cfg.batch_size,
          steps_per_epoch: steps,
          architecture: `${x.cols}-${cfg.hidden.join('-')}-10 ${cfg.activation}, ${cfg.optimizer} lr ${cfg.lr}, cross-entropy`,
          speedup_over_js: jsRun.ms / wasmMs,
          gflops: flops / wasmMs / 1e6,
          js_gflops: flops / jsRun.ms / 1e6,
          flops_per_epoch: flops,
          wasm_rounds_ms: wasmRuns.map((r) => r.ms),
          epoch_losses: { wasm: wasmRuns.map((r) => r.loss), js: jsRun.loss },
          copies_per_step: copies.length / tracedSteps,
          copied_floats_per_step: copies.reduce((a, b) => a + b, 0) / tracedSteps,
          copy_ms_per_epoch: copyMs,
          copy_fraction: copyMs / wasmMs,
        },
      },
    ];
  },
};
