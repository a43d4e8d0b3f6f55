/**
 * Case desom-step: one DESOM training step (seed 000, Algorithm 1) in float32, batch 256:
 * encoder 784-500-500-2000-10 and decoder 10-2000-500-500-784 (ReLU hidden, linear latent and
 * output, Glorot uniform), 64 prototypes on an 8×8 map, L = MSE + γ·Lsom with the assignment
 * weights w = exp(−δ(bmu,k)²/T²) computed from the same forward pass and held fixed, Adam.
 * Same work as bench/peers/desom_step_torch.py. Each round also times our step with every product
 * on OpenBLAS (LATENTLAB_GEMM=openblas; float32 only), and the detail gives the step's GFLOP/s as a
 * fraction of the FMA limit measured on the same threads (the addon's fmaPeak).
 */
import { Linear } from '../../src/nn/linear.js';
import { ReLU } from '../../src/nn/activation.js';
import type { Module } from '../../src/nn/module.js';
import { Parameter } from '../../src/nn/module.js';
import { MSELoss } from '../../src/nn/mse.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/random.js';
import { argminRows, somLossBackward } from '../../src/som/som-loss.js';
import type { MatmulPrecision } from '../../src/tensor/backend.js';
import type { NativeBackend } from '../../src/tensor/backends/native.js';
import { backend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { median, timeCalls, type BenchCase, type Row } from '../common.js';

export const ENCODER = [784, 500, 500, 2000, 10];
export const MAP = [8, 8] as const;
export const GAMMA = 0.001;
export const T = 5;

function mlp(sizes: number[], rng: Rng, firstInputGrad: boolean): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init: 'glorot_uniform', inputGrad: i > 0 || firstInputGrad }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(layers);
}

/** FLOPs of one step, counted as the peer counts them. */
export function desomStepFlops(batch: number): number {
  let f = 0;
  const layers: [number, number][] = [];
  for (let i = 0; i + 1 < ENCODER.length; i++) layers.push([ENCODER[i], ENCODER[i + 1]]);
  const dec = [...ENCODER].reverse();
  for (let i = 0; i + 1 < dec.length; i++) layers.push([dec[i], dec[i + 1]]);
  layers.forEach(([a, b], i) => {
    f += 2 * batch * a * b + (i === 0 ? 2 : 4) * batch * a * b;
  });
  return f + 2 * batch * 64 * 10 * 3;
}

export interface DesomStep {
  step(): { loss: number; lr: number; lsom: number };
  readonly flops: number;
}

export function makeDesomStep(batch = 256, seed = 0): DesomStep {
  const rng = new Rng(seed);
  const enc = mlp(ENCODER, rng, false);
  const dec = mlp([...ENCODER].reverse(), rng, true);
  const k = MAP[0] * MAP[1];
  const d = ENCODER[ENCODER.length - 1];
  const protos = new Parameter('prototypes', Tensor.zeros([k, d]));
  rng.fillUniform(protos.value.data, -1, 1);
  const x = Tensor.zeros([batch, ENCODER[0]]);
  rng.fillUniform(x.data, 0, 1);
  return desomStepOn({ encoder: enc, decoder: dec, prototypes: protos, x, flops: desomStepFlops(batch) });
}

/** What a step runs on: an encoder and a decoder over rows, the prototypes (MAP cells × latent), the batch. */
export interface DesomStepParts {
  encoder: Module;
  decoder: Module;
  prototypes: Parameter;
  /** The fixed batch (rows × input), reused every step. */
  x: Tensor;
  /** FLOPs of one step, counted as the peer counts them. */
  flops: number;
}

/**
 * The desom-step training step on any encoder / decoder pair (desom-step's MLP, or the conv DESOM's
 * stacks in conv-desom-step): Adam over the encoder's, the decoder's parameters and the prototypes,
 * in that order; the loss, w and T as in the file's comment.
 */
export function desomStepOn(p: DesomStepParts): DesomStep {
  const { encoder: enc, decoder: dec, prototypes: protos, x } = p;
  const batch = x.rows;
  const [k, d] = protos.value.shape;
  if (k !== MAP[0] * MAP[1]) throw new RangeError(`desomStepOn: expected ${MAP[0] * MAP[1]} prototypes (an ${MAP.join('×')} map), got ${k}`);
  const opt = new Adam([...enc.parameters(), ...dec.parameters(), protos], { lr: 1e-3, eps: 1e-7 });
  const mse = new MSELoss();
  // Kernel table K_T(δ(a,b)) with δ the Manhattan distance on the map.
  const table = new Float32Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const dd = Math.abs(Math.floor(a / MAP[1]) - Math.floor(b / MAP[1])) + Math.abs((a % MAP[1]) - (b % MAP[1]));
      table[a * k + b] = Math.exp(-(dd * dd) / (T * T));
    }
  }
  const dist = new Float32Array(batch * k);
  const w = new Float32Array(batch * k);
  const bmu = new Int32Array(batch);
  return {
    flops: p.flops,
    step() {
      const be = backend();
      opt.zeroGrad();
      const z = enc.forward(x);
      be.sqDistances(z.data, protos.value.data, batch, k, d, dist);
      argminRows(dist, batch, k, bmu);
      for (let i = 0; i < batch; i++) w.set(table.subarray(bmu[i] * k, (bmu[i] + 1) * k), i * k);
      const xhat = dec.forward(z);
      const loss = mse.forward(xhat, x);
      const dz = dec.backward(mse.backward());
      const lsom = somLossBackward(z.data, protos.value.data, w, dist, batch, k, d, GAMMA, dz.data, protos.grad.data);
      enc.backward(dz);
      opt.step();
      return { loss: loss + GAMMA * lsom, lsom, lr: opt.lr };
    },
  };
}

/**
 * PyTorch's configurations on 2 cores: torch threads × OpenBLAS threads ∈ {(2,1), (1,2)} (never
 * both at 2), each with torch 1.13's default for-loop Adam and the multi-tensor one. The fastest
 * is PyTorch's number.
 */
export const PEER_CONFIGS = [
  { label: 'torch 2 threads, OpenBLAS 1, for-loop Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'single'] },
  { label: 'torch 1 thread, OpenBLAS 2, for-loop Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'single'] },
  { label: 'torch 2 threads, OpenBLAS 1, foreach Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'foreach'] },
  { label: 'torch 1 thread, OpenBLAS 2, foreach Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'foreach'] },
];

/** Rounds alternate ours and every peer configuration, so slow drifts of the machine hit both. */
const ROUNDS = 3;

/** Median per-step time of `steps` steps, for each of `repeats` repeats. */
function timeSteps(step: () => void, repeats: number, steps: number): number[] {
  const reps: number[] = [];
  for (let r = 0; r < repeats; r++) reps.push(median(timeCalls(step, steps)));
  return reps;
}

/**
 * The case at one matmul precision: 'float32' (desom-step, against PyTorch's float32) or
 * 'bfloat16' (desom-step-bf16: our bf16 GEMM against PyTorch's forward under
 * torch.autocast('cpu', bfloat16), oneDNN's bf16 matmul; parameters, Adam and losses float32 on
 * both sides).
 */
function desomStepCaseAt(precision: MatmulPrecision): BenchCase {
  const name = precision === 'float32' ? 'desom-step' : 'desom-step-bf16';
  const peerArgs = precision === 'float32' ? [] : ['--autocast-bf16'];
  return {
    name,
    description:
      precision === 'float32'
        ? 'one DESOM training step, batch 256 (native backend) vs PyTorch'
        : "one DESOM training step at matmul precision 'bfloat16' vs PyTorch under bfloat16 autocast",
    run(ctx) {
      ctx.useNative();
      const why = backend().matmulPrecisionUnavailable(precision);
      if (why !== null) throw new Error(`${name}: ${why}`);
      backend().setMatmulPrecision(precision);
      try {
        return [measure(ctx, name, peerArgs)];
      } finally {
        backend().setMatmulPrecision('float32');
      }
    },
  };
}

function measure(ctx: Parameters<BenchCase['run']>[0], name: string, peerArgs: string[]): Row {
  const env = ctx.env();
  const be = backend() as NativeBackend;
  const s = makeDesomStep(256, 0);
  for (let i = 0; i < 5; i++) s.step();
  // The FMA limit of these threads, and (float32) the same step with every product on OpenBLAS.
  const peak = be.fmaPeakGflops(ctx.threads, 0.3);
  const gemm = be.gemmKernel();
  const withOpenblas = be.info().matmulPrecision === 'float32' && gemm.best !== null;
  const openblasRounds: number[] = [];
  const oursRounds: number[] = [];
  const peerRounds: number[] = [];
  const ratios: number[] = [];
  const peerDetail: { round: number; label: string; ms: number; ms_fwd_bwd: number; ms_adam: number; other_cores: number }[] = [];
  let torchVersion = '';
  for (let round = 0; round < ROUNDS; round++) {
    const ours = median(timeSteps(() => s.step(), 3, 20));
    if (withOpenblas) {
      openblasRounds.push(be.withGemmKernel('openblas', () => median(timeSteps(() => s.step(), 3, 20))));
      ctx.log(`${name} round ${round + 1}: with every product on OpenBLAS ${openblasRounds[round].toFixed(2)} ms/step`);
    }
    let best = Infinity;
    for (const c of PEER_CONFIGS) {
      const out = ctx.peer('desom_step_torch.py', [...c.args, ...peerArgs, '--steps', '15', '--repeats', '3']);
      if (out === null) continue;
      torchVersion = String(out.torch);
      const ms = out.ms_per_step_median as number;
      peerDetail.push({
        round,
        label: c.label,
        ms,
        ms_fwd_bwd: out.ms_fwd_bwd as number,
        ms_adam: out.ms_adam as number,
        other_cores: out.other_cores as number,
      });
      ctx.log(`${name} round ${round + 1}: PyTorch (${c.label}) ${ms.toFixed(2)} ms/step (Adam ${(out.ms_adam as number).toFixed(1)} ms)`);
      best = Math.min(best, ms);
    }
    ctx.log(
      `${name} round ${round + 1}: latentlab ${ours.toFixed(2)} ms/step (${(s.flops / ours / 1e6).toFixed(1)} GFLOP/s, ${((s.flops / ours / 1e6 / peak) * 100).toFixed(0)} % of the FMA limit); best PyTorch ${best.toFixed(2)} ms; ratio ${(ours / best).toFixed(3)}`,
    );
    oursRounds.push(ours);
    if (Number.isFinite(best)) {
      peerRounds.push(best);
      ratios.push(ours / best);
    }
  }
  const ours = median(oursRounds);
  const peerMs = peerRounds.length > 0 ? median(peerRounds) : null;
  const bestLabel = peerDetail.length > 0 ? [...peerDetail].sort((a, b) => a.ms - b.ms)[0].label : null;
  const autocast = peerArgs.length > 0 ? ', bfloat16 autocast' : '';
  return {
    case: name,
    unit: 'ms',
    ours,
    peer: peerMs,
    peer_name: peerMs === null ? null : `PyTorch ${torchVersion}${autocast} (fastest of ${PEER_CONFIGS.length} thread/Adam configurations each round)`,
    ratio: ratios.length > 0 ? median(ratios) : null,
    env,
    detail: {
      matmul_precision: backend().info().matmulPrecision,
      gflops: s.flops / ours / 1e6,
      peer_gflops: peerMs === null ? null : s.flops / peerMs / 1e6,
      fma_peak_gflops: peak,
      fraction_of_peak: peak > 0 ? s.flops / ours / 1e6 / peak : null,
      ms_at_fma_peak: peak > 0 ? s.flops / peak / 1e6 : null,
      gemm_setting: gemm.kernel,
      gemm_kernels: gemm.best,
      openblas_ms: openblasRounds.length > 0 ? median(openblasRounds) : null,
      openblas_rounds_ms: openblasRounds,
      ours_over_openblas: openblasRounds.length > 0 ? median(oursRounds.map((v, i) => v / openblasRounds[i])) : null,
      gflop_per_step: s.flops / 1e9,
      rounds_ms: oursRounds,
      peer_rounds_ms: peerRounds,
      round_ratios: ratios,
      peer_fastest_config: bestLabel,
      peer_runs: peerDetail,
    },
  };
}

export const desomStepCase = desomStepCaseAt('float32');
export const desomStepBf16Case = desomStepCaseAt('bfloat16');
