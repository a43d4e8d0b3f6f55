/**
 * Training a som run: a self-organizing map (classic online, batch or gradient; seed 000's
 * minisom / kerasom baselines) on a registered dataset, raw or through a saved encoder, into a run
 * directory: model/ (saveSom), arrays/ (prototypes, BMUs, labels), figures/ (prototype map,
 * U-matrix, hits, class map, QE curve), report.html, and summary metrics qe, te, purity, nmi, ari,
 * accuracy, prototype_kmeans_accuracy (test_… on the test split). On a class subset (`classes`,
 * `per_class`) it maps and scores those classes' rows only, labels renumbered 0..K−1, and
 * arrays/train_indices.npy holds the rows drawn. A resumed run continues from the last checkpoint
 * (prototypes, optimizer state, RNG, iteration) and ends with exactly the prototypes of the run
 * left alone.
 */
import { fmt, metricLines } from '../../result-text.js';
import { sampleRows } from '../../../data/transforms.js';
import { writeJsonAtomic } from '../../../io/atomic.js';
import { writeNpy } from '../../../io/npy.js';
import { describeCollapse } from '../../../metrics/collapse.js';
import type { Optimizer } from '../../../optim/optimizer.js';
import { buildOptimizer } from '../../../optim/registry.js';
import { Rng } from '../../../random.js';
import { quantizationError, topographicError } from '../../../som/analysis.js';
import { somSteps, type SomTrainOptions } from '../../../som/fit.js';
import { somMetrics } from '../../../som/metrics.js';
import { saveSom } from '../../../som/som-file.js';
import { SOM } from '../../../som/som.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { clusterDatasetNote, encoderNote, fitSplits, loadClusterData, openEncoderRun, type EncoderNote, type EncoderRun } from '../../encoded.js';
import type { Training } from '../../kind.js';
import { checkNeeds, somNeeds } from '../../limits.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { keepClasses, keptLabel, keptNote, writeTrainIndices } from '../common.js';
import { loadSomCheckpoint, saveSomCheckpoint } from './checkpoint.js';
import { parseMapSize, somDefaults, type SomConfig } from './config.js';

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

export async function* trainSom(session: TrainSession<SomConfig>): Training {
  const { run, cfg, info } = session;
  const [rows, cols] = parseMapSize(cfg.map)!;
  // A resumed run finds its encoder where config.json recorded it (absolute path).
  const savedEncoder = session.resuming ? (run.readConfig<{ encoder?: EncoderNote | null }>().encoder ?? null) : null;
  let encoder: EncoderRun | undefined;
  if (savedEncoder !== null) encoder = openEncoderRun(savedEncoder.path, '.', 'encoder');
  else if (cfg.encoder !== undefined) encoder = openEncoderRun(cfg.encoder, session.outRoot);
  const { fit, heldOut } = fitSplits('train som', cfg.dataset, cfg.split);

  const t0 = performance.now();
  const root = new Rng(cfg.seed);
  const initRng = root.fork();
  const loopRng = root.fork();
  const evalRng = root.fork();
  const fitRows = await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: fit, limit: cfg.limit, encoder });
  const testRows =
    heldOut === null ? null : await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: heldOut, limit: cfg.test_limit, encoder });
  // A class subset: its rng forked after the others, so a run without one draws exactly what it did before subsets existed.
  const kept = cfg.classes === undefined ? null : keepClasses(fitRows, cfg.classes, cfg.per_class, root.fork());
  const train = kept ?? fitRows;
  const test = cfg.classes === undefined || testRows === null ? testRows : keepClasses(testRows, cfg.classes);
  const loadS = (performance.now() - t0) / 1000;
  const n = train.x.rows;
  const total = resolveDefaults(cfg, rows, cols, n);
  const loaded = fitRows.x.size + (testRows?.x.size ?? 0) + (kept === null ? 0 : train.x.size + (test?.x.size ?? 0));
  checkNeeds(somNeeds({ map: cfg.map, cells: rows * cols, dim: train.x.cols, rows: n, algorithm: cfg.algorithm, batch: cfg.batch_size }), {
    base: loaded * 4,
  });

  const optimizerFor = (s: SOM): Optimizer | null =>
    cfg.algorithm === 'gradient'
      ? buildOptimizer(cfg.optimizer ?? 'adam', [s.parameter], { lr: cfg.lr!, eps: 1e-7 /* Keras's Adam, as the DESOM reference trains */ })
      : null;
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
  session.step = start;
  const loopStart = loopRng.state();
  const evalX = sampleRows(train.x, cfg.eval_sample, evalRng);

  session.writeConfig({
    dataset: { ...clusterDatasetNote(cfg.dataset, fit, train, test), ...keptNote(kept) },
    encoder: encoder === undefined ? null : encoderNote(encoder),
    map: { rows, cols, cells: rows * cols, dim: som.dim, topology: cfg.topology, toroidal: cfg.toroidal, distance: cfg.distance },
    total_iterations: total,
  });
  session.begin(start, total, { load_s: loadS });

  const where = encoder === undefined ? `${train.x.cols} features` : `encoded by ${encoder.runId} to ${encoder.latent} dimensions`;
  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${keptLabel(cfg.dataset, kept)}: ${n} ${fit} rows${test ? ` / ${test.x.rows} test rows` : ''} (${train.source}), ${where}; ${rows}×${cols} ${cfg.topology}${cfg.toroidal ? ' toroidal' : ''} map, ${cfg.algorithm} algorithm, ${total} ${cfg.algorithm === 'batch' ? 'epochs' : 'iterations'}; backend ${describeBackend(info)}`,
  };
  if (start > 0) yield { type: 'notice', message: `resuming at iteration ${start} of ${total}` };

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
  yield { type: 'progress', total, format: `train som |{bar}| {percentage}% {value}/{total} ${unit} | T {T} | lr {lr} | QE {qe} | ETA {eta_formatted}` };
  yield { type: 'tick', value: start, payload: { T: fmt(cfg.t_max), lr: fmt(cfg.lr), qe: '—' } };
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
  for (const e of somSteps(som, train.x, opts)) {
    const it = e.iteration;
    if (e.loss !== undefined) session.checkFinite('loss', e.loss, it);
    if (e.type === 'step' && crossed(it, cfg.log_every!)) run.event({ type: 'step', iteration: it, epoch: e.epoch, T: e.T, lr: e.lr, loss: e.loss, ms: e.ms });
    if (e.type === 'epoch') run.event({ type: 'epoch', iteration: it, epoch: e.epoch, T: e.T, lr: e.lr, loss: e.loss, ms: e.ms });
    if (crossed(it, cfg.eval_every!) || it === total) evaluate(it);
    last = session.step = it;
    yield { type: 'tick', value: it, payload: { T: fmt(e.T), lr: fmt(e.lr), qe: fmt(lastQe) } };
    if (it - lastCheckpoint >= cfg.checkpoint_every! && it < total) checkpoint(it);
    if ((await session.poll()) !== null) break;
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) {
    // Breaking out of the generator leaves som.prototypes as they were at the last event.
    checkpoint(last);
    return yield* session.interrupted(last, { train_s: (performance.now() - tTrain) / 1000 });
  }
  const trainS = (performance.now() - tTrain) / 1000;

  const tEval = performance.now();
  session.checkFiniteParameters([['prototypes', som.prototypes]], total);
  const nClasses = train.classNames.length;
  const fitted = somMetrics(som, train.x, train.labels, nClasses, cfg.seed);
  const collapse = describeCollapse(fitted.bmus, som.size);
  if (collapse !== null) yield session.warn('degenerate', collapse);
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
  writeTrainIndices(run, kept);
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
  const { somFigures } = await import('../../../viz/som-figures.js');
  const { evalCurve, writeFigures, writeRunReport } = await import('./figures.js');
  const dataName = `${keptLabel(cfg.dataset, kept)} ${fit}`;
  const figures = await somFigures({
    som,
    bmus: fitted.bmus,
    labels: train.labels,
    classNames: train.classNames,
    imageShape: train.imageShape,
    decode,
    curve: evalCurve(run.events()),
    curveRows: evalX.rows,
    dataName,
  });
  writeFigures(run, figures);
  const timings = { load_s: loadS, train_s: trainS, eval_s: evalS, figures_s: (performance.now() - tFig) / 1000, total_s: (performance.now() - t0) / 1000 };
  writeRunReport(run, {
    title: `SOM ${rows}×${cols} (${cfg.algorithm}) on ${keptLabel(cfg.dataset, kept)}${encoder ? ` through ${encoder.runId}` : ''}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: session.summary.warnings?.map((w) => w.message),
    config: cfg,
    metrics,
    timings,
    text: [
      `Maps of ${fit === 'all' ? `all ${n} rows (train + test)` : `the ${n} ${fit} rows`}${encoder ? ` encoded by ae run ${encoder.runId} (latent size ${encoder.latent})` : ''}. Metrics treat each cell as a cluster of the rows it wins (test_… on the test split).`,
      'qe: mean distance from a row to its best-matching prototype. te: share of rows whose two best-matching cells are not edge neighbours (4 per cell on a rectangular map). accuracy: unsupervised accuracy, the cells matched one-to-one to classes by the Hungarian algorithm (at most one cell per class counts). prototype_kmeans_accuracy: k-means with one cluster per class on the prototypes, each row labelled by its cell’s cluster (seed 000).',
    ].join('\n\n'),
    figures,
  });
  return session.finish({
    step: total,
    at: { iteration: total },
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (${cfg.algorithm}, ${rows}×${cols}, ${total} ${cfg.algorithm === 'batch' ? 'epochs' : 'iterations'})`,
      ...metricLines(metrics, ['qe', 'te', 'purity', 'nmi', 'ari', 'accuracy', 'prototype_kmeans_accuracy'], 26),
      `  time                       ${trainS.toFixed(1)} s training, ${timings.total_s.toFixed(1)} s in all`,
      `  report                     ${run.file('report.html')}`,
    ],
  });
}
