/**
 * The CNN practical's regression example ("TP CNN", the course's convolution, padding, stride and
 * pooling; see docs/cnn-regression.md): an RGB image of 9×9 pixels in, one real value out.
 *
 * The data is synthetic, drawn with a seeded Rng. Each image is faint noise with up to four small
 * coloured shapes on it, each a "plus" (+) or a "cross" (×) of five pixels in a 3×3 footprint, at
 * random non-overlapping positions. The target is the total redness of the plus shapes: the sum of
 * the red channel of every + (the × shapes, the same colours and the same number of pixels, are
 * distractors). It depends on local spatial patterns anywhere in the image, which a convolution
 * sees with the same weights at every position and a dense layer must learn position by position.
 *
 * A small CNN (Unflatten → Conv2d → ReLU → MaxPool2d → Conv2d → ReLU → Flatten → Linear → ReLU →
 * Linear) is trained with the MSE (the MAE, also a loss now: L1Loss, is reported as a metric) and
 * compared with an MLP of about the same number of parameters on the same data, and with predicting
 * the training mean. Prints both models' summaries, train / test MSE and MAE per epoch and the final
 * table; writes the numbers as JSON and the test MSE per epoch as an SVG chart.
 *
 *   node --import tsx examples/cnn-regression.ts [--train 4000] [--test 1000] [--epochs 12] [--seed 0] [--out DIR]
 */
import { join } from 'node:path';
import {
  Adam,
  Conv2d,
  Flatten,
  Linear,
  MSELoss,
  MaxPool2d,
  ReLU,
  Rng,
  Sequential,
  Tensor,
  Unflatten,
  backend,
  conv2dParameterCount,
  convOutputSize,
  fit,
  pool2dOutputSize,
  summary,
  useBackend,
  type BackendName,
  type Module,
} from '../src/index.js';
import { lineChartSvg } from '../src/viz/index.js';
import { fail, numberFlag, parseExampleArgs } from './example-cli.js';
import { Outputs, fmt, markdownTable } from './seed003-common.js';

const SCRIPT = 'cnn-regression';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'The CNN practical\'s regression: an RGB 9×9 image → one value (the total redness of the "+" shapes among "×" distractors, synthetic). ' +
    'A small CNN against an MLP of about the same size and the mean predictor: train/test MSE and MAE per epoch.',
  flags: [
    '--train N              training images (default 4000)',
    '--test N               test images (default 1000)',
    '--epochs N             training epochs of each network (default 12)',
    '--batch-size N         minibatch size (default 32)',
    '--lr X                 Adam learning rate (default 0.002)',
    '--seed N               data, initialisation and shuffling seed (default 0)',
    '--backend B            auto, js or native (default auto)',
    '--threads N            GEMM threads of the native backend',
    `--out DIR              write the JSON of numbers and the chart into DIR (default runs/examples/${SCRIPT})`,
  ],
  options: {
    train: { type: 'string', default: '4000' },
    test: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '12' },
    'batch-size': { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});

const int = (name: string, v: string | undefined): number => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const nTrain = int('train', values.train);
const nTest = int('test', values.test);
const epochs = int('epochs', values.epochs);
const batchSize = int('batch-size', values['batch-size']);
const lr = numberFlag(SCRIPT, 'lr', values.lr, (n) => n > 0, 'a positive number');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
if (!['auto', 'js', 'native'].includes(values.backend)) fail(SCRIPT, `--backend expects auto, js or native, got ${JSON.stringify(values.backend)}`, 2);
if (values.out !== undefined && values.out.trim() === '') fail(SCRIPT, '--out expects a directory, got ""', 2);
useBackend(values.backend as BackendName);
if (values.threads !== undefined) backend().setThreads(int('threads', values.threads));
const out = new Outputs(values.out ?? join('runs', 'examples', SCRIPT));

// ---- the synthetic data ---------------------------------------------------------------------
/** Image side, channels (R, G, B) and values per image. */
const SIDE = 9;
const CHANNELS = 3;
const PIXELS = SIDE * SIDE;
const INPUTS = CHANNELS * PIXELS;
/** Background: every value of every channel U(0, NOISE). */
const NOISE = 0.2;
/** Shapes per image: uniform over 0 … MAX_SHAPES. */
const MAX_SHAPES = 4;
/** Offsets (row, column) from the centre of the five pixels of each shape. */
const PLUS = [
  [0, 0],
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
] as const;
const CROSS = [
  [0, 0],
  [-1, -1],
  [-1, 1],
  [1, -1],
  [1, 1],
] as const;

/** Shape centres: rows and columns 1 … 7, so that the 3×3 footprint lies inside the image. */
function placeCentres(k: number, rng: Rng): [number, number][] {
  // Footprints must not overlap (centres at Chebyshev distance ≥ 3). Redraw a centre that
  // overlaps; a placement that leaves no room (possible with 4 shapes) is redrawn whole.
  for (;;) {
    const centres: [number, number][] = [];
    for (let tries = 0; centres.length < k && tries < 100; tries++) {
      const r = 1 + rng.int(SIDE - 2);
      const c = 1 + rng.int(SIDE - 2);
      if (centres.every(([r2, c2]) => Math.max(Math.abs(r - r2), Math.abs(c - c2)) >= 3)) centres.push([r, c]);
    }
    if (centres.length === k) return centres;
  }
}

interface Dataset {
  /** n × 243: each row an image in NCHW order (channel, row, column). */
  x: Tensor;
  /** n × 1: the total redness of the plus shapes. */
  y: Tensor;
  /** Plus shapes per image (to describe the data). */
  plusCount: Int32Array;
}

/**
 * n images: the background noise (243 draws, channel by channel, row by row), then the number of
 * shapes k, then per shape its centre (placeCentres), its kind (+ with probability 1/2) and its
 * colour (three U(0, 1) draws divided by their maximum: the brightest channel is 1, so every shape
 * stands out of the noise). A shape's five pixels take its colour in all three channels; the
 * target adds the red value of each +.
 */
function makeDataset(n: number, rng: Rng): Dataset {
  const x = Tensor.zeros([n, INPUTS]);
  const y = Tensor.zeros([n, 1]);
  const plusCount = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const img = x.data.subarray(i * INPUTS, (i + 1) * INPUTS);
    rng.fillUniform(img, 0, NOISE);
    const k = rng.int(MAX_SHAPES + 1);
    let target = 0;
    for (const [r, c] of placeCentres(k, rng)) {
      const plus = rng.uniform() < 0.5;
      const colour = [rng.uniform(), rng.uniform(), rng.uniform()];
      const max = Math.max(...colour);
      for (let ch = 0; ch < CHANNELS; ch++) colour[ch] /= max;
      for (const [dr, dc] of plus ? PLUS : CROSS) {
        for (let ch = 0; ch < CHANNELS; ch++) img[ch * PIXELS + (r + dr) * SIDE + (c + dc)] = colour[ch];
      }
      if (plus) {
        target += colour[0];
        plusCount[i]++;
      }
    }
    y.data[i] = target;
  }
  return { x, y, plusCount };
}

// Independent streams from one root: the data, then the CNN's and the MLP's initial weights, then
// their minibatch shuffles.
const root = new Rng(seed);
const dataRng = root.fork();
const initRng = { cnn: root.fork(), mlp: root.fork() };
const shuffleRng = { cnn: root.fork(), mlp: root.fork() };
const train = makeDataset(nTrain, dataRng);
const test = makeDataset(nTest, dataRng);

function moments(v: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i] / v.length;
  let variance = 0;
  for (let i = 0; i < v.length; i++) variance += (v[i] - mean) ** 2 / v.length;
  return { mean, variance };
}
const trainMoments = moments(train.y.data);
const testMoments = moments(test.y.data);

// ---- the networks ---------------------------------------------------------------------------
/**
 * The CNN on [N, 3, 9, 9], with the course's formulas worked by hand (output size
 * ⌊(n + 2p − k)/s⌋ + 1, parameters (k_h·k_w·C_in + 1)·C_out):
 *
 *   Unflatten(1, [3, 9, 9])  [N, 243] → [N, 3, 9, 9]                                   0
 *   Conv2d(3→16, 3×3, p 1)   ⌊(9 + 2 − 3)/1⌋ + 1 = 9      → [N, 16, 9, 9]   (3·3·3 + 1)·16 = 448
 *   ReLU                                                  → [N, 16, 9, 9]               0
 *   MaxPool2d(2)             ⌊(9 + 0 − 2)/2⌋ + 1 = 4      → [N, 16, 4, 4]               0
 *                            (the 9th row and column fall outside every window: no shape is
 *                            centred there, so no + detector fires there)
 *   Conv2d(16→32, 3×3)       ⌊(4 + 0 − 3)/1⌋ + 1 = 2      → [N, 32, 2, 2]   (3·3·16 + 1)·32 = 4,640
 *   ReLU                                                  → [N, 32, 2, 2]               0
 *   Flatten                  32·2·2 = 128                 → [N, 128]                    0
 *   Linear(128→32)                                        → [N, 32]         (128 + 1)·32 = 4,128
 *   ReLU                                                  → [N, 32]                     0
 *   Linear(32→1)                                          → [N, 1]          (32 + 1)·1 = 33
 *                                                                   total 448 + 4,640 + 4,128 + 33 = 9,249
 *
 * checkCourseFormulas() below recomputes every row with convOutputSize / pool2dOutputSize /
 * conv2dParameterCount and refuses to run if summary() disagrees.
 */
function makeCnn(rng: Rng): Sequential {
  return new Sequential([
    new Unflatten(1, [CHANNELS, SIDE, SIDE]),
    new Conv2d(CHANNELS, 16, 3, { rng, padding: 1, inputGrad: false }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { rng }),
    new ReLU(),
    new Flatten(),
    new Linear(32 * 2 * 2, 32, { rng, init: 'torch_default' }),
    new ReLU(),
    new Linear(32, 1, { rng, init: 'torch_default' }),
  ]);
}

/** The MLP baseline 243 → 36 → 12 → 1: (243 + 1)·36 + (36 + 1)·12 + (12 + 1)·1 = 8,784 + 444 + 13 = 9,241 parameters. */
const MLP_SIZES = [INPUTS, 36, 12, 1];
function makeMlp(rng: Rng): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
    layers.push(new Linear(MLP_SIZES[i], MLP_SIZES[i + 1], { rng, init: 'torch_default', inputGrad: i > 0 }));
    if (i + 2 < MLP_SIZES.length) layers.push(new ReLU());
  }
  return new Sequential(layers);
}

const cnn = makeCnn(initRng.cnn);
const mlp = makeMlp(initRng.mlp);
const cnnSummary = summary(cnn, [1, INPUTS]);
const mlpSummary = summary(mlp, [1, INPUTS]);

/** The course's formulas, layer by layer, against summary()'s rows: [output shape, parameters]. */
function checkCourseFormulas(): void {
  const h1 = convOutputSize(SIDE, 3, 1, 1); // 9
  const h2 = pool2dOutputSize(h1, 2, 2); // 4
  const h3 = convOutputSize(h2, 3, 1, 0); // 2
  const expected: [number[], number][] = [
    [[1, CHANNELS, SIDE, SIDE], 0],
    [[1, 16, h1, h1], conv2dParameterCount(CHANNELS, 16, 3, 3)],
    [[1, 16, h1, h1], 0],
    [[1, 16, h2, h2], 0],
    [[1, 32, h3, h3], conv2dParameterCount(16, 32, 3, 3)],
    [[1, 32, h3, h3], 0],
    [[1, 32 * h3 * h3], 0],
    [[1, 32], (32 * h3 * h3 + 1) * 32],
    [[1, 32], 0],
    [[1, 1], 33],
  ];
  const got = cnnSummary.rows.map((r) => [r.output, r.parameters]);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(`summary() disagrees with the course's formulas:\n  summary  ${JSON.stringify(got)}\n  formulas ${JSON.stringify(expected)}`);
  }
}
checkCourseFormulas();

// ---- training -------------------------------------------------------------------------------
interface Metrics {
  mse: number;
  mae: number;
}

function metrics(pred: ArrayLike<number>, y: ArrayLike<number>): Metrics {
  let se = 0;
  let ae = 0;
  for (let i = 0; i < y.length; i++) {
    const e = pred[i] - y[i];
    se += e * e;
    ae += Math.abs(e);
  }
  return { mse: se / y.length, mae: ae / y.length };
}

interface EpochRow {
  epoch: number;
  train: Metrics;
  test: Metrics;
  seconds: number;
}

interface Trained {
  name: string;
  parameters: number;
  epochs: EpochRow[];
  /** Training time, the per-epoch evaluations left out. */
  seconds: number;
}

function trainModel(name: string, model: Sequential, rng: Rng): Trained {
  const rows: EpochRow[] = [];
  console.log(`\n${name}: Adam lr ${lr}, batch ${batchSize}, MSE loss`);
  fit({ model, loss: new MSELoss(), optimizer: new Adam(model.parameters(), { lr }), x: train.x, y: train.y, batchSize, epochs, rng }, (e) => {
    if (e.type !== 'epoch') return;
    const row: EpochRow = {
      epoch: e.epoch + 1,
      train: metrics(model.predict(train.x).data, train.y.data),
      test: metrics(model.predict(test.x).data, test.y.data),
      // The epoch's training steps, not the two predictions above.
      seconds: e.ms / 1000,
    };
    rows.push(row);
    console.log(
      `  epoch ${String(row.epoch).padStart(2)}/${epochs}  train MSE ${fmt(row.train.mse)}  MAE ${fmt(row.train.mae)}  ` +
        `test MSE ${fmt(row.test.mse)}  MAE ${fmt(row.test.mae)}  (${row.seconds.toFixed(1)} s)`,
    );
  });
  return { name, parameters: model.parameterCount(), epochs: rows, seconds: rows.reduce((a, r) => a + r.seconds, 0) };
}

const info = backend().info();
console.log(`backend ${info.name}${info.blasCore ? ` (OpenBLAS ${info.blasCore}, ${info.threads} threads)` : ''}`);
const share = (k: number, d: Dataset): string => `${((100 * d.plusCount.filter((v) => v === k).length) / d.plusCount.length).toFixed(1)} %`;
console.log(
  `data: ${nTrain} training and ${nTest} test RGB ${SIDE}×${SIDE} images (seed ${seed}): noise U(0, ${NOISE}), 0–${MAX_SHAPES} shapes (+ or ×, 3×3), ` +
    `target = total red of the + shapes`,
);
console.log(
  `  target: train mean ${fmt(trainMoments.mean)}, variance ${fmt(trainMoments.variance)}; test mean ${fmt(testMoments.mean)}, variance ${fmt(testMoments.variance)}; ` +
    `images with 0/1/2/3/4 plus shapes: ${[0, 1, 2, 3, 4].map((k) => share(k, train)).join(' / ')}`,
);
console.log(`\nCNN (${cnnSummary.parameters.toLocaleString('en-US')} parameters):\n${cnnSummary.text}`);
console.log(`\nMLP baseline (${mlpSummary.parameters.toLocaleString('en-US')} parameters):\n${mlpSummary.text}`);

const results = [trainModel('CNN', cnn, shuffleRng.cnn), trainModel(`MLP ${MLP_SIZES.join('-')}`, mlp, shuffleRng.mlp)];

// The mean predictor: the training targets' mean, whatever the image.
const meanPrediction = (n: number): Float64Array => new Float64Array(n).fill(trainMoments.mean);
const meanTrain = metrics(meanPrediction(nTrain), train.y.data);
const meanTest = metrics(meanPrediction(nTest), test.y.data);

// ---- report ---------------------------------------------------------------------------------
const final = (t: Trained): EpochRow => t.epochs[t.epochs.length - 1];
/** 1 − MSE / Var(y_test): the share of the test targets' variance explained (0 for the mean predictor, up to its mean's error). */
const r2 = (mse: number): string => (1 - mse / testMoments.variance).toFixed(3).replace(/^-0\.000$/, '0.000');
const rows = [
  ...results.map((t) => [
    t.name,
    t.parameters.toLocaleString('en-US'),
    fmt(final(t).train.mse),
    fmt(final(t).train.mae),
    fmt(final(t).test.mse),
    fmt(final(t).test.mae),
    r2(final(t).test.mse),
    `${t.seconds.toFixed(1)} s`,
  ]),
  ['mean of the training targets', '1', fmt(meanTrain.mse), fmt(meanTrain.mae), fmt(meanTest.mse), fmt(meanTest.mae), r2(meanTest.mse), '—'],
];
console.log(`\nafter ${epochs} epochs (seed ${seed}, ${nTrain} training / ${nTest} test images):`);
console.log(markdownTable(['model', 'parameters', 'train MSE', 'train MAE', 'test MSE', 'test MAE', 'test R²', 'training time'], rows));

const epochAxis = Array.from({ length: epochs }, (_, i) => i + 1);
out.text(
  'cnn-regression-test-mse.svg',
  await lineChartSvg({
    title: `Test MSE per epoch (seed ${seed}, ${nTrain} training images)`,
    xLabel: 'epoch',
    yLabel: 'test MSE',
    yScale: 'log',
    series: [
      ...results.map((t) => ({ name: t.name, x: epochAxis, y: t.epochs.map((e) => e.test.mse) })),
      { name: 'mean predictor', x: epochAxis, y: epochAxis.map(() => meanTest.mse) },
    ],
  }),
);
const flags = `--train ${nTrain} --test ${nTest} --epochs ${epochs} --batch-size ${batchSize} --lr ${lr} --seed ${seed}`;
out.json('cnn-regression.json', {
  experiment: 'CNN practical: RGB 9×9 image → total redness of the + shapes',
  command: `node --import tsx examples/cnn-regression.ts ${flags}`,
  backend: info.name,
  data: {
    train: nTrain,
    test: nTest,
    side: SIDE,
    channels: CHANNELS,
    noise: NOISE,
    max_shapes: MAX_SHAPES,
    target_train: trainMoments,
    target_test: testMoments,
  },
  epochs,
  batch_size: batchSize,
  lr,
  seed,
  models: results.map((t) => ({ name: t.name, parameters: t.parameters, seconds: Number(t.seconds.toFixed(2)), per_epoch: t.epochs })),
  cnn_summary: cnnSummary.rows,
  mlp_summary: mlpSummary.rows,
  mean_predictor: { value: trainMoments.mean, train: meanTrain, test: meanTest },
});
out.report();
