/**
 * The map of a SOM: K = rows·cols cells on a rectangular or hexagonal lattice, optionally wrapped
 * into a torus, with a distance between cells (δ in seed 000) and the adjacency used by the
 * topographic error and the U-matrix.
 *
 * Conventions:
 * - Cell k sits at row r = ⌊k / cols⌋, column c = k mod cols (row-major, as the DESOM reference's
 *   flat unit indices).
 * - Hexagonal maps use "odd-r" offset coordinates: odd rows are shifted right by half a cell. The
 *   cell centre is (x, y) = (c + ½·(r mod 2), r·√3/2), so all six neighbours are at Euclidean
 *   distance 1. Grid distances go through axial coordinates q = c − ⌊r/2⌋, s = r:
 *   hex distance = (|Δq| + |Δs| + |Δq + Δs|)/2. On this lattice 'manhattan' and 'chebyshev' are
 *   both the hex grid distance (in cube coordinates it is max|Δ| and also ½Σ|Δ|); 'euclidean' is
 *   the distance between real cell centres.
 * - Toroidal maps take the shortest way round: the minimum over the images of the target cell
 *   shifted by ±rows and ±cols. A toroidal hexagonal map needs an even number of rows, otherwise
 *   the half-cell shift does not match across the seam.
 * - 'desom_reference' is the DESOM reference code's δ on flat indices, |i−k| // W + |i mod W − k mod W|
 *   (W = cols): one less than Manhattan when the row and column offsets have opposite signs, so an
 *   interior cell has 6 cells at δ = 1. Rectangular, non-toroidal maps only.
 */

export type TopologyKind = 'rectangular' | 'hexagonal';
export type MapDistance = 'manhattan' | 'euclidean' | 'chebyshev' | 'desom_reference';
/**
 * Which cells count as adjacent (topographic error, U-matrix): 'edge' = cells sharing an edge
 * (4 on a rectangular map, as the DESOM reference's TE), 'vertex' = cells sharing an edge or a
 * corner (8 on a rectangular map, as MiniSom's TE and distance map). Both give the 6 neighbours on
 * a hexagonal map.
 */
export type Adjacency = 'edge' | 'vertex';

export const TOPOLOGY_KINDS: readonly TopologyKind[] = ['rectangular', 'hexagonal'];
export const MAP_DISTANCES: readonly MapDistance[] = ['manhattan', 'euclidean', 'chebyshev', 'desom_reference'];
export const ADJACENCIES: readonly Adjacency[] = ['edge', 'vertex'];

/** Options of a map; defaults reproduce seed 000 / the DESOM reference (8×8 rectangular, Manhattan). */
export interface TopologyOptions {
  rows?: number;
  cols?: number;
  topology?: TopologyKind;
  toroidal?: boolean;
  distance?: MapDistance;
}

/** A fully specified map (what is saved with a trained SOM). */
export interface TopologySpec {
  readonly rows: number;
  readonly cols: number;
  readonly topology: TopologyKind;
  readonly toroidal: boolean;
  readonly distance: MapDistance;
}

export const DEFAULT_TOPOLOGY: TopologySpec = Object.freeze({ rows: 8, cols: 8, topology: 'rectangular', toroidal: false, distance: 'manhattan' });

const SQRT3_2 = Math.sqrt(3) / 2;

function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new RangeError(`${fn}: expected ${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Fills defaults and validates, naming the bad field. */
export function resolveTopology(options: TopologyOptions = {}): TopologySpec {
  const fn = 'Topology';
  const rows = options.rows ?? DEFAULT_TOPOLOGY.rows;
  const cols = options.cols ?? DEFAULT_TOPOLOGY.cols;
  for (const [name, v] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${fn}: expected ${name} to be a positive integer, got ${v}`);
  }
  const topology = oneOf(fn, 'topology', options.topology ?? DEFAULT_TOPOLOGY.topology, TOPOLOGY_KINDS);
  const distance = oneOf(fn, 'distance', options.distance ?? DEFAULT_TOPOLOGY.distance, MAP_DISTANCES);
  const toroidal = options.toroidal ?? DEFAULT_TOPOLOGY.toroidal;
  if (typeof toroidal !== 'boolean') throw new TypeError(`${fn}: expected toroidal to be a boolean, got ${JSON.stringify(toroidal)}`);
  if (toroidal && topology === 'hexagonal' && rows % 2 !== 0) {
    throw new RangeError(`${fn}: a toroidal hexagonal map needs an even number of rows (the odd rows are shifted), got ${rows}`);
  }
  if (distance === 'desom_reference' && (topology !== 'rectangular' || toroidal)) {
    throw new RangeError(
      `${fn}: distance 'desom_reference' is defined on flat indices of a rectangular, non-toroidal map, got a ${toroidal ? 'toroidal ' : ''}${topology} map`,
    );
  }
  return { rows, cols, topology, toroidal, distance };
}

/** Offsets (Δrow, Δcol) of the adjacent cells, per lattice and row parity. */
function neighborOffsets(kind: TopologyKind, adjacency: Adjacency, oddRow: boolean): readonly (readonly [number, number])[] {
  switch (kind) {
    case 'rectangular':
      return adjacency === 'edge'
        ? [
            [-1, 0],
            [0, -1],
            [0, 1],
            [1, 0],
          ]
        : [
            [-1, -1],
            [-1, 0],
            [-1, 1],
            [0, -1],
            [0, 1],
            [1, -1],
            [1, 0],
            [1, 1],
          ];
    case 'hexagonal':
      // odd-r: an even row's upper/lower neighbours are at columns c−1 and c; an odd row's at c and c+1.
      return oddRow
        ? [
            [-1, 0],
            [-1, 1],
            [0, -1],
            [0, 1],
            [1, 0],
            [1, 1],
          ]
        : [
            [-1, -1],
            [-1, 0],
            [0, -1],
            [0, 1],
            [1, -1],
            [1, 0],
          ];
  }
}

/**
 * The cells adjacent to each cell of a map (sorted, without the cell itself; see `Adjacency`),
 * from its spec alone: what `Topology.neighbors` returns, without the K×K distance table a
 * `Topology` builds (the explorer draws maps of any size in the browser with it).
 */
export function cellNeighbors(spec: Pick<TopologySpec, 'rows' | 'cols' | 'topology' | 'toroidal'>, adjacency: Adjacency = 'edge'): Int32Array[] {
  oneOf('Topology.neighbors', 'adjacency', adjacency, ADJACENCIES);
  const { rows, cols, topology, toroidal } = spec;
  const lists: Int32Array[] = [];
  for (let k = 0; k < rows * cols; k++) {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const found = new Set<number>();
    for (const [dr, dc] of neighborOffsets(topology, adjacency, (r & 1) === 1)) {
      let rr = r + dr;
      let cc = c + dc;
      if (toroidal) {
        rr = (rr + rows) % rows;
        cc = (cc + cols) % cols;
      } else if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
      const j = rr * cols + cc;
      // On tiny tori a neighbour can be reached two ways, or be the cell itself.
      if (j !== k) found.add(j);
    }
    lists.push(Int32Array.from([...found].sort((p, q) => p - q)));
  }
  return lists;
}

export class Topology implements TopologySpec {
  readonly rows: number;
  readonly cols: number;
  readonly topology: TopologyKind;
  readonly toroidal: boolean;
  readonly distance: MapDistance;
  /** Number of cells K. */
  readonly size: number;
  /** Cell centres, K×2 (x, y): rectangular (c, r); hexagonal (c + ½·(r mod 2), r·√3/2). */
  readonly coords: Float64Array;
  /** Map distances δ between all cells, K×K row-major (symmetric, zero diagonal). */
  readonly distances: Float64Array;
  private readonly adjacencyCache = new Map<Adjacency, { lists: Int32Array[]; matrix: Uint8Array }>();

  constructor(options: TopologyOptions = {}) {
    const spec = resolveTopology(options);
    this.rows = spec.rows;
    this.cols = spec.cols;
    this.topology = spec.topology;
    this.toroidal = spec.toroidal;
    this.distance = spec.distance;
    const K = this.rows * this.cols;
    this.size = K;
    this.coords = new Float64Array(2 * K);
    for (let k = 0; k < K; k++) {
      const [x, y] = this.centre(this.row(k), this.col(k));
      this.coords[2 * k] = x;
      this.coords[2 * k + 1] = y;
    }
    this.distances = new Float64Array(K * K);
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) {
        const v = this.computeDistance(a, b);
        this.distances[a * K + b] = v;
        this.distances[b * K + a] = v;
      }
    }
  }

  row(k: number): number {
    return Math.floor(k / this.cols);
  }

  col(k: number): number {
    return k % this.cols;
  }

  /** Flat index of the cell at (row, col). */
  index(row: number, col: number): number {
    return row * this.cols + col;
  }

  /** δ(a, b) from the precomputed table. */
  distanceBetween(a: number, b: number): number {
    return this.distances[a * this.size + b];
  }

  /** The fully specified options (JSON-friendly). */
  spec(): TopologySpec {
    return { rows: this.rows, cols: this.cols, topology: this.topology, toroidal: this.toroidal, distance: this.distance };
  }

  private centre(r: number, c: number): [number, number] {
    return this.topology === 'hexagonal' ? [c + 0.5 * (r & 1), r * SQRT3_2] : [c, r];
  }

  /** Distance between cell a and the (possibly out-of-range, for torus images) position (r, c). */
  private latticeDistance(ra: number, ca: number, r: number, c: number): number {
    if (this.topology === 'hexagonal') {
      if (this.distance === 'euclidean') {
        const [xa, ya] = this.centre(ra, ca);
        // c + ½·(r mod 2) with r possibly negative: ((r % 2) + 2) % 2 keeps the parity right.
        const x = c + 0.5 * (((r % 2) + 2) % 2);
        const y = r * SQRT3_2;
        return Math.hypot(x - xa, y - ya);
      }
      const dq = c - Math.floor(r / 2) - (ca - Math.floor(ra / 2));
      const ds = r - ra;
      return (Math.abs(dq) + Math.abs(ds) + Math.abs(dq + ds)) / 2;
    }
    const dr = Math.abs(r - ra);
    const dc = Math.abs(c - ca);
    switch (this.distance) {
      case 'manhattan':
        return dr + dc;
      case 'euclidean':
        return Math.hypot(dr, dc);
      case 'chebyshev':
        return Math.max(dr, dc);
      case 'desom_reference': {
        const a = ra * this.cols + ca;
        const b = r * this.cols + c;
        return Math.floor(Math.abs(a - b) / this.cols) + Math.abs((a % this.cols) - (b % this.cols));
      }
    }
  }

  private computeDistance(a: number, b: number): number {
    const ra = this.row(a);
    const ca = this.col(a);
    const rb = this.row(b);
    const cb = this.col(b);
    if (!this.toroidal) return this.latticeDistance(ra, ca, rb, cb);
    let best = Infinity;
    for (let i = -1; i <= 1; i++) {
      for (let j = -1; j <= 1; j++) best = Math.min(best, this.latticeDistance(ra, ca, rb + i * this.rows, cb + j * this.cols));
    }
    return best;
  }

  private adjacencyData(adjacency: Adjacency): { lists: Int32Array[]; matrix: Uint8Array } {
    let data = this.adjacencyCache.get(adjacency);
    if (data === undefined) {
      const K = this.size;
      const lists = cellNeighbors(this, adjacency);
      const matrix = new Uint8Array(K * K);
      for (let k = 0; k < K; k++) for (const j of lists[k]) matrix[k * K + j] = 1;
      data = { lists, matrix };
      this.adjacencyCache.set(adjacency, data);
    }
    return data;
  }

  /** Cells adjacent to cell k (sorted, without k); see `Adjacency`. Cached per adjacency. */
  neighbors(k: number, adjacency: Adjacency = 'edge'): Int32Array {
    if (!Number.isInteger(k) || k < 0 || k >= this.size) throw new RangeError(`Topology.neighbors: expected a cell index in [0, ${this.size}), got ${k}`);
    return this.adjacencyData(adjacency).lists[k];
  }

  /** Whether cells a and b are adjacent (a ≠ b). */
  adjacent(a: number, b: number, adjacency: Adjacency = 'edge'): boolean {
    return this.adjacencyData(adjacency).matrix[a * this.size + b] === 1;
  }

  /** The K×K 0/1 adjacency matrix (shared, do not modify). */
  adjacencyMatrix(adjacency: Adjacency = 'edge'): Uint8Array {
    return this.adjacencyData(adjacency).matrix;
  }
}
