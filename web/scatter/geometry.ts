/**
 * The scatter's geometry over typed arrays (points as x,y pairs in one Float32Array): bounds, the
 * lasso's point-in-polygon test, a uniform grid for the nearest point under the cursor, and the
 * pixels of the rasterizer's discs. No DOM here, so the tests run it in Node.
 */

export interface Bounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The box holding every finite point of `xy` (a unit box around 0 when there is none). */
export function boundsOf(xy: Float32Array): Bounds {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i];
    const y = xy[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 > x1) return { x0: -1, y0: -1, x1: 1, y1: 1 };
  // A degenerate box (one point, a line) gets some extent so that it can be fitted to a screen.
  if (x1 - x0 < 1e-12) {
    x0 -= 1;
    x1 += 1;
  }
  if (y1 - y0 < 1e-12) {
    y0 -= 1;
    y1 += 1;
  }
  return { x0, y0, x1, y1 };
}

/**
 * Whether (x, y) lies inside the polygon `poly` (x0, y0, x1, y1, …; closed implicitly) by the
 * even-odd rule: a ray to +x crosses its edges an odd number of times. A point exactly on an edge
 * may fall either way.
 */
export function pointInPolygon(x: number, y: number, poly: ArrayLike<number>): boolean {
  const m = poly.length >> 1;
  let inside = false;
  for (let i = 0, j = m - 1; i < m; j = i++) {
    const xi = poly[2 * i];
    const yi = poly[2 * i + 1];
    const xj = poly[2 * j];
    const yj = poly[2 * j + 1];
    // Half-open in y, so a vertex on the ray is counted once.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The indices (increasing) of the points of `xy` inside the polygon `poly` (see pointInPolygon). */
export function pointsInPolygon(xy: Float32Array, poly: ArrayLike<number>): Int32Array {
  if (poly.length < 6 || poly.length % 2 !== 0) return new Int32Array(0);
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (let k = 0; k < poly.length; k += 2) {
    bx0 = Math.min(bx0, poly[k]);
    bx1 = Math.max(bx1, poly[k]);
    by0 = Math.min(by0, poly[k + 1]);
    by1 = Math.max(by1, poly[k + 1]);
  }
  const out = new Int32Array(xy.length >> 1);
  let count = 0;
  for (let i = 0, p = 0; i < xy.length; i += 2, p++) {
    const x = xy[i];
    const y = xy[i + 1];
    // The polygon's box first: most points of a small lasso are far outside it.
    if (x < bx0 || x > bx1 || y < by0 || y > by1) continue;
    if (pointInPolygon(x, y, poly)) out[count++] = p;
  }
  return out.slice(0, count);
}

/**
 * A uniform grid over the points, for the nearest point to the cursor in O(points near it): the
 * points sorted by cell (counting sort), each cell's range in `start`.
 */
export class GridIndex {
  readonly cols: number;
  readonly rows: number;
  private readonly bounds: Bounds;
  private readonly cw: number;
  private readonly ch: number;
  /** Cell c's points are order[start[c] .. start[c + 1]). */
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  /** `perCell`: the mean number of points per cell aimed at. */
  constructor(
    private readonly xy: Float32Array,
    perCell = 4,
  ) {
    const n = xy.length >> 1;
    this.bounds = boundsOf(xy);
    const side = Math.max(1, Math.min(2048, Math.round(Math.sqrt(n / perCell))));
    this.cols = side;
    this.rows = side;
    this.cw = (this.bounds.x1 - this.bounds.x0) / side;
    this.ch = (this.bounds.y1 - this.bounds.y0) / side;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(side * side + 1);
    for (let p = 0; p < n; p++) {
      const c = this.cell(xy[2 * p], xy[2 * p + 1]);
      cellOf[p] = c;
      if (c >= 0) counts[c + 1]++;
    }
    for (let c = 0; c < side * side; c++) counts[c + 1] += counts[c];
    this.start = counts.slice();
    this.order = new Int32Array(counts[side * side]);
    const fill = counts;
    for (let p = 0; p < n; p++) if (cellOf[p] >= 0) this.order[fill[cellOf[p]]++] = p;
  }

  /** The cell holding (x, y), or −1 for a point that is not finite. */
  private cell(x: number, y: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.bounds.x0) / this.cw)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.bounds.y0) / this.ch)));
    return cy * this.cols + cx;
  }

  /** The point nearest to (x, y) within distance `r` (ties: the smaller index), or −1. */
  nearest(x: number, y: number, r: number): number {
    const { x0, y0 } = this.bounds;
    const cx0 = Math.max(0, Math.floor((x - r - x0) / this.cw));
    const cx1 = Math.min(this.cols - 1, Math.floor((x + r - x0) / this.cw));
    const cy0 = Math.max(0, Math.floor((y - r - y0) / this.ch));
    const cy1 = Math.min(this.rows - 1, Math.floor((y + r - y0) / this.ch));
    let best = -1;
    let bestD = r * r;
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.cols + cx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const p = this.order[k];
          const dx = this.xy[2 * p] - x;
          const dy = this.xy[2 * p + 1] - y;
          const d = dx * dx + dy * dy;
          if (d < bestD || (d === bestD && (best < 0 || p < best))) {
            bestD = d;
            best = p;
          }
        }
      }
    }
    return best;
  }
}

/** A disc's pixels around its centre: offsets and coverage (0..256). */
export interface Stamp {
  dx: Int32Array;
  dy: Int32Array;
  cover: Int32Array;
}

/** The pixels a disc of `radius` covers, with its edge's coverage estimated on a 4 × 4 sub-grid. */
export function discStamp(radius: number): Stamp {
  const r = Math.max(0.5, radius);
  const reach = Math.ceil(r);
  const dx: number[] = [];
  const dy: number[] = [];
  const cover: number[] = [];
  for (let y = -reach; y <= reach; y++) {
    for (let x = -reach; x <= reach; x++) {
      let inside = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const px = x - 0.5 + (sx + 0.5) / 4;
          const py = y - 0.5 + (sy + 0.5) / 4;
          if (px * px + py * py <= r * r) inside++;
        }
      if (inside === 0) continue;
      dx.push(x);
      dy.push(y);
      cover.push(inside * 16);
    }
  }
  return { dx: Int32Array.from(dx), dy: Int32Array.from(dy), cover: Int32Array.from(cover) };
}
