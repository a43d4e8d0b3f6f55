/**
 * The data the SOM and clustering commands work on: a registered dataset, raw or "through a saved
 * encoder" (`--encoder RUN`, an ae run directory whose Autoencoder encodes every row, as DESOM's
 * AE+minisom / AE+kerasom baselines do). The decoder is kept so that prototypes and centroids
 * living in the latent space can still be drawn as images (the decoded prototype map).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Autoencoder } from '../ae/autoencoder.js';
import { loadAutoencoder } from '../ae/autoencoder-file.js';
import { DESOM_AE_DIR } from '../desom/file.js';
import { loadDataset, type DataSource } from '../data/fetch.js';
import { getDataset, type DataSplit } from '../data/registry.js';
import { RunDir } from './run-dir.js';
import type { Tensor } from '../tensor/tensor.js';
import { UsageError } from './errors.js';
import type { EvalRequest } from './kind.js';

/** A saved autoencoder found through its run. */
export interface EncoderRun {
  readonly runId: string;
  /** Absolute path of the ae run directory. */
  readonly path: string;
  readonly ae: Autoencoder;
  /** Latent size p (the dimension of the encoded rows). */
  readonly latent: number;
  /** Input size the autoencoder expects. */
  readonly input: number;
}

/** What config.json records about the encoder (enough to find it again for resume and eval). */
export interface EncoderNote {
  run_id: string;
  path: string;
  latent: number;
  input: number;
}

/**
 * Opens `ref` (a run id under `outRoot`, or a path) as an ae run and loads its model/, or as a
 * desom run and loads its autoencoder (model/ae/; `train desom --gamma 0` trains the autoencoder
 * alone: the AE of the AE+SOM baselines). A usage error when the run is missing, of another kind,
 * not completed or has no saved model.
 */
export function openEncoderRun(ref: string, outRoot: string, flag = '--encoder'): EncoderRun {
  let run: RunDir;
  try {
    run = RunDir.open(ref, outRoot);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`, { cause: e });
  }
  const saved = run.readConfig<{ kind?: unknown }>();
  if (saved.kind !== 'ae' && saved.kind !== 'desom')
    throw new UsageError(`${flag}: run ${run.id} is a "${String(saved.kind)}" run; expected an ae or desom run (an autoencoder to encode the data)`);
  const status = run.readSummary() === null ? null : run.effectiveStatus();
  if (status !== null && status !== 'completed')
    throw new UsageError(`${flag}: ${saved.kind} run ${run.id} is ${status}, not completed; it has no final model`);
  const dir = saved.kind === 'ae' ? run.file('model') : run.file('model', DESOM_AE_DIR);
  if (!existsSync(join(dir, 'model.json')))
    throw new UsageError(`${flag}: ${saved.kind} run ${run.id} has no ${saved.kind === 'ae' ? 'model' : `model/${DESOM_AE_DIR}`}/model.json`);
  const ae = loadAutoencoder(dir);
  return { runId: run.id, path: run.path, ae, latent: ae.options.latent, input: ae.options.input };
}

/** The config.json note for an encoder run. */
export function encoderNote(e: EncoderRun): EncoderNote {
  return { run_id: e.runId, path: e.path, latent: e.latent, input: e.input };
}

/** Rows ready to cluster: encoded when an encoder is given, with what is needed to draw them. */
export interface ClusterData {
  /** Rows to cluster / map: the raw features, or the latent codes. */
  readonly x: Tensor;
  readonly labels: Int32Array;
  readonly classNames: string[];
  /** [h, w] of one raw image, or null for non-image data. */
  readonly imageShape: [number, number] | null;
  /** Raw feature count (before encoding). */
  readonly rawFeatures: number;
  /** The raw rows (only kept when asked for, e.g. to show samples). */
  readonly raw?: Tensor;
  readonly source: DataSource;
  readonly split: DataSplit;
}

export interface LoadClusterDataOptions {
  dataset: string;
  dataDir?: string;
  split: DataSplit;
  limit?: number;
  encoder?: EncoderRun;
  keepRaw?: boolean;
}

/** Loads a split and, with an encoder, encodes it (checking that the input sizes agree). */
export async function loadClusterData(o: LoadClusterDataOptions): Promise<ClusterData> {
  const data = await loadDataset(o.dataset, { split: o.split, dataDir: o.dataDir, limit: o.limit });
  let x = data.x;
  if (o.encoder !== undefined) {
    if (o.encoder.input !== data.x.cols) {
      throw new UsageError(`--encoder: ae run ${o.encoder.runId} expects ${o.encoder.input} input features, but ${o.dataset} rows have ${data.x.cols}`);
    }
    x = o.encoder.ae.encode(data.x);
  }
  return {
    x,
    labels: data.labels,
    classNames: data.classNames,
    imageShape: data.imageShape,
    rawFeatures: data.x.cols,
    raw: o.keepRaw === true ? data.x : undefined,
    source: data.source,
    split: o.split,
  };
}

/**
 * The split to fit on and the held-out split to score: 'train' fits on train and scores on test;
 * 'all' fits on everything and has no held-out split. A dataset with a single split needs 'all'.
 */
export function fitSplits(command: string, dataset: string, split: 'train' | 'all'): { fit: DataSplit; heldOut: 'test' | null } {
  const info = getDataset(dataset);
  if (split === 'train' && info.splits.train === null) {
    throw new UsageError(`${command}: split: ${dataset} has a single split of ${info.splits.all} rows (no train/test division); use --split all`);
  }
  return split === 'train' ? { fit: 'train', heldOut: 'test' } : { fit: 'all', heldOut: null };
}

/** config.json's `dataset` entry of a run that clusters rows (SOM, k-means): where the rows came from and their shape. */
export function clusterDatasetNote(name: string, split: string, train: ClusterData, test: ClusterData | null): Record<string, unknown> {
  return {
    name,
    source: train.source,
    split,
    rows: train.x.rows,
    test_rows: test?.x.rows ?? 0,
    features: train.rawFeatures,
    classes: train.classNames.length,
    image_shape: train.imageShape,
  };
}

/**
 * The row limit of the split a saved run is scored on: the run's own limits apply when it is
 * scored again on the splits it used, so eval reproduces the summary's metrics (test_limit on the
 * test split, limit on the split it was fitted on); none on another dataset.
 */
export function evalSplitLimit(r: EvalRequest): number | undefined {
  if (r.dataset !== r.config.dataset) return undefined;
  const c = r.config;
  if (r.split === 'test') return typeof c.test_limit === 'number' ? c.test_limit : undefined;
  const fitted = c.split === 'all' ? 'all' : 'train';
  return r.split === fitted && typeof c.limit === 'number' ? c.limit : undefined;
}

/** The encoder recorded in a run's config.json, reopened by its absolute path (undefined: the run works on raw rows). */
export function recordedEncoder(run: RunDir, flag = 'eval: encoder'): EncoderRun | undefined {
  const saved = run.readConfig<{ encoder?: EncoderNote | null }>();
  return saved.encoder ? openEncoderRun(saved.encoder.path, '.', flag) : undefined;
}
