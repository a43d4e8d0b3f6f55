/**
 * Cluster paths (activation signatures): each input's route through a trained network, read off
 * per-layer clusterings. The Cluster Paths student project follows every image from its input
 * class through its cluster at each hidden layer to the network's prediction; Cluster Paths
 * (Kroeger & Bindschaedler, arXiv 2510.06541) calls the sequence of cluster IDs alone a cluster path.
 * Both are kept here, per row:
 * - the path key `class|c1|…|cL|prediction` (the student project's path, the Sankey diagram's route);
 * - the cluster key `c1|…|cL` (the paper's cluster path, what the path metrics group rows by).
 *
 * `sankeyGraph` turns a path set into plain Sankey data: columns input class → one column per layer
 * → prediction, a node per value that occurs in its column, a link per pair of adjacent nodes that
 * rows go through, with the split of its rows by input class.
 */
import { expectLabels } from '../cluster/labels.js';

/** Array.isArray without narrowing a typed array parameter to any[]. */
export function isList(v: unknown): boolean {
  return Array.isArray(v);
}

/** What a wrong argument is, for messages: 'Array', 'Object', 'Null', 'Number' … */
export function kindOf(v: unknown): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** One layer's clustering of the rows: each row's cluster in 0 … k − 1. */
export interface PathLayer {
  readonly name: string;
  readonly clusters: Int32Array;
  readonly k: number;
}

export interface BuildPathsInput {
  /** Input class of each row (a class index ≥ 0). */
  readonly labels: Int32Array;
  /** The layers in network order, each with one cluster per row. */
  readonly layers: readonly PathLayer[];
  /** The network's predicted class of each row (a class index ≥ 0). */
  readonly predictions: Int32Array;
}

/** A distinct path (class, c1 … cL, prediction) and the rows that follow it. */
export interface DistinctPath {
  readonly key: string;
  readonly label: number;
  readonly clusters: readonly number[];
  readonly prediction: number;
  readonly count: number;
  /** The rows following this path, increasing. */
  readonly rows: Int32Array;
}

export interface PathSet {
  readonly n: number;
  readonly labels: Int32Array;
  readonly layers: readonly PathLayer[];
  readonly predictions: Int32Array;
  /** Per row: `class|c1|…|cL|prediction`. */
  readonly pathKeys: readonly string[];
  /** Per row: `c1|…|cL` (the cluster path of arXiv 2510.06541, without class and prediction). */
  readonly clusterKeys: readonly string[];
  /** The distinct paths, by decreasing count; equal counts in increasing (class, c1, …, cL, prediction) order. */
  readonly paths: readonly DistinctPath[];
  /** Per row: its path's index in `paths`. */
  readonly pathIndex: Int32Array;
}

/** Throws unless every value of `v` is an integer ≥ 0 (class indices). */
function expectClassIndices(fn: string, v: Int32Array, what: string): void {
  for (let i = 0; i < v.length; i++) if (v[i] < 0) throw new RangeError(`${fn}: expected ${what} to be class indices ≥ 0, got ${v[i]} at row ${i}`);
}

/** Checks the layers against n rows: names non-empty and distinct, k a positive integer, clusters of length n within 0 … k − 1. */
export function expectPathLayers(fn: string, layers: readonly PathLayer[], n: number, what = 'one per label'): void {
  if (!isList(layers)) throw new TypeError(`${fn}: expected layers as an array, got ${kindOf(layers)}`);
  if (layers.length === 0) throw new RangeError(`${fn}: expected at least one layer, got 0`);
  const seen = new Set<string>();
  for (const layer of layers) {
    const name = layer.name;
    if (typeof name !== 'string' || name === '') throw new TypeError(`${fn}: expected every layer to have a non-empty name, got ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new RangeError(`${fn}: layer name '${name}' appears twice`);
    seen.add(name);
    if (!Number.isSafeInteger(layer.k) || layer.k < 1) throw new RangeError(`${fn}: expected layer '${name}' to have k a positive integer, got ${layer.k}`);
    expectLabels(fn, layer.clusters, undefined, `layer '${name}' clusters`);
    if (layer.clusters.length !== n) throw new RangeError(`${fn}: expected layer '${name}' clusters of length ${n} (${what}), got ${layer.clusters.length}`);
    const c = layer.clusters;
    for (let i = 0; i < n; i++) {
      if (c[i] < 0 || c[i] >= layer.k)
        throw new RangeError(`${fn}: layer '${name}' has cluster ${c[i]} at row ${i}, outside 0 … ${layer.k - 1} (k = ${layer.k})`);
    }
  }
}

/** `class|c1|…|cL|prediction` of row i. */
function pathKeyOf(labels: Int32Array, layers: readonly PathLayer[], predictions: Int32Array, i: number): string {
  let s = String(labels[i]);
  for (const layer of layers) s += '|' + String(layer.clusters[i]);
  return s + '|' + String(predictions[i]);
}

/** `c1|…|cL` of row i. */
function clusterKeyOf(layers: readonly PathLayer[], i: number): string {
  let s = String(layers[0].clusters[i]);
  for (let l = 1; l < layers.length; l++) s += '|' + String(layers[l].clusters[i]);
  return s;
}

/**
 * The cluster keys `c1|…|cL` of rows whose clusters per layer are given (layers in network order,
 * each an Int32Array of one cluster per row): the same keys as `buildPaths`'s `clusterKeys`, for
 * rows assigned to the clusters some other way (noisy copies of the inputs, inserted inputs).
 */
export function clusterPathKeys(layers: readonly Int32Array[]): string[] {
  const fn = 'clusterPathKeys';
  if (!isList(layers)) throw new TypeError(`${fn}: expected layers as an array of Int32Arrays, got ${kindOf(layers)}`);
  if (layers.length === 0) throw new RangeError(`${fn}: expected at least one layer of clusters, got 0`);
  for (let l = 0; l < layers.length; l++) expectLabels(fn, layers[l], layers[0].length, `clusters of layer ${l} (as many as layer 0)`);
  const n = layers[0].length;
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let s = String(layers[0][i]);
    for (let l = 1; l < layers.length; l++) s += '|' + String(layers[l][i]);
    keys[i] = s;
  }
  return keys;
}

/** Lexicographic order of two equal-length number tuples. */
function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return a[j] - b[j];
  return 0;
}

/** Each row's path (class, c1 … cL, prediction), its keys, and the distinct paths with their counts. */
export function buildPaths(input: BuildPathsInput): PathSet {
  const fn = 'buildPaths';
  if (input === null || typeof input !== 'object') throw new TypeError(`${fn}: expected { labels, layers, predictions }, got ${kindOf(input)}`);
  const { labels, layers, predictions } = input;
  expectLabels(fn, labels, undefined, 'labels');
  const n = labels.length;
  if (n === 0) throw new RangeError(`${fn}: expected at least one row, got 0 labels`);
  expectLabels(fn, predictions, undefined, 'predictions');
  if (predictions.length !== n) throw new RangeError(`${fn}: expected predictions of length ${n} (one per label), got ${predictions.length}`);
  expectClassIndices(fn, labels, 'labels');
  expectClassIndices(fn, predictions, 'predictions');
  expectPathLayers(fn, layers, n);

  const pathKeys: string[] = new Array<string>(n);
  const clusterKeys: string[] = new Array<string>(n);
  const groups = new Map<string, { tuple: number[]; rows: number[] }>();
  for (let i = 0; i < n; i++) {
    const key = pathKeyOf(labels, layers, predictions, i);
    pathKeys[i] = key;
    clusterKeys[i] = clusterKeyOf(layers, i);
    let g = groups.get(key);
    if (g === undefined) {
      g = { tuple: [labels[i], ...layers.map((layer) => layer.clusters[i]), predictions[i]], rows: [] };
      groups.set(key, g);
    }
    g.rows.push(i);
  }
  const sorted = [...groups.entries()].sort(([, a], [, b]) => b.rows.length - a.rows.length || compareTuples(a.tuple, b.tuple));
  const paths: DistinctPath[] = [];
  const pathIndex = new Int32Array(n);
  for (const [key, g] of sorted) {
    const p = paths.length;
    for (const r of g.rows) pathIndex[r] = p;
    paths.push({
      key,
      label: g.tuple[0],
      clusters: g.tuple.slice(1, -1),
      prediction: g.tuple[g.tuple.length - 1],
      count: g.rows.length,
      rows: Int32Array.from(g.rows),
    });
  }
  return { n, labels, layers, predictions, pathKeys, clusterKeys, paths, pathIndex };
}

export interface SankeyGraphOptions {
  /** Name of each class index (default: the index as a string). */
  classNames?: readonly string[];
  /** Display name of each layer, in order (default: the layers' own names). */
  layerNames?: readonly string[];
}

export interface SankeyNode {
  /** Position in `nodes`. */
  readonly id: number;
  /** 0 = input class, 1 … L = the layers, L + 1 = prediction. */
  readonly column: number;
  /** The class index (columns 0 and L + 1) or the cluster index (layer columns). */
  readonly value: number;
  /** 'class · 7', 'h1 · c3', 'pred · 7'. */
  readonly label: string;
  /** Rows through this node. */
  readonly count: number;
}

export interface SankeyLink {
  readonly source: number;
  readonly target: number;
  readonly value: number;
  /** Rows of each input class, in the order of the graph's `classes`; sums to `value`. */
  readonly byClass: readonly number[];
}

export interface SankeyGraph {
  /** Column titles: 'class', the layer names, 'prediction'. */
  readonly columns: readonly string[];
  /** The input classes present, increasing: the order of every link's `byClass`. */
  readonly classes: readonly number[];
  /** Names of `classes`. */
  readonly classNames: readonly string[];
  /** By column, then by value; only values that occur. */
  readonly nodes: readonly SankeyNode[];
  /** By source id, then by target id; only pairs some row goes through. */
  readonly links: readonly SankeyLink[];
}

/** Plain Sankey data for a path set: class column → each layer's clusters → prediction column. */
export function sankeyGraph(paths: PathSet, o: SankeyGraphOptions = {}): SankeyGraph {
  const fn = 'sankeyGraph';
  if (paths === null || typeof paths !== 'object' || !isList(paths.paths))
    throw new TypeError(`${fn}: expected a path set from buildPaths, got ${kindOf(paths)}`);
  const L = paths.layers.length;
  const layerNames = o.layerNames ?? paths.layers.map((l) => l.name);
  if (layerNames.length !== L) throw new RangeError(`${fn}: expected ${L} layerNames (one per layer), got ${layerNames.length}`);
  const classNames = o.classNames;
  const nameOf = (c: number): string => {
    if (classNames === undefined) return String(c);
    if (c >= classNames.length) throw new RangeError(`${fn}: class ${c} has no name (classNames has ${classNames.length})`);
    return classNames[c];
  };

  // Column values: tuple position j (0 = class, 1 … L = layers, L + 1 = prediction) of each distinct path.
  const cols = L + 2;
  const counts: Map<number, number>[] = Array.from({ length: cols }, () => new Map<number, number>());
  for (const p of paths.paths) {
    const tuple = [p.label, ...p.clusters, p.prediction];
    for (let j = 0; j < cols; j++) counts[j].set(tuple[j], (counts[j].get(tuple[j]) ?? 0) + p.count);
  }
  const nodes: SankeyNode[] = [];
  const idOf: Map<number, number>[] = [];
  for (let j = 0; j < cols; j++) {
    const ids = new Map<number, number>();
    for (const v of [...counts[j].keys()].sort((a, b) => a - b)) {
      const label = j === 0 ? `class · ${nameOf(v)}` : j === cols - 1 ? `pred · ${nameOf(v)}` : `${layerNames[j - 1]} · c${v}`;
      ids.set(v, nodes.length);
      nodes.push({ id: nodes.length, column: j, value: v, label, count: counts[j].get(v) ?? 0 });
    }
    idOf.push(ids);
  }
  const classes = [...counts[0].keys()].sort((a, b) => a - b);
  const classPos = new Map(classes.map((c, i) => [c, i]));

  const linkMap = new Map<number, { source: number; target: number; byClass: number[] }>();
  const N = nodes.length;
  for (const p of paths.paths) {
    const tuple = [p.label, ...p.clusters, p.prediction];
    const ci = classPos.get(p.label) ?? 0;
    for (let j = 0; j + 1 < cols; j++) {
      const source = idOf[j].get(tuple[j]) ?? -1;
      const target = idOf[j + 1].get(tuple[j + 1]) ?? -1;
      const id = source * N + target;
      let link = linkMap.get(id);
      if (link === undefined) {
        link = { source, target, byClass: new Array<number>(classes.length).fill(0) };
        linkMap.set(id, link);
      }
      link.byClass[ci] += p.count;
    }
  }
  const links: SankeyLink[] = [...linkMap.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, l]) => ({ source: l.source, target: l.target, value: l.byClass.reduce((s, v) => s + v, 0), byClass: l.byClass }));
  return { columns: ['class', ...layerNames, 'prediction'], classes, classNames: classes.map(nameOf), nodes, links };
}

/** Rows of classes a model never saw, assigned to the known rows' clusters: labels are the dataset's class ids. */
export interface InsertedRows {
  readonly labels: Int32Array;
  /** Per layer, in the known path set's layer order: each inserted row's cluster. */
  readonly clusters: readonly Int32Array[];
  readonly predictions: Int32Array;
}

/**
 * Known and inserted rows in one path set (the known rows first, in order), the inserted classes
 * renumbered after the K known ones: inserted class `insertedClasses[i]` becomes class K + i.
 * What the Sankey of inserted classes draws.
 */
export function joinInsertedPaths(known: PathSet, inserted: InsertedRows, knownClasses: number): { paths: PathSet; insertedClasses: number[] } {
  const fn = 'joinInsertedPaths';
  if (inserted.clusters.length !== known.layers.length)
    throw new RangeError(`${fn}: expected clusters for ${known.layers.length} layers (as the known paths), got ${inserted.clusters.length}`);
  const insertedClasses = [...new Set(inserted.labels)].sort((a, b) => a - b);
  const labels = Int32Array.from([...known.labels, ...Array.from(inserted.labels, (l) => knownClasses + insertedClasses.indexOf(l))]);
  const layers = known.layers.map((l, j) => ({ name: l.name, k: l.k, clusters: Int32Array.from([...l.clusters, ...inserted.clusters[j]]) }));
  const paths = buildPaths({ labels, layers, predictions: Int32Array.from([...known.predictions, ...inserted.predictions]) });
  return { paths, insertedClasses };
}
