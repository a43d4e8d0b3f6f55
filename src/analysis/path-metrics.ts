/**
 * Metrics of cluster paths (see docs/signatures.md, section Metrics, for the table and sources).
 *
 * Per layer (the Cluster Paths student project): each class's share of its rows in its dominant
 * cluster, and the layer clustering's purity and NMI against the input labels and against the
 * network's predictions (`purity`, `nmi` of src/metrics).
 *
 * Over paths, the four metrics named by Cluster Paths (Kroeger & Bindschaedler, arXiv 2510.06541,
 * abstract): path complexity, weighted-path purity, decision-alignment faithfulness, path
 * agreement. Their formulas here are ours, written from the metrics' names and descriptions in the
 * paper's abstract (the formulas of its method section could not be read from the stored copy): each
 * function's comment gives the formula it computes. The keys they take are cluster keys
 * (`PathSet.clusterKeys`, c1|…|cL): grouping by a path that contained the class or the
 * prediction would make purity or faithfulness 1 by construction.
 *
 * Path agreement compares the paths of the same rows before and after a perturbation. The noisy
 * paths are the caller's: perturb the inputs, capture the activations again, and assign each layer's
 * noisy activations to the CLEAN centroids (`assignToCentroids`) — the clusters are not fitted again,
 * so a changed path means the row moved to another existing cluster (the paper too assigns a new
 * input to the closest stored centroid of each layer, its Figure 1).
 */
import { kmeansPredict } from '../cluster/kmeans.js';
import { expectLabels } from '../cluster/labels.js';
import { nmi } from '../metrics/nmi.js';
import { purity } from '../metrics/purity.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { isList, kindOf, type PathLayer } from './paths.js';

/** Checks an array of n ≥ 1 string keys (n given: exactly n). */
function expectKeys(fn: string, keys: readonly string[], what: string, n?: number, nWhat = ''): void {
  if (!isList(keys)) throw new TypeError(`${fn}: expected ${what} as an array of strings, got ${kindOf(keys)}`);
  if (n !== undefined && keys.length !== n) throw new RangeError(`${fn}: expected ${what} of length ${n}${nWhat}, got ${keys.length}`);
  if (keys.length === 0) throw new RangeError(`${fn}: expected at least one row, got 0 ${what}`);
  for (let i = 0; i < keys.length; i++)
    if (typeof keys[i] !== 'string') throw new TypeError(`${fn}: expected ${what} to hold strings, got ${typeof keys[i]} at row ${i}`);
}

/** Dense ids of string keys: the first key seen is 0, the next new one 1, … */
export function keyIds(keys: readonly string[]): Int32Array {
  const ids = new Int32Array(keys.length);
  const map = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    let id = map.get(keys[i]);
    if (id === undefined) {
      id = map.size;
      map.set(keys[i], id);
    }
    ids[i] = id;
  }
  return ids;
}

/** A class's dominant cluster in one layer. */
export interface DominantCluster {
  readonly label: number;
  /** The cluster holding most of the class's rows (the smallest such cluster on a tie). */
  readonly cluster: number;
  /** Rows of the class in that cluster. */
  readonly count: number;
  /** Rows of the class. */
  readonly total: number;
  /** count / total. */
  readonly share: number;
}

/**
 * Each class's share of its rows in its dominant cluster: share_c = max_k n_ck / n_c, with n_ck the
 * rows of class c in cluster k (the student project's "97 % of the 1s fall in one layer-1 cluster").
 * One entry per class present, by increasing class. Range 1/k … 1: 1 = the whole class in one cluster.
 */
export function dominantClusterShare(labels: Int32Array, clusters: Int32Array): DominantCluster[] {
  const fn = 'dominantClusterShare';
  expectLabels(fn, labels, undefined, 'labels');
  expectLabels(fn, clusters, labels.length, `clusters (one per label)`);
  if (labels.length === 0) throw new RangeError(`${fn}: expected at least one row, got 0 labels`);
  const byClass = new Map<number, Map<number, number>>();
  for (let i = 0; i < labels.length; i++) {
    let m = byClass.get(labels[i]);
    if (m === undefined) {
      m = new Map<number, number>();
      byClass.set(labels[i], m);
    }
    m.set(clusters[i], (m.get(clusters[i]) ?? 0) + 1);
  }
  const out: DominantCluster[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const m = byClass.get(label) ?? new Map<number, number>();
    let cluster = -1;
    let count = 0;
    let total = 0;
    for (const [k, c] of m) {
      total += c;
      if (c > count || (c === count && k < cluster)) {
        cluster = k;
        count = c;
      }
    }
    out.push({ label, cluster, count, total, share: count / total });
  }
  return out;
}

/** One layer's metrics. */
export interface LayerPathMetrics {
  readonly name: string;
  readonly k: number;
  /** Per class present, increasing: its dominant cluster and share. */
  readonly dominant: readonly DominantCluster[];
  /** purity of the clusters against the input labels, (1/n) Σ_k max_c n_ck. */
  readonly purityLabel: number;
  /** purity of the clusters against the predictions. */
  readonly purityPrediction: number;
  /** NMI (arithmetic mean, scikit-learn's default) of the clusters and the input labels. */
  readonly nmiLabel: number;
  /** NMI of the clusters and the predictions. */
  readonly nmiPrediction: number;
}

/** The per-layer metrics of a path set (any { labels, predictions, layers }). */
export function layerMetrics(paths: {
  readonly labels: Int32Array;
  readonly predictions: Int32Array;
  readonly layers: readonly PathLayer[];
}): LayerPathMetrics[] {
  return paths.layers.map((layer) => ({
    name: layer.name,
    k: layer.k,
    dominant: dominantClusterShare(paths.labels, layer.clusters),
    purityLabel: purity(paths.labels, layer.clusters),
    purityPrediction: purity(paths.predictions, layer.clusters),
    nmiLabel: nmi(paths.labels, layer.clusters),
    nmiPrediction: nmi(paths.predictions, layer.clusters),
  }));
}

/** Number of distinct keys (distinct paths). */
export function distinctPathCount(keys: readonly string[]): number {
  expectKeys('distinctPathCount', keys, 'keys');
  return new Set(keys).size;
}

/**
 * Path complexity (arXiv 2510.06541's "cognitive load" metric; this formula is ours): the effective
 * number of distinct paths, exp(H) with H = −Σ_p (n_p/N) ln(n_p/N) the entropy of the path
 * frequencies (n_p rows follow path p, N rows). Range 1 … number of distinct paths: 1 = every row on
 * one path; it equals the count of distinct paths when they are equally used, and a few rare paths
 * raise it only a little (unlike the plain count).
 */
export function pathComplexity(keys: readonly string[]): number {
  expectKeys('pathComplexity', keys, 'keys');
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const n = keys.length;
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log(c / n);
  return Math.exp(h);
}

/**
 * Weighted-path purity (arXiv 2510.06541's "class alignment" metric; this formula is ours): each
 * path's purity (the share of its rows in its majority input class) weighted by its share of rows,
 * WPP = Σ_p (n_p/N) · max_c n_pc/n_p = (1/N) Σ_p max_c n_pc — the purity of the partition of the rows
 * by path. Range (largest class share) … 1: 1 = every path carries a single class.
 */
export function weightedPathPurity(keys: readonly string[], labels: Int32Array): number {
  const fn = 'weightedPathPurity';
  expectLabels(fn, labels, undefined, 'labels');
  expectKeys(fn, keys, 'keys', labels.length, ' (one per label)');
  return purity(labels, keyIds(keys));
}

/**
 * Decision-alignment faithfulness (arXiv 2510.06541's "predictive fidelity" metric; this formula is
 * ours): the share of rows whose prediction is the majority prediction of their path,
 * DAF = (1/N) Σ_i [ŷ_i = maj(path_i)], maj(p) the most common prediction on path p (the smallest on a
 * tie). Without a reference the majorities come from the same rows (then DAF = (1/N) Σ_p max_y n_py,
 * the purity of the paths against the predictions); with `reference` (e.g. the training rows) they
 * come from the reference rows, and a row whose path the reference never takes counts as not aligned.
 * Range 0 … 1: 1 = the path alone tells the network's decision.
 */
export function decisionAlignmentFaithfulness(
  keys: readonly string[],
  predictions: Int32Array,
  o: { reference?: { keys: readonly string[]; predictions: Int32Array } } = {},
): number {
  const fn = 'decisionAlignmentFaithfulness';
  expectLabels(fn, predictions, undefined, 'predictions');
  expectKeys(fn, keys, 'keys', predictions.length, ' (one per prediction)');
  const ref = o.reference ?? { keys, predictions };
  if (o.reference !== undefined) {
    expectLabels(fn, ref.predictions, undefined, 'reference predictions');
    expectKeys(fn, ref.keys, 'reference keys', ref.predictions.length, ' (one per reference prediction)');
  }
  const votes = new Map<string, Map<number, number>>();
  for (let i = 0; i < ref.keys.length; i++) {
    let m = votes.get(ref.keys[i]);
    if (m === undefined) {
      m = new Map<number, number>();
      votes.set(ref.keys[i], m);
    }
    m.set(ref.predictions[i], (m.get(ref.predictions[i]) ?? 0) + 1);
  }
  const majority = new Map<string, number>();
  for (const [key, m] of votes) {
    let best = 0;
    let bestCount = 0;
    for (const [y, c] of m) {
      if (c > bestCount || (c === bestCount && y < best)) {
        best = y;
        bestCount = c;
      }
    }
    majority.set(key, best);
  }
  let aligned = 0;
  for (let i = 0; i < keys.length; i++) if (majority.get(keys[i]) === predictions[i]) aligned++;
  return aligned / keys.length;
}

/**
 * Path agreement (arXiv 2510.06541's "stability under perturbations" metric): the share of rows
 * whose path is unchanged by the perturbation, PA = (1/N) Σ_i [noisy_i = clean_i], row i of both
 * arrays being the same input. The noisy paths must come from the clean clusters (noisy activations
 * assigned to the clean centroids with `assignToCentroids`, not re-clustered). Range 0 … 1: 1 = no path
 * moved.
 */
export function pathAgreement(cleanKeys: readonly string[], noisyKeys: readonly string[]): number {
  const fn = 'pathAgreement';
  expectKeys(fn, cleanKeys, 'cleanKeys');
  if (!isList(noisyKeys)) throw new TypeError(`${fn}: expected noisyKeys as an array of strings, got ${kindOf(noisyKeys)}`);
  if (noisyKeys.length !== cleanKeys.length)
    throw new RangeError(`${fn}: expected cleanKeys and noisyKeys of the same length (the same rows), got ${cleanKeys.length} and ${noisyKeys.length}`);
  expectKeys(fn, noisyKeys, 'noisyKeys');
  let same = 0;
  for (let i = 0; i < cleanKeys.length; i++) if (cleanKeys[i] === noisyKeys[i]) same++;
  return same / cleanKeys.length;
}

/**
 * Each row of `values` (n × d activations) assigned to its nearest centroid (k × d, Euclidean), as
 * `kmeansPredict`: how noisy or inserted inputs get clusters without fitting the clusters again.
 */
export function assignToCentroids(values: Tensor, centroids: Tensor): Int32Array {
  const fn = 'assignToCentroids';
  if (!(values instanceof Tensor)) throw new TypeError(`${fn}: expected values as a Tensor, got ${kindOf(values)}`);
  if (!(centroids instanceof Tensor)) throw new TypeError(`${fn}: expected centroids as a Tensor, got ${kindOf(centroids)}`);
  expect2d(fn, centroids, undefined, 'centroids');
  if (centroids.rows < 1) throw new RangeError(`${fn}: expected at least one centroid, got shape [${centroids.shape.join(', ')}]`);
  expect2d(fn, values, centroids.cols, `features (the centroids' width)`);
  return kmeansPredict(centroids, values);
}

/** Every metric of a path set. */
export interface PathMetrics {
  readonly n: number;
  /** Distinct (class, c1 … cL, prediction) paths. */
  readonly distinctPaths: number;
  /** Distinct cluster paths (c1 … cL). */
  readonly distinctClusterPaths: number;
  readonly pathComplexity: number;
  readonly weightedPathPurity: number;
  readonly decisionAlignmentFaithfulness: number;
  readonly layers: readonly LayerPathMetrics[];
}

/** The metrics of a path set from `buildPaths` (path agreement needs noisy paths: see `pathAgreement`). */
export function pathMetrics(paths: {
  readonly n: number;
  readonly labels: Int32Array;
  readonly predictions: Int32Array;
  readonly layers: readonly PathLayer[];
  readonly pathKeys: readonly string[];
  readonly clusterKeys: readonly string[];
}): PathMetrics {
  return {
    n: paths.n,
    distinctPaths: distinctPathCount(paths.pathKeys),
    distinctClusterPaths: distinctPathCount(paths.clusterKeys),
    pathComplexity: pathComplexity(paths.clusterKeys),
    weightedPathPurity: weightedPathPurity(paths.clusterKeys, paths.labels),
    decisionAlignmentFaithfulness: decisionAlignmentFaithfulness(paths.clusterKeys, paths.predictions),
    layers: layerMetrics(paths),
  };
}
