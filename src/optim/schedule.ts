/**
 * Learning-rate schedules as named strategies: lr(t) for t = completed epochs (or steps).
 * constant: lr₀; step: lr₀·γ^⌊t/stepSize⌋; exponential: lr₀·γᵗ.
 */

export type LrSchedule =
  | { readonly type: 'constant' }
  | { readonly type: 'step'; readonly stepSize: number; readonly gamma: number }
  | { readonly type: 'exponential'; readonly gamma: number };

export const SCHEDULE_TYPES = ['constant', 'step', 'exponential'] as const;

/** Validates a schedule, naming the bad field. */
export function checkSchedule(s: LrSchedule): LrSchedule {
  switch (s.type) {
    case 'constant':
      return s;
    case 'step':
      if (!Number.isInteger(s.stepSize) || s.stepSize < 1)
        throw new RangeError(`LrSchedule(step): expected stepSize to be a positive integer, got ${s.stepSize}`);
      if (!(s.gamma > 0 && Number.isFinite(s.gamma))) throw new RangeError(`LrSchedule(step): expected gamma > 0, got ${s.gamma}`);
      return s;
    case 'exponential':
      if (!(s.gamma > 0 && Number.isFinite(s.gamma))) throw new RangeError(`LrSchedule(exponential): expected gamma > 0, got ${s.gamma}`);
      return s;
    default: {
      const never: never = s;
      throw new RangeError(`LrSchedule: unknown type ${JSON.stringify((never as { type: unknown }).type)}; expected one of ${SCHEDULE_TYPES.join(', ')}`);
    }
  }
}

/** The learning rate after t completed epochs (or steps) from base rate lr0. */
export function scheduledLr(s: LrSchedule, lr0: number, t: number): number {
  switch (s.type) {
    case 'constant':
      return lr0;
    case 'step':
      return lr0 * Math.pow(s.gamma, Math.floor(t / s.stepSize));
    case 'exponential':
      return lr0 * Math.pow(s.gamma, t);
  }
}
