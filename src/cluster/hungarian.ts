/**
 * The assignment problem (Kuhn–Munkres), in the O(r²·c) shortest-augmenting-path form with row
 * and column potentials (Jonker–Volgenant style): rows are added one at a time and each is
 * routed along a Dijkstra-like search over reduced costs cost[i][j] − u[i] − v[j] ≥ 0.
 * Rectangular matrices are solved on the side with fewer rows, so every row of the smaller side
 * is matched (as scipy.optimize.linear_sum_assignment does).
 */

/** Optimal assignment for a rows×cols cost matrix (rectangular allowed); returns for each row its column or -1. */
export function hungarian(cost: ArrayLike<number>, rows: number, cols: number, o: { maximize?: boolean } = {}): Int32Array {
  const fn = 'hungarian';
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${fn}: expected rows to be a non-negative integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 0) throw new RangeError(`${fn}: expected cols to be a non-negative integer, got ${cols}`);
  if (cost.length !== rows * cols) throw new RangeError(`${fn}: expected ${rows}×${cols} = ${rows * cols} costs, got ${cost.length}`);
  const sign = o.maximize === true ? -1 : 1;
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  // Work on the orientation with n ≤ m: a[i][j] for i < n rows, j < m columns.
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  const a = new Float64Array(n * m);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = cost[r * cols + c];
      if (!Number.isFinite(v)) throw new RangeError(`${fn}: expected finite costs, got ${v} at row ${r}, column ${c}`);
      if (transpose) a[c * m + r] = sign * v;
      else a[r * m + c] = sign * v;
    }
  }
  const match = assign(a, n, m);
  for (let i = 0; i < n; i++) {
    if (transpose) out[match[i]] = i;
    else out[i] = match[i];
  }
  return out;
}

/** For an n×m matrix with n ≤ m: the column of each row in a minimum-cost matching (1-based arrays inside, as in the textbook form). */
function assign(a: Float64Array, n: number, m: number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) matched to column j; p[0] is the row being inserted
  const way = new Int32Array(m + 1); // previous column on the shortest path
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      const row = (i0 - 1) * m;
      const ui0 = u[i0];
      let delta = Infinity;
      let j1 = -1;
      for (let j = 1; j <= m; j++) {
        if (used[j] === 1) continue;
        const cur = a[row + j - 1] - ui0 - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      if (j1 < 0) throw new Error('internal: hungarian found no augmenting column');
      for (let j = 0; j <= m; j++) {
        if (used[j] === 1) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    // Augment along the path back to the virtual column 0.
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const match = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) match[p[j] - 1] = j - 1;
  return match;
}
