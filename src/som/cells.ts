/**
 * What a map's cells hold, from plain arrays (no SOM object, no tensors): the U-matrix of a
 * prototype table, the hit map, each cell's majority class and purity, and each cell's rows. The
 * training code reaches them through analysis.ts; the explorer runs them in the browser.
 */
import { cellNeighbors, type Adjacency, type TopologySpec } from './topology.js';

export interface UMatrixOptions {
  /** Which cells are neighbours (default 'edge'). */
  adjacency?: Adjacency;
  /** 'mean' (default) or 'sum' (MiniSom's distance_map before its division by the maximum) of the distances. */
  reduce?: 'mean' | 'sum';
}

/**
 * U-matrix of a map whose K prototypes of `dim` values are the rows of `prototypes` (K·dim values,
 * row-major): for each cell, the mean (or sum) Euclidean distance from its prototype to those of
 * its adjacent cells.
 */
export function uMatrixOf(
  map: Pick<TopologySpec, 'rows' | 'cols' | 'topology' | 'toroidal'>,
  prototypes: ArrayLike<number>,
  dim: number,
  options: UMatrixOptions = {},
): Float64Array {
  const reduce = options.reduce ?? 'mean';
  if (reduce !== 'mean' && reduce !== 'sum') throw new RangeError(`uMatrix: expected reduce 'mean' or 'sum', got ${JSON.stringify(reduce)}`);
  const K = map.rows * map.cols;
  if (!Number.isInteger(dim) || dim < 1 || prototypes.length !== K * dim)
    throw new RangeError(
      `uMatrix: expected ${K} prototypes (one per cell of the ${map.rows}×${map.cols} map) of ${dim} values, got ${prototypes.length} values`,
    );
  const neighbors = cellNeighbors(map, options.adjacency ?? 'edge');
  const m = prototypes;
  const d = dim;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const nb = neighbors[k];
    let total = 0;
    for (const j of nb) {
      let s = 0;
      for (let q = 0; q < d; q++) {
        const diff = m[k * d + q] - m[j * d + q];
        s += diff * diff;
      }
      total += Math.sqrt(s);
    }
    out[k] = nb.length === 0 ? 0 : reduce === 'mean' ? total / nb.length : total;
  }
  return out;
}

/** Throws unless `bmu` holds n (when given) unit indices in [0, k); `fn` names the caller. */
export function checkBmus(fn: string, bmu: Int32Array, k: number, n?: number): void {
  if (n !== undefined && bmu.length !== n) throw new RangeError(`${fn}: expected ${n} BMUs (one per sample), got ${bmu.length}`);
  for (let i = 0; i < bmu.length; i++) {
    if (!(bmu[i] >= 0 && bmu[i] < k)) throw new RangeError(`${fn}: expected unit indices in [0, ${k}), got ${bmu[i]} at position ${i}`);
  }
}

/** Hit map: how many samples each of the K cells wins. */
export function hitMap(bmus: Int32Array, k: number): Int32Array {
  checkBmus('hitMap', bmus, k);
  const out = new Int32Array(k);
  for (let i = 0; i < bmus.length; i++) out[bmus[i]]++;
  return out;
}

export interface CellLabels {
  /** Majority label of each cell (ties → smallest label), −1 for empty cells. */
  readonly label: Int32Array;
  /** Share of the cell's samples carrying its majority label; NaN for empty cells. */
  readonly purity: Float64Array;
  /** Samples per cell (the hit map). */
  readonly count: Int32Array;
}

/** Per-cell majority label and purity from each sample's BMU and label (labels are non-negative integers). */
export function cellLabels(bmus: Int32Array, labels: Int32Array, k: number): CellLabels {
  const fn = 'cellLabels';
  checkBmus(fn, bmus, k);
  if (labels.length !== bmus.length) throw new RangeError(`${fn}: expected ${bmus.length} labels (one per BMU), got ${labels.length}`);
  let classes = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0))
      throw new RangeError(`${fn}: expected non-negative integer labels, got ${labels[i]} at position ${i}`);
    classes = Math.max(classes, labels[i] + 1);
  }
  const table = new Int32Array(k * classes);
  const count = new Int32Array(k);
  for (let i = 0; i < bmus.length; i++) {
    table[bmus[i] * classes + labels[i]]++;
    count[bmus[i]]++;
  }
  const label = new Int32Array(k).fill(-1);
  const purity = new Float64Array(k).fill(NaN);
  for (let c = 0; c < k; c++) {
    if (count[c] === 0) continue;
    let best = 0;
    for (let l = 1; l < classes; l++) if (table[c * classes + l] > table[c * classes + best]) best = l;
    label[c] = best;
    purity[c] = table[c * classes + best] / count[c];
  }
  return { label, purity, count };
}

/** Indices of the samples won by each cell, ascending (K arrays, views into one buffer). */
export function cellMembers(bmus: Int32Array, k: number): Int32Array[] {
  const counts = hitMap(bmus, k);
  const offsets = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) offsets[c + 1] = offsets[c] + counts[c];
  const fill = offsets.slice(0, k);
  const all = new Int32Array(bmus.length);
  for (let i = 0; i < bmus.length; i++) all[fill[bmus[i]]++] = i;
  const out: Int32Array[] = [];
  for (let c = 0; c < k; c++) out.push(all.subarray(offsets[c], offsets[c + 1]));
  return out;
}
