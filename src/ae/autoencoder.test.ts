import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { readSafetensors } from '../io/safetensors.js';
import { loadStateDict } from '../io/model-file.js';
import { LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { Linear } from '../nn/linear.js';
import { MSELoss } from '../nn/mse.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { relErr } from '../../test/helpers/spec.js';
import { withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Autoencoder } from './autoencoder.js';
import { loadAutoencoder, saveAutoencoder } from './autoencoder-file.js';
import { trainAutoencoderSteps } from './train.js';

const fixtureDir = new URL('../../test/fixtures/ae/', import.meta.url);

interface AeFixture {
  state_dict_keys: string[];
  x: number[][];
  losses: number[];
  optimizer: { lr: number; beta1: number; beta2: number; eps: number };
  final_encoded: number[][];
  final_decoded: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('seed001-ae.json', fixtureDir), 'utf8')) as AeFixture;

function uniformData(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return Tensor.from(
    Array.from({ length: rows * cols }, () => rng.uniform()),
    [rows, cols],
  );
}

test("seed 001's autoencoder has the layers of its PyTorch listing", () => {
  const ae = new Autoencoder({ input: 784, hidden: [128], latent: 2, rng: new Rng(0) });
  const kinds = (s: { modules: readonly unknown[] }) => s.modules.map((m) => (m as object).constructor.name);
  assert.deepEqual(kinds(ae.encoder), ['Linear', 'Tanh', 'Linear']);
  assert.deepEqual(kinds(ae.decoder), ['Linear', 'Tanh', 'Linear', 'Sigmoid']);
  assert.deepEqual(
    [...ae.encoder.modules, ...ae.decoder.modules].filter((m) => m instanceof Linear).map((m) => [m.inFeatures, m.outFeatures]),
    [
      [784, 128],
      [128, 2],
      [2, 128],
      [128, 784],
    ],
  );
  assert.equal(ae.parameterCount(), 784 * 128 + 128 + 128 * 2 + 2 + 2 * 128 + 128 + 128 * 784 + 784);
  assert.deepEqual(
    [...ae.namedParameters().keys()],
    ['encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias', 'decoder.0.weight', 'decoder.0.bias', 'decoder.2.weight', 'decoder.2.bias'],
  );
  assert.equal(ae.options.init, 'torch_default');
});

test('the decoder mirrors the encoder unless decoderHidden is given, and activations follow the options', () => {
  const ae = new Autoencoder({
    input: 20,
    hidden: [16, 8],
    latent: 3,
    activation: 'relu',
    latentActivation: 'tanh',
    outputActivation: 'identity',
    rng: new Rng(0),
  });
  const lin = (s: Autoencoder['encoder']) => s.modules.filter((m) => m instanceof Linear).map((m) => m.outFeatures);
  assert.deepEqual(lin(ae.encoder), [16, 8, 3]);
  assert.deepEqual(lin(ae.decoder), [8, 16, 20]);
  assert.ok(ae.encoder.modules[1] instanceof ReLU && ae.encoder.modules[5] instanceof Tanh);
  assert.equal(ae.decoder.modules.length, 5, 'an identity output adds no module');
  const custom = new Autoencoder({ input: 20, hidden: [16], latent: 3, decoderHidden: [4, 12], activation: 'leaky_relu', rng: new Rng(0) });
  assert.deepEqual(lin(custom.decoder), [4, 12, 20]);
  assert.ok(custom.decoder.modules[1] instanceof LeakyReLU && custom.decoder.modules.at(-1) instanceof Sigmoid);
  const flat = new Autoencoder({ input: 5, hidden: [], latent: 2, rng: new Rng(0) });
  assert.deepEqual(lin(flat.encoder), [2]);
  assert.deepEqual(lin(flat.decoder), [5]);
});

test('forward, encode, decode and reconstruct give the documented shapes and agree with each other', () => {
  const ae = new Autoencoder({ input: 12, hidden: [6], latent: 2, rng: new Rng(1) });
  const x = uniformData(10, 12, 2);
  const y = ae.forward(x);
  assert.deepEqual(y.shape, [10, 12]);
  assert.ok(
    y.data.every((v) => v > 0 && v < 1),
    'sigmoid output in (0, 1)',
  );
  const z = ae.encode(x, 3);
  assert.deepEqual(z.shape, [10, 2]);
  const r = ae.reconstruct(x, 4);
  assert.deepEqual(r.data, ae.decode(z, 7).data);
  assert.deepEqual(r.data, y.data);
  assert.notEqual(r.data, ae.reconstruct(x).data, 'each call returns a fresh tensor');
  assert.deepEqual(ae.encode(Tensor.zeros([0, 12])).shape, [0, 2]);
  const dx = ae.backward(Tensor.full([10, 12], 0.1));
  assert.deepEqual(dx.shape, [0, 12], 'no input gradient by default');
  const withGrad = new Autoencoder({ input: 12, hidden: [6], latent: 2, inputGrad: true, rng: new Rng(1) });
  withGrad.forward(x);
  assert.deepEqual(withGrad.backward(Tensor.full([10, 12], 0.1)).shape, [10, 12]);
});

test('the input gradient matches finite differences of the MSE loss', () => {
  const ae = new Autoencoder({ input: 4, hidden: [5], latent: 2, inputGrad: true, rng: new Rng(3) });
  const x = uniformData(3, 4, 4);
  const t = uniformData(3, 4, 5);
  const loss = new MSELoss();
  const f = (xx: Tensor): number => loss.forward(ae.forward(xx), t);
  f(x);
  const dx = ae.backward(loss.backward()).clone();
  const h = 1e-2;
  for (let i = 0; i < x.size; i++) {
    const xp = x.clone();
    const xm = x.clone();
    xp.data[i] += h;
    xm.data[i] -= h;
    const fd = (f(xp) - f(xm)) / (2 * h);
    assert.ok(Math.abs(fd - dx.data[i]) <= 1e-4 + 1e-2 * Math.abs(fd), `dx[${i}] = ${dx.data[i]} vs finite difference ${fd}`);
  }
});

test('bad options and inputs are refused with errors naming the value', () => {
  const rng = new Rng(0);
  assert.throws(() => new Autoencoder({ input: 0, hidden: [4], latent: 2, rng }), /Autoencoder: expected input to be a positive integer, got 0/);
  assert.throws(() => new Autoencoder({ input: 8, hidden: [4, 2.5], latent: 2, rng }), /Autoencoder: expected hidden\[1\] to be a positive integer, got 2.5/);
  assert.throws(() => new Autoencoder({ input: 8, hidden: [4], latent: -1, rng }), /expected latent to be a positive integer, got -1/);
  assert.throws(
    () => new Autoencoder({ input: 8, hidden: [4], latent: 2, activation: 'gelu' as never, rng }),
    /expected activation to be one of tanh, relu, sigmoid, leaky_relu, identity, got "gelu"/,
  );
  assert.throws(() => new Autoencoder({ input: 8, hidden: [4], latent: 2, init: 'xavier' as never, rng }), /expected init to be one of .*got "xavier"/);
  assert.throws(() => new Autoencoder({ input: 8, hidden: [4], latent: 2, rng: undefined as never }), /Autoencoder: expected rng to be an Rng/);
  const ae = new Autoencoder({ input: 8, hidden: [4], latent: 2, rng });
  assert.throws(() => ae.forward(Tensor.zeros([2, 7])), /Autoencoder.forward: expected 8 input features, got 7/);
  assert.throws(() => ae.encode(Tensor.zeros([2, 9])), /Autoencoder.encode/);
  assert.throws(() => ae.decode(Tensor.zeros([2, 3])), /Autoencoder.decode: expected 2 latent columns, got 3/);
  assert.throws(() => ae.reconstruct(Tensor.zeros([2, 8]), 0), /Autoencoder.reconstruct: expected batchSize to be a positive integer, got 0/);
});

for (const backendName of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`PyTorch parity of seed 001's autoencoder on the ${backendName} backend`, () => {
    test("5 Adam steps from the same weights give PyTorch's losses, weights, codes and reconstructions", () => {
      withBackend(backendName, () => {
        const ae = new Autoencoder({ input: 64, hidden: [128], latent: 2, rng: new Rng(7) });
        assert.deepEqual([...ae.namedParameters().keys()], fixture.state_dict_keys, 'state_dict names as the torch module');
        const initial = readSafetensors(fileURLToPath(new URL('initial.safetensors', fixtureDir)));
        loadStateDict(ae, initial.tensors);
        const x = Tensor.fromRows(fixture.x);
        const o = fixture.optimizer;
        const optimizer = new Adam(ae.parameters(), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
        const losses: number[] = [];
        for (const e of trainAutoencoderSteps({ model: ae, optimizer, x, batchSize: 16, epochs: 5, shuffle: false, rng: new Rng(0) })) {
          if (e.type === 'step') losses.push(e.loss);
        }
        assert.equal(losses.length, fixture.losses.length);
        losses.forEach((l, i) => assert.ok(Math.abs(l - fixture.losses[i]) <= 1e-5 * fixture.losses[i], `step ${i}: loss ${l} vs torch ${fixture.losses[i]}`));
        const final = readSafetensors(fileURLToPath(new URL('final.safetensors', fixtureDir))).tensors;
        const scale = Math.max(...Object.values(final).map((t) => Math.max(...Array.from(t.data as Float32Array, Math.abs))));
        for (const [name, p] of ae.namedParameters()) {
          const e = relErr(p.value.data, final[name].data as Float32Array, scale);
          assert.ok(e <= 1e-5, `${name}: relative error ${e.toExponential(2)}`);
        }
        const ez = relErr(ae.encode(x).data, fixture.final_encoded.flat());
        assert.ok(ez <= 1e-5, `latent codes: relative error ${ez.toExponential(2)}`);
        const ex = relErr(ae.reconstruct(x).data, fixture.final_decoded.flat());
        assert.ok(ex <= 1e-5, `reconstructions: relative error ${ex.toExponential(2)}`);
      });
    });
  });
}

test('save then load gives identical reconstructions, PyTorch state_dict names and the metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-ae-'));
  try {
    const ae = new Autoencoder({ input: 30, hidden: [12, 6], latent: 3, activation: 'relu', decoderHidden: [5], rng: new Rng(4) });
    saveAutoencoder(dir, ae, { dataset: 'unit-test' });
    const back = loadAutoencoder(dir);
    assert.deepEqual(back.options, ae.options);
    const x = uniformData(9, 30, 1);
    assert.deepEqual(back.reconstruct(x).data, ae.reconstruct(x).data);
    const file = readSafetensors(join(dir, 'weights.safetensors'));
    assert.deepEqual(Object.keys(file.tensors).sort(), [...ae.namedParameters().keys()].sort());
    assert.deepEqual(file.metadata, { format: 'pt', dataset: 'unit-test' });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { format: string; autoencoder: { decoder_hidden: number[] } };
    assert.equal(json.format, 'latentlab-autoencoder');
    assert.deepEqual(json.autoencoder.decoder_hidden, [5]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading refuses a missing folder, another format and weights that do not fit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-ae-'));
  try {
    assert.throws(() => loadAutoencoder(join(dir, 'nope')), /loadAutoencoder: .*model\.json not found/);
    const ae = new Autoencoder({ input: 10, hidden: [4], latent: 2, rng: new Rng(0) });
    saveAutoencoder(dir, ae);
    const path = join(dir, 'model.json');
    const good = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...good, format: 'latentlab-model' }));
    assert.throws(() => loadAutoencoder(dir), /expected format "latentlab-autoencoder", got "latentlab-model"/);
    writeFileSync(path, JSON.stringify({ ...good, autoencoder: { ...(good.autoencoder as object), latent: 0 } }));
    assert.throws(() => loadAutoencoder(dir), /autoencoder\.latent/);
    const other = new Autoencoder({ input: 10, hidden: [5], latent: 2, rng: new Rng(0) });
    const otherDir = join(dir, 'other');
    saveAutoencoder(otherDir, other);
    writeFileSync(path, readFileSync(join(otherDir, 'model.json')));
    saveAutoencoder(otherDir, ae);
    writeFileSync(join(dir, 'weights.safetensors'), readFileSync(join(otherDir, 'weights.safetensors')));
    assert.throws(() => loadAutoencoder(dir), /tensor "encoder.0.weight" has shape \[4, 10\] but the model expects \[5, 10\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
