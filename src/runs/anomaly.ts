/**
 * `latentlab anomaly RUN`: the held-out anomaly-detection experiment over a completed ae, vae or
 * desom run (an analysis of a run, as `eval` is, not a run of its own). The run's model scores the
 * rows of the named normal and anomalous classes of a split of its dataset (src/analysis/anomaly.ts);
 * the anomalous rows are the positives of the ROC curve, the AUROC and the average precision
 * (src/metrics/roc.ts). It writes into `<run>/anomaly/` (or `outDir`):
 *
 *   anomaly.json   the metrics, the counts, each class's mean and median score, the options, warnings
 *   roc.svg        the ROC curve with the chance diagonal, AUROC in the legend
 *   pr.svg         the precision–recall curve with the chance level, AP in the legend
 *   scores.svg     the score histograms of the normal and anomalous rows
 *   top.png        the most anomalous rows over their reconstructions (image datasets)
 *   arrays/        scores.npy, labels.npy, target.npy, indices.npy (rows of the split), roc.npy, top_indices.npy
 *
 * every file atomically, anomaly.json last (its presence means the rest is there). The held-out
 * protocol needs a model that never saw the anomalous classes: a run trained on them (no
 * `--classes`, or classes that include them) gets a `trained_on_anomalous` warning.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAutoencoder } from '../ae/autoencoder-file.js';
import {
  ANOMALY_SCORES,
  anomalyMetrics,
  anomalyScores,
  anomalyScoresFor,
  heldOutRows,
  topAnomalies,
  type AnomalyModel,
  type AnomalyScoreName,
} from '../analysis/anomaly.js';
import { loadDataset } from '../data/fetch.js';
import { takeRows } from '../data/transforms.js';
import { loadDesom } from '../desom/file.js';
import { DESOM } from '../desom/model.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy.js';
import { rocCurve, precisionRecallCurve } from '../metrics/roc.js';
import { Rng } from '../random.js';
import { loadVae } from '../vae/vae-file.js';
import { packageVersion } from '../version.js';
import { openRun, type RunInfo } from './api.js';
import { UsageError } from './errors.js';

/** The run kinds whose models score rows. */
export const ANOMALY_KINDS = ['ae', 'vae', 'desom'] as const;

/** What `anomalyRun` measures and where it writes. */
export interface AnomalyOptions {
  /** The anomalous classes (the positives), as the dataset labels them. */
  anomalous: readonly number[];
  /** The normal classes (default: every other class of the dataset). */
  normal?: readonly number[];
  /** train | test | all (default test: rows no model was fitted on). */
  split?: string;
  /** Default: `neg_elbo` for a vae run, `mse` otherwise. */
  score?: AnomalyScoreName;
  /** Draws of z per row for a VAE's neg_elbo and reconstruction (default 1). */
  samples?: number;
  /** Seed of those draws (default 0). */
  seed?: number;
  /** Use only the first n rows of the split. */
  limit?: number;
  /** Rows in top.png (default 30; 0: no top.png). */
  top?: number;
  /** The runs folder a run id is looked up in (default 'runs'). */
  out?: string;
  /** Where to write (default `<run>/anomaly`). */
  outDir?: string;
  /** The dataset's directory (default the run's). */
  dataDir?: string;
}

/** One class's scores. */
export interface AnomalyClassRow {
  label: number;
  name: string;
  anomalous: boolean;
  rows: number;
  mean_score: number;
  median_score: number;
}

/** anomaly.json, and what anomalyRun returns. */
export interface AnomalyResult {
  run_id: string;
  run_kind: string;
  dataset: string;
  split: string;
  limit: number | null;
  score: AnomalyScoreName;
  /** The score in words ("negative ELBO (nats)"), as the figures' axes name it. */
  score_label: string;
  /** Draws of z per row (VAE neg_elbo and reconstruction), otherwise null. */
  samples: number | null;
  seed: number | null;
  normal: number[];
  anomalous: number[];
  counts: { normal: number; anomalous: number };
  metrics: { auroc: number; average_precision: number; anomalous_share: number };
  per_class: AnomalyClassRow[];
  /** The most anomalous rows, most anomalous first: the row of the split, its label and score. */
  top: { index: number; label: number; score: number }[];
  warnings: { code: string; message: string }[];
  /** The folder written. */
  dir: string;
  /** Files written, relative to dir. */
  files: string[];
  timings: { load_s: number; score_s: number; figures_s: number };
  latentlab_version: string;
}

function loadModel(run: RunInfo): AnomalyModel {
  const dir = run.dir.file('model');
  switch (run.kind as (typeof ANOMALY_KINDS)[number]) {
    case 'ae':
      return loadAutoencoder(dir);
    case 'vae':
      return loadVae(dir);
    case 'desom':
      return loadDesom(dir);
    default:
      throw new UsageError(`anomaly: run ${run.id} is a "${run.kind}" run; expected a run of a model that reconstructs its input: ${ANOMALY_KINDS.join(', ')}`);
  }
}

const SCORE_WORDS: Record<AnomalyScoreName, string> = {
  mse: 'reconstruction MSE per pixel',
  neg_elbo: 'negative ELBO',
  reconstruction: 'reconstruction term of the negative ELBO',
};

/** The axis label of a score ("negative ELBO (nats)"). */
export function scoreLabel(score: AnomalyScoreName, loss?: unknown): string {
  return score !== 'mse' && loss === 'bce' ? `${SCORE_WORDS[score]} (nats)` : SCORE_WORDS[score];
}

/** What should make a reader doubt the experiment: a model that saw the anomalous classes, or scores on rows it was fitted on. */
function warningsFor(run: RunInfo, split: string, normal: readonly number[], anomalous: readonly number[]): { code: string; message: string }[] {
  const out: { code: string; message: string }[] = [];
  const kept = ((run.record.dataset ?? {}) as { kept_classes?: number[] }).kept_classes ?? (run.config.classes as number[] | undefined);
  const seen = kept === undefined ? [...anomalous] : anomalous.filter((c) => kept.includes(c));
  if (seen.length > 0) {
    const how = kept === undefined ? 'on every class' : `on classes ${kept.join(', ')}`;
    out.push({
      code: 'trained_on_anomalous',
      message:
        `run ${run.id} was trained ${how}, class${seen.length > 1 ? 'es' : ''} ${seen.join(', ')} included: the held-out protocol needs a model that never saw the anomalous class; ` +
        `train one without it (--classes ${kept === undefined ? 'the other classes' : kept.filter((c) => !anomalous.includes(c)).join(',')})`,
    });
  }
  if (kept !== undefined) {
    const unseen = normal.filter((c) => !kept.includes(c));
    if (unseen.length > 0)
      out.push({
        code: 'normal_not_trained',
        message: `normal class${unseen.length > 1 ? 'es' : ''} ${unseen.join(', ')} ${unseen.length > 1 ? 'were' : 'was'} not among the run's training classes`,
      });
  }
  const fitted = run.config.split === 'all' ? 'all' : 'train';
  if (split === 'train' || split === 'all' || fitted === 'all')
    out.push({
      code: 'scored_on_training_rows',
      message: `the ${split} split holds rows the model was fitted on (it was fitted on ${fitted === 'all' ? 'train + test' : 'train'}): its normal rows are not held out`,
    });
  return out;
}

function classList(fn: string, name: string, v: readonly number[], classes: number): number[] {
  const given: unknown = v;
  if (!Array.isArray(given) || v.length === 0) throw new UsageError(`${fn}: expected at least one ${name} class, got ${JSON.stringify(v)}`);
  for (const c of v)
    if (!Number.isSafeInteger(c) || c < 0 || c >= classes)
      throw new UsageError(`${fn}: expected ${name} classes between 0 and ${classes - 1}, got ${String(c)}`);
  if (new Set(v).size !== v.length) throw new UsageError(`${fn}: expected distinct ${name} classes, got ${v.join(', ')}`);
  return [...v].sort((a, b) => a - b);
}

/**
 * Scores a completed ae, vae or desom run's rows of `normal` and `anomalous` classes, measures how
 * well the score ranks the anomalous ones first (AUROC, AP) and writes the experiment's files.
 */
export async function anomalyRun(ref: string, o: AnomalyOptions): Promise<AnomalyResult> {
  const fn = 'anomaly';
  const t0 = performance.now();
  const run = openRun(ref, o.out ?? 'runs');
  if (!(ANOMALY_KINDS as readonly string[]).includes(run.kind))
    throw new UsageError(`${fn}: run ${run.id} is a "${run.kind}" run; expected a run of a model that reconstructs its input: ${ANOMALY_KINDS.join(', ')}`);
  if (run.status !== 'completed') throw new UsageError(`${fn}: run ${run.id} is ${run.status}, not completed; it has no final model to score`);
  const split = o.split ?? 'test';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`${fn}: --split expects train, test or all, got "${split}"`);
  const model = loadModel(run);
  const allowed = anomalyScoresFor(model);
  const score = o.score ?? allowed[0];
  if (!ANOMALY_SCORES.includes(score)) throw new UsageError(`${fn}: --score expects one of ${ANOMALY_SCORES.join(', ')}, got "${String(score)}"`);
  if (!allowed.includes(score)) throw new UsageError(`${fn}: --score ${score} needs a vae run; a ${run.kind} run gives ${allowed.join(', ')}`);
  const sampled = score === 'neg_elbo' || score === 'reconstruction';
  const samples = o.samples ?? 1;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new UsageError(`${fn}: --samples expects an integer ≥ 1, got ${samples}`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`${fn}: --seed expects an integer ≥ 0, got ${seed}`);
  const top = o.top ?? 30;
  if (!Number.isSafeInteger(top) || top < 0) throw new UsageError(`${fn}: --top expects an integer ≥ 0, got ${top}`);
  if (o.limit !== undefined && (!Number.isSafeInteger(o.limit) || o.limit < 1)) throw new UsageError(`${fn}: --limit expects an integer ≥ 1, got ${o.limit}`);

  const config = run.config as { dataset: string; data_dir?: string; loss?: string };
  const data = await loadDataset(config.dataset, { split, dataDir: o.dataDir ?? config.data_dir, limit: o.limit });
  const input = model instanceof DESOM ? model.ae.options.input : model.options.input;
  if (data.x.cols !== input) throw new UsageError(`${fn}: run ${run.id}'s model takes ${input} features, but ${config.dataset} has ${data.x.cols}`);
  const k = data.classNames.length;
  const anomalous = classList(fn, 'anomalous', o.anomalous, k);
  const normal = o.normal === undefined ? data.classNames.map((_, c) => c).filter((c) => !anomalous.includes(c)) : classList(fn, 'normal', o.normal, k);
  const both = normal.filter((c) => anomalous.includes(c));
  if (both.length > 0) throw new UsageError(`${fn}: expected the normal and anomalous classes to be disjoint, got ${both.join(', ')} in both`);
  let held;
  try {
    held = heldOutRows(data.labels, normal, anomalous);
  } catch (e) {
    throw new UsageError(
      `${fn}: ${config.dataset} ${split}${o.limit === undefined ? '' : ` (first ${o.limit} rows)`}: ${(e as Error).message.replace(/^heldOutRows: /, '')}`,
    );
  }
  const x = takeRows(data.x, held.indices);
  const loadS = (performance.now() - t0) / 1000;

  const tScore = performance.now();
  const scores = anomalyScores(model, x, { score, rng: sampled ? new Rng(seed) : undefined, samples });
  const bad = scores.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new Error(
      `${fn}: the ${score} score of row ${held.indices[bad]} of ${config.dataset} ${split} is ${scores[bad]}; the model's output is not finite there`,
    );
  const m = anomalyMetrics(scores, held);
  const roc = rocCurve(scores, held.target);
  const pr = precisionRecallCurve(scores, held.target);
  const topIdx = topAnomalies(scores, Math.min(top, scores.length));
  const scoreS = (performance.now() - tScore) / 1000;

  // ---- files: arrays and figures, then anomaly.json ------------------------------------------
  const tFig = performance.now();
  const dir = o.outDir ?? run.dir.file('anomaly');
  mkdirSync(join(dir, 'arrays'), { recursive: true });
  const files: string[] = [];
  const write = (name: string, bytes: string | Uint8Array): void => {
    writeFileAtomic(join(dir, name), bytes);
    files.push(name);
  };
  const npy = (name: string, arr: Parameters<typeof writeNpy>[1]): void => {
    writeNpy(join(dir, 'arrays', name), arr);
    files.push(`arrays/${name}`);
  };
  const n = scores.length;
  npy('scores.npy', { dtype: 'f8', shape: [n], data: scores });
  npy('labels.npy', { dtype: 'i4', shape: [n], data: held.labels });
  npy('target.npy', { dtype: 'i4', shape: [n], data: held.target });
  npy('indices.npy', { dtype: 'i4', shape: [n], data: held.indices });
  const rocRows = new Float64Array(roc.fpr.length * 3);
  roc.fpr.forEach((_, j) => rocRows.set([roc.thresholds[j], roc.fpr[j], roc.tpr[j]], 3 * j));
  npy('roc.npy', { dtype: 'f8', shape: [roc.fpr.length, 3], data: rocRows });
  const topRows = Int32Array.from(topIdx, (i) => held.indices[i]);
  npy('top_indices.npy', { dtype: 'i4', shape: [topRows.length], data: topRows });

  const fig = await import('../viz/anomaly-figures.js');
  const scoreName = scoreLabel(score, config.loss);
  const anomalousNames = anomalous.map((c) => data.classNames[c]).join(', ');
  const against = `${anomalous.length > 1 ? 'classes' : 'class'} ${anomalousNames} against ${normal.length + anomalous.length === k ? 'the rest' : normal.join(', ')}`;
  const source = `${run.kind} run ${run.id}, score ${score}, ${m.normal + m.anomalous} ${config.dataset} ${split} rows`;
  write('roc.svg', await fig.rocSvg(roc, { auroc: m.auroc, name: score, title: `ROC curve: ${against}`, subtitle: source }));
  write(
    'pr.svg',
    await fig.precisionRecallSvg(pr, {
      averagePrecision: m.averagePrecision,
      positiveShare: m.anomalous / n,
      name: score,
      title: `Precision–recall curve: ${against}`,
      subtitle: source,
    }),
  );
  write(
    'scores.svg',
    await fig.scoreHistogramSvg(scores, held.target, {
      scoreLabel: scoreName,
      title: `${scoreName[0].toUpperCase()}${scoreName.slice(1)} of the normal and anomalous rows`,
      subtitle: `${run.kind} run ${run.id}: ${m.normal} normal and ${m.anomalous} anomalous ${config.dataset} ${split} rows`,
      names: [`normal (${normal.length === 1 ? `class ${normal[0]}` : `${normal.length} classes`})`, `anomalous (${anomalousNames})`],
    }),
  );
  if (data.imageShape !== null && topIdx.length > 0) {
    const rows = takeRows(x, topIdx);
    write('top.png', fig.topAnomaliesPng(rows, model.reconstruct(rows), data.imageShape, 10));
  }
  const figuresS = (performance.now() - tFig) / 1000;

  const result: AnomalyResult = {
    run_id: run.id,
    run_kind: run.kind,
    dataset: config.dataset,
    split,
    limit: o.limit ?? null,
    score,
    score_label: scoreName,
    samples: sampled ? samples : null,
    seed: sampled ? seed : null,
    normal,
    anomalous,
    counts: { normal: m.normal, anomalous: m.anomalous },
    metrics: { auroc: m.auroc, average_precision: m.averagePrecision, anomalous_share: m.anomalous / n },
    per_class: m.perClass.map((c) => ({
      label: c.label,
      name: data.classNames[c.label],
      anomalous: c.anomalous,
      rows: c.rows,
      mean_score: c.mean,
      median_score: c.median,
    })),
    top: Array.from(topIdx, (i) => ({ index: held.indices[i], label: held.labels[i], score: scores[i] })),
    warnings: warningsFor(run, split, normal, anomalous),
    dir,
    files: [...files, 'anomaly.json'],
    timings: { load_s: loadS, score_s: scoreS, figures_s: figuresS },
    latentlab_version: packageVersion(),
  };
  writeJsonAtomic(join(dir, 'anomaly.json'), result);
  return result;
}
