/**
 * Seed 003 §2 (Module Non-Linéaire): two 2-D Gaussian clusters of 100 points, centred on (1, 2)
 * (positive class, label 1) and (3, 5) (negative class, label 0), shuffled and split 80/20 into
 * train and test; the seed's network Linear(2,4)-Tanh-Linear(4,1)-Sigmoid trained on the MSE to
 * the 0/1 labels with SGD (lr 0.01, batch size 1) and read at 20 and 200 epochs (its Figures 6
 * and 7). Prints accuracies and confusion matrices and writes the figures (confusion-matrix
 * heatmaps, data with the decision boundary, loss curves) and the numbers as JSON.
 * (Seed 003 is the from-scratch network library coursework: docs/references.md.)
 *
 *   node --import tsx examples/seed003-binary-classifier.ts [--epochs 200] [--std 1] [--seed 0] [--out DIR | --docs]
 */
import { Linear, MSELoss, Rng, SGD, Sequential, Sigmoid, Tanh, Tensor, evaluate, fit, useBackend } from '../src/index.js';
import { heatmapSvg, lineChartSvg, scatterSvg } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { Outputs, accuracyOf, confusionMatrix, fmt, markdownTable, pct } from './seed003-common.js';

const SCRIPT = 'seed003-binary-classifier';
const values = parseExampleArgs({
  script: SCRIPT,
  summary: 'Two 2-D Gaussian clusters classified by a 2-4-1 Tanh/Sigmoid network trained by SGD on the MSE, read at 20 and 200 epochs (seed 003 §2).',
  flags: [
    '--epochs N             training epochs (default 200)',
    '--std S                standard deviation of each cluster (default 1)',
    '--seed N               data and training seed (default 0)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: {
    epochs: { type: 'string', default: '200' },
    std: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    ...OUTPUT_OPTIONS,
  },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const std = numberFlag(SCRIPT, 'std', values.std, (n) => n > 0, 'a positive number');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
const out = new Outputs(outputDir(SCRIPT, values));

// A 2-4-1 network is all call overhead: the pure TypeScript kernels beat a round trip to BLAS.
useBackend('js');

const PER_CLASS = 100;
const TEST_SHARE = 0.2;
const LR = 0.01;
const CLASS_NAMES = ['negative (3, 5)', 'positive (1, 2)'];
const CENTRES: Array<[number, number]> = [
  [3, 5],
  [1, 2],
];
/** Epochs at which the model is read (the seed's two models: 20 and 200 epochs), plus 0. */
const SNAPSHOTS = [0, 10, 20, 100, 200].filter((e) => e <= epochs);
if (!SNAPSHOTS.includes(epochs)) SNAPSHOTS.push(epochs);

// ---- data (seed 003 §2.1) -------------------------------------------------------------------
const dataRng = new Rng(seed);
const points: Array<{ x: number; y: number; label: number }> = [];
for (const label of [1, 0])
  for (let i = 0; i < PER_CLASS; i++) points.push({ x: dataRng.normal(CENTRES[label][0], std), y: dataRng.normal(CENTRES[label][1], std), label });
dataRng.shuffle(points);
const nTest = Math.round(TEST_SHARE * points.length);
const split = { train: points.slice(nTest), test: points.slice(0, nTest) };
const asTensors = (ps: typeof points) => ({
  x: Tensor.fromRows(ps.map((p) => [p.x, p.y])),
  y: Tensor.from(
    ps.map((p) => p.label),
    [ps.length, 1],
  ),
  labels: Int32Array.from(ps.map((p) => p.label)),
});
const train = asTensors(split.train);
const test = asTensors(split.test);

// ---- model and training (seed 003 §2.1, Figure 5) -------------------------------------------
const rng = new Rng(seed + 1);
const model = new Sequential([new Linear(2, 4, { rng, init: 'torch_default' }), new Tanh(), new Linear(4, 1, { rng, init: 'torch_default' }), new Sigmoid()]);
const loss = new MSELoss();

/** Class 1 when the score is ≥ ½ (the seed's threshold s = ½). */
function predictLabels(x: Tensor): Int32Array {
  const p = model.predict(x);
  return Int32Array.from(p.data, (v) => (v >= 0.5 ? 1 : 0));
}

interface Snapshot {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  trainConfusion: number[][];
  testConfusion: number[][];
  trainAccuracy: number;
  testAccuracy: number;
  boundary: { x: number[]; y: number[] };
  weights: Record<string, number[]>;
}

const lo = { x: Math.min(...points.map((p) => p.x)) - 0.5, y: Math.min(...points.map((p) => p.y)) - 0.5 };
const hi = { x: Math.max(...points.map((p) => p.x)) + 0.5, y: Math.max(...points.map((p) => p.y)) + 0.5 };

/** For each of 120 x columns, the lowest y where the score crosses ½ (one scan of 400 rows). */
function decisionBoundary(): { x: number[]; y: number[] } {
  const cols = 120;
  const rows = 400;
  const grid: number[][] = [];
  for (let i = 0; i < cols; i++) for (let j = 0; j < rows; j++) grid.push([lo.x + ((hi.x - lo.x) * i) / (cols - 1), lo.y + ((hi.y - lo.y) * j) / (rows - 1)]);
  const p = model.predict(Tensor.fromRows(grid)).data;
  const bx: number[] = [];
  const by: number[] = [];
  for (let i = 0; i < cols; i++) {
    for (let j = 1; j < rows; j++) {
      const a = p[i * rows + j - 1] - 0.5;
      const b = p[i * rows + j] - 0.5;
      if (a === 0 || a * b < 0) {
        const t = a / (a - b);
        bx.push(grid[i * rows][0]);
        by.push(grid[i * rows + j - 1][1] + (t * (hi.y - lo.y)) / (rows - 1));
        break;
      }
    }
  }
  return { x: bx, y: by };
}

function snapshot(epoch: number): Snapshot {
  const trainConfusion = confusionMatrix(train.labels, predictLabels(train.x), 2);
  const testConfusion = confusionMatrix(test.labels, predictLabels(test.x), 2);
  return {
    epoch,
    trainLoss: evaluate(model, loss, train.x, train.y).loss,
    testLoss: evaluate(model, loss, test.x, test.y).loss,
    trainConfusion,
    testConfusion,
    trainAccuracy: accuracyOf(trainConfusion),
    testAccuracy: accuracyOf(testConfusion),
    boundary: decisionBoundary(),
    weights: Object.fromEntries([...model.namedParameters()].map(([k, p]) => [k, Array.from(p.value.data, (v) => Number(v.toFixed(4)))])),
  };
}

const t0 = performance.now();
const snapshots: Snapshot[] = [snapshot(0)];
const curve = { epoch: [0], train: [snapshots[0].trainLoss], test: [snapshots[0].testLoss] };
fit(
  { model, loss, optimizer: new SGD(model.parameters(), { lr: LR }), x: train.x, y: train.y, batchSize: 1, epochs, rng, validation: { x: test.x, y: test.y } },
  (e) => {
    if (e.type !== 'epoch') return;
    const done = e.epoch + 1;
    curve.epoch.push(done);
    curve.train.push(evaluate(model, loss, train.x, train.y).loss);
    curve.test.push(e.validation?.loss ?? NaN);
    if (SNAPSHOTS.includes(done)) snapshots.push(snapshot(done));
  },
);
const seconds = (performance.now() - t0) / 1000;

// ---- tables ---------------------------------------------------------------------------------
console.log(
  `seed 003 §2: clusters N((1,2), ${std}²I) → 1 and N((3,5), ${std}²I) → 0, ${PER_CLASS} points each, ${split.train.length} train / ${split.test.length} test`,
);
console.log(`Linear(2,4)-Tanh-Linear(4,1)-Sigmoid, MSE, SGD lr ${LR}, batch size 1, ${epochs} epochs (${seconds.toFixed(1)} s)\n`);
console.log(
  markdownTable(
    ['epochs', 'train MSE', 'test MSE', 'train accuracy', 'test accuracy'],
    snapshots.map((s) => [String(s.epoch), fmt(s.trainLoss), fmt(s.testLoss), pct(s.trainAccuracy), pct(s.testAccuracy)]),
  ),
);
const confusionTable = (m: number[][]) =>
  markdownTable(
    ['true \\ predicted', ...CLASS_NAMES],
    m.map((row, i) => [CLASS_NAMES[i], ...row.map(String)]),
  );
for (const s of snapshots.filter((x) => x.epoch === 20 || x.epoch === epochs)) {
  console.log(`\nafter ${s.epoch} epochs, train confusion (rows: true class, columns: predicted):\n${confusionTable(s.trainConfusion)}`);
  console.log(`after ${s.epoch} epochs, test confusion:\n${confusionTable(s.testConfusion)}`);
}

// ---- figures --------------------------------------------------------------------------------
const allX = Float64Array.from(points.map((p) => p.x));
const allY = Float64Array.from(points.map((p) => p.y));
const allLabels = Int32Array.from(points.map((p) => p.label));
for (const s of snapshots.filter((x) => x.epoch === 20 || x.epoch === epochs)) {
  for (const part of ['train', 'test'] as const) {
    const m = part === 'train' ? s.trainConfusion : s.testConfusion;
    out.text(
      `seed003-binary-confusion-${part}-${s.epoch}ep.svg`,
      await heatmapSvg({
        title: `${part} confusion after ${s.epoch} epochs (accuracy ${pct(accuracyOf(m))})`,
        xLabel: 'predicted',
        yLabel: 'true class',
        matrix: m,
        rowNames: CLASS_NAMES,
        colNames: CLASS_NAMES,
        legendTitle: 'points',
      }),
    );
  }
  out.text(
    `seed003-binary-boundary-${s.epoch}ep.svg`,
    await scatterSvg({
      title: `Data (train and test) and the score = ½ boundary after ${s.epoch} epochs`,
      xLabel: 'x₁',
      yLabel: 'x₂',
      x: allX,
      y: allY,
      labels: allLabels,
      classNames: CLASS_NAMES,
      lines: s.boundary.x.length > 1 ? [{ name: 'score = ½', x: s.boundary.x, y: s.boundary.y }] : [],
    }),
  );
}
out.text(
  'seed003-binary-loss.svg',
  await lineChartSvg({
    title: 'MSE per epoch (batch size 1, lr 0.01)',
    xLabel: 'epoch',
    yLabel: 'MSE',
    series: [
      { name: 'train', x: curve.epoch, y: curve.train },
      { name: 'test', x: curve.epoch, y: curve.test },
    ],
  }),
);
out.json('seed003-binary-classifier.json', {
  experiment: 'seed 003 §2 binary classification',
  command: `node --import tsx examples/seed003-binary-classifier.ts --epochs ${epochs} --std ${std} --seed ${seed}`,
  data: { per_class: PER_CLASS, centres: { positive: CENTRES[1], negative: CENTRES[0] }, std, train: split.train.length, test: split.test.length },
  model: 'Linear(2,4)-Tanh-Linear(4,1)-Sigmoid, torch_default init',
  training: { loss: 'mse', optimizer: 'sgd', lr: LR, batch_size: 1, epochs },
  seconds: Number(seconds.toFixed(2)),
  class_names: CLASS_NAMES,
  snapshots: snapshots.map((s) => ({
    epoch: s.epoch,
    train_mse: s.trainLoss,
    test_mse: s.testLoss,
    train_accuracy: s.trainAccuracy,
    test_accuracy: s.testAccuracy,
    train_confusion: s.trainConfusion,
    test_confusion: s.testConfusion,
    weights: s.weights,
  })),
  loss_curve: curve,
});
out.report();
