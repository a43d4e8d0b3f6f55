/**
 * Scoring an mlp run's saved classifier on a split: accuracy and cross-entropy loss. A run trained
 * on a class subset (`classes`) is scored on every row of those classes in the split, relabelled
 * as in training, so eval on the test split gives the summary's test metrics (on the training
 * split of a `per_class` run, on exactly the rows drawn: evalRows).
 */
import { loadDataset } from '../../../data/fetch.js';
import { loadModel } from '../../../io/model-file.js';
import { CrossEntropyLoss } from '../../../nn/cross-entropy.js';
import { evaluate } from '../../../train/loop.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { evalRows } from '../common.js';

export async function evaluateMlp(r: EvalRequest): Promise<RunEvaluation> {
  const model = loadModel(r.run.file('model'));
  const loaded = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  const data = evalRows(r, loaded);
  const e = evaluate(model, new CrossEntropyLoss(), data.x, data.labels);
  const metrics = { [`${r.prefix}accuracy`]: e.accuracy ?? NaN, [`${r.prefix}loss`]: e.loss };
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
