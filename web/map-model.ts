/**
 * What the map view knows about a SOM or DESOM run, without the DOM: the map's shape from the
 * run's config.json, which rows each cell holds (its BMU rows), per-cell counts of a selection, and
 * the layers' values — U-matrix, hits, majority class and purity (the same functions the run's
 * figures use, src/som/cells.ts), component planes, prototypes as grey pixels. A running DESOM's
 * live snapshot has no rows: its hits and classes come from per-cell counts.
 */
import { cellLabels, cellMembers, hitMap, uMatrixOf, type CellLabels } from '../src/som/cells.js';
import type { TopologyKind } from '../src/som/topology.js';
import { imageRange } from '../src/viz/image-grid.js';
import type { NpyArray } from './npy.js';

/** The lattice of a map. */
export interface MapShape {
  rows: number;
  cols: number;
  topology: TopologyKind;
  toroidal: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * The map of a som or desom run: config.json's `map` (rows, cols, topology, toroidal) as the
 * training wrote it, else the resolved config's `map` ('8x8') and `topology`.
 */
export function mapShapeOf(record: Record<string, unknown> | null, config: Record<string, unknown>): MapShape {
  const m = record?.map;
  const topologyOf = (v: unknown): TopologyKind => (v === 'hexagonal' ? 'hexagonal' : 'rectangular');
  if (isObject(m) && positiveInt(m.rows) && positiveInt(m.cols))
    return { rows: m.rows, cols: m.cols, topology: topologyOf(m.topology ?? config.topology), toroidal: m.toroidal === true };
  const size = typeof config.map === 'string' ? /^(\d+)x(\d+)$/.exec(config.map) : null;
  if (size === null)
    throw new Error(`mapShapeOf: the run's config.json has no map { rows, cols } and its config's map is ${JSON.stringify(config.map)}; expected e.g. "8x8"`);
  return { rows: Number(size[1]), cols: Number(size[2]), topology: topologyOf(config.topology), toroidal: config.toroidal === true };
}

/** [height, width] of the dataset's images (config.json's dataset.image_shape), or null for other data. */
export function imageShapeOf(record: Record<string, unknown> | null): [number, number] | null {
  const ds = record?.dataset;
  const s = isObject(ds) ? ds.image_shape : undefined;
  return Array.isArray(s) && s.length === 2 && positiveInt(s[0]) && positiveInt(s[1]) ? [s[0], s[1]] : null;
}

/** Float values (prototypes) as a Float32Array or Float64Array; K rows of `dim` values. */
export function matrixOf(a: NpyArray, rows: number, what: string): { data: Float32Array | Float64Array; dim: number } {
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) throw new Error(`matrixOf: expected ${what} as floats, got dtype ${a.dtype}`);
  if (a.shape.length !== 2 || a.shape[0] !== rows)
    throw new Error(`matrixOf: expected ${what} of shape (${rows}, d), one row per cell of the map, got (${a.shape.join(', ')})`);
  return { data: a.data, dim: a.shape[1] };
}

/**
 * Per-cell counts given as they are (a live snapshot holds no per-row BMUs): the hits, and each
 * cell's majority class and purity (null without classes).
 */
export interface GivenCells {
  hits: Int32Array;
  classes: CellLabels | null;
}

/**
 * Majority class and purity per cell from a K × C table of rows per cell and class (a live
 * snapshot's live_class_counts.npy); as cellLabels: ties go to the smaller class, an empty cell is
 * labelled −1 with purity NaN.
 */
export function cellLabelsOfCounts(counts: ArrayLike<number>, cells: number, classes: number): CellLabels {
  if (!(Number.isInteger(classes) && classes > 0) || counts.length !== cells * classes)
    throw new RangeError(`cellLabelsOfCounts: expected ${cells} cells × ${classes} classes of counts, got ${counts.length} values`);
  const label = new Int32Array(cells).fill(-1);
  const purity = new Float64Array(cells).fill(NaN);
  const count = new Int32Array(cells);
  for (let k = 0; k < cells; k++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const v = counts[k * classes + c];
      count[k] += v;
      if (v > counts[k * classes + best]) best = c;
    }
    if (count[k] === 0) continue;
    label[k] = best;
    purity[k] = counts[k * classes + best] / count[k];
  }
  return { label, purity, count };
}

/** The cells' rows, counts and layers of one run's map. */
export class MapModel {
  /** Number of cells. */
  readonly size: number;
  private members: Int32Array[] | null = null;
  private hitsCache: Int32Array | null = null;
  private classesCache: CellLabels | null = null;
  private umatrixCache: Float64Array | null = null;

  /**
   * `bmus`: each row's cell; `labels`: each row's class (or null); `prototypes`: the map's
   * prototypes, one row of `dim` values per cell (or null); `given`: the cells' hits and classes
   * when there are no rows to count them from (then `bmus` is empty and no cell holds a row).
   */
  constructor(
    readonly shape: MapShape,
    readonly bmus: Int32Array,
    readonly labels: Int32Array | null,
    readonly prototypes: { data: Float32Array | Float64Array; dim: number } | null,
    private readonly given: GivenCells | null = null,
  ) {
    this.size = shape.rows * shape.cols;
    if (given !== null && (given.hits.length !== this.size || (given.classes !== null && given.classes.label.length !== this.size)))
      throw new RangeError(`MapModel: expected the given hits and classes of ${this.size} cells, got ${given.hits.length}`);
    for (let i = 0; i < bmus.length; i++)
      if (!(bmus[i] >= 0 && bmus[i] < this.size)) throw new RangeError(`MapModel: row ${i}'s BMU is ${bmus[i]}; expected a cell in 0..${this.size - 1}`);
    if (labels !== null && labels.length !== bmus.length) throw new RangeError(`MapModel: expected ${bmus.length} labels (one per BMU), got ${labels.length}`);
  }

  /** The rows whose BMU is `cell`, increasing. */
  rowsOf(cell: number): Int32Array {
    if (!Number.isInteger(cell) || cell < 0 || cell >= this.size) throw new RangeError(`MapModel.rowsOf: expected a cell in 0..${this.size - 1}, got ${cell}`);
    this.members ??= cellMembers(this.bmus, this.size);
    return this.members[cell];
  }

  /** How many of `rows` each cell holds (K counts). */
  countsOf(rows: ArrayLike<number>): Int32Array {
    const out = new Int32Array(this.size);
    for (let i = 0; i < rows.length; i++) out[this.bmus[rows[i]]]++;
    return out;
  }

  get hits(): Int32Array {
    return (this.hitsCache ??= this.given?.hits ?? hitMap(this.bmus, this.size));
  }

  /** Majority class and purity per cell (null without labels). */
  get classes(): CellLabels | null {
    if (this.given !== null) return this.given.classes;
    if (this.labels === null) return null;
    return (this.classesCache ??= cellLabels(this.bmus, this.labels, this.size));
  }

  /** Mean distance from each prototype to its edge neighbours' (null without prototypes). */
  get umatrix(): Float64Array | null {
    if (this.prototypes === null) return null;
    return (this.umatrixCache ??= uMatrixOf(this.shape, this.prototypes.data, this.prototypes.dim));
  }

  /** Component plane: feature `f` of every prototype. */
  component(f: number): Float64Array {
    const p = this.prototypes;
    if (p === null) throw new Error('MapModel.component: this map has no prototypes');
    if (!Number.isInteger(f) || f < 0 || f >= p.dim) throw new RangeError(`MapModel.component: expected a feature in 0..${p.dim - 1}, got ${f}`);
    const out = new Float64Array(this.size);
    for (let k = 0; k < this.size; k++) out[k] = p.data[k * p.dim + f];
    return out;
  }
}

/**
 * Images (K rows of h·w pixels) as 8-bit grey levels, in the range the run's figures draw them in
 * (`imageRange`: [0, 1] for pixels about in it, else min to max), clipped.
 */
export function greyLevels(images: ArrayLike<number>): Uint8ClampedArray {
  const [lo, hi] = imageRange(images);
  const out = new Uint8ClampedArray(images.length);
  const k = 255 / (hi - lo);
  for (let i = 0; i < images.length; i++) out[i] = (images[i] - lo) * k;
  return out;
}

/** [min, max] of the finite values (NaN, NaN when there is none). */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
