import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadImageIdx, mnistPackageDir } from '../data/mnist.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../random.js';
import { loadCheckpoint, saveCheckpoint } from '../runs/checkpoint.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import type { EpochEvent, TrainEvent } from '../train/loop.js';
import { Autoencoder } from './autoencoder.js';
import { addNoise, type NoiseOptions } from './noise.js';
import { meanImageMse, noiseSweep, reconstructionMse, trainAutoencoder, trainAutoencoderSteps } from './train.js';

/** Blurry "images": smooth random bumps in [0, 1], so an AE has structure to learn. */
function bumps(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const x = Tensor.zeros([rows, cols]);
  for (let i = 0; i < rows; i++) {
    const c = rng.uniform(0, cols);
    const w = rng.uniform(1, cols / 4);
    for (let j = 0; j < cols; j++) x.data[i * cols + j] = Math.exp(-(((j - c) / w) ** 2));
  }
  return x;
}

function weights(ae: Autoencoder): Float32Array {
  return Float32Array.from(ae.parameters().flatMap((p) => [...p.value.data]));
}

test('a denoising run interrupted after 1 epoch and resumed from its checkpoint ends bit-identical to 2 uninterrupted epochs', () => {
  withBackend('js', () => {
    const x = bumps(40, 16, 1);
    const noise: NoiseOptions = { kind: 'gaussian', scale: 0.2 };
    const make = (seed: number) => new Autoencoder({ input: 16, hidden: [8], latent: 2, rng: new Rng(seed) });
    const full = make(3);
    trainAutoencoder({ model: full, optimizer: new Adam(full.parameters(), { lr: 0.01 }), x, batchSize: 6, epochs: 2, rng: new Rng(5), noise });

    for (const stopAfter of [7, 5]) {
      // 7 steps = the whole first epoch (40 rows / 6); 5 = mid-epoch.
      const dir = mkdtempSync(join(tmpdir(), 'latentlab-ae-resume-'));
      try {
        let ae = make(3);
        let optimizer = new Adam(ae.parameters(), { lr: 0.01 });
        const rng = new Rng(5);
        const loopStart = rng.state();
        for (const e of trainAutoencoderSteps({ model: ae, optimizer, x, batchSize: 6, epochs: 2, rng, noise })) {
          if (e.type === 'step' && e.step === stopAfter - 1) {
            saveCheckpoint(dir, ae, optimizer, { step: stopAfter, rng: { loop: loopStart } });
            break;
          }
        }
        ae = make(99);
        optimizer = new Adam(ae.parameters(), { lr: 0.01 });
        const st = loadCheckpoint(dir, ae, optimizer);
        assert.equal(st.step, stopAfter);
        const steps: number[] = [];
        for (const e of trainAutoencoderSteps({
          model: ae,
          optimizer,
          x,
          batchSize: 6,
          epochs: 2,
          rng: Rng.fromState(st.rng.loop),
          noise,
          startStep: st.step,
        })) {
          if (e.type === 'step') steps.push(e.step);
        }
        assert.equal(steps[0], stopAfter);
        assert.equal(steps.at(-1), 13);
        assert.deepEqual(weights(ae), weights(full), `resumed after ${stopAfter} steps`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // The noise really enters training: without it, or with other draws, the weights differ.
    const clean = make(3);
    trainAutoencoder({ model: clean, optimizer: new Adam(clean.parameters(), { lr: 0.01 }), x, batchSize: 6, epochs: 2, rng: new Rng(5) });
    assert.notDeepEqual(weights(clean), weights(full));
    const other = make(3);
    trainAutoencoder({ model: other, optimizer: new Adam(other.parameters(), { lr: 0.01 }), x, batchSize: 6, epochs: 2, rng: new Rng(6), noise });
    assert.notDeepEqual(weights(other), weights(full));
  });
});

test('the batches are noisy and the targets clean: training on masked inputs learns to fill the holes', () => {
  const x = bumps(200, 16, 2);
  const ae = new Autoencoder({ input: 16, hidden: [16], latent: 4, rng: new Rng(1) });
  const masking: NoiseOptions = { kind: 'masking', scale: 0.3 };
  const before = reconstructionMse(ae, x, { noise: masking, rng: new Rng(3) });
  trainAutoencoder({ model: ae, optimizer: new Adam(ae.parameters(), { lr: 0.01 }), x, batchSize: 20, epochs: 30, rng: new Rng(2), noise: masking });
  const after = reconstructionMse(ae, x, { noise: masking, rng: new Rng(3) });
  // What the corrupted input itself scores against the clean target (leaving the holes empty):
  const corrupted = addNoise(x, masking, new Rng(3));
  let sq = 0;
  for (let i = 0; i < x.size; i++) sq += (corrupted.data[i] - x.data[i]) ** 2;
  assert.ok(after < before / 4, `masked-input MSE ${before} → ${after}`);
  assert.ok(after < sq / x.size / 2, `reconstruction ${after} vs leaving the holes ${sq / x.size}`);
});

test('epoch events carry the train loss and the validation reconstruction loss', () => {
  const x = bumps(30, 8, 3);
  const val = bumps(10, 8, 4);
  const ae = new Autoencoder({ input: 8, hidden: [4], latent: 2, rng: new Rng(0) });
  const events: TrainEvent[] = [
    ...trainAutoencoderSteps({ model: ae, optimizer: new SGD(ae.parameters(), { lr: 0.1 }), x, batchSize: 8, epochs: 2, rng: new Rng(0), validation: val }),
  ];
  assert.deepEqual(
    events.map((e) => e.type),
    ['step', 'step', 'step', 'step', 'epoch', 'step', 'step', 'step', 'step', 'epoch'],
  );
  const last = events.at(-1) as EpochEvent;
  assert.ok(last.loss > 0 && Number.isFinite(last.loss));
  assert.ok(last.validation !== undefined);
  assert.ok(Math.abs(last.validation.loss - reconstructionMse(ae, val)) < 1e-7, `${last.validation.loss} vs ${reconstructionMse(ae, val)}`);
  const bce = [
    ...trainAutoencoderSteps({ model: ae, optimizer: new SGD(ae.parameters(), { lr: 0.1 }), loss: 'bce', x, batchSize: 8, epochs: 1, rng: new Rng(0) }),
  ];
  assert.ok(
    bce.every((e) => e.loss > 0.3),
    'BCE of [0,1] images is far above their MSE',
  );
});

test('reconstructionMse is the mean over every pixel, and noiseSweep grows with the noise scale', () => {
  const x = bumps(50, 10, 5);
  const ae = new Autoencoder({ input: 10, hidden: [8], latent: 3, rng: new Rng(2) });
  trainAutoencoder({ model: ae, optimizer: new Adam(ae.parameters(), { lr: 0.01 }), x, batchSize: 10, epochs: 20, rng: new Rng(0) });
  const r = ae.reconstruct(x);
  let sq = 0;
  for (let i = 0; i < x.size; i++) sq += (r.data[i] - x.data[i]) ** 2;
  assert.ok(Math.abs(reconstructionMse(ae, x, { batchSize: 7 }) - sq / x.size) < 1e-9);
  const sweep = noiseSweep(ae, x, [0, 0.1, 0.5, 1], { rng: new Rng(1) });
  assert.deepEqual(
    sweep.map((s) => s.scale),
    [0, 0.1, 0.5, 1],
  );
  assert.ok(Math.abs(sweep[0].mse - sq / x.size) < 1e-9, 'scale 0 is the clean MSE');
  for (let i = 1; i < sweep.length; i++) assert.ok(sweep[i].mse > sweep[i - 1].mse, JSON.stringify(sweep));
  assert.deepEqual(noiseSweep(ae, x, [0.5], { rng: new Rng(1), kind: 'masking' }), noiseSweep(ae, x, [0.5], { rng: new Rng(1), kind: 'masking' }));
});

test('bad training and scoring options are refused with errors naming the value', () => {
  const x = bumps(10, 8, 3);
  const ae = new Autoencoder({ input: 8, hidden: [4], latent: 2, rng: new Rng(0) });
  const base = { model: ae, optimizer: new SGD(ae.parameters(), { lr: 0.1 }), x, batchSize: 4, epochs: 1, rng: new Rng(0) };
  const run = (o: Partial<Parameters<typeof trainAutoencoder>[0]>) => trainAutoencoder({ ...base, ...o });
  assert.throws(() => run({ x: Tensor.zeros([10, 7]) }), /trainAutoencoder: expected 8 input features, got 7/);
  assert.throws(() => run({ loss: 'l1' as never }), /trainAutoencoder: expected loss to be one of mse, bce, got "l1"/);
  assert.throws(() => run({ noise: { kind: 'gaussian', scale: -0.1 } }), /trainAutoencoder: expected noise scale ≥ 0/);
  assert.throws(() => run({ batchSize: 0 }), /train: expected batchSize to be a positive integer, got 0/);
  assert.throws(() => run({ model: {} as never }), /trainAutoencoder: expected an Autoencoder, got Object/);
  const linearOut = new Autoencoder({ input: 8, hidden: [4], latent: 2, outputActivation: 'identity', rng: new Rng(0) });
  assert.throws(
    () => run({ model: linearOut, optimizer: new SGD(linearOut.parameters(), { lr: 0.1 }), loss: 'bce' }),
    /bce loss needs probabilities, i.e. outputActivation 'sigmoid', got 'identity'/,
  );
  assert.throws(() => reconstructionMse(ae, x, { noise: { kind: 'gaussian', scale: 0.1 } }), /reconstructionMse: noise needs an rng to draw from/);
  assert.throws(
    () => noiseSweep(ae, x, [0.1, 2], { kind: 'masking', rng: new Rng(0) }),
    /noiseSweep: expected a masking noise scale \(a probability\) between 0 and 1, got 2/,
  );
  assert.throws(() => meanImageMse(x, Tensor.zeros([3, 9])), /meanImageMse\(reference\): expected 8 input features, got 9/);
});

test('a small autoencoder on 2,000 MNIST digits beats the mean-image baseline clearly within 5 epochs', () => {
  const dir = mnistPackageDir();
  const train = loadImageIdx(dir, 'train', 2000).x;
  const held = loadImageIdx(dir, 'test', 1000).x;
  const ae = new Autoencoder({ input: 784, hidden: [128], latent: 16, rng: new Rng(0) });
  // Seed 001's optimiser (Adam, lr 0.005, MSE), batch 32 for more steps on the small set.
  const r = trainAutoencoder({
    model: ae,
    optimizer: new Adam(ae.parameters(), { lr: 0.005 }),
    x: train,
    batchSize: 32,
    epochs: 5,
    rng: new Rng(1),
    validation: held,
  });
  const baseline = meanImageMse(held, train);
  const mse = reconstructionMse(ae, held);
  assert.ok(baseline > 0.05 && baseline < 0.09, `mean-image MSE ${baseline}`);
  assert.ok(mse < 0.7 * baseline, `test reconstruction MSE ${mse} vs mean-image ${baseline}`);
  assert.ok(Math.abs((r.epochs[4].validation?.loss ?? NaN) - mse) < 1e-6);
});
