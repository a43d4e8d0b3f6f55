/**
 * What `data info` and `data verify` tell about a dataset: the shape, value range and class
 * histogram of a split, and which copy of its files the library would read, checked against the
 * registry's sha256.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  IncompleteDatasetError,
  resolveDataDir,
  verifyDataset,
  type DatasetRef,
  type DataSource,
  type FileCheck,
  type LoadedDataset,
  type VerifyReport,
} from './fetch.js';

/** A loaded split in numbers. */
export interface SplitSummary {
  rows: number;
  features: number;
  image_shape: readonly number[] | null;
  value_range: [number, number];
  /** Rows per class, in the order of the dataset's class names. */
  class_histogram: number[];
  source: DataSource;
}

export function summarizeSplit(data: LoadedDataset): SplitSummary {
  const hist = new Array<number>(data.classNames.length).fill(0);
  for (const l of data.labels) hist[l]++;
  let min = Infinity;
  let max = -Infinity;
  for (const v of data.x.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { rows: data.x.rows, features: data.x.cols, image_shape: data.imageShape, value_range: [min, max], class_histogram: hist, source: data.source };
}

/** Where the checked files are and what that copy is ('incomplete': a cached or LATENTLAB_DATA_DIR copy missing a file or with one of the wrong size). */
export interface VerifiedCopy {
  dir: string;
  source: DataSource | 'incomplete';
  report: VerifyReport;
}

/**
 * Hashes the files the library would read for `name` (or those in `dataDir`) against the
 * registry, file by file. A `dataDir` that is not a directory is a RangeError naming it.
 */
export async function verifyCopy(name: DatasetRef, dataDir?: string): Promise<VerifiedCopy> {
  let dir: string;
  let source: VerifiedCopy['source'];
  if (dataDir !== undefined) {
    dir = resolve(dataDir);
    if (!isDir(dir)) throw new RangeError(`verifyCopy: --data-dir ${dir} does not exist (or is not a directory)`);
    source = 'data-dir';
  } else {
    try {
      ({ dir, source } = await resolveDataDir(name, { allowDownload: false }));
    } catch (e) {
      // Reported file by file rather than refused.
      if (!(e instanceof IncompleteDatasetError)) throw e;
      dir = e.dir;
      source = 'incomplete';
    }
  }
  return { dir, source, report: await verifyDataset(name, dir) };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** One file's check in words: its path when it is right, otherwise what is wrong with it. */
export function describeFileCheck(f: FileCheck, dir: string): string {
  switch (f.status) {
    case 'ok':
      return `${f.path}`;
    case 'missing':
      return `${f.file} not in ${dir}`;
    case 'size-mismatch':
      return `${f.path}: ${f.actual}, expected ${f.expected}`;
    case 'sha256-mismatch':
      return `${f.path}: sha256 ${f.actual}, expected ${f.expected}`;
    case 'unchecked':
      return `${f.path}: the registry has no checksum for it (sha256 ${f.actual})`;
  }
}
