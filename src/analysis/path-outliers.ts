/**
 * Reading cluster paths for the exceptions (the Cluster Paths student project):
 * - `pathOutliers`: each class's majority path and the rows that leave it — where they first
 *   diverge and whose majority route they take instead ("the 7s that look like 1s join the 1s'
 *   cluster from layer 1 on");
 * - `insertionFlows`: inputs of classes the clusters were not fitted on (assigned to the known
 *   centroids) and the share of them that lands, layer by layer, in each known class's clusters.
 *
 * A path's columns here are the layers then the prediction (the input class is what rows are grouped
 * by): column j < L is layer j's cluster, column L the predicted class.
 */
import { expectLabels } from '../cluster/labels.js';
import { expectPathLayers, isList, kindOf, type DistinctPath, type PathLayer, type PathSet } from './paths.js';

/** A class's most common path. */
export interface ClassMajorityPath {
  readonly label: number;
  readonly key: string;
  readonly clusters: readonly number[];
  readonly prediction: number;
  /** Rows of the class on this path. */
  readonly count: number;
  /** Rows of the class. */
  readonly total: number;
  readonly share: number;
}

/** A row off its class's majority path. */
export interface PathOutlier {
  readonly row: number;
  readonly label: number;
  readonly prediction: number;
  /** The first column where the row leaves its class's majority path: a layer index, or L for the prediction. */
  readonly column: number;
  /** That column's layer name, or 'prediction'. */
  readonly columnName: string;
  /** The row's cluster (or prediction) there. */
  readonly value: number;
  /** The majority path's cluster (or prediction) there. */
  readonly majorityValue: number;
  /** The other classes whose majority path has `value` at that column (increasing; empty if none). */
  readonly joins: readonly number[];
  /** The smallest other class whose majority path the row matches at every column from `column` to the prediction, or null. */
  readonly follows: number | null;
}

export interface PathOutliers {
  /** Column names: the layers, then 'prediction'. */
  readonly columns: readonly string[];
  /** One per class present, increasing. */
  readonly majority: readonly ClassMajorityPath[];
  /** The rows off their class's majority path (at the column asked for, if one was), increasing. */
  readonly outliers: readonly PathOutlier[];
}

function tupleOf(p: DistinctPath): number[] {
  return [...p.clusters, p.prediction];
}

/**
 * Each class's majority path (its most common (c1 … cL, prediction); the first in path order on a
 * tie) and the rows whose path differs from it. With `column` (a layer name or index, or
 * 'prediction'), only the rows that differ at that column are listed; their `column` is still the
 * first divergence.
 */
export function pathOutliers(paths: PathSet, o: { column?: string | number } = {}): PathOutliers {
  const fn = 'pathOutliers';
  if (paths === null || typeof paths !== 'object' || !isList(paths.paths))
    throw new TypeError(`${fn}: expected a path set from buildPaths, got ${kindOf(paths)}`);
  const L = paths.layers.length;
  const columns = [...paths.layers.map((l) => l.name), 'prediction'];
  let only: number | null = null;
  if (o.column !== undefined) {
    only = typeof o.column === 'number' ? o.column : columns.indexOf(o.column);
    if (!Number.isInteger(only) || only < 0 || only > L)
      throw new RangeError(
        `${fn}: expected column to be one of ${columns.map((c) => `'${c}'`).join(', ')} or an index 0 … ${L}, got ${JSON.stringify(o.column)}`,
      );
  }

  // paths.paths is sorted by decreasing count, ties in path order: a class's first path is its majority.
  const majorityOf = new Map<number, DistinctPath>();
  const totals = new Map<number, number>();
  for (const p of paths.paths) {
    if (!majorityOf.has(p.label)) majorityOf.set(p.label, p);
    totals.set(p.label, (totals.get(p.label) ?? 0) + p.count);
  }
  const classes = [...majorityOf.keys()].sort((a, b) => a - b);
  const majTuple = new Map(classes.map((c) => [c, tupleOf(majorityOf.get(c) as DistinctPath)]));
  const majority: ClassMajorityPath[] = classes.map((c) => {
    const p = majorityOf.get(c) as DistinctPath;
    const total = totals.get(c) ?? 0;
    return { label: c, key: p.key, clusters: p.clusters, prediction: p.prediction, count: p.count, total, share: p.count / total };
  });

  const outliers: PathOutlier[] = [];
  for (const p of paths.paths) {
    const own = majTuple.get(p.label) as number[];
    const t = tupleOf(p);
    let column = 0;
    while (column <= L && t[column] === own[column]) column++;
    if (column > L) continue; // the majority path itself
    if (only !== null && t[only] === own[only]) continue;
    const joins: number[] = [];
    let follows: number | null = null;
    for (const c of classes) {
      if (c === p.label) continue;
      const other = majTuple.get(c) as number[];
      if (other[column] !== t[column]) continue;
      joins.push(c);
      if (follows === null) {
        let j = column;
        while (j <= L && other[j] === t[j]) j++;
        if (j > L) follows = c;
      }
    }
    for (const row of p.rows) {
      outliers.push({
        row,
        label: p.label,
        prediction: p.prediction,
        column,
        columnName: columns[column],
        value: t[column],
        majorityValue: own[column],
        joins,
        follows,
      });
    }
  }
  outliers.sort((a, b) => a.row - b.row);
  return { columns, majority, outliers };
}

/** Where one inserted class goes at one column. */
export interface InsertionStep {
  /** A layer name, or 'prediction'. */
  readonly name: string;
  /** Rows in the clusters each known class owns (predicted as each known class, for 'prediction'), in `knownClasses` order. */
  readonly counts: readonly number[];
  /** counts / rows of the inserted class. */
  readonly shares: readonly number[];
  /** Rows in clusters no known row falls in (predicted as a class that is not a known class, for 'prediction'). */
  readonly other: number;
  readonly otherShare: number;
}

export interface InsertionFlow {
  /** The inserted class (its original label). */
  readonly label: number;
  readonly count: number;
  /** One per layer, then 'prediction' when the inserted predictions were given. */
  readonly steps: readonly InsertionStep[];
}

export interface InsertionFlows {
  /** The known classes, increasing: the order of every step's counts and shares. */
  readonly knownClasses: readonly number[];
  /** Per layer, the known class owning each cluster (−1: no known row in it). */
  readonly owners: readonly { readonly name: string; readonly owner: Int32Array }[];
  /** One per inserted class, increasing. */
  readonly flows: readonly InsertionFlow[];
}

export interface InsertionInput {
  /** The known classes' paths (buildPaths of the rows the clusters were fitted on, or any { labels, layers }). */
  readonly known: { readonly labels: Int32Array; readonly layers: readonly PathLayer[] };
  /** The inserted rows: original labels, their clusters in the known layers (same names, same order), optionally the network's predictions. */
  readonly inserted: {
    readonly labels: Int32Array;
    readonly layers: readonly { readonly name: string; readonly clusters: Int32Array }[];
    readonly predictions?: Int32Array;
  };
}

/**
 * Anomaly insertion: per inserted class and per layer, the share of its rows in the clusters of each
 * known class, a cluster belonging to the known class with the most rows in it (the smallest class
 * on a tie), plus the 'other' share: clusters no known row falls in. With predictions, a last step
 * gives the share predicted as each known class.
 */
export function insertionFlows(input: InsertionInput): InsertionFlows {
  const fn = 'insertionFlows';
  if (input === null || typeof input !== 'object' || input.known == null || input.inserted == null)
    throw new TypeError(`${fn}: expected { known, inserted }, got ${kindOf(input)}`);
  const { known, inserted } = input;
  expectLabels(fn, known.labels, undefined, 'known labels');
  if (known.labels.length === 0) throw new RangeError(`${fn}: expected at least one known row, got 0 known labels`);
  for (let i = 0; i < known.labels.length; i++)
    if (known.labels[i] < 0) throw new RangeError(`${fn}: expected known labels to be class indices ≥ 0, got ${known.labels[i]} at row ${i}`);
  expectPathLayers(fn, known.layers, known.labels.length, 'one per known label');
  expectLabels(fn, inserted.labels, undefined, 'inserted labels');
  const m = inserted.labels.length;
  if (m === 0) throw new RangeError(`${fn}: expected at least one inserted row, got 0 inserted labels`);
  const L = known.layers.length;
  if (!isList(inserted.layers)) throw new TypeError(`${fn}: expected inserted layers as an array, got ${kindOf(inserted.layers)}`);
  if (inserted.layers.length !== L)
    throw new RangeError(
      `${fn}: expected ${L} inserted layers (as known: ${known.layers.map((l) => `'${l.name}'`).join(', ')}), got ${inserted.layers.length}`,
    );
  const insLayers: PathLayer[] = inserted.layers.map((l, j) => {
    if (l.name !== known.layers[j].name)
      throw new RangeError(`${fn}: expected inserted layer ${j} to be '${known.layers[j].name}' (the known layers' order), got '${l.name}'`);
    return { name: l.name, clusters: l.clusters, k: known.layers[j].k };
  });
  expectPathLayers(fn, insLayers, m, 'one per inserted label');
  if (inserted.predictions !== undefined) expectLabels(fn, inserted.predictions, m, 'inserted predictions (one per inserted label)');

  const knownClasses = [...new Set(known.labels)].sort((a, b) => a - b);
  const pos = new Map(knownClasses.map((c, i) => [c, i]));
  const C = knownClasses.length;
  const owners = known.layers.map((layer) => {
    const counts = new Int32Array(layer.k * C);
    for (let i = 0; i < known.labels.length; i++) counts[layer.clusters[i] * C + (pos.get(known.labels[i]) ?? 0)]++;
    const owner = new Int32Array(layer.k).fill(-1);
    for (let k = 0; k < layer.k; k++) {
      let best = 0;
      for (let c = 0; c < C; c++) {
        if (counts[k * C + c] > best) {
          best = counts[k * C + c];
          owner[k] = knownClasses[c];
        }
      }
    }
    return { name: layer.name, owner };
  });

  const insClasses = [...new Set(inserted.labels)].sort((a, b) => a - b);
  const flows: InsertionFlow[] = insClasses.map((label) => {
    const rows: number[] = [];
    for (let i = 0; i < m; i++) if (inserted.labels[i] === label) rows.push(i);
    const step = (name: string, classOf: (i: number) => number): InsertionStep => {
      const counts = new Array<number>(C).fill(0);
      let other = 0;
      for (const i of rows) {
        const c = pos.get(classOf(i));
        if (c === undefined) other++;
        else counts[c]++;
      }
      return { name, counts, shares: counts.map((v) => v / rows.length), other, otherShare: other / rows.length };
    };
    const steps = insLayers.map((layer, j) => step(layer.name, (i) => owners[j].owner[layer.clusters[i]]));
    const preds = inserted.predictions;
    if (preds !== undefined) steps.push(step('prediction', (i) => preds[i]));
    return { label, count: rows.length, steps };
  });
  return { knownClasses, owners, flows };
}
