/**
 * The deep-learning course's regression network (docs/regression.md): inputs of size 20, two
 * dense hidden layers of 128 and 64 ReLU units, one linear output, trained with RMSprop on the
 * mean absolute error (MAE, `L1Loss`) in minibatches of 64 for 20 epochs, reporting MAE and MSE —
 * the course's Keras listing `Dense(128, relu), Dense(64, relu), Dense(1)`,
 * `compile(optimizer='rmsprop', …, metrics=['mae', 'mse'])`, `fit(batch_size=64, epochs=20)`.
 *
 * The data is generated (seeded): Friedman's first regression problem with 20 inputs, x ~ U[0,1]²⁰,
 * y = 10·sin(π·x₁·x₂) + 20·(x₃ − 0.5)² + 10·x₄ + 5·x₅ + ε, ε ~ N(0, 1); inputs 6 … 20 carry no
 * signal. The same network is also trained on the MSE from the same initial weights, and both are
 * set against three references on the test split: the training mean and median (the best
 * constants for the MSE and the MAE) and f(x) itself (the noise floor: no model can do better on
 * average). Prints the metrics per epoch and the final table; writes the curves, the test
 * predictions against the truth (SVG) and the numbers (JSON).
 *
 *   node --import tsx examples/regression-mae.ts [--train 20000] [--test 1000] [--epochs 20] [--seed 0] [--out DIR | --docs]
 */
import {
  L1Loss,
  Linear,
  MSELoss,
  RMSprop,
  ReLU,
  Rng,
  Sequential,
  backend,
  fit,
  friedman1,
  regressionMetrics,
  useBackend,
  type BackendName,
  type Loss,
  type RegressionMetrics,
} from '../src/index.js';
import { lineChartSvg, scatterSvg } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, fail, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { Outputs, fmt, markdownTable } from './seed003-common.js';

const SCRIPT = 'regression-mae';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    "The course's regression network (20 → 128 → 64 → 1, ReLU, RMSprop) trained on the MAE, and on the MSE for comparison, on Friedman #1 with 20 inputs (generated, seeded): test MAE and MSE against the mean, the median and the noise floor.",
  flags: [
    '--train N              training rows (default 20000)',
    '--test N               test rows (default 1000)',
    '--features N           inputs per row, at least 5 (default 20, the course’s input size)',
    '--noise X              standard deviation of the target noise (default 1)',
    '--epochs N             epochs (default 20, the course’s)',
    '--batch-size N         minibatch size (default 64, the course’s)',
    '--lr X                 RMSprop learning rate (default 0.001, Keras’s)',
    '--seed N               data, initialisation and shuffling seed (default 0)',
    '--backend B            auto, js or native (default auto)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: {
    train: { type: 'string', default: '20000' },
    test: { type: 'string', default: '1000' },
    features: { type: 'string', default: '20' },
    noise: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    ...OUTPUT_OPTIONS,
  },
});
const int = (name: string, v: string | undefined, min = 1): number =>
  numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= min, min === 1 ? 'a positive integer' : `an integer ≥ ${min}`);
const nTrain = int('train', values.train);
const nTest = int('test', values.test);
const features = int('features', values.features, 5);
const noise = numberFlag(SCRIPT, 'noise', values.noise, (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0');
const epochs = int('epochs', values.epochs);
const batchSize = int('batch-size', values['batch-size']);
const lr = numberFlag(SCRIPT, 'lr', values.lr, (n) => n > 0 && Number.isFinite(n), 'a positive number');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
if (!['auto', 'js', 'native'].includes(values.backend)) fail(SCRIPT, `--backend expects auto, js or native, got ${JSON.stringify(values.backend)}`, 2);
const out = new Outputs(outputDir(SCRIPT, values));
useBackend(values.backend as BackendName);

// ---- data: one draw, cut into training and test rows -------------------------------------------
const root = new Rng(seed);
const all = friedman1(nTrain + nTest, root.fork(), { features, noise });
const train = { x: all.x.sliceRows(0, nTrain), y: all.y.sliceRows(0, nTrain) };
const test = { x: all.x.sliceRows(nTrain, nTrain + nTest), y: all.y.sliceRows(nTrain, nTrain + nTest), signal: all.signal.subarray(nTrain) };

// ---- the course's network: Dense(128, relu) → Dense(64, relu) → Dense(1) ------------------------
const initSeed = root.fork();
/** The same initial weights for both losses: Keras's Glorot uniform, zero biases (our Linear's default). */
function network(): Sequential {
  const rng = Rng.fromState(initSeed.state());
  return new Sequential([
    new Linear(features, 128, { rng, inputGrad: false }),
    new ReLU(),
    new Linear(128, 64, { rng }),
    new ReLU(),
    new Linear(64, 1, { rng }),
  ]);
}
const loopSeed = root.fork();

interface EpochRow {
  epoch: number;
  train_loss: number;
  test: RegressionMetrics;
}
interface Trained {
  loss: 'mae' | 'mse';
  epochs: EpochRow[];
  test: RegressionMetrics;
  train: RegressionMetrics;
  seconds: number;
  predictions: Float32Array;
}

function trainWith(lossName: 'mae' | 'mse', loss: Loss): Trained {
  const model = network();
  const rows: EpochRow[] = [];
  // Keras's RMSprop: rho 0.9 (PyTorch's alpha), epsilon 1e-7, no momentum.
  const optimizer = new RMSprop(model.parameters(), { lr, alpha: 0.9, eps: 1e-7 });
  console.log(`\n${lossName.toUpperCase()} loss: RMSprop lr ${lr} (α 0.9, ε 1e-7), batch ${batchSize}, ${epochs} epochs`);
  let seconds = 0;
  fit({ model, loss, optimizer, x: train.x, y: train.y, batchSize, epochs, rng: Rng.fromState(loopSeed.state()) }, (e) => {
    if (e.type !== 'epoch') return;
    seconds += e.ms / 1000;
    const row = { epoch: e.epoch + 1, train_loss: e.loss, test: regressionMetrics(test.y.data, model.predict(test.x).data) };
    rows.push(row);
    console.log(
      `  epoch ${String(row.epoch).padStart(2)}/${epochs}  train ${lossName.toUpperCase()} ${fmt(row.train_loss)}  test MAE ${fmt(row.test.mae)}  MSE ${fmt(row.test.mse)}`,
    );
  });
  const predictions = model.predict(test.x).data;
  return {
    loss: lossName,
    epochs: rows,
    test: regressionMetrics(test.y.data, predictions),
    train: regressionMetrics(train.y.data, model.predict(train.x).data),
    seconds,
    predictions,
  };
}

const info = backend().info();
console.log(`backend ${info.name}${info.blasCore ? ` (OpenBLAS ${info.blasCore}, ${info.threads} threads)` : ''}`);
console.log(
  `data: Friedman #1, ${features} inputs (5 informative), noise σ = ${noise}; ${nTrain} training / ${nTest} test rows (seed ${seed}); ` +
    `network ${features}-128-64-1 ReLU, ${network().parameterCount().toLocaleString('en-US')} parameters`,
);
const mae = trainWith('mae', new L1Loss());
const mse = trainWith('mse', new MSELoss());

// ---- references on the test split ------------------------------------------------------------
const trainY = Float64Array.from(train.y.data).sort();
const mean = trainY.reduce((a, b) => a + b, 0) / trainY.length;
const median = trainY.length % 2 === 1 ? trainY[(trainY.length - 1) / 2] : (trainY[trainY.length / 2 - 1] + trainY[trainY.length / 2]) / 2;
const constant = (v: number): Float32Array => new Float32Array(nTest).fill(v);
const references = {
  mean: regressionMetrics(test.y.data, constant(mean)),
  median: regressionMetrics(test.y.data, constant(median)),
  noise_floor: regressionMetrics(test.y.data, test.signal),
};

const row = (name: string, m: RegressionMetrics): string[] => [name, fmt(m.mae), fmt(m.mse), fmt(m.rmse), fmt(m.r2)];
console.log(`\ntest split (${nTest} rows) after ${epochs} epochs:`);
console.log(
  markdownTable(
    ['predictor', 'MAE', 'MSE', 'RMSE', 'R²'],
    [
      row('network trained on the MAE', mae.test),
      row('network trained on the MSE', mse.test),
      row(`training mean (${fmt(mean)})`, references.mean),
      row(`training median (${fmt(median)})`, references.median),
      row('f(x) itself: the noise floor', references.noise_floor),
    ],
  ),
);
if (noise > 0)
  console.log(`(for N(0, σ²) noise the floor is MAE σ·√(2/π) = ${fmt(noise * Math.sqrt(2 / Math.PI))}, MSE σ² = ${fmt(noise * noise)}, on average)`);

// ---- figures --------------------------------------------------------------------------------
const epochAxis = mae.epochs.map((r) => r.epoch);
out.text(
  'regression-mae-curves.svg',
  await lineChartSvg({
    title: 'Test MAE per epoch',
    xLabel: 'epoch',
    yLabel: 'test MAE',
    series: [
      { name: 'trained on the MAE', x: epochAxis, y: mae.epochs.map((r) => r.test.mae) },
      { name: 'trained on the MSE', x: epochAxis, y: mse.epochs.map((r) => r.test.mae) },
      { name: 'noise floor (f(x))', x: [1, epochs], y: [references.noise_floor.mae, references.noise_floor.mae] },
    ],
    points: true,
    xIntegers: true,
  }),
);
const lo = Math.min(...test.y.data, ...mae.predictions);
const hi = Math.max(...test.y.data, ...mae.predictions);
out.text(
  'regression-mae-predictions.svg',
  await scatterSvg({
    title: `Test rows: prediction of the MAE-trained network against the target (MAE ${fmt(mae.test.mae)})`,
    xLabel: 'target y',
    yLabel: 'prediction',
    x: test.y.data,
    y: mae.predictions,
    size: 10,
    lines: [{ name: 'prediction = target', x: [lo, hi], y: [lo, hi] }],
  }),
);
const strip = (t: Trained) => ({ loss: t.loss, train: t.train, test: t.test, training_seconds: t.seconds, epochs: t.epochs });
out.json('regression-mae.json', {
  command: `node --import tsx examples/regression-mae.ts --train ${nTrain} --test ${nTest} --features ${features} --noise ${noise} --epochs ${epochs} --batch-size ${batchSize} --lr ${lr} --seed ${seed}`,
  data: { generator: 'friedman1', features, noise, train_rows: nTrain, test_rows: nTest, seed },
  network: `${features}-128-64-1 ReLU, glorot_uniform, RMSprop lr ${lr} alpha 0.9 eps 1e-7, batch ${batchSize}`,
  backend: info.name,
  trained_on_mae: strip(mae),
  trained_on_mse: strip(mse),
  references: { ...references, train_mean: mean, train_median: median },
});
out.report();
