/**
 * The deep-learning course's perceptron (docs/perceptron.md): one neuron f(x) = step(w·x + b),
 * trained with the rule w ← w + α(y − f(x))·x, on four toy sets in the plane — the logical AND and
 * OR (linearly separable: it converges), two Gaussian blobs (separable: it converges), and XOR (no
 * line separates it: it never converges). For each set: the epochs to convergence over several
 * shuffling seeds, and for one seed the decision boundary w₁x₁ + w₂x₂ + b = 0 over the points and
 * the mistakes per epoch. Writes the figures (SVG) and the numbers (JSON).
 *
 *   node --import tsx examples/perceptron.ts [--seed 0] [--seeds 10] [--max-epochs 100] [--lr 1] [--out DIR | --docs]
 */
import { Perceptron, Rng, Tensor, describe, fitPerceptron, gaussianBlobs } from '../src/index.js';
import { decisionBoundarySvg, lineChartSvg } from '../src/viz/index.js';
import { OUTPUT_OPTIONS, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs } from './example-cli.js';
import { Outputs, markdownTable } from './seed003-common.js';

const SCRIPT = 'perceptron';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    "The course's perceptron on AND, OR, two Gaussian blobs and XOR: epochs to convergence over shuffling seeds, the decision boundary and the mistakes per epoch.",
  flags: [
    '--seed N               seed of the blobs and of the run drawn (default 0)',
    '--seeds N              shuffling seeds the epochs to convergence are counted over (default 10)',
    '--max-epochs N         epochs at most (default 100)',
    '--lr X                 learning rate α (default 1)',
    ...outputFlagsHelp(SCRIPT),
  ],
  options: {
    seed: { type: 'string', default: '0' },
    seeds: { type: 'string', default: '10' },
    'max-epochs': { type: 'string', default: '100' },
    lr: { type: 'string', default: '1' },
    ...OUTPUT_OPTIONS,
  },
});
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
const seeds = numberFlag(SCRIPT, 'seeds', values.seeds, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'an integer from 1 to 1000');
const maxEpochs = numberFlag(SCRIPT, 'max-epochs', values['max-epochs'], (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const lr = numberFlag(SCRIPT, 'lr', values.lr, (n) => n > 0 && Number.isFinite(n), 'a positive number');
const out = new Outputs(outputDir(SCRIPT, values));

interface ToySet {
  name: string;
  title: string;
  x: Tensor;
  y: Int32Array;
  classNames: [string, string];
}

const GATE_X = Tensor.fromRows([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const gate = (name: string, title: string, y: number[]): ToySet => ({ name, title, x: GATE_X, y: Int32Array.from(y), classNames: ['0', '1'] });
// Two blobs of 100 points around (2, 3) and (4, 2), std 0.4: the centres are 2.8 std from the line
// halfway between them, close enough that with seed 0 the margin is thin (many epochs), far enough
// that no point crosses (it converges). Away from the origin, the bias matters.
const blobs = gaussianBlobs(
  [
    [2, 3],
    [4, 2],
  ],
  100,
  0.4,
  new Rng(seed),
);
const SETS: ToySet[] = [
  gate('and', 'AND', [0, 0, 0, 1]),
  gate('or', 'OR', [0, 1, 1, 1]),
  { name: 'blobs', title: 'two Gaussian blobs', x: blobs.x, y: blobs.labels, classNames: ['blob 0', 'blob 1'] },
  gate('xor', 'XOR', [0, 1, 1, 0]),
];

interface SetResult {
  name: string;
  rows: number;
  converged_runs: number;
  /** Epochs of each seed's run (the mistake-free last one included when it converged; maxEpochs when it did not). */
  epochs: number[];
  updates: number[];
  drawn: { seed: number; converged: boolean; epochs: number; weights: number[]; bias: number; mistakes: readonly number[]; training_accuracy: number };
}

const results: SetResult[] = [];
const fmtW = (v: number): string => String(Number(v.toPrecision(4)));
/** "27.07·x₁ − 22.37·x₂ − 22 = 0". */
function lineEquation(w1: number, w2: number, b: number): string {
  const term = (v: number, name: string, first: boolean): string =>
    v === 0 ? '' : `${first ? (v < 0 ? '−' : '') : v < 0 ? ' − ' : ' + '}${fmtW(Math.abs(v))}${name}`;
  const text = `${term(w1, '·x₁', true)}${term(w2, '·x₂', w1 === 0)}${term(b, '', w1 === 0 && w2 === 0)}`;
  return `${text === '' ? '0' : text} = 0`;
}
for (const set of SETS) {
  const epochs: number[] = [];
  const updates: number[] = [];
  let converged = 0;
  let drawn: SetResult['drawn'] | null = null;
  for (let s = 0; s < seeds; s++) {
    const runSeed = seed + s;
    const p = new Perceptron(2);
    const r = fitPerceptron(p, set.x, set.y, { lr, maxEpochs, rng: new Rng(runSeed) });
    epochs.push(r.epochs);
    updates.push(r.updates);
    if (r.converged) converged++;
    if (s === 0) {
      const pred = p.predict(set.x);
      const right = pred.reduce((n, v, i) => n + (v === set.y[i] ? 1 : 0), 0);
      drawn = {
        seed: runSeed,
        converged: r.converged,
        epochs: r.epochs,
        weights: [...p.weights],
        bias: p.bias,
        mistakes: r.mistakes,
        training_accuracy: right / set.y.length,
      };
    }
  }
  if (drawn === null) throw new Error('internal: no run drawn');
  results.push({ name: set.name, rows: set.x.rows, converged_runs: converged, epochs, updates, drawn });
  const [w1, w2] = drawn.weights;
  out.text(
    `perceptron-${set.name}.svg`,
    await decisionBoundarySvg({
      title: `${set.title}: ${drawn.converged ? `converged after ${drawn.epochs} epochs` : `not converged after ${drawn.epochs} epochs`} (seed ${drawn.seed})`,
      x: Array.from({ length: set.x.rows }, (_, i) => set.x.data[2 * i]),
      y: Array.from({ length: set.x.rows }, (_, i) => set.x.data[2 * i + 1]),
      labels: set.y,
      classNames: set.classNames,
      weights: [w1, w2],
      bias: drawn.bias,
      lineName: lineEquation(w1, w2, drawn.bias),
    }),
  );
}

out.text(
  'perceptron-mistakes.svg',
  await lineChartSvg({
    title: `Mistakes (updates) per epoch, seed ${seed}`,
    xLabel: 'epoch',
    yLabel: 'rows misclassified during the epoch',
    series: results.map((r) => ({
      name: SETS.find((t) => t.name === r.name)?.title ?? r.name,
      x: r.drawn.mistakes.map((_, i) => i + 1),
      y: [...r.drawn.mistakes],
    })),
    points: true,
    xIntegers: true,
    xMin: 1,
  }),
);

console.log(`perceptron, α = ${lr}, at most ${maxEpochs} epochs, rows shuffled each epoch; seeds ${seed}…${seed + seeds - 1}\n`);
console.log(
  markdownTable(
    ['set', 'rows', 'converged', 'epochs (mean ± std)', 'epochs (min–max)', 'updates (mean)', `seed ${seed}: w₁, w₂, b`, `seed ${seed}: accuracy`],
    results.map((r) => {
      const e = describe(r.epochs);
      const u = describe(r.updates);
      return [
        r.name,
        String(r.rows),
        `${r.converged_runs}/${seeds}`,
        r.converged_runs === 0 ? '—' : seeds === 1 ? String(e.mean) : `${e.mean.toFixed(1)} ± ${e.std.toFixed(1)}`,
        r.converged_runs === 0 ? `never (${maxEpochs})` : `${e.min}–${e.max}`,
        u.mean.toFixed(1),
        `${fmtW(r.drawn.weights[0])}, ${fmtW(r.drawn.weights[1])}, ${fmtW(r.drawn.bias)}`,
        `${(r.drawn.training_accuracy * 100).toFixed(1)}%`,
      ];
    }),
  ),
);

out.json('perceptron.json', {
  command: `node --import tsx examples/perceptron.ts --seed ${seed} --seeds ${seeds} --max-epochs ${maxEpochs} --lr ${lr}`,
  rule: 'w ← w + α(y − f(x))·x, b ← b + α(y − f(x)); f(x) = 1 if w·x + b > 0 else 0; rows shuffled each epoch; stops after the first epoch without a mistake',
  seed,
  seeds,
  max_epochs: maxEpochs,
  lr,
  sets: results,
});
out.report();
