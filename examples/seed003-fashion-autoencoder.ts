/**
 * Seed 003 §5: a Fashion-MNIST autoencoder with a 2-D code — three encoding and three decoding
 * layers (784-256-64-2-64-256-784 here: the seed's Figure 14 gives no sizes), Tanh on every layer
 * but the last (the 2-D code included, by default), Sigmoid output, MSE, SGD lr 0.5, minibatches
 * of 2048, on 10,000 images split 80/20; then §5.3's noise robustness (Gaussian N(0, c) per pixel,
 * test MSE against c and noisy inputs over their reconstructions) and §5.4's latent space,
 * coloured by class and by the seed's four groups.
 *
 * (Seed 003 is the from-scratch network library coursework: docs/references.md.)
 *
 *   node --import tsx examples/seed003-fashion-autoencoder.ts [--epochs 500] [--optimizer sgd|adam]
 *     [--latent-activation tanh|identity|relu|sigmoid|leaky_relu] [--seed 0] [--out DIR | --docs]
 *
 * The seed trained 2000 epochs; the default here is 500 (a few minutes; 2000 took about 10).
 * Fashion-MNIST is read as `latentlab train ae --dataset fashion-mnist` reads it: LATENTLAB_DATA_DIR,
 * the cache (`latentlab data fetch fashion-mnist`), else a download.
 */
import {
  Adam,
  addNoise,
  AE_ACTIVATIONS,
  Autoencoder,
  type AeActivation,
  loadDataset,
  noiseSweep,
  reconstructionMse,
  Rng,
  SGD,
  takeLabels,
  takeRows,
  trainAutoencoder,
  trainTestSplit,
  meanImageMse,
} from '../src/index.js';
import { gridIndices, latentSvg, lineChartSvg, lossSvg, noiseGridPng, reconstructionPng, type AeEpochPoint } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, fail, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { markdownTable, Outputs } from './seed003-common.js';

const SCRIPT = 'seed003-fashion-autoencoder';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'A Fashion-MNIST autoencoder with a 2-D code (784-256-64-2-64-256-784) on 10,000 images, then its noise robustness and its latent space (seed 003 §5).',
  flags: [
    '--epochs N             training epochs (default 500; the seed trained 2000)',
    '--optimizer sgd|adam   SGD lr 0.5 as the seed, or Adam lr 0.005 (default sgd)',
    `--latent-activation A  activation of the 2-D code: ${AE_ACTIVATIONS.join(', ')} (default tanh)`,
    '--seed N               split, initialisation and shuffling seed (default 0)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: {
    epochs: { type: 'string', default: '500' },
    optimizer: { type: 'string', default: 'sgd' },
    'latent-activation': { type: 'string', default: 'tanh' },
    seed: { type: 'string', default: '0' },
    ...OUTPUT_OPTIONS,
  },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
if (values.optimizer !== 'sgd' && values.optimizer !== 'adam') fail(SCRIPT, `--optimizer expects sgd or adam, got ${JSON.stringify(values.optimizer)}`, 2);
// The seed puts TanH on its "couches intermédiaires" and Sigmoid on "la dernière couche" only, so
// the third encoding layer (the 2-D code) gets TanH too; 'identity' is the plain linear code.
const latentActivation = values['latent-activation'] as AeActivation;
if (!AE_ACTIVATIONS.includes(latentActivation))
  fail(SCRIPT, `--latent-activation expects one of ${AE_ACTIVATIONS.join(', ')}, got ${JSON.stringify(values['latent-activation'])}`, 2);
const out = new Outputs(outputDir(SCRIPT, values));

// The seed's 10,000 examples, shuffled and split 80/20.
const data = await loadDataset('fashion-mnist', { split: 'train', limit: 10000 });
const rng = new Rng(seed);
const idx = trainTestSplit(data.x.rows, 0.2, rng.fork());
const split = {
  train: { x: takeRows(data.x, idx.train), labels: takeLabels(data.labels, idx.train) },
  test: { x: takeRows(data.x, idx.test), labels: takeLabels(data.labels, idx.test) },
};
const imageShape = [28, 28] as const;
console.log(
  `Fashion-MNIST: ${split.train.x.rows} training / ${split.test.x.rows} test images; ${epochs} epochs (seed 003: 2000), ${values.optimizer}, ${latentActivation} code`,
);

const ae = new Autoencoder({ input: 784, hidden: [256, 64], latent: 2, latentActivation, rng: rng.fork() });
const optimizer = values.optimizer === 'sgd' ? new SGD(ae.parameters(), { lr: 0.5 }) : new Adam(ae.parameters(), { lr: 0.005 });
const curve: AeEpochPoint[] = [];
const logEvery = Math.max(1, Math.round(epochs / 20));
const t0 = performance.now();
trainAutoencoder({ model: ae, optimizer, x: split.train.x, batchSize: 2048, epochs, rng: rng.fork(), validation: split.test.x }, (e) => {
  if (e.type !== 'epoch') return;
  curve.push({ epoch: e.epoch + 1, loss: e.loss, testLoss: e.validation?.loss ?? NaN });
  // Progress for long runs (2000 epochs take several minutes).
  if ((e.epoch + 1) % logEvery === 0) console.log(`epoch ${e.epoch + 1}: train ${e.loss.toFixed(5)}, test ${(e.validation?.loss ?? NaN).toFixed(5)}`);
});
const seconds = (performance.now() - t0) / 1000;
const trainMse = reconstructionMse(ae, split.train.x);
const testMse = reconstructionMse(ae, split.test.x);
const baseline = meanImageMse(split.test.x, split.train.x);
console.log(`train MSE ${trainMse.toFixed(5)}, test MSE ${testMse.toFixed(5)} (mean image: ${baseline.toFixed(5)}), ${seconds.toFixed(1)} s`);
out.text(
  'seed003-fashion-loss.svg',
  await lossSvg(curve, { loss: 'mse', title: `Fashion-MNIST autoencoder 784-256-64-2: loss per epoch (${values.optimizer}, ${latentActivation} code)` }),
);
const grid = takeRows(split.test.x, gridIndices(split.test.labels, 20, 10));
out.bytes('seed003-fashion-reconstructions.png', reconstructionPng(grid, ae.reconstruct(grid), imageShape, 10));

// §5.3: noise of scale c on the inputs; MSE against the clean images.
const scales = [0, 0.1, 0.2, 0.3, 0.5, 1];
const sweep = noiseSweep(ae, split.test.x, scales, { kind: 'gaussian', rng: new Rng(seed + 1) });
out.text(
  'seed003-fashion-noise.svg',
  await lineChartSvg({
    title: 'Test MSE against the noise scale c (Gaussian N(0, c) per pixel)',
    xLabel: 'noise scale c',
    yLabel: 'MSE to the clean image',
    series: [{ name: 'test', x: scales, y: sweep.map((s) => s.mse) }],
    points: true,
  }),
);
const few = grid.sliceRows(0, 10);
const noisy = scales.filter((c) => c > 0).map((c) => addNoise(few, { kind: 'gaussian', scale: c }, new Rng(seed + 2)));
out.bytes(
  'seed003-fashion-noise-reconstructions.png',
  noiseGridPng(
    noisy,
    noisy.map((x) => ae.reconstruct(x)),
    imageShape,
    10,
  ),
);

// §5.4: the 2-D codes, by class and by the seed's Table 4 groups.
const codes = ae.encode(split.test.x);
out.text(
  'seed003-fashion-latent.svg',
  (
    await latentSvg(codes, {
      labels: split.test.labels,
      classNames: data.classNames,
      rng: new Rng(seed),
      title: 'Latent space (d = 2) of the test images, by class',
    })
  ).svg,
);
const GROUP_OF = [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]; // tops · trousers · shoes · bags (seed 003, Table 4)
const groups = split.test.labels.map((c: number) => GROUP_OF[c]);
out.text(
  'seed003-fashion-latent-groups.svg',
  (
    await latentSvg(codes, {
      labels: groups,
      classNames: ['tops', 'trousers', 'shoes', 'bags'],
      rng: new Rng(seed),
      legendTitle: 'group',
      title: 'Latent space (d = 2) by the seed’s four groups',
    })
  ).svg,
);

console.log('');
console.log(
  markdownTable(
    ['noise scale c', 'test MSE'],
    sweep.map((s) => [String(s.scale), s.mse.toFixed(5)]),
  ),
);
out.json('seed003-fashion-autoencoder.json', {
  epochs,
  seed,
  optimizer: values.optimizer,
  latent_activation: latentActivation,
  train_mse: trainMse,
  test_mse: testMse,
  mean_image_test_mse: baseline,
  train_s: seconds,
  noise: sweep,
  curve,
});
out.report();
