/**
 * What a trained map says about the data: best-matching units, quantization, quantization and
 * topographic errors, U-matrix, hit map, per-cell labels, purity and members (the last four from
 * plain arrays in cells.ts, which the explorer also runs in the browser).
 */
import { Tensor, expect2d } from '../tensor/tensor.js';
import { findBmus } from './bmu.js';
import type { SOM } from './som.js';
import { checkBmus, uMatrixOf, type UMatrixOptions } from './cells.js';
import type { Adjacency, Topology } from './topology.js';

export { cellLabels, cellMembers, hitMap, uMatrixOf, type CellLabels, type UMatrixOptions } from './cells.js';

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

/** U-matrix: for each cell, the mean (or sum) Euclidean distance from its prototype to those of its adjacent cells (K values, row-major). */
export function uMatrix(som: SOM, options: UMatrixOptions = {}): Float64Array {
  return uMatrixOf(som.topology, som.prototypes.data, som.dim, options);
}
