/** `latentlab eval RUN`: a run's saved model scored on a dataset split (the runs API's evaluateRun), printed the same way for every kind. */
import { evaluateRun } from '../../runs/api.js';
import { printEval } from '../drive.js';
import type { Output } from '../output.js';

export interface EvalFlags {
  run: string;
  out: string;
  split?: string;
  dataset?: string;
  dataDir?: string;
}

export async function evalRun(flags: EvalFlags, out: Output): Promise<number> {
  printEval(await evaluateRun(flags.run, { out: flags.out, split: flags.split, dataset: flags.dataset, dataDir: flags.dataDir }), out);
  return 0;
}
