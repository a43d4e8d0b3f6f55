/**
 * A self-organizing map as the scatter draws it, from a run's config.json and arrays: its shape
 * and lattice, its grid's edges (prototypes joined to their neighbours over the codes' PCA), and
 * each cell's majority class (a DESOM's prediction for the rows it wins). No DOM here (tested in
 * Node).
 */
import type { RunDetail } from '../../src/serve/types.js';

/** The majority label of each of k cells (−1 for an empty cell). */
export function cellMajority(cells: Int32Array, labels: Int32Array, k: number): Int32Array {
  const classes = labels.reduce((m, l) => Math.max(m, l + 1), 0);
  const counts = new Int32Array(k * Math.max(1, classes));
  for (let i = 0; i < cells.length; i++) if (cells[i] >= 0 && cells[i] < k && labels[i] >= 0) counts[cells[i] * classes + labels[i]]++;
  return Int32Array.from({ length: k }, (_, c) => {
    let best = -1;
    for (let j = 0; j < classes; j++) if (counts[c * classes + j] > 0 && (best < 0 || counts[c * classes + j] > counts[c * classes + best])) best = j;
    return best;
  });
}

/** The map's shape and lattice from config.json (its map record, else the config's "RxC"). */
export function mapShape(run: RunDetail): { rows: number; cols: number; hexagonal: boolean } | null {
  const m = run.record?.map as { rows?: unknown; cols?: unknown; topology?: unknown } | undefined;
  let rows = typeof m?.rows === 'number' ? m.rows : NaN;
  let cols = typeof m?.cols === 'number' ? m.cols : NaN;
  if (!(rows > 0 && cols > 0) && typeof run.config.map === 'string') {
    const x = /^(\d+)x(\d+)$/.exec(run.config.map);
    if (x !== null) [rows, cols] = [Number(x[1]), Number(x[2])];
  }
  if (!(rows > 0 && cols > 0)) return null;
  const topology = m?.topology ?? run.config.topology;
  return { rows, cols, hexagonal: topology === 'hexagonal' };
}

/**
 * The edges of a rows × cols map's grid (each once, as index pairs): right and down neighbours,
 * and on a hexagonal ("odd-r": odd rows shifted right by half a cell) lattice the two cells below.
 * A torus's wrap-around edges are left out: drawn, they would cross the whole picture.
 */
export function gridEdges(rows: number, cols: number, hexagonal: boolean): Int32Array {
  const e: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      if (c + 1 < cols) e.push(k, k + 1);
      if (r + 1 >= rows) continue;
      if (!hexagonal) e.push(k, k + cols);
      else {
        // Below an even row: columns c − 1 and c; below an odd row: c and c + 1.
        const left = r % 2 === 0 ? c - 1 : c;
        for (const cc of [left, left + 1]) if (cc >= 0 && cc < cols) e.push(k, (r + 1) * cols + cc);
      }
    }
  return Int32Array.from(e);
}
