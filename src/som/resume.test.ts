/**
 * startIteration: a trainer stopped after any yielded event and restarted from the prototypes,
 * optimizer state and start-of-training RNG state of that moment ends with exactly the
 * prototypes of the run left alone (the CLI's checkpoints rely on this).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { somSteps, type SomTrainOptions } from './fit.js';
import { SOM } from './som.js';

/** 150 random 5-D points in [0, 1). */
function data(): Tensor {
  const rng = new Rng(11);
  return Tensor.fromRows(Array.from({ length: 150 }, () => Array.from({ length: 5 }, () => rng.uniform())));
}

function freshSom(x: Tensor): SOM {
  return SOM.create(x, { rows: 3, cols: 4, rng: new Rng(5) });
}

type Make = (som: SOM, startIteration: number, rng: Rng, optimizer?: Adam) => SomTrainOptions;

/** Runs to the end; and stops after the event at `stopAt`, then resumes from a copy of that state. */
function compare(make: Make, stopAt: number, withOptimizer: boolean): void {
  const x = data();
  const alone = freshSom(x);
  const optAlone = withOptimizer ? new Adam([alone.parameter], { lr: 0.01 }) : undefined;
  for (const _e of somSteps(alone, x, make(alone, 0, new Rng(9), optAlone)));

  const first = freshSom(x);
  const opt1 = withOptimizer ? new Adam([first.parameter], { lr: 0.01 }) : undefined;
  let stoppedAt = -1;
  for (const e of somSteps(first, x, make(first, 0, new Rng(9), opt1))) {
    if (e.iteration >= stopAt) {
      stoppedAt = e.iteration;
      break;
    }
  }
  assert.ok(stoppedAt > 0);
  // What a checkpoint holds: the prototypes, the optimizer state, the RNG at the start of training.
  const second = new SOM(first.topology, first.prototypes.clone());
  let opt2: Adam | undefined;
  if (opt1 !== undefined) {
    opt2 = new Adam([second.parameter], { lr: 0.01 });
    opt2.loadStateDict(opt1.stateDict());
  }
  for (const _e of somSteps(second, x, make(second, stoppedAt, new Rng(9), opt2)));
  assert.notDeepEqual(first.prototypes.data, alone.prototypes.data, 'the first part stopped early');
  assert.deepEqual(second.prototypes.data, alone.prototypes.data);
}

test('classic SOM resumed mid-epoch with startIteration ends with the prototypes of the run left alone', () => {
  compare((_s, startIteration, rng) => ({ algorithm: 'classic', rng, epochs: 4, reportEvery: 37, Tmax: 2, Tmin: 0.5, startIteration }), 222, false);
});

test('classic SOM resumed at an epoch boundary ends with the same prototypes', () => {
  compare((_s, startIteration, rng) => ({ algorithm: 'classic', rng, epochs: 4, reportEvery: 50, startIteration }), 300, false);
});

test('batch SOM resumed with startIteration ends with the same prototypes', () => {
  compare((_s, startIteration) => ({ algorithm: 'batch', epochs: 8, Tmax: 2, Tmin: 0.5, startIteration }), 3, false);
});

test('gradient SOM (shuffled batches, Adam) resumed with startIteration ends with the same prototypes', () => {
  compare(
    (_s, startIteration, rng, optimizer) => ({ algorithm: 'gradient', order: 'shuffle', rng, iterations: 60, batchSize: 32, optimizer, startIteration }),
    23,
    true,
  );
});

test('startIteration beyond the end is refused, naming the total', () => {
  const x = data();
  const som = freshSom(x);
  assert.throws(
    () => somSteps(som, x, { algorithm: 'batch', epochs: 3, startIteration: 4 }).next(),
    /batchSteps: expected startIteration ≤ 3 \(the number of epochs\), got 4/,
  );
  assert.throws(
    () => somSteps(som, x, { algorithm: 'classic', rng: new Rng(0), epochs: 1, startIteration: 151 }).next(),
    /classicSteps: expected startIteration ≤ 150/,
  );
  assert.throws(
    () => somSteps(som, x, { algorithm: 'gradient', iterations: 5, startIteration: -1 }).next(),
    /gradientSteps: expected startIteration to be an integer ≥ 0, got -1/,
  );
});
