/**
 * Case sgemm: GFLOP/s of the backend's GEMM on every product of a DESOM step (same shape list as
 * the peer), with the native backend's float32 GEMM set three ways in the same run, shape by shape
 * and interleaved: 'auto' (what the backend does: the policy of native/latentlab.cc), 'own' (our
 * AVX-512 / AVX2 kernels, native/gemm-f32.cc) and 'openblas' (OpenBLAS on our worker threads). Each
 * GFLOP/s is also given as a fraction of the measured FMA limit of the same threads (the addon's
 * fmaPeak: independent FMA chains, each thread's CPU time).
 */
import { Rng } from '../../src/random.js';
import type { GemmKernel, NativeBackend } from '../../src/tensor/backends/native.js';
import { backend } from '../../src/tensor/registry.js';
import { median, type BenchCase } from '../common.js';

/** "MxKxN:op": C (M×N) with inner dimension K; op nt = A·Bᵀ (forward), nn = dY·W (input grad), tn = dYᵀ·X (weight grad). */
export const DESOM_SHAPES = [
  '256x784x500:nt',
  '256x500x500:nt',
  '256x500x2000:nt',
  '256x2000x10:nt',
  '256x10x2000:nt',
  '256x2000x500:nt',
  '256x500x500:nt',
  '256x500x784:nt',
  '256x784x500:nn',
  '256x500x500:nn',
  '256x500x2000:nn',
  '256x2000x10:nn',
  '256x10x2000:nn',
  '256x2000x500:nn',
  '256x500x500:nn',
  '784x256x500:tn',
  '500x256x500:tn',
  '500x256x2000:tn',
  '2000x256x10:tn',
  '10x256x2000:tn',
  '2000x256x500:tn',
  '500x256x500:tn',
  '500x256x784:tn',
];

export interface SgemmResult {
  shape: string;
  gflops: number;
  ms: number;
}

/** Times one shape: a loop calibrated to ~target seconds, repeated, median per call. */
export function benchShape(spec: string, repeats = 7, target = 0.1): SgemmResult {
  const [dims, op = 'nn'] = spec.split(':');
  const [m, k, n] = dims.split('x').map(Number);
  const rng = new Rng(1);
  const a = rng.fillUniform(new Float32Array(m * k), -1, 1);
  const b = rng.fillUniform(new Float32Array(k * n), -1, 1);
  const c = new Float32Array(m * n);
  const ta = op[0] === 't';
  const tb = op[1] === 't';
  const be = backend();
  const call = (): void => be.gemm(ta, tb, m, n, k, 1, a, b, 0, c);
  for (let i = 0; i < 3; i++) call();
  let iters = 1;
  let dt: number;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) call();
    dt = (performance.now() - t0) / 1000;
    if (dt >= target / 4 || iters >= 1 << 24) break;
    iters *= 2;
  }
  iters = Math.max(1, Math.round((iters * target) / Math.max(dt, 1e-9)));
  const per: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) call();
    per.push((performance.now() - t0) / 1000 / iters);
  }
  const s = median(per);
  return { shape: spec, gflops: (2 * m * k * n) / s / 1e9, ms: s * 1000 };
}

/** FLOPs of a shape spec. */
function flopsOf(spec: string): number {
  const [m, k, n] = spec.split(':')[0].split('x').map(Number);
  return 2 * m * k * n;
}

/** Time-weighted GFLOP/s over shapes: total FLOPs / total time. */
function overall(shapes: readonly string[], gflops: (shape: string) => number): number {
  let flops = 0;
  let seconds = 0;
  for (const s of shapes) {
    flops += flopsOf(s);
    seconds += flopsOf(s) / (gflops(s) * 1e9);
  }
  return flops / seconds / 1e9;
}

const KERNELS: readonly GemmKernel[] = ['auto', 'own', 'openblas'];
const ROUNDS = 2;

export const sgemmCase: BenchCase = {
  name: 'sgemm',
  description: "GFLOP/s of the backend's GEMM on the 23 products of a DESOM step: auto / own kernels / OpenBLAS (same run) vs torch.mm",
  rows: ['sgemm-desom-shapes', 'sgemm-desom-shapes-own-vs-openblas'],
  run(ctx) {
    const env = ctx.useNative();
    const be = backend() as NativeBackend;
    const before = be.gemmKernel();
    const peak = be.fmaPeakGflops(ctx.threads, 0.3);
    ctx.log(`sgemm: FMA limit measured on ${ctx.threads} threads (${before.best ?? 'no AVX2/AVX-512'} kernels): ${peak.toFixed(1)} GFLOP/s`);
    const by = new Map<string, number[]>(); // `${kernel} ${shape}` → GFLOP/s per round
    const peerBy = new Map<string, number[]>();
    let torchVersion: string | null = null;
    const kernels = before.best === null ? (['openblas'] as const) : KERNELS;
    for (let round = 0; round < ROUNDS; round++) {
      for (const sh of DESOM_SHAPES) {
        // The kernels interleaved shape by shape, so a slow drift of the machine hits all three.
        for (const k of kernels) {
          by.set(`${k} ${sh}`, [...(by.get(`${k} ${sh}`) ?? []), be.withGemmKernel(k, () => benchShape(sh).gflops)]);
        }
      }
      // torch.mm calls OpenBLAS directly: OpenBLAS on 2 threads, as ours
      const out = ctx.peer('sgemm_torch.py', ['--threads', '1', '--blas-threads', String(ctx.threads), '--target', '0.1', '--shapes', DESOM_SHAPES.join(',')]);
      if (out !== null) torchVersion = String(out.torch);
      for (const r of (out?.results as { shape: string; gflops: number }[] | undefined) ?? []) peerBy.set(r.shape, [...(peerBy.get(r.shape) ?? []), r.gflops]);
    }
    const g = (k: GemmKernel, shape: string): number => median(by.get(`${k} ${shape}`) ?? [NaN]);
    const frac = (v: number | null): number | null => (v === null || !(peak > 0) ? null : v / peak);
    const perShape = DESOM_SHAPES.map((shape) => {
      const pl = peerBy.get(shape);
      const p = pl === undefined ? null : median(pl);
      const auto = g(kernels[0], shape);
      const own = kernels.length > 1 ? g('own', shape) : null;
      const blas = g('openblas', shape);
      ctx.log(
        `sgemm ${shape.padEnd(16)} auto ${auto.toFixed(1).padStart(6)}  own ${own === null ? '—' : own.toFixed(1).padStart(6)}  OpenBLAS ${blas.toFixed(1).padStart(6)}  PyTorch ${p === null ? '—' : p.toFixed(1).padStart(6)} GFLOP/s; own/OpenBLAS ${own === null ? '—' : (own / blas).toFixed(3)}`,
      );
      return {
        shape,
        auto_gflops: auto,
        own_gflops: own,
        openblas_gflops: blas,
        peer_gflops: p,
        own_over_openblas: own === null ? null : own / blas,
        auto_over_peer: p === null ? null : auto / p,
        auto_fraction_of_peak: frac(auto),
        own_fraction_of_peak: frac(own),
        openblas_fraction_of_peak: frac(blas),
      };
    });
    const autoG = overall(DESOM_SHAPES, (s) => g(kernels[0], s));
    const ownG = kernels.length > 1 ? overall(DESOM_SHAPES, (s) => g('own', s)) : null;
    const blasG = overall(DESOM_SHAPES, (s) => g('openblas', s));
    const peerG = torchVersion === null ? null : overall(DESOM_SHAPES, (s) => median(peerBy.get(s) ?? [NaN]));
    ctx.log(
      `sgemm: over the step's products auto ${autoG.toFixed(1)}, own ${ownG?.toFixed(1) ?? '—'}, OpenBLAS ${blasG.toFixed(1)} GFLOP/s (${((autoG / peak) * 100).toFixed(0)} % / ${ownG === null ? '—' : ((ownG / peak) * 100).toFixed(0)} % / ${((blasG / peak) * 100).toFixed(0)} % of the FMA limit)`,
    );
    const common = {
      fma_peak_gflops: peak,
      fma_peak_threads: ctx.threads,
      kernels: before.best,
      gemm_setting: before.kernel,
      auto_gflops: autoG,
      own_gflops: ownG,
      openblas_gflops: blasG,
      auto_fraction_of_peak: frac(autoG),
      own_fraction_of_peak: frac(ownG),
      openblas_fraction_of_peak: frac(blasG),
      shapes: perShape,
    };
    return [
      {
        case: 'sgemm-desom-shapes',
        unit: 'GFLOP/s',
        ours: autoG,
        peer: peerG,
        peer_name: torchVersion === null ? null : `PyTorch ${torchVersion} torch.mm (OpenBLAS 2 threads)`,
        ratio: peerG === null ? null : autoG / peerG,
        env,
        detail: {
          ...common,
          note: "GFLOP/s over the 23 GEMMs of one DESOM step (time-weighted), the backend's own choice ('auto'); ratio = ours / peer, higher is better here",
        },
      },
      {
        case: 'sgemm-desom-shapes-own-vs-openblas',
        unit: 'GFLOP/s',
        ours: ownG ?? NaN,
        peer: blasG,
        peer_name: `OpenBLAS (${env.openblas_core ?? '?'}) on the native backend's threads (LATENTLAB_GEMM=openblas), same run, shapes interleaved`,
        ratio: ownG === null ? null : ownG / blasG,
        env,
        detail: { ...common, note: 'our kernels (LATENTLAB_GEMM=own) against OpenBLAS in the same process; ratio = own / OpenBLAS, higher is better here' },
      },
    ];
  },
};
