/**
 * The judge of a gan run: a completed classifier run (train cnn or train mlp) on the GAN's dataset,
 * every class, whose saved network classifies the generated images (src/gan/quality.ts).
 */
import { existsSync } from 'node:fs';
import { loadModel } from '../../../io/model-file.js';
import type { Module } from '../../../nn/module.js';
import { Tensor } from '../../../tensor/tensor.js';
import { openRun } from '../../api.js';
import { UsageError } from '../../errors.js';

/** The run kinds whose models can judge. */
export const JUDGE_KINDS = ['cnn', 'mlp'] as const;

export interface Judge {
  id: string;
  /** Its run directory (absolute). */
  path: string;
  kind: string;
  model: Module;
  /** Its test accuracy as its summary records it. */
  testAccuracy: number | null;
}

/** What config.json records of the judge, so that `eval` finds it again. */
export interface JudgeRecord {
  run_id: string;
  path: string;
  kind: string;
  test_accuracy: number | null;
}

export const judgeRecord = (j: Judge): JudgeRecord => ({ run_id: j.id, path: j.path, kind: j.kind, test_accuracy: j.testAccuracy });

/**
 * Opens `ref` (a run id under `out`, or a run directory) as the judge of a GAN trained on
 * `dataset`: a completed cnn or mlp run on the same dataset and every one of its `classes`, whose
 * network reads `features` pixels in [0, 1] and answers one logit per class. Refusals are usage errors naming the run.
 */
export function openJudge(ref: string, out: string, o: { dataset: string; features: number; classes: number }): Judge {
  const fn = 'train gan: --judge';
  let run: ReturnType<typeof openRun>;
  try {
    run = openRun(ref, out);
  } catch (e) {
    throw new UsageError(`${fn}: ${(e as Error).message.replace(/^RunDir\.open: /, '')}`, { cause: e });
  }
  if (!(JUDGE_KINDS as readonly string[]).includes(run.kind))
    throw new UsageError(`${fn}: run ${run.id} is a "${run.kind}" run; expected a classifier run (${JUDGE_KINDS.join(' or ')})`);
  if (run.status !== 'completed') throw new UsageError(`${fn}: ${run.kind} run ${run.id} is ${run.status}, not completed; it has no final model`);
  const cfg = run.config as { dataset?: string; classes?: number[] };
  if (cfg.dataset !== o.dataset) throw new UsageError(`${fn}: run ${run.id} classifies ${String(cfg.dataset)}, the GAN learns ${o.dataset}`);
  if (cfg.classes !== undefined)
    throw new UsageError(`${fn}: run ${run.id} was trained on classes ${cfg.classes.join(', ')} only; a judge must tell every class of ${o.dataset} apart`);
  const dir = run.dir.file('model');
  if (!existsSync(dir)) throw new UsageError(`${fn}: run ${run.id} has no model/ folder`);
  const model = loadModel(dir);
  model.eval();
  const out1 = model.forward(Tensor.zeros([1, o.features]));
  if (out1.size !== o.classes)
    throw new UsageError(`${fn}: run ${run.id}'s network answers ${out1.size} values per image, expected one logit per class of ${o.dataset} (${o.classes})`);
  const acc = run.summary?.metrics?.test_accuracy;
  return { id: run.id, path: run.path, kind: run.kind, model, testAccuracy: typeof acc === 'number' ? acc : null };
}
