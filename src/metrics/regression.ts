/**
 * Regression metrics, in scikit-learn's argument order (true values first) and meaning: MAE
 * (`mean_absolute_error`), MSE (`mean_squared_error`), RMSE and R² (`r2_score`), summed in float64
 * over every element (a k-output regression counts n·k errors).
 */

/** The regression metrics of one set of predictions. */
export interface RegressionMetrics {
  /** Σ|ŷ − y| / N. */
  mae: number;
  /** Σ(ŷ − y)² / N. */
  mse: number;
  /** √MSE, in the target's unit. */
  rmse: number;
  /** 1 − Σ(ŷ − y)² / Σ(y − ȳ)²: the share of the target's variance explained (NaN for a constant target). */
  r2: number;
}

function checkPair(fn: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) throw new RangeError(`${fn}: expected as many predictions as true values, got ${yPred.length} and ${yTrue.length}`);
  if (yTrue.length === 0) throw new RangeError(`${fn}: expected at least one value, got 0`);
  for (const [name, a] of [
    ['true values', yTrue],
    ['predictions', yPred],
  ] as const) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new RangeError(`${fn}: expected finite ${name}, got ${a[i]} at index ${i}`);
  }
}

/** MAE = Σ|ŷᵢ − yᵢ| / N. */
export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('meanAbsoluteError', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yPred[i] - yTrue[i]);
  return s / yTrue.length;
}

/** MSE = Σ(ŷᵢ − yᵢ)² / N. */
export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('meanSquaredError', yTrue, yPred);
  return sumSquares(yTrue, yPred) / yTrue.length;
}

/** RMSE = √(Σ(ŷᵢ − yᵢ)² / N). */
export function rootMeanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('rootMeanSquaredError', yTrue, yPred);
  return Math.sqrt(sumSquares(yTrue, yPred) / yTrue.length);
}

/** R² = 1 − Σ(ŷᵢ − yᵢ)² / Σ(yᵢ − ȳ)²; NaN when every true value is the same. */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('r2Score', yTrue, yPred);
  return r2Of(yTrue, sumSquares(yTrue, yPred));
}

/** MAE, MSE, RMSE and R² at once. */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  checkPair('regressionMetrics', yTrue, yPred);
  const n = yTrue.length;
  let abs = 0;
  for (let i = 0; i < n; i++) abs += Math.abs(yPred[i] - yTrue[i]);
  const ss = sumSquares(yTrue, yPred);
  return { mae: abs / n, mse: ss / n, rmse: Math.sqrt(ss / n), r2: r2Of(yTrue, ss) };
}

function sumSquares(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yPred[i] - yTrue[i];
    s += d * d;
  }
  return s;
}

function r2Of(yTrue: ArrayLike<number>, ssRes: number): number {
  const n = yTrue.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += yTrue[i];
  m /= n;
  let ssTot = 0;
  for (let i = 0; i < n; i++) ssTot += (yTrue[i] - m) ** 2;
  return ssTot === 0 ? NaN : 1 - ssRes / ssTot;
}
