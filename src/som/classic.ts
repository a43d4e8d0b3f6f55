/**
 * The classic online SOM (Kohonen; MiniSom's train, the "minisom" baseline of seed 000): for each
 * sample x in turn, find its BMU c, then for every cell k
 *   m_k ← m_k + lr(t)·h(δ(c, k), T(t))·(x − m_k),
 * with T and lr decaying over the t = 0 … total−1 presentations. Coefficients lr·h below
 * NEGLIGIBLE_WEIGHT (1e-30) are skipped.
 */
import type { Rng } from '../random.js';
import { backend } from '../tensor/registry.js';
import { minibatches } from '../train/batches.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { quantizationError } from './analysis.js';
import { checkDecay, decayValue, type DecayKind, type DecaySchedule } from './decay.js';
import { toFloat32FlushDenormal } from './float32.js';
import { flushNegligible, neighborhoodFunction } from './neighborhood.js';
import { checkCount, drive, resolveRadius, wantsQe, type SomEvent, type SomFitResult, type SomRadiusOptions } from './progress.js';
import type { SOM } from './som.js';

export interface ClassicSomOptions extends SomRadiusOptions {
  /** Draws the sample order (order 'random'). */
  rng: Rng;
  /** Passes over the data (default 10 when iterations is not given). */
  epochs?: number;
  /** Sample presentations in all (instead of epochs). */
  iterations?: number;
  /** 'random' (default): a fresh permutation each pass; 'sequential': rows in order (MiniSom's default). */
  order?: 'random' | 'sequential';
  /** Initial learning rate (default 0.5, MiniSom's). */
  lr?: number;
  /** Final learning rate for 'exponential' / 'linear' (default 0.01). */
  lrMin?: number;
  /** Learning-rate decay (default 'exponential'; 'asymptotic' is MiniSom's). */
  lrDecay?: DecayKind;
  /** Evaluate the QE every this many epochs and after the last (default 1; 0 = never). */
  qeEvery?: number;
  /**
   * Yield a step event every this many presentations (default max(256, total/1000)). som.prototypes
   * is exact whenever an event is yielded; in between the prototypes are held scaled.
   */
  reportEvery?: number;
  /**
   * Presentations already done (resume; default 0): training continues at t = startIteration with
   * som.prototypes as they were after that many presentations and `rng` in its state at t = 0 (the
   * permutations of the passes already done are drawn again and dropped). Resuming from any point
   * where an event was yielded ends with exactly the prototypes of the uninterrupted run.
   */
  startIteration?: number;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the cast widens the frozen literal to DecayKind (the rule only checks Object.freeze accepts the literal)
export const CLASSIC_DEFAULTS = Object.freeze({ epochs: 10, order: 'random' as const, lr: 0.5, lrMin: 0.01, lrDecay: 'exponential' as DecayKind, qeEvery: 1 });

function resolve(som: SOM, x: Tensor, o: ClassicSomOptions) {
  const fn = 'classicSteps';
  expect2d(fn, x, som.dim);
  if (x.rows === 0) throw new RangeError(`${fn}: expected at least one sample, got 0`);
  if (o.epochs !== undefined && o.iterations !== undefined)
    throw new RangeError(`${fn}: expected epochs or iterations, not both (got ${o.epochs} and ${o.iterations})`);
  checkCount(fn, 'epochs', o.epochs);
  checkCount(fn, 'iterations', o.iterations);
  checkCount(fn, 'qeEvery', o.qeEvery);
  checkCount(fn, 'reportEvery', o.reportEvery, 1);
  checkCount(fn, 'startIteration', o.startIteration);
  const order = o.order ?? CLASSIC_DEFAULTS.order;
  if (order !== 'random' && order !== 'sequential') throw new RangeError(`${fn}: expected order 'random' or 'sequential', got ${JSON.stringify(order)}`);
  const total = o.iterations ?? (o.epochs ?? CLASSIC_DEFAULTS.epochs) * x.rows;
  const start = o.startIteration ?? 0;
  if (start > total) throw new RangeError(`${fn}: expected startIteration ≤ ${total} (the total number of presentations), got ${start}`);
  const { neighborhood, T } = resolveRadius(fn, o);
  const lr: DecaySchedule = checkDecay(
    fn,
    { decay: o.lrDecay ?? CLASSIC_DEFAULTS.lrDecay, start: o.lr ?? CLASSIC_DEFAULTS.lr, end: o.lrMin ?? CLASSIC_DEFAULTS.lrMin, reachEnd: T.reachEnd },
    'lr/lrMin',
  );
  if (!(lr.start >= 0)) throw new RangeError(`${fn}: expected lr ≥ 0, got ${lr.start}`);
  return {
    order,
    total,
    start,
    neighborhood,
    T,
    lr,
    qeEvery: o.qeEvery ?? CLASSIC_DEFAULTS.qeEvery,
    reportEvery: o.reportEvery ?? Math.max(256, Math.ceil(total / 1000)),
  };
}

/**
 * The prototypes held as mₖ = αₖ·uₖ (u in som.prototypes.data): the update
 *   mₖ ← (1 − cₖ)·mₖ + cₖ·x  =  αₖ'·(uₖ + βₖ·x),  αₖ' = (1 − cₖ)·αₖ,  βₖ = cₖ/αₖ'
 * is then O(1) per row plus one rank-1 GEMM U += β·xᵀ, and the BMU search one GEMM x·Uᵀ —
 * no per-element JS loop per sample (70,000 × 64 × 784 of them per MNIST epoch). ‖uₖ‖² is kept
 * up to date from x·uₖ (already computed for the BMU) and recomputed exactly at every `fold`.
 */
class ScaledPrototypes {
  private readonly alpha: Float64Array;
  private readonly norms: Float64Array;
  private readonly beta: Float32Array;
  private readonly ux: Float32Array;
  private folded = true;

  constructor(
    private readonly u: Float32Array,
    private readonly K: number,
    private readonly d: number,
  ) {
    this.alpha = new Float64Array(K).fill(1);
    this.norms = new Float64Array(K);
    this.beta = new Float32Array(K);
    this.ux = new Float32Array(K);
    this.fold();
  }

  /**
   * Multiplies α back into u (so som.prototypes holds the true mₖ), flushes float32 denormals to 0
   * and recomputes ‖uₖ‖² exactly.
   */
  fold(): void {
    const { u, d } = this;
    for (let k = 0; k < this.K; k++) {
      const a = this.alpha[k];
      const o = k * d;
      let s = 0;
      for (let q = 0; q < d; q++) {
        const v = toFloat32FlushDenormal(a === 1 ? u[o + q] : a * u[o + q]);
        u[o + q] = v;
        s += v * v;
      }
      this.alpha[k] = 1;
      this.norms[k] = s;
    }
    this.folded = true;
  }

  private foldRow(k: number): void {
    const { u, d } = this;
    const a = this.alpha[k];
    const o = k * d;
    let s = 0;
    for (let q = 0; q < d; q++) {
      const v = toFloat32FlushDenormal(a * u[o + q]);
      u[o + q] = v;
      s += v * v;
    }
    this.alpha[k] = 1;
    this.norms[k] = s;
  }

  /** argminₖ ‖x − mₖ‖² = argminₖ αₖ²‖uₖ‖² − 2αₖ·(x·uₖ); leaves x·uₖ in ux for the update. */
  bmu(x: Float32Array): number {
    backend().gemm(false, true, 1, this.K, this.d, 1, x, this.u, 0, this.ux);
    let best = 0;
    let bv = Infinity;
    for (let k = 0; k < this.K; k++) {
      const a = this.alpha[k];
      const v = a * a * this.norms[k] - 2 * a * this.ux[k];
      if (v < bv) {
        bv = v;
        best = k;
      }
    }
    return best;
  }

  /** mₖ ← mₖ + cₖ·(x − mₖ) for all k (c from coef(k)); call right after bmu(x). xx = ‖x‖². */
  update(x: Float32Array, xx: number, coef: (k: number) => number): void {
    const { u, d, alpha, norms, beta } = this;
    let any = false;
    for (let k = 0; k < this.K; k++) {
      const c = coef(k);
      beta[k] = 0;
      if (c === 0) continue;
      const shrink = 1 - c;
      if (Math.abs(shrink) < 1e-6) {
        // mₖ ← x (or nearly): no finite β; set the row directly.
        const a = alpha[k];
        const o = k * d;
        let s = 0;
        for (let q = 0; q < d; q++) {
          const v = toFloat32FlushDenormal(a * u[o + q] + c * (x[q] - a * u[o + q]));
          u[o + q] = v;
          s += v * v;
        }
        alpha[k] = 1;
        norms[k] = s;
        continue;
      }
      let a = alpha[k] * shrink;
      if (Math.abs(a) < 1 / 64 || Math.abs(a) > 64) {
        // keep u within a few powers of two of m (float32 range and precision)
        this.foldRow(k);
        a = shrink;
        this.ux[k] = NaN; // x·uₖ is stale after the fold: recompute the norm exactly below
      }
      const b = c / a;
      alpha[k] = a;
      beta[k] = b;
      any = true;
    }
    if (!any) return;
    this.folded = false;
    // U += β·xᵀ  (K×1 times 1×d)
    backend().gemm(false, false, this.K, d, 1, 1, beta, x, 1, u);
    for (let k = 0; k < this.K; k++) {
      const b = beta[k];
      if (b === 0) continue;
      const dot = this.ux[k];
      if (Number.isNaN(dot)) {
        let s = 0;
        for (let q = k * d; q < (k + 1) * d; q++) s += u[q] * u[q];
        norms[k] = s;
      } else norms[k] += 2 * b * dot + b * b * xx; // ‖u + βx‖²
    }
  }

  get isFolded(): boolean {
    return this.folded;
  }
}

/** Iterations between exact refreshes of α and ‖uₖ‖² (bounds the drift of the incremental norms). */
const REFRESH_EVERY = 512;

/** Trains `som` in place, one sample at a time, yielding step and epoch events. */
export function* classicSteps(som: SOM, x: Tensor, options: ClassicSomOptions): Generator<SomEvent, void, undefined> {
  const { order, total, start, neighborhood, T: Ts, lr: lrs, qeEvery, reportEvery } = resolve(som, x, options);
  const K = som.size;
  const d = som.dim;
  const n = x.rows;
  const dist = som.topology.distances;
  const h = neighborhoodFunction(neighborhood);
  const protos = new ScaledPrototypes(som.prototypes.data, K, d);
  const xNorms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let q = i * d; q < (i + 1) * d; q++) s += x.data[q] * x.data[q];
    xNorms[i] = s;
  }
  const epochs = Math.ceil(total / n);
  let last = performance.now();
  let epochStart = last;
  let row = 0;
  let T = Ts.start;
  let lr = lrs.start;
  const coef = (k: number): number => flushNegligible(lr * h(dist[row + k], T));
  try {
    // One presentation a step: batches of one row, in a fresh permutation each pass ('random').
    for (const mb of minibatches({
      rows: n,
      batchSize: 1,
      steps: total,
      order: order === 'random' ? 'shuffle' : 'sequential',
      rng: options.rng,
      startStep: start,
    })) {
      const { step: t, start: pos, epoch } = mb;
      if (pos === 0) epochStart = performance.now();
      const i = mb.order === null ? pos : mb.order[pos];
      const xi = x.data.subarray(i * d, (i + 1) * d);
      row = protos.bmu(xi) * K;
      T = decayValue(Ts, t, total);
      lr = decayValue(lrs, t, total);
      protos.update(xi, xNorms[i], coef);
      const done = t + 1;
      const report = done % reportEvery === 0 || done === total;
      const endOfEpoch = mb.endOfEpoch;
      if (report || endOfEpoch || done % REFRESH_EVERY === 0) protos.fold();
      if (report) {
        const now = performance.now();
        yield { type: 'step', algorithm: 'classic', iteration: done, totalIterations: total, epoch, T, lr, ms: now - last };
        last = now;
      }
      if (endOfEpoch) {
        const qe = wantsQe(qeEvery, epoch, epoch === epochs - 1) ? quantizationError(som, x) : undefined;
        const now = performance.now();
        yield { type: 'epoch', algorithm: 'classic', epoch, iteration: done, totalIterations: total, T, lr, qe, ms: now - epochStart };
        last = now;
      }
    }
  } finally {
    // a consumer that stops early still finds the true prototypes in som.prototypes
    if (!protos.isFolded) protos.fold();
  }
}

/** Trains `som` in place with the classic online algorithm; returns the epoch events and the final QE. */
export function fitClassic(som: SOM, x: Tensor, options: ClassicSomOptions, onEvent?: (e: SomEvent) => void): SomFitResult {
  return drive(som, x, classicSteps(som, x, options), onEvent);
}
