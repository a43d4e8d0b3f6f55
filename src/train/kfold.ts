/**
 * k-fold cross-validation, as the deep-learning course describes it: split the data into k
 * parts, train k models each on k − 1 parts and validate it on the remaining one, then report the
 * mean and the standard deviation of the k validation scores (an estimate of the score and of its
 * spread). `foldIndices` makes the folds (plain, or stratified by class), `crossValidate` runs a
 * train-and-evaluate function on each, `summarizeFolds` gives every metric's mean ± std.
 */
import { kFold } from '../data/transforms.js';
import type { Rng } from '../random.js';
import { describe, type Description } from '../stats/summary.js';

/** One fold: the rows to train on and the rows to validate on (ascending row indices, disjoint, together every row). */
export interface Fold {
  /** 0-based. */
  readonly index: number;
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

export interface FoldOptions {
  /** Class of each row: stratified folds, each class spread over the folds as evenly as its size allows. */
  labels?: ArrayLike<number>;
}

/**
 * The k folds of rows 0 … n−1, drawn from `rng`. Plain: one shuffle cut into k parts whose sizes
 * differ by at most 1 (`kFold`). Stratified (`labels`): each class's rows shuffled, the classes
 * laid end to end (ascending label) and dealt to the folds in turn, so a class's count differs by
 * at most 1 between folds, and so does the folds' size.
 */
export function foldIndices(n: number, k: number, rng: Rng, o: FoldOptions = {}): Fold[] {
  const fn = 'foldIndices';
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`${fn}: expected at least 2 rows, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`${fn}: expected an integer 2 ≤ k ≤ n = ${n}, got k = ${k}`);
  const sorted = (a: Int32Array): Int32Array => a.slice().sort();
  if (o.labels === undefined) return kFold(n, k, rng).map((f, index) => ({ index, train: sorted(f.train), validation: sorted(f.test) }));
  const labels = o.labels;
  if (labels.length !== n) throw new RangeError(`${fn}: expected ${n} labels (one per row), got ${labels.length}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c)) throw new RangeError(`${fn}: expected integer labels, got ${c} at row ${i}`);
    const rows = byClass.get(c);
    if (rows === undefined) byClass.set(c, [i]);
    else rows.push(i);
  }
  const fold = new Int32Array(n);
  let dealt = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(c) as number[];
    for (const j of rng.permutation(rows.length)) fold[rows[j]] = dealt++ % k;
  }
  return Array.from({ length: k }, (_, index) => {
    const validation: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === index ? validation : train).push(i);
    return { index, train: Int32Array.from(train), validation: Int32Array.from(validation) };
  });
}

/** What one fold's training and validation gave. */
export interface FoldResult {
  readonly fold: number;
  readonly trainRows: number;
  readonly validationRows: number;
  /** Named scores on the fold's validation rows (accuracy, loss, mae, …). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Per-fold results and, for every metric, its mean, sample standard deviation (ddof = 1), min and max over the folds. */
export interface CrossValidation {
  readonly k: number;
  readonly folds: readonly FoldResult[];
  readonly summary: Readonly<Record<string, Description>>;
}

/** Every metric the folds share, described over the folds (`describe`: mean, std with ddof = 1, min, max). */
export function summarizeFolds(folds: readonly FoldResult[]): Record<string, Description> {
  const fn = 'summarizeFolds';
  if (folds.length === 0) throw new RangeError(`${fn}: expected at least one fold result, got 0`);
  const names = Object.keys(folds[0].metrics);
  for (const f of folds) {
    const keys = Object.keys(f.metrics);
    if (keys.length !== names.length || !names.every((k) => k in f.metrics))
      throw new RangeError(`${fn}: expected every fold to report ${names.join(', ')}, got ${keys.join(', ')} for fold ${f.fold}`);
  }
  const out: Record<string, Description> = {};
  for (const name of names) {
    const values = folds.map((f) => f.metrics[name]);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${fn}: expected finite values of ${name}, got ${values[bad]} for fold ${folds[bad].fold}`);
    out[name] = describe(values);
  }
  return out;
}

export interface CrossValidateOptions {
  /** Rows of the data. */
  rows: number;
  /** Folds, 2 ≤ k ≤ rows. */
  k: number;
  /** Draws the folds, then one fork per fold (in fold order) handed to `run`. */
  rng: Rng;
  /** Stratify the folds by these classes. */
  labels?: ArrayLike<number>;
  /** Trains a fresh model on `fold.train` and returns its scores on `fold.validation`. */
  run: (fold: Fold, rng: Rng) => Record<string, number>;
}

/** Runs `run` on each of the k folds and summarises the scores (mean ± std over the folds). */
export function crossValidate(o: CrossValidateOptions): CrossValidation {
  const folds = foldIndices(o.rows, o.k, o.rng, { labels: o.labels });
  const rngs = folds.map(() => o.rng.fork());
  const results = folds.map((f, i): FoldResult => ({
    fold: f.index,
    trainRows: f.train.length,
    validationRows: f.validation.length,
    metrics: o.run(f, rngs[i]),
  }));
  return { k: o.k, folds: results, summary: summarizeFolds(results) };
}
