/**
 * 2-D projections for looking at latent spaces: UMAP (McInnes et al. 2018) through umap-js,
 * with umap-js's random source replaced by our seeded Rng so the same seed gives the same map.
 */
import { UMAP } from 'umap-js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';

/** UMAP settings; the rng replaces umap-js's Math.random. */
export interface Umap2dOptions {
  rng: Rng;
  /** Size of the local neighbourhood (default 15; must be < n). */
  nNeighbors?: number;
  /** Minimum distance between embedded points (default 0.1). */
  minDist?: number;
  /** Optimisation epochs (default: umap-js's choice, 500 for n ≤ 2500 down to 200 above 10,000). */
  nEpochs?: number;
}

/** Progress of a UMAP fit: `epoch` of `nEpochs` layout epochs done. */
export interface UmapStep {
  epoch: number;
  nEpochs: number;
}

function toVectors(fn: string, x: Tensor, nNeighbors: number): number[][] {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- reached with x no Tensor (a JS caller's value of any type); String() shows what was passed
  if (!x || x.rank !== 2) throw new RangeError(`${fn}: expected a 2-D (n × features) tensor, got shape [${x?.shape?.join(', ') ?? String(x)}]`);
  const [n, d] = x.shape;
  if (n < 2) throw new RangeError(`${fn}: expected at least 2 rows to project, got ${n}`);
  if (d < 1) throw new RangeError(`${fn}: expected at least 1 feature, got ${d}`);
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2 || nNeighbors >= n) {
    throw new RangeError(`${fn}: expected nNeighbors to be an integer between 2 and ${n - 1} (fewer than the ${n} rows), got ${nNeighbors}`);
  }
  const rows: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from(x.data.subarray(i * d, (i + 1) * d));
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) throw new RangeError(`${fn}: expected finite values, got ${row[j]} at row ${i}, column ${j}`);
    }
    rows[i] = row;
  }
  return rows;
}

/**
 * Step-wise UMAP: builds the neighbour graph, then yields after each layout epoch; returns the
 * n×2 embedding (row-major). `umap2d` runs it to the end; a progress bar or animation can
 * consume the events.
 */
export function* umap2dSteps(x: Tensor, o: Umap2dOptions): Generator<UmapStep, Float32Array, void> {
  const fn = 'umap2d';
  if (!o || !o.rng || typeof o.rng.uniform !== 'function') throw new TypeError(`${fn}: expected options with a seeded rng (new Rng(seed))`);
  const nNeighbors = o.nNeighbors ?? 15;
  const minDist = o.minDist ?? 0.1;
  const vectors = toVectors(fn, x, nNeighbors);
  if (!(minDist >= 0)) throw new RangeError(`${fn}: expected minDist ≥ 0, got ${minDist}`);
  if (o.nEpochs !== undefined && (!Number.isInteger(o.nEpochs) || o.nEpochs < 1)) {
    throw new RangeError(`${fn}: expected nEpochs to be a positive integer, got ${o.nEpochs}`);
  }
  const rng = o.rng;
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist,
    ...(o.nEpochs !== undefined ? { nEpochs: o.nEpochs } : {}),
    random: () => rng.uniform(),
  });
  const nEpochs = umap.initializeFit(vectors);
  for (let e = 0; e < nEpochs; e++) {
    umap.step();
    yield { epoch: e + 1, nEpochs };
  }
  const emb = umap.getEmbedding();
  const out = new Float32Array(vectors.length * 2);
  for (let i = 0; i < emb.length; i++) {
    out[2 * i] = emb[i][0];
    out[2 * i + 1] = emb[i][1];
  }
  return out;
}

/** UMAP of the rows of `x` to 2-D: an n×2 row-major Float32Array. Same rng seed → same output. */
export function umap2d(x: Tensor, o: Umap2dOptions): Float32Array {
  const it = umap2dSteps(x, o);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}
