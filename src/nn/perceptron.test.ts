import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { Perceptron, fitPerceptron, perceptronSteps, type PerceptronEpochEvent } from './perceptron.js';

const GATE_X = Tensor.fromRows([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const AND = Int32Array.from([0, 0, 0, 1]);
const OR = Int32Array.from([0, 1, 1, 1]);
const XOR = Int32Array.from([0, 1, 1, 0]);

test('the rule on AND, by hand: rows in order, zero start, α = 1', () => {
  // Epoch 1: only (1,1) is wrong (score 0 → 0, y = 1): w = (0,0) + (1,1) = (1,1), b = 0 + 1 = 1.
  // Epoch 2: (0,0) scores b = 1 → 1, y = 0: b = 0; (0,1) scores 1 → 1: w = (1,0), b = −1;
  // (1,0) scores 0 → 0, right; (1,1) scores 0 → 0, y = 1: w = (2,1), b = 0.
  const p = new Perceptron(2);
  const steps = [...perceptronSteps(p, GATE_X, AND, { shuffle: false, maxEpochs: 2 })];
  const epochs = steps.filter((e): e is PerceptronEpochEvent => e.type === 'epoch');
  assert.deepEqual(
    epochs.map((e) => [e.mistakes, e.weights, e.bias]),
    [
      [1, [1, 1], 1],
      [3, [2, 1], 0],
    ],
  );
  const firstEpoch = steps.slice(0, 4).map((e) => (e.type === 'step' ? [e.row, e.output, e.error] : null));
  assert.deepEqual(firstEpoch, [
    [0, 0, 0],
    [1, 0, 0],
    [2, 0, 0],
    [3, 0, 1],
  ]);
});

test('AND in row order converges after 6 epochs at w = (2, 1), b = −2 (10 updates)', () => {
  // Epochs 3–5 by hand: (2,0),−1 → (1,0),−2 → (2,1),−1 [3 mistakes]; (1,1),−2 → (2,2),−1 [2];
  // (2,1),−2 [1]; epoch 6 makes no mistake.
  const p = new Perceptron(2);
  const r = fitPerceptron(p, GATE_X, AND, { shuffle: false });
  assert.deepEqual(r, { converged: true, epochs: 6, updates: 10, mistakes: [1, 3, 3, 2, 1, 0] });
  assert.deepEqual([...p.weights], [2, 1]);
  assert.equal(p.bias, -2);
  assert.deepEqual(p.predict(GATE_X), AND);
});

test('the learning rate scales the weights but not the decisions from a zero start', () => {
  const a = new Perceptron(2);
  const b = new Perceptron(2);
  const ra = fitPerceptron(a, GATE_X, OR, { shuffle: false });
  const rb = fitPerceptron(b, GATE_X, OR, { shuffle: false, lr: 0.5 });
  assert.deepEqual(rb, ra);
  assert.deepEqual(
    [...b.weights],
    [...a.weights].map((w) => w / 2),
  );
  assert.equal(b.bias, a.bias / 2);
});

test('linearly separable data: converges with every row right; XOR never does', () => {
  const rng = new Rng(3);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 200; i++) {
    const c = i % 2;
    // Two blobs whose centres are 4 apart along (1, 1), std 0.5: a margin of several std.
    rows.push([rng.normal(c === 0 ? -1.4 : 1.4, 0.5), rng.normal(c === 0 ? -1.4 : 1.4, 0.5)]);
    labels.push(c);
  }
  const x = Tensor.fromRows(rows);
  const y = Int32Array.from(labels);
  const p = new Perceptron(2);
  const r = fitPerceptron(p, x, y, { rng: new Rng(0), maxEpochs: 100 });
  assert.equal(r.converged, true);
  assert.equal(r.mistakes.at(-1), 0);
  assert.deepEqual(p.predict(x), y);

  for (const gate of [AND, OR]) assert.equal(fitPerceptron(new Perceptron(2), GATE_X, gate, { rng: new Rng(1) }).converged, true);
  const xor = fitPerceptron(new Perceptron(2), GATE_X, XOR, { rng: new Rng(1), maxEpochs: 50 });
  assert.equal(xor.converged, false);
  assert.equal(xor.epochs, 50);
  assert.ok(xor.mistakes.every((m) => m > 0));
});

test('the same seed gives the same weights; another seed another order', () => {
  const run = (seed: number) => {
    const p = new Perceptron(2);
    const r = fitPerceptron(p, GATE_X, AND, { rng: new Rng(seed) });
    return { r, w: [...p.weights, p.bias] };
  };
  assert.deepEqual(run(5), run(5));
  const orders = new Set([0, 1, 2, 3, 4, 5].map((s) => JSON.stringify(run(s))));
  assert.ok(orders.size > 1);
});

test('bad input is refused naming the function, the value and what was expected', () => {
  assert.throws(() => new Perceptron(0), /Perceptron: expected a positive integer feature count, got 0/);
  assert.throws(() => new Perceptron(2, { weights: [1] }), /Perceptron: expected 2 initial weights, got 1/);
  assert.throws(() => new Perceptron(2, { bias: NaN }), /Perceptron: expected a finite initial bias, got NaN/);
  const p = new Perceptron(2);
  const run = (x: Tensor, y: ArrayLike<number>, o = {}) => fitPerceptron(p, x, y, { shuffle: false, ...o });
  assert.throws(() => run(GATE_X, [0, 1, 2, 1]), /perceptronSteps: expected labels 0 or 1, got 2 at row 2/);
  assert.throws(() => run(GATE_X, [0, 1]), /perceptronSteps: expected 4 labels \(one per row\), got 2/);
  assert.throws(() => run(Tensor.zeros([4, 3]), AND), /perceptronSteps: expected 2 input features, got 3/);
  assert.throws(() => run(Tensor.fromRows([[0, NaN]]), [0]), /perceptronSteps: expected finite inputs, got NaN at row 0/);
  assert.throws(() => run(GATE_X, AND, { lr: 0 }), /perceptronSteps: expected a learning rate lr > 0, got 0/);
  assert.throws(() => run(GATE_X, AND, { maxEpochs: 1.5 }), /perceptronSteps: expected maxEpochs to be a positive integer, got 1.5/);
  assert.throws(() => fitPerceptron(p, GATE_X, AND), /perceptronSteps: shuffle needs a seeded rng/);
  assert.throws(() => p.predict(Tensor.zeros([2, 5])), /Perceptron.predict: expected 2 input features, got 5/);
});
