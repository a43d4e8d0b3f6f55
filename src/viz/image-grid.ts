/**
 * Image grids: many small images (dataset samples, reconstructions, decoded SOM prototypes) laid
 * out as one raster. Values are mapped linearly from `range` to 0..255, each image is upsampled
 * by pixel replication (`scale`) and cells are separated by `pad` pixels of `background`.
 *
 * Geometry (rectangular): width = 2·margin + cols·(w·scale) + (cols−1)·pad, and likewise for
 * the height with the number of grid rows; hexagonal maps add ⌊(w·scale + pad)/2⌋ to the width.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Raster } from './raster.js';

/** Layout and value mapping shared by imageGrid, pairedGrid and mapGrid. */
export interface ImageGridOptions {
  /** [h, w] (grey) or [h, w, c] with c = 1, 3 or 4 (interleaved channels, like the Raster). */
  imageShape: readonly [number, number] | readonly [number, number, number];
  /** Images per row (default ⌈√n⌉). */
  cols?: number;
  /** Pixels between cells (default 1), filled with `background`. */
  pad?: number;
  /** Integer upsampling by pixel replication (default 2). */
  scale?: number;
  /** Values mapped to 0..255 (default [0, 1]); 'auto' = min/max over every image drawn. */
  range?: readonly [number, number] | 'auto';
  /** Grey level 0..255 of padding and empty cells (default 255 = white). */
  background?: number;
  /** Draw 255 − v, i.e. ink dark on light (default false). */
  invert?: boolean;
  /** Pixels of `background` around the whole grid (default 0). */
  margin?: number;
}

interface Geometry {
  h: number;
  w: number;
  c: 1 | 3 | 4;
  features: number;
  scale: number;
  pad: number;
  margin: number;
  background: number;
  invert: boolean;
  cellW: number;
  cellH: number;
}

/** One image to draw: `features` floats of `src` from `offset`, at grid position (row, col). */
interface Cell {
  src: Float32Array;
  offset: number;
  row: number;
  col: number;
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function checkInt(fn: string, name: string, v: number, min: number, max = Infinity): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const bound = max === Infinity ? `an integer ≥ ${min}` : `an integer between ${min} and ${max}`;
    throw new RangeError(`${fn}: expected ${name} to be ${bound}, got ${v}`);
  }
}

function geometry(fn: string, o: ImageGridOptions): Geometry {
  const s = o?.imageShape;
  if (!Array.isArray(s) || (s.length !== 2 && s.length !== 3) || !s.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${fn}: expected imageShape [h, w] or [h, w, c] of positive integers, got ${Array.isArray(s) ? fmtShape(s) : String(s)}`);
  }
  const c = s.length === 3 ? s[2] : 1;
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new RangeError(`${fn}: expected imageShape channels c = 1, 3 or 4, got ${fmtShape(s)}`);
  }
  const scale = o.scale ?? 2;
  const pad = o.pad ?? 1;
  const margin = o.margin ?? 0;
  const background = o.background ?? 255;
  checkInt(fn, 'scale', scale, 1);
  checkInt(fn, 'pad', pad, 0);
  checkInt(fn, 'margin', margin, 0);
  checkInt(fn, 'background', background, 0, 255);
  return {
    h: s[0],
    w: s[1],
    c,
    features: s[0] * s[1] * c,
    scale,
    pad,
    margin,
    background,
    invert: o.invert ?? false,
    cellW: s[1] * scale,
    cellH: s[0] * scale,
  };
}

/** Validates an image batch and returns its number of images. */
function checkImages(fn: string, name: string, t: Tensor, g: Geometry, imageShape: readonly number[]): number {
  if (!t || !(t.data instanceof Float32Array) || t.rank < 2) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- reached when t is not a Tensor (a JS caller's value of any type); String() shows what was passed
    throw new RangeError(`${fn}: expected ${name} as a 2-D (n × features) tensor, got shape ${t?.shape ? fmtShape(t.shape) : String(t)}`);
  }
  const n = t.rows;
  if (n < 1) throw new RangeError(`${fn}: expected at least one image in ${name}, got 0`);
  const f = t.size / n;
  if (f !== g.features) {
    throw new RangeError(`${fn}: expected ${name} with ${g.features} features for imageShape ${fmtShape(imageShape)}, got ${f}`);
  }
  return n;
}

/**
 * The range to draw images of these pixel values in: [0, 1] when they lie about in [0, 1] (decoded
 * images with a linear output overshoot a little: clipped rather than stretched, which would turn
 * a black background grey), else their own min and max (a unit range from the value when constant).
 */
export function imageRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= -0.25 && hi <= 1.25 && hi > 0.5) return [0, 1];
  if (!(lo < hi)) {
    const base = Number.isFinite(lo) ? lo : 0;
    return [base, base + 1];
  }
  return [lo, hi];
}

function resolveRange(fn: string, range: ImageGridOptions['range'], tensors: readonly Tensor[]): [number, number] {
  if (range === undefined) return [0, 1];
  if (range === 'auto') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of tensors) {
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!(lo < hi)) {
      // Constant (or all-NaN) images: draw them at the bottom of a unit range instead of dividing by 0.
      const base = Number.isFinite(lo) ? lo : 0;
      return [base, base + 1];
    }
    return [lo, hi];
  }
  if (!Array.isArray(range) || range.length !== 2 || !Number.isFinite(range[0]) || !Number.isFinite(range[1]) || !(range[1] > range[0])) {
    throw new RangeError(`${fn}: expected range [lo, hi] with finite lo < hi, or 'auto', got ${Array.isArray(range) ? fmtShape(range) : String(range)}`);
  }
  return [range[0], range[1]];
}

/**
 * Draws `cells` on a new raster of `gridRows × gridCols` cells; `shift(row)` offsets a row to the
 * right (hexagonal maps) and `extraWidth` makes room for it.
 */
function compose(
  cells: readonly Cell[],
  gridRows: number,
  gridCols: number,
  g: Geometry,
  lo: number,
  hi: number,
  shift: (row: number) => number = () => 0,
  extraWidth = 0,
  rowGap: (row: number) => number = () => 0,
): Raster {
  const { c, cellW, cellH, pad, margin, scale, h, w, features } = g;
  const width = 2 * margin + gridCols * cellW + Math.max(0, gridCols - 1) * pad + extraWidth;
  const height = 2 * margin + gridRows * cellH + Math.max(0, gridRows - 1) * pad + rowGap(gridRows - 1);
  const data = new Uint8Array(width * height * c).fill(g.background);
  if (c === 4) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  const k = 255 / (hi - lo);
  const level = new Uint8Array(features);
  for (const cell of cells) {
    // Map the image's values to bytes once, then replicate each pixel scale×scale times.
    for (let i = 0; i < features; i++) {
      let t = (cell.src[cell.offset + i] - lo) * k;
      if (!(t > 0)) t = 0;
      else if (t > 255) t = 255;
      let q = Math.round(t);
      // Alpha (the 4th channel) is never inverted: inverting it would hide the ink instead.
      if (g.invert && !(c === 4 && i % 4 === 3)) q = 255 - q;
      level[i] = q;
    }
    const x0 = margin + cell.col * (cellW + pad) + shift(cell.row);
    const y0 = margin + cell.row * (cellH + pad) + rowGap(cell.row);
    for (let y = 0; y < h; y++) {
      for (let sy = 0; sy < scale; sy++) {
        let o = ((y0 + y * scale + sy) * width + x0) * c;
        for (let x = 0; x < w; x++) {
          const src = (y * w + x) * c;
          for (let sx = 0; sx < scale; sx++) {
            for (let ch = 0; ch < c; ch++) data[o + ch] = level[src + ch];
            o += c;
          }
        }
      }
    }
  }
  return { width, height, channels: c, data };
}

/**
 * Images (n × h·w·c) as a grid, row-major: image i goes to cell (⌊i/cols⌋, i mod cols).
 * Source: the usual "plot a batch of samples" figure (torchvision make_grid, without normalising per image).
 */
export function imageGrid(images: Tensor, o: ImageGridOptions): Raster {
  const fn = 'imageGrid';
  const g = geometry(fn, o);
  const n = checkImages(fn, 'images', images, g, o.imageShape);
  const cols = o.cols ?? Math.ceil(Math.sqrt(n));
  checkInt(fn, 'cols', cols, 1);
  const [lo, hi] = resolveRange(fn, o.range, [images]);
  const cells: Cell[] = [];
  for (let i = 0; i < n; i++) cells.push({ src: images.data, offset: i * g.features, row: Math.floor(i / cols), col: i % cols });
  return compose(cells, Math.ceil(n / cols), Math.min(cols, n), g, lo, hi);
}

/**
 * Originals over their reconstructions: rows alternate `cols` images of `top` then the same
 * `cols` of `bottom` (block b holds images b·cols … b·cols+cols−1). 'auto' range spans both, so
 * the two rows are comparable. `pairGap` adds pixels between blocks (default 0).
 */
export function pairedGrid(top: Tensor, bottom: Tensor, o: ImageGridOptions & { cols: number; pairGap?: number }): Raster {
  const fn = 'pairedGrid';
  const g = geometry(fn, o);
  const n = checkImages(fn, 'top', top, g, o.imageShape);
  const nb = checkImages(fn, 'bottom', bottom, g, o.imageShape);
  if (nb !== n) throw new RangeError(`${fn}: expected bottom to have as many images as top (${n}), got ${nb}`);
  const cols = o?.cols;
  checkInt(fn, 'cols', cols, 1);
  const pairGap = o.pairGap ?? 0;
  checkInt(fn, 'pairGap', pairGap, 0);
  const [lo, hi] = resolveRange(fn, o.range, [top, bottom]);
  const cells: Cell[] = [];
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / cols);
    const col = i % cols;
    cells.push({ src: top.data, offset: i * g.features, row: 2 * block, col });
    cells.push({ src: bottom.data, offset: i * g.features, row: 2 * block + 1, col });
  }
  const blocks = Math.ceil(n / cols);
  return compose(cells, 2 * blocks, Math.min(cols, n), g, lo, hi, undefined, 0, (row) => Math.floor(row / 2) * pairGap);
}

/**
 * A SOM's prototypes (K × h·w·c, K = mapRows·mapCols, row-major cells) drawn on the map grid.
 * Hexagonal maps shift odd rows right by ⌊(w·scale + pad)/2⌋, half a cell, as in the offset
 * layout of the hexagonal topology.
 */
export function mapGrid(prototypes: Tensor, mapRows: number, mapCols: number, o: ImageGridOptions & { topology?: 'rectangular' | 'hexagonal' }): Raster {
  const fn = 'mapGrid';
  checkInt(fn, 'mapRows', mapRows, 1);
  checkInt(fn, 'mapCols', mapCols, 1);
  const g = geometry(fn, o);
  const k = checkImages(fn, 'prototypes', prototypes, g, o.imageShape);
  if (k !== mapRows * mapCols) {
    throw new RangeError(`${fn}: expected ${mapRows}×${mapCols} = ${mapRows * mapCols} prototypes, got ${k}`);
  }
  const topology = o.topology ?? 'rectangular';
  let halfCell: number;
  switch (topology) {
    case 'rectangular':
      halfCell = 0;
      break;
    case 'hexagonal':
      halfCell = Math.floor((g.cellW + g.pad) / 2);
      break;
    default:
      throw new RangeError(`${fn}: expected topology 'rectangular' or 'hexagonal', got ${String(topology)}`);
  }
  const [lo, hi] = resolveRange(fn, o.range, [prototypes]);
  const cells: Cell[] = [];
  for (let i = 0; i < k; i++) cells.push({ src: prototypes.data, offset: i * g.features, row: Math.floor(i / mapCols), col: i % mapCols });
  const extra = mapRows > 1 ? halfCell : 0;
  return compose(cells, mapRows, mapCols, g, lo, hi, (row) => (row % 2 === 1 ? halfCell : 0), extra);
}

/**
 * Rasters stacked top to bottom, left-aligned, `gap` pixels apart (default 4); narrower parts are
 * padded on the right with `background` (default 255). All parts need the same channel count.
 */
export function stackRasters(parts: Raster[], gap = 4, background = 255): Raster {
  const fn = 'stackRasters';
  if (!Array.isArray(parts) || parts.length === 0) throw new RangeError(`${fn}: expected at least one raster, got ${Array.isArray(parts) ? 0 : String(parts)}`);
  checkInt(fn, 'gap', gap, 0);
  checkInt(fn, 'background', background, 0, 255);
  const c = parts[0].channels;
  let width = 0;
  let height = 0;
  parts.forEach((p, i) => {
    if (p.channels !== c) throw new RangeError(`${fn}: expected every raster to have ${c} channels like the first, got ${p.channels} for raster ${i}`);
    if (p.data.length !== p.width * p.height * p.channels) {
      throw new RangeError(`${fn}: expected raster ${i} to hold ${p.width * p.height * p.channels} bytes, got ${p.data.length}`);
    }
    width = Math.max(width, p.width);
    height += p.height + (i > 0 ? gap : 0);
  });
  const data = new Uint8Array(width * height * c).fill(background);
  if (c === 4) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  let y0 = 0;
  for (const p of parts) {
    const rowBytes = p.width * c;
    for (let y = 0; y < p.height; y++) data.set(p.data.subarray(y * rowBytes, (y + 1) * rowBytes), (y0 + y) * width * c);
    y0 += p.height + gap;
  }
  return { width, height, channels: c, data };
}
