/**
 * A run kind in one file: the nearest-centroid classifier (each class is the mean of its training
 * rows; a row is given the class of the nearest mean). It is the worked example of
 * docs/architecture.md: a config schema, a training that yields events and returns its result,
 * an evaluation, and a headline metric. Handed to `startRun` it makes a run directory like any
 * other kind's (config.json, events.jsonl, summary.json, model/, arrays/); with one line in
 * src/runs/kinds/index.ts's KINDS it would also be `latentlab train nearest-centroid`, and `eval`
 * and `runs list` would know it.
 */
import { z } from 'zod';
import { kmeansPredict } from '../../src/cluster/kmeans.js';
import { loadDataset } from '../../src/data/fetch.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { accuracy } from '../../src/metrics/accuracy.js';
import { evalSplitLimit } from '../../src/runs/encoded.js';
import { commonFields, plain, runFields } from '../../src/runs/kinds/common.js';
import type { EvalRequest, RunEvaluation, RunKind, Training } from '../../src/runs/kind.js';
import type { TrainSession } from '../../src/runs/session.js';
import { Tensor } from '../../src/tensor/tensor.js';

const common = commonFields(plain);

/** The config: the shared fields (dataset, seed, backend, row limits, …) and nothing of its own. */
export const nearestCentroidSchema = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  ...runFields(common),
});
export type NearestCentroidConfig = z.infer<typeof nearestCentroidSchema>;

/** The mean row of each class (a class without rows keeps a zero mean). */
export function classMeans(x: Tensor, labels: Int32Array, classes: number): Tensor {
  const d = x.cols;
  const sums = new Float64Array(classes * d);
  const counts = new Float64Array(classes);
  for (let r = 0; r < x.rows; r++) {
    const c = labels[r];
    counts[c]++;
    for (let j = 0; j < d; j++) sums[c * d + j] += x.data[r * d + j];
  }
  const means = new Float32Array(classes * d);
  for (let i = 0; i < means.length; i++) means[i] = counts[Math.floor(i / d)] > 0 ? sums[i] / counts[Math.floor(i / d)] : 0;
  return new Tensor(means, [classes, d]);
}

async function* train(session: TrainSession<NearestCentroidConfig>): Training {
  const { run, cfg } = session;
  const t0 = performance.now();
  const trainSet = await loadDataset(cfg.dataset, { split: 'train', dataDir: cfg.data_dir, limit: cfg.limit });
  const test = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir, limit: cfg.test_limit });
  const classes = trainSet.classNames.length;
  session.writeConfig({ dataset: { name: cfg.dataset, train_rows: trainSet.x.rows, test_rows: test.x.rows, classes } });
  session.begin(0, 1, { load_s: (performance.now() - t0) / 1000 });
  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };

  const means = classMeans(trainSet.x, trainSet.labels, classes);
  session.checkFiniteParameters([['means', means]], 1);
  writeNpy(run.file('model', 'means.npy'), { dtype: 'f4', shape: [classes, means.cols], data: means.data });
  const testPred = kmeansPredict(means, test.x);
  writeNpy(run.file('arrays', 'test_predictions.npy'), { dtype: 'i4', shape: [testPred.length], data: testPred });
  const metrics = { accuracy: accuracy(trainSet.labels, kmeansPredict(means, trainSet.x)), test_accuracy: accuracy(test.labels, testPred) };
  run.event({ type: 'final', step: 1, ...metrics });
  const timings = { total_s: (performance.now() - t0) / 1000 };
  session.completed(1, metrics, timings);
  return {
    status: 'completed',
    run_id: run.id,
    path: run.path,
    step: 1,
    metrics,
    timings,
    lines: [`run ${run.id} completed: test accuracy ${(metrics.test_accuracy * 100).toFixed(2)}%`],
    json: { run_id: run.id, path: run.path, status: 'completed', metrics, timings },
  };
}

async function evaluate(r: EvalRequest): Promise<RunEvaluation> {
  const m = readNpy(r.run.file('model', 'means.npy'));
  const means = new Tensor(m.data as Float32Array, [m.shape[0], m.shape[1]]);
  const data = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir, limit: evalSplitLimit(r) });
  const metrics = { [`${r.prefix}accuracy`]: accuracy(data.labels, kmeansPredict(means, data.x)) };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}

export const nearestCentroidKind: RunKind<NearestCentroidConfig> = {
  name: 'nearest-centroid',
  command: 'train nearest-centroid',
  description: 'the nearest-centroid classifier (one mean per class)',
  schema: nearestCentroidSchema,
  resumable: false,
  headline: ['test_accuracy', 'accuracy'],
  train,
  evaluate,
};
