/**
 * The convolutional autoencoder (architecture 'conv'): its layers and shapes on MNIST (28×28) and
 * USPS (16×16) images, PyTorch parity with scripts/fixtures/make_conv_ae.py on both backends
 * (codes, reconstructions, gradients, 3 Adam steps), finite differences, saving and loading
 * (model.json version 2; a fully connected one still written as version 1), layer capture, bad
 * options, and the fully connected autoencoder's initial weights unchanged for existing seeds.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { captureActivations, captureLayers } from '../analysis/capture.js';
import { ConvTranspose2d } from '../nn/conv-transpose2d.js';
import { Conv2d } from '../nn/conv2d.js';
import { MSELoss } from '../nn/mse.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { relErr } from '../../test/helpers/spec.js';
import { withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Autoencoder, aeArchitecture, type AutoencoderOptions } from './autoencoder.js';
import { loadAutoencoder, saveAutoencoder } from './autoencoder-file.js';
import { trainAutoencoderSteps } from './train.js';

interface ConvFixture {
  config: { input: number; image: [number, number, number]; filters: number[]; kernel: number; hidden: number[]; latent: number };
  optimizer: { lr: number; beta1: number; beta2: number; eps: number };
  names: string[];
  shapes: Record<string, number[]>;
  x: number[];
  initial: Record<string, number[]>;
  codes: number[];
  reconstructions: number[];
  loss: number;
  grads: Record<string, number[]>;
  losses: number[];
  final: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/conv-ae/conv-ae.json', import.meta.url), 'utf8')) as ConvFixture;

function uniformData(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: rows * cols }, () => rng.uniform()),
    [rows, cols],
  );
}

const names = (s: Autoencoder['encoder']): string[] => s.modules.map((m) => m.constructor.name);

/** The output shape (without the batch) after each module of the encoder, then of the decoder. */
function shapes(ae: Autoencoder): { encoder: number[][]; decoder: number[][] } {
  const walk = (mods: readonly { outputShape(s: readonly number[]): readonly number[] }[], s: readonly number[]): number[][] =>
    mods.map((m) => [...(s = m.outputShape(s))].slice(1));
  return { encoder: walk(ae.encoder.modules, [2, ae.options.input]), decoder: walk(ae.decoder.modules, [2, ae.options.latent]) };
}

describe('a conv autoencoder on MNIST and USPS images', () => {
  test('MNIST 28×28, filters 32-64-128: 14×14, 7×7, 4×4 maps, a Linear to the code and the mirror back to 784 sigmoid pixels', () => {
    const ae = new Autoencoder({ input: 784, hidden: [], latent: 10, architecture: 'conv', activation: 'relu', rng: new Rng(0) });
    assert.deepEqual(ae.options.conv, { image: [1, 28, 28], filters: [32, 64, 128], kernel: 3 });
    assert.deepEqual(names(ae.encoder), ['Unflatten', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Flatten', 'Linear']);
    assert.deepEqual(names(ae.decoder), [
      'Linear',
      'ReLU',
      'Unflatten',
      'ConvTranspose2d',
      'ReLU',
      'ConvTranspose2d',
      'ReLU',
      'ConvTranspose2d',
      'Flatten',
      'Sigmoid',
    ]);
    const s = shapes(ae);
    assert.deepEqual(s.encoder, [[1, 28, 28], [32, 14, 14], [32, 14, 14], [64, 7, 7], [64, 7, 7], [128, 4, 4], [128, 4, 4], [2048], [10]]);
    assert.deepEqual(s.decoder, [[2048], [2048], [128, 4, 4], [64, 7, 7], [64, 7, 7], [32, 14, 14], [32, 14, 14], [1, 28, 28], [784], [784]]);
    // 28 → 14 → 7 → 4 and back: 4 → 7 needs no output padding, 7 → 14 and 14 → 28 one row and column
    const convT = ae.decoder.modules.filter((m) => m instanceof ConvTranspose2d);
    assert.deepEqual(
      convT.map((m) => m.outputPadding),
      [
        [0, 0],
        [1, 1],
        [1, 1],
      ],
    );
    const conv = ae.encoder.modules.filter((m) => m instanceof Conv2d);
    assert.deepEqual(
      conv.map((m) => [m.stride, m.padding, m.inputGrad]),
      [
        [[2, 2], [1, 1], false],
        [[2, 2], [1, 1], true],
        [[2, 2], [1, 1], true],
      ],
    );
    assert.equal(aeArchitecture(ae.options), '1×28×28 conv 32-64-128 (3×3, stride 2)-10');
    const x = uniformData(5, 784, 1);
    assert.deepEqual(ae.encode(x, 2).shape, [5, 10]);
    const y = ae.forward(x);
    assert.deepEqual(y.shape, [5, 784]);
    assert.ok(y.data.every((v) => v > 0 && v < 1));
    assert.ok(relErr(ae.reconstruct(x, 3).data, ae.decode(ae.encode(x)).data) < 1e-6);
    assert.deepEqual(ae.backward(Tensor.full([5, 784], 0.01)).shape, [0, 784], 'no input gradient by default, as the MLP');
  });

  test("MNIST with the DESOM reference's filters 32-64-128-256 (2×2 maps), and USPS 16×16 (8, 4, 2)", () => {
    const desom = new Autoencoder({ input: 784, hidden: [], latent: 10, architecture: 'conv', filters: [32, 64, 128, 256], rng: new Rng(0) });
    assert.deepEqual(shapes(desom).encoder.slice(-3, -1), [[256, 2, 2], [1024]]);
    assert.deepEqual(shapes(desom).decoder.at(-3), [1, 28, 28]);
    const usps = new Autoencoder({ input: 256, hidden: [64], latent: 2, architecture: 'conv', image: [1, 16, 16], rng: new Rng(0) });
    const s = shapes(usps);
    assert.deepEqual(
      s.encoder.filter((v) => v.length === 3),
      [
        [1, 16, 16],
        [32, 8, 8],
        [32, 8, 8],
        [64, 4, 4],
        [64, 4, 4],
        [128, 2, 2],
        [128, 2, 2],
      ],
    );
    assert.deepEqual(s.encoder.slice(-4), [[512], [64], [64], [2]], 'Flatten, the hidden Linear + activation, the code');
    assert.deepEqual(s.decoder.slice(0, 4), [[64], [64], [512], [512]], 'the mirrored hidden layer, then the maps');
    assert.deepEqual(s.decoder.at(-1), [256]);
    const x = uniformData(4, 256, 2);
    assert.deepEqual(usps.reconstruct(x).shape, [4, 256]);
    // PyTorch's state_dict names of the same nn.Sequential modules
    assert.deepEqual(
      [...usps.namedParameters().keys()].filter((k) => k.endsWith('weight')),
      [
        'encoder.1.weight',
        'encoder.3.weight',
        'encoder.5.weight',
        'encoder.8.weight',
        'encoder.10.weight',
        'decoder.0.weight',
        'decoder.2.weight',
        'decoder.5.weight',
        'decoder.7.weight',
        'decoder.9.weight',
      ],
    );
    // an RGB image
    const rgb = new Autoencoder({
      input: 3 * 10 * 6,
      hidden: [],
      latent: 3,
      architecture: 'conv',
      image: [3, 10, 6],
      filters: [4, 5],
      kernel: 5,
      rng: new Rng(0),
    });
    assert.deepEqual(
      shapes(rgb)
        .encoder.filter((v) => v.length === 3)
        .at(-1),
      [5, 3, 2],
    );
    assert.deepEqual(rgb.reconstruct(uniformData(2, 180, 3)).shape, [2, 180]);
  });
});

for (const be of ['js', 'native', 'wasm'] as BackendName[]) {
  test(`PyTorch parity (${be}): codes, reconstructions, loss, every gradient and 3 Adam steps of a 9×7 conv autoencoder`, () => {
    withBackend(be, () => {
      const c = fixture.config;
      const ae = new Autoencoder({
        input: c.input,
        hidden: c.hidden,
        latent: c.latent,
        architecture: 'conv',
        image: c.image,
        filters: c.filters,
        kernel: c.kernel,
        activation: 'relu',
        outputActivation: 'sigmoid',
        rng: new Rng(0),
      });
      const named = ae.namedParameters();
      assert.deepEqual([...named.keys()], fixture.names, 'state_dict names and order as the torch module');
      for (const [name, p] of named) {
        assert.deepEqual([...p.value.shape], fixture.shapes[name], name);
        p.value.data.set(fixture.initial[name]);
      }
      const x = new Tensor(Float32Array.from(fixture.x), [fixture.x.length / c.input, c.input]);
      assert.ok(relErr(ae.encode(x).data, fixture.codes) < 1e-5, 'codes');
      assert.ok(relErr(ae.reconstruct(x).data, fixture.reconstructions) < 1e-5, 'reconstructions');
      const mse = new MSELoss();
      ae.zeroGrad();
      const loss = mse.forward(ae.forward(x), x);
      ae.backward(mse.backward());
      assert.ok(Math.abs(loss - fixture.loss) < 1e-6 * fixture.loss, `loss ${loss} vs torch ${fixture.loss}`);
      for (const [name, p] of named) {
        const e = relErr(p.grad.data, fixture.grads[name]);
        assert.ok(e < 1e-4, `gradient of ${name}: relative error ${e.toExponential(2)}`);
      }
      const o = fixture.optimizer;
      const optimizer = new Adam(ae.parameters(), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
      const losses: number[] = [];
      for (const e of trainAutoencoderSteps({ model: ae, optimizer, x, batchSize: x.rows, epochs: fixture.losses.length, shuffle: false, rng: new Rng(0) })) {
        if (e.type === 'step') losses.push(e.loss);
      }
      losses.forEach((l, i) => assert.ok(Math.abs(l - fixture.losses[i]) < 1e-5 * fixture.losses[i], `step ${i}: ${l} vs torch ${fixture.losses[i]}`));
      const scale = Math.max(...Object.values(fixture.final).map((v) => Math.max(...v.map(Math.abs))));
      for (const [name, p] of named) {
        const e = relErr(p.value.data, fixture.final[name], scale);
        assert.ok(e < 1e-5, `final ${name}: relative error ${e.toExponential(2)}`);
      }
    });
  });
}

test('finite differences: the gradients of every parameter and of the input (tanh, no kinks) on both backends', () => {
  for (const be of ['js', 'native', 'wasm'] as BackendName[]) {
    withBackend(be, () => {
      const ae = new Autoencoder({
        input: 2 * 6 * 5,
        hidden: [3],
        latent: 2,
        architecture: 'conv',
        image: [2, 6, 5],
        filters: [3, 2],
        activation: 'tanh',
        outputActivation: 'identity',
        init: 'glorot_uniform',
        inputGrad: true,
        rng: new Rng(11),
      });
      const x = uniformData(3, 60, 12);
      const t = uniformData(3, 60, 13);
      const mse = new MSELoss();
      const f = (): number => mse.forward(ae.forward(x), t);
      ae.zeroGrad();
      f();
      const dx = ae.backward(mse.backward()).clone();
      assert.deepEqual(dx.shape, [3, 60]);
      const h = 1e-2;
      const check = (what: string, v: Float32Array, g: Float32Array, stride: number): void => {
        let scale = 1e-8;
        for (const a of g) scale = Math.max(scale, Math.abs(a));
        for (let i = 0; i < v.length; i += stride) {
          const old = v[i];
          v[i] = old + h;
          const up = f();
          v[i] = old - h;
          const down = f();
          v[i] = old;
          const fd = (up - down) / (2 * h);
          // float32 forward passes: about 5e-7 of rounding noise in each difference quotient
          assert.ok(Math.abs(fd - g[i]) <= 5e-3 * scale + 5e-7, `${be} ${what}[${i}]: analytic ${g[i]}, finite difference ${fd}`);
        }
      };
      for (const [name, p] of ae.namedParameters()) check(name, p.value.data, p.grad.clone().data, name.endsWith('bias') ? 1 : 2);
      check('x', x.data, dx.data, 1);
    });
  }
});

test('save then load: model.json version 2 records the architecture, the weights come back exactly; an MLP still writes version 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-conv-ae-'));
  try {
    const ae = new Autoencoder({
      input: 256,
      hidden: [8],
      latent: 3,
      architecture: 'conv',
      image: [1, 16, 16],
      filters: [4, 6],
      kernel: 5,
      activation: 'relu',
      rng: new Rng(4),
    });
    saveAutoencoder(join(dir, 'conv'), ae);
    const back = loadAutoencoder(join(dir, 'conv'));
    assert.deepEqual(back.options, ae.options);
    assert.deepEqual([...back.namedParameters().keys()], [...ae.namedParameters().keys()]);
    const x = uniformData(5, 256, 1);
    assert.deepEqual(back.reconstruct(x).data, ae.reconstruct(x).data);
    const path = join(dir, 'conv', 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as { version: number; autoencoder: Record<string, unknown> };
    assert.equal(json.version, 2);
    assert.deepEqual(
      { architecture: json.autoencoder.architecture, image: json.autoencoder.image, filters: json.autoencoder.filters, kernel: json.autoencoder.kernel },
      { architecture: 'conv', image: [1, 16, 16], filters: [4, 6], kernel: 5 },
    );
    // refusals: a conv description under version 1, a missing field, an MLP with conv fields
    const bad = (patch: Record<string, unknown>, ae0: Record<string, unknown> = {}): void =>
      writeFileSync(path, JSON.stringify({ ...json, ...patch, autoencoder: { ...json.autoencoder, ...ae0 } }));
    bad({ version: 1 });
    assert.throws(() => loadAutoencoder(join(dir, 'conv')), /version 1 cannot describe a conv autoencoder/);
    bad({}, { kernel: undefined });
    assert.throws(() => loadAutoencoder(join(dir, 'conv')), /autoencoder\.kernel: missing/);
    bad({}, { filters: [4, 7] });
    assert.throws(() => loadAutoencoder(join(dir, 'conv')), /the encoder description does not match/);
    bad({ version: 3 });
    assert.throws(() => loadAutoencoder(join(dir, 'conv')), /unsupported version 3; this latentlab reads versions 1 and 2/);

    const mlp = new Autoencoder({ input: 10, hidden: [4], latent: 2, rng: new Rng(0) });
    saveAutoencoder(join(dir, 'mlp'), mlp);
    const mj = JSON.parse(readFileSync(join(dir, 'mlp', 'model.json'), 'utf8')) as { version: number; autoencoder: Record<string, unknown> };
    assert.equal(mj.version, 1);
    assert.deepEqual(Object.keys(mj.autoencoder), [
      'input',
      'hidden',
      'latent',
      'activation',
      'latent_activation',
      'output_activation',
      'decoder_hidden',
      'init',
      'input_grad',
    ]);
    writeFileSync(join(dir, 'mlp', 'model.json'), JSON.stringify({ ...mj, autoencoder: { ...mj.autoencoder, filters: [3] } }));
    assert.throws(() => loadAutoencoder(join(dir, 'mlp')), /autoencoder\.filters: unexpected without architecture "conv"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("capture reads a conv autoencoder's layers: each convolution's maps as rows, the code, the decoder's layers and the output", () => {
  const ae = new Autoencoder({ input: 64, hidden: [], latent: 2, architecture: 'conv', filters: [3, 4], activation: 'relu', rng: new Rng(2) });
  assert.deepEqual(
    captureLayers(ae).map((l) => `${l.name}@${l.index}`),
    ['h1@2', 'h2@4', 'code@6', 'h3@8', 'h4@11', 'output@14'],
  );
  const x = uniformData(7, 64, 3);
  const got = captureActivations(ae, x, { batchSize: 3 });
  assert.deepEqual(
    got.map((l) => (l.kind === 'activations' ? [l.name, ...l.values.shape] : [])),
    [
      ['h1', 7, 3 * 4 * 4],
      ['h2', 7, 4 * 2 * 2],
      ['code', 7, 2],
      ['h3', 7, 16],
      ['h4', 7, 3 * 4 * 4],
      ['output', 7, 64],
    ],
  );
  const code = got.find((l) => l.name === 'code');
  const output = got.find((l) => l.name === 'output');
  assert.ok(code?.kind === 'activations' && output?.kind === 'activations');
  assert.deepEqual(code.values.data, ae.encode(x).data);
  assert.deepEqual(output.values.data, ae.reconstruct(x).data);
});

test('bad conv options are refused with the value', () => {
  const rng = new Rng(0);
  const make = (o: Partial<AutoencoderOptions>) => () => new Autoencoder({ input: 784, hidden: [], latent: 2, architecture: 'conv', rng, ...o });
  assert.throws(make({ input: 300 }), /Autoencoder: a conv autoencoder needs the image shape \[channels, height, width\] of its 300 inputs/);
  assert.throws(make({ image: [1, 28, 27] }), /image \[1, 28, 27\] has 756 values, but input is 784/);
  assert.throws(make({ filters: [] }), /needs at least one convolution/);
  assert.throws(make({ filters: [8, 0] }), /expected filters\[1\] to be a positive integer, got 0/);
  assert.throws(make({ kernel: 0 }), /expected kernel to be a positive integer, got 0/);
  assert.throws(make({ architecture: 'rnn' as never }), /expected architecture to be one of mlp, conv, got "rnn"/);
  assert.throws(() => new Autoencoder({ input: 784, hidden: [], latent: 2, filters: [8], rng }), /filters is an option of architecture 'conv', not 'mlp'/);
});

test('the fully connected autoencoder draws the same initial weights as before the conv architecture (existing seeds)', () => {
  const hash = (ae: Autoencoder): string => {
    const h = createHash('sha256');
    for (const [k, p] of ae.namedParameters()) {
      h.update(k);
      h.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
    }
    return h.digest('hex').slice(0, 16);
  };
  // Hashes recorded before the 'conv' architecture existed.
  const expected: Record<number, [string, string]> = {
    0: ['e71b44f9fc0cb7bc', '93e314b391ad9674'],
    1: ['13b7d1b5be1ecd2c', 'cc12af9adf2c9d09'],
    42: ['6125e860be432201', '30fbfc4ca75e8bf1'],
  };
  for (const [seed, [a, b]] of Object.entries(expected)) {
    assert.equal(hash(new Autoencoder({ input: 784, hidden: [128], latent: 2, rng: new Rng(Number(seed)) })), a, `784-128-2, seed ${seed}`);
    assert.equal(
      hash(new Autoencoder({ input: 784, hidden: [256, 128], latent: 16, activation: 'relu', init: 'glorot_uniform', rng: new Rng(Number(seed)) })),
      b,
      `784-256-128-16 relu glorot, seed ${seed}`,
    );
  }
});
