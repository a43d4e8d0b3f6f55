/**
 * Case ae-inference: encode + decode of the 10,000 MNIST test images by seed 001's autoencoder
 * (bench/cases/ae-net.ts) in batches of 1,000, `Autoencoder.reconstruct` vs PyTorch under
 * torch.no_grad() (bench/peers/ae_torch.py --mode inference). Unit: ms per pass over the 10,000.
 */
import { TORCH_THREAD_CONFIGS, alternateRounds, median, timeCalls, type BenchCase } from '../common.js';
import { AE_ARCH, makeAe } from './ae-net.js';

const BATCH = 1000;
const ROUNDS = 3;
const REPEATS = 7;

export const aeInferenceCase: BenchCase = {
  name: 'ae-inference',
  description: `reconstruct 10,000 MNIST test images (AE ${AE_ARCH}, batches of ${BATCH}) vs PyTorch no_grad`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('test');
    const env = ctx.useNative();
    const ae = makeAe(0);
    for (let i = 0; i < 2; i++) ae.reconstruct(x, BATCH);
    const r = alternateRounds(ctx, {
      name: 'ae-inference',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => median(timeCalls(() => ae.reconstruct(x, BATCH), REPEATS)),
      script: 'ae_torch.py',
      args: () => ['--mode', 'inference', '--data', npy, '--batch', String(BATCH), '--warmup', '2', '--repeats', String(REPEATS)],
      configs: TORCH_THREAD_CONFIGS,
      value: (out) => out.ms_median as number,
    });
    const n = x.rows;
    return [
      {
        case: 'ae-inference',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name:
          r.peer === null
            ? null
            : `PyTorch ${String(r.fastestOut?.torch)} no_grad (fastest of ${TORCH_THREAD_CONFIGS.length} thread configurations each round)`,
        ratio: r.ratio,
        env,
        detail: {
          rows: n,
          batch: BATCH,
          architecture: AE_ARCH,
          samples_per_s: (n / r.ours) * 1000,
          peer_samples_per_s: r.peer === null ? null : (n / r.peer) * 1000,
          repeats_per_round: REPEATS,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: r.peerRounds,
          round_ratios: r.roundRatios,
          peer_fastest_config: r.fastest,
          peer_runs: r.peerRuns,
        },
      },
    ];
  },
};
