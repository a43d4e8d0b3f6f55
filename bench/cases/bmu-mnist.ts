/**
 * Case bmu-mnist: best-matching units of the 70,000 MNIST images (784) among 64 prototypes (64
 * random rows of the data): `findBmus` from src/som/bmu.ts (backend().nearest in row chunks: one GEMM
 * for ‖m‖² − 2x·mᵀ, then argmin; ‖x‖² is constant per row and never needed) vs numpy (‖x‖² − 2x·mᵀ + ‖m‖², argmin; bench/peers/bmu_numpy.py). Both BMU vectors are
 * compared. Unit: ms per pass over the 70,000 rows. On the native backend's own kernels (the
 * default wherever the CPU has AVX-512) nearest is the fused kernel of native/nearest.cc (distances
 * and argmin a tile of rows at a time); each round also times the GEMM-then-argmin path on OpenBLAS
 * (LATENTLAB_GEMM=openblas) in the same process.
 */
import { readNpy, npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { defaultChunkRows, findBmus } from '../../src/som/bmu.js';
import type { NativeBackend } from '../../src/tensor/backends/native.js';
import { backend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { alternateRounds, median, timeCalls, type BenchCase, type PeerConfig } from '../common.js';

const K = 64;
const ROUNDS = 3;
const REPEATS = 7;

export const bmuMnistCase: BenchCase = {
  name: 'bmu-mnist',
  description: `BMUs of 70,000 MNIST images among ${K} prototypes (GEMM ‖m‖² − 2x·mᵀ + argmin) vs numpy`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('all');
    const env = ctx.useNative();
    const n = x.rows;
    const d = x.cols;
    const pick = new Rng(0).sample(n, K);
    const protos = Tensor.zeros([K, d]);
    pick.forEach((r, j) => protos.data.set(x.data.subarray(r * d, (r + 1) * d), j * d));
    const protosNpy = ctx.tmpPath('bmu-prototypes.npy');
    writeNpy(protosNpy, npyFromTensor(protos));
    const chunk = defaultChunkRows(K);
    // numpy gets OpenBLAS on 2 threads (its only pool) and both layouts: the whole 70,000×64
    // distance matrix at once (the plain numpy form) and chunks of ours' size.
    const configs: PeerConfig[] = [
      { label: 'numpy whole matrix, OpenBLAS 2 threads', args: ['--chunk', '0'] },
      { label: `numpy chunks of ${chunk} rows, OpenBLAS 2 threads`, args: ['--chunk', String(chunk)] },
    ];
    const outNpy = ctx.tmpPath('bmu-peer.npy');
    const be = backend() as NativeBackend;
    const gemm = be.gemmKernel();
    const peak = be.fmaPeakGflops(ctx.threads, 0.3);
    const openblasRounds: number[] = [];
    let ours = findBmus(x, protos).bmu;
    const r = alternateRounds(ctx, {
      name: 'bmu-mnist',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const t = median(
          timeCalls(() => {
            ours = findBmus(x, protos).bmu;
          }, REPEATS),
        );
        if (gemm.best !== null) {
          openblasRounds.push(be.withGemmKernel('openblas', () => median(timeCalls(() => findBmus(x, protos), REPEATS))));
          ctx.log(`bmu-mnist: latentlab ${t.toFixed(2)} ms, with the OpenBLAS GEMM then argmin ${openblasRounds[openblasRounds.length - 1].toFixed(2)} ms`);
        }
        return t;
      },
      script: 'bmu_numpy.py',
      args: () => ['--data', npy, '--prototypes', protosNpy, '--out', outNpy, '--blas-threads', String(ctx.threads), '--repeats', String(REPEATS)],
      configs,
      value: (out) => out.ms_median as number,
    });
    // Agreement with the peer's last assignment; a disagreement is a near-tie when the two
    // prototypes' exact (float64) distances differ by less than 1e-5 of the distance.
    let agreement: number | null = null;
    let nearTies = 0;
    let disagreements = 0;
    if (r.peer !== null) {
      const theirs = readNpy(outNpy).data as Int32Array;
      for (let i = 0; i < n; i++) {
        if (theirs[i] === ours[i]) continue;
        disagreements++;
        const dist = (j: number): number => {
          let s = 0;
          for (let q = 0; q < d; q++) s += (x.data[i * d + q] - protos.data[j * d + q]) ** 2;
          return s;
        };
        const a = dist(ours[i]);
        const b = dist(theirs[i]);
        if (Math.abs(a - b) <= 1e-5 * Math.max(a, b)) nearTies++;
      }
      agreement = 1 - disagreements / n;
      ctx.log(`bmu-mnist: BMUs agree on ${(agreement * 100).toFixed(4)} % of rows (${disagreements} differ, ${nearTies} of them near-ties)`);
    }
    return [
      {
        case: 'bmu-mnist',
        unit: 'ms',
        ours: r.ours,
        peer: r.peer,
        peer_name: r.peer === null ? null : `numpy ${String(r.fastestOut?.numpy)} (OpenBLAS 2 threads; faster of whole-matrix and chunked each round)`,
        ratio: r.ratio,
        env,
        detail: {
          rows: n,
          prototypes: K,
          dim: d,
          ours_chunk_rows: chunk,
          prototype_rows: 'new Rng(0).sample(70000, 64) of the train-then-test rows',
          agreement,
          disagreements,
          near_ties: nearTies,
          gflop_per_pass: (2 * n * K * d) / 1e9,
          gflops: (2 * n * K * d) / r.ours / 1e6,
          fma_peak_gflops: peak,
          fraction_of_peak: peak > 0 ? (2 * n * K * d) / r.ours / 1e6 / peak : null,
          gemm_setting: gemm.kernel,
          gemm_kernels: gemm.best,
          openblas_ms: openblasRounds.length > 0 ? median(openblasRounds) : null,
          openblas_rounds_ms: openblasRounds,
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
