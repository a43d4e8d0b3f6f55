/** Case sgemm: GFLOP/s of the backend's GEMM on every product of a DESOM step (same shape list as the peer). */
import { Rng } from '../../src/random.js';
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

export const sgemmCase: BenchCase = {
  name: 'sgemm',
  description: "GFLOP/s of the backend's GEMM on the 23 products of a DESOM step vs torch.mm",
  rows: ['sgemm-desom-shapes'],
  run(ctx) {
    const env = ctx.useNative();
    const oursBy = new Map<string, number[]>();
    const peerBy = new Map<string, number[]>();
    let torchVersion: string | null = null;
    for (let round = 0; round < 2; round++) {
      for (const sh of DESOM_SHAPES) oursBy.set(sh, [...(oursBy.get(sh) ?? []), benchShape(sh).gflops]);
      // torch.mm calls OpenBLAS directly: OpenBLAS on 2 threads, as ours
      const out = ctx.peer('sgemm_torch.py', ['--threads', '1', '--blas-threads', String(ctx.threads), '--target', '0.1', '--shapes', DESOM_SHAPES.join(',')]);
      if (out !== null) torchVersion = String(out.torch);
      for (const r of (out?.results as { shape: string; gflops: number }[] | undefined) ?? []) peerBy.set(r.shape, [...(peerBy.get(r.shape) ?? []), r.gflops]);
    }
    let tOurs = 0;
    let tPeer = 0;
    let flops = 0;
    const perShape = DESOM_SHAPES.map((shape) => {
      const o = median(oursBy.get(shape) ?? [NaN]);
      const pl = peerBy.get(shape);
      const p = pl === undefined ? null : median(pl);
      const [m, k, n] = shape.split(':')[0].split('x').map(Number);
      const fl = 2 * m * k * n;
      flops += fl;
      tOurs += fl / (o * 1e9);
      if (p !== null) tPeer += fl / (p * 1e9);
      ctx.log(
        `sgemm ${shape.padEnd(16)} ours ${o.toFixed(1).padStart(6)} GFLOP/s  PyTorch ${p === null ? '—' : p.toFixed(1).padStart(6)}  ours/PyTorch ${p === null ? '—' : (o / p).toFixed(3)}`,
      );
      return { shape, ours_gflops: o, peer_gflops: p, ratio: p === null ? null : o / p };
    });
    const oursG = flops / tOurs / 1e9;
    const peerG = torchVersion === null ? null : flops / tPeer / 1e9;
    return [
      {
        case: 'sgemm-desom-shapes',
        unit: 'GFLOP/s',
        ours: oursG,
        peer: peerG,
        peer_name: torchVersion === null ? null : `PyTorch ${torchVersion} torch.mm (OpenBLAS 2 threads)`,
        ratio: peerG === null ? null : oursG / peerG,
        env,
        detail: { shapes: perShape, note: 'GFLOP/s over the 23 GEMMs of one DESOM step (time-weighted); ratio = ours / peer, higher is better here' },
      },
    ];
  },
};
