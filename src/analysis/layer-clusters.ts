/**
 * Per-layer clustering for activation signatures (Cluster Paths, arXiv 2510.06541): a
 * layer's activations (n × width) clustered by k-means, with k chosen by the mean silhouette.
 *
 * For each k of kRange (or the one k given): `kmeans` (k-means++, `restarts` runs, the lowest
 * inertia kept) and the mean silhouette of its labels (`silhouetteScore`, Euclidean). The chosen k
 * has the largest silhouette; on a tie the smaller k wins.
 *
 * Randomness, all from the caller's rng: one `fork()` is the base of the k-means generators, the
 * generator of k being the base forked k + 1 times, so a k's clustering is the same whichever
 * other k are tried (`{ k: 4 }` gives exactly the k = 4 row of `{ k: 'auto' }` with the same seed);
 * then the silhouette sample, when there is one, is drawn with `rng.sample`.
 *
 * The silhouette costs O(n² · width). With `silhouetteSample` s < n, every k's silhouette is the
 * exact silhouette of the same s rows drawn once (their labels from the clustering of all n rows),
 * as scikit-learn's `sample_size`; the result's `silhouetteSample` says how many rows were used
 * (n when exact).
 *
 * Every k's silhouette needs the same n × n distances, so they come from one pass: the k-means of
 * every k run first, then each block of distances is computed once (the backend's GEMM) and its
 * square roots are added into every k's per-cluster sums (`silhouetteScores`). The arithmetic is `silhouetteScore`'s
 * (same centring, same blocks, same float64 sums in the same order), so each silhouette is exactly
 * `silhouetteScore` of that k's labels; only the GEMM and the square roots are no longer repeated
 * for each k. So `clusterLayerSteps` yields a 'kmeans' event as each k's k-means ends, then the
 * per-k 'k' events (with their silhouettes) together, after the silhouette pass.
 */
import { kmeans } from '../cluster/kmeans.js';
import { uniqueLabels } from '../cluster/labels.js';
import { silhouetteScores } from '../cluster/silhouette.js';
import { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

/** The default range of k tried by `k: 'auto'` (both ends included). */
export const DEFAULT_K_RANGE: readonly [number, number] = [2, 10];

export interface ClusterLayerOptions {
  rng: Rng;
  /** A number of clusters ≥ 2, or 'auto' (default): every k of kRange, the best silhouette kept. */
  k?: number | 'auto';
  /** [low, high], both included, 2 ≤ low ≤ high ≤ n − 1 (default [2, 10]); used by k 'auto' only. */
  kRange?: readonly [number, number];
  /** k-means runs per k (scikit-learn's n_init), the lowest inertia kept; default 10. */
  restarts?: number;
  /** Compute the silhouettes on this many rows drawn once (default: all rows, exact). At least the largest k + 1. */
  silhouetteSample?: number;
}

/** One k tried. */
export interface LayerClusterPoint {
  readonly k: number;
  /** Mean silhouette of the k-means labels (on `silhouetteSample` rows). */
  readonly silhouette: number;
  /** k-means inertia Σᵢ‖xᵢ − c_{labelᵢ}‖² over all rows. */
  readonly inertia: number;
}

export interface LayerClustering {
  /** The chosen k. */
  readonly k: number;
  /** The cluster (0 … k − 1) of each row. */
  readonly labels: Int32Array;
  /** k × width centroids. */
  readonly centroids: Tensor;
  readonly silhouette: number;
  readonly inertia: number;
  /** Every k tried, in increasing order (one row for a fixed k). */
  readonly curve: readonly LayerClusterPoint[];
  /** Rows the silhouettes were computed on: n when exact, else the sample size. */
  readonly silhouetteSample: number;
}

/** The progress `clusterLayerSteps` yields as each k's k-means ends (before any silhouette). */
export interface LayerKMeansEvent {
  readonly type: 'kmeans';
  readonly k: number;
  readonly inertia: number;
  /** Lloyd iterations of the kept k-means run. */
  readonly iterations: number;
  /** 1 for the first k tried, up to `total`. */
  readonly step: number;
  readonly total: number;
  /** Milliseconds of this k's k-means. */
  readonly ms: number;
}

/**
 * The progress `clusterLayerSteps` yields: a `LayerKMeansEvent` as each k's k-means ends, then one
 * event per k with its silhouette (all k's silhouettes come from one pass, so these come together at its end).
 */
export type LayerClusterEvent = LayerKMeansEvent | LayerSilhouetteEvent;

/** One k's result, after the silhouette pass. */
export interface LayerSilhouetteEvent {
  readonly type: 'k';
  readonly k: number;
  readonly silhouette: number;
  readonly inertia: number;
  /** Lloyd iterations of the kept k-means run. */
  readonly iterations: number;
  /** Whether this k has the best silhouette so far. */
  readonly best: boolean;
  /** 1 for the first k tried, up to `total`. */
  readonly step: number;
  readonly total: number;
  /** Milliseconds this k took: its k-means plus an equal share of the silhouette pass shared by all k. */
  readonly ms: number;
}

interface Resolved {
  readonly ks: readonly number[];
  readonly restarts: number;
  /** Rows of the silhouette sample, or null for all rows. */
  readonly sample: number | null;
}

function resolve(fn: string, x: Tensor, o: ClusterLayerOptions): Resolved {
  expect2d(fn, x);
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object with an rng, got ${String(o)}`);
  if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: expected rng to be an Rng (new Rng(seed)), got ${String(o.rng)}`);
  const n = x.rows;
  const k = o.k ?? 'auto';
  let ks: number[];
  if (k === 'auto') {
    const range: unknown = o.kRange ?? DEFAULT_K_RANGE;
    if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isSafeInteger(v)))
      throw new TypeError(`${fn}: expected kRange to be [low, high] with integers, got ${JSON.stringify(range)}`);
    const [lo, hi] = range as [number, number];
    if (lo < 2) throw new RangeError(`${fn}: expected kRange to start at k ≥ 2 (a silhouette needs 2 clusters), got [${lo}, ${hi}]`);
    if (hi < lo) throw new RangeError(`${fn}: expected kRange [low, high] with low ≤ high, got [${lo}, ${hi}]`);
    if (hi > n - 1)
      throw new RangeError(`${fn}: kRange [${lo}, ${hi}] reaches k = ${hi}, which needs at least ${hi + 1} rows (k ≤ n − 1 for a silhouette), got ${n}`);
    ks = [];
    for (let j = lo; j <= hi; j++) ks.push(j);
  } else {
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 2)
      throw new RangeError(`${fn}: expected k to be 'auto' or an integer ≥ 2 (a silhouette needs 2 clusters), got ${JSON.stringify(k)}`);
    if (k > n - 1) throw new RangeError(`${fn}: k = ${k} needs at least ${k + 1} rows (k ≤ n − 1 for a silhouette), got ${n}`);
    ks = [k];
  }
  const restarts = o.restarts ?? 10;
  if (!Number.isSafeInteger(restarts) || restarts < 1) throw new RangeError(`${fn}: expected restarts to be a positive integer, got ${restarts}`);
  let sample: number | null = null;
  if (o.silhouetteSample !== undefined) {
    const s = o.silhouetteSample;
    const kMax = ks[ks.length - 1];
    if (!Number.isSafeInteger(s) || s <= kMax)
      throw new RangeError(`${fn}: expected silhouetteSample to be an integer > ${kMax} (the largest k tried), got ${s}`);
    if (s < n) sample = s;
  }
  return { ks, restarts, sample };
}

/** Runs `clusterLayerSteps` to the end. */
export function clusterLayer(values: Tensor, o: ClusterLayerOptions): LayerClustering {
  const it = clusterLayerSteps(values, o);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}

/** Step-wise `clusterLayer`: an event as each k's k-means ends, then one per k with its silhouette (after the shared silhouette pass); returns the clustering of the chosen k. */
export function* clusterLayerSteps(values: Tensor, o: ClusterLayerOptions): Generator<LayerClusterEvent, LayerClustering> {
  const fn = 'clusterLayer';
  const { ks, restarts, sample } = resolve(fn, values, o);
  const n = values.rows;
  const d = values.cols;
  const base = o.rng.fork();

  // The silhouette rows: all of them, or one sample shared by every k.
  let idx: Int32Array | null = null;
  let silX = values;
  if (sample !== null) {
    idx = o.rng.sample(n, sample);
    const sub = new Float32Array(sample * d);
    for (let t = 0; t < sample; t++) sub.set(values.data.subarray(idx[t] * d, idx[t] * d + d), t * d);
    silX = new Tensor(sub, [sample, d]);
  }

  // Every k's k-means first; their silhouettes then share one pass over the distances.
  const runs: { k: number; km: ReturnType<typeof kmeans>; labels: Int32Array; ms: number }[] = [];
  for (const k of ks) {
    const t0 = performance.now();
    const rng = Rng.fromState(base.state());
    for (let j = 0; j < k; j++) rng.fork();
    const km = kmeans(values, k, { rng: rng.fork(), restarts });
    let labels = km.labels;
    if (idx !== null) {
      labels = new Int32Array(idx.length);
      for (let t = 0; t < idx.length; t++) labels[t] = km.labels[idx[t]];
      if (uniqueLabels(labels).values.length < 2)
        throw new RangeError(`${fn}: the silhouette sample of ${idx.length} rows holds only one of the ${k} clusters; use a larger silhouetteSample`);
    }
    const ms = performance.now() - t0;
    runs.push({ k, km, labels, ms });
    yield { type: 'kmeans', k, inertia: km.inertia, iterations: km.iterations, step: runs.length, total: ks.length, ms };
  }
  const tSil = performance.now();
  const silhouettes = silhouetteScores(
    silX,
    runs.map((r) => r.labels),
  );
  const silShare = (performance.now() - tSil) / ks.length;

  const curve: LayerClusterPoint[] = [];
  let best: { k: number; labels: Int32Array; centroids: Tensor; silhouette: number; inertia: number } | null = null;
  for (const [step, { k, km, ms }] of runs.entries()) {
    const silhouette = silhouettes[step];
    curve.push({ k, silhouette, inertia: km.inertia });
    const isBest = best === null || silhouette > best.silhouette; // ties keep the smaller k
    if (isBest) best = { k, labels: km.labels, centroids: km.centroids, silhouette, inertia: km.inertia };
    yield {
      type: 'k',
      k,
      silhouette,
      inertia: km.inertia,
      iterations: km.iterations,
      best: isBest,
      step: step + 1,
      total: ks.length,
      ms: ms + silShare,
    };
  }
  if (best === null) throw new Error(`internal: ${fn} tried no k`);
  return { ...best, curve, silhouetteSample: idx === null ? n : idx.length };
}
