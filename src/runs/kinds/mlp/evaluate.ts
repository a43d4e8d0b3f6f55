/** Scoring an mlp run's saved classifier on a split: accuracy and cross-entropy loss. */
import { loadDataset } from '../../../data/fetch.js';
import { loadModel } from '../../../io/model-file.js';
import { CrossEntropyLoss } from '../../../nn/cross-entropy.js';
import { evaluate } from '../../../train/loop.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';

export async function evaluateMlp(r: EvalRequest): Promise<RunEvaluation> {
  const model = loadModel(r.run.file('model'));
  const data = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  const e = evaluate(model, new CrossEntropyLoss(), data.x, data.labels);
  const metrics = { [`${r.prefix}accuracy`]: e.accuracy ?? NaN, [`${r.prefix}loss`]: e.loss };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
