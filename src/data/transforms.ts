/**
 * Dataset transforms used by the seeds: scaling bytes to [0, 1], flattening images, keeping a
 * subset of classes (seed 002's `cut_data`; `classSubset` also renumbers their labels 0..K−1),
 * one-hot targets, Gaussian input noise (seed 003 §5.3), seeded row samples, and index-based
 * train/test splits and k-fold cross-validation. All randomness comes from the `Rng` passed in, so
 * the same seed gives the same subsets everywhere.
 */
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';

function checkCount(fn: string, name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}, got ${v}`);
}

function rowWidth(fn: string, x: Tensor): number {
  if (x.rank < 1) throw new RangeError(`${fn}: expected a tensor with a row axis, got shape [${x.shape.join(', ')}]`);
  return x.shape.slice(1).reduce((p, d) => p * d, 1);
}

/** Bytes → float32 n × d in [0, 1] as byte / 255 (how every image loader scales pixels). */
export function scaleToUnit(bytes: Uint8Array, n: number, d: number): Tensor {
  checkCount('scaleToUnit', 'n', n);
  checkCount('scaleToUnit', 'd', d);
  if (bytes.length !== n * d) throw new RangeError(`scaleToUnit: ${n} × ${d} needs ${n * d} bytes, got ${bytes.length}`);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = bytes[i] / 255;
  return new Tensor(out, [n, d]);
}

/** n × h × w (or any n × …) → n × (h·w…), sharing the data (no copy). */
export function flattenImages(t: Tensor): Tensor {
  if (t.rank < 2) throw new RangeError(`flattenImages: expected a tensor of n images (rank ≥ 2), got shape [${t.shape.join(', ')}]`);
  return t.reshape([t.shape[0], rowWidth('flattenImages', t)]);
}

/** Rows `idx` of `x`, copied, in the order given: shape [idx.length, …x.shape[1:]]. */
export function takeRows(x: Tensor, idx: Int32Array): Tensor {
  const w = rowWidth('takeRows', x);
  const out = new Float32Array(idx.length * w);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (i < 0 || i >= x.rows) throw new RangeError(`takeRows: index ${i} at position ${r} is outside 0..${x.rows - 1}`);
    out.set(x.data.subarray(i * w, (i + 1) * w), r * w);
  }
  return new Tensor(out, [idx.length, ...x.shape.slice(1)]);
}

/** A seeded sample of at most `size` rows of `x`, in their original order (all of `x` when it has no more); e.g. the rows training-time QE/TE are measured on. */
export function sampleRows(x: Tensor, size: number, rng: Rng): Tensor {
  if (size >= x.rows) return x;
  return takeRows(x, rng.sample(x.rows, size).sort());
}

/** The rows of a, then those of b (same column count), with their labels: a fresh copy. */
export function stackRows(a: { x: Tensor; labels: Int32Array }, b: { x: Tensor; labels: Int32Array }): { x: Tensor; labels: Int32Array } {
  if (a.x.cols !== b.x.cols) throw new RangeError(`stackRows: expected rows of the same width, got ${a.x.cols} and ${b.x.cols} columns`);
  const x = new Float32Array(a.x.size + b.x.size);
  x.set(a.x.data, 0);
  x.set(b.x.data, a.x.size);
  const labels = new Int32Array(a.labels.length + b.labels.length);
  labels.set(a.labels, 0);
  labels.set(b.labels, a.labels.length);
  return { x: new Tensor(x, [labels.length, a.x.cols]), labels };
}

/** Labels `idx`, copied, in the order given. */
export function takeLabels(labels: Int32Array, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (i < 0 || i >= labels.length) throw new RangeError(`takeLabels: index ${i} at position ${r} is outside 0..${labels.length - 1}`);
    out[r] = labels[i];
  }
  return out;
}

/**
 * Keeps only the rows whose label is in `classes` (seed 002's `cut_data`). With `perClass`, draws
 * that many rows of each class at random without replacement (cut_data took the first n; a
 * random draw avoids whatever order the file has). Output rows keep their original order:
 * `indices` is sorted ascending, so classes are interleaved as in the input.
 */
export function selectClasses(
  x: Tensor,
  labels: Int32Array,
  classes: readonly number[],
  perClass: number | undefined,
  rng: Rng,
): { x: Tensor; labels: Int32Array; indices: Int32Array } {
  const fn = 'selectClasses';
  if (x.rank < 1 || x.rows !== labels.length) throw new RangeError(`${fn}: x has shape [${x.shape.join(', ')}] but there are ${labels.length} labels`);
  if (classes.length === 0) throw new RangeError(`${fn}: expected at least one class, got []`);
  if (new Set(classes).size !== classes.length) throw new RangeError(`${fn}: classes [${classes.join(', ')}] contain duplicates`);
  if (perClass !== undefined) checkCount(fn, 'perClass', perClass);
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < labels.length; i++) byClass.get(labels[i])?.push(i);
  const chosen: number[] = [];
  // Classes are visited in the given order so the rng draws are reproducible.
  for (const c of classes) {
    const rows = byClass.get(c) as number[];
    if (rows.length === 0) throw new RangeError(`${fn}: class ${c} has no samples`);
    if (perClass === undefined) {
      chosen.push(...rows);
      continue;
    }
    if (rows.length < perClass) throw new RangeError(`${fn}: class ${c} has ${rows.length} samples, fewer than the ${perClass} asked for`);
    for (const k of rng.sample(rows.length, perClass)) chosen.push(rows[k]);
  }
  const indices = Int32Array.from(chosen).sort();
  return { x: takeRows(x, indices), labels: takeLabels(labels, indices), indices };
}

/** What `classSubset` reads: rows, their labels and the names of the dataset's classes (a LoadedDataset is one). */
export interface LabelledRows {
  readonly x: Tensor;
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
}

/** A class subset with its labels renumbered 0..K−1 (see classSubset). */
export interface ClassSubset {
  readonly x: Tensor;
  /** The new labels, 0..K−1. */
  readonly labels: Int32Array;
  /** The rows of the input kept, ascending. */
  readonly indices: Int32Array;
  /** The original labels of the classes kept, ascending: new label k is original label classes[k]. */
  readonly classes: number[];
  /** The names of the classes kept, in the same order (the new class k's name is classNames[k]). */
  readonly classNames: string[];
  /** Original label → new label. */
  readonly mapping: ReadonlyMap<number, number>;
}

/** A dataset's classes as messages list them: `0..9`, with the names when they are not the numbers (`0..3 (0 "CCAT", 1 "GCAT", …)`). */
export function describeClasses(classNames: readonly string[]): string {
  const range = `0..${classNames.length - 1}`;
  return classNames.every((name, i) => name === String(i)) ? range : `${range} (${classNames.map((name, i) => `${i} ${JSON.stringify(name)}`).join(', ')})`;
}

/**
 * The rows of `classes` only, relabelled 0..K−1 in ascending order of the original labels (keeping
 * 1, 3, 7 gives 1 → 0, 3 → 1, 7 → 2), as the Cluster Paths project (seed 002) trains its networks
 * on a few digits. With `perClass`, `rng` draws that many rows of each class (selectClasses);
 * without it every row of those classes is kept (a test split) and `rng` is not needed. The
 * classes are sorted before the draws, so the order they are given in changes nothing.
 */
export function classSubset(data: LabelledRows, classes: readonly number[], perClass?: number, rng?: Rng): ClassSubset {
  const fn = 'classSubset';
  const k = data.classNames.length;
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= k)
      throw new RangeError(`${fn}: class ${c} is not one of the dataset's classes ${describeClasses(data.classNames)}`);
  }
  if (perClass !== undefined) {
    checkCount(fn, 'perClass', perClass, 1);
    if (rng === undefined) throw new TypeError(`${fn}: perClass ${perClass} draws rows at random, so it needs an rng`);
  }
  const sorted = [...classes].sort((a, b) => a - b);
  // selectClasses refuses an empty list and duplicates; without perClass it draws nothing, so any Rng will do.
  const s = selectClasses(data.x, data.labels, sorted, perClass, rng ?? new Rng(0));
  const mapping = new Map(sorted.map((c, i) => [c, i]));
  const labels = s.labels.map((l) => mapping.get(l) as number);
  return { x: s.x, labels, indices: s.indices, classes: sorted, classNames: sorted.map((c) => data.classNames[c]), mapping };
}

/**
 * The rows `indices` of `data`, relabelled as `classSubset(data, classes, …)` relabels them: a
 * subset drawn earlier read back from its indices (a run's arrays/train_indices.npy). Every row
 * taken must be of one of `classes`.
 */
export function classRows(data: LabelledRows, classes: readonly number[], indices: Int32Array): ClassSubset {
  const fn = 'classRows';
  const k = data.classNames.length;
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= k)
      throw new RangeError(`${fn}: class ${c} is not one of the dataset's classes ${describeClasses(data.classNames)}`);
  }
  if (new Set(classes).size !== classes.length) throw new RangeError(`${fn}: classes [${classes.join(', ')}] contain duplicates`);
  const sorted = [...classes].sort((a, b) => a - b);
  const mapping = new Map(sorted.map((c, i) => [c, i]));
  const original = takeLabels(data.labels, indices);
  const labels = original.map((l, r) => {
    const m = mapping.get(l);
    if (m === undefined) throw new RangeError(`${fn}: row ${indices[r]} (position ${r}) is of class ${l}, not one of [${sorted.join(', ')}]`);
    return m;
  });
  return { x: takeRows(data.x, indices), labels, indices, classes: sorted, classNames: sorted.map((c) => data.classNames[c]), mapping };
}

/** n × classes one-hot matrix: row i has a 1 in column labels[i]. */
export function oneHot(labels: Int32Array, classes: number): Tensor {
  checkCount('oneHot', 'classes', classes, 1);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= classes) throw new RangeError(`oneHot: label ${l} at index ${i} is outside 0..${classes - 1}`);
    out[i * classes + l] = 1;
  }
  return new Tensor(out, [labels.length, classes]);
}

/** x + c·N(0, 1) element-wise as a new tensor (seed 003 §5.3), optionally clipped to [lo, hi]. */
export function addGaussianNoise(x: Tensor, c: number, rng: Rng, clip?: readonly [number, number]): Tensor {
  if (!Number.isFinite(c) || c < 0) throw new RangeError(`addGaussianNoise: expected a finite noise scale c ≥ 0, got ${c}`);
  if (clip !== undefined && !(clip[0] <= clip[1])) throw new RangeError(`addGaussianNoise: expected clip [lo, hi] with lo ≤ hi, got [${clip[0]}, ${clip[1]}]`);
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) {
    let v = x.data[i] + c * rng.normal();
    if (clip !== undefined) v = v < clip[0] ? clip[0] : v > clip[1] ? clip[1] : v;
    out[i] = v;
  }
  return new Tensor(out, x.shape);
}

/** A shuffled split of 0 … n−1: round(n·testFraction) test indices, the rest train (both in shuffled order). */
export function trainTestSplit(n: number, testFraction: number, rng: Rng): { train: Int32Array; test: Int32Array } {
  checkCount('trainTestSplit', 'n', n);
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`trainTestSplit: expected 0 < testFraction < 1, got ${testFraction}`);
  const perm = rng.permutation(n);
  const nTest = Math.round(n * testFraction);
  return { train: perm.slice(nTest), test: perm.slice(0, nTest) };
}

/**
 * k-fold cross-validation over 0 … n−1, shuffled once: fold sizes differ by at most 1 (the first
 * n mod k folds get one more) and every index is in exactly one test fold.
 */
export function kFold(n: number, k: number, rng: Rng): { train: Int32Array; test: Int32Array }[] {
  checkCount('kFold', 'n', n);
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`kFold: expected an integer 2 ≤ k ≤ n = ${n}, got k = ${k}`);
  const perm = rng.permutation(n);
  const base = Math.floor(n / k);
  const extra = n % k;
  const folds: { train: Int32Array; test: Int32Array }[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const end = start + base + (f < extra ? 1 : 0);
    const train = new Int32Array(n - (end - start));
    train.set(perm.subarray(0, start));
    train.set(perm.subarray(end), start);
    folds.push({ train, test: perm.slice(start, end) });
    start = end;
  }
  return folds;
}
