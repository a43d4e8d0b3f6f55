/** Scoring a kmeans run on a split: the nearest saved centroid of each row (encoded when the run was) and the clustering metrics. */
import { kmeansPredict } from '../../../cluster/kmeans.js';
import { readNpy } from '../../../io/npy.js';
import { kmeansMetrics } from '../../../metrics/suites.js';
import { Tensor } from '../../../tensor/tensor.js';
import { evalSplitLimit, loadClusterData, recordedEncoder } from '../../encoded.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';

export async function evaluateKmeans(r: EvalRequest): Promise<RunEvaluation> {
  const arr = readNpy(r.run.file('model', 'centroids.npy'));
  if (arr.dtype !== 'f4' || arr.shape.length !== 2)
    throw new Error(`eval: expected model/centroids.npy to be float32 k×d, got ${arr.dtype} [${arr.shape.join(', ')}]`);
  const centroids = new Tensor(arr.data as Float32Array, [arr.shape[0], arr.shape[1]]);
  const encoder = recordedEncoder(r.run);
  const data = await loadClusterData({ dataset: r.dataset, dataDir: r.dataDir, split: r.split, limit: evalSplitLimit(r), encoder });
  if (data.x.cols !== centroids.cols)
    throw new Error(`eval: the centroids have ${centroids.cols} features, but the ${r.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const assignments = kmeansPredict(centroids, data.x);
  const metrics = kmeansMetrics(data.x, centroids, assignments, data.labels, r.config.seed ?? 0, r.prefix);
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: encoder ? `encoded by ${encoder.runId}` : null, metrics };
}
