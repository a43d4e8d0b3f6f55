/**
 * What the three SOM trainers share: the radius / temperature schedule options and the progress
 * events their step-wise generators yield (a CLI progress bar and the explorer's animation read
 * the same stream), and the driver behind each `fit…` function.
 */
import type { Tensor } from '../tensor/tensor.js';
import { quantizationError } from './analysis.js';
import { checkDecay, type DecayKind, type DecaySchedule } from './decay.js';
import { NEIGHBORHOOD_KINDS, type NeighborhoodKind } from './neighborhood.js';
import type { SOM } from './som.js';

export type SomAlgorithm = 'classic' | 'batch' | 'gradient';

/** Neighbourhood and radius schedule; defaults are seed 000's (Gaussian, Tmax 8, Tmin 0.1, exponential, t/total). */
export interface SomRadiusOptions {
  neighborhood?: NeighborhoodKind;
  /** Initial radius / temperature (default 8). */
  Tmax?: number;
  /** Final radius / temperature (default 0.1). */
  Tmin?: number;
  /** How T goes from Tmax to Tmin (default 'exponential'). */
  decay?: DecayKind;
  /** true: T reaches Tmin at the last iteration (t/(total−1), the DESOM code); default false (t/total, the paper). */
  reachEnd?: boolean;
}

/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- the casts widen the frozen literals to the option unions (the rule only checks Object.freeze accepts the literal) */
export const RADIUS_DEFAULTS = Object.freeze({
  neighborhood: 'gaussian' as NeighborhoodKind,
  Tmax: 8,
  Tmin: 0.1,
  decay: 'exponential' as DecayKind,
  reachEnd: false,
});
/* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */

/** Progress after some iterations (classic: samples presented; gradient: minibatch steps). */
export interface SomStepEvent {
  readonly type: 'step';
  readonly algorithm: SomAlgorithm;
  /** Iterations completed so far (1 after the first). */
  readonly iteration: number;
  readonly totalIterations: number;
  /** 0-based pass over the data this iteration belongs to. */
  readonly epoch: number;
  /** Radius / temperature used by the last iteration. */
  readonly T: number;
  /** Learning rate used by the last iteration (null for the batch algorithm, which has none). */
  readonly lr: number | null;
  /** Gradient SOM: the minibatch's Lsom (mean over the batch of Σₖ wᵢₖ‖xᵢ − mₖ‖²) before the update. */
  readonly loss?: number;
  /** Milliseconds since the previous event. */
  readonly ms: number;
}

/** End of a pass over the data (the batch algorithm's iterations are epochs). */
export interface SomEpochEvent {
  readonly type: 'epoch';
  readonly algorithm: SomAlgorithm;
  readonly epoch: number;
  readonly iteration: number;
  readonly totalIterations: number;
  readonly T: number;
  readonly lr: number | null;
  /** Quantization error after this epoch, when computed (see qeEvery). */
  readonly qe?: number;
  /** Gradient SOM: mean minibatch Lsom over the epoch. */
  readonly loss?: number;
  /** Milliseconds the epoch took (evaluation included). */
  readonly ms: number;
}

export type SomEvent = SomStepEvent | SomEpochEvent;

export interface SomFitResult {
  readonly iterations: number;
  readonly epochs: readonly SomEpochEvent[];
  /** Quantization error (mean Euclidean distance to the BMU) on the training data after training. */
  readonly qe: number;
  readonly ms: number;
}

/** Resolves the neighbourhood and the T schedule, naming the bad option. */
export function resolveRadius(fn: string, o: SomRadiusOptions): { neighborhood: NeighborhoodKind; T: DecaySchedule } {
  const neighborhood = o.neighborhood ?? RADIUS_DEFAULTS.neighborhood;
  if (!NEIGHBORHOOD_KINDS.includes(neighborhood)) {
    throw new RangeError(
      `${fn}: expected neighborhood to be one of ${NEIGHBORHOOD_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(neighborhood)}`,
    );
  }
  const T: DecaySchedule = {
    decay: o.decay ?? RADIUS_DEFAULTS.decay,
    start: o.Tmax ?? RADIUS_DEFAULTS.Tmax,
    end: o.Tmin ?? RADIUS_DEFAULTS.Tmin,
    reachEnd: o.reachEnd ?? false,
  };
  checkDecay(fn, T, 'Tmax/Tmin');
  if (!(T.start > 0)) throw new RangeError(`${fn}: expected Tmax > 0, got ${T.start}`);
  if (!(T.end > 0) && T.decay !== 'constant' && T.decay !== 'asymptotic') throw new RangeError(`${fn}: expected Tmin > 0, got ${T.end}`);
  return { neighborhood, T };
}

/** Checks a non-negative integer option (undefined passes). */
export function checkCount(fn: string, name: string, v: number | undefined, min = 0): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}, got ${v}`);
}

/** Whether the epoch (0-based) ends with a QE evaluation: every qeEvery epochs and the last one (qeEvery 0 = never). */
export function wantsQe(qeEvery: number, epoch: number, lastEpoch: boolean): boolean {
  return qeEvery > 0 && ((epoch + 1) % qeEvery === 0 || lastEpoch);
}

/** Runs a trainer's generator to the end, then measures the final QE. */
export function drive(som: SOM, x: Tensor, steps: Generator<SomEvent, void, undefined>, onEvent?: (e: SomEvent) => void): SomFitResult {
  const t0 = performance.now();
  const epochs: SomEpochEvent[] = [];
  let iterations = 0;
  for (const e of steps) {
    iterations = e.iteration;
    if (e.type === 'epoch') epochs.push(e);
    onEvent?.(e);
  }
  const last = epochs.at(-1);
  const qe = last?.qe ?? quantizationError(som, x);
  return { iterations, epochs, qe, ms: performance.now() - t0 };
}
