/**
 * SOM cell maps as hand-written SVG (no vega): one rect (rectangular) or pointy-top hexagon
 * (hexagonal; odd rows shifted right by half a cell, neighbours one cell apart) per map unit,
 * for U-matrices (values), hit maps (values + counts as text) and class maps (categories with
 * purity as opacity). Cells carry class="cell" and a <title> tooltip.
 */
import { escapeHtml, formatNumber, hashString } from './format.js';
import { categoryColor, colorAt, textColorOn, type ColorScaleName } from './palette.js';

/** What to draw in each cell of a SOM map; categories take precedence over values. */
export interface CellMapOptions {
  title: string;
  rows: number;
  cols: number;
  topology?: 'rectangular' | 'hexagonal';
  /** Per cell (index r·cols + c), coloured by colorScale; NaN = empty cell. */
  values?: ArrayLike<number>;
  colorScale?: 'viridis' | 'greys' | 'blues';
  /** Values mapped to the ends of the colour scale (default: min/max of the finite values). */
  domain?: readonly [number, number];
  /** Per cell class index (-1 = empty), categorical colours (overrides values). */
  categories?: Int32Array;
  categoryNames?: readonly string[];
  /** Per cell opacity 0..1 (e.g. purity). */
  alpha?: ArrayLike<number>;
  /** Per cell label drawn in the cell. */
  text?: readonly string[];
  /** Title of the colour bar (values) or category legend. */
  legendTitle?: string;
  /** Cell width in pixels (default: fits the map in about 480 px, between 12 and 40). */
  cellSize?: number;
}

const EMPTY_FILL = '#f4f4f4';
const CELL_STROKE = '#d9d9d9';
const PAD = 12;
const TITLE_H = 34;

function n2(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** Rough text width at `size` px in a sans-serif font (no font metrics needed for layout). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

function checkLength(fn: string, name: string, a: ArrayLike<unknown> | undefined, k: number, rows: number, cols: number): void {
  if (a !== undefined && a.length !== k) {
    throw new RangeError(`${fn}: expected ${name} with ${k} entries (one per cell of the ${rows}×${cols} map), got ${a.length}`);
  }
}

/** Where a map's cells are drawn: centres, outlines and the grid's extent. */
export interface CellLayout {
  /** Cell centres, K×2 (x, y), row-major cells. */
  centres: Float64Array;
  /** Each cell's outline: its 4 (rectangle) or 6 (pointy-top hexagon) corners, x and y interleaved. */
  outlines: Float64Array[];
  /** The grid's width and height from (x0, y0). */
  width: number;
  height: number;
}

/**
 * The drawing of a rows×cols map with cells `s` px across, from (x0, y0): squares, or pointy-top
 * hexagons with odd rows shifted right by half a cell and neighbours `s` apart (the lattice of
 * src/som/topology.ts, scaled).
 */
export function cellLayout(rows: number, cols: number, topology: 'rectangular' | 'hexagonal', s: number, x0 = 0, y0 = 0): CellLayout {
  const hex = topology === 'hexagonal';
  const R = s / Math.sqrt(3); // hexagon circumradius when neighbours are s apart
  const K = rows * cols;
  const centres = new Float64Array(2 * K);
  const outlines: Float64Array[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (hex) {
        const cx = x0 + s / 2 + c * s + (r % 2 === 1 ? s / 2 : 0);
        const cy = y0 + R + r * 1.5 * R;
        const pts = new Float64Array(12);
        for (let j = 0; j < 6; j++) {
          const ang = (Math.PI / 3) * j + Math.PI / 6;
          pts[2 * j] = cx + R * Math.cos(ang);
          pts[2 * j + 1] = cy + R * Math.sin(ang);
        }
        centres[2 * i] = cx;
        centres[2 * i + 1] = cy;
        outlines.push(pts);
      } else {
        const x = x0 + c * s;
        const y = y0 + r * s;
        centres[2 * i] = x + s / 2;
        centres[2 * i + 1] = y + s / 2;
        outlines.push(Float64Array.from([x, y, x + s, y, x + s, y + s, x, y + s]));
      }
    }
  }
  return {
    centres,
    outlines,
    width: hex ? cols * s + (rows > 1 ? s / 2 : 0) : cols * s,
    height: hex ? 2 * R + (rows - 1) * 1.5 * R : rows * s,
  };
}

/** A SOM map as SVG: U-matrix, hit map or class map, with a colour bar or category legend. */
export function cellMapSvg(o: CellMapOptions): string {
  const fn = 'cellMapSvg';
  const { rows, cols } = o;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new RangeError(`${fn}: expected rows and cols to be positive integers, got ${rows}×${cols}`);
  }
  if (typeof o.title !== 'string') throw new TypeError(`${fn}: expected title to be a string, got ${typeof o.title}`);
  const k = rows * cols;
  checkLength(fn, 'values', o.values, k, rows, cols);
  checkLength(fn, 'categories', o.categories, k, rows, cols);
  checkLength(fn, 'alpha', o.alpha, k, rows, cols);
  checkLength(fn, 'text', o.text, k, rows, cols);
  const topology = o.topology ?? 'rectangular';
  if (topology !== 'rectangular' && topology !== 'hexagonal') {
    throw new RangeError(`${fn}: expected topology 'rectangular' or 'hexagonal', got ${String(topology)}`);
  }
  const scaleName: ColorScaleName = o.colorScale ?? 'viridis';
  if (!['viridis', 'greys', 'blues'].includes(scaleName)) {
    throw new RangeError(`${fn}: expected colorScale 'viridis', 'greys' or 'blues', got ${String(scaleName)}`);
  }
  const hex = topology === 'hexagonal';
  const s = o.cellSize ?? Math.max(12, Math.min(40, Math.floor(480 / (cols + (hex ? 0.5 : 0)))));
  if (!Number.isFinite(s) || s <= 0) throw new RangeError(`${fn}: expected cellSize to be a positive number, got ${s}`);

  // Colour domain for values.
  let lo = Infinity;
  let hi = -Infinity;
  const useValues = o.values !== undefined && o.categories === undefined;
  if (useValues) {
    if (o.domain) {
      [lo, hi] = o.domain;
      if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi >= lo)) {
        throw new RangeError(`${fn}: expected domain [lo, hi] with finite lo ≤ hi, got [${lo}, ${hi}]`);
      }
    } else {
      for (let i = 0; i < k; i++) {
        const v = o.values![i];
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
  }
  const hasDomain = useValues && lo <= hi;
  const toT = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);

  // Geometry: cell centres and outlines.
  const x0 = PAD;
  const y0 = TITLE_H;
  const geometry = cellLayout(rows, cols, topology, s, x0, y0);
  const gridW = geometry.width;
  const gridH = geometry.height;
  const fontSize = Math.max(7, Math.min(14, s * 0.32));

  const body: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      let fill = EMPTY_FILL;
      let what = 'empty';
      if (o.categories) {
        const cat = o.categories[i];
        if (cat >= 0) {
          fill = categoryColor(cat);
          what = o.categoryNames?.[cat] ?? `class ${cat}`;
        }
      } else if (useValues) {
        const v = o.values![i];
        if (Number.isFinite(v)) {
          fill = colorAt(scaleName, toT(v));
          what = formatNumber(v);
        }
      }
      const a = o.alpha ? Math.min(1, Math.max(0, Number.isFinite(o.alpha[i]) ? o.alpha[i] : 1)) : 1;
      const opacity = a < 1 ? ` fill-opacity="${n2(a)}"` : '';
      const tip = `<title>${escapeHtml(`(${r}, ${c}) ${what}${o.alpha ? ` · ${formatNumber(a, 3)}` : ''}`)}</title>`;
      const cx = geometry.centres[2 * i];
      const cy = geometry.centres[2 * i + 1];
      if (hex) {
        const o = geometry.outlines[i];
        const pts: string[] = [];
        for (let j = 0; j < 6; j++) pts.push(`${n2(o[2 * j])},${n2(o[2 * j + 1])}`);
        body.push(`<polygon class="cell" points="${pts.join(' ')}" fill="${fill}"${opacity} stroke="${CELL_STROKE}" stroke-width="0.75">${tip}</polygon>`);
      } else {
        body.push(
          `<rect class="cell" x="${n2(x0 + c * s)}" y="${n2(y0 + r * s)}" width="${n2(s)}" height="${n2(s)}" fill="${fill}"${opacity} stroke="${CELL_STROKE}" stroke-width="0.75">${tip}</rect>`,
        );
      }
      const label = o.text?.[i];
      if (label !== undefined && label !== '') {
        const ink = fill === EMPTY_FILL ? '#555555' : textColorOn(fill, a);
        body.push(
          `<text x="${n2(cx)}" y="${n2(cy)}" text-anchor="middle" dominant-baseline="central" font-size="${n2(fontSize)}" fill="${ink}">${escapeHtml(label)}</text>`,
        );
      }
    }
  }

  // Legend: a colour bar for values, swatches for categories.
  const lx = x0 + gridW + 20;
  const legend: string[] = [];
  let legendW = 0;
  let legendH = 0;
  const legendTitle = o.legendTitle ?? '';
  if (legendTitle) {
    legend.push(`<text x="${n2(lx)}" y="${y0 + 10}" font-size="12" font-weight="bold" fill="#000000">${escapeHtml(legendTitle)}</text>`);
    legendW = textWidth(legendTitle, 12) * 1.1;
  }
  const ly = y0 + (legendTitle ? 20 : 0);
  if (o.categories) {
    const present = [...new Set(Array.from(o.categories).filter((v) => v >= 0))].sort((a, b) => a - b);
    present.forEach((cat, j) => {
      const name = o.categoryNames?.[cat] ?? `class ${cat}`;
      const y = ly + j * 18;
      legend.push(`<rect x="${n2(lx)}" y="${n2(y)}" width="12" height="12" fill="${categoryColor(cat)}"/>`);
      legend.push(`<text x="${n2(lx + 18)}" y="${n2(y + 10)}" font-size="11" fill="#000000">${escapeHtml(name)}</text>`);
      legendW = Math.max(legendW, 18 + textWidth(name, 11));
    });
    legendH = (legendTitle ? 20 : 0) + present.length * 18;
  } else if (hasDomain) {
    const id = `cellmap-bar-${hashString(`${o.title}|${rows}|${cols}|${lo}|${hi}|${scaleName}`)}`;
    const barH = Math.max(60, Math.min(200, gridH - (legendTitle ? 20 : 0)));
    const stops: string[] = [];
    for (let j = 0; j <= 10; j++) stops.push(`<stop offset="${j * 10}%" stop-color="${colorAt(scaleName, 1 - j / 10)}"/>`);
    legend.push(`<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops.join('')}</linearGradient></defs>`);
    legend.push(`<rect x="${n2(lx)}" y="${n2(ly)}" width="14" height="${n2(barH)}" fill="url(#${id})" stroke="${CELL_STROKE}" stroke-width="0.5"/>`);
    const ticks = hi > lo ? [hi, (lo + hi) / 2, lo] : [lo];
    ticks.forEach((v, j) => {
      const y = ticks.length === 1 ? ly + barH / 2 : ly + (j * barH) / 2;
      const label = formatNumber(v, 3);
      legend.push(`<line x1="${n2(lx + 14)}" y1="${n2(y)}" x2="${n2(lx + 18)}" y2="${n2(y)}" stroke="#888888"/>`);
      legend.push(`<text x="${n2(lx + 21)}" y="${n2(y)}" dominant-baseline="central" font-size="11" fill="#000000">${escapeHtml(label)}</text>`);
      legendW = Math.max(legendW, 21 + textWidth(label, 11));
    });
    legendH = (legendTitle ? 20 : 0) + barH;
  }

  const width = Math.ceil(Math.max(x0 + gridW + (legend.length ? 20 + legendW : 0), textWidth(o.title, 14) + 2 * PAD) + PAD);
  const height = Math.ceil(y0 + Math.max(gridH, legendH) + PAD);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PAD}" y="22" font-size="14" font-weight="bold" fill="#000000">${escapeHtml(o.title)}</text>`,
    ...body,
    ...legend,
    '</svg>',
  ].join('\n');
}
