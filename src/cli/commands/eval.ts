/** `latentlab eval RUN`: reloads a run's saved model and scores it on a dataset split. */
import { loadDataset } from '../../data/fetch.js';
import { loadModel } from '../../io/model-file.js';
import { CrossEntropyLoss } from '../../nn/cross-entropy.js';
import { RunDir } from '../../runs/run-dir.js';
import { evaluate } from '../../train/loop.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';

export interface EvalFlags {
  run: string;
  out: string;
  split?: string;
  dataset?: string;
  dataDir?: string;
}

export async function evalRun(flags: EvalFlags, out: Output): Promise<number> {
  const run = RunDir.open(flags.run, flags.out);
  const cfg = run.readConfig<{ kind: string; config: { dataset: string; data_dir?: string } }>();
  if (cfg.kind !== 'mlp') throw new UsageError(`eval: run ${run.id} is a "${cfg.kind}" run; eval supports mlp runs for now`);
  const split = flags.split ?? 'test';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`eval: --split expects train, test or all, got "${split}"`);
  const model = loadModel(run.file('model'));
  const data = await loadDataset((flags.dataset ?? cfg.config.dataset) as never, { split, dataDir: flags.dataDir ?? cfg.config.data_dir });
  const r = evaluate(model, new CrossEntropyLoss(), data.x, data.labels);
  const prefix = split === 'train' ? '' : `${split}_`;
  const metrics = { [`${prefix}accuracy`]: r.accuracy ?? NaN, [`${prefix}loss`]: r.loss };
  out.line(`run ${run.id} on ${flags.dataset ?? cfg.config.dataset} (${split}, ${data.x.rows} rows)`);
  out.line(`  accuracy  ${((r.accuracy ?? NaN) * 100).toFixed(2)}%`);
  out.line(`  loss      ${r.loss.toFixed(4)}`);
  out.result({ run_id: run.id, split, rows: data.x.rows, metrics });
  return 0;
}
