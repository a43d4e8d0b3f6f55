/**
 * Divergence: a loss or parameter that is no longer a finite number. Training stops at once, the
 * last checkpoint is kept (a checkpoint is never written from non-finite weights) and the run
 * is marked failed with the step and what to try.
 */
import type { Tensor } from '../tensor/tensor.js';

export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    message: string,
    /** The step at which the non-finite value appeared (1-based: steps completed when seen). */
    readonly step: number,
    /** What became non-finite: "loss", "parameter 0.weight", "prototypes", … */
    readonly what: string,
  ) {
    super(message);
  }
}

/** "NaN", "Infinity" or "-Infinity". */
function describe(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

/** Index of the first non-finite entry, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    // v - v is NaN exactly for NaN and ±Infinity: one comparison per entry.
    if (data[i] - data[i] !== 0) return i;
  }
  return -1;
}

export interface DivergenceContext {
  /** The last checkpoint's step, or null when none was written. */
  lastCheckpointStep: number | null;
  /** What to suggest, e.g. "try a lower --lr". */
  hint: string;
}

function message(what: string, value: number, step: number, ctx: DivergenceContext): string {
  const ckpt = ctx.lastCheckpointStep === null ? 'no checkpoint was written' : `last good checkpoint step ${ctx.lastCheckpointStep}`;
  return `${what} became ${describe(value)} at step ${step}; ${ckpt}; ${ctx.hint}`;
}

/** Throws DivergenceError when `value` (a loss, a quantization error …) is not finite. */
export function checkFiniteValue(what: string, value: number, step: number, ctx: DivergenceContext): void {
  if (!Number.isFinite(value)) throw new DivergenceError(message(what, value, step, ctx), step, what);
}

/** Throws DivergenceError naming the first named tensor that holds a non-finite entry. */
export function checkFiniteTensors(tensors: Iterable<[string, Tensor | Float32Array]>, step: number, ctx: DivergenceContext): void {
  for (const [name, t] of tensors) {
    const data = t instanceof Float32Array ? t : t.data;
    const i = firstNonFinite(data);
    if (i >= 0) throw new DivergenceError(message(name, data[i], step, ctx), step, name);
  }
}
