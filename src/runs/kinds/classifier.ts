/**
 * Training a classifier run — `train mlp` (fully connected) and `train cnn` (convolutional): the
 * network a kind builds, trained with softmax + cross-entropy, with checkpoints, events, arrays
 * (test predictions and labels), figures and report.html; with `folds`, a k-fold cross-validation
 * of the configuration first (classifier-cv.ts). A resumed run ends with exactly the weights of an
 * uninterrupted one (the checkpoint keeps the init rng's state: after building, it draws the
 * dropout masks).
 */
import { getDataset } from '../../data/registry.js';
import { loadDataset } from '../../data/fetch.js';
import { writeNpy } from '../../io/npy.js';
import { saveModel } from '../../io/model-file.js';
import { CrossEntropyLoss } from '../../nn/cross-entropy.js';
import type { Sequential } from '../../nn/sequential.js';
import { buildOptimizer, type OptimizerName } from '../../optim/registry.js';
import { Rng } from '../../random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { evaluate, trainSteps } from '../../train/loop.js';
import type { ReportSection } from '../../viz/report.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { CommonConfig, Training } from '../kind.js';
import { checkNeeds, type Need } from '../limits.js';
import type { RunDir } from '../run-dir.js';
import { describeBackend, type TrainSession } from '../session.js';
import { checkBatchNormBatches, crossValidateClassifier, cvMetrics, cvRecord, percentPm, planCv, type ClassifierCv } from './classifier-cv.js';
import { keepClasses, keptLabel, keptNote, writeTrainIndices } from './common.js';

/** The config keys every classifier kind has. */
export interface ClassifierConfig extends CommonConfig {
  dataset: string;
  data_dir?: string;
  activation: string;
  optimizer: OptimizerName;
  lr: number;
  momentum: number;
  batch_size: number;
  epochs: number;
  /** k-fold cross-validation on the training split before the run's own training (classifier-cv.ts); absent: none. */
  folds?: number;
  seed: number;
  limit?: number;
  classes?: number[];
  per_class?: number;
  checkpoint_every: number;
  log_every: number;
}

/** What a kind's network is for the data at hand. */
export interface ClassifierModel {
  /** Builds the network: called only once `needs` passed, so an impossible size fails with a usage error, not an allocation error. */
  model: () => Sequential;
  /** How the notice and the report name it: 784-100-10, or a CNN's layers. */
  architecture: string;
  /** Memory it needs (checked before training; src/runs/limits.ts). */
  needs: Need[];
}

export interface ClassifierSpec<C extends ClassifierConfig> {
  kind: string;
  build(cfg: C, data: { features: number; imageShape: readonly [number, number] | null; classes: number; rows: number }, rng: Rng): ClassifierModel;
  /** Report sections after the common figures (a CNN's filters and feature maps), their files written under figures/. */
  figures?(run: RunDir, model: Sequential, testX: Tensor): Promise<ReportSection[]>;
}

export async function* trainClassifier<C extends ClassifierConfig>(session: TrainSession<C>, spec: ClassifierSpec<C>): Training {
  const { run, cfg, info } = session;

  const t0 = performance.now();
  const root = new Rng(cfg.seed);
  const initRng = root.fork();
  const loopRng = root.fork();
  const trainSplit = await loadDataset(cfg.dataset, { split: 'train', dataDir: cfg.data_dir, limit: cfg.limit });
  const testSplit = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir });
  // A class subset (the Cluster Paths project's): its rng forked after the others, so a
  // run without one draws exactly what it did before subsets existed.
  const subset =
    cfg.classes === undefined ? null : { train: keepClasses(trainSplit, cfg.classes, cfg.per_class, root.fork()), test: keepClasses(testSplit, cfg.classes) };
  const train = subset?.train ?? trainSplit;
  const test = subset?.test ?? testSplit;
  const classNames = train.classNames;
  const loadS = (performance.now() - t0) / 1000;
  const classes = classNames.length;
  const loaded = trainSplit.x.size + testSplit.x.size + (subset === null ? 0 : train.x.size + test.x.size);
  const dataInfo = (rows: number) => ({ features: train.x.cols, imageShape: getDataset(cfg.dataset).imageShape, classes, rows });
  const built = spec.build(cfg, dataInfo(train.x.rows), initRng);
  // Cross-validation copies the training rows once more (a fold's training and validation rows).
  checkNeeds(built.needs, { base: (loaded + (cfg.folds === undefined ? 0 : train.x.size)) * 4 });
  const model = built.model();
  checkBatchNormBatches(model, train.x.rows, cfg.batch_size, 'the training rows');
  // Its rng forked after every other, so that a run with --folds trains and saves exactly the model of the run without.
  const cvPlan = cfg.folds === undefined ? null : planCv(train.labels, cfg.folds, root.fork());
  for (const f of cvPlan?.folds ?? []) checkBatchNormBatches(model, f.train.length, cfg.batch_size, `cross-validation fold ${f.index + 1}'s training rows`);
  const optimizer = buildOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
  const loss = new CrossEntropyLoss();
  const perEpoch = Math.ceil(train.x.rows / cfg.batch_size);
  const totalSteps = perEpoch * cfg.epochs;

  let startStep = 0;
  if (session.canResume) {
    const st = loadCheckpoint(run.file('checkpoint'), model, optimizer);
    startStep = st.step;
    loopRng.setState(st.rng.loop);
    // After building, the init rng only draws dropout masks: where they had got to.
    if (st.rng.init !== undefined) initRng.setState(st.rng.init);
  }
  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: trainSplit.source,
      train_rows: train.x.rows,
      test_rows: test.x.rows,
      features: train.x.cols,
      classes,
      ...keptNote(subset?.train ?? null),
    },
    model: model.toString(),
    parameters: model.parameterCount(),
  });
  const loopStart = loopRng.state();
  const datasetLabel = keptLabel(cfg.dataset, subset?.train ?? null);
  session.begin(startStep, totalSteps, { load_s: loadS });

  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${datasetLabel}: ${train.x.rows} training / ${test.x.rows} test rows (${trainSplit.source}); model ${built.architecture} ${cfg.activation}, ${model.parameterCount()} parameters; backend ${describeBackend(info)}`,
  };
  if (startStep > 0) yield { type: 'notice', message: `resuming at step ${startStep} of ${totalSteps}` };

  let cv: ClassifierCv | null = null;
  let cvS = 0;
  if (cvPlan !== null) {
    const tCv = performance.now();
    cv = yield* crossValidateClassifier(session, {
      plan: cvPlan,
      x: train.x,
      labels: train.labels,
      build: (rows, rng) => spec.build(cfg, dataInfo(rows), rng),
      kind: spec.kind,
    });
    cvS = (performance.now() - tCv) / 1000;
    if (cv === null) return yield* session.interrupted(startStep, { cv_s: cvS });
    yield {
      type: 'notice',
      message: `cross-validation over ${cv.k} folds: validation accuracy ${percentPm(cv.summary.accuracy)}, loss ${cv.summary.loss.mean.toFixed(4)} ± ${cv.summary.loss.std.toFixed(4)}`,
    };
  }

  yield {
    type: 'progress',
    total: totalSteps,
    format: `train ${spec.kind} |{bar}| {percentage}% {value}/{total} steps | epoch {epoch} | loss {loss} | ETA {eta_formatted}`,
  };
  const tTrain = performance.now();
  let lastStep = startStep;
  const checkpoint = (step: number): void => {
    session.checkFiniteModel(model, step);
    saveCheckpoint(run.file('checkpoint'), model, optimizer, { step, rng: { loop: loopStart, init: initRng.state() } });
  };
  for (const e of trainSteps({
    model,
    loss,
    optimizer,
    x: train.x,
    y: train.labels,
    batchSize: cfg.batch_size,
    epochs: cfg.epochs,
    rng: loopRng,
    startStep,
    validation: { x: test.x, y: test.labels },
  })) {
    if (e.type === 'step') {
      lastStep = session.step = e.step + 1;
      session.checkFinite('loss', e.loss, lastStep);
      yield { type: 'tick', value: lastStep, payload: { epoch: String(e.epoch + 1), loss: e.loss.toFixed(4) } };
      if (lastStep % cfg.log_every === 0) run.event({ type: 'step', step: lastStep, epoch: e.epoch, loss: e.loss, lr: e.lr, ms: e.ms });
      if (lastStep % cfg.checkpoint_every === 0 && lastStep < totalSteps) checkpoint(lastStep);
      if ((await session.poll()) !== null) break;
    } else {
      run.event({
        type: 'epoch',
        step: e.step + 1,
        epoch: e.epoch,
        loss: e.loss,
        lr: e.lr,
        ms: e.ms,
        test_loss: e.validation?.loss,
        test_accuracy: e.validation?.accuracy,
      });
      yield {
        type: 'notice',
        message: `epoch ${e.epoch + 1}/${cfg.epochs}: train loss ${e.loss.toFixed(4)}, test accuracy ${((e.validation?.accuracy ?? 0) * 100).toFixed(2)}%`,
      };
    }
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) {
    checkpoint(lastStep);
    return yield* session.interrupted(lastStep, { train_s: (performance.now() - tTrain) / 1000, ...(cv === null ? {} : { cv_s: cvS }) });
  }
  const trainS = (performance.now() - tTrain) / 1000;
  const tEval = performance.now();
  const trainEval = evaluate(model, loss, train.x, train.labels);
  const testEval = evaluate(model, loss, test.x, test.labels);
  const testPred = model.predict(test.x).argmaxRows();
  session.checkFiniteModel(model, totalSteps);
  saveModel(run.file('model'), model, { metadata: { kind: spec.kind, dataset: cfg.dataset } });
  writeNpy(run.file('arrays', 'test_predictions.npy'), { dtype: 'i4', shape: [testPred.length], data: testPred });
  writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.labels.length], data: test.labels });
  writeTrainIndices(run, subset?.train ?? null);
  const metrics = {
    accuracy: trainEval.accuracy ?? NaN,
    loss: trainEval.loss,
    test_accuracy: testEval.accuracy ?? NaN,
    test_loss: testEval.loss,
    ...(cv === null ? {} : cvMetrics(cv)),
  };
  const evalS = (performance.now() - tEval) / 1000;

  // Figures and report, from the files just written. Loaded only now: the figure code pulls in vega.
  const tFig = performance.now();
  const fig = await import('./mlp/figures.js');
  const figures = await fig.writeMlpRunFigures(run, { testX: test.x });
  const extra = spec.figures === undefined ? [] : await spec.figures(run, model, test.x);
  figures.files.push(...extra.flatMap((s) => (s.figures ?? []).map((f) => f.file ?? '')).filter((f) => f !== ''));
  const figuresS = (performance.now() - tFig) / 1000;
  const timings = {
    load_s: loadS,
    ...(cv === null ? {} : { cv_s: cvS }),
    train_s: trainS,
    eval_s: evalS,
    figures_s: figuresS,
    total_s: (performance.now() - t0) / 1000,
  };
  const reportPath = fig.writeMlpRunReport(run, figures, {
    config: cfg as unknown as Record<string, unknown>,
    metrics,
    timings,
    status: 'completed',
    architecture: built.architecture,
    activation: cfg.activation,
    sections: extra,
    dataset: datasetLabel,
    trainRows: train.x.rows,
    testRows: test.x.rows,
    crossValidation: cv,
  });
  return session.finish({
    step: totalSteps,
    at: { step: totalSteps },
    metrics,
    timings,
    ...(cv === null ? {} : { extra: { cross_validation: cvRecord(cv) } }),
    lines: [
      '',
      `run ${run.id} completed (${cfg.epochs} epochs, ${totalSteps} steps)`,
      `  test accuracy  ${(metrics.test_accuracy * 100).toFixed(2)}%   (train ${(metrics.accuracy * 100).toFixed(2)}%)`,
      `  test loss      ${metrics.test_loss.toFixed(4)}`,
      ...(cv === null
        ? []
        : [
            `  cross-val      ${percentPm(cv.summary.accuracy)} validation accuracy over ${cv.k} folds of the training split (loss ${cv.summary.loss.mean.toFixed(4)} ± ${cv.summary.loss.std.toFixed(4)}); the saved model is the one trained on all of it`,
          ]),
      `  time           ${cv === null ? '' : `${cvS.toFixed(1)} s cross-validation, `}${trainS.toFixed(1)} s training, ${evalS.toFixed(1)} s evaluation, ${figuresS.toFixed(1)} s figures, ${timings.total_s.toFixed(1)} s in all`,
      `  report         ${reportPath}`,
      `  figures        ${run.path}/{${figures.files.join(',')}}`,
      `  files          ${run.path}/{config.json,events.jsonl,summary.json,model/,checkpoint/,arrays/}`,
    ],
    json: { run_id: run.id, path: run.path, status: 'completed', metrics, timings, report: reportPath, figures: figures.files.map((f) => run.file(f)) },
  });
}
