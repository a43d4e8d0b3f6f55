/**
 * Case ae-epoch: one training epoch of seed 001's autoencoder (bench/cases/ae-net.ts) on the 60,000
 * MNIST training images, minibatches of 64 in a fresh shuffled order, Adam (lr 0.005), MSE:
 * `trainAutoencoderSteps` vs the standard PyTorch loop (bench/peers/ae_torch.py --mode epoch:
 * tensor indexing with a randperm, no DataLoader). Unit: ms per epoch.
 */
import { trainAutoencoderSteps } from '../../src/ae/train.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { TORCH_THREAD_CONFIGS, alternateRounds, type BenchCase, type PeerConfig } from '../common.js';
import { AE_ARCH, makeAe } from './ae-net.js';

const BATCH = 64;
const LR = 0.005;
const ROUNDS = 3;
const WARMUP_STEPS = 50;

/** Torch's two thread layouts, each with torch 1.13's default for-loop Adam and the multi-tensor one. */
const PEER_CONFIGS: PeerConfig[] = TORCH_THREAD_CONFIGS.flatMap((c) => [
  { label: `${c.label}, for-loop Adam`, args: [...c.args, '--adam', 'single'] },
  { label: `${c.label}, foreach Adam`, args: [...c.args, '--adam', 'foreach'] },
]);

export const aeEpochCase: BenchCase = {
  name: 'ae-epoch',
  description: `one epoch on 60,000 MNIST images (AE ${AE_ARCH}, batch ${BATCH}, Adam lr ${LR}, MSE) vs the PyTorch loop`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('train');
    const env = ctx.useNative();
    const model = makeAe(0);
    const optimizer = new Adam(model.parameters(), { lr: LR });
    const rng = new Rng(1);
    const epoch = (data: Tensor, maxSteps = Infinity): number => {
      let steps = 0;
      let loss = NaN;
      for (const e of trainAutoencoderSteps({ model, optimizer, x: data, batchSize: BATCH, epochs: 1, rng })) {
        if (e.type === 'epoch') loss = e.loss;
        else if (++steps >= maxSteps) break;
      }
      return loss;
    };
    epoch(x, WARMUP_STEPS);
    const losses: number[] = [];
    const r = alternateRounds(ctx, {
      name: 'ae-epoch',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const t0 = performance.now();
        losses.push(epoch(x));
        return performance.now() - t0;
      },
      script: 'ae_torch.py',
      args: () => ['--mode', 'epoch', '--data', npy, '--batch', String(BATCH), '--lr', String(LR), '--warmup-steps', String(WARMUP_STEPS), '--epochs', '1'],
      configs: PEER_CONFIGS,
      value: (out) => out.ms_median as number,
    });
    const n = x.rows;
    return [
      {
        case: 'ae-epoch',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name:
          r.peer === null
            ? null
            : `PyTorch ${String(r.fastestOut?.torch)} loop, randperm indexing (fastest of ${PEER_CONFIGS.length} thread/Adam configurations each round)`,
        ratio: r.ratio,
        env,
        detail: {
          rows: n,
          batch: BATCH,
          steps_per_epoch: Math.ceil(n / BATCH),
          optimizer: `Adam lr ${LR}, betas 0.9/0.999, eps 1e-8`,
          architecture: AE_ARCH,
          samples_per_s: (n / r.ours) * 1000,
          peer_samples_per_s: r.peer === null ? null : (n / r.peer) * 1000,
          epoch_losses: losses,
          peer_epoch_loss: r.fastestOut?.loss ?? null,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: r.peerRounds,
          round_ratios: r.roundRatios,
          peer_fastest_config: r.fastestOut === null ? null : r.fastest,
          peer_runs: r.peerRuns,
          peer_loop: 'x[perm[i:i+64]] with perm = torch.randperm(n) per epoch, zero_grad(set_to_none=True), loss.item() per step; no DataLoader',
        },
      },
    ];
  },
};
