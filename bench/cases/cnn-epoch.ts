/**
 * Case cnn-epoch: one training epoch of `latentlab train cnn`'s default network (DEFAULT_ARCH of
 * src/runs/kinds/cnn/arch.ts, built by `buildCnn` as the run kind builds it — for
 * 'c32k5psame,mp2,c64k5psame,mp2,fc512,d0.5': Unflatten → Conv2d(1,32,5,'same') → ReLU →
 * MaxPool2d(2) → Conv2d(32,64,5,'same') → ReLU → MaxPool2d(2) → Flatten → Linear(3136,512) → ReLU →
 * Dropout(0.5) → Linear(512,10)) on the 60,000 MNIST training images, minibatches of 64 in a fresh
 * shuffled order, Adam (lr 1e-3), cross-entropy, by `trainSteps` as src/runs/kinds/classifier.ts
 * drives it, vs the same network in the standard PyTorch loop (bench/peers/cnn_torch.py --mode
 * epoch, which builds its nn.Sequential from the same architecture string: randperm indexing, no
 * DataLoader). Unit: ms per epoch.
 *
 * A PyTorch epoch takes minutes on 2 cores, so (as desom-train) each thread/Adam layout is probed
 * with a short run (PROBE_STEPS steps after PROBE_WARMUP warm-up steps, median ms per step) and only
 * the fastest one runs the timed rounds, alternating with ours.
 */
import { loadDataset } from '../../src/data/fetch.js';
import { writeNpy } from '../../src/io/npy.js';
import { CrossEntropyLoss } from '../../src/nn/cross-entropy.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/random.js';
import { DEFAULT_ARCH, buildCnn, parseArch } from '../../src/runs/kinds/cnn/arch.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { trainSteps } from '../../src/train/loop.js';
import { TORCH_THREAD_CONFIGS, alternateRounds, type BenchCase, type PeerConfig } from '../common.js';

const BATCH = 64;
const LR = 1e-3;
const ROUNDS = 3;
const WARMUP_STEPS = 50;
/** Steps of a thread/Adam probe of the peer, after PROBE_WARMUP untimed ones. */
const PROBE_STEPS = 60;
const PROBE_WARMUP = 20;

/** Torch's two thread layouts, each with torch 1.13's default for-loop Adam and the multi-tensor one. */
const PEER_CONFIGS: PeerConfig[] = TORCH_THREAD_CONFIGS.flatMap((c) => [
  { label: `${c.label}, for-loop Adam`, args: [...c.args, '--adam', 'single'] },
  { label: `${c.label}, foreach Adam`, args: [...c.args, '--adam', 'foreach'] },
]);

export const cnnEpochCase: BenchCase = {
  name: 'cnn-epoch',
  description: `one epoch on 60,000 MNIST images (CNN ${DEFAULT_ARCH}, batch ${BATCH}, Adam lr ${LR}, cross-entropy) vs the PyTorch loop`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('train');
    const { labels } = await loadDataset('mnist', { split: 'train' });
    if (labels.length !== x.rows) throw new Error(`cnn-epoch: ${labels.length} labels for ${x.rows} rows`);
    const labelsNpy = ctx.tmpPath('mnist-train-labels.npy');
    writeNpy(labelsNpy, { dtype: 'i4', shape: [labels.length], data: labels });
    const env = ctx.useNative();
    const model = buildCnn(parseArch(DEFAULT_ARCH), { input: [1, 28, 28], classes: 10, activation: 'relu', rng: new Rng(0) });
    const optimizer = new Adam(model.parameters(), { lr: LR });
    const loss = new CrossEntropyLoss();
    const rng = new Rng(1);
    const epoch = (data: Tensor, maxSteps = Infinity): number => {
      let steps = 0;
      let mean = NaN;
      for (const e of trainSteps({ model, loss, optimizer, x: data, y: labels, batchSize: BATCH, epochs: 1, rng })) {
        if (e.type === 'epoch') mean = e.loss;
        else if (++steps >= maxSteps) break;
      }
      return mean;
    };
    epoch(x, WARMUP_STEPS);

    const common = ['--mode', 'epoch', '--arch', DEFAULT_ARCH, '--data', npy, '--labels', labelsNpy, '--batch', String(BATCH), '--lr', String(LR)];
    const probes: { label: string; ms_per_step: number; other_cores: unknown }[] = [];
    for (const c of PEER_CONFIGS) {
      const out = ctx.peer('cnn_torch.py', [...common, '--warmup-steps', String(PROBE_WARMUP), '--steps', String(PROBE_STEPS), ...c.args], c.env ?? {});
      if (out === null) continue;
      if (out.parameters !== model.parameterCount()) {
        throw new Error(`cnn-epoch: PyTorch's network for ${DEFAULT_ARCH} has ${String(out.parameters)} parameters, ours ${model.parameterCount()}`);
      }
      probes.push({ label: c.label, ms_per_step: out.ms_per_step_median as number, other_cores: out.other_cores ?? null });
      ctx.log(`cnn-epoch: PyTorch probe (${c.label}) ${(out.ms_per_step_median as number).toFixed(1)} ms/step`);
    }
    const fastestProbe = probes.length === 0 ? null : [...probes].sort((a, b) => a.ms_per_step - b.ms_per_step)[0].label;
    const chosen = PEER_CONFIGS.filter((c) => c.label === fastestProbe);

    const losses: number[] = [];
    const peerLosses: number[] = [];
    const r = alternateRounds(ctx, {
      name: 'cnn-epoch',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const t0 = performance.now();
        losses.push(epoch(x));
        return performance.now() - t0;
      },
      script: 'cnn_torch.py',
      args: () => [...common, '--warmup-steps', String(WARMUP_STEPS), '--epochs', '1'],
      configs: chosen,
      value: (out) => {
        peerLosses.push(out.loss as number);
        return out.ms_median as number;
      },
    });
    const n = x.rows;
    return [
      {
        case: 'cnn-epoch',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name:
          r.peer === null
            ? null
            : `PyTorch ${String(r.fastestOut?.torch)} loop, randperm indexing (${fastestProbe}, the fastest of ${PEER_CONFIGS.length} thread/Adam configurations in a ${PROBE_STEPS}-step probe)`,
        ratio: r.ratio,
        env,
        detail: {
          rows: n,
          batch: BATCH,
          steps_per_epoch: Math.ceil(n / BATCH),
          optimizer: `Adam lr ${LR}, betas 0.9/0.999, eps 1e-8`,
          architecture: DEFAULT_ARCH,
          model:
            'Unflatten → Conv2d(1,32,5,same) → ReLU → MaxPool2d(2) → Conv2d(32,64,5,same) → ReLU → MaxPool2d(2) → Flatten → Linear(3136,512) → ReLU → Linear(512,10)',
          parameters: model.parameterCount(),
          samples_per_s: (n / r.ours) * 1000,
          peer_samples_per_s: r.peer === null ? null : (n / r.peer) * 1000,
          epoch_losses: losses,
          peer_epoch_losses: peerLosses,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: r.peerRounds,
          round_ratios: r.roundRatios,
          peer_probes_ms_per_step: probes,
          peer_config: fastestProbe,
          peer_conv_impl: r.fastestOut?.conv_impl ?? null,
          peer_openblas_core: r.fastestOut?.openblas_core ?? null,
          peer_runs: r.peerRuns,
          peer_loop:
            'x[perm[i:i+64]], y[perm[i:i+64]] with perm = torch.randperm(n) per epoch, zero_grad(set_to_none=True), cross_entropy, loss.item() per step; no DataLoader',
        },
      },
    ];
  },
};
