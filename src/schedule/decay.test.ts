import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDecayOf, decayAt, type Decay } from './decay.js';

test('each decay follows its formula (hand-computed values)', () => {
  assert.equal(decayAt({ type: 'constant' }, 3, 5, 10), 3);
  assert.equal(decayAt({ type: 'linear', end: 1 }, 3, 5, 10), 2);
  assert.equal(decayAt({ type: 'linear', end: 1, reachEnd: true }, 3, 9, 10), 1);
  assert.ok(Math.abs(decayAt({ type: 'exponential', end: 0.1 }, 10, 5, 10) - 1) < 1e-12);
  assert.ok(Math.abs(decayAt({ type: 'exponential', gamma: 0.9 }, 1, 2) - 0.81) < 1e-12);
  assert.ok(Math.abs(decayAt({ type: 'step', stepSize: 3, gamma: 0.5 }, 0.1, 7) - 0.025) < 1e-12);
  assert.equal(decayAt({ type: 'asymptotic' }, 3, 5, 10), 1.5);
});

test('the two exponential forms are the same curve when gamma = (end/start)^(1/total)', () => {
  const start = 10;
  const end = 0.1;
  const total = 20;
  const gamma = Math.pow(end / start, 1 / total);
  for (const t of [0, 1, 7, 20]) {
    const byEnd = decayAt({ type: 'exponential', end }, start, t, total);
    const byGamma = decayAt({ type: 'exponential', gamma }, start, t);
    assert.ok(Math.abs(byEnd - byGamma) <= 1e-12 * start, `t=${t}: ${byEnd} vs ${byGamma}`);
  }
});

test('checkDecayOf names the function, the field and the value', () => {
  assert.throws(() => checkDecayOf('f', { type: 'cosine' } as unknown as Decay, 1), /f: unknown decay type "cosine"; expected one of constant, linear/);
  assert.throws(() => checkDecayOf('f', { type: 'step', stepSize: 0.5, gamma: 0.5 }, 1), /f: expected stepSize to be a positive integer, got 0.5/);
  assert.throws(() => checkDecayOf('f', { type: 'exponential', gamma: -1 }, 1), /f: expected gamma > 0, got -1/);
  assert.throws(() => checkDecayOf('f', { type: 'exponential', end: 0 }, 1), /f: exponential decay to an end value needs start and end > 0, got 1\/0/);
  assert.throws(() => checkDecayOf('f', { type: 'linear', end: NaN }, 1), /f: expected a finite end value, got NaN/);
  assert.deepEqual(checkDecayOf('f', { type: 'linear', end: 0 }, 1), { type: 'linear', end: 0 });
});
