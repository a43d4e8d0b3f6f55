/**
 * The convolutional DESOM (encoder 'conv', the reference code's ConvDESOM): its architecture and
 * defaults, a finite-difference check of the whole objective through the convolutions, pretraining
 * then joint training, save / load (desom.json version 2), layer capture, and the fully connected
 * DESOM's initial weights unchanged for existing seeds.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureLayers } from '../analysis/capture.js';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { loadDesom, saveDesom } from './file.js';
import { DESOM, desomArchitecture } from './model.js';
import { DesomObjective } from './objective.js';
import { fitDesom, type DesomStepEvent } from './steps.js';

/** Images of side×side pixels: a bright blob at a random place (structure a conv autoencoder can learn). */
function blobs(rows: number, side: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const x = Tensor.zeros([rows, side * side]);
  for (let i = 0; i < rows; i++) {
    const cy = rng.uniform(0, side);
    const cx = rng.uniform(0, side);
    const r = rng.uniform(1, side / 3);
    for (let y = 0; y < side; y++) for (let c = 0; c < side; c++) x.data[i * side * side + y * side + c] = Math.exp(-((y - cy) ** 2 + (c - cx) ** 2) / (r * r));
  }
  return x;
}

function allWeights(m: DESOM): Float32Array {
  return Float32Array.from([...m.namedParameters().values()].flatMap((p) => Array.from(p.value.data)));
}

test("a conv DESOM: the reference's filters 32-64-128-256 by default, no fully connected layer before the code, linear code and output", () => {
  const x = blobs(70, 28, 1);
  const model = DESOM.create(x, { encoder: 'conv', latent: 10, rows: 8, cols: 8, rng: new Rng(0) });
  assert.equal(model.config.encoder, 'conv');
  assert.deepEqual(model.config.conv, { image: [1, 28, 28], filters: [32, 64, 128, 256], kernel: 3 });
  assert.deepEqual(model.config.hidden, []);
  assert.equal(desomArchitecture(model.config), '1×28×28 conv 32-64-128-256 (3×3, stride 2)-10');
  assert.equal(model.toString(), 'DESOM(1×28×28 conv 32-64-128-256 (3×3, stride 2)-10, 8×8 rectangular map)');
  assert.equal(model.ae.options.init, 'glorot_uniform');
  assert.deepEqual(
    [model.ae.encoder.modules.at(-1)?.constructor.name, model.ae.decoder.modules.at(-1)?.constructor.name],
    ['Linear', 'Flatten'],
    'no activation after the code or the output',
  );
  const names = [...model.namedParameters().keys()];
  assert.equal(names.at(-1), 'prototypes');
  assert.ok(names.includes('encoder.7.weight') && names.includes('decoder.9.bias'));
  assert.deepEqual(model.encode(x).shape, [70, 10]);
  assert.deepEqual(model.decodePrototypes().shape, [64, 784]);
  // options only a conv encoder takes
  assert.throws(() => DESOM.create(x, { filters: [8], rng: new Rng(0) }), /DESOM\.create: filters is an option of encoder 'conv', not 'mlp'/);
  assert.throws(
    () => DESOM.create(blobs(10, 5, 1), { encoder: 'conv', image: [1, 4, 4], rng: new Rng(0) }),
    /image \[1, 4, 4\] has 16 values, but input is 25/,
  );
});

for (const be of ['js', 'native'] as const) {
  test(`the conv DESOM loss gradient (w held fixed) wrt every weight and the prototypes matches central differences (${be})`, () => {
    withBackend(be, () => {
      const x = blobs(5, 6, 2);
      const model = DESOM.create(x, { encoder: 'conv', filters: [2, 3], hidden: [4], latent: 2, activation: 'tanh', rows: 2, cols: 2, rng: new Rng(3) });
      const jitter = new Rng(4);
      for (let i = 0; i < model.prototypes.data.length; i++) model.prototypes.data[i] += jitter.uniform(-0.5, 0.5);
      const T = 1.1;
      const obj = new DesomObjective(model, { maxRows: 5, gamma: 0.5 });
      model.zeroGrad();
      obj.lossAndGradient(x, T);
      const bmus = obj.bmus.slice(0, 5);
      const grads = new Map([...model.namedParameters()].map(([k, p]) => [k, Float32Array.from(p.grad.data)]));
      const loss = (): number => {
        model.zeroGrad();
        return obj.lossAndGradient(x, T, bmus).loss;
      };
      const h = 1e-2;
      let checked = 0;
      for (const [name, p] of model.namedParameters()) {
        const g = grads.get(name)!;
        let scale = 1e-8;
        for (const a of g) scale = Math.max(scale, Math.abs(a));
        const v = p.value.data;
        for (let i = 0; i < v.length; i += name.endsWith('weight') ? 3 : 1) {
          const old = v[i];
          v[i] = old + h;
          const up = loss();
          v[i] = old - h;
          const down = loss();
          v[i] = old;
          const fd = (up - down) / (2 * h);
          // float32 forward passes: about 5e-7 of rounding noise per difference quotient
          assert.ok(Math.abs(fd - g[i]) <= 5e-3 * scale + 5e-7, `${name}[${i}]: analytic ${g[i]}, finite difference ${fd}`);
          checked++;
        }
      }
      assert.ok(checked > 80, `${checked} coordinates checked`);
    });
  });
}

test('pretraining then joint training on 12×12 blobs: the reconstruction error falls and the BMUs spread over the map', () => {
  const x = blobs(240, 12, 5);
  const model = DESOM.create(x, { encoder: 'conv', filters: [4, 8], latent: 3, rows: 3, cols: 3, rng: new Rng(6) });
  const steps: DesomStepEvent[] = [];
  const result = fitDesom(model, x, { iterations: 60, batchSize: 40, pretrainEpochs: 15, lr: 5e-3, Tmax: 2, Tmin: 0.3, rng: new Rng(7) }, (e) => {
    if (e.type === 'step') steps.push(e);
  });
  assert.equal(result.pretrainLosses.length, 15);
  assert.ok(result.pretrainLosses[14] < 0.6 * result.pretrainLosses[0], `pretraining MSE ${result.pretrainLosses.join(' → ')}`);
  assert.ok(steps.every((e) => Number.isFinite(e.loss)));
  assert.ok(steps.at(-1)!.lr < result.pretrainLosses[0], `Lr ${steps.at(-1)!.lr} after the first pretraining epoch's ${result.pretrainLosses[0]}`);
  assert.ok(new Set(model.bmus(x)).size >= 5, 'at least 5 of 9 cells used');
});

test('saveDesom / loadDesom round-trip a conv DESOM exactly; desom.json version 2 records the encoder and must agree with ae/', () => {
  const x = blobs(30, 10, 8);
  const model = DESOM.create(x, { encoder: 'conv', filters: [3, 5], kernel: 5, hidden: [6], latent: 2, rows: 2, cols: 3, rng: new Rng(9) });
  fitDesom(model, x, { iterations: 4, batchSize: 10, rng: new Rng(0), lr: 0.01 });
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-conv-desom-'));
  try {
    saveDesom(dir, model);
    const back = loadDesom(dir);
    assert.deepEqual(back.config, model.config);
    assert.deepEqual(allWeights(back), allWeights(model));
    assert.deepEqual([...back.bmus(x)], [...model.bmus(x)]);
    assert.deepEqual(back.decodePrototypes().data, model.decodePrototypes().data);
    const path = join(dir, 'desom.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual([json.version, json.encoder, json.image, json.filters, json.kernel, json.hidden], [2, 'conv', [1, 10, 10], [3, 5], 5, [6]]);
    writeFileSync(path, JSON.stringify({ ...json, filters: [3, 6] }));
    assert.throws(() => loadDesom(dir), /describes 1×10×10 conv 3-6 \(5×5, stride 2\)-6-2 relu, but ae\/ holds 1×10×10 conv 3-5 \(5×5, stride 2\)-6-2 relu/);
    writeFileSync(path, JSON.stringify({ ...json, version: 1 }));
    assert.throws(() => loadDesom(dir), /version 1 cannot describe a conv encoder/);
    writeFileSync(path, JSON.stringify({ ...json, kernel: undefined }));
    assert.throws(() => loadDesom(dir), /desom\.json: kernel: missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("capture reads a conv DESOM's layers: the convolutions' maps, the code and the map", () => {
  const x = blobs(20, 8, 10);
  const model = DESOM.create(x, { encoder: 'conv', filters: [2, 3], latent: 2, rows: 2, cols: 2, rng: new Rng(11) });
  assert.deepEqual(
    captureLayers(model).map((l) => `${l.name}:${l.kind}`),
    ['h1:activations', 'h2:activations', 'code:activations', 'map:cells'],
  );
});

test('the fully connected DESOM draws the same initial autoencoder weights as before the conv encoder (existing seeds)', () => {
  const rng = new Rng(3);
  const x = new Tensor(
    Float32Array.from({ length: 300 * 64 }, () => rng.uniform()),
    [300, 64],
  );
  // Hashes recorded before the 'conv' encoder existed.
  for (const [seed, expected] of [
    [0, '6b803e2c6a9b3800'],
    [7, 'c2ff435d3fef45f2'],
  ] as const) {
    const d = DESOM.create(x, { hidden: [32, 16], latent: 4, rows: 3, cols: 3, rng: new Rng(seed) });
    const h = createHash('sha256');
    for (const [k, p] of d.ae.namedParameters()) {
      h.update(k);
      h.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
    }
    assert.equal(h.digest('hex').slice(0, 16), expected, `seed ${seed}`);
    assert.equal(d.config.encoder, 'mlp');
    assert.equal(d.config.conv, null);
  }
});
