/**
 * Integer labels of any values (7, 42, −1 …) mapped to dense indices 0 … u−1, as numpy's
 * `np.unique(labels, return_inverse=True)`: the metrics and the silhouette work on dense indices.
 */

/** Sorted distinct values of `labels` and, for each entry, the index of its value among them. */
export function uniqueLabels(labels: Int32Array): { values: Int32Array; inverse: Int32Array } {
  const n = labels.length;
  const inverse = new Int32Array(n);
  if (n === 0) return { values: new Int32Array(0), inverse };
  let min = labels[0];
  let max = labels[0];
  for (let i = 1; i < n; i++) {
    const v = labels[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min + 1;
  if (span <= Math.max(1024, 4 * n)) {
    // Dense range (the usual case): one lookup table instead of a sort.
    const slot = new Int32Array(span).fill(-1);
    for (let i = 0; i < n; i++) slot[labels[i] - min] = 0;
    let u = 0;
    for (let s = 0; s < span; s++) if (slot[s] === 0) slot[s] = u++;
    const values = new Int32Array(u);
    for (let s = 0; s < span; s++) if (slot[s] >= 0) values[slot[s]] = s + min;
    for (let i = 0; i < n; i++) inverse[i] = slot[labels[i] - min];
    return { values, inverse };
  }
  const sorted = labels.slice().sort();
  let u = 1;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i];
  const values = sorted.slice(0, u);
  for (let i = 0; i < n; i++) {
    // Binary search: the value is present.
    let lo = 0;
    let hi = u - 1;
    const v = labels[i];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    inverse[i] = lo;
  }
  return { values, inverse };
}

/** Throws unless `labels` is an Int32Array of length n (when given); `what` names it in the message. */
export function expectLabels(fn: string, labels: Int32Array, n?: number, what = 'labels'): void {
  if (!(labels instanceof Int32Array)) {
    throw new TypeError(`${fn}: expected ${what} as an Int32Array, got ${Object.prototype.toString.call(labels).slice(8, -1)}`);
  }
  if (n !== undefined && labels.length !== n) throw new RangeError(`${fn}: expected ${n} ${what}, got ${labels.length}`);
}
