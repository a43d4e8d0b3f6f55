/**
 * k-fold cross-validation of a classifier run (`train mlp --folds k`), the deep-learning course's
 * "validation croisée": the training split cut into k folds stratified by class, k fresh models of
 * the run's configuration each trained on k − 1 folds for the run's epochs and scored on the fold
 * left out, and the mean ± standard deviation (ddof = 1) of their validation accuracy and loss.
 * It runs before the run's own model is trained and changes nothing of it: that model, trained on
 * the whole training split, is the one saved.
 *
 * Each fold's result is an events.jsonl `fold` record as soon as it is known, so a resumed run
 * skips the folds already done; a fold cut short is trained again from its start (its data, its
 * initial weights and its minibatch order depend only on the seed).
 */
import { takeLabels, takeRows } from '../../data/transforms.js';
import { CrossEntropyLoss } from '../../nn/cross-entropy.js';
import { BatchNorm1d } from '../../nn/batchnorm1d.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import type { Sequential } from '../../nn/sequential.js';
import { buildOptimizer } from '../../optim/registry.js';
import type { Rng } from '../../random.js';
import type { Description } from '../../stats/summary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { foldIndices, summarizeFolds, type Fold, type FoldResult } from '../../train/kfold.js';
import { evaluate, trainSteps } from '../../train/loop.js';
import { UsageError } from '../errors.js';
import type { RunEvent } from '../kind.js';
import type { RunDir } from '../run-dir.js';
import type { TrainSession } from '../session.js';
import type { ClassifierConfig, ClassifierModel } from './classifier.js';

/** A cross-validation's outcome: each fold's validation scores and their mean ± std. */
export interface ClassifierCv {
  k: number;
  folds: FoldResult[];
  /** accuracy and loss described over the folds (mean, std with ddof = 1, min, max). */
  summary: Record<string, Description>;
}

/** The metrics a cross-validation adds to summary.json: the mean over the folds' validation scores and its standard deviation. */
export function cvMetrics(cv: ClassifierCv): Record<string, number> {
  return {
    cv_accuracy: cv.summary.accuracy.mean,
    cv_accuracy_std: cv.summary.accuracy.std,
    cv_loss: cv.summary.loss.mean,
    cv_loss_std: cv.summary.loss.std,
  };
}

/** summary.json's `cross_validation` record. */
export function cvRecord(cv: ClassifierCv): Record<string, unknown> {
  return {
    k: cv.k,
    stratified: true,
    folds: cv.folds.map((f) => ({ fold: f.fold, train_rows: f.trainRows, validation_rows: f.validationRows, ...f.metrics })),
    accuracy: cv.summary.accuracy,
    loss: cv.summary.loss,
  };
}

/** "97.12% ± 0.21%": a share as a percentage with its standard deviation. */
export function percentPm(d: Description): string {
  return `${(d.mean * 100).toFixed(2)}% ± ${(d.std * 100).toFixed(2)}%`;
}

/**
 * Refuses (usage error) a network with batch normalisation whose training would meet a minibatch
 * of one row: the last, short minibatch of each epoch when rows mod batch size is 1. Batch
 * statistics of one row are undefined (PyTorch refuses it too).
 */
export function checkBatchNormBatches(model: Sequential, rows: number, batchSize: number, what: string): void {
  if (!model.modules.some((m) => m instanceof BatchNorm1d || m instanceof BatchNorm2d)) return;
  const last = rows < batchSize ? rows : rows % batchSize;
  if (last === 1) {
    throw new UsageError(
      `--batch-size ${batchSize}: the last minibatch of each epoch over ${what} (${rows} rows) would hold 1 row, and batch normalisation needs at least 2; choose another --batch-size (or --limit)`,
    );
  }
}

/** The plan of a cross-validation: its folds (stratified by class) and one rng per fold, in fold order. */
export interface CvPlan {
  k: number;
  folds: Fold[];
  rngs: Rng[];
}

/** Cuts the training rows into k stratified folds and forks one rng per fold from `rng` (the folds first, then the forks). */
export function planCv(labels: Int32Array, k: number, rng: Rng): CvPlan {
  if (k > labels.length) throw new UsageError(`--folds ${k}: expected at most the ${labels.length} training rows`);
  const folds = foldIndices(labels.length, k, rng, { labels });
  return { k, folds, rngs: folds.map(() => rng.fork()) };
}

/** The fold records a resumed run already logged (one per fold index; the last wins). */
function doneFolds(run: RunDir, resuming: boolean, k: number): Map<number, FoldResult> {
  const done = new Map<number, FoldResult>();
  if (!resuming) return done;
  for (const e of run.events()) {
    if (e.type !== 'fold' || e.k !== k || typeof e.fold !== 'number') continue;
    const { accuracy, loss } = e as { accuracy?: unknown; loss?: unknown };
    if (typeof accuracy !== 'number' || typeof loss !== 'number') continue;
    done.set(e.fold, { fold: e.fold, trainRows: Number(e.train_rows), validationRows: Number(e.validation_rows), metrics: { accuracy, loss } });
  }
  return done;
}

/**
 * Trains and scores the plan's folds not done yet, yielding progress; returns the outcome, or null
 * when a signal asked to stop (the folds done so far are in events.jsonl).
 */
export async function* crossValidateClassifier<C extends ClassifierConfig>(
  session: TrainSession<C>,
  o: {
    plan: CvPlan;
    x: Tensor;
    labels: Int32Array;
    /** The run's network, built with `rng` for `rows` training rows. */
    build: (rows: number, rng: Rng) => ClassifierModel;
    kind: string;
  },
): AsyncGenerator<RunEvent, ClassifierCv | null> {
  const { run, cfg } = session;
  const { plan } = o;
  const done = doneFolds(run, session.resuming, plan.k);
  const todo = plan.folds.filter((f) => !done.has(f.index));
  const stepsOf = (f: Fold): number => Math.ceil(f.train.length / cfg.batch_size) * cfg.epochs;
  if (done.size > 0) yield { type: 'notice', message: `cross-validation: ${done.size} of ${plan.k} folds already done` };
  if (todo.length > 0) {
    const total = todo.reduce((s, f) => s + stepsOf(f), 0);
    yield {
      type: 'progress',
      total,
      format: `cross-validation ${o.kind} |{bar}| {percentage}% {value}/{total} steps | fold {fold} | loss {loss} | ETA {eta_formatted}`,
    };
  }
  let ticks = 0;
  for (const fold of todo) {
    const rng = plan.rngs[fold.index];
    const initRng = rng.fork();
    const loopRng = rng.fork();
    const built = o.build(fold.train.length, initRng);
    const model = built.model();
    const optimizer = buildOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
    const loss = new CrossEntropyLoss();
    const name = `fold ${fold.index + 1}/${plan.k}`;
    const t0 = performance.now();
    let trainLoss = NaN;
    for (const e of trainSteps({
      model,
      loss,
      optimizer,
      x: takeRows(o.x, fold.train),
      y: takeLabels(o.labels, fold.train),
      batchSize: cfg.batch_size,
      epochs: cfg.epochs,
      rng: loopRng,
    })) {
      if (e.type === 'epoch') {
        trainLoss = e.loss;
        continue;
      }
      session.checkFinite(`cross-validation ${name} loss`, e.loss, e.step + 1);
      yield { type: 'tick', value: ++ticks, payload: { fold: `${fold.index + 1}/${plan.k}`, loss: e.loss.toFixed(4) } };
      if ((await session.poll()) !== null) {
        yield { type: 'progress-end' };
        return null;
      }
    }
    const v = evaluate(model, loss, takeRows(o.x, fold.validation), takeLabels(o.labels, fold.validation));
    const result: FoldResult = {
      fold: fold.index,
      trainRows: fold.train.length,
      validationRows: fold.validation.length,
      metrics: { accuracy: v.accuracy ?? NaN, loss: v.loss },
    };
    done.set(fold.index, result);
    run.event({
      type: 'fold',
      fold: fold.index,
      k: plan.k,
      train_rows: result.trainRows,
      validation_rows: result.validationRows,
      accuracy: result.metrics.accuracy,
      loss: result.metrics.loss,
      train_loss: trainLoss,
      ms: performance.now() - t0,
    });
    yield {
      type: 'notice',
      message: `${name}: validation accuracy ${(result.metrics.accuracy * 100).toFixed(2)}%, loss ${result.metrics.loss.toFixed(4)} (${result.validationRows} rows)`,
    };
  }
  if (todo.length > 0) yield { type: 'progress-end' };
  const folds = plan.folds.map((f) => done.get(f.index) as FoldResult);
  return { k: plan.k, folds, summary: summarizeFolds(folds) };
}
