/**
 * Learning-rate schedules: the decays of src/schedule/decay.ts that need no end (the training's
 * length does not fix them), applied to the base rate lr₀ at t = completed epochs (or steps).
 * constant: lr₀; step: lr₀·γ^⌊t/stepSize⌋; exponential: lr₀·γᵗ.
 */
import { checkDecayOf, decayAt, type Decay } from '../schedule/decay.js';

export type LrSchedule = Extract<Decay, { type: 'constant' } | { type: 'step' } | { type: 'exponential'; gamma: number }>;

export const SCHEDULE_TYPES = ['constant', 'step', 'exponential'] as const;

/** Validates a schedule, naming the bad field. */
export function checkSchedule(s: LrSchedule): LrSchedule {
  const fn = `LrSchedule(${String(s.type)})`;
  if (!(SCHEDULE_TYPES as readonly string[]).includes(s.type) || (s.type === 'exponential' && !('gamma' in s)))
    throw new RangeError(`${fn}: expected a schedule of type ${SCHEDULE_TYPES.join(', ')} (exponential by gamma), got ${JSON.stringify(s)}`);
  return checkDecayOf(fn, s, 1) as LrSchedule;
}

/** The learning rate after t completed epochs (or steps) from base rate lr0. */
export function scheduledLr(s: LrSchedule, lr0: number, t: number): number {
  return decayAt(s, lr0, t);
}
