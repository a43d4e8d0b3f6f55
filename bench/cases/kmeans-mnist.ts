/**
 * Case kmeans-mnist: k-means with k = 64, 10 restarts (k-means++ seeding), Lloyd iterations
 * capped at MAX_ITER with tol 1e-4 (scikit-learn's relative tolerance) on the 70,000 MNIST images:
 * `kmeans` from src/cluster/kmeans.ts vs scikit-learn 1.2's KMeans(algorithm='lloyd',
 * init='k-means++', n_init=10) (bench/peers/kmeans_sklearn.py). A whole fit is timed (seeding
 * included). Unit: ms per fit. Both inertias are recomputed the same way (nearest centroid, then
 * Σ‖x − c‖² in float64) so their ratio compares the solutions, not the accumulations.
 */
import { kmeansPredict, kmeansSteps } from '../../src/cluster/kmeans.js';
import { readNpy, tensorFromNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import type { NativeBackend } from '../../src/tensor/backends/native.js';
import { backend } from '../../src/tensor/registry.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { BenchCase, PeerConfig } from '../common.js';

const K = 64;
const RESTARTS = 10;
/**
 * Lloyd iterations per restart. MNIST with k = 64 does not converge within 100 iterations at
 * tol 1e-4, so both sides run exactly maxIter iterations per restart (equal work). The k-means++
 * seeding dominates a fit (about two thirds of scikit-learn's at 50 iterations), and 50 keeps the case
 * (ours + two 1-restart probes + one 10-restart scikit-learn fit) near 4 minutes on 2 cores.
 */
const MAX_ITER = 50;
const TOL = 1e-4;
const SEED = 0;

/** scikit-learn's Lloyd loop runs in its OpenMP pool, its k-means++ seeding in OpenBLAS: one of them on 2 threads. */
const PEER_CONFIGS: PeerConfig[] = [
  { label: 'OpenMP 2 threads, OpenBLAS 1', args: ['--omp-threads', '2', '--blas-threads', '1'] },
  { label: 'OpenMP 1 thread, OpenBLAS 2', args: ['--omp-threads', '1', '--blas-threads', '2'] },
];

/** Σᵢ min_j ‖xᵢ − c_j‖² with the nearest centroid from the GEMM distances and the sum in float64. */
function inertiaOf(x: Tensor, c: Tensor): number {
  const labels = kmeansPredict(c, x);
  const d = x.cols;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    const o = labels[i] * d;
    for (let q = 0; q < d; q++) total += (x.data[i * d + q] - c.data[o + q]) ** 2;
  }
  return total;
}

export const kmeansMnistCase: BenchCase = {
  name: 'kmeans-mnist',
  description: `k-means on 70,000 MNIST images, k = ${K}, ${RESTARTS} k-means++ restarts, maxIter ${MAX_ITER}, tol ${TOL} vs scikit-learn`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('all');
    const env = ctx.useNative();
    const centroidsNpy = ctx.tmpPath('kmeans-peer-centroids.npy');
    const peerArgs = (restarts: number): string[] => [
      '--data',
      npy,
      '--k',
      String(K),
      '--n-init',
      String(restarts),
      '--max-iter',
      String(MAX_ITER),
      '--tol',
      String(TOL),
      '--seed',
      String(SEED),
      '--out',
      centroidsNpy,
    ];

    // A 10-restart scikit-learn fit takes minutes here, so each thread layout is first probed with
    // a 1-restart fit (same maxIter) and only the faster one runs the timed 10-restart fit.
    const probes: { label: string; ms: number; other_cores: unknown }[] = [];
    for (const c of PEER_CONFIGS) {
      const out = ctx.peer('kmeans_sklearn.py', [...peerArgs(1), ...c.args], c.env ?? {});
      if (out === null) continue;
      probes.push({ label: c.label, ms: out.ms_median as number, other_cores: out.other_cores ?? null });
      ctx.log(`kmeans-mnist: scikit-learn probe (${c.label}, 1 restart) ${(out.ms_median as number).toFixed(0)} ms`);
    }
    const chosen = probes.length === 0 ? null : PEER_CONFIGS.find((c) => c.label === [...probes].sort((a, b) => a.ms - b.ms)[0].label)!;

    // kmeansSteps is what kmeans() drives; its restart events give the spread of the 10 inertias,
    // against which the two sides' best-of-10 difference can be read.
    const restartInertias: number[] = [];
    const t0 = performance.now();
    const it = kmeansSteps(x, K, { rng: new Rng(SEED), restarts: RESTARTS, maxIter: MAX_ITER, tol: TOL, init: 'k-means++' });
    let step = it.next();
    for (; step.done !== true; step = it.next()) if (step.value.kind === 'restart') restartInertias.push(step.value.inertia);
    const ours = step.value;
    const oursMs = performance.now() - t0;
    const oursInertia = inertiaOf(x, ours.centroids);
    ctx.log(
      `kmeans-mnist: latentlab ${oursMs.toFixed(0)} ms, inertia ${oursInertia.toFixed(1)}, ${ours.iterations} iterations (restart ${ours.restart}), converged ${ours.converged}; the 10 restarts' inertias span ${Math.min(...restartInertias).toFixed(0)}–${Math.max(...restartInertias).toFixed(0)}`,
    );

    const out = chosen === null ? null : ctx.peer('kmeans_sklearn.py', [...peerArgs(RESTARTS), ...chosen.args], chosen.env ?? {});
    const peerMs = out === null ? null : (out.ms_median as number);
    const peerInertia = out === null ? null : inertiaOf(x, tensorFromNpy(readNpy(centroidsNpy)));
    const inertiaRatio = peerInertia === null ? null : oursInertia / peerInertia;
    if (out !== null && chosen !== null && peerMs !== null && peerInertia !== null && inertiaRatio !== null) {
      ctx.log(
        `kmeans-mnist: scikit-learn (${chosen.label}) ${peerMs.toFixed(0)} ms, inertia ${String(out.inertia)} (recomputed ${peerInertia.toFixed(1)}), ${String(out.n_iter)} iterations, converged ${String(out.converged)}`,
      );
      ctx.log(
        `kmeans-mnist: time ratio ${(oursMs / peerMs).toFixed(3)}; inertia ours / scikit-learn = ${inertiaRatio.toFixed(5)}${inertiaRatio > 1.001 ? ' (ours is higher)' : ''}`,
      );
    }
    return [
      {
        case: 'kmeans-mnist',
        unit: 'ms',
        ours: oursMs,
        peer: peerMs,
        peer_name: out === null ? null : `scikit-learn ${String(out.sklearn)} KMeans lloyd (${chosen?.label}, the faster in a 1-restart probe)`,
        ratio: peerMs === null ? null : oursMs / peerMs,
        env,
        detail: {
          rows: x.rows,
          k: K,
          restarts: RESTARTS,
          max_iter: MAX_ITER,
          tol: TOL,
          init: 'k-means++ (greedy, 2 + ⌊ln k⌋ trials) on both sides, seed 0 on both (different random streams)',
          note: `maxIter ${MAX_ITER} (not converged at that cap on either side: equal work) keeps the case near 4 minutes; one whole fit per side, seeding included`,
          inertia: oursInertia,
          peer_inertia: peerInertia,
          peer_inertia_reported: out?.inertia ?? null,
          inertia_ratio: inertiaRatio,
          restart_inertias: restartInertias,
          restart_inertia_spread: (Math.max(...restartInertias) - Math.min(...restartInertias)) / Math.min(...restartInertias),
          iterations: ours.iterations,
          converged: ours.converged,
          peer_iterations: out?.n_iter ?? null,
          peer_converged: out?.converged ?? null,
          peer_config: chosen?.label ?? null,
          peer_probes_1_restart: probes,
          peer_other_cores: out?.other_cores ?? null,
          gemm: (backend() as NativeBackend).gemmKernel(),
        },
      },
    ];
  },
};
