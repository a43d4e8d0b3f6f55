/**
 * One entry point over the three trainers, chosen by name (for the CLI and configs):
 * `somSteps(som, x, { algorithm: 'classic' | 'batch' | 'gradient', ...that trainer's options })`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { batchSteps, type BatchSomOptions } from './batch.js';
import { classicSteps, type ClassicSomOptions } from './classic.js';
import { gradientSteps, type GradientSomOptions } from './gradient.js';
import { drive, type SomEvent, type SomFitResult } from './progress.js';
import type { SOM } from './som.js';

export type SomTrainOptions =
  | ({ readonly algorithm: 'classic' } & ClassicSomOptions)
  | ({ readonly algorithm: 'batch' } & BatchSomOptions)
  | ({ readonly algorithm: 'gradient' } & GradientSomOptions);

export const SOM_ALGORITHMS = ['classic', 'batch', 'gradient'] as const;

/** The step-wise generator of the named algorithm. */
export function somSteps(som: SOM, x: Tensor, options: SomTrainOptions): Generator<SomEvent, void, undefined> {
  switch (options.algorithm) {
    case 'classic':
      return classicSteps(som, x, options);
    case 'batch':
      return batchSteps(som, x, options);
    case 'gradient':
      return gradientSteps(som, x, options);
    default: {
      const never: never = options;
      throw new RangeError(
        `somSteps: expected algorithm to be one of ${SOM_ALGORITHMS.join(', ')}, got ${JSON.stringify((never as { algorithm: unknown }).algorithm)}`,
      );
    }
  }
}

/** Trains `som` in place with the named algorithm; returns the epoch events and the final QE. */
export function fitSom(som: SOM, x: Tensor, options: SomTrainOptions, onEvent?: (e: SomEvent) => void): SomFitResult {
  return drive(som, x, somSteps(som, x, options), onEvent);
}
