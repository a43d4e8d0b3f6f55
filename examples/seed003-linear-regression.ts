/**
 * Seed 003 §1 (Module Linéaire): y = m·x + ε with x ~ U[0, 50], m = 5, ε ~ N(0, 5²), N = 100;
 * a Linear(1, 1) trained by minibatch SGD on the MSE for 200 epochs over a learning-rate ×
 * batch-size grid, on the data scaled so the slope is 1 (x/50, y/250: §1.2) and on the raw
 * data (slope 5: §1.3). Prints the final loss and fitted slope/intercept of every cell and writes
 * figures (data + fitted lines, loss and slope per epoch) and the numbers as JSON.
 * (Seed 003 is the from-scratch network library coursework: docs/references.md.)
 *
 *   node --import tsx examples/seed003-linear-regression.ts [--epochs 200] [--seed 0] [--out DIR | --docs]
 */
import { Linear, MSELoss, Rng, SGD, Tensor, evaluate, fit, useBackend } from '../src/index.js';
import { lineChartSvg, scatterSvg } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { Outputs, fmt, markdownTable } from './seed003-common.js';

const SCRIPT = 'seed003-linear-regression';
const values = parseExampleArgs({
  script: SCRIPT,
  summary: 'Linear regression with a Linear(1, 1) trained by minibatch SGD over a learning-rate × batch-size grid (seed 003 §1).',
  flags: ['--epochs N             epochs per cell (default 200)', '--seed N               data and training seed (default 0)', ...outputFlagsHelp(SCRIPT)],
  options: {
    epochs: { type: 'string', default: '200' },
    seed: { type: 'string', default: '0' },
    ...OUTPUT_OPTIONS,
  },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
const out = new Outputs(outputDir(SCRIPT, values));

// A 1×1 layer is all call overhead: the pure TypeScript kernels beat a round trip to BLAS.
useBackend('js');

const N = 100;
const SLOPE = 5;
const NOISE_STD = 5;
const X_MAX = 50;
const LRS = [1e-2, 1e-3, 1e-4, 1e-5];
const BATCHES = [1, 10, 100];

// ---- data (seed 003 §1.1) -------------------------------------------------------------------
const dataRng = new Rng(seed);
const xs = Float64Array.from({ length: N }, () => dataRng.uniform(0, X_MAX));
const ys = xs.map((x) => SLOPE * x + dataRng.normal(0, NOISE_STD));

interface Dataset {
  name: 'normalized' | 'raw';
  /** The slope of the noiseless relation in these units. */
  trueSlope: number;
  x: Tensor;
  y: Tensor;
}

const datasets: Dataset[] = [
  // Dividing x by its range and y by m·range makes the noiseless slope exactly 1 ("normalisées
  // (et ayant donc une pente égale à 1)").
  {
    name: 'normalized',
    trueSlope: 1,
    x: Tensor.from(
      xs.map((x) => x / X_MAX),
      [N, 1],
    ),
    y: Tensor.from(
      ys.map((y) => y / (SLOPE * X_MAX)),
      [N, 1],
    ),
  },
  { name: 'raw', trueSlope: SLOPE, x: Tensor.from(xs, [N, 1]), y: Tensor.from(ys, [N, 1]) },
];

/** Least squares on the same data: what any converged run should approach. */
function leastSquares(x: Tensor, y: Tensor): { slope: number; intercept: number; mse: number } {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < N; i++) {
    mx += x.data[i] / N;
    my += y.data[i] / N;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < N; i++) {
    sxy += (x.data[i] - mx) * (y.data[i] - my);
    sxx += (x.data[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let mse = 0;
  for (let i = 0; i < N; i++) mse += (y.data[i] - slope * x.data[i] - intercept) ** 2 / N;
  return { slope, intercept, mse };
}

interface Cell {
  data: Dataset['name'];
  lr: number;
  batchSize: number;
  steps: number;
  finalLoss: number;
  slope: number;
  intercept: number;
  initialSlope: number;
  /** Before training, then after each epoch: MSE over all N points, and the slope. */
  lossCurve: number[];
  slopeCurve: number[];
}

function train(d: Dataset, lr: number, batchSize: number): Cell {
  // The same initial weights and shuffles in every cell, so cells differ only by lr and batch.
  const rng = new Rng(seed + 1);
  const model = new Linear(1, 1, { rng, init: 'torch_default' });
  const initialSlope = model.weight.value.data[0];
  const loss = new MSELoss();
  // Index 0 is the untrained model, index e the model after e epochs.
  const lossCurve: number[] = [evaluate(model, loss, d.x, d.y).loss];
  const slopeCurve: number[] = [initialSlope];
  const r = fit(
    { model, loss, optimizer: new SGD(model.parameters(), { lr }), x: d.x, y: d.y, batchSize, epochs, rng, validation: { x: d.x, y: d.y } },
    (e) => {
      if (e.type !== 'epoch') return;
      lossCurve.push(e.validation?.loss ?? NaN);
      slopeCurve.push(model.weight.value.data[0]);
    },
  );
  return {
    data: d.name,
    lr,
    batchSize,
    steps: r.steps,
    finalLoss: lossCurve.at(-1) ?? NaN,
    slope: model.weight.value.data[0],
    intercept: model.bias?.value.data[0] ?? 0,
    initialSlope,
    lossCurve,
    slopeCurve,
  };
}

const t0 = performance.now();
const cells: Cell[] = [];
for (const d of datasets) for (const lr of LRS) for (const b of BATCHES) cells.push(train(d, lr, b));
const seconds = (performance.now() - t0) / 1000;

// ---- table ----------------------------------------------------------------------------------
console.log(`seed 003 §1: Linear(1,1), SGD on MSE, ${epochs} epochs, N = ${N}, y = ${SLOPE}x + N(0, ${NOISE_STD}²), x ~ U[0, ${X_MAX}]`);
const ls = Object.fromEntries(datasets.map((d) => [d.name, leastSquares(d.x, d.y)]));
for (const d of datasets) {
  const l = ls[d.name];
  console.log(`${d.name}: true slope ${d.trueSlope}; least squares slope ${fmt(l.slope, 5)}, intercept ${fmt(l.intercept, 4)}, MSE ${fmt(l.mse, 4)}`);
}
const rows = cells.map((c) => [
  c.data,
  String(c.lr),
  String(c.batchSize),
  String(c.steps),
  fmt(c.finalLoss),
  fmt(c.slope, 5),
  fmt(c.intercept),
  Number.isFinite(c.slope) ? `${fmt((100 * (c.slope - ls[c.data].slope)) / ls[c.data].slope, 3)} %` : '—',
]);
console.log(markdownTable(['data', 'lr', 'batch', 'steps', 'final MSE', 'slope', 'intercept', 'slope vs least squares'], rows));
console.log(`initial slope (every cell) ${fmt(cells[0].initialSlope, 4)}; ${cells.length} runs in ${seconds.toFixed(1)} s`);

// ---- figures --------------------------------------------------------------------------------
const epochAxis = Array.from({ length: epochs + 1 }, (_, i) => i);
const pick = (data: string, pred: (c: Cell) => boolean) => cells.filter((c) => c.data === data && pred(c));

for (const d of datasets) {
  const byLr = pick(d.name, (c) => c.batchSize === 1);
  const lo = Math.min(...d.x.data);
  const hi = Math.max(...d.x.data);
  out.text(
    `seed003-linreg-fit-${d.name}.svg`,
    await scatterSvg({
      title: `Data and fitted lines, ${d.name} data, batch size 1 (${epochs} epochs)`,
      xLabel: 'x',
      yLabel: 'y',
      x: d.x.data,
      y: d.y.data,
      lines: byLr
        .filter((c) => Number.isFinite(c.slope) && Number.isFinite(c.intercept))
        .map((c) => ({ name: `lr ${c.lr}: slope ${fmt(c.slope, 3)}`, x: [lo, hi], y: [c.slope * lo + c.intercept, c.slope * hi + c.intercept] })),
    }),
  );
  out.text(
    `seed003-linreg-loss-lr-${d.name}.svg`,
    await lineChartSvg({
      title: `MSE over all points per epoch, ${d.name} data, batch size 1`,
      xLabel: 'epoch',
      yLabel: 'MSE',
      yScale: 'log',
      legendTitle: 'learning rate',
      series: byLr.map((c) => ({ name: String(c.lr), x: epochAxis, y: c.lossCurve })),
    }),
  );
  out.text(
    `seed003-linreg-slope-lr-${d.name}.svg`,
    await lineChartSvg({
      title: `Fitted slope per epoch, ${d.name} data, batch size 1 (true ${d.trueSlope})`,
      xLabel: 'epoch',
      yLabel: 'slope',
      legendTitle: 'learning rate',
      series: byLr.map((c) => ({ name: String(c.lr), x: epochAxis, y: c.slopeCurve.map((s) => (Math.abs(s) < 100 * d.trueSlope ? s : NaN)) })),
    }),
  );
}
const byBatch = pick('normalized', (c) => c.lr === 1e-2);
out.text(
  'seed003-linreg-loss-batch-normalized.svg',
  await lineChartSvg({
    title: 'MSE over all points per epoch, normalized data, lr 0.01',
    xLabel: 'epoch',
    yLabel: 'MSE',
    yScale: 'log',
    legendTitle: 'batch size',
    series: byBatch.map((c) => ({ name: String(c.batchSize), x: epochAxis, y: c.lossCurve })),
  }),
);
out.text(
  'seed003-linreg-slope-batch-normalized.svg',
  await lineChartSvg({
    title: 'Fitted slope per epoch, normalized data, lr 0.01 (true 1)',
    xLabel: 'epoch',
    yLabel: 'slope',
    legendTitle: 'batch size',
    series: byBatch.map((c) => ({ name: String(c.batchSize), x: epochAxis, y: c.slopeCurve })),
  }),
);

const finite = (v: number) => (Number.isFinite(v) ? v : String(v));
out.json('seed003-linear-regression.json', {
  experiment: 'seed 003 §1 linear regression',
  command: `node --import tsx examples/seed003-linear-regression.ts --epochs ${epochs} --seed ${seed}`,
  data: { n: N, slope: SLOPE, noise_std: NOISE_STD, x_max: X_MAX, normalization: 'x/50, y/250 (true slope 1)' },
  epochs,
  seed,
  seconds: Number(seconds.toFixed(2)),
  least_squares: ls,
  initial_slope: cells[0].initialSlope,
  cells: cells.map((c) => ({
    data: c.data,
    lr: c.lr,
    batch_size: c.batchSize,
    steps: c.steps,
    final_mse: finite(c.finalLoss),
    slope: finite(c.slope),
    intercept: finite(c.intercept),
  })),
});
out.report();
