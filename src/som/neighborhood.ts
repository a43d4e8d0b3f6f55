/**
 * Neighbourhood functions h(δ, T): how strongly a cell at map distance δ from the best-matching
 * unit is pulled, at radius / temperature T.
 *
 * - gaussian     exp(−δ²/T²)                 seed 000's K_T (no ½: MiniSom's exp(−δ²/2σ²) is T = σ√2)
 * - bubble       1 if δ ≤ T, else 0          the DESOM reference's "window" option
 * - mexican_hat  (1 − 2δ²/T²)·exp(−δ²/T²)    MiniSom's mexican_hat with T = σ√2 (negative lobe)
 * - triangle     max(0, 1 − δ/T)             peak 1, zero from δ = T on
 */
import type { Topology } from './topology.js';

export type NeighborhoodKind = 'gaussian' | 'bubble' | 'mexican_hat' | 'triangle';
export const NEIGHBORHOOD_KINDS: readonly NeighborhoodKind[] = ['gaussian', 'bubble', 'mexican_hat', 'triangle'];

/** The function h(δ, T) for a named neighbourhood. */
export function neighborhoodFunction(kind: NeighborhoodKind): (d: number, T: number) => number {
  switch (kind) {
    case 'gaussian':
      return (d, T) => Math.exp(-(d * d) / (T * T));
    case 'bubble':
      return (d, T) => (d <= T ? 1 : 0);
    case 'mexican_hat':
      return (d, T) => {
        const u = (d * d) / (T * T);
        return (1 - 2 * u) * Math.exp(-u);
      };
    case 'triangle':
      return (d, T) => Math.max(0, 1 - d / T);
    default:
      throw new RangeError(`neighborhood: expected one of ${NEIGHBORHOOD_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(kind)}`);
  }
}

/**
 * Weights with |h| below this are used as 0 by the trainers and `neighborhoodWeights`. At the end
 * of training (T ≈ 0.1) the Gaussian gives e^−100 ≈ 4e-44 at δ = 1: a float32 denormal, which sends
 * every GEMM it enters down the CPU's slow path, for a change of under 1e-30·‖x − m‖.
 */
export const NEGLIGIBLE_WEIGHT = 1e-30;

/** v, or 0 when |v| < NEGLIGIBLE_WEIGHT. */
export function flushNegligible(v: number): number {
  return Math.abs(v) < NEGLIGIBLE_WEIGHT ? 0 : v;
}

/** Throws unless T is a finite positive radius. */
export function checkRadius(fn: string, T: number): void {
  if (!(Number.isFinite(T) && T > 0)) throw new RangeError(`${fn}: expected a finite radius/temperature T > 0, got ${T}`);
}

/** h(δ, T) for one distance. */
export function neighborhood(kind: NeighborhoodKind, d: number, T: number): number {
  checkRadius('neighborhood', T);
  return neighborhoodFunction(kind)(d, T);
}

/** H (K×K): H[j·K + k] = h(δ(j, k), T), in float64. */
export function neighborhoodMatrix(topology: Topology, kind: NeighborhoodKind, T: number, out?: Float64Array): Float64Array {
  checkRadius('neighborhoodMatrix', T);
  const h = neighborhoodFunction(kind);
  const dist = topology.distances;
  const o = out ?? new Float64Array(dist.length);
  if (o.length !== dist.length) throw new RangeError(`neighborhoodMatrix: expected an output of ${dist.length} values, got ${o.length}`);
  for (let i = 0; i < dist.length; i++) o[i] = h(dist[i], T);
  return o;
}

/**
 * The DESOM assignment weights w (n×K): wᵢₖ = h(δ(bmuᵢ, k), T), held constant during one
 * gradient step (seed 000's w_{i,k} = K_T(δ(χ(zᵢ), k))). Each distinct BMU's row is computed once;
 * weights below NEGLIGIBLE_WEIGHT are stored as 0.
 */
export function neighborhoodWeights(topology: Topology, bmus: Int32Array, kind: NeighborhoodKind, T: number, out?: Float32Array): Float32Array {
  const fn = 'neighborhoodWeights';
  checkRadius(fn, T);
  const K = topology.size;
  const n = bmus.length;
  const w = out ?? new Float32Array(n * K);
  if (w.length < n * K) throw new RangeError(`${fn}: expected an output of at least ${n * K} values (${n} BMUs × ${K} cells), got ${w.length}`);
  const h = neighborhoodFunction(kind);
  const dist = topology.distances;
  const rows = new Float32Array(K * K);
  const done = new Uint8Array(K);
  for (let i = 0; i < n; i++) {
    const b = bmus[i];
    if (!(b >= 0 && b < K)) throw new RangeError(`${fn}: expected BMU indices in [0, ${K}), got ${b} at row ${i}`);
    if (done[b] === 0) {
      for (let k = 0; k < K; k++) rows[b * K + k] = flushNegligible(h(dist[b * K + k], T));
      done[b] = 1;
    }
    w.set(rows.subarray(b * K, (b + 1) * K), i * K);
  }
  return w;
}
