/**
 * `latentlab train desom`: the Deep Embedded SOM of seed 000 (an autoencoder and a SOM over its
 * latent space trained jointly on Lr + γ·Lsom) on a registered dataset, in the paper's
 * configuration by default (MNIST train + test, 70,000 rows, 784-500-500-2000-10, 8×8 map,
 * γ 0.001, T 8 → 0.1, 10,000 Adam steps of 256), into a run directory: model/ (saveDesom),
 * arrays/ (prototypes, decoded prototypes, codes, BMUs, labels), figures/ (the decoded prototype
 * map, class map, U-matrix, hits, per-cell samples, reconstructions, loss / T / metric curves),
 * report.html, and the summary metrics qe, te, purity, nmi, nmi_geometric, ari, accuracy,
 * prototype_kmeans_accuracy, mse. Every eval_every steps purity, NMI, QE and TE on a seeded
 * sample go to events.jsonl. `--resume RUN` continues from the last checkpoint exactly.
 *
 * With `--gamma 0` it trains the autoencoder alone (the prototypes get no gradient): the AE of the
 * AE+SOM baselines, which `train som --encoder RUN` then maps.
 */
import { reconstructionMse } from '../../ae/train.js';
import { writeNpy } from '../../io/npy.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { Rng } from '../../random.js';
import { hasCheckpoint } from '../../runs/checkpoint.js';
import { loadDesomCheckpoint, saveDesom, saveDesomCheckpoint } from '../../desom/file.js';
import { DESOM, desomOptimizer } from '../../desom/model.js';
import { desomSteps, type DesomTrainOptions } from '../../desom/steps.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fitSplits, loadClusterData } from '../../runs/encoded.js';
import { checkNeeds, desomNeeds } from '../../runs/limits.js';
import type { Output } from '../output.js';
import { describeCollapse } from '../../metrics/collapse.js';
import { describeBackend, TrainSession, type RunProgress, type TrainFlags } from '../../runs/session.js';
import { desomConfigSchema, type DesomRunConfig } from '../../runs/kinds/desom/config.js';
import { parseMapSize } from '../../runs/kinds/som/config.js';
import { somMetrics, somSampleMetrics } from '../../som/metrics.js';
import { sampleRows } from './train-som.js';

export type TrainDesomFlags = TrainFlags<DesomRunConfig>;

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(digits)).toString();
}

/** Purity, NMI (both averages), QE and TE of the model on rows x (the periodic evaluation), in the latent space. */
function sampleMetrics(model: DESOM, x: Tensor, labels: Int32Array): Record<string, number> {
  return somSampleMetrics(model.som, model.encode(x), labels);
}

/** The labels of the rows sampleRows picked (it sorts the drawn indices; the same draws are repeated here). */
function sampleLabels(labels: Int32Array, n: number, size: number, rng: Rng): Int32Array {
  if (size >= n) return labels;
  return Int32Array.from(rng.sample(n, size).sort(), (i) => labels[i]);
}

export async function trainDesom(flags: TrainDesomFlags, out: Output): Promise<number> {
  const session = TrainSession.open('desom', desomConfigSchema, flags, 'train desom');
  return session.execute((progress) => trainDesomSession(session, out, progress));
}

async function trainDesomSession(session: TrainSession<DesomRunConfig>, out: Output, progress: RunProgress): Promise<number> {
  const { run, cfg, info } = session;
  const [rows, cols] = parseMapSize(cfg.map)!;
  const { fit, heldOut } = fitSplits('train desom', cfg.dataset, cfg.split);

  const t0 = performance.now();
  const train = await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: fit, limit: cfg.limit });
  const test = heldOut === null ? null : await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: heldOut, limit: cfg.test_limit });
  const loadS = (performance.now() - t0) / 1000;
  const x = train.x;
  const n = x.rows;
  const K = rows * cols;
  checkNeeds(desomNeeds({ features: x.cols, hidden: cfg.hidden, latent: cfg.latent, map: cfg.map, cells: K, batch: cfg.batch_size, rows: n }), {
    base: (x.size + (test?.x.size ?? 0)) * 4,
  });
  if (n < K && cfg.prototype_init !== 'glorot_uniform') {
    throw new Error(
      `train desom: prototype_init '${cfg.prototype_init}' needs at least as many rows as cells (${K}), got ${n}; use a smaller map or --prototype-init glorot_uniform`,
    );
  }

  // One fork per use, so that changing one (e.g. the evaluation sample) leaves the others alone.
  const root = new Rng(cfg.seed);
  const modelRng = root.fork();
  const trainRng = root.fork();
  const evalRng = root.fork();
  const model = DESOM.create(x, {
    rng: modelRng,
    rows,
    cols,
    topology: cfg.topology,
    toroidal: cfg.toroidal,
    distance: cfg.distance,
    hidden: cfg.hidden,
    latent: cfg.latent,
    activation: cfg.activation,
    prototypeInit: cfg.prototype_init,
    somInitEpochs: cfg.som_init_epochs,
  });
  const optimizer = desomOptimizer(model, { lr: cfg.lr, eps: cfg.eps });
  let start = 0;
  let assignments: Int32Array | undefined = cfg.update_interval > 1 ? new Int32Array(n) : undefined;
  if (session.resuming && hasCheckpoint(run.file('checkpoint'))) {
    const ck = loadDesomCheckpoint(run.file('checkpoint'), model, optimizer);
    start = ck.iteration;
    trainRng.setState(ck.rngStart);
    if (ck.assignments !== undefined) assignments = ck.assignments;
  }
  progress.step = start;
  const trainStart = trainRng.state();
  const evalState = evalRng.state();
  const evalX = sampleRows(x, cfg.eval_sample, evalRng);
  evalRng.setState(evalState);
  const evalLabels = sampleLabels(train.labels, n, cfg.eval_sample, evalRng);

  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: train.source,
      split: fit,
      rows: n,
      test_rows: test?.x.rows ?? 0,
      features: x.cols,
      classes: train.classNames.length,
      image_shape: train.imageShape,
    },
    model: { architecture: [x.cols, ...cfg.hidden, cfg.latent], parameters: model.parameters().reduce((s, p) => s + p.value.size, 0) },
    map: { rows, cols, cells: K, dim: cfg.latent, topology: cfg.topology, toroidal: cfg.toroidal, distance: cfg.distance },
    total_iterations: cfg.iterations,
  });
  session.begin(start, cfg.iterations, { load_s: loadS });

  out.notice(`run ${run.id} → ${run.path}`);
  out.notice(
    `${cfg.dataset}: ${n} ${fit} rows${test ? ` / ${test.x.rows} test rows` : ''} (${train.source}); DESOM ${[x.cols, ...cfg.hidden, cfg.latent].join('-')} ${cfg.activation}, ${rows}×${cols} ${cfg.topology} map, γ ${cfg.gamma}, T ${cfg.t_max} → ${cfg.t_min}, ${cfg.iterations} iterations of ${cfg.batch_size}; backend ${describeBackend(info)}`,
  );
  if (start > 0) out.notice(`resuming at iteration ${start} of ${cfg.iterations}`);

  const opts: DesomTrainOptions = {
    rng: trainRng,
    optimizer,
    iterations: cfg.iterations,
    batchSize: cfg.batch_size,
    order: cfg.order,
    gamma: cfg.gamma,
    updateInterval: cfg.update_interval,
    assignments,
    pretrainEpochs: cfg.pretrain_epochs,
    startIteration: start,
    neighborhood: cfg.neighborhood,
    Tmax: cfg.t_max,
    Tmin: cfg.t_min,
    decay: cfg.decay,
    reachEnd: cfg.reach_end,
  };

  const bar = out.progress(
    cfg.iterations,
    'train desom |{bar}| {percentage}% {value}/{total} it | Lr {lr} | Lsom {lsom} | T {T} | purity {purity} | ETA {eta_formatted}',
  );
  bar.update(start, { lr: '—', lsom: '—', T: fmt(cfg.t_max), purity: '—' });
  const tTrain = performance.now();
  let last = start;
  let lastCheckpoint = start;
  let lastPurity: number | null = null;
  let evalS = 0;
  const checkpoint = (it: number): void => {
    session.checkFiniteModel(model, it);
    saveDesomCheckpoint(run.file('checkpoint'), model, optimizer, {
      iteration: it,
      rngStart: trainStart,
      assignments: cfg.update_interval > 1 ? assignments : undefined,
    });
    lastCheckpoint = it;
    session.progress(it);
  };
  const evaluate = (it: number): void => {
    const te = performance.now();
    const m = sampleMetrics(model, evalX, evalLabels);
    lastPurity = m.purity;
    run.event({ type: 'eval', iteration: it, rows: evalX.rows, ...m });
    evalS += (performance.now() - te) / 1000;
  };
  const crossed = (it: number, every: number): boolean => Math.floor(it / every) > Math.floor(last / every);
  if (start === 0 && cfg.pretrain_epochs === 0) evaluate(0);
  try {
    for (const e of desomSteps(model, x, opts)) {
      if (e.type === 'pretrain_epoch') {
        session.checkFinite('pretraining loss', e.loss, 0);
        run.event({ type: 'pretrain_epoch', epoch: e.epoch, epochs: e.epochs, loss: e.loss, ms: e.ms });
        out.notice(`pretraining epoch ${e.epoch + 1}/${e.epochs}: MSE ${fmt(e.loss)}`);
        if (e.epoch + 1 === e.epochs) evaluate(0);
      }
      if (e.type !== 'step') {
        if ((await session.poll()) !== null) break;
        continue;
      }
      const it = e.iteration;
      session.checkFinite('loss', e.loss, it);
      if (crossed(it, cfg.log_every) || it === cfg.iterations)
        run.event({ type: 'step', iteration: it, epoch: e.epoch, T: e.T, loss: e.loss, Lr: e.lr, Lsom: e.lsom, learning_rate: e.learningRate, ms: e.ms });
      if (crossed(it, cfg.eval_every) || it === cfg.iterations) evaluate(it);
      last = it;
      progress.step = it;
      bar.update(it, { lr: fmt(e.lr), lsom: fmt(e.lsom), T: fmt(e.T), purity: fmt(lastPurity) });
      if (it - lastCheckpoint >= cfg.checkpoint_every && it < cfg.iterations) checkpoint(it);
      if ((await session.poll()) !== null) break;
    }
  } finally {
    bar.stop();
  }
  if (session.stopRequested !== null) {
    // A step event comes after the step's update: the model is exactly at iteration `last`.
    if (last > lastCheckpoint) checkpoint(last);
    return session.interrupted(last, { train_s: (performance.now() - tTrain) / 1000 - evalS }, out);
  }
  // Training time without the periodic evaluations (comparable with methods that have none).
  const trainS = (performance.now() - tTrain) / 1000 - evalS;

  const tEval = performance.now();
  session.checkFiniteModel(model, cfg.iterations);
  const nClasses = train.classNames.length;
  const codes = model.encode(x);
  const fitted = somMetrics(model.som, codes, train.labels, nClasses, cfg.seed);
  const collapse = describeCollapse(fitted.bmus, K);
  if (collapse !== null) session.warn('degenerate', collapse, out);
  const metrics: Record<string, number> = { ...fitted.metrics, mse: reconstructionMse(model.ae, x) };
  let testCodes: Tensor | null = null;
  let testBmus: Int32Array | null = null;
  if (test !== null) {
    testCodes = model.encode(test.x);
    const held = somMetrics(model.som, testCodes, test.labels, nClasses, cfg.seed, 'test_');
    testBmus = held.bmus;
    Object.assign(metrics, held.metrics, { test_mse: reconstructionMse(model.ae, test.x) });
  }
  const finalEvalS = (performance.now() - tEval) / 1000;

  const tFig = performance.now();
  saveDesom(run.file('model'), model, { run_id: run.id, dataset: cfg.dataset });
  const decoded = model.decodePrototypes();
  writeNpy(run.file('arrays', 'prototypes.npy'), { dtype: 'f4', shape: [K, cfg.latent], data: model.prototypes.data });
  writeNpy(run.file('arrays', 'decoded_prototypes.npy'), { dtype: 'f4', shape: [K, decoded.cols], data: decoded.data });
  writeNpy(run.file('arrays', 'codes.npy'), { dtype: 'f4', shape: [n, cfg.latent], data: codes.data });
  writeNpy(run.file('arrays', 'bmus.npy'), { dtype: 'i4', shape: [n], data: fitted.bmus });
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: train.labels });
  if (test !== null && testCodes !== null && testBmus !== null) {
    writeNpy(run.file('arrays', 'test_codes.npy'), { dtype: 'f4', shape: [test.x.rows, cfg.latent], data: testCodes.data });
    writeNpy(run.file('arrays', 'test_bmus.npy'), { dtype: 'i4', shape: [test.x.rows], data: testBmus });
    writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.x.rows], data: test.labels });
  }
  // Loaded here: the charts pull in vega, which the training loop can start without.
  const { desomFigures } = await import('../../runs/kinds/desom/figures.js');
  const { writeFigures, writeRunReport } = await import('../../runs/kinds/som/figures.js');
  const figures = await desomFigures({
    model,
    x,
    bmus: fitted.bmus,
    labels: train.labels,
    classNames: train.classNames,
    imageShape: train.imageShape,
    events: run.events(),
    dataName: `${cfg.dataset} ${fit}`,
    evalRows: evalX.rows,
    rng: new Rng(cfg.seed),
    tMax: cfg.t_max,
  });
  writeFigures(run, figures);
  const timings = {
    load_s: loadS,
    train_s: trainS,
    periodic_eval_s: evalS,
    eval_s: finalEvalS,
    figures_s: (performance.now() - tFig) / 1000,
    total_s: (performance.now() - t0) / 1000,
  };
  writeRunReport(run, {
    title: `DESOM ${rows}×${cols} on ${cfg.dataset}${cfg.gamma === 0 ? ' (γ = 0: autoencoder only)' : ''}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: session.summary.warnings?.map((w) => w.message),
    config: cfg,
    metrics,
    timings,
    text: [
      `An autoencoder ${[x.cols, ...cfg.hidden, cfg.latent].join('-')} and a ${rows}×${cols} ` +
        `SOM in its ${cfg.latent}-dimensional latent space, trained jointly on Lr + γ·Lsom (γ = ${cfg.gamma}) for ${cfg.iterations} steps on ${fit === 'all' ? `all ${n} rows (train + test)` : `the ${n} ${fit} rows`}; metrics treat each cell as a cluster of the rows whose codes it wins${test ? ' (test_… on the test split)' : ''}.`,
      'qe: mean Euclidean distance from a code to its best-matching prototype. te: share of rows whose two best-matching cells are not edge neighbours. ' +
        'nmi: arithmetic normalisation (scikit-learn’s default today); nmi_geometric: the normalisation of the DESOM paper’s numbers. ' +
        'accuracy: Hungarian-matched cells (one per class). prototype_kmeans_accuracy: k-means with one cluster per class on the prototypes, ' +
        'each row labelled through its cell (seed 000). mse: reconstruction error (mean over pixels).',
    ].join('\n\n'),
    figures,
  });
  session.completed(cfg.iterations, metrics, timings);
  run.event({ type: 'final', iteration: cfg.iterations, ...metrics });
  writeJsonAtomic(run.file('arrays', 'index.json'), {
    codes: 'codes.npy',
    bmus: 'bmus.npy',
    labels: 'labels.npy',
    prototypes: 'prototypes.npy',
    decoded_prototypes: 'decoded_prototypes.npy',
  });

  out.line('');
  out.line(`run ${run.id} completed (DESOM ${rows}×${cols}, ${cfg.iterations} iterations)`);
  const show = (k: string): string => `${fmt(metrics[k])}${metrics[`test_${k}`] === undefined ? '' : `   (test ${fmt(metrics[`test_${k}`])})`}`;
  for (const k of ['purity', 'nmi', 'nmi_geometric', 'ari', 'accuracy', 'prototype_kmeans_accuracy', 'qe', 'te', 'mse'])
    if (metrics[k] !== undefined) out.line(`  ${k.padEnd(26)} ${show(k)}`);
  out.line(`  time                       ${trainS.toFixed(1)} s training, ${timings.total_s.toFixed(1)} s in all`);
  out.line(`  report                     ${run.file('report.html')}`);
  out.result({ run_id: run.id, path: run.path, status: 'completed', metrics, timings });
  return 0;
}
