/**
 * Our side of the benchmark case desom-train, run in its own process so its peak resident memory
 * is the run's alone (bench/cases/desom-train.ts spawns it; bench/peers/desom_train_torch.py is
 * the PyTorch side):
 *
 *   node --import tsx bench/desom-train-ours.ts --threads 2 --data-dir ~/.cache/latentlab/mnist [--matmul-precision bfloat16]
 *
 * The DESOM paper configuration on MNIST, end to end: load all 70,000 rows (train then test,
 * pixel/255, file order), build DESOM 784-500-500-2000-10 on an 8×8 map (Glorot-uniform weights,
 * zero biases, prototypes = codes of 64 random rows through the untrained encoder), train the first
 * `--iterations` steps (default 1,000) of the 10,000-iteration schedule T = 8·(0.1/8)^(t/10000)
 * (sequential batches of 256, short last batch, wrap; Adam lr 1e-3, ε 1e-7), then encode all rows
 * and score the map (somMetrics: qe, te, purity, nmi, nmi_geometric, ari, accuracy,
 * prototype_kmeans_accuracy). Prints one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import { somMetrics } from '../src/som/metrics.js';
import { loadDataset } from '../src/data/fetch.js';
import { Rng } from '../src/random.js';
import { peakRssMb } from '../src/runs/peak-rss.js';
import { DESOM, DESOM_DEFAULTS } from '../src/desom/model.js';
import { desomSteps } from '../src/desom/steps.js';
import { checkMatmulPrecision } from '../src/tensor/backend.js';
import { backend, useBackend } from '../src/tensor/registry.js';

function arg(name: string, fallback: string | undefined): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`desom-train-ours: expected --${name} <value>`);
  return fallback;
}

function intArg(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`desom-train-ours: expected --${name} to be a positive integer, got ${arg(name, '')}`);
  return v;
}

const threads = intArg('threads', 2);
const dataDir = arg('data-dir', undefined);
const seed = Number(arg('seed', '0'));
const iterations = intArg('iterations', 1000);
/** The schedule's length: T follows the full paper run's decay for the steps that are run. */
const schedule = intArg('schedule-iterations', DESOM_DEFAULTS.iterations);
if (iterations > schedule) throw new RangeError(`desom-train-ours: expected --iterations ≤ --schedule-iterations (${schedule}), got ${iterations}`);

const precision = arg('matmul-precision', 'float32');
checkMatmulPrecision(precision);

useBackend('native');
backend().setThreads(threads);
backend().setMatmulPrecision(precision);

/** Busy CPU seconds of the whole machine so far (/proc/stat, USER_HZ = 100 on Linux), or null. */
function machineBusySeconds(): number | null {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return (v.reduce((a, b) => a + b, 0) - v[3] - v[4]) / 100;
  } catch {
    return null;
  }
}
const busy0 = machineBusySeconds();
const cpu0 = process.cpuUsage();

const t0 = performance.now();
const data = await loadDataset('mnist', { split: 'all', dataDir });
const x = data.x;
const t1 = performance.now();

const rng = new Rng(seed);
// Paper defaults: 784-500-500-2000-10 ReLU, 8×8 rectangular map with exact Manhattan δ, prototypes from encoded samples.
const model = DESOM.create(x, { rng });
const t2 = performance.now();

// desomSteps runs the 10,000-iteration schedule; breaking after `iterations` step events leaves
// the model as after that many full steps (each event is yielded after its optimizer step).
let done = 0;
let samples = 0;
let firstLoss = NaN;
let lastLoss = NaN;
let lastT = NaN;
for (const e of desomSteps(model, x, { rng, iterations: schedule, Tmax: 8, Tmin: 0.1, decay: 'exponential' })) {
  if (e.type !== 'step') continue;
  done = e.iteration;
  samples += e.bmus.length;
  if (done === 1) firstLoss = e.loss;
  lastLoss = e.loss;
  lastT = e.T;
  if (done >= iterations) break;
}
const t3 = performance.now();

const codes = model.encode(x);
const { metrics } = somMetrics(model.som, codes, data.labels, data.classNames.length, seed);
const t4 = performance.now();

// Cores used by other processes meanwhile (the peers' other_cores): machine busy time minus ours.
const busy1 = machineBusySeconds();
const cpu = process.cpuUsage(cpu0);
const otherCores =
  busy0 === null || busy1 === null ? null : Math.round((Math.max(0, busy1 - busy0 - (cpu.user + cpu.system) / 1e6) / ((t4 - t0) / 1000)) * 1000) / 1000;

const info = backend().info();
console.log(
  JSON.stringify({
    case: 'desom-train',
    side: 'latentlab',
    total_ms: t4 - t0,
    load_ms: t1 - t0,
    init_ms: t2 - t1,
    train_ms: t3 - t2,
    eval_ms: t4 - t3,
    iterations: done,
    schedule_iterations: schedule,
    train_samples: samples,
    samples_per_s: samples / ((t3 - t2) / 1000),
    rows: x.rows,
    loss_first: firstLoss,
    loss_last: lastLoss,
    T_last: lastT,
    metrics,
    peak_rss_mb: peakRssMb(),
    other_cores: otherCores,
    backend: info.name,
    threads: info.threads,
    blas_core: info.blasCore,
  }),
);
