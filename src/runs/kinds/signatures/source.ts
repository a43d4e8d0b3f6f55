/**
 * What a signatures run analyses: a completed classifier run (its saved network, its dataset and
 * class subset), the rows of one split as the classifier saw them (labels renumbered to its
 * classes), and rows of classes it never saw (the anomaly insertion).
 */
import { existsSync } from 'node:fs';
import { loadDataset, type LoadedDataset } from '../../../data/fetch.js';
import { classSubset, selectClasses, takeLabels, takeRows } from '../../../data/transforms.js';
import { readNpy } from '../../../io/npy.js';
import { loadModel } from '../../../io/model-file.js';
import { Sequential } from '../../../nn/sequential.js';
import type { Rng } from '../../../random.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { openRun, type RunInfo } from '../../api.js';
import { UsageError } from '../../errors.js';
import type { SignaturesConfig } from './config.js';

/** The classifier run, its network and what it was trained on. */
export interface ClassifierRun {
  run: RunInfo;
  model: Sequential;
  dataset: string;
  dataDir?: string;
  /** The dataset's labels the classifier knows, in its output order (all of them without a subset). */
  classes: number[];
  classNames: string[];
  /** The dataset's class names, all of them (for the inserted classes). */
  allClassNames: string[];
  /** The run's training-row limit. */
  limit?: number;
}

/** Opens `ref` (a run id under `out`, or a run directory) as a completed mlp run. */
export function openClassifierRun(ref: string, out: string): ClassifierRun {
  let run: RunInfo;
  try {
    run = openRun(ref, out);
  } catch (e) {
    throw new UsageError(`signatures: ${(e as Error).message.replace(/^RunDir\.open: /, '')}`, { cause: e });
  }
  if (run.kind !== 'mlp') throw new UsageError(`signatures: run ${run.id} is a "${run.kind}" run; expected an mlp run (a classifier)`);
  if (run.status !== 'completed') throw new UsageError(`signatures: mlp run ${run.id} is ${run.status}, not completed; it has no final model`);
  const model = loadModel(run.dir.file('model'));
  if (!(model instanceof Sequential)) throw new UsageError(`signatures: run ${run.id}'s model is not a Sequential network`);
  const cfg = run.config as { dataset: string; data_dir?: string; limit?: number };
  const ds = (run.record.dataset ?? {}) as { kept_classes?: number[]; class_names?: string[]; classes?: number };
  return {
    run,
    model,
    dataset: cfg.dataset,
    dataDir: cfg.data_dir,
    classes: ds.kept_classes ?? Array.from({ length: ds.classes ?? 0 }, (_, i) => i),
    classNames: ds.class_names ?? [],
    allClassNames: [],
    limit: cfg.limit,
  };
}

/** Rows with their labels (renumbered to the classifier's classes, or the dataset's own for inserted rows). */
export interface Rows {
  x: Tensor;
  labels: Int32Array;
}

/**
 * The rows of `split` as the classifier saw them: on train, exactly the rows it was trained on
 * (its limit, then the rows its class subset drew: arrays/train_indices.npy); on test, every test
 * row of its classes. Then `limit` (the signatures run's own) keeps the first rows.
 */
export async function analysedRows(c: ClassifierRun, cfg: SignaturesConfig): Promise<{ rows: Rows; data: LoadedDataset }> {
  const dataDir = cfg.data_dir ?? c.dataDir;
  const data = await loadDataset(c.dataset, { split: cfg.split, dataDir, limit: cfg.split === 'train' ? c.limit : undefined });
  c.allClassNames = data.classNames;
  if (c.classNames.length === 0) c.classNames = data.classNames;
  let rows: Rows = { x: data.x, labels: data.labels };
  const drawn = c.run.dir.file('arrays', 'train_indices.npy');
  if (cfg.split === 'train' && existsSync(drawn)) {
    // The rows a class subset drew (also a draw of every class: --classes 0,…,9 --per-class 100).
    const idx = readNpy(drawn).data as Int32Array;
    const mapping = new Map(c.classes.map((k, i) => [k, i]));
    rows = { x: takeRows(data.x, idx), labels: takeLabels(data.labels, idx).map((l) => mapping.get(l) ?? -1) };
  } else if (c.classes.length < data.classNames.length) {
    const s = classSubset(data, c.classes);
    rows = { x: s.x, labels: s.labels };
  }
  if (cfg.limit !== undefined && cfg.limit < rows.labels.length) {
    const idx = Int32Array.from({ length: cfg.limit }, (_, i) => i);
    rows = { x: takeRows(rows.x, idx), labels: takeLabels(rows.labels, idx) };
  }
  return { rows, data };
}

/** `count` seeded rows of each inserted class (classes the classifier never saw), from the same split; labels are the dataset's. */
export function insertedRows(c: ClassifierRun, data: LoadedDataset, classes: readonly number[], count: number, rng: Rng): Rows {
  for (const k of classes) {
    if (!Number.isInteger(k) || k < 0 || k >= data.classNames.length)
      throw new UsageError(`signatures: --insert ${k} is not one of ${c.dataset}'s classes 0..${data.classNames.length - 1}`);
    if (c.classes.includes(k)) throw new UsageError(`signatures: --insert ${k}: the classifier was trained on class ${k}; insert classes it never saw`);
  }
  const s = selectClasses(
    data.x,
    data.labels,
    [...classes].sort((a, b) => a - b),
    count,
    rng,
  );
  return { x: s.x, labels: s.labels };
}
