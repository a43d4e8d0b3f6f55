/** Scoring an ae run's saved autoencoder on a split: the reconstruction MSE (mean over every pixel, as PyTorch's MSELoss). */
import { loadAutoencoder } from '../../../ae/autoencoder-file.js';
import { reconstructionMse } from '../../../ae/train.js';
import { loadDataset } from '../../../data/fetch.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';

export async function evaluateAe(r: EvalRequest): Promise<RunEvaluation> {
  const ae = loadAutoencoder(r.run.file('model'));
  const data = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  if (data.x.cols !== ae.options.input) {
    throw new RangeError(`eval: run ${r.run.id}'s autoencoder takes ${ae.options.input} features, but ${r.dataset} has ${data.x.cols}`);
  }
  const metrics = { [`${r.prefix}mse`]: reconstructionMse(ae, data.x) };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
