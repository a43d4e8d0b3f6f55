/**
 * Case conv-forward-backward: Conv2d(1,32,3,p1) → ReLU → Conv2d(32,64,3,p1) → ReLU on a batch of 256
 * MNIST images (the first 256 training rows as 256×1×28×28): one pass = zero the gradients, forward,
 * backward of the sum of the output (dL/dy = 1, a preallocated tensor of ones), computing every
 * parameter gradient and the input gradient; no optimizer. Peer: the same layers in PyTorch, loaded
 * with our initial weights (bench/peers/cnn_torch.py --mode conv), so both sides' output sums and
 * gradient norms are reported and compared. Unit: ms per pass; GFLOP/s in detail.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { ReLU } from '../../src/nn/activation.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Rng } from '../../src/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { TORCH_THREAD_CONFIGS, alternateRounds, median, timeCalls, type BenchCase } from '../common.js';

const BATCH = 256;
const SIDE = 28;
/** [in, out] channels of the two 3×3 convolutions (stride 1, padding 1: the output keeps 28×28). */
const CONVS = [
  [1, 32],
  [32, 64],
] as const;
const KERNEL = 3;
const ROUNDS = 3;
const WARMUP = 3;
const REPEATS = 10;

/**
 * FLOPs of one pass: each convolution is three GEMMs over its im2col matrix — forward
 * y (out × P) = W (out × K) · cols (K × P), input gradient cols' = Wᵀ · dy, weight gradient
 * dW = dy · colsᵀ — each 2·B·out·K·P FLOPs with K = in·kh·kw and P = H'·W'; so
 * Σ_convs 3 · 2 · B · out · in · kh · kw · H' · W' = 6 · 256 · 9 · 784 · (32·1 + 64·32) = 22.54 GFLOP
 * (bias, ReLU and col2im not counted).
 */
export function convPassFlops(batch = BATCH): number {
  return CONVS.reduce((f, [cin, cout]) => f + 3 * 2 * batch * cout * cin * KERNEL * KERNEL * SIDE * SIDE, 0);
}

function norm(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

export const convForwardBackwardCase: BenchCase = {
  name: 'conv-forward-backward',
  description: `forward + backward of Conv2d(1,32,3,p1)-ReLU-Conv2d(32,64,3,p1)-ReLU on ${BATCH} MNIST images vs PyTorch`,
  async run(ctx) {
    const { x: all } = await ctx.mnist('train');
    const env = ctx.useNative();
    const rows = new Tensor(all.data.slice(0, BATCH * SIDE * SIDE), [BATCH, SIDE * SIDE]);
    const x = rows.reshape([BATCH, 1, SIDE, SIDE]);
    const rng = new Rng(0);
    const [c1, c2] = CONVS.map(([cin, cout]) => new Conv2d(cin, cout, KERNEL, { rng, padding: 1, inputGrad: true }));
    const model = new Sequential([c1, new ReLU(), c2, new ReLU()]);
    const ones = Tensor.full([BATCH, CONVS[1][1], SIDE, SIDE], 1);

    // The peer reads the same batch and our initial weights.
    const batchNpy = ctx.tmpPath('conv-batch.npy');
    writeNpy(batchNpy, npyFromTensor(rows));
    const weights = ctx.tmpPath('conv-weights');
    mkdirSync(weights, { recursive: true });
    for (const [name, conv] of [
      ['conv1', c1],
      ['conv2', c2],
    ] as const) {
      writeNpy(join(weights, `${name}.weight.npy`), npyFromTensor(conv.weight.value));
      writeNpy(join(weights, `${name}.bias.npy`), npyFromTensor(conv.bias!.value));
    }

    let y = x;
    let dx = x;
    const pass = (): void => {
      model.zeroGrad();
      y = model.forward(x);
      dx = model.backward(ones);
    };
    for (let i = 0; i < WARMUP; i++) pass();
    const flops = convPassFlops();
    const r = alternateRounds(ctx, {
      name: 'conv-forward-backward',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => median(timeCalls(pass, REPEATS)),
      script: 'cnn_torch.py',
      args: () => ['--mode', 'conv', '--data', batchNpy, '--weights', weights, '--warmup', String(WARMUP), '--repeats', String(REPEATS)],
      configs: TORCH_THREAD_CONFIGS,
      value: (out) => out.ms_median as number,
    });

    let ySum = 0;
    for (let i = 0; i < y.size; i++) ySum += y.data[i];
    const grads: Record<string, number> = {
      'conv1.weight': norm(c1.weight.grad.data),
      'conv1.bias': norm(c1.bias!.grad.data),
      'conv2.weight': norm(c2.weight.grad.data),
      'conv2.bias': norm(c2.bias!.grad.data),
      input: norm(dx.data),
    };
    const peerGrads = (r.fastestOut?.grads ?? null) as Record<string, number> | null;
    const peerYSum = (r.fastestOut?.y_sum ?? null) as number | null;
    const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
    const maxRelDiff =
      peerGrads === null || peerYSum === null ? null : Math.max(relDiff(ySum, peerYSum), ...Object.keys(grads).map((k) => relDiff(grads[k], peerGrads[k])));
    ctx.log(
      `conv-forward-backward: latentlab ${r.ours.toFixed(2)} ms (${(flops / r.ours / 1e6).toFixed(1)} GFLOP/s), PyTorch ${r.peer === null ? '—' : `${r.peer.toFixed(2)} ms (${(flops / r.peer / 1e6).toFixed(1)} GFLOP/s)`}; ` +
        `output sum and gradient norms agree to ${maxRelDiff === null ? '—' : maxRelDiff.toExponential(2)} (max relative difference)`,
    );
    return [
      {
        case: 'conv-forward-backward',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name:
          r.peer === null
            ? null
            : `PyTorch ${String(r.fastestOut?.torch)} nn.Conv2d, ${String(r.fastestOut?.conv_impl)} (fastest of ${TORCH_THREAD_CONFIGS.length} thread configurations each round)`,
        ratio: r.ratio,
        env,
        detail: {
          batch: BATCH,
          layers: 'Conv2d(1,32,3,p1) → ReLU → Conv2d(32,64,3,p1) → ReLU, input 256×1×28×28',
          pass: 'zero grads, forward, backward of sum(y) (dy = ones): weight, bias and input gradients of both convolutions',
          gflop_per_pass: flops / 1e9,
          flops_formula: 'Σ_convs 3 GEMMs (forward, input gradient, weight gradient) × 2·B·out·(in·kh·kw)·(H′·W′)',
          gflops: flops / r.ours / 1e6,
          peer_gflops: r.peer === null ? null : flops / r.peer / 1e6,
          samples_per_s: (BATCH / r.ours) * 1000,
          peer_samples_per_s: r.peer === null ? null : (BATCH / r.peer) * 1000,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: r.peerRounds,
          round_ratios: r.roundRatios,
          peer_fastest_config: r.fastestOut === null ? null : r.fastest,
          peer_runs: r.peerRuns,
          peer_conv_impl: r.fastestOut?.conv_impl ?? null,
          peer_openblas_core: r.fastestOut?.openblas_core ?? null,
          y_sum: ySum,
          peer_y_sum: peerYSum,
          grad_norms: grads,
          peer_grad_norms: peerGrads,
          max_rel_diff: maxRelDiff,
        },
      },
    ];
  },
};
