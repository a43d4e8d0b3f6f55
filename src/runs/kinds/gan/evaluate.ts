/**
 * Scoring a gan run's saved GAN: D's mean probability of "real" on a split's images
 * (`<prefix>d_real`), and when the run had a judge (config.json `judge`, if its folder is still
 * there) the judge's verdict on the same generated samples as at the end of training
 * (`sample_confident_share`, `sample_mean_confidence`, `sample_class_match`: the summary's values)
 * and on the split's real images (`<prefix>judge_confident_share`, `<prefix>judge_accuracy`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../../data/fetch.js';
import { loadGan } from '../../../gan/file.js';
import { ganQuality, judgeImages } from '../../../gan/quality.js';
import { loadModel } from '../../../io/model-file.js';
import { stableSigmoid } from '../../../nn/bce-logits.js';
import type { EvalRequest, RunEvaluation } from '../../kind.js';
import { ganConfigSchema } from './config.js';
import type { JudgeRecord } from './judge.js';
import { ganRngs, qualityMetrics, toGanRange } from './train.js';

export async function evaluateGan(r: EvalRequest): Promise<RunEvaluation> {
  const cfg = ganConfigSchema.parse(r.config);
  const gan = loadGan(r.run.file('model'));
  const data = await loadDataset(r.dataset, { split: r.split, dataDir: r.dataDir });
  if (data.x.cols !== gan.imageSize)
    throw new RangeError(`eval: run ${r.run.id}'s GAN makes images of ${gan.imageSize} values, but ${r.dataset} has ${data.x.cols}`);
  const labels = gan.conditional ? data.labels : undefined;
  if (labels !== undefined && data.classNames.length !== gan.options.classes)
    throw new RangeError(`eval: run ${r.run.id}'s GAN is conditional on ${gan.options.classes} classes, ${r.dataset} has ${data.classNames.length}`);
  const logits = gan.discriminate(toGanRange(data.x), labels);
  let s = 0;
  for (const v of logits) s += stableSigmoid(v);
  const metrics: Record<string, number> = { [`${r.prefix}d_real`]: s / logits.length };
  const judge = r.run.readConfig<{ judge?: JudgeRecord }>().judge;
  if (judge !== undefined && existsSync(join(judge.path, 'model', 'model.json'))) {
    const model = loadModel(join(judge.path, 'model'));
    const quality = ganQuality(gan, model, { samples: cfg.judge_samples, rng: ganRngs(cfg.seed).quality, threshold: cfg.judge_threshold });
    const real = judgeImages(model, data.x, { threshold: cfg.judge_threshold, requested: data.labels });
    Object.assign(metrics, qualityMetrics(quality, real, r.prefix));
  }
  return { run_id: r.run.id, split: r.split, dataset: r.dataset, rows: data.x.rows, via: null, metrics };
}
