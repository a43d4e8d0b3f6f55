/**
 * Case conv-desom-step: one training step of the convolutional DESOM, `DESOM.create(x, { encoder:
 * 'conv', rng })` with its defaults — encoder Unflatten(1, [1, 28, 28]) → Conv2d(3×3, stride 2,
 * padding 1) + ReLU for 32, 64, 128, 256 filters (28 → 14 → 7 → 4 → 2) → Flatten → Linear(1024, 10),
 * linear code; decoder Linear(10, 1024) + ReLU → Unflatten(1, [256, 2, 2]) → ConvTranspose2d(3×3,
 * stride 2, padding 1) 256→128 (output padding 1), 128→64 (0), 64→32 (1), each + ReLU, 32→1 (1)
 * (2 → 4 → 7 → 14 → 28) → Flatten, linear output; Glorot-uniform weights, zero biases; 64 prototypes
 * on an 8×8 map (the codes of 64 rows of the batch) — float32, batch 256. The step is desom-step's
 * (`desomStepOn`): forward, L = MSE + γ·Lsom with w = exp(−δ(bmu,k)²/T²), T = 5, from the same
 * forward pass and held fixed, backward, Adam (lr 1e-3, ε 1e-7). The batch is 256 seeded U[0,1)
 * rows (784 values each, as desom-step's), reused every step.
 *
 * Peer: the same network in PyTorch (bench/peers/conv_desom_step_torch.py), loaded with our initial
 * parameters and batch (written as .npy), so both sides' first-step losses are compared; its
 * parameter count and FLOPs per step (from its own layer shapes) must equal ours. Torch 1.13 runs
 * the convolutions through oneDNN in its OpenMP pool and the Linear layers through OpenBLAS, so
 * all four thread/Adam layouts of desom-step are tried each round, the fastest is its number.
 * Unit: ms per step; GFLOP/s in detail.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { convAeSizes } from '../../src/ae/autoencoder.js';
import { DESOM, DESOM_DEFAULTS } from '../../src/desom/model.js';
import { npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { backend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { TORCH_THREAD_CONFIGS, alternateRounds, median, timeCalls, type BenchCase, type PeerConfig } from '../common.js';
import { MAP, desomStepOn } from './desom-step.js';

const BATCH = 256;
const IMAGE: [number, number, number] = [1, 28, 28];
const FILTERS = DESOM_DEFAULTS.filters;
const KERNEL = DESOM_DEFAULTS.kernel;
const LATENT = DESOM_DEFAULTS.latent;
const ROUNDS = 3;
/** Ours per round: the median over REPEATS of the median step of STEPS steps. */
const REPEATS = 3;
const STEPS = 5;
const WARMUP = 3;

/** desom-step's four PyTorch layouts: torch 2 / OpenBLAS 1 and torch 1 / OpenBLAS 2, each with both Adams. */
const PEER_CONFIGS: PeerConfig[] = TORCH_THREAD_CONFIGS.flatMap((c) => [
  { label: `${c.label}, for-loop Adam`, args: [...c.args, '--adam', 'single'] },
  { label: `${c.label}, foreach Adam`, args: [...c.args, '--adam', 'foreach'] },
]);

/**
 * FLOPs of one step, counted as the peer counts them. Convolution i (channels cᵢ → cᵢ₊₁, output
 * sᵢ₊₁ × sᵢ₊₁) is one GEMM of fᵢ = 2·B·cᵢ₊₁·sᵢ₊₁²·cᵢ·k² forward and two backward (weight and input
 * gradient), except the first, whose input gradient is not computed; its transposed convolution in
 * the decoder is the same GEMMs (fᵢ forward, 2fᵢ backward). Linear 1024 → 10 and 10 → 1024:
 * 2·B·in·out forward, twice that backward. Distances: 2·B·64·10·3. 10.199 GFLOP at B = 256.
 */
export function convDesomStepFlops(batch = BATCH): number {
  const { sizes } = convAeSizes('conv-desom-step', { image: IMAGE, filters: FILTERS, kernel: KERNEL });
  const channels = [IMAGE[0], ...FILTERS];
  let f = 0;
  for (let i = 0; i < FILTERS.length; i++) {
    const [h, w] = sizes[i + 1];
    const gemm = 2 * batch * channels[i + 1] * h * w * channels[i] * KERNEL * KERNEL;
    f += (i === 0 ? 2 : 3) * gemm + 3 * gemm;
  }
  const [lh, lw] = sizes[FILTERS.length];
  const flat = FILTERS[FILTERS.length - 1] * lh * lw;
  f += 2 * 3 * 2 * batch * flat * LATENT;
  return f + 2 * batch * MAP[0] * MAP[1] * LATENT * 3;
}

export const convDesomStepCase: BenchCase = {
  name: 'conv-desom-step',
  description: `one convolutional DESOM training step (conv ${FILTERS.join('-')}, 3×3 stride 2), batch ${BATCH} (native backend) vs PyTorch`,
  run(ctx) {
    const env = ctx.useNative();
    const rng = new Rng(0);
    const x = Tensor.zeros([BATCH, IMAGE[0] * IMAGE[1] * IMAGE[2]]);
    rng.fillUniform(x.data, 0, 1);
    const model = DESOM.create(x, { encoder: 'conv', rng });
    if (model.topology.rows !== MAP[0] || model.topology.cols !== MAP[1]) throw new Error(`conv-desom-step: expected an ${MAP.join('×')} map`);
    const flops = convDesomStepFlops(BATCH);
    const s = desomStepOn({ encoder: model.ae.encoder, decoder: model.ae.decoder, prototypes: model.som.parameter, x, flops });

    // The peer starts from our parameters and batch.
    const weights = ctx.tmpPath('conv-desom-weights');
    mkdirSync(weights, { recursive: true });
    for (const [name, p] of model.namedParameters()) writeNpy(join(weights, `${name}.npy`), npyFromTensor(p.value));
    const xNpy = ctx.tmpPath('conv-desom-x.npy');
    writeNpy(xNpy, npyFromTensor(x));

    const firstLoss = s.step().loss;
    for (let i = 0; i < WARMUP; i++) s.step();
    const r = alternateRounds(ctx, {
      name: 'conv-desom-step',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const reps: number[] = [];
        for (let i = 0; i < REPEATS; i++) reps.push(median(timeCalls(() => s.step(), STEPS)));
        return median(reps);
      },
      script: 'conv_desom_step_torch.py',
      args: () => ['--data', xNpy, '--weights', weights, '--warmup', String(WARMUP), '--steps', String(STEPS), '--repeats', String(REPEATS)],
      configs: PEER_CONFIGS,
      value: (out) => out.ms_per_step_median as number,
    });
    const out = r.fastestOut;
    if (out !== null) {
      if (out.parameters !== model.parameterCount())
        throw new Error(`conv-desom-step: PyTorch's network has ${String(out.parameters)} parameters, ours ${model.parameterCount()}`);
      const peerFlops = (out.gflop_per_step as number) * 1e9;
      if (Math.abs(peerFlops - flops) > 1e-6 * flops) throw new Error(`conv-desom-step: PyTorch counts ${peerFlops} FLOPs per step, ours ${flops}`);
    }
    const peerFirstLoss = (out?.loss_first ?? null) as number | null;
    const lossRelDiff = peerFirstLoss === null ? null : Math.abs(firstLoss - peerFirstLoss) / Math.abs(peerFirstLoss);
    ctx.log(
      `conv-desom-step: latentlab ${r.ours.toFixed(1)} ms/step (${(flops / r.ours / 1e6).toFixed(1)} GFLOP/s), PyTorch ${r.peer === null ? '—' : `${r.peer.toFixed(1)} ms/step (${(flops / r.peer / 1e6).toFixed(1)} GFLOP/s)`}; ` +
        `first-step loss ${firstLoss.toFixed(6)} vs ${peerFirstLoss === null ? '—' : peerFirstLoss.toFixed(6)}`,
    );
    return [
      {
        case: 'conv-desom-step',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name:
          r.peer === null
            ? null
            : `PyTorch ${String(out?.torch)}, convolutions ${String(out?.conv_impl)} (fastest of ${PEER_CONFIGS.length} thread/Adam configurations each round)`,
        ratio: r.ratio,
        env,
        detail: {
          matmul_precision: backend().info().matmulPrecision,
          model: model.toString(),
          parameters: model.parameterCount(),
          batch: BATCH,
          gflop_per_step: flops / 1e9,
          gflops: flops / r.ours / 1e6,
          peer_gflops: r.peer === null ? null : flops / r.peer / 1e6,
          loss_first: firstLoss,
          peer_loss_first: peerFirstLoss,
          loss_first_rel_diff: lossRelDiff,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: r.peerRounds,
          round_ratios: r.roundRatios,
          peer_fastest_config: r.fastest,
          peer_runs: r.peerRuns,
          peer_ms_adam: out?.ms_adam ?? null,
          peer_layers: out?.layers ?? null,
          peer_openblas_core: out?.openblas_core ?? null,
        },
      },
    ];
  },
};
