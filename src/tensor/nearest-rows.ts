/**
 * The smallest and second-smallest entry of each row of an n×k score matrix (ties → lower index;
 * second = −1 when k = 1). Shared by the js backend's `nearest` and the SOM's BMU search.
 */
export function argmin2Rows(
  scores: Float32Array,
  n: number,
  k: number,
  best: Int32Array,
  second: Int32Array | null,
  bestValue: Float32Array | null = null,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let b1 = 0;
    let v1 = scores[o];
    let b2 = -1;
    let v2 = Infinity;
    for (let j = 1; j < k; j++) {
      const v = scores[o + j];
      if (v < v1) {
        b2 = b1;
        v2 = v1;
        b1 = j;
        v1 = v;
      } else if (v < v2) {
        b2 = j;
        v2 = v;
      }
    }
    best[i] = b1;
    if (second !== null) second[i] = b2;
    if (bestValue !== null) bestValue[i] = v1;
  }
}
