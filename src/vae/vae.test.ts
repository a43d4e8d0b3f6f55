/**
 * The VAE: PyTorch parity with scripts/fixtures/make_vae.py on both backends (μ, log σ², x̂, each
 * row's terms, the loss, every parameter's gradient for a fixed ε, and 3 Adam steps) for a fully
 * connected BCE model, an MSE model with β = 0.5 and a convolutional one; finite differences;
 * the KL term by hand; the rng-drawn ε; the whole-dataset methods (encode, decode, reconstruct,
 * sample, negElbo, reconstructionError); saving and loading; bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { relErr } from '../../test/helpers/spec.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { manifoldCodes, manifoldQuantiles, normalQuantile } from './manifold.js';
import { fitVae, trainVaeSteps, vaeScore } from './train.js';
import { VAE, type VaeOptions } from './vae.js';
import { loadVae, saveVae } from './vae-file.js';

interface VaeFixture {
  config: Omit<VaeOptions, 'rng'> & { image?: [number, number, number] };
  beta: number;
  optimizer: { lr: number; beta1: number; beta2: number; eps: number };
  names: string[];
  shapes: Record<string, number[]>;
  initial: Record<string, number[]>;
  x: number[];
  eps: number[];
  mu: number[];
  logvar: number[];
  xhat: number[];
  rec: number[];
  kl: number[];
  loss: number;
  grads: Record<string, number[]>;
  eps_steps: number[][];
  losses: number[];
  final: Record<string, number[]>;
}

const fixture = (name: string): VaeFixture => JSON.parse(readFileSync(new URL(`../../test/fixtures/vae/${name}.json`, import.meta.url), 'utf8')) as VaeFixture;

/*
 * The float32 bound the parity checks use. The reference is float64; ours rounds every product
 * and sum to float32 (unit roundoff u = 2⁻²⁴). A dot product of K terms is then off by at most
 * K·u relative to Σ|terms| (Higham, γ_K, first order), and errors add up over the weighted
 * layers a value goes through: at most 9 here (the conv case: 2 convolutions, 1 Linear and a head
 * up, 2 Linear and 2 transposed convolutions down) with K ≤ 36 (4 channels × 3×3). So the forward
 * values (μ, log σ², x̂, the per-row terms, the loss) are within 9·36·u ≈ 1.9e-5 of the largest
 * of their kind, and a gradient, which adds the backward pass over the same layers, within twice
 * that. Adam's step m̂/(√v̂ + ε) carries the relative error of the gradient elements it
 * normalises, at most lr = 0.01 per step: after 3 steps a weight is within 3·0.01·2·1.9e-5 ≈
 * 1.2e-6 of PyTorch's, which the check states relative to the largest weight (≥ 0.3 in every case).
 */
const U = 2 ** -24;
const FORWARD = 9 * 36 * U;
const GRADIENT = 2 * FORWARD;

function build(f: VaeFixture): VAE {
  const c = f.config;
  return new VAE({ ...c, rng: new Rng(0) });
}

function uniformData(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: rows * cols }, () => rng.uniform()),
    [rows, cols],
  );
}

for (const name of ['mlp-bce', 'mlp-mse', 'conv-bce']) {
  for (const be of ['js', 'native', 'wasm'] as BackendName[]) {
    test(`PyTorch parity ${name} (${be}): μ, log σ², x̂, each row's terms, the loss, every gradient for a fixed ε, and 3 Adam steps`, () => {
      withBackend(be, () => {
        const f = fixture(name);
        const vae = build(f);
        const named = vae.namedParameters();
        assert.deepEqual([...named.keys()], f.names, 'state_dict names and order as the torch module');
        for (const [k, p] of named) {
          assert.deepEqual([...p.value.shape], f.shapes[k], k);
          p.value.data.set(f.initial[k]);
        }
        const n = f.config.input;
        const p = f.config.latent;
        const rows = f.x.length / n;
        const x = new Tensor(Float32Array.from(f.x), [rows, n]);
        const eps = new Tensor(Float32Array.from(f.eps), [rows, p]);
        const { mu, logvar } = vae.encode(x);
        assert.ok(relErr(mu.data, f.mu) <= FORWARD, `μ: ${relErr(mu.data, f.mu)}`);
        assert.ok(relErr(logvar.data, f.logvar) <= FORWARD, `log σ²: ${relErr(logvar.data, f.logvar)}`);
        vae.zeroGrad();
        const terms = vae.forwardLoss(x, { eps, beta: f.beta });
        const lossErr = Math.abs(terms.loss - f.loss) / Math.abs(f.loss);
        assert.ok(lossErr <= FORWARD, `loss ${terms.loss} vs torch ${f.loss} (${lossErr.toExponential(2)})`);
        const meanOf = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
        assert.ok(Math.abs(terms.reconstruction - meanOf(f.rec)) <= FORWARD * meanOf(f.rec), 'mean reconstruction term');
        assert.ok(Math.abs(terms.kl - meanOf(f.kl)) <= FORWARD * Math.max(...f.kl.map(Math.abs)), 'mean KL term');
        vae.backwardLoss();
        for (const [k, q] of named) {
          const e = relErr(q.grad.data, f.grads[k]);
          assert.ok(e <= GRADIENT, `gradient of ${k}: relative error ${e.toExponential(2)} > ${GRADIENT.toExponential(2)}`);
        }
        // The per-row terms through the public per-row method, with the same ε given as an rng would.
        const rowsAgain = vae.reconstructionError(x);
        assert.equal(rowsAgain.kl.length, rows);
        assert.ok(relErr(rowsAgain.kl, f.kl) <= FORWARD, 'KL per row (it does not depend on ε)');

        const o = f.optimizer;
        const optimizer = new Adam(vae.parameters(), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
        f.eps_steps.forEach((e, step) => {
          optimizer.zeroGrad();
          const l = vae.forwardLoss(x, { eps: new Tensor(Float32Array.from(e), [rows, p]), beta: f.beta }).loss;
          vae.backwardLoss();
          optimizer.step();
          assert.ok(Math.abs(l - f.losses[step]) <= FORWARD * Math.abs(f.losses[step]), `Adam step ${step}: loss ${l} vs torch ${f.losses[step]}`);
        });
        const scale = Math.max(...Object.values(f.final).map((v) => Math.max(...v.map(Math.abs))));
        assert.ok(scale >= 0.3);
        for (const [k, q] of named) {
          const e = relErr(q.value.data, f.final[k], scale);
          assert.ok(e <= 1.2e-6 / 0.3, `final ${k}: relative error ${e.toExponential(2)}`);
        }
      });
    });
  }
}

test('the sampled pass of the fixture by hand: x̂ of z = μ + exp(½ log σ²)·ε, rec the summed BCE, KL the closed form', () => {
  const f = fixture('mlp-bce');
  const p = f.config.latent;
  const rows = f.x.length / f.config.input;
  for (let i = 0; i < rows; i++) {
    let kl = 0;
    for (let k = 0; k < p; k++) {
      const m = f.mu[i * p + k];
      const lv = f.logvar[i * p + k];
      kl += -0.5 * (1 + lv - m * m - Math.exp(lv));
    }
    assert.ok(Math.abs(kl - f.kl[i]) < 1e-12, `row ${i}: the fixture's KL is the closed form`);
  }
  // KL(N(μ, σ²) ‖ N(0, 1)) by its definition for one dimension, μ = 0.7, σ² = 0.25:
  // ½(σ² + μ² − 1 − ln σ²) = ½(0.25 + 0.49 − 1 + 1.386294…) = 0.563147…
  const vae = new VAE({ input: 3, hidden: [2], latent: 1, rng: new Rng(0) });
  for (const q of vae.parameters()) q.value.data.fill(0);
  vae.mu.bias?.value.data.fill(0.7);
  vae.logvar.bias?.value.data.fill(Math.log(0.25));
  const t = vae.forwardLoss(Tensor.full([2, 3], 0.5), { eps: Tensor.zeros([2, 1]) });
  assert.ok(Math.abs(t.kl - 0.5 * (0.25 + 0.49 - 1 - Math.log(0.25))) < 1e-6, `KL ${t.kl}`);
  // x̂ = sigmoid(0) = ½ everywhere: the BCE of ½ against ½ is ln 2 per pixel, 3 pixels per row.
  assert.ok(Math.abs(t.reconstruction - 3 * Math.LN2) < 1e-6, `rec ${t.reconstruction}`);
  const beta = vae.forwardLoss(Tensor.full([2, 3], 0.5), { eps: Tensor.zeros([2, 1]), beta: 0.25 });
  assert.ok(Math.abs(beta.loss - (beta.reconstruction + 0.25 * beta.kl)) < 1e-12, 'loss = rec + β·KL');
});

test('finite differences: every parameter gradient of the loss (tanh, fixed ε), BCE and MSE, both backends', () => {
  for (const be of ['js', 'native', 'wasm'] as BackendName[]) {
    withBackend(be, () => {
      for (const loss of ['bce', 'mse'] as const) {
        const vae = new VAE({ input: 8, hidden: [5, 4], latent: 3, activation: 'tanh', loss, init: 'glorot_uniform', inputGrad: true, rng: new Rng(3) });
        const x = uniformData(4, 8, 4);
        const eps = new Tensor(new Rng(5).fillNormal(new Float32Array(12)), [4, 3]);
        const beta = 0.7;
        // x also is the reconstruction's target: held fixed (a copy), so ∂loss/∂x is the encoder's path, what backwardLoss returns.
        const target = x.clone();
        const f = (): number => vae.forwardLoss(x, { eps, beta, target }).loss;
        vae.zeroGrad();
        f();
        const dx = vae.backwardLoss().clone();
        assert.deepEqual(dx.shape, [4, 8]);
        const h = 1e-2;
        const check = (what: string, v: Float32Array, g: Float32Array): void => {
          let scale = 1e-8;
          for (const a of g) scale = Math.max(scale, Math.abs(a));
          for (let i = 0; i < v.length; i++) {
            const old = v[i];
            v[i] = old + h;
            const up = f();
            v[i] = old - h;
            const down = f();
            v[i] = old;
            const fd = (up - down) / (2 * h);
            // Central differences: truncation h²·f‴/6 (≈ 1e-4·|f‴|) plus the float32 rounding of two
            // losses of ~10 nats summed over 8 pixels (≈ 8·10·u/h ≈ 5e-5 per quotient).
            assert.ok(Math.abs(fd - g[i]) <= 5e-3 * scale + 2e-4, `${be} ${loss} ${what}[${i}]: analytic ${g[i]}, finite difference ${fd}`);
          }
        };
        for (const [name, q] of vae.namedParameters()) check(name, q.value.data, q.grad.clone().data);
        check('x', x.data, dx.data);
      }
    });
  }
});

describe('the whole-dataset methods', () => {
  const vae = new VAE({ input: 16, hidden: [12, 8], latent: 2, rng: new Rng(1) });
  const x = uniformData(7, 16, 2);

  test('state_dict names: encoder.*, mu.*, logvar.*, decoder.* as the PyTorch module', () => {
    assert.deepEqual(
      [...vae.namedParameters().keys()],
      [
        'encoder.0.weight',
        'encoder.0.bias',
        'encoder.2.weight',
        'encoder.2.bias',
        'mu.weight',
        'mu.bias',
        'logvar.weight',
        'logvar.bias',
        'decoder.0.weight',
        'decoder.0.bias',
        'decoder.2.weight',
        'decoder.2.bias',
        'decoder.4.weight',
        'decoder.4.bias',
      ],
    );
    const d = new VAE({ input: 784, latent: 2, rng: new Rng(0) });
    assert.equal(d.options.hidden.join('-'), '512-256', 'the default 784-512-256 → p');
    assert.equal(d.parameterCount(), 784 * 512 + 512 + 512 * 256 + 256 + 2 * (256 * 2 + 2) + 2 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784);
  });

  // A GEMM's last bits may depend on the number of rows it multiplies (BLAS kernels block by rows):
  // results over other batches agree to float32 rounding (a few u), not bit for bit.
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => assert.ok(relErr(a, b) < 1e-6, `${what}: ${relErr(a, b)}`);

  test('encode in batches gives the μ and log σ² of one batch; reconstruct = decode(μ) = forward', () => {
    const a = vae.encode(x);
    const b = vae.encode(x, 3);
    close(a.mu.data, b.mu.data, 'μ');
    close(a.logvar.data, b.logvar.data, 'log σ²');
    const r = vae.reconstruct(x);
    assert.deepEqual(r.data, vae.decode(a.mu).data);
    assert.deepEqual(vae.forward(x).data, r.data);
    close(vae.reconstruct(x, 2).data, r.data, 'x̂');
    assert.ok(r.data.every((v) => v > 0 && v < 1));
  });

  test('ε drawn from the rng: the same seed gives the same loss, another seed another; the rows drawn row-major', () => {
    const l1 = vae.forwardLoss(x, { rng: new Rng(9) });
    const l2 = vae.forwardLoss(x, { rng: new Rng(9) });
    const l3 = vae.forwardLoss(x, { rng: new Rng(10) });
    assert.deepEqual(l1, l2);
    assert.notEqual(l1.loss, l3.loss);
    const eps = new Tensor(new Rng(9).fillNormal(new Float32Array(7 * 2)), [7, 2]);
    assert.deepEqual(vae.forwardLoss(x, { eps }), l1);
  });

  test('negElbo: per row rec + KL, the mean of its rows is vaeScore; more samples average the reconstruction; reconstructionError is z = μ', () => {
    const one = vae.negElbo(x, new Rng(4));
    assert.equal(one.negElbo.length, 7);
    for (let i = 0; i < 7; i++) assert.ok(Math.abs(one.negElbo[i] - one.reconstruction[i] - one.kl[i]) < 1e-9);
    const mean = one.negElbo.reduce((s, v) => s + v, 0) / 7;
    assert.ok(Math.abs(vaeScore(vae, x, new Rng(4)).negElbo - mean) < 1e-9);
    // one sample through forwardLoss: the same ε (a batch of 7 rows, one draw) gives the same terms
    const t = vae.forwardLoss(x, { rng: new Rng(4) });
    assert.ok(Math.abs(t.loss - mean) < 1e-9);
    // batches of 3 draw ε per batch in turn: the same numbers, row-major, as one batch
    close(vae.negElbo(x, new Rng(4), 1, 3).negElbo, one.negElbo, 'negElbo in batches of 3');
    const four = vae.negElbo(x, new Rng(4), 4);
    assert.deepEqual(four.kl, one.kl, 'the KL is closed form');
    assert.notDeepEqual(four.reconstruction, one.reconstruction);
    const det = vae.reconstructionError(x);
    assert.deepEqual(det, vae.reconstructionError(x), 'deterministic');
    close(vae.reconstructionError(x, 2).negElbo, det.negElbo, 'reconstructionError in batches of 2');
    assert.deepEqual(det.kl, one.kl);
  });

  test('sample: count images in [0, 1], seeded', () => {
    const s = vae.sample(5, new Rng(3));
    assert.deepEqual(s.shape, [5, 16]);
    assert.deepEqual(s.data, vae.sample(5, new Rng(3)).data);
    assert.ok(s.data.every((v) => v > 0 && v < 1));
  });
});

test('trainVaeSteps: the loss falls; a run resumed at step N from the same rng start state ends with the same weights', () => {
  const x = uniformData(40, 16, 7);
  for (let i = 0; i < x.size; i++) x.data[i] = x.data[i] < 0.5 ? 0 : 1;
  const make = (): { vae: VAE; opt: Adam } => {
    const vae = new VAE({ input: 16, hidden: [10], latent: 2, rng: new Rng(1) });
    return { vae, opt: new Adam(vae.parameters(), { lr: 0.01 }) };
  };
  const a = make();
  const epochs = fitVae({ model: a.vae, optimizer: a.opt, x, batchSize: 8, epochs: 6, rng: new Rng(2), validation: { x, rng: new Rng(3) } });
  assert.equal(epochs.length, 6);
  assert.ok(epochs[5].loss < epochs[0].loss, `${epochs[0].loss} → ${epochs[5].loss}`);
  assert.ok(epochs.every((e) => e.validation !== undefined && Math.abs(e.validation.negElbo - e.validation.reconstruction - e.validation.kl) < 1e-9));

  const b = make();
  let stoppedAt = 0;
  for (const e of trainVaeSteps({ model: b.vae, optimizer: b.opt, x, batchSize: 8, epochs: 6, rng: new Rng(2) })) {
    if (e.type === 'step' && e.step === 12) {
      stoppedAt = e.step + 1;
      break;
    }
  }
  // resume: a new optimizer restored from the stopped one's state, the rng in its start state
  const c = make();
  c.vae.parameters().forEach((q, i) => q.value.data.set(b.vae.parameters()[i].value.data));
  c.opt.loadStateDict(b.opt.stateDict());
  fitVae({ model: c.vae, optimizer: c.opt, x, batchSize: 8, epochs: 6, rng: new Rng(2), startStep: stoppedAt });
  a.vae.parameters().forEach((q, i) => assert.deepEqual(c.vae.parameters()[i].value.data, q.value.data, `parameter ${i}`));
});

test('a conv VAE on 28×28 images: the autoencoder stacks without the code layer, heads on the flattened 4×4 maps', () => {
  const vae = new VAE({ input: 784, latent: 2, architecture: 'conv', rng: new Rng(0) });
  assert.deepEqual(
    vae.encoder.modules.map((m) => m.constructor.name),
    ['Unflatten', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Flatten'],
  );
  assert.equal(vae.mu.inFeatures, 128 * 4 * 4);
  assert.equal(vae.decoder.modules.at(-1)?.constructor.name, 'Sigmoid');
  const x = uniformData(3, 784, 1);
  assert.deepEqual(vae.reconstruct(x).shape, [3, 784]);
  vae.forwardLoss(x, { rng: new Rng(1) });
  assert.deepEqual(vae.backwardLoss().shape, [0, 784]);
});

test('save then load: model.json "latentlab-vae" records the options, the weights come back exactly; damaged files are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-vae-'));
  try {
    for (const [name, o] of [
      ['mlp', { input: 20, hidden: [9, 6], latent: 3, loss: 'mse' as const, rng: new Rng(4) }],
      [
        'conv',
        { input: 256, hidden: [8], latent: 2, architecture: 'conv' as const, image: [1, 16, 16] as [number, number, number], filters: [4, 6], rng: new Rng(5) },
      ],
    ] as const) {
      const vae = new VAE(o);
      saveVae(join(dir, name), vae);
      const back = loadVae(join(dir, name));
      assert.deepEqual(back.options, vae.options);
      const x = uniformData(4, vae.options.input, 1);
      assert.deepEqual(back.reconstruct(x).data, vae.reconstruct(x).data);
    }
    const path = join(dir, 'mlp', 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { vae: Record<string, unknown> };
    assert.equal(json.format, 'latentlab-vae');
    assert.deepEqual(json.vae, {
      input: 20,
      latent: 3,
      hidden: [9, 6],
      activation: 'relu',
      output_activation: 'sigmoid',
      loss: 'mse',
      init: 'torch_default',
      input_grad: false,
      architecture: 'mlp',
    });
    const bad = (patch: Record<string, unknown>, v: Record<string, unknown> = {}): void =>
      writeFileSync(path, JSON.stringify({ ...json, ...patch, vae: { ...json.vae, ...v } }));
    bad({ version: 2 });
    assert.throws(() => loadVae(join(dir, 'mlp')), /unsupported version 2/);
    bad({}, { latent: 4 });
    assert.throws(() => loadVae(join(dir, 'mlp')), /the mu description does not match/);
    bad({}, { kernel: 3 });
    assert.throws(() => loadVae(join(dir, 'mlp')), /vae\.kernel: unexpected without architecture "conv"/);
    bad({ format: 'latentlab-autoencoder' });
    assert.throws(() => loadVae(join(dir, 'mlp')), /expected format "latentlab-vae"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options and inputs name the function, the value and what was expected', () => {
  const rng = new Rng(0);
  assert.throws(() => new VAE({ input: 10, latent: 2, hidden: [], rng }), /VAE: a fully connected VAE needs at least one hidden layer/);
  assert.throws(() => new VAE({ input: 10, latent: 0, rng }), /VAE: expected latent to be a positive integer, got 0/);
  assert.throws(() => new VAE({ input: 10, latent: 2, outputActivation: 'identity', rng }), /VAE: the bce loss needs probabilities/);
  assert.throws(() => new VAE({ input: 10, latent: 2, loss: 'l1' as never, rng }), /VAE: expected loss to be one of bce, mse, got "l1"/);
  assert.throws(() => new VAE({ input: 10, latent: 2, architecture: 'conv', rng }), /needs the image shape/);
  const vae = new VAE({ input: 10, hidden: [4], latent: 2, rng });
  const x = uniformData(3, 10, 0);
  assert.throws(() => vae.forwardLoss(uniformData(3, 9, 0), { rng }), /VAE\.forwardLoss: expected 10 input features, got 9/);
  assert.throws(() => vae.forwardLoss(x, {}), /VAE\.forwardLoss: expected rng to be an Rng, got undefined/);
  assert.throws(() => vae.forwardLoss(x, { eps: Tensor.zeros([3, 3]) }), /VAE\.forwardLoss: expected eps to be a \[3, 2\] tensor, got \[3, 3\]/);
  assert.throws(() => vae.forwardLoss(x, { rng, beta: -1 }), /VAE\.forwardLoss: expected beta to be a finite number ≥ 0, got -1/);
  assert.throws(() => new VAE({ input: 10, hidden: [4], latent: 2, rng }).backwardLoss(), /VAE\.backwardLoss: called before forwardLoss/);
  assert.throws(() => vae.negElbo(x, rng, 0), /VAE\.negElbo: expected samples to be a positive integer, got 0/);
  assert.throws(() => vae.decode(Tensor.zeros([2, 3])), /VAE\.decode: expected 2 latent columns, got 3/);
  assert.throws(() => vae.sample(0, rng), /VAE\.sample: expected count to be a positive integer, got 0/);
  assert.throws(
    () => vae.forwardLoss(Tensor.full([1, 10], 2), { rng }),
    /VAE\.forwardLoss: the bce loss needs inputs in \[0, 1\] \(each pixel's probability of ink\), got 2 in row 0/,
  );
  assert.throws(() => vae.forwardLoss(x, { rng, target: uniformData(2, 10, 0) }), /VAE\.forwardLoss: expected target to have the 3 rows of x, got 2/);
});

test('the manifold grid: Φ⁻¹ against known quantiles, symmetric, z₁ left to right and z₂ top to bottom', () => {
  // Φ⁻¹(0.975) = 1.959963984540054, Φ⁻¹(0.025) = −1.959963984540054, Φ⁻¹(0.8413447460685429) = 1
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.025) + 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.8413447460685429) - 1) < 1e-8);
  assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424308822899) < 1e-7);
  assert.equal(normalQuantile(0.5), 0);
  assert.throws(() => normalQuantile(1), /normalQuantile: expected a probability strictly between 0 and 1, got 1/);
  const q = manifoldQuantiles(20);
  assert.ok(Math.abs(q[0] + 1.959963984540054) < 1e-8, 'the first of 20 cells is at u = 0.025');
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(q[i] + q[19 - i]) < 1e-12);
  const z = manifoldCodes(3, 4);
  assert.deepEqual(z.shape, [16, 3]);
  const qq = manifoldQuantiles(4);
  // top-left cell: z₁ lowest, z₂ highest; the third coordinate at the prior's mean
  assert.deepEqual([z.data[0], z.data[1], z.data[2]], [Math.fround(qq[0]), Math.fround(qq[3]), 0]);
  // bottom-right cell
  assert.deepEqual([z.data[45], z.data[46]], [Math.fround(qq[3]), Math.fround(qq[0])]);
  assert.deepEqual(manifoldCodes(1, 5).shape, [5, 1]);
  assert.throws(() => manifoldCodes(2, 3, [0, 0]), /manifoldCodes: expected dims to be two distinct latent dimensions in 0…1, got \[0, 0\]/);
});
