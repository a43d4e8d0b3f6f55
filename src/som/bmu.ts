/**
 * Best-matching units of many samples at once: squared distances through the backend's GEMM
 * (‖x‖² − 2·X·Mᵀ + ‖m‖², backend().sqDistances) in row chunks, so 70,000×784 samples against 64
 * prototypes never builds the whole n×K matrix nor loops over pairs in JS.
 */
import { argmin2Rows } from '../tensor/nearest-rows.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';

export interface BmuOptions {
  /** Also find the second-best unit (default false). */
  second?: boolean;
  /** Rows per GEMM call (default: about 2^20 distances per chunk). */
  chunkRows?: number;
  /** Also return ‖x − m_bmu‖² (default false: the BMU alone never needs ‖x‖², which saves a pass over x). */
  distances?: boolean;
}

export interface BmuResult {
  /** Best-matching unit of each sample. */
  readonly bmu: Int32Array;
  /** ‖x − m_bmu‖² as the GEMM form computes it (clamped at 0; float32 rounding of large norms); only with `distances: true`. */
  readonly sqDist?: Float32Array;
  /** Second-best unit of each sample (when asked for). */
  readonly second?: Int32Array;
}

/** Default rows per chunk for K prototypes (about 4 MB of float32 distances). */
export function defaultChunkRows(k: number): number {
  return Math.max(1, Math.floor((1 << 20) / Math.max(1, k)));
}

/** BMU (and optionally second BMU) of each row of x (n×d) among the rows of prototypes (K×d); ties go to the lower index. */
export function findBmus(x: Tensor, prototypes: Tensor, options: BmuOptions = {}): BmuResult {
  const fn = 'findBmus';
  expect2d(fn, prototypes);
  const K = prototypes.rows;
  const d = prototypes.cols;
  expect2d(fn, x, d);
  if (K === 0) throw new RangeError(`${fn}: expected at least one prototype, got 0`);
  const second = options.second ?? false;
  if (second && K < 2) throw new RangeError(`${fn}: a second best-matching unit needs at least 2 prototypes, got ${K}`);
  const chunk = options.chunkRows ?? defaultChunkRows(K);
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`${fn}: expected chunkRows to be a positive integer, got ${chunk}`);
  const n = x.rows;
  const bmu = new Int32Array(n);
  const sec = second ? new Int32Array(n) : undefined;
  const be = backend();
  if (options.distances !== true) {
    // No scores wanted: a backend that fuses the product and the argmin never writes them.
    for (let s = 0; s < n; s += chunk) {
      const e = Math.min(n, s + chunk);
      be.nearest(x.data.subarray(s * d, e * d), prototypes.data, e - s, K, d, null, bmu.subarray(s, e), sec === undefined ? null : sec.subarray(s, e));
    }
    return sec === undefined ? { bmu } : { bmu, second: sec };
  }
  const dist = new Float32Array(Math.min(chunk, n) * K);
  const sqDist = new Float32Array(n);
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const rows = e - s;
    be.sqDistances(x.data.subarray(s * d, e * d), prototypes.data, rows, K, d, dist);
    argmin2Rows(dist, rows, K, bmu.subarray(s, e), sec === undefined ? null : sec.subarray(s, e), sqDist.subarray(s, e));
  }
  return sec === undefined ? { bmu, sqDist } : { bmu, sqDist, second: sec };
}
