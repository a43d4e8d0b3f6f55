/**
 * The model exports (autoencoder, VAE, DESOM — fully connected and convolutional — and a classifier
 * with its softmax output) run in onnxruntime-node equal latentlab's encode / decode / reconstruct /
 * BMUs on both backends (bound: test/helpers/onnx.ts); the DESOM's BMU indices are equal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Autoencoder } from '../../ae/autoencoder.js';
import { DESOM } from '../../desom/model.js';
import { ReLU } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { Sequential } from '../../nn/sequential.js';
import { Rng } from '../../random.js';
import { withBackend } from '../../tensor/registry.js';
import { Tensor } from '../../tensor/tensor.js';
import { VAE } from '../../vae/vae.js';
import { assertOnnxClose, int64s, runOnnx } from '../../../test/helpers/onnx.js';
import { autoencoderToOnnx, desomToOnnx, sequentialToOnnx, vaeToOnnx } from './models.js';

const BACKENDS = ['js', 'native'] as const;

/** n rows of an 8×8 single-channel "image" in [0, 1]. */
function images(rng: Rng, n: number, size = 64): Tensor {
  const x = Tensor.zeros([n, size]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  return x;
}

const feed = (t: Tensor) => ({ data: t.data, dims: t.shape });

function onBoth<T>(fn: () => T): Record<(typeof BACKENDS)[number], T> {
  return { js: withBackend('js', fn), native: withBackend('native', fn) };
}

describe('autoencoder export', () => {
  for (const arch of ['mlp', 'conv'] as const) {
    test(`${arch}: whole gives reconstruction and code, encoder the code, decoder the reconstruction`, async () => {
      const rng = new Rng(11);
      const ae = new Autoencoder(
        arch === 'mlp'
          ? { input: 64, hidden: [20], latent: 3, activation: 'tanh', rng }
          : { input: 64, hidden: [], latent: 4, activation: 'relu', architecture: 'conv', image: [1, 8, 8], filters: [4, 6], kernel: 3, rng },
      );
      const x = images(rng, 6);
      const z = Tensor.zeros([4, ae.options.latent]);
      for (let i = 0; i < z.size; i++) z.data[i] = rng.normal();
      const ours = onBoth(() => ({ code: ae.encode(x), recon: ae.reconstruct(x), decoded: ae.decode(z) }));
      const whole = await runOnnx(autoencoderToOnnx(ae).bytes, { input: feed(x) });
      const enc = await runOnnx(autoencoderToOnnx(ae, { part: 'encoder' }).bytes, { input: feed(x) });
      const dec = await runOnnx(autoencoderToOnnx(ae, { part: 'decoder' }).bytes, { code: feed(z) });
      assert.deepEqual(Object.keys(whole).sort(), ['code', 'reconstruction']);
      for (const be of BACKENDS) {
        const o = ours[be];
        assertOnnxClose(whole.reconstruction, o.recon.data, [6, 64], `whole reconstruction (${be})`);
        assertOnnxClose(whole.code, o.code.data, [6, ae.options.latent], `whole code (${be})`);
        assertOnnxClose(enc.code, o.code.data, [6, ae.options.latent], `encoder code (${be})`);
        assertOnnxClose(dec.reconstruction, o.decoded.data, [4, 64], `decoder (${be})`);
      }
    });
  }
});

describe('VAE export', () => {
  for (const arch of ['mlp', 'conv'] as const) {
    test(`${arch}: μ and log σ² from the encoder, the decoder, and decoder(μ) as the whole model`, async () => {
      const rng = new Rng(12);
      const vae = new VAE(
        arch === 'mlp'
          ? { input: 64, latent: 2, hidden: [24, 12], rng }
          : { input: 64, latent: 3, hidden: [10], architecture: 'conv', image: [1, 8, 8], filters: [3, 5], rng },
      );
      const x = images(rng, 5);
      const z = Tensor.zeros([3, vae.options.latent]);
      for (let i = 0; i < z.size; i++) z.data[i] = rng.normal();
      const ours = onBoth(() => ({ ...vae.encode(x), recon: vae.reconstruct(x), decoded: vae.decode(z) }));
      const whole = await runOnnx(vaeToOnnx(vae).bytes, { input: feed(x) });
      const enc = await runOnnx(vaeToOnnx(vae, { part: 'encoder' }).bytes, { input: feed(x) });
      const dec = await runOnnx(vaeToOnnx(vae, { part: 'decoder' }).bytes, { z: feed(z) });
      assert.deepEqual(Object.keys(enc).sort(), ['logvar', 'mu']);
      const p = vae.options.latent;
      for (const be of BACKENDS) {
        const o = ours[be];
        assertOnnxClose(whole.reconstruction, o.recon.data, [5, 64], `whole (${be})`);
        assertOnnxClose(enc.mu, o.mu.data, [5, p], `mu (${be})`);
        assertOnnxClose(enc.logvar, o.logvar.data, [5, p], `logvar (${be})`);
        assertOnnxClose(whole.mu, o.mu.data, [5, p], `whole mu (${be})`);
        assertOnnxClose(dec.reconstruction, o.decoded.data, [3, 64], `decoder (${be})`);
      }
    });
  }
});

describe('DESOM export', () => {
  for (const arch of ['mlp', 'conv'] as const) {
    test(`${arch}: code, squared distances to the prototypes and BMUs in one graph; the BMUs equal latentlab's`, async () => {
      const rng = new Rng(13);
      const train = images(rng, 40);
      const model = DESOM.create(train, {
        rng,
        rows: 3,
        cols: 4,
        latent: 3,
        ...(arch === 'mlp' ? { hidden: [16, 8] } : { encoder: 'conv' as const, image: [1, 8, 8] as const, filters: [4, 4], hidden: [] }),
      });
      const x = images(rng, 30);
      const ours = onBoth(() => ({ code: model.encode(x), bmu: model.bmus(x), recon: model.reconstruct(x) }));
      const exported = desomToOnnx(model);
      assert.deepEqual(
        exported.outputs.map((o) => [o.name, o.shape, o.type]),
        [
          ['code', ['N', 3], 'float32'],
          ['sq_distances', ['N', 12], 'float32'],
          ['bmu', ['N'], 'int64'],
          ['reconstruction', ['N', 64], 'float32'],
        ],
      );
      const out = await runOnnx(exported.bytes, { input: feed(x) });
      const bmuOnly = await runOnnx(desomToOnnx(model, { part: 'bmu' }).bytes, { input: feed(x) });
      assert.deepEqual(Object.keys(bmuOnly).sort(), ['bmu', 'code', 'sq_distances']);
      const m = model.prototypes;
      for (const be of BACKENDS) {
        const o = ours[be];
        assertOnnxClose(out.code, o.code.data, [30, 3], `code (${be})`);
        assertOnnxClose(out.reconstruction, o.recon.data, [30, 64], `reconstruction (${be})`);
        // ‖zᵢ − mₖ‖² in float64 from latentlab's codes: the reference the ONNX distances approximate.
        const d = new Float32Array(30 * 12);
        for (let i = 0; i < 30; i++)
          for (let k = 0; k < 12; k++) {
            let s = 0;
            for (let j = 0; j < 3; j++) s += (o.code.data[i * 3 + j] - m.data[k * 3 + j]) ** 2;
            d[i * 12 + k] = s;
          }
        assertOnnxClose(out.sq_distances, d, [30, 12], `sq_distances (${be})`);
        assert.deepEqual(int64s(out.bmu, 'bmu'), [...o.bmu], `bmu (${be})`);
        assert.deepEqual(int64s(bmuOnly.bmu, 'bmu'), [...o.bmu], `bmu part (${be})`);
      }
      // The test means something only if the rows do not all fall in one cell.
      assert.ok(new Set(ours.js.bmu).size >= 3, `BMUs spread over ${new Set(ours.js.bmu).size} cells`);
    });
  }
});

describe('classifier export', () => {
  test('logits, and with softmax the probabilities (rows summing to 1)', async () => {
    const rng = new Rng(14);
    const model = new Sequential([new Linear(10, 8, { rng }), new ReLU(), new Linear(8, 4, { rng })]).eval();
    const x = images(rng, 9, 10);
    const exported = sequentialToOnnx(model, { outputName: 'logits', softmax: true });
    assert.deepEqual(
      exported.outputs.map((o) => o.name),
      ['logits', 'probabilities'],
    );
    const out = await runOnnx(exported.bytes, { input: feed(x) });
    for (const be of BACKENDS) {
      const logits = withBackend(be, () => model.predict(x));
      assertOnnxClose(out.logits, logits.data, [9, 4], `logits (${be})`);
      const probs = new Float32Array(36);
      for (let i = 0; i < 9; i++) {
        const row = Array.from(logits.data.subarray(i * 4, i * 4 + 4));
        const mx = Math.max(...row);
        const e = row.map((v) => Math.exp(v - mx));
        const s = e.reduce((a, b) => a + b, 0);
        e.forEach((v, j) => (probs[i * 4 + j] = v / s));
      }
      assertOnnxClose(out.probabilities, probs, [9, 4], `probabilities (${be})`);
    }
  });

  test('a bad part is refused, naming the value and the choices', () => {
    const ae = new Autoencoder({ input: 4, hidden: [], latent: 2, rng: new Rng(1) });
    assert.throws(() => autoencoderToOnnx(ae, { part: 'bmu' }), /autoencoderToOnnx: expected part to be one of whole, encoder, decoder, got "bmu"/);
  });
});
