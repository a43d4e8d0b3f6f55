/**
 * One vocabulary for "a value decaying over t": a learning rate over epochs, a SOM's radius or
 * temperature T over iterations, its learning rate. A decay is a named strategy applied to a
 * starting value; t counts units (epochs, steps, iterations) from 0, and `total` is how many
 * units the decay spans (needed only by the shapes that end somewhere):
 *
 * | type        | value at t                          | used by                                          |
 * |-------------|-------------------------------------|--------------------------------------------------|
 * | constant    | start                               | everything, by default                           |
 * | linear      | start + (end − start)·p             | SOM radius / learning rate                       |
 * | exponential | start·(end/start)^p   given `end`   | SOM T (the DESOM paper: Tmax·(Tmin/Tmax)^(t/tmax)) |
 * |             | start·γᵗ              given `gamma` | learning rate per epoch (PyTorch's ExponentialLR) |
 * | step        | start·γ^⌊t/stepSize⌋                | learning rate (PyTorch's StepLR)                 |
 * | asymptotic  | start / (1 + 2p)                    | MiniSom's x/(1 + t/(T/2))                        |
 *
 * with p = t/total (the paper's Algorithm 1), or p = t/(total − 1) when `reachEnd` is set (the
 * DESOM reference code: the last unit uses exactly `end`). Both exponential forms are the same
 * curve (γ = (end/start)^(1/total)); each is computed as written so results stay bit-for-bit those
 * of the code that used it first.
 */

export type Decay =
  | { readonly type: 'constant' }
  | { readonly type: 'linear'; readonly end: number; readonly reachEnd?: boolean }
  | { readonly type: 'exponential'; readonly end: number; readonly reachEnd?: boolean }
  | { readonly type: 'exponential'; readonly gamma: number }
  | { readonly type: 'step'; readonly stepSize: number; readonly gamma: number }
  | { readonly type: 'asymptotic'; readonly reachEnd?: boolean };

export type DecayType = Decay['type'];
export const DECAY_TYPES: readonly DecayType[] = ['constant', 'linear', 'exponential', 'step', 'asymptotic'];

/** The fraction of the span done at t: t/total, or t/(total − 1) when the decay reaches its end at the last unit. */
export function spanProgress(reachEnd: boolean | undefined, t: number, total: number): number {
  const denom = reachEnd === true ? total - 1 : total;
  return denom > 0 ? t / denom : 0;
}

/** The value of `start` decayed by `d` at unit t of `total` (total is unused by constant, step and exponential-by-gamma). */
export function decayAt(d: Decay, start: number, t: number, total = Infinity): number {
  switch (d.type) {
    case 'constant':
      return start;
    case 'linear':
      return towards('linear', start, d.end, spanProgress(d.reachEnd, t, total));
    case 'asymptotic':
      return towards('asymptotic', start, start, spanProgress(d.reachEnd, t, total));
    case 'exponential':
      return 'gamma' in d ? start * Math.pow(d.gamma, t) : towards('exponential', start, d.end, spanProgress(d.reachEnd, t, total));
    case 'step':
      return start * Math.pow(d.gamma, Math.floor(t / d.stepSize));
    default: {
      const never: never = d;
      throw new RangeError(`decayAt: unknown decay type ${JSON.stringify((never as { type: unknown }).type)}; expected one of ${DECAY_TYPES.join(', ')}`);
    }
  }
}

/** The shapes that run from `start` to an end value over a span. */
export type EndingDecayType = 'constant' | 'linear' | 'exponential' | 'asymptotic';

/**
 * `start` decayed towards `end` by an ending shape at the fraction p of its span done: decayAt's
 * formulas without a Decay object, for callers in a per-sample loop (the classic SOM).
 */
export function towards(type: EndingDecayType, start: number, end: number, p: number): number {
  switch (type) {
    case 'constant':
      return start;
    case 'linear':
      return start + (end - start) * p;
    case 'exponential':
      return start * Math.pow(end / start, p);
    case 'asymptotic':
      return start / (1 + 2 * p);
  }
}

/**
 * Validates a decay of `start`, naming `fn` and the bad field: a known type, finite values, a
 * positive integer stepSize, gamma > 0, and start, end > 0 for the exponential shape by `end`.
 */
export function checkDecayOf(fn: string, d: Decay, start: number): Decay {
  if (!(DECAY_TYPES as readonly string[]).includes(d.type))
    throw new RangeError(`${fn}: unknown decay type ${JSON.stringify(d.type)}; expected one of ${DECAY_TYPES.join(', ')}`);
  if (!Number.isFinite(start)) throw new RangeError(`${fn}: expected a finite start value, got ${start}`);
  if ('end' in d && !Number.isFinite(d.end)) throw new RangeError(`${fn}: expected a finite end value, got ${d.end}`);
  if ('gamma' in d && !(d.gamma > 0 && Number.isFinite(d.gamma))) throw new RangeError(`${fn}: expected gamma > 0, got ${d.gamma}`);
  if (d.type === 'step' && !(Number.isInteger(d.stepSize) && d.stepSize >= 1))
    throw new RangeError(`${fn}: expected stepSize to be a positive integer, got ${d.stepSize}`);
  if (d.type === 'exponential' && 'end' in d && !(start > 0 && d.end > 0))
    throw new RangeError(`${fn}: exponential decay to an end value needs start and end > 0, got ${start}/${d.end}`);
  return d;
}
