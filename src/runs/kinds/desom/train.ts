/**
 * Training a desom run: the Deep Embedded SOM of seed 000 (an autoencoder and a SOM over its
 * latent space trained jointly on Lr + γ·Lsom) on a registered dataset, in the paper's
 * configuration by default (MNIST train + test, 70,000 rows, 784-500-500-2000-10, 8×8 map,
 * γ 0.001, T 8 → 0.1, 10,000 Adam steps of 256). Every eval_every steps purity, NMI, QE and TE on
 * a seeded sample go to events.jsonl, after the map's live snapshot (live.ts) for the explorer;
 * checkpoints let a resumed run continue exactly. On a class
 * subset (`classes`, `per_class`) it trains and scores on those classes' rows only, labels
 * renumbered 0..K−1. The final evaluation and the files of a completed run are finish.ts's.
 *
 * With gamma 0 it trains the autoencoder alone (the prototypes get no gradient): the AE of the
 * AE+SOM baselines, which `train som --encoder RUN` then maps.
 */
import { sampleRows, takeLabels } from '../../../data/transforms.js';
import { loadDesomCheckpoint, saveDesomCheckpoint } from '../../../desom/file.js';
import { DESOM, desomArchitecture, desomOptimizer } from '../../../desom/model.js';
import { desomSteps, type DesomTrainOptions } from '../../../desom/steps.js';
import { Rng } from '../../../random.js';
import { somSampleMetrics } from '../../../som/metrics.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { fitSplits, loadClusterData } from '../../encoded.js';
import type { Training } from '../../kind.js';
import { checkNeeds, desomNeeds } from '../../limits.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { imageOf } from '../ae/train.js';
import { convAeNeeds } from '../ae/needs.js';
import { parseMapSize } from '../som/config.js';
import { keepClasses, keptLabel, keptNote } from '../common.js';
import type { DesomRunConfig } from './config.js';
import { finishDesom } from './finish.js';
import { writeLiveSnapshot } from './live.js';
import { fmt } from '../../result-text.js';

/**
 * Purity, NMI (both averages), QE and TE of the model on rows x (the periodic evaluation), in the
 * latent space, and the rows' codes (for the live snapshot's BMUs).
 */
function sampleMetrics(model: DESOM, x: Tensor, labels: Int32Array): { metrics: Record<string, number>; codes: Tensor } {
  const codes = model.encode(x);
  return { metrics: somSampleMetrics(model.som, codes, labels), codes };
}

/** The labels of the rows sampleRows picked (it sorts the drawn indices; the same draws are repeated here). */
function sampleLabels(labels: Int32Array, n: number, size: number, rng: Rng): Int32Array {
  if (size >= n) return labels;
  return takeLabels(labels, rng.sample(n, size).sort());
}

export async function* trainDesom(session: TrainSession<DesomRunConfig>): Training {
  const { run, cfg, info } = session;
  const [rows, cols] = parseMapSize(cfg.map)!;
  const { fit, heldOut } = fitSplits('train desom', cfg.dataset, cfg.split);

  const t0 = performance.now();
  // One fork per use, so that changing one (e.g. the evaluation sample) leaves the others alone.
  const root = new Rng(cfg.seed);
  const modelRng = root.fork();
  const trainRng = root.fork();
  const evalRng = root.fork();
  const fitRows = await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: fit, limit: cfg.limit });
  const testRows = heldOut === null ? null : await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: heldOut, limit: cfg.test_limit });
  // A class subset: its rng forked after the others, so a run without one draws exactly what it did before subsets existed.
  const kept = cfg.classes === undefined ? null : keepClasses(fitRows, cfg.classes, cfg.per_class, root.fork());
  // The codes' UMAP draws from a fork taken after every other one: adding it changed no other draw.
  const projectionRng = root.fork();
  const train = kept ?? fitRows;
  const test = cfg.classes === undefined || testRows === null ? testRows : keepClasses(testRows, cfg.classes);
  const loadS = (performance.now() - t0) / 1000;
  const x = train.x;
  const n = x.rows;
  const K = rows * cols;
  const loaded = fitRows.x.size + (testRows?.x.size ?? 0) + (kept === null ? 0 : x.size + (test?.x.size ?? 0));
  const conv = cfg.encoder === 'conv';
  const image = conv ? imageOf('train desom --encoder conv', cfg.dataset, train.imageShape, x.cols) : undefined;
  if (!conv) {
    checkNeeds(desomNeeds({ features: x.cols, hidden: cfg.hidden, latent: cfg.latent, map: cfg.map, cells: K, batch: cfg.batch_size, rows: n }), {
      base: loaded * 4,
    });
  }
  if (n < K && cfg.prototype_init !== 'glorot_uniform') {
    throw new Error(
      `train desom: prototype_init '${cfg.prototype_init}' needs at least as many rows as cells (${K}), got ${n}; use a smaller map or --prototype-init glorot_uniform`,
    );
  }

  const model = DESOM.create(x, {
    rng: modelRng,
    rows,
    cols,
    topology: cfg.topology,
    toroidal: cfg.toroidal,
    distance: cfg.distance,
    hidden: conv ? cfg.dense : cfg.hidden,
    latent: cfg.latent,
    activation: cfg.activation,
    prototypeInit: cfg.prototype_init,
    somInitEpochs: cfg.som_init_epochs,
    ...(conv ? { encoder: 'conv' as const, image, filters: cfg.filters, kernel: cfg.kernel } : {}),
  });
  if (conv) {
    // A conv autoencoder is small to build: its own layers size the needs (with the map's, as the MLP's).
    const arch = desomArchitecture(model.config);
    const map = desomNeeds({ features: x.cols, hidden: [], latent: cfg.latent, map: cfg.map, cells: K, batch: cfg.batch_size, rows: n }).filter(
      (d) => d.flag === '--map',
    );
    checkNeeds(
      [
        ...convAeNeeds(model.ae, {
          flag: '--filters',
          value: cfg.filters,
          architecture: arch,
          batch: cfg.batch_size,
          rows: n,
          perRow: 3 * K * 4,
          what: ` and ${K} cells`,
        }),
        ...map,
      ],
      { base: loaded * 4 },
    );
  }
  const optimizer = desomOptimizer(model, { lr: cfg.lr, eps: cfg.eps });
  let start = 0;
  let assignments: Int32Array | undefined = cfg.update_interval > 1 ? new Int32Array(n) : undefined;
  if (session.canResume) {
    const ck = loadDesomCheckpoint(run.file('checkpoint'), model, optimizer);
    start = ck.iteration;
    trainRng.setState(ck.rngStart);
    if (ck.assignments !== undefined) assignments = ck.assignments;
  }
  session.step = start;
  const trainStart = trainRng.state();
  const evalState = evalRng.state();
  const evalX = sampleRows(x, cfg.eval_sample, evalRng);
  evalRng.setState(evalState);
  const evalLabels = sampleLabels(train.labels, n, cfg.eval_sample, evalRng);

  // [784, 500, 500, 2000, 10] (mlp, as before), or a conv encoder's line
  const architecture = conv ? desomArchitecture(model.config) : [x.cols, ...cfg.hidden, cfg.latent];
  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: train.source,
      split: fit,
      rows: n,
      test_rows: test?.x.rows ?? 0,
      features: x.cols,
      classes: train.classNames.length,
      class_names: train.classNames,
      image_shape: train.imageShape,
      ...keptNote(kept),
    },
    model: { architecture, parameters: model.parameters().reduce((s, p) => s + p.value.size, 0) },
    map: { rows, cols, cells: K, dim: cfg.latent, topology: cfg.topology, toroidal: cfg.toroidal, distance: cfg.distance },
    total_iterations: cfg.iterations,
  });
  session.begin(start, cfg.iterations, { load_s: loadS });

  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${keptLabel(cfg.dataset, kept)}: ${n} ${fit} rows${test ? ` / ${test.x.rows} test rows` : ''} (${train.source}); DESOM ${desomArchitecture(model.config)} ${cfg.activation}, ${rows}×${cols} ${cfg.topology} map, γ ${cfg.gamma}, T ${cfg.t_max} → ${cfg.t_min}, ${cfg.iterations} iterations of ${cfg.batch_size}; backend ${describeBackend(info)}`,
  };
  if (start > 0) yield { type: 'notice', message: `resuming at iteration ${start} of ${cfg.iterations}` };

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

  yield {
    type: 'progress',
    total: cfg.iterations,
    format: 'train desom |{bar}| {percentage}% {value}/{total} it | Lr {lr} | Lsom {lsom} | T {T} | purity {purity} | ETA {eta_formatted}',
  };
  yield { type: 'tick', value: start, payload: { lr: '—', lsom: '—', T: fmt(cfg.t_max), purity: '—' } };
  const tTrain = performance.now();
  let last = start;
  let lastCheckpoint = start;
  let lastPurity: number | null = null;
  let evalS = 0;
  let snapshotS = 0;
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
    const { metrics: m, codes } = sampleMetrics(model, evalX, evalLabels);
    lastPurity = m.purity;
    // The map as it stands, for the explorer; written before the record that announces it.
    const ts = performance.now();
    writeLiveSnapshot(run, model, model.som.bmus(codes), evalLabels, train.classNames.length);
    snapshotS += (performance.now() - ts) / 1000;
    run.event({ type: 'eval', iteration: it, rows: evalX.rows, ...m, snapshot: true });
    evalS += (performance.now() - te) / 1000;
  };
  const crossed = (it: number, every: number): boolean => Math.floor(it / every) > Math.floor(last / every);
  if (start === 0 && cfg.pretrain_epochs === 0) evaluate(0);
  for (const e of desomSteps(model, x, opts)) {
    if (e.type === 'pretrain_epoch') {
      session.checkFinite('pretraining loss', e.loss, 0);
      run.event({ type: 'pretrain_epoch', epoch: e.epoch, epochs: e.epochs, loss: e.loss, ms: e.ms });
      yield { type: 'notice', message: `pretraining epoch ${e.epoch + 1}/${e.epochs}: MSE ${fmt(e.loss)}` };
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
    last = session.step = it;
    yield { type: 'tick', value: it, payload: { lr: fmt(e.lr), lsom: fmt(e.lsom), T: fmt(e.T), purity: fmt(lastPurity) } };
    if (it - lastCheckpoint >= cfg.checkpoint_every && it < cfg.iterations) checkpoint(it);
    if ((await session.poll()) !== null) break;
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) {
    // A step event comes after the step's update: the model is exactly at iteration `last`.
    if (last > lastCheckpoint) checkpoint(last);
    return yield* session.interrupted(last, { train_s: (performance.now() - tTrain) / 1000 - evalS, snapshot_s: snapshotS });
  }
  // Training time without the periodic evaluations (comparable with methods that have none).
  const trainS = (performance.now() - tTrain) / 1000 - evalS;
  return yield* finishDesom(session, {
    model,
    train,
    test,
    kept,
    evalRows: evalX.rows,
    projectionRng,
    t0,
    timings: { load_s: loadS, train_s: trainS, periodic_eval_s: evalS, snapshot_s: snapshotS },
  });
}
