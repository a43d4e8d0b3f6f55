/**
 * Ranking metrics of a binary score, in scikit-learn's meaning: scores where higher means "more
 * likely positive" (for anomaly detection: more anomalous) and labels 1 (positive: anomalous) or 0
 * (negative: normal). Every distinct score is one threshold t, a row being flagged when its score
 * is ≥ t, so rows with equal scores are flagged together: a tie is one step of the curves, never
 * an order between the tied rows.
 *
 * | name                | formula (P positives, N negatives; TP(t), FP(t) rows flagged at t)      |
 * |---------------------|--------------------------------------------------------------------------|
 * | ROC curve           | FPR(t) = FP(t) / N against TPR(t) = TP(t) / P, from (0, 0) to (1, 1)     |
 * | AUROC               | trapezoid area under it = U / (N·P), U = Σ_{pos i, neg j} [sᵢ > sⱼ] + ½[sᵢ = sⱼ] |
 * | precision, recall   | TP(t) / (TP(t) + FP(t)), TP(t) / P                                        |
 * | average precision   | AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the thresholds, decreasing (R₀ = 0)           |
 *
 * The AUROC is the probability that a random positive scores above a random negative, ties
 * counting ½: the Mann–Whitney U statistic over N·P (Hanley & McNeil 1982). Sums run over integer
 * counts, so the area is exact up to its one final division. scikit-learn: `roc_curve` (with
 * `drop_intermediate=False`), `roc_auc_score`, `precision_recall_curve`, `average_precision_score`.
 */

/** The ROC curve: one point per distinct score, highest first, after the point (0, 0) at threshold +∞ (nothing flagged). */
export interface RocCurve {
  /** FP(t) / N, non-decreasing from 0 to 1. */
  fpr: Float64Array;
  /** TP(t) / P, non-decreasing from 0 to 1. */
  tpr: Float64Array;
  /** +∞, then each distinct score in decreasing order: point k flags the rows scoring ≥ thresholds[k]. */
  thresholds: Float64Array;
}

/** The precision–recall curve: one point per distinct score, highest first (recall non-decreasing to 1). */
export interface PrecisionRecallCurve {
  precision: Float64Array;
  recall: Float64Array;
  /** Each distinct score in decreasing order. */
  thresholds: Float64Array;
}

/** The counts behind both curves: for each distinct score (decreasing), the positives and negatives scoring at least that much. */
interface Counts {
  thresholds: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
  positives: number;
  negatives: number;
}

function check(fn: string, scores: ArrayLike<number>, labels: ArrayLike<number>): { positives: number; negatives: number } {
  if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number')
    throw new TypeError(`${fn}: expected scores to be an array of numbers, got ${scores === null ? 'null' : typeof scores}`);
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number')
    throw new TypeError(`${fn}: expected labels to be an array of 0 and 1, got ${labels === null ? 'null' : typeof labels}`);
  if (scores.length !== labels.length)
    throw new RangeError(`${fn}: expected as many labels as scores, got ${labels.length} labels and ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (typeof s !== 'number' || Number.isNaN(s)) throw new RangeError(`${fn}: expected scores that are numbers, got ${String(s)} at index ${i}`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`${fn}: expected labels 0 (negative, normal) or 1 (positive, anomalous), got ${String(y)} at index ${i}`);
    positives += y;
  }
  return { positives, negatives: scores.length - positives };
}

function needBoth(fn: string, c: { positives: number; negatives: number }): void {
  const n = c.positives + c.negatives;
  if (c.positives === 0)
    throw new RangeError(`${fn}: expected at least one positive (label 1) among the ${n} labels, got none; a ROC curve needs both classes`);
  if (c.negatives === 0)
    throw new RangeError(`${fn}: expected at least one negative (label 0) among the ${n} labels, got none; a ROC curve needs both classes`);
}

function needPositive(fn: string, c: { positives: number; negatives: number }): void {
  if (c.positives === 0)
    throw new RangeError(`${fn}: expected at least one positive (label 1) among the ${c.negatives} labels, got none; recall is undefined without positives`);
}

/** Cumulative TP and FP at each distinct score, highest first (scikit-learn's `_binary_clf_curve`). */
function counts(scores: ArrayLike<number>, labels: ArrayLike<number>, c: { positives: number; negatives: number }): Counts {
  const n = scores.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Explicit comparisons: s[b] − s[a] would be NaN for two equal infinities.
  order.sort((a, b) => (scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0));
  const thresholds: number[] = [];
  const tp: number[] = [];
  const fp: number[] = [];
  let t = 0;
  let f = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (labels[i] === 1) t++;
    else f++;
    // The last row of a run of equal scores closes one threshold.
    if (k === n - 1 || scores[order[k + 1]] !== scores[i]) {
      thresholds.push(scores[i]);
      tp.push(t);
      fp.push(f);
    }
  }
  return { thresholds: Float64Array.from(thresholds), tp: Float64Array.from(tp), fp: Float64Array.from(fp), ...c };
}

/** The ROC curve of `scores` (higher = more positive) against binary `labels`: FPR and TPR at every distinct threshold. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const fn = 'rocCurve';
  const c = check(fn, scores, labels);
  needBoth(fn, c);
  const k = counts(scores, labels, c);
  const m = k.thresholds.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Infinity;
  for (let j = 1; j < m; j++) {
    fpr[j] = k.fp[j - 1] / k.negatives;
    tpr[j] = k.tp[j - 1] / k.positives;
    thresholds[j] = k.thresholds[j - 1];
  }
  return { fpr, tpr, thresholds };
}

/** AUROC = ½ Σₖ (FPₖ − FPₖ₋₁)(TPₖ + TPₖ₋₁) / (N·P): the trapezoid area on integer counts, equal to U / (N·P). */
function aucOf(k: Counts): number {
  let twice = 0;
  let tp0 = 0;
  let fp0 = 0;
  for (let j = 0; j < k.thresholds.length; j++) {
    twice += (k.fp[j] - fp0) * (k.tp[j] + tp0);
    tp0 = k.tp[j];
    fp0 = k.fp[j];
  }
  return twice / (2 * k.positives * k.negatives);
}

/** AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ: each threshold's precision weighted by the recall it adds. */
function apOf(k: Counts): number {
  let ap = 0;
  let tp0 = 0;
  for (let j = 0; j < k.thresholds.length; j++) {
    ap += ((k.tp[j] - tp0) / k.positives) * (k.tp[j] / (k.tp[j] + k.fp[j]));
    tp0 = k.tp[j];
  }
  return ap;
}

/**
 * The area under the ROC curve: the probability that a positive scores above a negative, ties
 * counting ½ (Mann–Whitney U / (N·P)); 1 ranks every positive first, ½ is chance.
 */
export function rocAucScore(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const fn = 'rocAucScore';
  const c = check(fn, scores, labels);
  needBoth(fn, c);
  return aucOf(counts(scores, labels, c));
}

/** Precision TP/(TP + FP) and recall TP/P at every distinct threshold, highest first. Needs a positive; negatives may be absent (precision 1). */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrecisionRecallCurve {
  const fn = 'precisionRecallCurve';
  const c = check(fn, scores, labels);
  needPositive(fn, c);
  const k = counts(scores, labels, c);
  const precision = new Float64Array(k.thresholds.length);
  const recall = new Float64Array(k.thresholds.length);
  for (let j = 0; j < k.thresholds.length; j++) {
    precision[j] = k.tp[j] / (k.tp[j] + k.fp[j]);
    recall[j] = k.tp[j] / k.positives;
  }
  return { precision, recall, thresholds: k.thresholds };
}

/**
 * Average precision, AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the thresholds in decreasing order (R₀ = 0): the
 * area under the precision–recall curve as a step function, without interpolation (scikit-learn's
 * `average_precision_score`). Chance level is the share of positives P / (N + P), not ½.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const fn = 'averagePrecision';
  const c = check(fn, scores, labels);
  needPositive(fn, c);
  return apOf(counts(scores, labels, c));
}

/** AUROC and average precision from one sort (both classes needed). */
export function rankingMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): { auroc: number; averagePrecision: number } {
  const fn = 'rankingMetrics';
  const c = check(fn, scores, labels);
  needBoth(fn, c);
  const k = counts(scores, labels, c);
  return { auroc: aucOf(k), averagePrecision: apOf(k) };
}
