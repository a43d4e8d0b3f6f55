/**
 * Anomaly detection with a trained autoencoder or VAE, as the deep-learning course uses them: a
 * model fitted on normal data only reconstructs (or explains) normal rows better than rows of a
 * kind it never saw, so a per-row error is an anomaly score (higher = more anomalous). The held-out
 * protocol trains without one class (say digit 4) and asks how well the score ranks that class's
 * test rows above the others': AUROC and average precision (src/metrics/roc.ts).
 *
 * | score            | models               | per row x (d values)                                          |
 * |------------------|----------------------|---------------------------------------------------------------|
 * | `mse`            | autoencoder, DESOM, VAE | (1/d) Σⱼ (x̂ⱼ − xⱼ)², x̂ = decoder(encoder(x)) (a VAE: decoder(μ(x))) |
 * | `neg_elbo`       | VAE                  | −log p(x|z) averaged over `samples` draws z ~ q(z|x), + KL(q(z|x) ‖ N(0, I)): the negative ELBO, a bound on −log p(x) |
 * | `reconstruction` | VAE                  | its first term alone, −E_q[log p(x|z)] over the same draws (An & Cho 2015's "reconstruction probability", as a negative log) |
 *
 * The sum of squared errors ranks rows exactly as `mse` (d is the same for every row), so it is not
 * a separate score. Every score runs in eval mode over row batches; the VAE's draws come from the
 * seeded `rng` (same rng state → same scores).
 */
import { Autoencoder } from '../ae/autoencoder.js';
import { DESOM } from '../desom/model.js';
import { rankingMetrics } from '../metrics/roc.js';
import { Rng } from '../random.js';
import { expect2d, type Tensor } from '../tensor/tensor.js';
import { VAE } from '../vae/vae.js';

/** The anomaly scores (see the table above). */
export type AnomalyScoreName = 'mse' | 'neg_elbo' | 'reconstruction';

export const ANOMALY_SCORES: readonly AnomalyScoreName[] = ['mse', 'neg_elbo', 'reconstruction'];

/** The models that score rows: an autoencoder, a VAE, or a DESOM (through its autoencoder). */
export type AnomalyModel = Autoencoder | VAE | DESOM;

/** How `anomalyScores` scores. */
export interface AnomalyScoreOptions {
  /** Default: `neg_elbo` for a VAE, `mse` otherwise (anomalyScoresFor's first). */
  score?: AnomalyScoreName;
  /** The draws of z for a VAE's `neg_elbo` and `reconstruction` (required for those). */
  rng?: Rng;
  /** Draws of z per row for those two scores (default 1). */
  samples?: number;
  /** Rows per forward pass (default 1024). */
  batchSize?: number;
}

function modelName(model: unknown): string {
  return model === null || typeof model !== 'object' ? String(model) : model.constructor.name;
}

function checkModel(fn: string, model: unknown): asserts model is AnomalyModel {
  if (!(model instanceof Autoencoder || model instanceof VAE || model instanceof DESOM))
    throw new TypeError(`${fn}: expected an Autoencoder, a VAE or a DESOM, got ${modelName(model)}`);
}

/** The scores `model` can give, its default first: a VAE's negative ELBO, its reconstruction term and MSE; an autoencoder's or DESOM's MSE. */
export function anomalyScoresFor(model: AnomalyModel): AnomalyScoreName[] {
  checkModel('anomalyScoresFor', model);
  return model instanceof VAE ? ['neg_elbo', 'reconstruction', 'mse'] : ['mse'];
}

/** Per-row reconstruction MSE (1/d) Σⱼ (x̂ⱼ − xⱼ)², batch by batch (memory: one batch of reconstructions). */
function rowMse(model: AnomalyModel, x: Tensor, batchSize: number): Float64Array {
  const d = x.cols;
  const out = new Float64Array(x.rows);
  for (let s = 0; s < x.rows; s += batchSize) {
    const e = Math.min(x.rows, s + batchSize);
    const r = model.reconstruct(x.sliceRows(s, e), batchSize).data;
    for (let i = s; i < e; i++) {
      let sum = 0;
      const o = (i - s) * d;
      for (let j = 0; j < d; j++) {
        const diff = r[o + j] - x.data[i * d + j];
        sum += diff * diff;
      }
      out[i] = sum / d;
    }
  }
  return out;
}

/**
 * One anomaly score per row of `x` (higher = more anomalous), from `model` in eval mode and row
 * batches: `mse`, or for a VAE `neg_elbo` / `reconstruction` with `samples` draws of z from `rng`.
 */
export function anomalyScores(model: AnomalyModel, x: Tensor, o: AnomalyScoreOptions = {}): Float64Array {
  const fn = 'anomalyScores';
  checkModel(fn, model);
  const input = model instanceof DESOM ? model.ae.options.input : model.options.input;
  expect2d(fn, x, input);
  const allowed = anomalyScoresFor(model);
  const score = o.score ?? allowed[0];
  if (!ANOMALY_SCORES.includes(score)) throw new RangeError(`${fn}: expected score to be one of ${ANOMALY_SCORES.join(', ')}, got ${String(score)}`);
  if (!allowed.includes(score))
    throw new RangeError(`${fn}: score ${score} needs a VAE (the evidence lower bound); a ${modelName(model)} gives ${allowed.join(', ')}`);
  const batchSize = o.batchSize ?? 1024;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: expected batchSize to be a positive integer, got ${batchSize}`);
  const samples = o.samples ?? 1;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new RangeError(`${fn}: expected samples to be a positive integer, got ${samples}`);
  if (x.rows === 0) return new Float64Array(0);
  switch (score) {
    case 'mse':
      return rowMse(model, x, batchSize);
    case 'neg_elbo':
    case 'reconstruction': {
      if (!(o.rng instanceof Rng)) throw new TypeError(`${fn}: score ${score} draws z ~ q(z|x) and needs an rng, got ${String(o.rng)}`);
      const terms = (model as VAE).negElbo(x, o.rng, samples, batchSize);
      return score === 'neg_elbo' ? terms.negElbo : terms.reconstruction;
    }
  }
}

/** The rows of a held-out experiment: those of the normal and anomalous classes, and which are anomalous. */
export interface HeldOutRows {
  /** Indices of the rows kept, ascending. */
  indices: Int32Array;
  /** 1 for a row of an anomalous class (a positive), 0 for a normal one; one per kept row. */
  target: Int32Array;
  /** The kept rows' own labels. */
  labels: Int32Array;
}

function checkClasses(fn: string, name: string, classes: readonly number[]): void {
  if (!Array.isArray(classes) || classes.length === 0) throw new RangeError(`${fn}: expected at least one ${name} class, got ${JSON.stringify(classes)}`);
  for (const c of classes) if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`${fn}: expected ${name} classes to be integers ≥ 0, got ${String(c)}`);
  if (new Set(classes).size !== classes.length) throw new RangeError(`${fn}: expected distinct ${name} classes, got [${classes.join(', ')}]`);
}

/**
 * The rows whose label is one of `normal` or `anomalous` (disjoint lists), each marked anomalous
 * (1) or normal (0). Refuses a class without rows: a held-out experiment needs both kinds.
 */
export function heldOutRows(labels: ArrayLike<number>, normal: readonly number[], anomalous: readonly number[]): HeldOutRows {
  const fn = 'heldOutRows';
  checkClasses(fn, 'normal', normal);
  checkClasses(fn, 'anomalous', anomalous);
  const both = normal.filter((c) => anomalous.includes(c));
  if (both.length > 0) throw new RangeError(`${fn}: expected normal and anomalous classes to be disjoint, got ${both.join(', ')} in both`);
  const role = new Map<number, 0 | 1>([...normal.map((c) => [c, 0] as const), ...anomalous.map((c) => [c, 1] as const)]);
  const seen = new Map<number, number>();
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!role.has(labels[i])) continue;
    idx.push(i);
    seen.set(labels[i], (seen.get(labels[i]) ?? 0) + 1);
  }
  const missing = [...normal, ...anomalous].filter((c) => !seen.has(c));
  if (missing.length > 0)
    throw new RangeError(`${fn}: expected rows of every class named, got none of class ${missing.join(', ')} among the ${labels.length} labels`);
  const indices = Int32Array.from(idx);
  const kept = Int32Array.from(idx, (i) => labels[i]);
  return { indices, target: Int32Array.from(kept, (c) => role.get(c) ?? 0), labels: kept };
}

/** What a held-out experiment measured. */
export interface AnomalyMetrics {
  /** Area under the ROC curve: the probability that an anomalous row scores above a normal one (ties ½). */
  auroc: number;
  /** Average precision Σₖ (Rₖ − Rₖ₋₁)·Pₖ; chance is the anomalous share. */
  averagePrecision: number;
  normal: number;
  anomalous: number;
  /** Per class (ascending): its rows, its mean and median score, and whether it is anomalous. */
  perClass: { label: number; rows: number; mean: number; median: number; anomalous: boolean }[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** AUROC, AP, the counts and each class's mean and median score, from the scores of a held-out experiment's rows. */
export function anomalyMetrics(scores: ArrayLike<number>, rows: HeldOutRows): AnomalyMetrics {
  const fn = 'anomalyMetrics';
  if (scores.length !== rows.target.length) throw new RangeError(`${fn}: expected one score per row (${rows.target.length}), got ${scores.length}`);
  const { auroc, averagePrecision } = rankingMetrics(scores, rows.target);
  const byClass = new Map<number, { values: number[]; anomalous: boolean }>();
  let anomalous = 0;
  for (let i = 0; i < scores.length; i++) {
    const c = rows.labels[i];
    const entry = byClass.get(c) ?? { values: [], anomalous: rows.target[i] === 1 };
    entry.values.push(scores[i]);
    byClass.set(c, entry);
    anomalous += rows.target[i];
  }
  const perClass = [...byClass.entries()]
    .sort(([a], [b]) => a - b)
    .map(([label, e]) => ({
      label,
      rows: e.values.length,
      mean: e.values.reduce((s, v) => s + v, 0) / e.values.length,
      median: median(e.values),
      anomalous: e.anomalous,
    }));
  return { auroc, averagePrecision, normal: scores.length - anomalous, anomalous, perClass };
}

/** The `count` highest-scoring rows (indices into `scores`), most anomalous first; ties keep the lower index first. */
export function topAnomalies(scores: ArrayLike<number>, count: number): Int32Array {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`topAnomalies: expected count to be an integer ≥ 0, got ${count}`);
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : a - b));
  return order.slice(0, Math.min(count, order.length));
}
