/**
 * Seed 003 §4 (Multi-Classe): the first 10,000 MNIST training digits (the seed's Table 2 counts
 * exactly), a 784-100-10 network with a sigmoid hidden layer and softmax + cross-entropy, trained
 * by plain SGD with the seed's hyper-parameters (500 epochs, batch size 100, lr 1e-4), scored on
 * the 10,000 MNIST test digits. Prints the accuracy and confusion matrix and writes the figures
 * (confusion matrix, loss curves, the output probabilities of five test digits before and after
 * training, as the seed's Figure 12) and the numbers as JSON.
 *
 * `--reduction sum` trains on the batch's summed cross-entropy instead of its mean (PyTorch's
 * default, and ours): for plain SGD that is exactly lr × batch size on the mean.
 *
 * (Seed 003 is the from-scratch network library coursework: docs/references.md.)
 *
 *   node --import tsx examples/seed003-mnist-classifier.ts [--epochs 500] [--lr 1e-4] [--batch-size 100]
 *        [--reduction mean|sum] [--train 10000] [--seed 0] [--backend auto|js|native] [--out DIR | --docs]
 */
import {
  CrossEntropyLoss,
  Linear,
  Rng,
  SGD,
  Sequential,
  Sigmoid,
  Tensor,
  backend,
  evaluate,
  fit,
  loadImageIdx,
  mnistPackageDir,
  useBackend,
  type BackendName,
} from '../src/index.js';
import { encodePng, heatmapSvg, imageGrid, lineChartSvg } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, fail, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { Outputs, accuracyOf, confusionMatrix, fmt, markdownTable, pct } from './seed003-common.js';

const SCRIPT = 'seed003-mnist-classifier';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    "A 784-100-10 sigmoid network with softmax + cross-entropy trained by plain SGD on the first 10,000 MNIST training digits, with the seed's hyper-parameters, scored on the 10,000 test digits (seed 003 §4).",
  flags: [
    '--epochs N             training epochs (default 500)',
    '--lr X                 SGD learning rate (default 1e-4)',
    '--batch-size N         minibatch size (default 100)',
    '--hidden N             hidden units (default 100)',
    '--reduction mean|sum   cross-entropy averaged or summed over the batch (default mean)',
    '--train N              training digits, the first N (default 10000)',
    '--seed N               initialisation and shuffling seed (default 0)',
    '--backend B            auto, js or native (default auto)',
    '--eval-every N         test accuracy every N epochs (default 10)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: {
    epochs: { type: 'string', default: '500' },
    lr: { type: 'string', default: '1e-4' },
    'batch-size': { type: 'string', default: '100' },
    hidden: { type: 'string', default: '100' },
    reduction: { type: 'string', default: 'mean' },
    train: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    'eval-every': { type: 'string', default: '10' },
    ...OUTPUT_OPTIONS,
  },
});
const int = (name: string, v: string | undefined) => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const epochs = int('epochs', values.epochs);
const lr = numberFlag(SCRIPT, 'lr', values.lr, (n) => n > 0, 'a positive number');
const batchSize = int('batch-size', values['batch-size']);
const hidden = int('hidden', values.hidden);
const nTrain = numberFlag(SCRIPT, 'train', values.train, (n) => Number.isInteger(n) && n >= 1 && n <= 60000, 'an integer between 1 and 60000');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
const evalEvery = int('eval-every', values['eval-every']);
const reduction = values.reduction;
if (reduction !== 'mean' && reduction !== 'sum') fail(SCRIPT, `--reduction expects mean or sum, got ${JSON.stringify(reduction)}`, 2);
const backendName = values.backend as BackendName;
if (!['auto', 'js', 'native'].includes(backendName)) fail(SCRIPT, `--backend expects auto, js or native, got ${JSON.stringify(values.backend)}`, 2);
useBackend(backendName);
const out = new Outputs(outputDir(SCRIPT, values));
const tag = `${reduction}`;

// ---- data (seed 003 §4.1) -------------------------------------------------------------------
const dir = mnistPackageDir();
const train = loadImageIdx(dir, 'train', nTrain);
const test = loadImageIdx(dir, 'test');
const counts = new Array<number>(10).fill(0);
for (const l of train.labels) counts[l]++;

// ---- model (seed 003 §4.2, Figure 11) -------------------------------------------------------
const rng = new Rng(seed);
const model = new Sequential([
  new Linear(784, hidden, { rng, init: 'torch_default', inputGrad: false }),
  new Sigmoid(),
  new Linear(hidden, 10, { rng, init: 'torch_default' }),
]);
const loss = new CrossEntropyLoss();
// Σ over the batch instead of the mean multiplies every gradient by the batch size; with plain
// SGD that is the same update as the mean with lr × batch size.
const effectiveLr = reduction === 'sum' ? lr * batchSize : lr;
const optimizer = new SGD(model.parameters(), { lr: effectiveLr });

/** Five test digits shown before and after training (the seed's Figure 12). */
const SHOWN = [0, 1, 2, 3, 4];
const shownX = Tensor.fromRows(SHOWN.map((i) => Array.from(test.x.data.subarray(i * 784, (i + 1) * 784))));
function probabilities(): number[][] {
  return model
    .predict(shownX)
    .toRows()
    .map((z) => {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
}

const before = { probabilities: probabilities(), test: evaluate(model, loss, test.x, test.labels) };
const curve = {
  epoch: [] as number[],
  train: [] as number[],
  testEpoch: [0] as number[],
  test: [before.test.loss] as number[],
  testAccuracy: [before.test.accuracy ?? NaN] as number[],
};
const t0 = performance.now();
let lastLog = t0;
fit({ model, loss, optimizer, x: train.x, y: train.labels, batchSize, epochs, rng }, (e) => {
  if (e.type !== 'epoch') return;
  const done = e.epoch + 1;
  curve.epoch.push(done);
  curve.train.push(e.loss);
  if (done % evalEvery === 0 || done === epochs) {
    const r = evaluate(model, loss, test.x, test.labels);
    curve.testEpoch.push(done);
    curve.test.push(r.loss);
    curve.testAccuracy.push(r.accuracy ?? NaN);
  }
  if (performance.now() - lastLog > 10_000) {
    lastLog = performance.now();
    console.error(`epoch ${done}/${epochs}: train CE ${fmt(e.loss)}`);
  }
});
const seconds = (performance.now() - t0) / 1000;
const after = { probabilities: probabilities(), test: evaluate(model, loss, test.x, test.labels), train: evaluate(model, loss, train.x, train.labels) };
const confusion = confusionMatrix(test.labels, model.predict(test.x).argmaxRows(), 10);

// ---- tables ---------------------------------------------------------------------------------
console.log(`seed 003 §4: MNIST, first ${nTrain} training digits, class counts ${counts.join(' ')}`);
console.log(
  `784-${hidden}-10 (sigmoid; softmax + cross-entropy, ${reduction} over the batch), SGD lr ${lr}${reduction === 'sum' ? ` (= ${effectiveLr} on the mean)` : ''}, batch ${batchSize}, ${epochs} epochs, ${backend().name} backend: ${seconds.toFixed(1)} s\n`,
);
console.log(
  markdownTable(
    ['', 'train CE', 'train accuracy', 'test CE', 'test accuracy'],
    [
      ['before training', '', '', fmt(before.test.loss), pct(before.test.accuracy ?? NaN)],
      [`after ${epochs} epochs`, fmt(after.train.loss), pct(after.train.accuracy ?? NaN), fmt(after.test.loss), pct(after.test.accuracy ?? NaN)],
    ],
  ),
);
const digits = Array.from({ length: 10 }, (_, i) => String(i));
console.log(`\ntest confusion matrix (rows: true digit, columns: predicted), accuracy ${pct(accuracyOf(confusion))}:`);
console.log(
  markdownTable(
    ['true \\ pred', ...digits],
    confusion.map((row, i) => [digits[i], ...row.map(String)]),
  ),
);
console.log('\noutput probabilities of the first five test digits (before → after):');
console.log(
  markdownTable(
    ['digit', 'label', 'p(label) before', 'p(label) after', 'predicted after'],
    SHOWN.map((idx, r) => {
      const label = test.labels[idx];
      const p = after.probabilities[r];
      return [String(idx), String(label), fmt(before.probabilities[r][label], 3), fmt(p[label], 3), String(p.indexOf(Math.max(...p)))];
    }),
  ),
);

// ---- figures --------------------------------------------------------------------------------
out.text(
  `seed003-mnist-${tag}-confusion.svg`,
  await heatmapSvg({
    title: `MNIST test confusion after ${epochs} epochs (accuracy ${pct(accuracyOf(confusion))})`,
    xLabel: 'predicted digit',
    yLabel: 'true digit',
    matrix: confusion,
    rowNames: digits,
    colNames: digits,
    legendTitle: 'digits',
  }),
);
out.text(
  `seed003-mnist-${tag}-loss.svg`,
  await lineChartSvg({
    title: `Cross-entropy per epoch (SGD lr ${lr}, ${reduction} over batches of ${batchSize})`,
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    series: [
      { name: 'train (mean over the epoch)', x: curve.epoch, y: curve.train },
      { name: 'test', x: curve.testEpoch, y: curve.test },
    ],
  }),
);
const rowNames = SHOWN.map((i) => `test #${i} (a ${test.labels[i]})`);
for (const [when, probs] of [
  ['before', before.probabilities],
  ['after', after.probabilities],
] as const) {
  out.text(
    `seed003-mnist-${tag}-outputs-${when}.svg`,
    await heatmapSvg({
      title: `Output probabilities ${when === 'before' ? 'before training' : `after ${epochs} epochs`}`,
      xLabel: 'digit',
      yLabel: 'test image',
      matrix: probs.map((row) => row.map((v) => Number(v.toFixed(2)))),
      rowNames,
      colNames: digits,
      legendTitle: 'probability',
    }),
  );
}
out.bytes('seed003-mnist-shown-digits.png', encodePng(imageGrid(shownX, { imageShape: [28, 28], cols: SHOWN.length, scale: 3, pad: 2, invert: true })));
out.json(`seed003-mnist-classifier-${tag}.json`, {
  experiment: 'seed 003 §4 MNIST classifier',
  command: `node --import tsx examples/seed003-mnist-classifier.ts --epochs ${epochs} --lr ${lr} --batch-size ${batchSize} --hidden ${hidden} --reduction ${reduction} --train ${nTrain} --seed ${seed}`,
  data: { train: nTrain, test: test.x.rows, train_class_counts: counts },
  model: `784-${hidden}-10, sigmoid hidden layer, softmax + cross-entropy, torch_default init`,
  training: { optimizer: 'sgd', lr, reduction, effective_lr_on_mean: effectiveLr, batch_size: batchSize, epochs },
  backend: backend().name,
  seconds: Number(seconds.toFixed(1)),
  before: { test_ce: before.test.loss, test_accuracy: before.test.accuracy },
  after: { train_ce: after.train.loss, train_accuracy: after.train.accuracy, test_ce: after.test.loss, test_accuracy: after.test.accuracy },
  test_confusion: confusion,
  shown: SHOWN.map((idx, r) => ({
    test_index: idx,
    label: test.labels[idx],
    before: before.probabilities[r].map((v) => Number(v.toFixed(4))),
    after: after.probabilities[r].map((v) => Number(v.toFixed(4))),
  })),
  curve,
});
out.report();
