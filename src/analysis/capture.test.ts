import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Autoencoder } from '../ae/autoencoder.js';
import { DESOM } from '../desom/model.js';
import { Identity, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../random.js';
import { buildCnn, parseArch } from '../runs/kinds/cnn/arch.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { captureActivations, captureLayers, type CapturedLayer } from './capture.js';

/** A Linear with the given weight rows (out × in) and bias. */
function linear(w: number[][], b: number[]): Linear {
  const l = new Linear(w[0].length, w.length, { rng: new Rng(0) });
  l.weight.value.data.set(w.flat());
  l.bias?.value.data.set(b);
  return l;
}

// 2 → 3 (ReLU) → 2 (Tanh) → 1 (Sigmoid), weights chosen by hand.
const W1 = [
  [1, -1],
  [0.5, 2],
  [-1, 0.25],
];
const B1 = [0, -0.5, 0.1];
const W2 = [
  [1, 0, -1],
  [0.5, -0.5, 2],
];
const B2 = [0.2, -0.1];
const W3 = [[1.5, -2]];
const B3 = [0.05];

function tiny(fuse = true): Sequential {
  return new Sequential([linear(W1, B1), new ReLU(), linear(W2, B2), new Tanh(), linear(W3, B3), new Sigmoid()], { fuse });
}

/** The same network by hand, in float64: [h1, h2, output] of one row. */
function byHand(x: number[]): number[][] {
  const affine = (w: number[][], b: number[], v: number[]): number[] => w.map((row, j) => row.reduce((s, wi, i) => s + wi * v[i], b[j]));
  const h1 = affine(W1, B1, x).map((v) => Math.max(0, v));
  const h2 = affine(W2, B2, h1).map(Math.tanh);
  const out = affine(W3, B3, h2).map((v) => 1 / (1 + Math.exp(-v)));
  return [h1, h2, out];
}

/** 10 rows of 2 features, values in [−2, 2]. */
function data(rows = 10, cols = 2, seed = 1): Tensor {
  const rng = new Rng(seed);
  return new Tensor(rng.fillUniform(new Float32Array(rows * cols), -2, 2), [rows, cols]);
}

function allTraining(m: Module): boolean {
  return m.training && m.children().every(allTraining);
}

function activations(layers: CapturedLayer[], name: string): Tensor {
  const l = layers.find((c) => c.name === name);
  assert.ok(l !== undefined && l.kind === 'activations', `no activations layer ${name}`);
  return l.values;
}

describe('captureActivations on a Sequential', () => {
  for (const be of ['js', 'native', 'wasm'] as const) {
    for (const fuse of [true, false]) {
      test(`equals a hand computation (${be} backend, fuse ${fuse})`, () => {
        withBackend(be, () => {
          const x = data();
          const layers = captureActivations(tiny(fuse), x);
          assert.deepEqual(
            layers.map((l) => [l.name, l.index]),
            [
              ['h1', 1],
              ['h2', 3],
              ['output', 5],
            ],
          );
          for (let r = 0; r < x.rows; r++) {
            const want = byHand(Array.from(x.data.subarray(r * 2, r * 2 + 2)));
            layers.forEach((l, j) => {
              const got = (l.values as Tensor).toRows()[r];
              assert.equal(got.length, want[j].length);
              // float32 storage and arithmetic on values of order 1: a few ulps (2⁻²⁴ ≈ 6e-8) each.
              got.forEach((v, q) => assert.ok(Math.abs(v - want[j][q]) <= 1e-6, `${l.name}[${r}][${q}]: ${v} vs ${want[j][q]}`));
            });
          }
        });
      });
    }
  }

  test('the output layer equals Sequential.predict', () => {
    const model = tiny();
    const x = data(37);
    assert.deepEqual(activations(captureActivations(model, x), 'output').data, model.predict(x).data);
  });

  test('batches of 3 rows give the same values as one batch', () => {
    const model = tiny();
    const x = data(10);
    const one = captureActivations(model, x);
    const three = captureActivations(model, x, { batchSize: 3 });
    const single = captureActivations(model, x, { batchSize: 1 });
    for (let j = 0; j < one.length; j++) {
      assert.deepEqual(three[j].values, one[j].values, `${one[j].name}, batch 3`);
      assert.deepEqual(single[j].values, one[j].values, `${one[j].name}, batch 1`);
    }
  });

  test('selects layers by name, in the model order, and stops the forward pass early', () => {
    const model = tiny();
    const x = data();
    const all = captureActivations(model, x);
    const two = captureActivations(model, x, { layers: ['output', 'h1', 'h1'] });
    assert.deepEqual(
      two.map((l) => l.name),
      ['h1', 'output'],
    );
    assert.deepEqual(two[0].values, all[0].values);
    assert.deepEqual(two[1].values, all[2].values);
    assert.deepEqual(captureActivations(model, x, { layers: ['h1'] })[0].values, all[0].values);
  });

  test('returns fresh tensors: a second capture does not change the first', () => {
    const model = tiny();
    const first = captureActivations(model, data(10, 2, 1), { batchSize: 4 });
    const copy = first.map((l) => (l.values as Tensor).clone());
    captureActivations(model, data(10, 2, 2), { batchSize: 4 });
    model.forward(data(4, 2, 3));
    first.forEach((l, j) => assert.deepEqual(l.values, copy[j]));
  });

  test('runs in eval mode and restores each module’s previous mode', () => {
    const drop = new Dropout(0.5, new Rng(3));
    const model = new Sequential([linear(W1, B1), new ReLU(), drop, linear(W2, B2)]);
    const x = data();
    model.train();
    const got = captureActivations(model, x);
    assert.equal(model.training, true);
    assert.ok(model.modules.every((m) => m.training));
    // Dropout passes its input through in eval mode: the captured output is the eval-mode prediction.
    assert.deepEqual(activations(got, 'output').data, model.predict(x).data);
    assert.deepEqual(
      got.map((l) => [l.name, l.index]),
      [
        ['h1', 1],
        ['output', 3],
      ],
    );
    // Mixed modes come back as they were.
    model.train();
    drop.eval();
    captureActivations(model, x);
    assert.deepEqual(
      model.modules.map((m) => m.training),
      [true, true, false, true],
    );
    // Also when the forward pass throws (a nested Sequential first: the input width is checked by its Linear, mid-pass).
    const nested = new Sequential([new Sequential([linear(W1, B1)]), new ReLU(), drop]).train();
    assert.throws(() => captureActivations(nested, data(4, 3)), /Linear\.forward: expected 2 input features, got 3/);
    assert.ok(allTraining(nested));
  });

  test('a Linear followed by a Linear, and an Identity, end a layer', () => {
    const model = new Sequential([linear(W1, B1), linear(W2, B2), new Identity(), linear(W3, B3)]);
    assert.deepEqual(
      captureLayers(model).map((l) => [l.name, l.index]),
      [
        ['h1', 0],
        ['h2', 2],
        ['output', 3],
      ],
    );
    const x = data(5);
    const got = captureActivations(model, x);
    assert.deepEqual(activations(got, 'h2').shape, [5, 2]);
    assert.deepEqual(activations(got, 'output').data, model.predict(x).data);
  });

  test('zero rows give empty tensors of the layer widths', () => {
    const got = captureActivations(tiny(), Tensor.zeros([0, 2]));
    assert.deepEqual(
      got.map((l) => (l.values as Tensor).shape),
      [
        [0, 3],
        [0, 2],
        [0, 1],
      ],
    );
  });

  test('bad input is an error naming the function and the value', () => {
    const model = tiny();
    const x = data();
    assert.throws(() => captureActivations(model, x, { layers: ['h1', 'h7'] }), {
      name: 'RangeError',
      message: 'captureActivations: unknown layer "h7"; the layers of this model are h1, h2, output',
    });
    assert.throws(
      () => captureActivations(model, x, { layers: [] }),
      /captureActivations: expected at least one layer name; the layers of this model are h1, h2, output/,
    );
    assert.throws(() => captureActivations(model, x, { batchSize: 0 }), /captureActivations: expected batchSize to be a positive integer, got 0/);
    assert.throws(() => captureActivations(model, x, { batchSize: 2.5 }), /got 2\.5/);
    assert.throws(() => captureActivations(model, data(4, 3)), /captureActivations: expected 2 input features, got 3/);
    assert.throws(() => captureActivations(model, Tensor.zeros([6])), /captureActivations: expected a 2-D/);
    assert.throws(() => captureActivations(new Linear(2, 2, { rng: new Rng(0) }) as unknown as Sequential, x), {
      name: 'TypeError',
      message: 'captureActivations: expected a Sequential, an Autoencoder or a DESOM, got Linear',
    });
    assert.throws(() => captureActivations(new Sequential([]), x), /captureActivations: the Sequential has no modules/);
  });
});

describe('captureActivations on an Autoencoder and a DESOM', () => {
  test('autoencoder: encoder layers, code, decoder layers, output', () => {
    const ae = new Autoencoder({ input: 6, hidden: [5, 4], latent: 2, rng: new Rng(4) });
    const x = data(23, 6);
    assert.deepEqual(
      captureLayers(ae).map((l) => [l.name, l.index]),
      [
        ['h1', 1],
        ['h2', 3],
        ['code', 4],
        ['h3', 6],
        ['h4', 8],
        ['output', 10],
      ],
    );
    const got = captureActivations(ae, x, { batchSize: 7 });
    assert.deepEqual(activations(got, 'code').data, ae.encode(x).data);
    assert.deepEqual(activations(got, 'output').data, ae.reconstruct(x).data);
    assert.deepEqual(activations(got, 'h1').data, new Sequential([ae.encoder.modules[0], ae.encoder.modules[1]]).predict(x).data);
    assert.deepEqual(
      got.map((l) => (l.values as Tensor).shape[1]),
      [5, 4, 2, 4, 5, 6],
    );
    assert.throws(() => captureActivations(ae, data(4, 5)), /captureActivations: expected 6 input features, got 5/);
  });

  test('autoencoder without hidden layers: code and output', () => {
    const ae = new Autoencoder({ input: 3, hidden: [], latent: 2, rng: new Rng(5) });
    assert.deepEqual(
      captureLayers(ae).map((l) => [l.name, l.index]),
      [
        ['code', 0],
        ['output', 2],
      ],
    );
  });

  test('DESOM: encoder layers, code and the map (BMU cells)', () => {
    const x = data(40, 6, 9);
    const model = DESOM.create(x, { hidden: [5], latent: 3, rows: 2, cols: 3, rng: new Rng(6) });
    assert.deepEqual(
      captureLayers(model).map((l) => [l.name, l.index, l.kind]),
      [
        ['h1', 1, 'activations'],
        ['code', 2, 'activations'],
        ['map', 3, 'cells'],
      ],
    );
    const got = captureActivations(model, x, { batchSize: 16 });
    assert.deepEqual(activations(got, 'code').data, model.encode(x).data);
    const map = got[2];
    assert.ok(map.kind === 'cells');
    assert.equal(map.cells, 6);
    assert.deepEqual(map.values, model.bmus(x));
    const only = captureActivations(model, x, { layers: ['map'] });
    assert.deepEqual(only.length, 1);
    assert.deepEqual(only[0].values, model.bmus(x));
    assert.throws(() => captureActivations(model, x, { layers: ['output'] }), /unknown layer "output"; the layers of this model are h1, code, map/);
  });
});

describe('captureActivations on a convolutional network', () => {
  test('a convolution’s layer is its pooled maps, captured as rows of C·H·W values, the same numbers as running the modules by hand', () => {
    const rng = new Rng(3);
    const model = buildCnn(parseArch('c4k3,mp2,c6k3p1,mp2,fc5'), { input: [1, 10, 10], classes: 3, activation: 'relu', rng });
    assert.deepEqual(
      captureLayers(model).map((l) => [l.name, l.index]),
      [
        ['h1', 3],
        ['h2', 6],
        ['h3', 9],
        ['output', 10],
      ],
    );
    const x = new Tensor(
      Float32Array.from({ length: 7 * 100 }, (_, i) => Math.cos(i * 0.37)),
      [7, 100],
    );
    const got = new Map(captureActivations(model, x, { batchSize: 3 }).map((l) => [l.name, l]));
    model.eval();
    let h = x;
    const byHand = new Map<string, Float32Array>();
    model.modules.forEach((m, i) => {
      h = m.forward(h);
      const name = { 3: 'h1', 6: 'h2', 9: 'h3', 10: 'output' }[i];
      if (name !== undefined) byHand.set(name, Float32Array.from(h.data));
    });
    const widths = { h1: 4 * 4 * 4, h2: 6 * 2 * 2, h3: 5, output: 3 };
    for (const [name, width] of Object.entries(widths)) {
      const l = got.get(name);
      assert.ok(l !== undefined && l.kind === 'activations', name);
      assert.deepEqual([...l.values.shape], [7, width], name);
      assert.deepEqual(Array.from(l.values.data), Array.from(byHand.get(name) ?? []), name);
    }
  });
});
