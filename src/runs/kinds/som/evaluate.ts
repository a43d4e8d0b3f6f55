/**
 * Scoring a som run's saved map on a split: the BMUs of its rows (encoded when the run was) and the
 * SOM metrics (somMetrics); for a run on a class subset, of those classes' rows only (evalRows).
 */
import { somMetrics } from '../../../som/metrics.js';
import { loadSom } from '../../../som/som-file.js';
import { evalSplitLimit, loadClusterData, recordedEncoder } from '../../encoded.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { evalRows } from '../common.js';

export async function evaluateSom(r: EvalRequest): Promise<RunEvaluation> {
  const som = loadSom(r.run.file('model'));
  const encoder = recordedEncoder(r.run);
  const data = evalRows(r, await loadClusterData({ dataset: r.dataset, dataDir: r.dataDir, split: r.split, limit: evalSplitLimit(r), encoder }));
  if (data.x.cols !== som.dim)
    throw new Error(`eval: the map's prototypes have ${som.dim} features, but the ${r.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const { metrics } = somMetrics(som, data.x, data.labels, data.classNames.length, r.config.seed ?? 0, r.prefix);
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: encoder ? `encoded by ${encoder.runId}` : null, metrics };
}
