/**
 * The linked selection of a run page: one set of rows shared by every view of the run (the
 * scatters, the map, the Sankey, the gallery). A view that changes it says who it is (`source`), so
 * it can skip redrawing its own change; every other view redraws the rows it holds.
 *
 * Rows are the run's row space: the row index of its per-row arrays (a DESOM's codes.npy, bmus.npy
 * and labels.npy; a signatures run's labels.npy, paths.npy and clusters_<layer>.npy). A view whose
 * points are a subset of those rows (a projection of a sample: umap_<layer>_rows.npy) maps its
 * points to rows before it publishes, and back when it draws.
 */

export interface SelectionChange {
  /** The selected rows, increasing, no duplicates. Empty = nothing selected. */
  rows: Int32Array;
  /** The view that made the change ('scatter:h1', 'map', 'sankey', 'gallery', 'clear', …). */
  source: string;
  /** What the user did, for the caption ("cell (2, 3)", "lasso: 412 points", "band 7 → c2"). */
  label: string;
}

export type SelectionListener = (change: SelectionChange) => void;

/** The selection of one run page. A new page makes a new one. */
export class Selection {
  private current: SelectionChange = { rows: new Int32Array(0), source: 'init', label: '' };
  private readonly listeners = new Set<SelectionListener>();
  private readonly member: Uint8Array;

  /** `n`: the number of rows of the run's row space. */
  constructor(readonly n: number) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Selection: expected a row count ≥ 0, got ${n}`);
    this.member = new Uint8Array(n);
  }

  get rows(): Int32Array {
    return this.current.rows;
  }

  get change(): SelectionChange {
    return this.current;
  }

  /** Whether `row` is selected (O(1)). */
  has(row: number): boolean {
    return this.member[row] === 1;
  }

  /** Replaces the selection with `rows` (any order, duplicates dropped) and tells every listener. */
  set(rows: ArrayLike<number>, source: string, label: string): void {
    this.member.fill(0);
    let count = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= this.n) throw new RangeError(`Selection.set (${source}): row ${r} is outside 0..${this.n - 1}`);
      if (this.member[r] === 0) {
        this.member[r] = 1;
        count++;
      }
    }
    const sorted = new Int32Array(count);
    for (let r = 0, j = 0; r < this.n; r++) if (this.member[r] === 1) sorted[j++] = r;
    this.current = { rows: sorted, source, label };
    for (const l of this.listeners) l(this.current);
  }

  clear(source = 'clear'): void {
    this.set([], source, '');
  }

  /** Calls `listener` on every change from now on; returns the unsubscribe function. */
  subscribe(listener: SelectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
