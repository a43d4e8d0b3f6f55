/**
 * The one minibatch iterator: which rows each optimisation step takes. The training loop
 * (`trainSteps`), the gradient and classic SOMs and DESOM all walk their data with it, so the
 * order, the short last batch, the wrapping and the random draws are the same everywhere.
 *
 * A pass (epoch) covers every row once in batches of `batchSize` (the last one shorter when
 * batchSize does not divide the rows); passes follow one another until `steps` batches have been
 * taken. Order 'sequential' takes rows in order; 'shuffle' draws a fresh permutation of the rows
 * from `rng` as each pass begins (exactly the draws of `rng.permutation(rows)`, into one reused
 * buffer). Resuming (`startStep` = N) draws the permutations of the passes already begun again and
 * drops them, so the batches from step N on, and the state `rng` is left in, are those of the
 * uninterrupted run.
 */
import type { Rng } from '../random.js';

export type MinibatchOrder = 'sequential' | 'shuffle';

export interface MinibatchOptions {
  /** Rows of the data (at least 1). */
  rows: number;
  /** Rows per batch (at least 1); a batch never holds more than `rows`. */
  batchSize: number;
  /** Batches in the whole run (passes wrap round until then). */
  steps: number;
  order: MinibatchOrder;
  /** Draws each pass's permutation (order 'shuffle'); pass it in its state at step 0, also to resume. */
  rng?: Rng;
  /** Steps already done (resume; default 0): the first batch yielded is this step's. */
  startStep?: number;
}

/** One step's batch: positions start … end−1 of its pass's order. */
export interface Minibatch {
  /** Global step index, 0-based. */
  readonly step: number;
  /** 0-based pass over the data. */
  readonly epoch: number;
  /** 0-based index of the batch within its pass. */
  readonly batch: number;
  readonly start: number;
  readonly end: number;
  /** Rows in this batch (end − start). */
  readonly size: number;
  /** The pass's permutation (order 'shuffle'; a buffer overwritten at the next pass), or null: rows start … end−1 in order. */
  readonly order: Int32Array | null;
  /** Last batch of its pass, or of the run. */
  readonly endOfEpoch: boolean;
}

/** Batches per pass over `rows` rows (a batch size above the row count is one batch). */
export function batchesPerEpoch(rows: number, batchSize: number): number {
  return Math.ceil(rows / Math.min(batchSize, rows));
}

function checkInt(name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new RangeError(`minibatches: expected ${name} to be an integer ≥ ${min}, got ${String(v)}`);
}

/** Yields the batches of steps startStep … steps−1 (see the file's comment). */
export function* minibatches(o: MinibatchOptions): Generator<Minibatch, void, undefined> {
  checkInt('rows', o.rows, 1);
  checkInt('batchSize', o.batchSize, 1);
  checkInt('steps', o.steps, 0);
  checkInt('startStep', o.startStep ?? 0, 0);
  if (o.order !== 'sequential' && o.order !== 'shuffle')
    throw new RangeError(`minibatches: expected order 'sequential' or 'shuffle', got ${JSON.stringify(o.order)}`);
  if (o.order === 'shuffle' && o.rng === undefined) throw new RangeError("minibatches: order 'shuffle' needs an rng");
  const n = o.rows;
  const bs = Math.min(o.batchSize, n);
  const perEpoch = Math.ceil(n / bs);
  const steps = o.steps;
  const rng = o.order === 'shuffle' ? (o.rng as Rng) : null;
  const perm = rng === null ? null : new Int32Array(n);
  const draw = (): void => {
    if (rng === null || perm === null) return;
    for (let i = 0; i < n; i++) perm[i] = i;
    rng.shuffle(perm);
  };
  const start = Math.min(o.startStep ?? 0, steps);
  // Resume: every pass begun before `start` drew its permutation; the one under way is kept.
  for (let e = Math.ceil(start / perEpoch); e > 0; e--) draw();
  for (let step = start; step < steps; step++) {
    const b = step % perEpoch;
    if (b === 0) draw();
    const s = b * bs;
    const e = Math.min(n, s + bs);
    yield { step, epoch: (step - b) / perEpoch, batch: b, start: s, end: e, size: e - s, order: perm, endOfEpoch: b === perEpoch - 1 || step === steps - 1 };
  }
}

/**
 * The batch's rows of `data` (`cols` values a row): a view into data for a sequential batch,
 * otherwise gathered into `buf` (room for a full batch) and a view of its first rows.
 */
export function batchRows(data: Float32Array, cols: number, mb: Minibatch, buf: Float32Array): Float32Array;
export function batchRows(data: Int32Array, cols: number, mb: Minibatch, buf: Int32Array): Int32Array;
export function batchRows(data: Float32Array | Int32Array, cols: number, mb: Minibatch, buf: Float32Array | Int32Array): Float32Array | Int32Array {
  const p = mb.order;
  if (p === null) return data.subarray(mb.start * cols, mb.end * cols);
  for (let i = mb.start; i < mb.end; i++) buf.set(data.subarray(p[i] * cols, (p[i] + 1) * cols), (i - mb.start) * cols);
  return buf.subarray(0, mb.size * cols);
}
