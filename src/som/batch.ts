/**
 * Kohonen's batch SOM: each epoch e assigns every sample to its BMU with the current prototypes,
 * then sets every prototype at once to the neighbourhood-weighted mean of the data,
 *   m_k = Σᵢ h(δ(bmuᵢ, k), T_e)·xᵢ / Σᵢ h(δ(bmuᵢ, k), T_e),
 * computed from the per-cell sums S (K×d) and counts c, in float64.
 * A cell whose denominator is 0 (bubble/triangle with no sample in reach) keeps its prototype.
 */
import { Tensor, expect2d } from '../tensor/tensor.js';
import { quantizationError } from './analysis.js';
import { findBmus } from './bmu.js';
import { toFloat32FlushDenormal } from './float32.js';
import { decayValue } from './decay.js';
import { neighborhoodMatrix } from './neighborhood.js';
import { checkCount, drive, resolveRadius, wantsQe, type SomEvent, type SomFitResult, type SomRadiusOptions } from './progress.js';
import type { SOM } from './som.js';

export interface BatchSomOptions extends SomRadiusOptions {
  /** Passes over the data, one update each (default 20); T_e follows the decay over them. */
  epochs?: number;
  /** Evaluate the QE every this many epochs and after the last (default 1; 0 = never). */
  qeEvery?: number;
  /** Rows per GEMM call of the BMU search. */
  chunkRows?: number;
  /** Epochs already done (resume; default 0): training continues at epoch startIteration from som.prototypes (the algorithm draws nothing at random). */
  startIteration?: number;
}

export const BATCH_DEFAULTS = Object.freeze({ epochs: 20, qeEvery: 1 });

/** Trains `som` in place with the batch algorithm, yielding one epoch event per update. */
export function* batchSteps(som: SOM, x: Tensor, options: BatchSomOptions = {}): Generator<SomEvent, void, undefined> {
  const fn = 'batchSteps';
  expect2d(fn, x, som.dim);
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  checkCount(fn, 'epochs', options.epochs);
  checkCount(fn, 'qeEvery', options.qeEvery);
  checkCount(fn, 'startIteration', options.startIteration);
  const { neighborhood, T: Ts } = resolveRadius(fn, options);
  const epochs = options.epochs ?? BATCH_DEFAULTS.epochs;
  const start = options.startIteration ?? 0;
  if (start > epochs) throw new RangeError(`${fn}: expected startIteration ≤ ${epochs} (the number of epochs), got ${start}`);
  const qeEvery = options.qeEvery ?? BATCH_DEFAULTS.qeEvery;
  const K = som.size;
  const d = som.dim;
  const n = x.rows;
  const m = som.prototypes.data;
  const sums = new Float64Array(K * d);
  const counts = new Float64Array(K);
  const H = new Float64Array(K * K);
  const num = new Float64Array(d);
  const hit: number[] = [];
  for (let e = start; e < epochs; e++) {
    const t0 = performance.now();
    const T = decayValue(Ts, e, epochs);
    const { bmu } = findBmus(x, som.prototypes, { chunkRows: options.chunkRows });
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const b = bmu[i];
      counts[b]++;
      const o = i * d;
      const p = b * d;
      for (let q = 0; q < d; q++) sums[p + q] += x.data[o + q];
    }
    hit.length = 0;
    for (let j = 0; j < K; j++) if (counts[j] > 0) hit.push(j);
    neighborhoodMatrix(som.topology, neighborhood, T, H);
    // m_k = Σⱼ H[j,k]·S_j / Σⱼ H[j,k]·c_j over the cells j that won samples. In float64, not through
    // float32 GEMM: at small T a cell without hits is placed by weights like e^−100, which float32
    // cannot hold; and this K·K·d step costs little next to the BMU search.
    for (let k = 0; k < K; k++) {
      let den = 0;
      num.fill(0);
      for (const j of hit) {
        const w = H[j * K + k];
        if (w === 0) continue;
        den += w * counts[j];
        const o = j * d;
        for (let q = 0; q < d; q++) num[q] += w * sums[o + q];
      }
      if (den === 0) continue;
      for (let q = 0; q < d; q++) m[k * d + q] = toFloat32FlushDenormal(num[q] / den);
    }
    const qe = wantsQe(qeEvery, e, e === epochs - 1) ? quantizationError(som, x) : undefined;
    yield { type: 'epoch', algorithm: 'batch', epoch: e, iteration: e + 1, totalIterations: epochs, T, lr: null, qe, ms: performance.now() - t0 };
  }
}

/** Trains `som` in place with the batch algorithm; returns the epoch events and the final QE. */
export function fitBatch(som: SOM, x: Tensor, options: BatchSomOptions = {}, onEvent?: (e: SomEvent) => void): SomFitResult {
  return drive(som, x, batchSteps(som, x, options), onEvent);
}
