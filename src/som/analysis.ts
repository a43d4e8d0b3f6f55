/**
 * What a trained map says about the data: best-matching units, quantization, quantization and
 * topographic errors, U-matrix, hit map, per-cell labels, purity and members.
 */
import { Tensor, expect2d } from '../tensor/tensor.js';
import { findBmus } from './bmu.js';
import type { SOM } from './som.js';
import type { Adjacency, Topology } from './topology.js';

/** Best-matching unit of each row of x: argminₖ ‖xᵢ − mₖ‖² (GEMM, chunked; ties → lower index). */
export function bestMatchingUnits(som: SOM, x: Tensor): Int32Array {
  return som.bmus(x);
}

/** Best and second-best matching units of each row of x. */
export function secondBestMatchingUnits(som: SOM, x: Tensor): { bmu: Int32Array; second: Int32Array } {
  return som.secondBmus(x);
}

/** Each sample replaced by its BMU's prototype, n×d (MiniSom's quantization). */
export function quantize(som: SOM, x: Tensor): Tensor {
  return som.quantize(x);
}

export interface QuantizationErrorOptions {
  /** Mean of ‖x − m_bmu‖² instead (the DESOM benchmark path); default false. */
  squared?: boolean;
  /** BMUs already computed for x (skips the search). */
  bmus?: Int32Array;
}

/**
 * Quantization error: the mean Euclidean distance (not squared) from each sample to its BMU's
 * prototype, (1/n) Σᵢ ‖xᵢ − m_bmu(i)‖, as MiniSom's quantization_error and the DESOM paper.
 * The BMU comes from the GEMM search; the distance to it is recomputed exactly in float64.
 */
export function quantizationError(som: SOM, x: Tensor, options: QuantizationErrorOptions = {}): number {
  const fn = 'quantizationError';
  expect2d(fn, x, som.dim);
  const n = x.rows;
  if (n === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  const bmu = options.bmus ?? findBmus(x, som.prototypes).bmu;
  checkBmus(fn, bmu, som.size, n);
  const d = som.dim;
  const m = som.prototypes.data;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const p = bmu[i] * d;
    let s = 0;
    for (let q = 0; q < d; q++) {
      const diff = x.data[o + q] - m[p + q];
      s += diff * diff;
    }
    total += options.squared === true ? s : Math.sqrt(s);
  }
  return total / n;
}

/**
 * Topographic error from BMU pairs: the share of samples whose first and second BMUs are not
 * adjacent on the map (adjacency per topology, torus included; 'edge' by default).
 */
export function topographicErrorOf(topology: Topology, bmu: Int32Array, second: Int32Array, adjacency: Adjacency = 'edge'): number {
  const fn = 'topographicError';
  const n = bmu.length;
  if (n === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  checkBmus(fn, bmu, topology.size, n);
  checkBmus(fn, second, topology.size, n);
  const adj = topology.adjacencyMatrix(adjacency);
  const K = topology.size;
  let errors = 0;
  for (let i = 0; i < n; i++) if (adj[bmu[i] * K + second[i]] === 0) errors++;
  return errors / n;
}

/**
 * Topographic error of a map on data x: fraction of samples whose first and second BMUs are not
 * adjacent. adjacency 'edge' (default; 4 neighbours on a rectangular map, as the DESOM reference)
 * or 'vertex' (8, as MiniSom); 6 on a hexagonal map either way.
 */
export function topographicError(som: SOM, x: Tensor, options: { adjacency?: Adjacency } = {}): number {
  expect2d('topographicError', x, som.dim);
  const { bmu, second } = som.secondBmus(x);
  return topographicErrorOf(som.topology, bmu, second, options.adjacency);
}

export interface UMatrixOptions {
  /** Which cells are neighbours (default 'edge'). */
  adjacency?: Adjacency;
  /** 'mean' (default) or 'sum' (MiniSom's distance_map before its division by the maximum) of the distances. */
  reduce?: 'mean' | 'sum';
}

/** U-matrix: for each cell, the mean (or sum) Euclidean distance from its prototype to those of its adjacent cells (K values, row-major). */
export function uMatrix(som: SOM, options: UMatrixOptions = {}): Float64Array {
  const reduce = options.reduce ?? 'mean';
  if (reduce !== 'mean' && reduce !== 'sum') throw new RangeError(`uMatrix: expected reduce 'mean' or 'sum', got ${JSON.stringify(reduce)}`);
  const K = som.size;
  const d = som.dim;
  const m = som.prototypes.data;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const nb = som.topology.neighbors(k, options.adjacency ?? 'edge');
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

function checkBmus(fn: string, bmu: Int32Array, k: number, n?: number): void {
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
