/**
 * The SOM's decays of the radius / temperature T and the learning rate over the iterations: the
 * shapes of src/schedule/decay.ts that run from a start to an end value over the training, named
 * as the SOM configs name them (`decay: 'exponential'`, with `start` and `end` beside it).
 * With p = t/total (the paper's Algorithm 1) or p = t/(total − 1) (`reachEnd`, the DESOM
 * reference code, so the last iteration uses exactly `end`):
 *
 * - exponential  start·(end/start)^p     the DESOM paper: T = Tmax·(Tmin/Tmax)^(t/tmax)
 * - linear       start + (end − start)·p
 * - constant     start
 * - asymptotic   start / (1 + 2p)        MiniSom's x/(1 + t/(T/2)); `end` is not used
 */
import { spanProgress, towards, type EndingDecayType } from '../schedule/decay.js';

/** The SOM configs' names of the ending shapes. */
export type DecayKind = EndingDecayType;
export const DECAY_KINDS: readonly DecayKind[] = ['exponential', 'linear', 'constant', 'asymptotic'];

/** A decaying quantity: from `start` at t = 0 towards `end`. */
export interface DecaySchedule {
  readonly decay: DecayKind;
  readonly start: number;
  readonly end: number;
  /** true: p = t/(total − 1), reaching `end` at the last iteration (DESOM code); false: p = t/total (paper). */
  readonly reachEnd?: boolean;
}

/** Validates a schedule; `what` names the quantity in messages (e.g. "Tmax/Tmin"). */
export function checkDecay(fn: string, s: DecaySchedule, what = 'start/end'): DecaySchedule {
  if (!(DECAY_KINDS as readonly string[]).includes(s.decay)) {
    throw new RangeError(`${fn}: expected decay to be one of ${DECAY_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(s.decay)}`);
  }
  if (!Number.isFinite(s.start) || !Number.isFinite(s.end)) throw new RangeError(`${fn}: expected finite ${what}, got ${s.start}/${s.end}`);
  if (s.decay === 'exponential' && !(s.start > 0 && s.end > 0)) {
    throw new RangeError(`${fn}: exponential decay needs ${what} > 0, got ${s.start}/${s.end}`);
  }
  return s;
}

/** The scheduled value at iteration t (0-based) of `total`. */
export function decayValue(s: DecaySchedule, t: number, total: number): number {
  return towards(s.decay, s.start, s.end, spanProgress(s.reachEnd, t, total));
}
