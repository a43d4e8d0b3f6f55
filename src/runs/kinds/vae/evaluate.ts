/**
 * Scoring a vae run's saved model on a split: the negative ELBO and its two terms per image (the
 * same seeded draws of z as the run's own test score: the same split gives the summary's numbers),
 * and the reconstruction MSE per pixel of decoder(μ(x)). A run trained on a class subset (`classes`)
 * is scored on the rows of those classes only (evalRows).
 */
import { loadDataset } from '../../../data/fetch.js';
import { vaeScore } from '../../../vae/train.js';
import { loadVae } from '../../../vae/vae-file.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { evalRows } from '../common.js';
import { reconstructionMseOf, scoreMetrics, vaeRunRngs } from './train.js';

export async function evaluateVae(r: EvalRequest): Promise<RunEvaluation> {
  const vae = loadVae(r.run.file('model'));
  const loaded = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  if (loaded.x.cols !== vae.options.input) {
    throw new RangeError(`eval: run ${r.run.id}'s VAE takes ${vae.options.input} features, but ${r.dataset} has ${loaded.x.cols}`);
  }
  const data = evalRows(r, loaded);
  const samples = typeof r.config.eval_samples === 'number' ? r.config.eval_samples : 1;
  const score = vaeScore(vae, data.x, vaeRunRngs(r.config.seed ?? 0).eval, samples);
  const metrics = { ...scoreMetrics(r.prefix, score), [`${r.prefix}mse`]: reconstructionMseOf(vae, data.x) };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
