/** Case sgemm: GFLOP/s of the backend's GEMM on every product of a DESOM step (same shape list as the peer). */
import { Rng } from '../../src/random.js';
import { backend } from '../../src/tensor/registry.js';

/** "MxKxN:op": C (M×N) with inner dimension K; op nt = A·Bᵀ (forward), nn = dY·W (input grad), tn = dYᵀ·X (weight grad). */
export const DESOM_SHAPES = [
  '256x784x500:nt', '256x500x500:nt', '256x500x2000:nt', '256x2000x10:nt',
  '256x10x2000:nt', '256x2000x500:nt', '256x500x500:nt', '256x500x784:nt',
  '256x784x500:nn', '256x500x500:nn', '256x500x2000:nn', '256x2000x10:nn',
  '256x10x2000:nn', '256x2000x500:nn', '256x500x500:nn',
  '784x256x500:tn', '500x256x500:tn', '500x256x2000:tn', '2000x256x10:tn',
  '10x256x2000:tn', '2000x256x500:tn', '500x256x500:tn', '500x256x784:tn',
];

export interface SgemmResult {
  shape: string;
  gflops: number;
  ms: number;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
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
