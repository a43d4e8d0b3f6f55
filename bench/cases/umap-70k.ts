/**
 * Case umap-70k: a 2-D UMAP of 10-d codes of MNIST — our `umap` (src/viz/umap.ts: exact kNN through
 * the backend's GEMM, typed-array SGD) vs umap-js 1.4 through the project's seeded wrapper `umap2d`
 * (src/viz/projection.ts), same nNeighbors 15, minDist 0.1 and epochs (umap-js's default schedule:
 * 400 at 5,000 rows, 200 at 20,000 and 70,000), at 5,000, 20,000 and 70,000 rows (the first n of the
 * 70,000). The peer runs in its own Node process (bench/peers/umap_js.ts); it is single-threaded
 * JavaScript, ours runs its GEMM on 2 threads. Unit: ms per whole fit (neighbours, graph, layout).
 *
 * Data: the 70,000 MNIST images (train then test) projected on their first 10 principal components
 * (`principalComponents`, src/som/init.ts, seed 0) — deterministic 10-d codes with the class
 * structure a 10-d DESOM / autoencoder code has, without training a network for the benchmark.
 *
 * Quality, so speed does not buy a worse map, for both sides on the same 2,000-row seeded sample of
 * each fit: trustworthiness (Venna & Kaski 2001; scikit-learn's `trustworthiness` formula) with
 * k = 15, and 15-NN preservation (the mean share of a point's 15 nearest sample rows in the 10-d
 * codes that are also among its 15 nearest in the map).
 *
 * Rounds alternate ours and the peer. umap-js takes minutes at 70,000 rows (about 12 s at 5,000 and
 * 35 s at 20,000 on this machine), so it runs once there; LATENTLAB_BENCH_UMAP_PEER_70K=skip skips
 * it, and the row then carries a power-law extrapolation from the 5,000 and 20,000 timings in
 * detail.peer_extrapolated_ms, labelled as such (peer and ratio stay null).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npyFromTensor, readNpy, writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { principalComponents } from '../../src/som/init.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { defaultUmapEpochs, umap } from '../../src/viz/umap.js';
import { median, type BenchCase, type BenchContext, type Row } from '../common.js';

const SIZES = [5000, 20000, 70000] as const;
/** Fits per side and size (the peer's 70,000-row fit takes minutes, so one). */
const ROUNDS: Record<number, { ours: number; peer: number }> = { 5000: { ours: 3, peer: 3 }, 20000: { ours: 3, peer: 2 }, 70000: { ours: 3, peer: 1 } };
const N_NEIGHBORS = 15;
const MIN_DIST = 0.1;
const CODE_DIM = 10;
const QUALITY_SAMPLE = 2000;
const QUALITY_K = 15;
/** A peer fit taking longer than this is abandoned (its row then has no peer). */
const PEER_TIMEOUT_MS = 30 * 60 * 1000;

const here = dirname(fileURLToPath(import.meta.url));

/** The first 10 principal components of the MNIST rows (float64 projection, float32 codes). */
function pcaCodes(x: Tensor): Tensor {
  const pc = principalComponents(x, CODE_DIM, { rng: new Rng(0) });
  const [n, d] = x.shape;
  const out = new Float32Array(n * CODE_DIM);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < d; q++) row[q] = x.data[i * d + q] - pc.mean[q];
    for (let c = 0; c < CODE_DIM; c++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += row[q] * pc.components[c * d + q];
      out[i * CODE_DIM + c] = s;
    }
  }
  return new Tensor(out, [n, CODE_DIM]);
}

export interface MapQuality {
  trustworthiness: number;
  knn_preservation: number;
}

/**
 * Trustworthiness and kNN preservation (k = QUALITY_K) of an n×2 map of the n×d rows x, on a
 * seeded sample of QUALITY_SAMPLE rows (neighbours and ranks within the sample).
 */
export function mapQuality(x: Tensor, emb: Float32Array, seed = 7): MapQuality {
  const [n, d] = x.shape;
  const S = Math.min(QUALITY_SAMPLE, n);
  const K = QUALITY_K;
  const idx = new Rng(seed).sample(n, S);
  const hi = new Float64Array(S);
  const lo = new Float64Array(S);
  const order = new Int32Array(S);
  const rank = new Int32Array(S);
  const inHigh = new Uint8Array(S);
  let kept = 0;
  let penalty = 0;
  for (let a = 0; a < S; a++) {
    const i = idx[a];
    for (let b = 0; b < S; b++) {
      const j = idx[b];
      let s = 0;
      for (let q = 0; q < d; q++) s += (x.data[i * d + q] - x.data[j * d + q]) ** 2;
      hi[b] = b === a ? -1 : s;
      lo[b] = b === a ? -1 : (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2;
      order[b] = b;
    }
    // Ranks in the input space (1 = nearest; the row itself, at −1, is rank 0).
    order.sort((p, q) => hi[p] - hi[q] || p - q);
    for (let r = 0; r < S; r++) rank[order[r]] = r;
    inHigh.fill(0);
    for (let r = 1; r <= K; r++) inHigh[order[r]] = 1;
    for (let b = 0; b < S; b++) order[b] = b;
    order.sort((p, q) => lo[p] - lo[q] || p - q);
    for (let r = 1; r <= K; r++) {
      const b = order[r];
      if (inHigh[b] === 1) kept++;
      else penalty += rank[b] - K;
    }
  }
  return {
    trustworthiness: 1 - (2 / (S * K * (2 * S - 3 * K - 1))) * penalty,
    knn_preservation: kept / (S * K),
  };
}

interface PeerFit {
  ms: number;
  quality: MapQuality;
  version: string;
}

function peerFit(ctx: BenchContext, npy: string, x: Tensor, nEpochs: number, seed: number): PeerFit | null {
  const out = ctx.tmpPath(`umap-peer-${x.rows}.npy`);
  const args = [
    ...process.execArgv,
    '--max-old-space-size=8192',
    join(here, '..', 'peers', 'umap_js.ts'),
    '--data',
    npy,
    '--n-neighbors',
    String(N_NEIGHBORS),
    '--min-dist',
    String(MIN_DIST),
    '--n-epochs',
    String(nEpochs),
    '--seed',
    String(seed),
    '--out',
    out,
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: PEER_TIMEOUT_MS });
  if (r.status !== 0) {
    ctx.log(`umap-70k: peer failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').split('\n').slice(-4).join(' | ')}`);
    return null;
  }
  const line = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ms: number; umap_js: string };
  const emb = readNpy(out).data as Float32Array;
  return { ms: line.ms, quality: mapQuality(x, emb), version: line.umap_js };
}

const fmtQ = (q: MapQuality): string => `trustworthiness ${q.trustworthiness.toFixed(4)}, 15-NN preservation ${q.knn_preservation.toFixed(4)}`;
const meanOf = (qs: MapQuality[], key: keyof MapQuality): number | null => (qs.length === 0 ? null : qs.reduce((s, q) => s + q[key], 0) / qs.length);

export const umap70kCase: BenchCase = {
  name: 'umap-70k',
  description: 'UMAP to 2-D of 10-d PCA codes of MNIST at 5,000 / 20,000 / 70,000 rows vs umap-js (seeded wrapper), with trustworthiness',
  rows: SIZES.map((n) => `umap-${n / 1000}k`),
  async run(ctx) {
    const { x: images } = await ctx.mnist('all');
    const env = ctx.useNative();
    const codes = pcaCodes(images);
    // Warm-up (JIT) on a small slice, not timed.
    umap(codes.sliceRows(0, 2000), { rng: new Rng(99), nNeighbors: N_NEIGHBORS, minDist: MIN_DIST, nEpochs: 50 });
    const skip70k = process.env.LATENTLAB_BENCH_UMAP_PEER_70K === 'skip';
    const rows: Row[] = [];
    const peerMedians = new Map<number, number>();
    for (const n of SIZES) {
      const x = n === codes.rows ? codes : codes.sliceRows(0, n);
      const npy = ctx.tmpPath(`umap-codes-${n}.npy`);
      writeNpy(npy, npyFromTensor(x));
      const nEpochs = defaultUmapEpochs(n);
      const rounds = ROUNDS[n];
      const runPeer = !(n === 70000 && skip70k);
      const oursMs: number[] = [];
      const oursSetupMs: number[] = [];
      const oursQ: MapQuality[] = [];
      const peerMs: number[] = [];
      const peerQ: MapQuality[] = [];
      let version: string | null = null;
      for (let r = 0; r < Math.max(rounds.ours, rounds.peer); r++) {
        if (r < rounds.ours) {
          let setup = 0;
          const t0 = performance.now();
          const emb = umap(x, {
            rng: new Rng(r),
            nNeighbors: N_NEIGHBORS,
            minDist: MIN_DIST,
            nEpochs,
            onEpoch: (e) => {
              if (e === 1) setup = performance.now() - t0;
            },
          });
          const ms = performance.now() - t0;
          oursMs.push(ms);
          oursSetupMs.push(setup);
          oursQ.push(mapQuality(x, emb));
          ctx.log(
            `umap-70k n=${n} round ${r + 1}: latentlab ${ms.toFixed(0)} ms (kNN + graph + first epoch ${setup.toFixed(0)} ms); ${fmtQ(oursQ[oursQ.length - 1])}`,
          );
        }
        if (r < rounds.peer && runPeer) {
          const p = peerFit(ctx, npy, x, nEpochs, r);
          if (p !== null) {
            peerMs.push(p.ms);
            peerQ.push(p.quality);
            version = p.version;
            ctx.log(`umap-70k n=${n} round ${r + 1}: umap-js ${p.ms.toFixed(0)} ms; ${fmtQ(p.quality)}`);
          }
        }
      }
      const ours = median(oursMs);
      const peer = peerMs.length > 0 ? median(peerMs) : null;
      if (peer !== null) peerMedians.set(n, peer);
      let extrapolated: number | null = null;
      let exponent: number | null = null;
      if (peer === null && n === 70000 && peerMedians.has(5000) && peerMedians.has(20000)) {
        exponent = Math.log(peerMedians.get(20000)! / peerMedians.get(5000)!) / Math.log(20000 / 5000);
        extrapolated = peerMedians.get(20000)! * (n / 20000) ** exponent;
        ctx.log(`umap-70k n=${n}: umap-js not run; EXTRAPOLATED from 5,000 and 20,000 rows (time ∝ n^${exponent.toFixed(2)}): ${extrapolated.toFixed(0)} ms`);
      }
      ctx.log(`umap-70k n=${n}: latentlab ${ours.toFixed(0)} ms, umap-js ${peer === null ? '—' : `${peer.toFixed(0)} ms, ratio ${(ours / peer).toFixed(3)}`}`);
      rows.push({
        case: `umap-${n / 1000}k`,
        unit: 'ms',
        ours,
        peer,
        peer_name: peer === null ? null : `umap-js ${version} via umap2d (seeded wrapper; own Node process, single-threaded JS)`,
        ratio: peer === null ? null : ours / peer,
        env,
        detail: {
          rows: n,
          dims: CODE_DIM,
          data: 'MNIST (train then test), first n rows, projected on its first 10 principal components (seed 0)',
          n_neighbors: N_NEIGHBORS,
          min_dist: MIN_DIST,
          n_epochs: nEpochs,
          ours_ms: oursMs,
          ours_knn_graph_first_epoch_ms: oursSetupMs,
          peer_ms: peerMs,
          quality_note: `on a seeded ${Math.min(QUALITY_SAMPLE, n)}-row sample of each map, k = ${QUALITY_K}; mean over the fits`,
          ours_trustworthiness: meanOf(oursQ, 'trustworthiness'),
          peer_trustworthiness: meanOf(peerQ, 'trustworthiness'),
          ours_knn_preservation: meanOf(oursQ, 'knn_preservation'),
          peer_knn_preservation: meanOf(peerQ, 'knn_preservation'),
          ours_quality: oursQ,
          peer_quality: peerQ,
          ...(extrapolated === null
            ? {}
            : {
                peer_extrapolated_ms: extrapolated,
                peer_extrapolated_note: `NOT MEASURED: umap-js skipped at ${n} rows; power law n^${exponent!.toFixed(3)} through its 5,000- and 20,000-row medians`,
              }),
        },
      });
    }
    return rows;
  },
};
