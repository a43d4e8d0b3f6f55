/**
 * UMAP transform: places new points into an existing 2-D UMAP embedding without moving the fitted
 * points — the method of umap-learn's `UMAP.transform` (McInnes, Healy & Melville 2018,
 * arXiv:1802.03426; umap-learn 0.5), written over plain Float32Arrays so that it runs in a browser
 * (no backend, no `node:` imports): the explorer's draw panel places a drawn digit in each layer's
 * UMAP scatter as it is drawn.
 *
 * Steps, as umap-learn's transform (the differences are listed after):
 * 1. Each new point's `nNeighbors` nearest fitted rows (exact, Euclidean, brute force).
 * 2. Membership strengths with umap-learn's transform-time local connectivity
 *    max(0, localConnectivity − 1) = 0, so ρ = 0 (not the nearest-neighbour distance that the fit
 *    uses): wⱼ = exp(−dⱼ/σ), σ by the fit's bisection (Σⱼ≥₁ exp(−dⱼ/σ) = log₂ k, the nearest
 *    neighbour left out of the sum exactly as umap-learn's smooth_knn_dist does), σ floored at
 *    10⁻³ × the mean of all the batch's neighbour distances (its ρ = 0 branch). Weights are float32.
 * 3. Initial position: a point with a weight-1 neighbour (distance 0: a copy of a fitted row) takes
 *    that row's position (the lowest such row index); otherwise the weight-normalised mean of its
 *    neighbours' positions (umap-learn's init_graph_transform).
 * 4. SGD with the fitted embedding fixed (optimize_layout_euclidean with move_other = False): edges
 *    lighter than w_max / nEpochs dropped (w_max over the whole batch, as umap-learn), each sampled
 *    every w_max / w epochs, pulling the new point towards its neighbour; `negativeSampleRate`
 *    repulsions per sample from uniformly drawn fitted rows; gradient components clipped at ±4;
 *    learning rate a quarter of the fit's, decaying linearly (umap-learn's schedule: epoch n ≥ 1
 *    runs at α₀(1 − (n − 1)/nEpochs); epoch 0 samples nothing).
 *
 * Differences: neighbours are exact (umap-learn queries its NN-descent index above 4,096 fitted
 * rows); negative samples come from one `Rng.fork()` per new point (umap-learn also keeps one
 * random state per new point, seeded differently), so a point's draws do not depend on the others.
 */
import type { Rng } from '../random.js';
import { attractionCoefficient, repulsionCoefficient, umapCurve } from './umap.js';

/** Settings of a transform; leave the curve and neighbourhood at the fit's values. */
export interface UmapTransformOptions {
  /** Seeded random source of the negative samples (same seed → the same bytes). */
  rng: Rng;
  /** Neighbourhood size, as in the fit (default 15; an integer from 2 to the fitted rows). */
  nNeighbors?: number;
  /**
   * SGD epochs of the transform itself (default umap-learn's: 100 when at most 10,000 points are
   * transformed at once, else 30). umap-learn uses ⌊fit epochs / 3⌋ when the fit's epoch count was
   * set explicitly; pass that here to match. 0 returns the initial weighted-mean positions.
   */
  epochs?: number;
  /** Negative samples per positive sample (default 5). */
  negativeSampleRate?: number;
  /** The fit's learning rate (default 1); the transform starts at a quarter of it. */
  learningRate?: number;
  /** The fit's minimum distance (default 0.1); sets the curve a, b unless both are given. */
  minDist?: number;
  /** The fit's spread (default 1). */
  spread?: number;
  /** Curve parameter a of 1/(1 + a·d^{2b}); give both a and b or neither. */
  a?: number;
  /** Curve parameter b. */
  b?: number;
}

/** A fitted UMAP: its input rows and their 2-D embedding. */
export interface UmapFitted {
  /** rows × cols, row-major. */
  data: Float32Array;
  rows: number;
  cols: number;
  /** rows × 2, row-major. */
  embedding: Float32Array;
}

/** The k nearest rows of one point: nearest first (ties → lower index). */
export interface NearestRows {
  indices: Int32Array;
  /** Euclidean distances (not squared), ascending. */
  distances: Float64Array;
}

const FN = 'umapTransform';
/** umap-learn's SMOOTH_K_TOLERANCE and MIN_K_DIST_SCALE. */
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v.constructor as { name?: string } | undefined)?.name ?? 'an object';
  return typeof v === 'number' ? String(v) : typeof v;
}

/**
 * The k nearest rows of `point` (length cols, read from `offset`) among data's rows: squared
 * distances into sq[o, o + k) (ascending) and their rows into idx[o, o + k). Returns the sum of all
 * the rows' squared distances: NaN or ∞ exactly when a fitted value is non-finite (the point being
 * finite), which checks the fitted data for free during the scan.
 */
function scanNearest(
  data: Float32Array,
  rows: number,
  cols: number,
  point: Float32Array,
  offset: number,
  k: number,
  idx: Int32Array,
  sq: Float64Array,
  o: number,
): number {
  sq.fill(Infinity, o, o + k);
  idx.fill(-1, o, o + k);
  let thr = Infinity;
  let total = 0;
  const last = o + k - 1;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    // One plain accumulator: V8 ran this faster than four interleaved partial sums.
    let s = 0;
    for (let q = 0; q < cols; q++) {
      const t = data[base + q] - point[offset + q];
      s += t * t;
    }
    total += s;
    if (s < thr) {
      // Insertion after equal values keeps ties in row order.
      let p = last;
      while (p > o && sq[p - 1] > s) {
        sq[p] = sq[p - 1];
        idx[p] = idx[p - 1];
        p--;
      }
      sq[p] = s;
      idx[p] = r;
      thr = sq[last];
    }
  }
  return total;
}

function firstNonFinite(fn: string, name: string, a: Float32Array, cols: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw new RangeError(`${fn}: expected finite values in ${name}, got ${a[i]} at ${what} ${Math.floor(i / cols)}, column ${i % cols}`);
  }
}

function checkData(fn: string, what: string, data: unknown, rows: unknown, cols: unknown): asserts data is Float32Array {
  if (!Number.isInteger(rows) || (rows as number) < 0) throw new RangeError(`${fn}: expected rows to be a non-negative integer, got ${describe(rows)}`);
  if (rows === 0) throw new RangeError(`${fn}: ${what} is empty (0 rows); expected at least ${fn === FN ? 'nNeighbors' : 'k'} rows`);
  if (!Number.isInteger(cols) || (cols as number) < 1) throw new RangeError(`${fn}: expected cols to be a positive integer, got ${describe(cols)}`);
  if (!(data instanceof Float32Array)) throw new TypeError(`${fn}: expected data to be a Float32Array, got ${describe(data)}`);
  if (data.length !== (rows as number) * (cols as number)) {
    throw new RangeError(
      `${fn}: data has ${data.length} values, expected rows × cols = ${rows as number} × ${cols as number} = ${(rows as number) * (cols as number)}`,
    );
  }
}

/**
 * The k nearest of `rows` rows of `data` (rows × cols, row-major) to `point` (cols values),
 * Euclidean, nearest first, ties to the lower row index. Brute force: rows × cols multiply-adds.
 */
export function nearestRows(data: Float32Array, rows: number, cols: number, point: Float32Array, k: number): NearestRows {
  const fn = 'nearestRows';
  checkData(fn, 'data', data, rows, cols);
  if (!(point instanceof Float32Array)) throw new TypeError(`${fn}: expected point to be a Float32Array, got ${describe(point)}`);
  if (point.length !== cols) throw new RangeError(`${fn}: point has ${point.length} values, expected the data's ${cols} columns`);
  firstNonFinite(fn, 'point', point, cols, 'point');
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new RangeError(`${fn}: expected k to be an integer from 1 to the ${rows} rows, got ${k}`);
  const indices = new Int32Array(k);
  const distances = new Float64Array(k);
  const total = scanNearest(data, rows, cols, point, 0, k, indices, distances, 0);
  if (!Number.isFinite(total)) firstNonFinite(fn, 'data', data, cols, 'row');
  for (let s = 0; s < k; s++) distances[s] = Math.sqrt(distances[s]);
  return { indices, distances };
}

interface Settings {
  rng: Rng;
  nNeighbors: number;
  epochs: number;
  negativeSampleRate: number;
  learningRate: number;
  a: number;
  b: number;
}

/** a, b for the last (spread, minDist) asked for: the least-squares fit (~0.5 ms) would otherwise rerun on every stroke while drawing. */
let curveCache: { spread: number; minDist: number; a: number; b: number } | null = null;

function curveOf(spread: number, minDist: number): { a: number; b: number } {
  if (curveCache === null || curveCache.spread !== spread || curveCache.minDist !== minDist) curveCache = { spread, minDist, ...umapCurve(spread, minDist) };
  return { a: curveCache.a, b: curveCache.b };
}

function checkOptions(o: UmapTransformOptions, rows: number, points: number): Settings {
  const r = (o as Partial<UmapTransformOptions> | undefined)?.rng;
  if (!r || typeof r.fork !== 'function' || typeof r.int !== 'function') throw new TypeError(`${FN}: expected options with a seeded rng (new Rng(seed))`);
  const nNeighbors = o.nNeighbors ?? 15;
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2 || nNeighbors > rows) {
    throw new RangeError(`${FN}: expected nNeighbors to be an integer from 2 to the ${rows} fitted rows, got ${nNeighbors}`);
  }
  const epochs = o.epochs ?? (points <= 10000 ? 100 : 30);
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`${FN}: expected epochs to be a non-negative integer, got ${epochs}`);
  const negativeSampleRate = o.negativeSampleRate ?? 5;
  if (!(negativeSampleRate >= 0) || !Number.isFinite(negativeSampleRate)) {
    throw new RangeError(`${FN}: expected negativeSampleRate to be a non-negative number, got ${negativeSampleRate}`);
  }
  const learningRate = o.learningRate ?? 1;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${FN}: expected learningRate to be a positive number, got ${learningRate}`);
  const spread = o.spread ?? 1;
  const minDist = o.minDist ?? 0.1;
  if (!(spread > 0) || !Number.isFinite(spread)) throw new RangeError(`${FN}: expected spread to be a positive number, got ${spread}`);
  if (!(minDist >= 0) || !(minDist <= spread)) throw new RangeError(`${FN}: expected minDist from 0 to spread (${spread}), got ${minDist}`);
  if ((o.a === undefined) !== (o.b === undefined)) throw new RangeError(`${FN}: expected both curve parameters a and b or neither, got a = ${o.a}, b = ${o.b}`);
  for (const [name, v] of [
    ['a', o.a],
    ['b', o.b],
  ] as const) {
    if (v !== undefined && (!(v > 0) || !Number.isFinite(v))) throw new RangeError(`${FN}: expected ${name} to be a positive number, got ${v}`);
  }
  const { a, b } = o.a !== undefined && o.b !== undefined ? { a: o.a, b: o.b } : curveOf(spread, minDist);
  return { rng: r, nNeighbors, epochs, negativeSampleRate, learningRate, a, b };
}

/**
 * Embeds new points (points.length / cols rows of cols values, row-major) into a fitted 2-D UMAP
 * embedding, as umap-learn's `UMAP.transform`: a (points × 2) row-major Float32Array. The fitted
 * embedding is not changed. Same options (and rng seed) → the same bytes. See the module comment.
 * Non-finite fitted values are caught by the neighbour scan itself (so only when there are points).
 */
export function umapTransform(fitted: UmapFitted, points: Float32Array, options: UmapTransformOptions): Float32Array {
  if (typeof fitted !== 'object' || fitted === null)
    throw new TypeError(`${FN}: expected fitted to be { data, rows, cols, embedding }, got ${describe(fitted)}`);
  const { data, rows, cols, embedding } = fitted;
  checkData(FN, 'the fitted set', data, rows, cols);
  if (!(embedding instanceof Float32Array)) throw new TypeError(`${FN}: expected embedding to be a Float32Array, got ${describe(embedding)}`);
  if (embedding.length !== rows * 2) throw new RangeError(`${FN}: embedding has ${embedding.length} values, expected rows × 2 = ${rows * 2}`);
  firstNonFinite(FN, 'embedding', embedding, 2, 'row');
  if (!(points instanceof Float32Array)) throw new TypeError(`${FN}: expected points to be a Float32Array, got ${describe(points)}`);
  if (points.length % cols !== 0) throw new RangeError(`${FN}: points has ${points.length} values, not a multiple of the fitted data's ${cols} columns`);
  firstNonFinite(FN, 'points', points, cols, 'point');
  const m = points.length / cols;
  const o = checkOptions(options, rows, m);
  const out = new Float32Array(m * 2);
  if (m === 0) return out;
  const k = o.nNeighbors;

  // 1. Neighbours; distances rounded to float32 as umap-learn's.
  const idx = new Int32Array(m * k);
  const sq = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    const total = scanNearest(data, rows, cols, points, i * cols, k, idx, sq, i * k);
    if (!Number.isFinite(total)) firstNonFinite(FN, 'the fitted data', data, cols, 'row');
  }
  const dist = new Float32Array(m * k);
  let meanAll = 0;
  for (let p = 0; p < m * k; p++) {
    dist[p] = Math.sqrt(sq[p]);
    meanAll += dist[p];
  }
  meanAll /= m * k;

  // 2. Memberships, ρ = 0 (umap-learn's transform: local connectivity 1 − 1 = 0).
  const target = Math.log2(k);
  const w = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    const base = i * k;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let s = 1; s < k; s++) {
        const d = dist[base + s];
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const sigma = Math.max(mid, MIN_K_DIST_SCALE * meanAll);
    for (let s = 0; s < k; s++) {
      const d = dist[base + s];
      w[base + s] = d <= 0 || sigma === 0 ? 1 : Math.exp(-d / sigma);
    }
  }

  // 3. Initial positions.
  for (let i = 0; i < m; i++) {
    const base = i * k;
    let exact = -1;
    for (let s = 0; s < k; s++) if (w[base + s] === 1 && (exact < 0 || idx[base + s] < exact)) exact = idx[base + s];
    if (exact >= 0) {
      out[2 * i] = embedding[2 * exact];
      out[2 * i + 1] = embedding[2 * exact + 1];
      continue;
    }
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (let s = 0; s < k; s++) {
      const v = w[base + s];
      const j = idx[base + s];
      sw += v;
      sx += v * embedding[2 * j];
      sy += v * embedding[2 * j + 1];
    }
    out[2 * i] = sx / sw;
    out[2 * i + 1] = sy / sw;
  }
  const nEpochs = o.epochs;
  if (nEpochs === 0) return out;

  // 4. Edges: weaker than w_max / nEpochs dropped, sampled every w_max / w epochs.
  let wMax = 0;
  for (let p = 0; p < m * k; p++) if (w[p] > wMax) wMax = w[p];
  const cut = wMax / nEpochs;
  const edges: number[] = [];
  for (let p = 0; p < m * k; p++) if (w[p] > 0 && w[p] >= cut) edges.push(p);
  const ne = edges.length;
  const period = new Float64Array(ne);
  for (let e = 0; e < ne; e++) period[e] = wMax / w[edges[e]];
  const rate = o.negativeSampleRate;
  const negPeriod = period.map((v) => v / rate);
  const nextSample = period.slice();
  const nextNeg = negPeriod.slice();
  const rngs: Rng[] = [];
  for (let i = 0; i < m; i++) rngs.push(o.rng.fork());
  const { a, b } = o;
  const alpha0 = o.learningRate / 4;
  const clip = (g: number): number => (g > 4 ? 4 : g < -4 ? -4 : g);
  for (let n = 0; n < nEpochs; n++) {
    const alpha = n === 0 ? alpha0 : alpha0 * (1 - (n - 1) / nEpochs);
    for (let e = 0; e < ne; e++) {
      if (nextSample[e] > n) continue;
      const p = edges[e];
      const i = (p / k) | 0;
      const t = idx[p];
      let cx = out[2 * i];
      let cy = out[2 * i + 1];
      let dx = cx - embedding[2 * t];
      let dy = cy - embedding[2 * t + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const c = attractionCoefficient(d2, a, b);
        // float32 coordinates, as umap-learn's head embedding
        cx = Math.fround(cx + clip(c * dx) * alpha);
        cy = Math.fround(cy + clip(c * dy) * alpha);
      }
      nextSample[e] += period[e];
      if (rate > 0) {
        const nNeg = Math.trunc((n - nextNeg[e]) / negPeriod[e]);
        const rng = rngs[i];
        for (let q = 0; q < nNeg; q++) {
          const r = rng.int(rows);
          dx = cx - embedding[2 * r];
          dy = cy - embedding[2 * r + 1];
          d2 = dx * dx + dy * dy;
          if (d2 > 0) {
            const c = repulsionCoefficient(d2, a, b);
            cx = Math.fround(cx + clip(c * dx) * alpha);
            cy = Math.fround(cy + clip(c * dy) * alpha);
          }
        }
        nextNeg[e] += nNeg * negPeriod[e];
      }
      out[2 * i] = cx;
      out[2 * i + 1] = cy;
    }
  }
  return out;
}
