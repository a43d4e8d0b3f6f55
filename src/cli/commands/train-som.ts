/**
 * `latentlab train som`: a self-organizing map (classic online, batch or gradient; seed 000's
 * minisom / kerasom baselines) on a registered dataset, raw or through a saved encoder, into a run
 * directory: model/ (saveSom), arrays/ (prototypes, BMUs, labels), figures/ (prototype map,
 * U-matrix, hits, class map, QE curve), report.html, and summary metrics qe, te, purity, nmi, ari,
 * accuracy, prototype_kmeans_accuracy (test_… on the test split). `--resume RUN` continues from
 * the last checkpoint (prototypes, optimizer state, RNG, iteration) and ends with exactly the
 * prototypes of the run left alone.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { writeNpy } from '../../io/npy.js';
import { datasetNames } from '../../data/registry.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../io/safetensors.js';
import { Rng, type RngState } from '../../random.js';
import { quantizationError, topographicError } from '../../som/analysis.js';
import { DECAY_KINDS, type DecayKind } from '../../som/decay.js';
import { SOM_ALGORITHMS, somSteps, type SomTrainOptions } from '../../som/fit.js';
import { INIT_KINDS } from '../../som/init.js';
import { NEIGHBORHOOD_KINDS } from '../../som/neighborhood.js';
import { loadSom, saveSom } from '../../som/som-file.js';
import { SOM } from '../../som/som.js';
import { MAP_DISTANCES, TOPOLOGY_KINDS } from '../../som/topology.js';
import { Tensor } from '../../tensor/tensor.js';
import { num } from '../config.js';
import { encoderNote, fitSplits, loadClusterData, openEncoderRun, type EncoderNote, type EncoderRun } from '../encoded.js';
import { checkNeeds, somNeeds } from '../limits.js';
import { describeCollapse } from '../../metrics/collapse.js';
import type { Output } from '../output.js';
import { buildOptimizer } from '../../optim/registry.js';
import type { Optimizer } from '../../optim/optimizer.js';
import { describeBackend, MATMUL_PRECISION_HELP, RUN_FIELDS, TrainSession, type RunProgress, type TrainFlags } from '../session.js';
import { MATMUL_PRECISIONS } from '../../tensor/backend.js';
import { somMetrics } from '../../som/metrics.js';

const enumOf = <T extends string>(values: readonly T[]) => z.enum(values as unknown as [T, ...T[]]);

/** "8x8" → [8, 8]; null unless ROWSxCOLS with positive integers and at least 2 cells. */
export function parseMapSize(s: string): [number, number] | null {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (m === null) return null;
  const rows = Number(m[1]);
  const cols = Number(m[2]);
  return rows >= 1 && cols >= 1 && rows * cols >= 2 && rows <= 1000 && cols <= 1000 ? [rows, cols] : null;
}

const somConfigObject = z.strictObject({
  dataset: z.string().refine((s) => datasetNames().includes(s as never), { message: `expected one of ${datasetNames().join(', ')}` }).default('mnist'),
  data_dir: z.string().optional(),
  /** An ae run (id under --out, or a path) whose encoder maps the data to its latent space first. */
  encoder: z.string().optional(),
  algorithm: enumOf(SOM_ALGORITHMS).default('classic'),
  map: z
    .string()
    .superRefine((v, ctx) => {
      if (parseMapSize(v) === null) ctx.addIssue({ code: 'custom', message: `expected ROWSxCOLS with positive integers and at least 2 cells (e.g. 8x8), got "${v}"` });
    })
    .default('8x8'),
  topology: enumOf(TOPOLOGY_KINDS).default('rectangular'),
  toroidal: z.boolean().default(false),
  distance: enumOf(MAP_DISTANCES).default('manhattan'),
  neighborhood: enumOf(NEIGHBORHOOD_KINDS).default('gaussian'),
  /** How the radius / temperature T goes from t_max to t_min. */
  decay: enumOf(DECAY_KINDS).default('exponential'),
  t_max: z.number().positive().optional(),
  t_min: z.number().positive().optional(),
  lr: z.number().positive().optional(),
  lr_final: z.number().positive().optional(),
  lr_decay: enumOf(DECAY_KINDS).optional(),
  iterations: z.int().positive().optional(),
  epochs: z.int().positive().optional(),
  batch_size: z.int().positive().optional(),
  optimizer: z.enum(['adam', 'adamw', 'sgd', 'rmsprop']).optional(),
  init: enumOf(INIT_KINDS).default('samples'),
  split: z.enum(['train', 'all']).default('train'),
  ...RUN_FIELDS,
  checkpoint_every: z.int().positive().optional(),
  log_every: z.int().positive().optional(),
  eval_every: z.int().positive().optional(),
  /** Rows (a seeded sample of the training data) on which eval_every measures QE and TE. */
  eval_sample: z.int().positive().default(2000),
});

type SomConfigIn = z.infer<typeof somConfigObject>;

/** Keys that only some algorithms use: giving one to another algorithm is refused rather than ignored. */
const ONLY_FOR: Partial<Record<keyof SomConfigIn, readonly SomConfigIn['algorithm'][]>> = {
  lr: ['classic', 'gradient'],
  lr_final: ['classic'],
  lr_decay: ['classic'],
  iterations: ['classic', 'gradient'],
  batch_size: ['gradient'],
  optimizer: ['gradient'],
};

export const somConfigSchema = somConfigObject.superRefine((c, ctx) => {
  for (const [key, algorithms] of Object.entries(ONLY_FOR) as [keyof SomConfigIn, readonly string[]][]) {
    if (c[key] !== undefined && !algorithms.includes(c.algorithm)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies to the ${algorithms.join(' and ')} algorithm${algorithms.length > 1 ? 's' : ''}, not to ${c.algorithm}${key === 'iterations' ? ' (its iterations are epochs: use epochs)' : ''}` });
    }
  }
  if (c.iterations !== undefined && c.epochs !== undefined) ctx.addIssue({ code: 'custom', path: ['epochs'], message: `give iterations or epochs, not both (got ${c.iterations} and ${c.epochs})` });
  if (c.t_max !== undefined && c.t_min !== undefined && c.t_min > c.t_max) ctx.addIssue({ code: 'custom', path: ['t_min'], message: `expected t_min ≤ t_max, got ${c.t_min} > ${c.t_max}` });
  const size = parseMapSize(c.map);
  if (size !== null && c.topology === 'hexagonal' && c.toroidal && size[0] % 2 !== 0) {
    ctx.addIssue({ code: 'custom', path: ['map'], message: `a toroidal hexagonal map needs an even number of rows, got ${c.map}` });
  }
});

export type SomConfig = z.infer<typeof somConfigSchema>;
export type TrainSomFlags = TrainFlags<SomConfig>;

/**
 * Defaults per algorithm (docs/som.md has the measurements behind them):
 * - classic: T from half the map's larger side down to 1, lr 0.5 → 0.01, 5 passes (an ordered map:
 *   on MNIST 8×8, TE 0.12 against 0.46 with seed 000's Tmin 0.1);
 * - batch: the same radius, 30 epochs;
 * - gradient: seed 000 (Tmax 8, Tmin 0.1, 10,000 Adam steps of 256 rows, lr 1e-3).
 */
export function somDefaults(algorithm: SomConfig['algorithm'], rows: number, cols: number) {
  const half = Math.max(1, Math.max(rows, cols) / 2);
  switch (algorithm) {
    case 'classic':
      return { t_max: half, t_min: 1, lr: 0.5, lr_final: 0.01, lr_decay: 'exponential' as DecayKind, epochs: 5, checkpoint_every: 10000, log_every: 1000 };
    case 'batch':
      return { t_max: half, t_min: 1, epochs: 30, checkpoint_every: 1, log_every: 1 };
    case 'gradient':
      return { t_max: 8, t_min: 0.1, lr: 1e-3, iterations: 10000, batch_size: 256, optimizer: 'adam' as const, checkpoint_every: 500, log_every: 100 };
  }
}

/** Fills the algorithm's defaults into cfg (in place, so config.json holds the resolved values); returns the total iterations. */
function resolveDefaults(cfg: SomConfig, rows: number, cols: number, n: number): number {
  const d = somDefaults(cfg.algorithm, rows, cols) as Partial<SomConfig>;
  const c = cfg as Record<string, unknown>;
  for (const [k, v] of Object.entries(d)) if (c[k] === undefined) c[k] = v;
  if (cfg.t_min! > cfg.t_max!) cfg.t_min = cfg.t_max;
  let total: number;
  switch (cfg.algorithm) {
    case 'classic':
      if (cfg.iterations !== undefined) delete c.epochs;
      total = cfg.iterations ?? cfg.epochs! * n;
      break;
    case 'batch':
      total = cfg.epochs!;
      break;
    case 'gradient':
      // Epochs of the gradient SOM become steps: ⌈n / batch_size⌉ per pass.
      if (cfg.epochs !== undefined) {
        cfg.iterations = cfg.epochs * Math.ceil(n / Math.min(cfg.batch_size!, n));
        delete c.epochs;
      }
      total = cfg.iterations!;
      break;
  }
  cfg.eval_every ??= cfg.algorithm === 'batch' ? 1 : Math.max(1, Math.ceil(total / 50));
  return total;
}


// ---------------------------------------------------------------------------------------------
// Checkpoints: checkpoint/step-N/ (som.json + prototypes.npy, optimizer.safetensors, state.json),
// then checkpoint/latest.json pointing at it, then older folders removed (src/runs/checkpoint.ts's
// protocol, with the map saved by saveSom instead of a Module's weights).
// ---------------------------------------------------------------------------------------------

interface SomCheckpointState {
  step: number;
  rng: { loop: RngState };
  optimizer?: { type: string; step: number; lr: number; present: Record<string, boolean[]> };
}

function saveSomCheckpoint(dir: string, som: SOM, optimizer: Optimizer | null, state: SomCheckpointState): void {
  const folder = `step-${state.step}`;
  const target = join(dir, folder);
  mkdirSync(target, { recursive: true });
  saveSom(som, target);
  const full: SomCheckpointState = { ...state };
  if (optimizer !== null) {
    const opt = optimizer.stateDict();
    const tensors: Record<string, SafeTensor> = {};
    const present: Record<string, boolean[]> = {};
    for (const [slot, arrays] of Object.entries(opt.slots)) {
      present[slot] = arrays.map((a) => a !== null);
      arrays.forEach((a, i) => {
        if (a !== null) tensors[`${slot}.${i}`] = { dtype: 'F32', shape: [a.length], data: a };
      });
    }
    writeSafetensors(join(target, 'optimizer.safetensors'), tensors);
    full.optimizer = { type: opt.type, step: opt.step, lr: opt.lr, present };
  }
  writeJsonAtomic(join(target, 'state.json'), full);
  writeJsonAtomic(join(dir, 'latest.json'), { step: state.step, folder });
  for (const name of readdirSync(dir)) if (name.startsWith('step-') && name !== folder) rmSync(join(dir, name), { recursive: true, force: true });
}

function loadSomCheckpoint(dir: string, optimizerFor: (som: SOM) => Optimizer | null): { som: SOM; optimizer: Optimizer | null; state: SomCheckpointState } {
  const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { folder: string };
  const folder = join(dir, latest.folder);
  const som = loadSom(folder);
  const state = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8')) as SomCheckpointState;
  const optimizer = optimizerFor(som);
  if (optimizer !== null) {
    if (state.optimizer === undefined) throw new Error(`loadSomCheckpoint: ${folder} has no optimizer state`);
    const file = readSafetensors(join(folder, 'optimizer.safetensors'));
    const slots: Record<string, (Float32Array | null)[]> = {};
    for (const [slot, present] of Object.entries(state.optimizer.present)) {
      slots[slot] = present.map((has, i) => {
        if (!has) return null;
        const t = file.tensors[`${slot}.${i}`];
        if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`loadSomCheckpoint: optimizer slot ${slot}.${i} missing or not F32 in ${folder}`);
        return t.data;
      });
    }
    optimizer.loadStateDict({ type: state.optimizer.type, step: state.optimizer.step, lr: state.optimizer.lr, slots });
  }
  return { som, optimizer, state };
}

/** A seeded sample of at most `size` rows (the rows on which training-time QE/TE are measured). */
export function sampleRows(x: Tensor, size: number, rng: Rng): Tensor {
  if (size >= x.rows) return x;
  const idx = rng.sample(x.rows, size).sort();
  const d = x.cols;
  const out = new Float32Array(size * d);
  idx.forEach((r, i) => out.set(x.data.subarray(r * d, (r + 1) * d), i * d));
  return new Tensor(out, [size, d]);
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(digits)).toString();
}

export async function trainSom(flags: TrainSomFlags, out: Output): Promise<number> {
  const session = TrainSession.open('som', somConfigSchema, flags, 'train som');
  return session.execute((progress) => trainSomSession(session, flags, out, progress));
}

async function trainSomSession(session: TrainSession<SomConfig>, flags: TrainSomFlags, out: Output, progress: RunProgress): Promise<number> {
  const { run, cfg, info } = session;
  const [rows, cols] = parseMapSize(cfg.map)!;
  // A resumed run finds its encoder where config.json recorded it (absolute path).
  const savedEncoder = session.resuming ? (run.readConfig<{ encoder?: EncoderNote | null }>().encoder ?? null) : null;
  let encoder: EncoderRun | undefined;
  if (savedEncoder !== null) encoder = openEncoderRun(savedEncoder.path, '.', 'encoder');
  else if (cfg.encoder !== undefined) encoder = openEncoderRun(cfg.encoder, flags.out);
  const { fit, heldOut } = fitSplits('train som', cfg.dataset, cfg.split);

  const t0 = performance.now();
  const train = await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: fit, limit: cfg.limit, encoder });
  const test = heldOut === null ? null : await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: heldOut, limit: cfg.test_limit, encoder });
  const loadS = (performance.now() - t0) / 1000;
  const n = train.x.rows;
  const total = resolveDefaults(cfg, rows, cols, n);
  checkNeeds(somNeeds({ map: cfg.map, cells: rows * cols, dim: train.x.cols, rows: n, algorithm: cfg.algorithm, batch: cfg.batch_size }), { base: (train.x.size + (test?.x.size ?? 0)) * 4 });

  const root = new Rng(cfg.seed);
  const initRng = root.fork();
  const loopRng = root.fork();
  const evalRng = root.fork();
  const optimizerFor = (s: SOM): Optimizer | null => (cfg.algorithm === 'gradient' ? buildOptimizer(cfg.optimizer ?? 'adam', [s.parameter], { lr: cfg.lr!, eps: 1e-7 /* Keras's Adam, as the DESOM reference trains */ }) : null);
  let som: SOM;
  let optimizer: Optimizer | null;
  let start = 0;
  if (session.canResume) {
    const ck = loadSomCheckpoint(run.file('checkpoint'), optimizerFor);
    ({ som, optimizer } = ck);
    start = ck.state.step;
    loopRng.setState(ck.state.rng.loop);
  } else {
    som = SOM.create(train.x, { rows, cols, topology: cfg.topology, toroidal: cfg.toroidal, distance: cfg.distance, init: cfg.init, rng: initRng });
    optimizer = optimizerFor(som);
  }
  if (som.dim !== train.x.cols) throw new Error(`train som: the checkpoint's prototypes have ${som.dim} features, the data ${train.x.cols}`);
  progress.step = start;
  const loopStart = loopRng.state();
  const evalX = sampleRows(train.x, cfg.eval_sample, evalRng);

  session.writeConfig({
    dataset: { name: cfg.dataset, source: train.source, split: fit, rows: n, test_rows: test?.x.rows ?? 0, features: train.rawFeatures, classes: train.classNames.length, image_shape: train.imageShape },
    encoder: encoder === undefined ? null : encoderNote(encoder),
    map: { rows, cols, cells: rows * cols, dim: som.dim, topology: cfg.topology, toroidal: cfg.toroidal, distance: cfg.distance },
    total_iterations: total,
  });
  session.begin(start, total, { load_s: loadS });

  const where = encoder === undefined ? `${train.x.cols} features` : `encoded by ${encoder.runId} to ${encoder.latent} dimensions`;
  out.notice(`run ${run.id} → ${run.path}`);
  out.notice(`${cfg.dataset}: ${n} ${fit} rows${test ? ` / ${test.x.rows} test rows` : ''} (${train.source}), ${where}; ${rows}×${cols} ${cfg.topology}${cfg.toroidal ? ' toroidal' : ''} map, ${cfg.algorithm} algorithm, ${total} ${cfg.algorithm === 'batch' ? 'epochs' : 'iterations'}; backend ${describeBackend(info)}`);
  if (start > 0) out.notice(`resuming at iteration ${start} of ${total}`);

  const common = { neighborhood: cfg.neighborhood, Tmax: cfg.t_max!, Tmin: cfg.t_min!, decay: cfg.decay, qeEvery: 0, startIteration: start };
  let opts: SomTrainOptions;
  switch (cfg.algorithm) {
    case 'classic':
      // Events (where the prototypes are exact and can be measured or saved) at least as often as logging, evaluation and checkpoints need.
      opts = {
        algorithm: 'classic',
        ...common,
        rng: loopRng,
        lr: cfg.lr,
        lrMin: cfg.lr_final,
        lrDecay: cfg.lr_decay,
        reportEvery: Math.min(Math.max(256, Math.ceil(total / 1000)), cfg.eval_every!, cfg.log_every!, cfg.checkpoint_every!),
        ...(cfg.iterations !== undefined ? { iterations: cfg.iterations } : { epochs: cfg.epochs }),
      };
      break;
    case 'batch':
      opts = { algorithm: 'batch', ...common, epochs: cfg.epochs };
      break;
    case 'gradient':
      opts = { algorithm: 'gradient', ...common, iterations: cfg.iterations, batchSize: cfg.batch_size, optimizer: optimizer ?? undefined };
      break;
  }

  const unit = cfg.algorithm === 'batch' ? 'epochs' : 'it';
  const bar = out.progress(total, `train som |{bar}| {percentage}% {value}/{total} ${unit} | T {T} | lr {lr} | QE {qe} | ETA {eta_formatted}`);
  bar.update(start, { T: fmt(cfg.t_max), lr: fmt(cfg.lr), qe: '—' });
  const tTrain = performance.now();
  let last = start;
  let lastCheckpoint = start;
  let lastQe: number | null = null;
  const checkpoint = (step: number): void => {
    session.checkFiniteParameters([['prototypes', som.prototypes]], step);
    saveSomCheckpoint(run.file('checkpoint'), som, optimizer, { step, rng: { loop: loopStart } });
    lastCheckpoint = step;
    session.progress(step);
  };
  const evaluate = (it: number): void => {
    lastQe = quantizationError(som, evalX);
    run.event({ type: 'eval', iteration: it, qe: lastQe, te: topographicError(som, evalX), rows: evalX.rows });
  };
  if (start === 0) evaluate(0);
  const crossed = (it: number, every: number): boolean => Math.floor(it / every) > Math.floor(last / every);
  try {
    for (const e of somSteps(som, train.x, opts)) {
      const it = e.iteration;
      if (e.loss !== undefined) session.checkFinite('loss', e.loss, it);
      if (e.type === 'step' && crossed(it, cfg.log_every!)) run.event({ type: 'step', iteration: it, epoch: e.epoch, T: e.T, lr: e.lr, loss: e.loss, ms: e.ms });
      if (e.type === 'epoch') run.event({ type: 'epoch', iteration: it, epoch: e.epoch, T: e.T, lr: e.lr, loss: e.loss, ms: e.ms });
      if (crossed(it, cfg.eval_every!) || it === total) evaluate(it);
      last = it;
      progress.step = it;
      bar.update(it, { T: fmt(e.T), lr: fmt(e.lr), qe: fmt(lastQe) });
      if (it - lastCheckpoint >= cfg.checkpoint_every! && it < total) checkpoint(it);
      if ((await session.poll()) !== null) break;
    }
  } finally {
    bar.stop();
  }
  if (session.stopRequested !== null) {
    // Breaking out of the generator leaves som.prototypes as they were at the last event.
    checkpoint(last);
    return session.interrupted(last, { train_s: (performance.now() - tTrain) / 1000 }, out);
  }
  const trainS = (performance.now() - tTrain) / 1000;

  const tEval = performance.now();
  session.checkFiniteParameters([['prototypes', som.prototypes]], total);
  const nClasses = train.classNames.length;
  const fitted = somMetrics(som, train.x, train.labels, nClasses, cfg.seed);
  const collapse = describeCollapse(fitted.bmus, som.size);
  if (collapse !== null) session.warn('degenerate', collapse, out);
  const held = test === null ? null : somMetrics(som, test.x, test.labels, nClasses, cfg.seed, 'test_');
  const metrics = { ...fitted.metrics, ...(held?.metrics ?? {}) };
  const evalS = (performance.now() - tEval) / 1000;

  const tFig = performance.now();
  saveSom(som, run.file('model'));
  if (encoder !== undefined) writeJsonAtomic(run.file('model', 'encoder.json'), encoderNote(encoder));
  const K = som.size;
  writeNpy(run.file('arrays', 'prototypes.npy'), { dtype: 'f4', shape: [K, som.dim], data: som.prototypes.data });
  writeNpy(run.file('arrays', 'bmus.npy'), { dtype: 'i4', shape: [n], data: fitted.bmus });
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: train.labels });
  if (test !== null && held !== null) {
    writeNpy(run.file('arrays', 'test_bmus.npy'), { dtype: 'i4', shape: [test.x.rows], data: held.bmus });
    writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.x.rows], data: test.labels });
  }
  const decode = encoder === undefined ? undefined : (z: Tensor): Tensor => encoder.ae.decode(z);
  if (decode !== undefined) {
    const decoded = decode(som.prototypes);
    writeNpy(run.file('arrays', 'decoded_prototypes.npy'), { dtype: 'f4', shape: [K, decoded.cols], data: decoded.data });
  }
  // Loaded here: the charts pull in vega, which every other command can start without.
  const { somFigures } = await import('../../viz/som-figures.js');
  const { evalCurve, writeFigures, writeRunReport } = await import('../figures-som.js');
  const dataName = `${cfg.dataset} ${fit}`;
  const figures = await somFigures({ som, bmus: fitted.bmus, labels: train.labels, classNames: train.classNames, imageShape: train.imageShape, decode, curve: evalCurve(run.events()), curveRows: evalX.rows, dataName });
  writeFigures(run, figures);
  const timings = { load_s: loadS, train_s: trainS, eval_s: evalS, figures_s: (performance.now() - tFig) / 1000, total_s: (performance.now() - t0) / 1000 };
  writeRunReport(run, {
    title: `SOM ${rows}×${cols} (${cfg.algorithm}) on ${cfg.dataset}${encoder ? ` through ${encoder.runId}` : ''}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: session.summary.warnings?.map((w) => w.message),
    config: cfg as unknown as Record<string, unknown>,
    metrics,
    timings,
    text: [
      `Maps of the ${n} ${fit} rows${encoder ? ` encoded by ae run ${encoder.runId} (latent size ${encoder.latent})` : ''}. Metrics treat each cell as a cluster of the rows it wins (test_… on the test split).`,
      'qe: mean distance from a row to its best-matching prototype. te: share of rows whose two best-matching cells are not edge neighbours (4 per cell on a rectangular map). accuracy: unsupervised accuracy, the cells matched one-to-one to classes by the Hungarian algorithm (at most one cell per class counts). prototype_kmeans_accuracy: k-means with one cluster per class on the prototypes, each row labelled by its cell’s cluster (seed 000).',
    ].join('\n\n'),
    figures,
  });
  session.completed(total, metrics, timings);
  run.event({ type: 'final', iteration: total, ...metrics });

  out.line('');
  out.line(`run ${run.id} completed (${cfg.algorithm}, ${rows}×${cols}, ${total} ${cfg.algorithm === 'batch' ? 'epochs' : 'iterations'})`);
  const show = (k: string): string => `${fmt(metrics[k])}${metrics[`test_${k}`] === undefined ? '' : `   (test ${fmt(metrics[`test_${k}`])})`}`;
  for (const k of ['qe', 'te', 'purity', 'nmi', 'ari', 'accuracy', 'prototype_kmeans_accuracy']) if (metrics[k] !== undefined) out.line(`  ${k.padEnd(26)} ${show(k)}`);
  out.line(`  time                       ${trainS.toFixed(1)} s training, ${timings.total_s.toFixed(1)} s in all`);
  out.line(`  report                     ${run.file('report.html')}`);
  out.result({ run_id: run.id, path: run.path, status: 'completed', metrics, timings });
  return 0;
}

/** What main.ts hands to the commands it registers through a helper. */
export interface CommandHooks {
  output: (cmd: Command) => Output;
  done: (code: number) => void;
}

/** Registers `train som` under the `train` command. */
export function registerTrainSom(train: Command, hooks: CommandHooks): void {
  train
    .command('som')
    .description('a self-organizing map (classic | batch | gradient) on a dataset, raw or through a saved encoder')
    .option('--config <file>', 'JSON config (snake_case keys as in config.json); flags override it')
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint')
    .option('--run-id <id>', 'name of the run directory (default som-<date>-<time>)')
    .option('--dataset <name>', datasetNames().join(' | '))
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--encoder <run>', 'an ae or desom run whose encoder maps the data first (the map lives in its latent space)')
    .addOption(new Option('--algorithm <name>', 'training algorithm').choices([...SOM_ALGORITHMS]))
    .option('--map <RxC>', 'map size, e.g. 8x8')
    .addOption(new Option('--topology <kind>').choices([...TOPOLOGY_KINDS]))
    .option('--toroidal', 'wrap the map into a torus')
    .addOption(new Option('--distance <name>', 'distance between cells').choices([...MAP_DISTANCES]))
    .addOption(new Option('--neighborhood <name>').choices([...NEIGHBORHOOD_KINDS]))
    .addOption(new Option('--decay <kind>', 'how T goes from t_max to t_min').choices([...DECAY_KINDS]))
    .option('--t-max <T>', 'initial radius / temperature')
    .option('--t-min <T>', 'final radius / temperature')
    .option('--lr <rate>', 'learning rate (classic: initial; gradient: the optimizer’s)')
    .option('--lr-final <rate>', 'final learning rate (classic)')
    .addOption(new Option('--lr-decay <kind>', 'learning-rate decay (classic)').choices([...DECAY_KINDS]))
    .option('--iterations <n>', 'classic: sample presentations; gradient: minibatch steps')
    .option('--epochs <n>', 'passes over the data')
    .option('--batch-size <n>', 'rows per minibatch (gradient)')
    .addOption(new Option('--optimizer <name>', 'gradient SOM optimizer').choices(['adam', 'adamw', 'sgd', 'rmsprop']))
    .addOption(new Option('--init <kind>', 'prototype initialisation').choices([...INIT_KINDS]))
    .addOption(new Option('--split <split>', 'train (and score on test) or all').choices(['train', 'all']))
    .option('--seed <n>', 'random seed')
    .addOption(new Option('--backend <name>').choices(['auto', 'js', 'native']))
    .option('--threads <n>', 'BLAS threads')
    .addOption(new Option('--matmul-precision <p>', MATMUL_PRECISION_HELP).choices([...MATMUL_PRECISIONS]))
    .option('--limit <n>', 'use only the first n training rows')
    .option('--test-limit <n>', 'use only the first n test rows')
    .option('--checkpoint-every <n>', 'iterations (batch: epochs) between checkpoints')
    .option('--log-every <n>', 'iterations between events.jsonl step records')
    .option('--eval-every <n>', 'iterations between QE/TE measurements on a sample')
    .option('--eval-sample <n>', 'rows in that sample (default 2000)')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ out: string }>();
      const s = (k: string): string | undefined => o[k] as string | undefined;
      hooks.done(
        await trainSom(
          {
            config: s('config'),
            resume: s('resume'),
            runId: s('runId'),
            out: g.out,
            values: {
              dataset: s('dataset'),
              data_dir: s('dataDir'),
              encoder: s('encoder'),
              algorithm: s('algorithm'),
              map: s('map'),
              topology: s('topology'),
              toroidal: o.toroidal === true ? true : undefined,
              distance: s('distance'),
              neighborhood: s('neighborhood'),
              decay: s('decay'),
              t_max: num(s('tMax')),
              t_min: num(s('tMin')),
              lr: num(s('lr')),
              lr_final: num(s('lrFinal')),
              lr_decay: s('lrDecay'),
              iterations: num(s('iterations')),
              epochs: num(s('epochs')),
              batch_size: num(s('batchSize')),
              optimizer: s('optimizer'),
              init: s('init'),
              split: s('split'),
              seed: num(s('seed')),
              backend: s('backend'),
              threads: num(s('threads')),
              matmul_precision: s('matmulPrecision'),
              limit: num(s('limit')),
              test_limit: num(s('testLimit')),
              checkpoint_every: num(s('checkpointEvery')),
              log_every: num(s('logEvery')),
              eval_every: num(s('evalEvery')),
              eval_sample: num(s('evalSample')),
            },
          },
          hooks.output(cmd),
        ),
      );
    });
}
