import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Linear } from '../nn/linear.js';
import { summary } from '../nn/summary.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { loadGan, saveGan } from './file.js';
import { Gan, describeGan } from './models.js';
import { JUDGE_THRESHOLD, ganQuality, judgeImages } from './quality.js';
import { emptyEpochSums, ganSteps, type GanEpochSums } from './steps.js';

const work = mkdtempSync(join(tmpdir(), 'latentlab-gan-'));
after(() => rmSync(work, { recursive: true, force: true }));

const MNIST: [number, number, number] = [1, 28, 28];

test('the default mlp GAN is the course’s: G 100-256-512-1024-784 with tanh out, D 784-512-256-1, LeakyReLU 0.2', () => {
  const gan = new Gan({ image: MNIST, rng: new Rng(0) });
  assert.equal(describeGan(gan.options), 'mlp G 100-256-512-1024-784, D 784-512-256-1');
  // (in + 1)·out per layer
  assert.equal(gan.generator.parameterCount(), 101 * 256 + 257 * 512 + 513 * 1024 + 1025 * 784);
  assert.equal(gan.discriminator.parameterCount(), 785 * 512 + 513 * 256 + 257);
  assert.match(gan.generator.toString(), /LeakyReLU\(0\.2\)[\s\S]*Tanh/);
  const z = gan.sampleLatent(5, new Rng(1));
  const x = gan.generate(z);
  assert.deepEqual(x.shape, [5, 784]);
  assert.ok(x.data.every((v) => v > -1 && v < 1));
  assert.equal(gan.discriminate(x).length, 5);
});

test('the dcgan upsamples 7 → 14 → 28 with transposed convolutions, and D goes down 28 → 14 → 7 to one logit', () => {
  const gan = new Gan({ arch: 'dcgan', image: MNIST, gChannels: [16, 8], dChannels: [8, 16], rng: new Rng(0) });
  const g = summary(gan.generator, [1, 100]);
  assert.deepEqual(
    g.rows.map((r) => r.output.slice(1)),
    [[784], [784], [784], [16, 7, 7], [8, 14, 14], [8, 14, 14], [8, 14, 14], [1, 28, 28], [1, 28, 28], [784]],
  );
  const d = summary(gan.discriminator, [1, 784]);
  assert.deepEqual(d.rows.at(-1)?.output, [1, 1]);
  assert.deepEqual(d.rows[1].output, [1, 8, 14, 14]);
  assert.deepEqual(d.rows[3].output, [1, 16, 7, 7]);
  // No bias before batch norm: G's Linear and first ConvTranspose2d, D's second Conv2d.
  assert.deepEqual([...gan.generator.namedParameters().keys()], ['0.weight', '1.weight', '1.bias', '4.weight', '5.weight', '5.bias', '7.weight', '7.bias']);
  assert.deepEqual([...gan.discriminator.namedParameters().keys()], ['1.weight', '1.bias', '3.weight', '4.weight', '4.bias', '7.weight', '7.bias']);
  assert.throws(
    () => new Gan({ arch: 'dcgan', image: [1, 30, 30], rng: new Rng(0) }),
    /Gan: the dcgan upsamples twice by 2, so it needs a height and width divisible by 4, got 30×30/,
  );
});

test('a conditional GAN appends the one-hot of the class to z, and to the image (mlp) or as constant planes (dcgan)', () => {
  const z = Tensor.from([1, 2, 3, 4], [2, 2]);
  const labels = Int32Array.from([2, 0]);
  const mlp = new Gan({ image: [1, 2, 2], latent: 2, classes: 3, gHidden: [4], dHidden: [4], rng: new Rng(0) });
  assert.deepEqual([...mlp.generatorInput(z, labels).data], [1, 2, 0, 0, 1, 3, 4, 1, 0, 0]);
  const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  assert.deepEqual([...mlp.discriminatorInput(x, labels).data], [1, 2, 3, 4, 0, 0, 1, 5, 6, 7, 8, 1, 0, 0]);
  const conv = new Gan({ arch: 'dcgan', image: [1, 4, 4], latent: 2, classes: 2, gChannels: [2, 2], dChannels: [2, 2], rng: new Rng(0) });
  const img = Tensor.from(
    Array.from({ length: 16 }, (_, i) => i),
    [1, 16],
  );
  const d = conv.discriminatorInput(img, Int32Array.from([1]));
  assert.deepEqual(d.shape, [1, 48]);
  assert.deepEqual([...d.data.subarray(16)], [...new Array<number>(16).fill(0), ...new Array<number>(16).fill(1)]);
  assert.throws(() => mlp.generatorInput(z), /Gan\.generatorInput: a conditional GAN needs an Int32Array of 2 class labels/);
  assert.throws(() => mlp.generatorInput(z, Int32Array.from([0, 3])), /expected labels in 0\.\.2, got 3 at row 1/);
  const plain = new Gan({ image: [1, 2, 2], latent: 2, gHidden: [4], dHidden: [4], rng: new Rng(0) });
  assert.throws(() => plain.generatorInput(z, labels), /an unconditional GAN takes no labels/);
  assert.throws(() => new Gan({ image: MNIST, classes: 1, rng: new Rng(0) }), /expected classes to be 0 \(unconditional\) or an integer ≥ 2, got 1/);
  assert.throws(() => new Gan({ image: MNIST, latent: 0, rng: new Rng(0) }), /Gan: expected latent to be a positive integer, got 0/);
});

test('the same seed builds the same GAN; a saved GAN loads back generating the same images', () => {
  const o = { arch: 'dcgan' as const, image: MNIST, classes: 10, gChannels: [8, 4] as [number, number], dChannels: [4, 8] as [number, number] };
  const a = new Gan({ ...o, rng: new Rng(7) });
  const b = new Gan({ ...o, rng: new Rng(7) });
  for (const [k, p] of a.generator.namedParameters()) assert.deepEqual(p.value.data, b.generator.namedParameters().get(k)?.value.data);
  const dir = join(work, 'saved');
  saveGan(dir, a);
  const c = loadGan(dir);
  const z = a.sampleLatent(4, new Rng(2));
  const y = Int32Array.from([0, 3, 9, 5]);
  assert.deepEqual(c.generate(z, y).data, a.generate(z, y).data);
  assert.deepEqual(c.discriminate(a.generate(z, y), y), a.discriminate(a.generate(z, y), y));
  // gan.json that builds other networks than the saved ones is refused.
  const json = JSON.parse(readFileSync(join(dir, 'gan.json'), 'utf8')) as { gan: { g_channels: number[] } };
  json.gan.g_channels = [8, 8];
  writeFileSync(join(dir, 'gan.json'), JSON.stringify(json));
  assert.throws(() => loadGan(dir), /loadGan: .*generator\/model\.json does not describe the generator that .*gan\.json builds/);
});

/** A small GAN on 40 random 2×2 "images", its optimizers and its data. */
function smallRun(dropout: number): { gan: Gan; optG: Adam; optD: Adam; x: Tensor; labels: Int32Array } {
  const gan = new Gan({ image: [1, 2, 2], latent: 3, classes: 2, gHidden: [5], dHidden: [6], dropout, rng: new Rng(3), dropoutRng: new Rng(4) });
  const x = Tensor.zeros([40, 4]);
  new Rng(5).fillUniform(x.data, -1, 1);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 2);
  return {
    gan,
    optG: new Adam(gan.generator.parameters(), { lr: 0.01, beta1: 0.5 }),
    optD: new Adam(gan.discriminator.parameters(), { lr: 0.01, beta1: 0.5 }),
    x,
    labels,
  };
}

test('ganSteps: an epoch event per pass with the means of its steps; stopped and resumed, it ends with the same weights', () => {
  const full = smallRun(0.3);
  const events = [...ganSteps({ ...full, optimizerG: full.optG, optimizerD: full.optD, batchSize: 16, epochs: 3, rng: new Rng(10), zRng: new Rng(11) })];
  const steps = events.filter((e) => e.type === 'step');
  const epochs = events.filter((e) => e.type === 'epoch');
  assert.equal(steps.length, 9); // 3 batches (16, 16, 8) × 3 epochs
  assert.deepEqual(
    epochs.map((e) => e.step),
    [2, 5, 8],
  );
  const first = steps.slice(0, 3);
  assert.ok(Math.abs(epochs[0].dLoss - first.reduce((s, e) => s + e.dLoss, 0) / 3) < 1e-12);

  // Stop after step 4 (mid-epoch), keep what a checkpoint keeps, resume in fresh objects.
  const part = smallRun(0.3);
  const zRng = new Rng(11);
  const sums: GanEpochSums = emptyEpochSums();
  const it = ganSteps({ ...part, optimizerG: part.optG, optimizerD: part.optD, batchSize: 16, epochs: 3, rng: new Rng(10), zRng, epochSums: sums });
  for (let n = 0; n < 5;) if (it.next().value?.type === 'step') n++;
  const saved = {
    g: part.gan.generator.parameters().map((p) => p.value.data.slice()),
    d: part.gan.discriminator.parameters().map((p) => p.value.data.slice()),
    optG: part.optG.stateDict(),
    optD: part.optD.stateDict(),
    z: zRng.state(),
    dropout: (part.gan.discriminator.modules[2] as unknown as { rng: Rng }).rng.state(),
    sums: { ...sums },
  };
  const again = smallRun(0.3);
  again.gan.generator.parameters().forEach((p, i) => p.value.data.set(saved.g[i]));
  again.gan.discriminator.parameters().forEach((p, i) => p.value.data.set(saved.d[i]));
  again.optG.loadStateDict(saved.optG);
  again.optD.loadStateDict(saved.optD);
  (again.gan.discriminator.modules[2] as unknown as { rng: Rng }).rng.setState(saved.dropout);
  const rest = [
    ...ganSteps({
      ...again,
      optimizerG: again.optG,
      optimizerD: again.optD,
      batchSize: 16,
      epochs: 3,
      rng: new Rng(10),
      zRng: Rng.fromState(saved.z),
      startStep: 5,
      epochSums: saved.sums,
    }),
  ];
  assert.deepEqual(
    rest.filter((e) => e.type === 'epoch').map((e) => e.dLoss),
    epochs.slice(1).map((e) => e.dLoss),
  );
  full.gan.generator.parameters().forEach((p, i) => assert.deepEqual(again.gan.generator.parameters()[i].value.data, p.value.data));
  full.gan.discriminator.parameters().forEach((p, i) => assert.deepEqual(again.gan.discriminator.parameters()[i].value.data, p.value.data));
});

test('judgeImages: the confident share, the class match and the class counts of a judge’s softmax', () => {
  // A judge of 2 features → 3 classes with logits W·x: image (a, b) gets logits (a, b, 0).
  const judge = new Linear(2, 3, { rng: new Rng(0), bias: false });
  judge.weight.value.data.set([1, 0, 0, 1, 0, 0]);
  const images = Tensor.from([5, 0, 0, 5, 0.1, 0, 0, 0], [4, 2]);
  const v = judgeImages(judge, images, { requested: Int32Array.from([0, 1, 1, 2]) });
  assert.deepEqual([...v.predictions], [0, 1, 0, 0]);
  // softmax(5, 0, 0)₀ = e⁵/(e⁵ + 2) = 0.9867 ≥ 0.9; softmax(0.1, 0, 0) and (0, 0, 0) are about ⅓.
  assert.ok(Math.abs(v.confidence[0] - Math.exp(5) / (Math.exp(5) + 2)) < 1e-6);
  assert.equal(v.confidentShare, 0.5);
  assert.equal(v.classMatch, 0.5);
  assert.deepEqual([...v.counts], [3, 1, 0]);
  assert.equal(v.threshold, JUDGE_THRESHOLD);
  assert.equal(judgeImages(judge, images, { threshold: 0.3 }).confidentShare, 1);
  assert.throws(() => judgeImages(judge, images, { threshold: 0 }), /judgeImages: expected a threshold in \(0, 1\], got 0/);
});

test('ganQuality: N samples from the seeded rng, class i mod K asked of a conditional GAN, judged in [0, 1]', () => {
  const gan = new Gan({ image: [1, 2, 2], latent: 3, classes: 3, gHidden: [5], dHidden: [6], rng: new Rng(3) });
  const judge = new Linear(4, 3, { rng: new Rng(1) });
  const a = ganQuality(gan, judge, { samples: 30, rng: new Rng(9) });
  const b = ganQuality(gan, judge, { samples: 30, rng: new Rng(9) });
  assert.deepEqual(a.predictions, b.predictions);
  assert.deepEqual([...(a.requested ?? [])].slice(0, 4), [0, 1, 2, 0]);
  assert.equal(a.images, 30);
  assert.ok(a.classMatch !== null && a.classMatch >= 0 && a.classMatch <= 1);
  assert.throws(
    () => ganQuality(gan, new Linear(4, 5, { rng: new Rng(1) }), { samples: 3, rng: new Rng(9) }),
    /the judge tells 5 classes apart, the conditional GAN generates 3/,
  );
});
