/**
 * Scoring an ae run's saved autoencoder on a split: the reconstruction MSE (mean over every pixel,
 * as PyTorch's MSELoss). A run trained on a class subset (`classes`) is scored on the rows of those
 * classes only (evalRows).
 */
import { loadAutoencoder } from '../../../ae/autoencoder-file.js';
import { reconstructionMse } from '../../../ae/train.js';
import { loadDataset } from '../../../data/fetch.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { evalRows } from '../common.js';

export async function evaluateAe(r: EvalRequest): Promise<RunEvaluation> {
  const ae = loadAutoencoder(r.run.file('model'));
  const loaded = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  if (loaded.x.cols !== ae.options.input) {
    throw new RangeError(`eval: run ${r.run.id}'s autoencoder takes ${ae.options.input} features, but ${r.dataset} has ${loaded.x.cols}`);
  }
  const data = evalRows(r, loaded);
  const metrics = { [`${r.prefix}mse`]: reconstructionMse(ae, data.x) };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
