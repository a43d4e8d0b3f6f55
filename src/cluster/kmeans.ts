/**
 * k-means (Lloyd's algorithm) as scikit-learn 1.2's `KMeans(algorithm='lloyd')` runs it, so that
 * the same init gives the same labels, centroids, inertia and iteration count:
 * - the data are centred on their column means first (as scikit-learn does, for the precision of
 *   ‖x‖² − 2x·m + ‖m‖²), into one float32 copy;
 * - each iteration assigns every row to its nearest centroid (squared distances from the backend's
 *   GEMM kernel, in row chunks) and moves each centroid to the mean of its rows (float64 sums);
 *   a centroid left without rows is moved onto the row farthest from its own centroid, that row's
 *   contribution taken out of its cluster's sum (scikit-learn's `_relocate_empty_clusters`);
 * - it stops when no label changed ("strict convergence") or when the squared centroid shift
 *   Σⱼ‖cⱼ′ − cⱼ‖² ≤ tol · mean per-feature variance; if it stopped on the shift (or on maxIter),
 *   the rows are assigned once more to the final centroids;
 * - the inertia Σᵢ‖xᵢ − c_{labelᵢ}‖² is then computed exactly, in float64, from x and the returned
 *   centroids; the restart with the lowest inertia is kept (the first one on ties).
 * Savings that keep the iterations cheap without changing them: centroid sums are kept between
 * iterations and only the rows whose label changed are moved; (algorithm 'hamerly', the default)
 * a row whose distance bounds prove that its nearest centroid did not change is not recomputed,
 * the backend's `sqDistancesRows` computing the others in place; ‖xᵢ‖² is computed once per call
 * (`sqNorms`) for every distance kernel; and the large work arrays outlive a call (`Scratch`).
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { Scratch, defaultChunkRows, plusPlusIndices, plusPlusTrials } from './kmeans-init.js';

/** The named initialisations; an explicit k×d Tensor of centroids is the third choice. */
export type KMeansInit = 'k-means++' | 'random';

/** How each iteration's assignment is computed (both give Lloyd's iterations). */
export type KMeansAlgorithm = 'hamerly' | 'lloyd';

export interface KMeansOptions {
  rng: Rng;
  /** Runs from different initialisations (scikit-learn's n_init); default 10. The run with the lowest inertia is kept. With an explicit init every run would be identical, so it runs once. */
  restarts?: number;
  /** Lloyd iterations per run; default 300. */
  maxIter?: number;
  /** Relative tolerance, default 1e-4: a run stops once Σⱼ‖cⱼ′ − cⱼ‖² ≤ tol · mean(per-feature variance of x). */
  tol?: number;
  /** 'k-means++' (default; scikit-learn's greedy variant, 2 + ⌊ln k⌋ local trials), 'random' (k distinct rows) or a k×d Tensor. */
  init?: KMeansInit | Tensor;
  /**
   * 'hamerly' (default): Lloyd's iterations, skipping the distances of rows whose nearest centroid
   * provably did not change (Hamerly 2010 bounds, widened by the float32 GEMM's worst-case error);
   * 'lloyd': every row's distances at every iteration (scikit-learn's algorithm). Same labels.
   */
  algorithm?: KMeansAlgorithm;
  /** Rows per distance block (the distance buffer holds chunkRows × k floats); default 2^21 / (d + k), within [256, 8192]. */
  chunkRows?: number;
}

export interface KMeansResult {
  /** k×d centroids of the kept run. */
  centroids: Tensor;
  /** Index of each row's centroid (its nearest one, from the final assignment). */
  labels: Int32Array;
  /** Σᵢ‖xᵢ − c_{labelᵢ}‖², in float64. */
  inertia: number;
  /** Lloyd iterations of the kept run. */
  iterations: number;
  /** Whether the kept run stopped before maxIter (labels unchanged or shift ≤ tolerance). */
  converged: boolean;
  /** Which run (0-based) was kept. */
  restart: number;
}

/** Progress of `kmeansSteps`. `centroids` is a view that the next step overwrites: copy it to keep it. */
export type KMeansEvent =
  | { kind: 'init'; restart: number; centroids: Tensor }
  | {
      kind: 'iteration';
      restart: number;
      /** 1-based iteration number within the run. */
      iteration: number;
      /** Rows whose label changed in this iteration's assignment (n in the first one). */
      changed: number;
      /** Rows whose distances were computed in this assignment (n without pruning; fewer when the bounds settled the others). */
      computed: number;
      /** Σⱼ‖cⱼ′ − cⱼ‖², the squared centroid shift of this iteration's update. */
      shift: number;
      /** Σᵢ‖xᵢ − μ_{labelᵢ}‖² for this iteration's labels and their means (from the running sums; a relocated empty cluster is not counted). */
      inertia: number;
      centroids: Tensor;
    }
  | { kind: 'restart'; restart: number; inertia: number; iterations: number; converged: boolean; best: boolean };

interface Prepared {
  /** x − column means, float32, row-major n×d. */
  xc: Float32Array;
  mean: Float64Array;
  /** Mean over features of the per-feature (population) variance. */
  meanVar: number;
  /** ‖xcᵢ‖² of each centred float32 row, and their sum. */
  rowNorm2: Float64Array;
  totalNorm2: number;
}

/** Column means (validating finiteness on the way), the centred copy, its row norms and the mean variance: two passes over x. */
function prepare(fn: string, x: Tensor, scratch: Scratch): Prepared {
  const n = x.rows;
  const d = x.cols;
  const src = x.data;
  const mean = new Float64Array(d);
  // Two rows per pass over mean/vars (a third faster; each sum still adds the rows in order).
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const b = i * d;
    for (let q = 0; q < d; q++) mean[q] = mean[q] + src[b + q] + src[b + d + q];
  }
  for (; i < n; i++) {
    const b = i * d;
    for (let q = 0; q < d; q++) mean[q] += src[b + q];
  }
  // A float32 NaN or ±Infinity makes its column sum non-finite (float32 values cannot overflow a float64 sum of < 2^900 terms).
  for (let q = 0; q < d; q++) {
    if (!Number.isFinite(mean[q])) {
      for (let r = 0; r < n; r++) {
        if (!Number.isFinite(src[r * d + q])) throw new RangeError(`${fn}: expected finite values in x, got ${src[r * d + q]} at row ${r}, column ${q}`);
      }
    }
    mean[q] /= n;
  }
  const xc = scratch.f32('xc', n * d);
  const vars = new Float64Array(d);
  const rowNorm2 = scratch.f64('rowNorm2', n);
  let totalNorm2 = 0;
  for (i = 0; i + 2 <= n; i += 2) {
    const b = i * d;
    const b2 = b + d;
    let r2 = 0;
    let s2 = 0;
    for (let q = 0; q < d; q++) {
      const v = src[b + q] - mean[q];
      const w = src[b2 + q] - mean[q];
      const v32 = Math.fround(v);
      const w32 = Math.fround(w);
      xc[b + q] = v32;
      xc[b2 + q] = w32;
      vars[q] = vars[q] + v * v + w * w;
      r2 += v32 * v32;
      s2 += w32 * w32;
    }
    rowNorm2[i] = r2;
    rowNorm2[i + 1] = s2;
    totalNorm2 += r2;
    totalNorm2 += s2;
  }
  for (; i < n; i++) {
    const b = i * d;
    let r2 = 0;
    for (let q = 0; q < d; q++) {
      const v = src[b + q] - mean[q];
      const v32 = Math.fround(v);
      xc[b + q] = v32;
      vars[q] += v * v;
      r2 += v32 * v32;
    }
    rowNorm2[i] = r2;
    totalNorm2 += r2;
  }
  let meanVar = 0;
  for (let q = 0; q < d; q++) meanVar += vars[q] / n;
  return { xc, mean, meanVar: meanVar / d, rowNorm2, totalNorm2 };
}

function checkInt(fn: string, name: string, v: number, min: number, what = ''): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}${what}, got ${v}`);
}

interface Resolved {
  algorithm: KMeansAlgorithm;
  restarts: number;
  maxIter: number;
  tol: number;
  init: KMeansInit | Tensor;
  chunkRows: number;
}

function resolveOptions(fn: string, x: Tensor, k: number, o: KMeansOptions): Resolved {
  expect2d(fn, x);
  const n = x.rows;
  const d = x.cols;
  if (n < 1 || d < 1) throw new RangeError(`${fn}: expected at least one row and one column, got shape [${x.shape.join(', ')}]`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`${fn}: expected k between 1 and ${n} (the number of rows), got ${k}`);
  if (o === undefined || o === null || typeof o.rng?.uniform !== 'function')
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- reached when o.rng is not an Rng (a JS caller's value of any type); String() shows what was passed
    throw new TypeError(`${fn}: expected options with an rng (new Rng(seed)), got ${String(o?.rng)}`);
  const init = o.init ?? 'k-means++';
  if (init instanceof Tensor) {
    if (init.rank !== 2 || init.shape[0] !== k || init.shape[1] !== d) {
      throw new RangeError(`${fn}: expected an init of shape [${k}, ${d}] (k × features), got [${init.shape.join(', ')}]`);
    }
    for (let i = 0; i < init.data.length; i++) {
      if (!Number.isFinite(init.data[i])) throw new RangeError(`${fn}: expected finite init values, got ${init.data[i]} at index ${i}`);
    }
  } else if (init !== 'k-means++' && init !== 'random') {
    throw new RangeError(`${fn}: expected init 'k-means++', 'random' or a [${k}, ${d}] Tensor, got ${JSON.stringify(init)}`);
  }
  const algorithm = o.algorithm ?? 'hamerly';
  if (algorithm !== 'hamerly' && algorithm !== 'lloyd')
    throw new RangeError(`${fn}: expected algorithm 'hamerly' or 'lloyd', got ${JSON.stringify(algorithm)}`);
  const restarts = o.restarts ?? 10;
  checkInt(fn, 'restarts', restarts, 1);
  const maxIter = o.maxIter ?? 300;
  checkInt(fn, 'maxIter', maxIter, 1);
  const tol = o.tol ?? 1e-4;
  if (!Number.isFinite(tol) || tol < 0) throw new RangeError(`${fn}: expected tol to be a finite number ≥ 0, got ${tol}`);
  const chunkRows = o.chunkRows ?? defaultChunkRows(n, k, d);
  checkInt(fn, 'chunkRows', chunkRows, 1);
  return { algorithm, restarts: init instanceof Tensor ? 1 : restarts, maxIter, tol, init, chunkRows: Math.min(chunkRows, n) };
}

/** Runs k-means to completion (see `kmeansSteps`) and returns the best run. */
export function kmeans(x: Tensor, k: number, o: KMeansOptions): KMeansResult {
  const it = kmeansSteps(x, k, o);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}

/**
 * The work arrays of the last call that finished, for the next one (`signatures` calls kmeans for
 * k = 2..10 on the same rows). Held weakly: the GC may take them between calls.
 */
let spareScratch: WeakRef<Scratch> | null = null;

/** Step-wise k-means: yields after initialisation and after each Lloyd iteration of each restart, and at the end of each restart. */
export function* kmeansSteps(x: Tensor, k: number, o: KMeansOptions): Generator<KMeansEvent, KMeansResult> {
  const opt = resolveOptions('kmeans', x, k, o);
  // Taken, not shared: a second generator running alongside this one gets arrays of its own.
  const scratch = spareScratch?.deref() ?? new Scratch();
  spareScratch = null;
  try {
    return yield* steps(x, k, o.rng, opt, scratch);
  } finally {
    spareScratch = new WeakRef(scratch);
  }
}

function* steps(x: Tensor, k: number, rng: Rng, opt: Resolved, scratch: Scratch): Generator<KMeansEvent, KMeansResult> {
  const fn = 'kmeans';
  const n = x.rows;
  const d = x.cols;
  const { xc, mean, meanVar, rowNorm2, totalNorm2 } = prepare(fn, x, scratch);
  const tolAbs = opt.tol === 0 ? 0 : opt.tol * meanVar;
  const be = backend();
  const chunk = opt.chunkRows;
  const prune = opt.algorithm === 'hamerly';
  // Worst-case error of a float32 GEMM squared distance, as a multiple of ‖x‖² + ‖c‖²: the dot
  // product of d terms is within γ_d·Σ|xᵢcᵢ| ≤ γ_d(‖x‖² + ‖c‖²)/2, plus the final roundings and
  // the float32 copy of the centroids; doubled for safety. Bounds are widened by it.
  const eta = 2 * (d + 4) * 2 ** -24;

  // Buffers reused by every restart; the n-sized ones come from the scratch (written before read).
  const xNorm2 = scratch.f64('xNorm2', n); // ‖xcᵢ‖² as the backend's distances compute it, computed once
  be.sqNorms(xc, n, d, xNorm2);
  const dist = scratch.f32('dist', chunk * k);
  const active = scratch.i32('active', prune ? n : 0);
  const upper = scratch.f64('upper', prune ? n : 0); // ≥ distance to the own centroid
  const lower = scratch.f64('lower', prune ? n : 0); // ≤ distance to any other centroid
  const half = new Float64Array(k); // ½ min over other centroids of ‖cⱼ − cⱼ′‖ (lower bound)
  const centDist = prune ? new Float32Array(k * k) : new Float32Array(0);
  const moved = new Float64Array(k); // ‖cⱼ′ − cⱼ‖ of the last update
  const labels = scratch.i32('labels', n);
  const sums = new Float64Array(k * d); // Σ of the (centred) rows of each cluster, kept up to date
  const counts = new Int32Array(k);
  const cent = new Float64Array(k * d); // current centroids (centred space)
  const next = new Float64Array(k * d);
  const cent32 = new Float32Array(k * d); // the float32 copy the GEMM reads
  const countsNext = new Int32Array(k);
  const view = new Float32Array(k * d); // uncentred centroids handed out in events
  const viewT = new Tensor(view, [k, d]);
  let centMax2 = 0; // max ‖cⱼ‖² (centred), for the error margins
  let best: KMeansResult | null = null;

  const toView = (): Tensor => {
    for (let j = 0; j < k; j++) for (let q = 0; q < d; q++) view[j * d + q] = cent[j * d + q] + mean[q];
    return viewT;
  };

  /**
   * Nearest (and, when pruning, second nearest) centroid for m rows whose distances are in `dist`:
   * rows rows[a..a+m) or, when rows is null, a..a+m. Returns the rows whose label changed.
   */
  const label = (rows: Int32Array | null, a: number, m: number, move: boolean): number => {
    let changed = 0;
    for (let i = 0; i < m; i++) {
      const o0 = i * k;
      let bj = 0;
      let bv = dist[o0];
      let sv = Infinity;
      for (let j = 1; j < k; j++) {
        const v = dist[o0 + j];
        if (v < bv) {
          sv = bv;
          bv = v;
          bj = j;
        } else if (v < sv) {
          sv = v;
        }
      }
      const g = rows === null ? a + i : rows[a + i];
      if (prune) {
        const margin = eta * (rowNorm2[g] + centMax2);
        upper[g] = Math.sqrt(bv + margin);
        lower[g] = sv === Infinity ? Infinity : Math.sqrt(Math.max(0, sv - margin));
      }
      const old = labels[g];
      if (bj === old) continue;
      changed++;
      labels[g] = bj;
      if (!move) continue;
      const r = g * d;
      if (old >= 0) {
        addRow(sums, old * d, xc, r, d, -1);
        // An emptied cluster's sum is exactly zero (no leftover rounding).
        if (--counts[old] === 0) sums.fill(0, old * d, old * d + d);
      }
      addRow(sums, bj * d, xc, r, d, 1);
      counts[bj]++;
    }
    return changed;
  };

  /**
   * Assigns rows to their nearest centroid (cent32); when `move`, moves changed rows between the
   * cluster sums. With pruning (and not `all`), only the nActive rows in `active` (those the
   * bounds could not settle, listed by updateBounds) get their distances computed.
   */
  let computed = 0; // rows whose distances the last assign computed
  let nActive = 0;
  const assign = (move: boolean, all: boolean): number => {
    let changed = 0;
    // The active rows go through sqDistancesRows, which runs the GEMM on blocks of rows that stay
    // in L2: against this contiguous pass over every row it took 0.2–0.3× the time with 20 % of
    // the rows active, 0.7–0.9× with 80 %, 0.75–1.0× with 90 % and 0.85–1.1× with all of them
    // (CPU time, 60,000 × 128 and × 256 with k = 2–10, 60,000 × 784 with k = 64; 1 and 2
    // threads). So every row is computed only when more than 90 % of them are active.
    if (!prune || all || nActive > 0.9 * n) {
      computed = n;
      for (let a = 0; a < n; a += chunk) {
        const m = Math.min(chunk, n - a);
        be.sqDistances(xc.subarray(a * d, (a + m) * d), cent32, m, k, d, dist, xNorm2.subarray(a, a + m));
        changed += label(null, a, m, move);
      }
      return changed;
    }
    computed = nActive;
    for (let a = 0; a < nActive; a += chunk) {
      const m = Math.min(chunk, nActive - a);
      be.sqDistancesRows(xc, active.subarray(a, a + m), m, cent32, k, d, dist, xNorm2);
      changed += label(active, a, m, move);
    }
    return changed;
  };

  /** New centroids from the sums (relocating empty clusters), the squared shift, and the bounds' bookkeeping; swaps the new centroids in. */
  const update = (): number => {
    next.set(sums);
    countsNext.set(counts);
    let nEmpty = 0;
    for (let j = 0; j < k; j++) if (counts[j] === 0) nEmpty++;
    if (nEmpty > 0) relocateEmpty(nEmpty);
    let shift = 0;
    centMax2 = 0;
    for (let j = 0; j < k; j++) {
      const c = countsNext[j];
      // scikit-learn leaves a centre with zero weight as its (zero) sum.
      const inv = c > 0 ? 1 / c : 1;
      let sj = 0;
      let nj = 0;
      for (let q = 0; q < d; q++) {
        const t = j * d + q;
        const v = c > 0 ? next[t] * inv : next[t];
        const e = v - cent[t];
        sj += e * e;
        nj += v * v;
        cent[t] = v;
        cent32[t] = v;
      }
      shift += sj;
      moved[j] = Math.sqrt(sj);
      if (nj > centMax2) centMax2 = nj;
    }
    if (prune) updateBounds();
    return shift;
  };

  /**
   * Hamerly's bound updates after the centroids moved: upper += own move, lower −= largest other
   * move, half from the centroid distances; then lists in `active` the rows whose upper bound
   * exceeds max(half[own], lower): the others keep their label (Hamerly 2010).
   */
  const updateBounds = (): void => {
    let m1 = 0;
    let m2 = 0;
    let j1 = -1;
    for (let j = 0; j < k; j++) {
      if (moved[j] > m1) {
        m2 = m1;
        m1 = moved[j];
        j1 = j;
      } else if (moved[j] > m2) {
        m2 = moved[j];
      }
    }
    if (k === 1) {
      half[0] = Infinity;
    } else {
      be.sqDistances(cent32, cent32, k, k, d, centDist);
      const margin = eta * 2 * centMax2;
      for (let j = 0; j < k; j++) {
        let mn = Infinity;
        for (let j2 = 0; j2 < k; j2++) if (j2 !== j && centDist[j * k + j2] < mn) mn = centDist[j * k + j2];
        half[j] = 0.5 * Math.sqrt(Math.max(0, mn - margin));
      }
    }
    nActive = 0;
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      const u = (upper[i] += moved[l]);
      const lo = (lower[i] -= l === j1 ? m2 : m1);
      if (u > (lo > half[l] ? lo : half[l])) active[nActive++] = i;
    }
  };

  /** scikit-learn's `_relocate_empty_clusters_dense`: the farthest rows (from their own centroid) become the empty clusters' centres. */
  const relocateEmpty = (nEmpty: number): void => {
    const far = scratch.f64('far', n);
    for (let i = 0; i < n; i++) {
      const r = i * d;
      const c = labels[i] * d;
      let s = 0;
      for (let q = 0; q < d; q++) {
        const e = xc[r + q] - cent[c + q];
        s += e * e;
      }
      far[i] = s;
    }
    // The nEmpty largest distances, largest first (ties: the lower row index first).
    const picked = new Int32Array(nEmpty);
    const used = new Uint8Array(n);
    for (let e = 0; e < nEmpty; e++) {
      let bi = -1;
      let bv = -Infinity;
      for (let i = 0; i < n; i++) {
        if (used[i] === 0 && far[i] > bv) {
          bv = far[i];
          bi = i;
        }
      }
      used[bi] = 1;
      picked[e] = bi;
    }
    let e = 0;
    for (let j = 0; j < k; j++) {
      if (counts[j] !== 0) continue;
      const f = picked[e++];
      const old = labels[f];
      const r = f * d;
      for (let q = 0; q < d; q++) {
        next[old * d + q] -= xc[r + q];
        next[j * d + q] = xc[r + q];
      }
      countsNext[j] = 1;
      countsNext[old]--;
    }
  };

  /** Σᵢ‖xᵢ − μ_{labelᵢ}‖² = Σᵢ‖xᵢ‖² − Σⱼ‖Sⱼ‖²/nⱼ from the running sums (the means of the current labels). */
  const sumsInertia = (): number => {
    let s = totalNorm2;
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue;
      let nj = 0;
      for (let q = 0; q < d; q++) nj += sums[j * d + q] * sums[j * d + q];
      s -= nj / counts[j];
    }
    return s > 0 ? s : 0;
  };

  for (let restart = 0; restart < opt.restarts; restart++) {
    // --- initialisation
    if (opt.init instanceof Tensor) {
      const src = opt.init.data;
      for (let j = 0; j < k; j++) for (let q = 0; q < d; q++) cent[j * d + q] = src[j * d + q] - mean[q];
    } else {
      const trials = plusPlusTrials(k);
      const idx = opt.init === 'k-means++' ? plusPlusIndices(xc, n, d, k, rng, trials, defaultChunkRows(n, trials, d), scratch, xNorm2) : rng.sample(n, k);
      for (let j = 0; j < k; j++) for (let q = 0; q < d; q++) cent[j * d + q] = xc[idx[j] * d + q];
    }
    centMax2 = 0;
    for (let j = 0; j < k; j++) {
      let nj = 0;
      for (let q = 0; q < d; q++) {
        cent32[j * d + q] = cent[j * d + q];
        nj += cent[j * d + q] * cent[j * d + q];
      }
      if (nj > centMax2) centMax2 = nj;
    }
    yield { kind: 'init', restart, centroids: toView() };

    // --- Lloyd iterations
    labels.fill(-1);
    sums.fill(0);
    counts.fill(0);
    let strict = false;
    let converged = false;
    let iterations = 0;
    while (iterations < opt.maxIter) {
      const changed = assign(true, iterations === 0);
      const inertia = sumsInertia();
      const shift = update();
      iterations++;
      yield { kind: 'iteration', restart, iteration: iterations, changed, computed, shift, inertia, centroids: toView() };
      if (changed === 0) {
        strict = true;
        converged = true;
        break;
      }
      if (shift <= tolAbs) {
        converged = true;
        break;
      }
    }
    // Stopped on the shift or on maxIter: the labels are those of the previous centroids; reassign.
    if (!strict) assign(false, false);

    // --- exact inertia of the returned centroids
    toView();
    const inertia = exactInertia(x.data, view, labels, n, d);
    const isBest = best === null || inertia < best.inertia;
    if (isBest) {
      best = { centroids: new Tensor(view.slice(), [k, d]), labels: labels.slice(), inertia, iterations, converged, restart };
    }
    yield { kind: 'restart', restart, inertia, iterations, converged, best: isBest };
  }
  if (best === null) throw new Error('internal: kmeans finished without a run');
  return best;
}

/** s[so + q] += sign · x[r + q] for q < d (unrolled by 8: about twice as fast in V8 on long rows as the plain loop). */
function addRow(s: Float64Array, so: number, x: Float32Array, r: number, d: number, sign: 1 | -1): void {
  let q = 0;
  if (sign === 1) {
    for (; q + 8 <= d; q += 8) {
      s[so + q] += x[r + q];
      s[so + q + 1] += x[r + q + 1];
      s[so + q + 2] += x[r + q + 2];
      s[so + q + 3] += x[r + q + 3];
      s[so + q + 4] += x[r + q + 4];
      s[so + q + 5] += x[r + q + 5];
      s[so + q + 6] += x[r + q + 6];
      s[so + q + 7] += x[r + q + 7];
    }
    for (; q < d; q++) s[so + q] += x[r + q];
  } else {
    for (; q + 8 <= d; q += 8) {
      s[so + q] -= x[r + q];
      s[so + q + 1] -= x[r + q + 1];
      s[so + q + 2] -= x[r + q + 2];
      s[so + q + 3] -= x[r + q + 3];
      s[so + q + 4] -= x[r + q + 4];
      s[so + q + 5] -= x[r + q + 5];
      s[so + q + 6] -= x[r + q + 6];
      s[so + q + 7] -= x[r + q + 7];
    }
    for (; q < d; q++) s[so + q] -= x[r + q];
  }
}

/**
 * Σᵢ‖xᵢ − c_{labelᵢ}‖² accumulated in float64 (one pass over x, no n×k work): per row two partial
 * sums (even and odd features), added to the total row by row. Rows go in pairs, whose four
 * independent sums keep the CPU busier (a fifth faster); each row's arithmetic is unchanged.
 */
function exactInertia(x: Float32Array, c: Float32Array, labels: Int32Array, n: number, d: number): number {
  let total = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const r = i * d;
    const o = labels[i] * d;
    const r2 = r + d;
    const o2 = labels[i + 1] * d;
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let q = 0;
    for (; q + 2 <= d; q += 2) {
      const e0 = x[r + q] - c[o + q];
      const e1 = x[r + q + 1] - c[o + q + 1];
      const f0 = x[r2 + q] - c[o2 + q];
      const f1 = x[r2 + q + 1] - c[o2 + q + 1];
      s0 += e0 * e0;
      s1 += e1 * e1;
      t0 += f0 * f0;
      t1 += f1 * f1;
    }
    if (q < d) {
      const e = x[r + q] - c[o + q];
      const f = x[r2 + q] - c[o2 + q];
      s0 += e * e;
      t0 += f * f;
    }
    total += s0 + s1;
    total += t0 + t1;
  }
  for (; i < n; i++) {
    const r = i * d;
    const o = labels[i] * d;
    let s0 = 0;
    let s1 = 0;
    let q = 0;
    for (; q + 2 <= d; q += 2) {
      const e0 = x[r + q] - c[o + q];
      const e1 = x[r + q + 1] - c[o + q + 1];
      s0 += e0 * e0;
      s1 += e1 * e1;
    }
    for (; q < d; q++) {
      const e = x[r + q] - c[o + q];
      s0 += e * e;
    }
    total += s0 + s1;
  }
  return total;
}

/** Index of the nearest centroid for each row of x (squared distances from the backend's GEMM kernel, in row chunks). */
export function kmeansPredict(centroids: Tensor, x: Tensor, o: { chunkRows?: number } = {}): Int32Array {
  const fn = 'kmeansPredict';
  expect2d(fn, centroids);
  const k = centroids.rows;
  const d = centroids.cols;
  if (k < 1) throw new RangeError(`${fn}: expected at least one centroid, got shape [${centroids.shape.join(', ')}]`);
  expect2d(fn, x, d, `features (the centroids' width)`);
  const n = x.rows;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const chunk = Math.min(n, o.chunkRows ?? defaultChunkRows(n, k, d));
  checkInt(fn, 'chunkRows', chunk, 1);
  const dist = new Float32Array(chunk * k);
  const be = backend();
  for (let a = 0; a < n; a += chunk) {
    const m = Math.min(chunk, n - a);
    be.sqDistances(x.data.subarray(a * d, (a + m) * d), centroids.data, m, k, d, dist);
    for (let i = 0; i < m; i++) {
      const o0 = i * k;
      let bj = 0;
      let bv = dist[o0];
      for (let j = 1; j < k; j++) {
        if (dist[o0 + j] < bv) {
          bv = dist[o0 + j];
          bj = j;
        }
      }
      out[a + i] = bj;
    }
  }
  return out;
}
