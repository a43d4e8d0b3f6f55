/**
 * What a signatures run analyses: a completed run of a model latentlab trains — an mlp classifier,
 * an autoencoder or a DESOM — with its saved network, dataset and class subset; the rows of a
 * split as the model saw them (labels renumbered to its classes), each with where it comes from;
 * and rows of classes it never saw (the anomaly insertion).
 */
import { existsSync } from 'node:fs';
import { loadAutoencoder } from '../../../ae/autoencoder-file.js';
import { captureLayers, type CaptureModel } from '../../../analysis/capture.js';
import { loadDataset, type LoadedDataset } from '../../../data/fetch.js';
import { classRows, classSubset, selectClasses, stackRows, takeLabels, takeRows } from '../../../data/transforms.js';
import { loadDesom } from '../../../desom/file.js';
import { readNpy } from '../../../io/npy.js';
import { loadModel } from '../../../io/model-file.js';
import { Sequential } from '../../../nn/sequential.js';
import type { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { openRun, type RunInfo } from '../../api.js';
import { UsageError } from '../../errors.js';
import type { SignaturesConfig } from './config.js';

/** The run kinds whose models a signatures run reads. */
export const ANALYSED_KINDS = ['mlp', 'cnn', 'ae', 'desom'] as const;
export type AnalysedKind = (typeof ANALYSED_KINDS)[number];

/** The analysed run, its network and what it was trained on. */
export interface AnalysedRun {
  run: RunInfo;
  kind: AnalysedKind;
  model: CaptureModel;
  dataset: string;
  dataDir?: string;
  /** The split the model was fitted on: 'train', or 'all' (a DESOM fitted on train + test, as the paper). */
  fitSplit: 'train' | 'all';
  /** The dataset's labels the model was trained on, sorted (its renumbering: label k is classes[k]); null = every class. */
  classes: number[] | null;
  /** Names of the model's classes, in its label order (filled when the data are read). */
  classNames: string[];
  /** The dataset's class names, all of them (for the inserted classes). */
  allClassNames: string[];
  /** The run's training-row limit. */
  limit?: number;
  /** Whether the model predicts a class (an mlp's output). Otherwise a row's prediction is the majority class of its cluster in the last analysed layer. */
  predicts: boolean;
  /** The layers a signatures run may analyse (every captured layer but the model's output), in network order. */
  layers: string[];
}

/** Opens `ref` (a run id under `out`, or a run directory) as a completed mlp, cnn, ae or desom run. */
export function openAnalysedRun(ref: string, out: string): AnalysedRun {
  let run: RunInfo;
  try {
    run = openRun(ref, out);
  } catch (e) {
    throw new UsageError(`signatures: ${(e as Error).message.replace(/^RunDir\.open: /, '')}`, { cause: e });
  }
  if (!(ANALYSED_KINDS as readonly string[]).includes(run.kind))
    throw new UsageError(`signatures: run ${run.id} is a "${run.kind}" run; expected a run of a network: ${ANALYSED_KINDS.join(', ')}`);
  const kind = run.kind as AnalysedKind;
  if (run.status !== 'completed') throw new UsageError(`signatures: ${kind} run ${run.id} is ${run.status}, not completed; it has no final model`);
  const dir = run.dir.file('model');
  let model: CaptureModel;
  if (kind === 'mlp' || kind === 'cnn') {
    const m = loadModel(dir);
    if (!(m instanceof Sequential)) throw new UsageError(`signatures: run ${run.id}'s model is not a Sequential network`);
    model = m;
  } else model = kind === 'ae' ? loadAutoencoder(dir) : loadDesom(dir);
  const cfg = run.config as { dataset: string; data_dir?: string; limit?: number; split?: string };
  const ds = (run.record.dataset ?? {}) as { kept_classes?: number[]; class_names?: string[] };
  return {
    run,
    kind,
    model,
    dataset: cfg.dataset,
    dataDir: cfg.data_dir,
    fitSplit: cfg.split === 'all' ? 'all' : 'train',
    classes: ds.kept_classes ?? null,
    classNames: ds.class_names ?? [],
    allClassNames: [],
    limit: cfg.limit,
    predicts: kind === 'mlp' || kind === 'cnn',
    layers: captureLayers(model)
      .map((l) => l.name)
      .filter((n) => n !== 'output'),
  };
}

/** Where each analysed row comes from: its split's file and its index there. */
export const ORIGIN_SPLITS = ['train', 'test', 'all'] as const;

/** Rows with their labels (renumbered to the model's classes, or the dataset's own for inserted rows). */
export interface Rows {
  x: Tensor;
  labels: Int32Array;
  /** n × 2: the split the row was read from (an index into ORIGIN_SPLITS) and its index in that split. */
  origin: Int32Array;
}

/** The analysed rows and the dataset rows (every class) the inserted rows are drawn from. */
export interface AnalysedRows {
  rows: Rows;
  /** Every row of the split(s) read, all classes, labels as in the dataset. */
  pool: { x: Tensor; labels: Int32Array; origin: Int32Array };
  imageShape: readonly [number, number] | null;
}

/** The rows of one split file as the model saw them, with the pool of every row of that file. */
/** One split file's analysed rows, the file itself, and its index in ORIGIN_SPLITS. */
interface SplitRows {
  rows: Rows;
  data: LoadedDataset;
  code: number;
}

async function splitRows(c: AnalysedRun, dataDir: string | undefined, which: 'train' | 'test'): Promise<SplitRows> {
  // 'train' means the rows the model was fitted on: its fit split (train, or all for a DESOM fitted on everything), up to its limit.
  const split = which === 'train' ? c.fitSplit : 'test';
  const code = ORIGIN_SPLITS.indexOf(split);
  const data = await loadDataset(c.dataset, { split, dataDir, limit: which === 'train' ? c.limit : undefined });
  c.allClassNames = data.classNames;
  if (c.classNames.length === 0) c.classNames = c.classes === null ? data.classNames : c.classes.map((k) => data.classNames[k]);
  const all: Int32Array = Int32Array.from({ length: data.labels.length }, (_, i) => i);
  let idx: Int32Array = all;
  let labels: Int32Array = data.labels;
  const drawn = c.run.dir.file('arrays', 'train_indices.npy');
  if (which === 'train' && existsSync(drawn)) {
    // The rows a class subset drew (a draw of every class too: --classes 0,…,9 --per-class 100).
    idx = readNpy(drawn).data as Int32Array;
    labels = classRows(data, c.classes ?? data.classNames.map((_, k) => k), idx).labels;
  } else if (c.classes !== null) {
    const s = classSubset(data, c.classes);
    idx = s.indices;
    labels = s.labels;
  }
  const x = idx === all ? data.x : takeRows(data.x, idx);
  return { rows: { x, labels, origin: originOf(code, idx) }, data, code };
}

function originOf(code: number, idx: Int32Array): Int32Array {
  const o = new Int32Array(idx.length * 2);
  for (let i = 0; i < idx.length; i++) {
    o[2 * i] = code;
    o[2 * i + 1] = idx[i];
  }
  return o;
}

/** a then b (the origins, n × 2, of stacked rows). */
function concatInts(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The rows of `cfg.split` as the model saw them: train = exactly the rows it was fitted on (its fit
 * split and limit, then the rows its class subset drew: arrays/train_indices.npy); test = every
 * test row of its classes; all = those train rows, then those test rows (for a model fitted on train
 * + test, its fitting rows). Then `cfg.limit` (the signatures run's own) keeps the first rows.
 */
export async function analysedRows(c: AnalysedRun, cfg: SignaturesConfig): Promise<AnalysedRows> {
  const dataDir = cfg.data_dir ?? c.dataDir;
  // A model fitted on train + test (a DESOM's --split all) already has every row in its 'train' rows.
  const which: ('train' | 'test')[] = cfg.split === 'all' ? (c.fitSplit === 'all' ? ['train'] : ['train', 'test']) : [cfg.split];
  const parts: SplitRows[] = [];
  for (const w of which) parts.push(await splitRows(c, dataDir, w));
  const poolOf = (p: SplitRows): AnalysedRows['pool'] => ({
    x: p.data.x,
    labels: p.data.labels,
    origin: originOf(
      p.code,
      Int32Array.from({ length: p.data.labels.length }, (_, i) => i),
    ),
  });
  let rows = parts[0].rows;
  let pool = poolOf(parts[0]);
  for (const p of parts.slice(1)) {
    rows = { ...stackRows(rows, p.rows), origin: concatInts(rows.origin, p.rows.origin) };
    const more = poolOf(p);
    pool = { ...stackRows(pool, more), origin: concatInts(pool.origin, more.origin) };
  }
  if (cfg.limit !== undefined && cfg.limit < rows.labels.length) {
    const idx = Int32Array.from({ length: cfg.limit }, (_, i) => i);
    rows = { x: takeRows(rows.x, idx), labels: takeLabels(rows.labels, idx), origin: rows.origin.slice(0, 2 * cfg.limit) };
  }
  return { rows, pool, imageShape: parts[0].data.imageShape };
}

/** `count` seeded rows of each inserted class (classes the model never saw), from the rows read; labels are the dataset's. */
export function insertedRows(c: AnalysedRun, pool: AnalysedRows['pool'], classes: readonly number[], count: number, rng: Rng): Rows {
  const all = c.allClassNames.length;
  for (const k of classes) {
    if (!Number.isInteger(k) || k < 0 || k >= all) throw new UsageError(`signatures: --insert ${k} is not one of ${c.dataset}'s classes 0..${all - 1}`);
    if (c.classes === null || c.classes.includes(k))
      throw new UsageError(
        `signatures: --insert ${k}: ${c.run.id} was trained on class ${k}${c.classes === null ? ' (on every class)' : ''}; insert classes it never saw`,
      );
  }
  const s = selectClasses(
    pool.x,
    pool.labels,
    [...classes].sort((a, b) => a - b),
    count,
    rng,
  );
  const origin = new Int32Array(s.indices.length * 2);
  for (let i = 0; i < s.indices.length; i++) origin.set(pool.origin.subarray(2 * s.indices[i], 2 * s.indices[i] + 2), 2 * i);
  return { x: s.x, labels: s.labels, origin };
}
