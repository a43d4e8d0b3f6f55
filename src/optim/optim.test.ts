import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Linear } from '../nn/linear.js';
import { Parameter } from '../nn/module.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { checkSchedule, scheduledLr } from './schedule.js';
import { SGD } from './sgd.js';

function quadratic(): Parameter {
  return new Parameter('p', Tensor.from([3, -2, 0.5], [3]));
}

/** Minimises ½‖p‖² (gradient p) and returns ‖p‖. */
function minimise(opt: Optimizer, p: Parameter, steps: number): number {
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    p.grad.data.set(p.value.data);
    opt.step();
  }
  return Math.hypot(...p.value.data);
}

test('every optimizer drives a quadratic towards its minimum', () => {
  const makers: [string, (p: Parameter) => Optimizer][] = [
    ['SGD', (p) => new SGD([p], { lr: 0.1 })],
    ['SGD momentum', (p) => new SGD([p], { lr: 0.05, momentum: 0.9 })],
    ['SGD Nesterov', (p) => new SGD([p], { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam', (p) => new Adam([p], { lr: 0.05 })],
    ['AdamW', (p) => new AdamW([p], { lr: 0.05 })],
    ['RMSprop', (p) => new RMSprop([p], { lr: 0.01 })],
  ];
  for (const [name, make] of makers) {
    const p = quadratic();
    const n = minimise(make(p), p, 500);
    assert.ok(n < 0.05, `${name}: ‖p‖ = ${n}`);
  }
});

test('one SGD step with hand-computed numbers', () => {
  const p = new Parameter('p', Tensor.from([1, 2], [2]));
  const opt = new SGD([p], { lr: 0.5, momentum: 0.9, weightDecay: 0.1 });
  p.grad.data.set([1, -1]);
  opt.step();
  // g' = g + 0.1·p = [1.1, −0.8]; first step buf = g'; p − 0.5·buf = [0.45, 2.4]
  assert.ok(Math.abs(p.value.data[0] - 0.45) < 1e-6 && Math.abs(p.value.data[1] - 2.4) < 1e-6);
  p.grad.data.set([0, 0]);
  opt.step();
  // g' = 0.1·p = [0.045, 0.24]; buf = 0.9·[1.1, −0.8] + g' = [1.035, −0.48]; p − 0.5·buf
  assert.ok(Math.abs(p.value.data[0] - (0.45 - 0.5175)) < 1e-6);
  assert.ok(Math.abs(p.value.data[1] - (2.4 + 0.24)) < 1e-6);
});

test('one Adam step moves each weight by lr against the sign of its gradient', () => {
  const p = new Parameter('p', Tensor.from([1, 1, 1], [3]));
  const opt = new Adam([p], { lr: 0.01 });
  p.grad.data.set([5, -0.001, 0]);
  opt.step();
  assert.ok(Math.abs(p.value.data[0] - 0.99) < 1e-6);
  assert.ok(Math.abs(p.value.data[1] - 1.01) < 1e-5);
  assert.equal(p.value.data[2], 1);
});

test('saving and restoring optimizer state continues exactly as if never interrupted', () => {
  for (const make of [
    (ps: Parameter[]) => new Adam(ps, { lr: 0.01 }),
    (ps: Parameter[]) => new SGD(ps, { lr: 0.05, momentum: 0.9 }),
    (ps: Parameter[]) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true }),
  ]) {
    const run = (interrupt: boolean): Float32Array => {
      const l = new Linear(4, 3, { rng: new Rng(1) });
      let opt = make(l.parameters());
      const rng = new Rng(2);
      for (let i = 0; i < 10; i++) {
        if (interrupt && i === 5) {
          const st = opt.stateDict();
          opt = make(l.parameters());
          opt.loadStateDict(st);
        }
        opt.zeroGrad();
        for (const p of l.parameters()) rng.fillNormal(p.grad.data);
        opt.step();
      }
      return l.weight.value.data;
    };
    assert.deepEqual(run(true), run(false));
  }
});

test('optimizers refuse bad options and mismatched state', () => {
  const p = quadratic();
  assert.throws(() => new SGD([p], { lr: -1 }), /SGD: expected lr ≥ 0 \(finite\), got -1/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /SGD: Nesterov momentum needs momentum > 0/);
  assert.throws(() => new Adam([p], { beta1: 1 }), /Adam: expected 0 ≤ beta1 < 1, got 1/);
  assert.throws(() => new Adam([]), /Adam: expected a non-empty array of parameters, got an empty array/);
  assert.throws(() => new Adam([p, p]), /a parameter appears more than once/);
  const st = new SGD([p], { lr: 0.1 }).stateDict();
  assert.throws(() => new Adam([p]).loadStateDict(st), /Adam.loadStateDict: expected state of a Adam, got SGD/);
});

test('learning-rate schedules follow their formulas and validate their options', () => {
  assert.equal(scheduledLr({ type: 'constant' }, 0.1, 7), 0.1);
  assert.ok(Math.abs(scheduledLr({ type: 'step', stepSize: 3, gamma: 0.5 }, 0.1, 7) - 0.025) < 1e-12);
  assert.ok(Math.abs(scheduledLr({ type: 'exponential', gamma: 0.9 }, 1, 2) - 0.81) < 1e-12);
  assert.throws(() => checkSchedule({ type: 'step', stepSize: 0, gamma: 0.5 }), /LrSchedule\(step\): expected stepSize to be a positive integer, got 0/);
  assert.throws(() => checkSchedule({ type: 'cosine' } as never), /LrSchedule\(cosine\): expected a schedule of type constant, step, exponential/);
});
