/**
 * UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) to 2-D, written for tens of thousands of
 * rows: a 70,000-row map in well under a minute where umap-js (projection.ts) takes minutes (see
 * bench/cases/umap-70k.ts). Same seed + same backend → the same bytes. The steps are the reference
 * implementation's (umap-learn), with these choices:
 *
 * - Neighbours: EXACT k nearest neighbours (Euclidean), not nearest-neighbour descent: brute force
 *   through the backend's GEMM in 1,024 × 4,096 tiles (memory bounded whatever n is), each row
 *   keeping its k smallest; see knnExact. As in umap-learn, each row's list includes the row itself
 *   (distance 0) as its first entry, so nNeighbors = 15 means 14 others.
 * - Fuzzy simplicial set: smooth kNN distances (ρᵢ = distance to the nearest other row, σᵢ by
 *   binary search so that Σⱼ exp(−(dᵢⱼ − ρᵢ)/σᵢ) = log₂ k, local connectivity 1, bandwidth 1),
 *   then the fuzzy union P + Pᵀ − P∘Pᵀ (set-operation mix ratio 1).
 * - Curve: a, b of 1/(1 + a·d^{2b}) fitted once by least squares (Levenberg–Marquardt) to the offset
 *   exponential of minDist and spread on 300 points of [0, 3·spread], as umap-learn's find_ab_params.
 * - Init: seeded uniform random coordinates in [−10, 10]² — umap-js's init (umap-learn's default is
 *   spectral). On 10-d MNIST codes it gives the same trustworthiness and 15-NN preservation as
 *   umap-js (bench/cases/umap-70k.ts reports both).
 * - Layout: the standard SGD epochs over Float32Array coordinates, in umap-learn's order: each edge
 *   sampled every w_max / w epochs, `negativeSampleRate` negative samples per positive one (drawn
 *   with a seeded xorshift128), gradient components clipped at ±4, learning rate decaying linearly
 *   to 0; edges weaker than w_max / nEpochs are dropped. The two gradient coefficients are read
 *   from per-fit tables (relative error < 2·10⁻⁵) instead of two Math.pow calls per sample. The
 *   default epoch count is umap-js's (500 for n ≤ 2,500, 400 ≤ 5,000, 300 ≤ 7,500, else 200), so
 *   a default run does the same optimisation work as projection.ts's umap2d.
 *
 * Single-threaded apart from the GEMM: the SGD is sequential, which keeps the output reproducible.
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import type { UmapEpochState } from '../tensor/backend.js';
import type { Tensor } from '../tensor/tensor.js';

/** UMAP settings. */
export interface UmapOptions {
  /** Seeded random source: initial coordinates and negative sampling. */
  rng: Rng;
  /** Neighbourhood size, the row itself included (default 15; an integer from 2 to n − 1). */
  nNeighbors?: number;
  /** Minimum distance between embedded points (default 0.1; from 0 to spread). */
  minDist?: number;
  /** Scale of the embedded clusters (default 1). */
  spread?: number;
  /** Layout epochs (default: 500 for n ≤ 2,500, 400 ≤ 5,000, 300 ≤ 7,500, else 200, as umap-js). */
  nEpochs?: number;
  /** Initial SGD learning rate (default 1). */
  learningRate?: number;
  /** Negative samples per positive sample (default 5). */
  negativeSampleRate?: number;
  /** Called after each layout epoch (1-based) of nEpochs. */
  onEpoch?: (epoch: number, nEpochs: number) => void;
}

/** The k nearest neighbours of every row: n×k row-major, nearest first, each row itself first. */
export interface KnnResult {
  readonly n: number;
  readonly k: number;
  readonly indices: Int32Array;
  /** Euclidean distances (not squared), ascending within a row; the first of each row is 0. */
  readonly distances: Float32Array;
}

/** The symmetric fuzzy graph as directed entries (both (i, j) and (j, i)), grouped by head row. */
export interface FuzzyGraph {
  readonly n: number;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly weight: Float64Array;
}

const FN = 'umap';

/** Query rows per tile. */
const TILE_ROWS = 1024;
/** Candidate rows per tile: a 1024 × 4096 tile of scores is 16 MB, whatever n is. */
const TILE_COLS = 4096;

function checkMatrix(fn: string, x: Tensor): { n: number; d: number } {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- reached with x no Tensor (a JS caller's value of any type); String() shows what was passed
  if (!x || x.rank !== 2) throw new RangeError(`${fn}: expected a 2-D (n × features) tensor, got shape [${x?.shape?.join(', ') ?? String(x)}]`);
  const [n, d] = x.shape;
  if (d < 1) throw new RangeError(`${fn}: expected at least 1 feature, got ${d}`);
  const data = x.data;
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(data[i])) throw new RangeError(`${fn}: expected finite values, got ${data[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
  }
  return { n, d };
}

function checkNeighbors(fn: string, k: number, n: number): void {
  if (n < 3) throw new RangeError(`${fn}: expected at least 3 rows, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k >= n) {
    throw new RangeError(`${fn}: expected nNeighbors to be an integer from 2 to ${n - 1} (fewer than the ${n} rows), got ${k}`);
  }
}

/** Inserts value v (candidate idx) into the ascending list bestD/bestI[o, o + k), dropping its last entry. */
function insertSorted(v: number, idx: number, o: number, k: number, bestD: Float64Array, bestI: Int32Array): void {
  let p = o + k - 1;
  while (p > o && bestD[p - 1] > v) {
    bestD[p] = bestD[p - 1];
    bestI[p] = bestI[p - 1];
    p--;
  }
  bestD[p] = v;
  bestI[p] = idx;
}

/**
 * Merges one tile of scores (m rows × cols; column c is candidate colBase + c) into each row's
 * running k smallest (bestD/bestI, m×k, ascending; +∞ / −1 while empty). After the first tile
 * almost every entry is at or above the row's k-th value, so the scan tests 8 entries at a time
 * (about 2.5× faster in V8 than one at a time) and only looks closer when one of them is below it.
 */
function mergeSmallest(s: Float32Array, m: number, cols: number, colBase: number, k: number, bestD: Float64Array, bestI: Int32Array): void {
  for (let r = 0; r < m; r++) {
    const o = r * k;
    const so = r * cols;
    let thr = bestD[o + k - 1];
    let c = 0;
    for (; c + 8 <= cols; c += 8) {
      const b = so + c;
      if (s[b] < thr || s[b + 1] < thr || s[b + 2] < thr || s[b + 3] < thr || s[b + 4] < thr || s[b + 5] < thr || s[b + 6] < thr || s[b + 7] < thr) {
        for (let t = 0; t < 8; t++) {
          const v = s[b + t];
          if (v < thr) {
            insertSorted(v, colBase + c + t, o, k, bestD, bestI);
            thr = bestD[o + k - 1];
          }
        }
      }
    }
    for (; c < cols; c++) {
      const v = s[so + c];
      if (v < thr) {
        insertSorted(v, colBase + c, o, k, bestD, bestI);
        thr = bestD[o + k - 1];
      }
    }
  }
}

/**
 * Exact k nearest neighbours (Euclidean) of the rows of x among themselves, the row itself
 * included as its own first neighbour (umap-learn's convention).
 *
 * Brute force through the backend's GEMM, tile by tile (1,024 query rows × 4,096 candidates, so
 * memory stays at a 16 MB score buffer however large n is): over mean-centred data, one product of
 * the augmented rows [xᵢ, 1] and [−2xⱼ, ‖xⱼ‖²] gives ‖xᵢ − xⱼ‖² − ‖xᵢ‖² — the squared distance up
 * to a per-row constant, i.e. what `sqDistances`/`nearest` compute, without their single-threaded
 * pass adding the norms — and each query row keeps its k smallest. The winners' distances are then
 * recomputed in float64 and sorted (ties → lower index).
 */
export function knnExact(x: Tensor, k: number): KnnResult {
  const fn = 'knnExact';
  const { n, d } = checkMatrix(fn, x);
  checkNeighbors(fn, k, n);
  const src = x.data;
  // Centred data: smaller norms, so less cancellation in ‖a‖² + ‖b‖² − 2a·b.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) mean[q] += src[i * d + q];
  for (let q = 0; q < d; q++) mean[q] /= n;
  const da = d + 1;
  const A = new Float32Array(n * da);
  const M = new Float32Array(n * da);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let q = 0; q < d; q++) {
      const v = src[i * d + q] - mean[q];
      A[i * da + q] = v;
      M[i * da + q] = -2 * v;
      s += v * v;
    }
    A[i * da + d] = 1;
    M[i * da + d] = s;
  }
  const rows = Math.min(TILE_ROWS, n);
  const cols = Math.min(TILE_COLS, n);
  const scores = new Float32Array(rows * cols);
  const bestD = new Float64Array(rows * k);
  const bestI = new Int32Array(rows * k);
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const be = backend();
  for (let r0 = 0; r0 < n; r0 += rows) {
    const m = Math.min(rows, n - r0);
    bestD.fill(Infinity);
    bestI.fill(-1);
    const a = A.subarray(r0 * da, (r0 + m) * da);
    for (let c0 = 0; c0 < n; c0 += cols) {
      const w = Math.min(cols, n - c0);
      be.gemm(false, true, m, w, da, 1, a, M.subarray(c0 * da, (c0 + w) * da), 0, scores);
      // The row itself first, whatever the rounding of its own score.
      for (let r = 0; r < m; r++) {
        const self = r0 + r - c0;
        if (self >= 0 && self < w) scores[r * w + self] = -Infinity;
      }
      mergeSmallest(scores, m, w, c0, k, bestD, bestI);
    }
    // Exact distances of the winners (float64 from the input), sorted by (distance, index) after the row itself.
    for (let r = 0; r < m; r++) {
      const i = r0 + r;
      const o = i * k;
      for (let s = 0; s < k; s++) {
        const j = bestI[r * k + s];
        let acc = 0;
        for (let q = 0; q < d; q++) {
          const t = src[i * d + q] - src[j * d + q];
          acc += t * t;
        }
        const dist = j === i ? 0 : Math.sqrt(acc);
        let p = s;
        while (p > 1 && (distances[o + p - 1] > dist || (distances[o + p - 1] === dist && indices[o + p - 1] > j))) {
          distances[o + p] = distances[o + p - 1];
          indices[o + p] = indices[o + p - 1];
          p--;
        }
        distances[o + p] = dist;
        indices[o + p] = j;
      }
    }
  }
  return { n, k, indices, distances };
}

/**
 * Smooth kNN distances (umap-learn's smooth_knn_dist with local connectivity 1, bandwidth 1):
 * ρᵢ = the smallest nonzero distance of row i, σᵢ by 64 bisection steps so that
 * Σⱼ≥1 exp(−max(0, dᵢⱼ − ρᵢ)/σᵢ) = log₂ k, floored at 10⁻³ × the row's (or all rows') mean distance.
 */
export function smoothKnnDistances(knn: KnnResult): { sigma: Float64Array; rho: Float64Array } {
  const { n, k, distances } = knn;
  const target = Math.log2(k);
  const sigma = new Float64Array(n);
  const rho = new Float64Array(n);
  let meanAll = 0;
  for (let i = 0; i < n * k; i++) meanAll += distances[i];
  meanAll /= n * k;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let r = 0;
    let rowMean = 0;
    for (let s = 0; s < k; s++) {
      const v = distances[o + s];
      rowMean += v;
      if (r === 0 && v > 0) r = v;
    }
    rowMean /= k;
    rho[i] = r;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let s = 1; s < k; s++) {
        const t = distances[o + s] - r;
        psum += t > 0 ? Math.exp(-t / mid) : 1;
      }
      if (Math.abs(psum - target) < 1e-5) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const floor = 1e-3 * (r > 0 ? rowMean : meanAll);
    sigma[i] = mid < floor ? floor : mid;
  }
  return { sigma, rho };
}

/**
 * The fuzzy simplicial set of the kNN graph: memberships exp(−(dᵢⱼ − ρᵢ)/σᵢ) (1 within ρᵢ, 0 for the
 * row itself), symmetrised by the fuzzy union wᵢⱼ + wⱼᵢ − wᵢⱼ·wⱼᵢ. Returns both directions of each
 * edge, grouped by head row in row order.
 */
export function fuzzySimplicialSet(knn: KnnResult): FuzzyGraph {
  const { n, k, indices, distances } = knn;
  const { sigma, rho } = smoothKnnDistances(knn);
  const w = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const p = i * k + s;
      if (indices[p] === i) continue;
      const t = distances[p] - rho[i];
      w[p] = t <= 0 ? 1 : Math.exp(-t / sigma[i]);
    }
  }
  // Undirected edges, each once: at the smaller row when both directions exist.
  const ei: number[] = [];
  const ej: number[] = [];
  const ew: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const p = i * k + s;
      const wij = w[p];
      if (wij <= 0) continue;
      const j = indices[p];
      let wji = 0;
      for (let t = 0; t < k; t++) {
        if (indices[j * k + t] === i) {
          wji = w[j * k + t];
          break;
        }
      }
      if (wji > 0 && j < i) continue;
      ei.push(i);
      ej.push(j);
      ew.push(wij + wji - wij * wji);
    }
  }
  const m = ei.length;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    start[ei[e] + 1]++;
    start[ej[e] + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const head = new Int32Array(2 * m);
  const tail = new Int32Array(2 * m);
  const weight = new Float64Array(2 * m);
  for (let e = 0; e < m; e++) {
    const a = ei[e];
    const b = ej[e];
    let p = fill[a]++;
    head[p] = a;
    tail[p] = b;
    weight[p] = ew[e];
    p = fill[b]++;
    head[p] = b;
    tail[p] = a;
    weight[p] = ew[e];
  }
  return { n, head, tail, weight };
}

/**
 * a, b of the embedding-space membership 1/(1 + a·d^{2b}) fitted by least squares
 * (Levenberg–Marquardt, float64) to 1 for d < minDist and exp(−(d − minDist)/spread) beyond, on 300
 * evenly spaced d in [0, 3·spread] — umap-learn's find_ab_params. For spread 1, minDist 0.1 this
 * gives a ≈ 1.5769, b ≈ 0.8951.
 */
export function umapCurve(spread: number, minDist: number): { a: number; b: number } {
  const fn = 'umapCurve';
  if (!(spread > 0) || !Number.isFinite(spread)) throw new RangeError(`${fn}: expected spread to be a positive number, got ${spread}`);
  if (!(minDist >= 0) || !(minDist <= spread)) throw new RangeError(`${fn}: expected minDist from 0 to spread (${spread}), got ${minDist}`);
  const N = 300;
  const xs = new Float64Array(N);
  const ys = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    xs[i] = (3 * spread * i) / (N - 1);
    ys[i] = xs[i] < minDist ? 1 : Math.exp(-(xs[i] - minDist) / spread);
  }
  const sse = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      const r = 1 / (1 + a * Math.pow(xs[i], 2 * b)) - ys[i];
      s += r * r;
    }
    return s;
  };
  let a = 1;
  let b = 1;
  let cost = sse(a, b);
  let lambda = 1e-3;
  for (let it = 0; it < 500; it++) {
    // Normal equations JᵀJ δ = −Jᵀr with J = ∂f/∂(a, b).
    let jaa = 0;
    let jab = 0;
    let jbb = 0;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < N; i++) {
      const x = xs[i];
      if (x === 0) continue; // f(0) = 1 for any a, b: no gradient
      const p = Math.pow(x, 2 * b);
      const den = 1 + a * p;
      const f = 1 / den;
      const r = f - ys[i];
      const dfa = -p / (den * den);
      const dfb = (-a * p * 2 * Math.log(x)) / (den * den);
      jaa += dfa * dfa;
      jab += dfa * dfb;
      jbb += dfb * dfb;
      ga += dfa * r;
      gb += dfb * r;
    }
    let improved = false;
    for (let tries = 0; tries < 30; tries++) {
      const haa = jaa * (1 + lambda);
      const hbb = jbb * (1 + lambda);
      const det = haa * hbb - jab * jab;
      const da = (-ga * hbb + gb * jab) / det;
      const db = (-gb * haa + ga * jab) / det;
      const na = a + da;
      const nb = b + db;
      const c = na > 0 ? sse(na, nb) : Infinity;
      if (c < cost) {
        const small = Math.abs(da) < 1e-12 * (1 + Math.abs(a)) && Math.abs(db) < 1e-12 * (1 + Math.abs(b));
        a = na;
        b = nb;
        cost = c;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = !small;
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}

/** umap-js's default epoch count for n rows (projection.ts's umap2d uses the same). */
export function defaultUmapEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** Edge list for the layout: edges weaker than w_max / nEpochs dropped; the sampling period w_max / w. */
export function layoutEdges(g: FuzzyGraph, nEpochs: number): { head: Int32Array; tail: Int32Array; period: Float64Array } {
  let wMax = 0;
  for (let e = 0; e < g.weight.length; e++) if (g.weight[e] > wMax) wMax = g.weight[e];
  const cut = wMax / nEpochs;
  let m = 0;
  for (let e = 0; e < g.weight.length; e++) if (g.weight[e] >= cut && g.weight[e] > 0) m++;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  const period = new Float64Array(m);
  let p = 0;
  for (let e = 0; e < g.weight.length; e++) {
    const v = g.weight[e];
    if (v >= cut && v > 0) {
      head[p] = g.head[e];
      tail[p] = g.tail[e];
      period[p] = wMax / v;
      p++;
    }
  }
  return { head, tail, period };
}

/**
 * The SGD's two gradient coefficients as functions of the squared embedded distance x = d²:
 * attraction −2ab·x^{b−1}/(1 + a·x^b) and repulsion 2b/((0.001 + x)(1 + a·x^b)) (umap-learn's).
 * Math.pow costs about 50 ns in V8 and sits on the SGD's serial dependency chain, so both are
 * tabulated once per fit at 2^TAB_BITS points per octave of x (indexed by the float32 bits of x)
 * and interpolated linearly: relative error below 2·10⁻⁵ (checked in the tests); outside
 * [2^TAB_LO, 2^TAB_HI) they are computed exactly.
 */
const TAB_BITS = 8;
const TAB_LO = -24;
const TAB_HI = 16;
const TAB_SIZE = (TAB_HI - TAB_LO) << TAB_BITS;
const TAB_SHIFT = 23 - TAB_BITS;
const TAB_BASE = (TAB_LO + 127) << TAB_BITS;
const TAB_MASK = (1 << TAB_SHIFT) - 1;
const TAB_FRAC = 1 / (1 << TAB_SHIFT);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Exact attraction coefficient at squared distance x > 0. */
export function attractionCoefficient(x: number, a: number, b: number): number {
  return (-2 * a * b * Math.pow(x, b - 1)) / (1 + a * Math.pow(x, b));
}

/** Exact repulsion coefficient at squared distance x > 0. */
export function repulsionCoefficient(x: number, a: number, b: number): number {
  return (2 * b) / ((0.001 + x) * (1 + a * Math.pow(x, b)));
}

function coefficientTable(f: (x: number) => number): Float64Array {
  const t = new Float64Array(TAB_SIZE + 1);
  for (let i = 0; i <= TAB_SIZE; i++) t[i] = f(Math.pow(2, TAB_LO + (i >> TAB_BITS)) * (1 + (i & ((1 << TAB_BITS) - 1)) / (1 << TAB_BITS)));
  return t;
}

/** Interpolated coefficient from a table (exact outside its range); x > 0. */
export function tabulatedCoefficient(table: Float64Array, x: number, exact: (x: number) => number): number {
  F32[0] = x;
  const bits = U32[0];
  const idx = (bits >>> TAB_SHIFT) - TAB_BASE;
  if (idx < 0 || idx >= TAB_SIZE) return exact(x);
  const t0 = table[idx];
  return t0 + (table[idx + 1] - t0) * ((bits & TAB_MASK) * TAB_FRAC);
}

/** Both coefficient tables for a curve (a, b). */
export function coefficientTables(a: number, b: number): { attraction: Float64Array; repulsion: Float64Array } {
  return {
    attraction: coefficientTable((x) => attractionCoefficient(x, a, b)),
    repulsion: coefficientTable((x) => repulsionCoefficient(x, a, b)),
  };
}

type LayoutState = UmapEpochState;

/**
 * One layout epoch (0-based `epoch`) at learning rate alpha, as umap-learn's
 * optimize_layout_euclidean (move_other, gamma 1): every edge due this epoch pulls its two ends
 * together, then pushes its head away from the negative samples that fell due, each gradient
 * component clipped at ±4. The coefficients come from the tables (inlined lookups).
 */
export function layoutEpoch(st: LayoutState, epoch: number, alpha: number): void {
  const { y, n, head, tail, period, negPeriod, nextSample, nextNeg, a, b, attraction, repulsion, seed } = st;
  const m = head.length;
  const f32 = F32;
  const u32 = U32;
  let s0 = seed[0];
  let s1 = seed[1];
  let s2 = seed[2];
  let s3 = seed[3];
  for (let e = 0; e < m; e++) {
    if (nextSample[e] > epoch) continue;
    const j = head[e];
    const k = tail[e];
    let cx = y[2 * j];
    let cy = y[2 * j + 1];
    let dx = cx - y[2 * k];
    let dy = cy - y[2 * k + 1];
    let d2 = dx * dx + dy * dy;
    if (d2 > 0) {
      f32[0] = d2;
      const bits = u32[0];
      const idx = (bits >>> TAB_SHIFT) - TAB_BASE;
      let coeff: number;
      if (idx >= 0 && idx < TAB_SIZE) {
        const t0 = attraction[idx];
        coeff = t0 + (attraction[idx + 1] - t0) * ((bits & TAB_MASK) * TAB_FRAC);
      } else coeff = attractionCoefficient(d2, a, b);
      let gx = coeff * dx;
      let gy = coeff * dy;
      gx = (gx > 4 ? 4 : gx < -4 ? -4 : gx) * alpha;
      gy = (gy > 4 ? 4 : gy < -4 ? -4 : gy) * alpha;
      cx += gx;
      cy += gy;
      y[2 * k] -= gx;
      y[2 * k + 1] -= gy;
    }
    nextSample[e] += period[e];
    const nNeg = Math.floor((epoch - nextNeg[e]) / negPeriod[e]);
    for (let q = 0; q < nNeg; q++) {
      // xorshift128 (Marsaglia 2003) for the negative sample's index
      const t = s0 ^ (s0 << 11);
      s0 = s1;
      s1 = s2;
      s2 = s3;
      s3 = s3 ^ (s3 >>> 19) ^ (t ^ (t >>> 8));
      const r = Math.floor((s3 >>> 0) * 2.3283064365386963e-10 * n);
      if (r === j) continue;
      dx = cx - y[2 * r];
      dy = cy - y[2 * r + 1];
      d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        f32[0] = d2;
        const bits = u32[0];
        const idx = (bits >>> TAB_SHIFT) - TAB_BASE;
        let coeff: number;
        if (idx >= 0 && idx < TAB_SIZE) {
          const t0 = repulsion[idx];
          coeff = t0 + (repulsion[idx + 1] - t0) * ((bits & TAB_MASK) * TAB_FRAC);
        } else coeff = repulsionCoefficient(d2, a, b);
        const gx = coeff * dx;
        const gy = coeff * dy;
        cx += (gx > 4 ? 4 : gx < -4 ? -4 : gx) * alpha;
        cy += (gy > 4 ? 4 : gy < -4 ? -4 : gy) * alpha;
      }
    }
    nextNeg[e] += nNeg * negPeriod[e];
    y[2 * j] = cx;
    y[2 * j + 1] = cy;
  }
  seed[0] = s0;
  seed[1] = s1;
  seed[2] = s2;
  seed[3] = s3;
}

function checkOptions(o: UmapOptions, n: number): Required<Omit<UmapOptions, 'onEpoch'>> {
  if (!o || !o.rng || typeof o.rng.uniform !== 'function') throw new TypeError(`${FN}: expected options with a seeded rng (new Rng(seed))`);
  const nNeighbors = o.nNeighbors ?? 15;
  const minDist = o.minDist ?? 0.1;
  const spread = o.spread ?? 1;
  const learningRate = o.learningRate ?? 1;
  const negativeSampleRate = o.negativeSampleRate ?? 5;
  checkNeighbors(FN, nNeighbors, n);
  if (!(spread > 0) || !Number.isFinite(spread)) throw new RangeError(`${FN}: expected spread to be a positive number, got ${spread}`);
  if (!(minDist >= 0) || !(minDist <= spread)) throw new RangeError(`${FN}: expected minDist from 0 to spread (${spread}), got ${minDist}`);
  if (o.nEpochs !== undefined && (!Number.isInteger(o.nEpochs) || o.nEpochs < 1)) {
    throw new RangeError(`${FN}: expected nEpochs to be a positive integer, got ${o.nEpochs}`);
  }
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${FN}: expected learningRate to be a positive number, got ${learningRate}`);
  if (!(negativeSampleRate >= 0) || !Number.isFinite(negativeSampleRate)) {
    throw new RangeError(`${FN}: expected negativeSampleRate to be a non-negative number, got ${negativeSampleRate}`);
  }
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw new TypeError(`${FN}: expected onEpoch to be a function`);
  return { rng: o.rng, nNeighbors, minDist, spread, nEpochs: o.nEpochs ?? defaultUmapEpochs(n), learningRate, negativeSampleRate };
}

/**
 * UMAP of the rows of x to 2-D: an n×2 row-major Float32Array. Same rng seed and backend → the same
 * bytes. See the module comment for the method (exact kNN through GEMM, random init, standard SGD).
 */
export function umap(x: Tensor, options: UmapOptions): Float32Array {
  const { n } = checkMatrix(FN, x);
  const o = checkOptions(options, n);
  const knn = knnExact(x, o.nNeighbors);
  const graph = fuzzySimplicialSet(knn);
  const { a, b } = umapCurve(o.spread, o.minDist);
  const { head, tail, period } = layoutEdges(graph, o.nEpochs);
  const rng = o.rng;
  const y = new Float32Array(n * 2);
  for (let i = 0; i < 2 * n; i++) y[i] = rng.uniform(-10, 10);
  const m = head.length;
  const negPeriod = new Float64Array(m);
  for (let e = 0; e < m; e++) negPeriod[e] = o.negativeSampleRate > 0 ? period[e] / o.negativeSampleRate : Infinity;
  const seed = new Int32Array(4);
  for (let i = 0; i < 4; i++) seed[i] = rng.nextU32() | 0;
  if ((seed[0] | seed[1] | seed[2] | seed[3]) === 0) seed[0] = 1;
  const { attraction, repulsion } = coefficientTables(a, b);
  const st: LayoutState = { y, n, head, tail, period, negPeriod, nextSample: period.slice(), nextNeg: negPeriod.slice(), a, b, attraction, repulsion, seed };
  // The native backend runs the same epoch in C++ (native/umap.cc: the same bytes, ~3× faster).
  const be = backend();
  const epochOf = be.umapLayoutEpoch === undefined ? layoutEpoch : be.umapLayoutEpoch.bind(be);
  for (let epoch = 0; epoch < o.nEpochs; epoch++) {
    epochOf(st, epoch, o.learningRate * (1 - epoch / o.nEpochs));
    options.onEpoch?.(epoch + 1, o.nEpochs);
  }
  return y;
}
