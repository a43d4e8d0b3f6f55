/**
 * `latentlab eval RUN`: reloads a run's saved model and scores it on a dataset split. Each run kind
 * has its evaluator; the dispatcher below picks it from config.json's `kind`.
 */
import { loadDataset } from '../../data/fetch.js';
import { loadModel } from '../../io/model-file.js';
import { CrossEntropyLoss } from '../../nn/cross-entropy.js';
import { RunDir } from '../../runs/run-dir.js';
import { evaluate } from '../../train/loop.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { evalAe } from './eval-ae.js';
import { evalDesom, evalKmeans, evalSom } from './eval-som.js';

export interface EvalFlags {
  run: string;
  out: string;
  split?: string;
  dataset?: string;
  dataDir?: string;
}

/** What an evaluator receives: the opened run, its saved config, and the validated split. */
export interface EvalContext {
  run: RunDir;
  config: { dataset: string; data_dir?: string } & Record<string, unknown>;
  split: 'train' | 'test' | 'all';
  /** Dataset and data directory to score on (the run's unless overridden). */
  dataset: string;
  dataDir?: string;
  /** Metric-name prefix for the split ('' for train, 'test_' for test, 'all_' for all). */
  prefix: string;
}

type Evaluator = (ctx: EvalContext, out: Output) => Promise<number>;

async function evalMlp(ctx: EvalContext, out: Output): Promise<number> {
  const model = loadModel(ctx.run.file('model'));
  const data = await loadDataset(ctx.dataset, { split: ctx.split, dataDir: ctx.dataDir });
  const r = evaluate(model, new CrossEntropyLoss(), data.x, data.labels);
  const metrics = { [`${ctx.prefix}accuracy`]: r.accuracy ?? NaN, [`${ctx.prefix}loss`]: r.loss };
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows)`);
  out.line(`  accuracy  ${((r.accuracy ?? NaN) * 100).toFixed(2)}%`);
  out.line(`  loss      ${r.loss.toFixed(4)}`);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}

/** One evaluator per run kind (config.json `kind`). */
const EVALUATORS: Record<string, Evaluator> = {
  mlp: evalMlp,
  ae: evalAe,
  som: evalSom,
  kmeans: evalKmeans,
  desom: evalDesom,
};

export async function evalRun(flags: EvalFlags, out: Output): Promise<number> {
  const run = RunDir.open(flags.run, flags.out);
  const saved = run.readConfig<{ kind: string; config: EvalContext['config'] }>();
  const evaluator = EVALUATORS[saved.kind] as Evaluator | undefined;
  if (evaluator === undefined) throw new UsageError(`eval: run ${run.id} is a "${saved.kind}" run; eval supports ${Object.keys(EVALUATORS).join(', ')} runs`);
  const split = flags.split ?? 'test';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`eval: --split expects train, test or all, got "${split}"`);
  if (run.effectiveStatus() !== 'completed')
    throw new UsageError(`eval: run ${run.id} is ${run.effectiveStatus()}, not completed; it has no final model to score`);
  const prefix = split === 'train' ? '' : `${split}_`;
  return evaluator(
    { run, config: saved.config, split, dataset: flags.dataset ?? saved.config.dataset, dataDir: flags.dataDir ?? saved.config.data_dir, prefix },
    out,
  );
}
