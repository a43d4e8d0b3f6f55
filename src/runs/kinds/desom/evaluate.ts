/**
 * Scoring a desom run on a split: codes through its encoder, their BMUs, the SOM metrics and the
 * reconstruction MSE; for a run on a class subset, of those classes' rows only (evalRows).
 */
import { reconstructionMse } from '../../../ae/train.js';
import { loadDesom } from '../../../desom/file.js';
import { somMetrics } from '../../../som/metrics.js';
import { evalSplitLimit, loadClusterData } from '../../encoded.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { evalRows } from '../common.js';

export async function evaluateDesom(r: EvalRequest): Promise<RunEvaluation> {
  const model = loadDesom(r.run.file('model'));
  const data = evalRows(r, await loadClusterData({ dataset: r.dataset, dataDir: r.dataDir, split: r.split, limit: evalSplitLimit(r) }));
  if (data.x.cols !== model.config.input)
    throw new Error(`eval: the DESOM expects ${model.config.input} input features, but the ${r.dataset} rows have ${data.x.cols}`);
  const { metrics } = somMetrics(model.som, model.encode(data.x), data.labels, data.classNames.length, r.config.seed ?? 0, r.prefix);
  metrics[`${r.prefix}mse`] = reconstructionMse(model.ae, data.x);
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
