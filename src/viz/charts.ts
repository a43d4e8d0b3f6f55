/**
 * Charts as SVG strings: Vega-Lite specs compiled by vega-lite and rendered headless by vega
 * (`renderer: 'none'` + `toSVG()`: no canvas, no DOM). Data is always inline and the view gets a
 * loader that refuses every URL or file, so rendering never touches the network; text is measured
 * with vega's built-in estimate (no font files). Same input → same SVG string.
 */
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { hashString } from './format.js';
import { categoryColor } from './palette.js';

/** One named line: y against x (equal lengths; non-finite points are dropped). */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

type Row = Record<string, string | number>;

/** Shared look: light grid, sans-serif text, white background, titles anchored left. */
const CONFIG = {
  background: 'white',
  font: 'sans-serif',
  padding: 8,
  view: { stroke: '#cccccc' },
  title: { fontSize: 14, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eeeeee', domainColor: '#888888', tickColor: '#888888' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220 },
} as const;

/** A vega loader that rejects every request: charts are built from inline data only. */
const offlineLoader: Vega.Loader = {
  load: (uri: string) => Promise.reject(new Error(`charts: refusing to load ${uri}; charts use inline data only`)),
  sanitize: (uri: string) => Promise.reject(new Error(`charts: refusing to resolve ${uri}; charts use inline data only`)),
  http: (uri: string) => Promise.reject(new Error(`charts: refusing HTTP request to ${uri}`)),
  file: (name: string) => Promise.reject(new Error(`charts: refusing to read file ${name}`)),
};

const GEOMETRY_ATTR = / (transform|d|x|y|x1|x2|y1|y2|width|height|cx|cy|r)="([^"]*)"/g;
const LONG_DECIMAL = /-?\d+\.\d{3,}(?:e-?\d+)?/g;

/**
 * vega numbers clip paths and gradients from a process-wide counter (clip3, gradient_7), so the
 * same chart drawn twice would differ. Renames every id to `v<hash>-<k>` in order of first
 * appearance, the hash taken from the chart itself: deterministic, and distinct between charts
 * if several SVGs are ever inlined in one page.
 */
function stableIds(svg: string): string {
  const ids = [...new Set(Array.from(svg.matchAll(/ id="([^"]+)"/g), (m) => m[1]))];
  if (ids.length === 0) return svg;
  let out = svg;
  ids.forEach((id, k) => {
    for (const [before, after] of [
      [`id="${id}"`, `id="\u0000${k}"`],
      [`url(#${id})`, `url(#\u0000${k})`],
      [`href="#${id}"`, `href="#\u0000${k}"`],
    ]) {
      out = out.split(before).join(after);
    }
  });
  const prefix = `v${hashString(out)}-`;
  return out.split('\u0000').join(prefix);
}

/** A vega circle symbol: a path translated to its centre, drawn as two arcs of radius r. */
const CIRCLE_PATH = /<path transform="translate\((-?[\d.e-]+),(-?[\d.e-]+)\)" d="M(-?[\d.]+),0A\3,\3,0,1,1,-\3,0A\3,\3,0,1,1,\3,0"((?: [a-z-]+="[^"]*")*)\/>/g;

function round(v: number, digits: number): string {
  const k = 10 ** digits;
  const r = Math.round(v * k) / k;
  return String(Object.is(r, -0) ? 0 : r);
}

/**
 * Shrinks vega's SVG without changing the picture: circle symbols become `<circle>` elements
 * with centres at 0.1 px (a 10,000-point scatter drops from ~1.5 MB to well under 1 MB), and
 * geometry attributes are rounded to 2 decimals (vega writes e.g. 109.95000000000002).
 * Text content is untouched.
 */
function compactSvg(svg: string): string {
  svg = stableIds(svg);
  const circles = svg.replace(CIRCLE_PATH, (_m, x: string, y: string, r: string, rest: string) => {
    // Without a stroke, stroke-width draws nothing; drop it to save bytes.
    const attrs = rest.includes(' stroke=') ? rest : rest.replace(/ stroke-width="[^"]*"/, '');
    return `<circle cx="${round(Number(x), 1)}" cy="${round(Number(y), 1)}" r="${round(Number(r), 2)}"${attrs}/>`;
  });
  return circles.replace(GEOMETRY_ATTR, (_m, attr: string, value: string) => ` ${attr}="${value.replace(LONG_DECIMAL, (num) => round(Number(num), 2))}"`);
}

type VegaLogger = NonNullable<NonNullable<ConstructorParameters<typeof Vega.View>[1]>['logger']>;

/**
 * A logger that keeps vega's and vega-lite's messages instead of printing them (only the CLI
 * prints); errors are collected so a chart that failed to render throws instead of coming out
 * blank.
 */
function collectingLogger(errors: string[], warnings: string[]): VegaLogger {
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger = {
    level(_?: number) {
      return arguments.length ? logger : 2;
    },
    error(...args: unknown[]) {
      errors.push(text(args));
      return logger;
    },
    warn(...args: unknown[]) {
      warnings.push(text(args));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles a Vega-Lite spec and renders it to an SVG string, offline; throws if vega logs an error. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const logger = collectingLogger(errors, warnings);
  // Loaded on first use: vega takes most of a second to import, and most commands draw no chart.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vgSpec = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } }, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: offlineLoader, logger });
  try {
    const svg = await view.toSVG();
    // vega only warns when a data source fails to load; for us that is an error (a blank chart).
    errors.push(...warnings.filter((w) => /^(Loading|Data ingestion) failed/.test(w)));
    if (errors.length > 0) throw new Error(`renderVegaLiteSvg: vega reported ${errors.length} error(s): ${errors.join('; ')}`);
    return compactSvg(svg);
  } finally {
    view.finalize();
  }
}

function checkText(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'string') throw new TypeError(`${fn}: expected ${name} to be a string, got ${typeof v}`);
}

function checkSize(fn: string, name: string, v: number | undefined, fallback: number): number {
  const s = v ?? fallback;
  if (!Number.isFinite(s) || s <= 0) throw new RangeError(`${fn}: expected ${name} to be a positive number, got ${s}`);
  return s;
}

function checkPair(fn: string, what: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (!x || !y || typeof x.length !== 'number' || typeof y.length !== 'number') {
    throw new TypeError(`${fn}: expected ${what} x and y to be arrays of numbers`);
  }
  if (x.length !== y.length) throw new RangeError(`${fn}: expected ${what} x and y of equal length, got ${x.length} and ${y.length}`);
}

/** Keeps ~7 significant digits: plenty for a figure, and keeps the compiled spec small. */
function round7(v: number): number {
  return Number(v.toPrecision(7));
}

/** Colour scale mapping names (in the given order) to class colours. */
function nominalColor(names: readonly string[], title: string, colors: readonly string[] = names.map((_, i) => categoryColor(i))) {
  return {
    field: 'series',
    type: 'nominal' as const,
    title,
    sort: null,
    scale: { domain: [...names], range: [...colors] },
  };
}

function seriesRows(fn: string, series: readonly Series[], log: boolean): Row[] {
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const s of series) {
    checkText(fn, 'series name', s?.name);
    if (seen.has(s.name)) throw new RangeError(`${fn}: expected distinct series names, got "${s.name}" twice`);
    seen.add(s.name);
    checkPair(fn, `series "${s.name}"`, s.x, s.y);
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i];
      const y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (log && y <= 0) throw new RangeError(`${fn}: expected positive y values for yScale 'log', got ${y} in series "${s.name}" at index ${i}`);
      rows.push({ series: s.name, x: round7(x), y: round7(y) });
    }
  }
  return rows;
}

/** Lines (e.g. loss curves) y(x) per series; a legend appears when there is more than one series. */
export async function lineChartSvg(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yScale?: 'linear' | 'log';
  width?: number;
  height?: number;
  points?: boolean;
  legendTitle?: string;
  /** Start of the x axis (default: the first point), e.g. 0 so curves over training line up with step 0. */
  xMin?: number;
  /** x counts whole things (epochs): integer ticks only. */
  xIntegers?: boolean;
}): Promise<string> {
  const fn = 'lineChartSvg';
  if (o.xMin !== undefined && !Number.isFinite(o.xMin)) throw new RangeError(`${fn}: expected xMin to be a finite number, got ${o.xMin}`);
  checkText(fn, 'title', o.title);
  checkText(fn, 'xLabel', o.xLabel);
  checkText(fn, 'yLabel', o.yLabel);
  if (!Array.isArray(o.series) || o.series.length === 0)
    throw new RangeError(`${fn}: expected at least one series, got ${Array.isArray(o.series) ? 0 : String(o.series)}`);
  const yScale = o.yScale ?? 'linear';
  if (yScale !== 'linear' && yScale !== 'log') throw new RangeError(`${fn}: expected yScale 'linear' or 'log', got ${String(yScale)}`);
  const rows = seriesRows(fn, o.series, yScale === 'log');
  const names = o.series.map((s) => s.name);
  const color = nominalColor(names, o.legendTitle ?? 'series');
  const spec: TopLevelSpec = {
    title: o.title,
    width: checkSize(fn, 'width', o.width, 480),
    height: checkSize(fn, 'height', o.height, 300),
    data: { values: rows },
    mark: { type: 'line', point: o.points ?? false, strokeWidth: 1.75, aria: false, clip: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: o.xLabel,
        scale: o.xMin === undefined ? { zero: false, nice: false } : { zero: false, nice: false, domainMin: o.xMin },
        ...(o.xIntegers ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: yScale === 'log' ? { type: 'log' } : { zero: false } },
      color: names.length > 1 ? color : { ...color, legend: null },
    },
  };
  return renderVegaLiteSvg(spec);
}

/**
 * Points (x[i], y[i]), coloured by class (`labels` → CATEGORY10, legend with `classNames`),
 * with optional overlaid lines (dashed by name, own legend), e.g. a fitted regression line.
 */
export async function scatterSvg(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  labels?: Int32Array;
  classNames?: readonly string[];
  width?: number;
  height?: number;
  size?: number;
  opacity?: number;
  lines?: Series[];
  legendTitle?: string;
}): Promise<string> {
  const fn = 'scatterSvg';
  checkText(fn, 'title', o.title);
  checkText(fn, 'xLabel', o.xLabel);
  checkText(fn, 'yLabel', o.yLabel);
  checkPair(fn, 'point', o.x, o.y);
  const n = o.x.length;
  if (o.labels !== undefined && o.labels.length !== n) {
    throw new RangeError(`${fn}: expected ${n} labels (one per point), got ${o.labels.length}`);
  }
  const big = n > 2000;
  const size = checkSize(fn, 'size', o.size, big ? 6 : 18);
  const opacity = o.opacity ?? (big ? 0.55 : 0.75);
  if (!(opacity >= 0 && opacity <= 1)) throw new RangeError(`${fn}: expected opacity in [0, 1], got ${opacity}`);
  const className = (c: number) => (c >= 0 && o.classNames && c < o.classNames.length ? o.classNames[c] : String(c));
  const rows: Row[] = [];
  const present = new Set<number>();
  for (let i = 0; i < n; i++) {
    const x = o.x[i];
    const y = o.y[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const row: Row = { x: round7(x), y: round7(y) };
    if (o.labels) {
      const c = o.labels[i];
      present.add(c);
      row.series = className(c);
    }
    rows.push(row);
  }
  const classes = [...present].sort((a, b) => a - b);
  const names = classes.map(className);
  if (new Set(names).size !== names.length) throw new RangeError(`${fn}: expected distinct class names, got ${names.join(', ')}`);
  const pointLayer = {
    data: { values: rows },
    mark: { type: 'circle' as const, size, opacity, aria: false },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, title: o.xLabel, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative' as const, title: o.yLabel, scale: { zero: false } },
      ...(o.labels
        ? {
            color: nominalColor(
              names,
              o.legendTitle ?? 'class',
              classes.map((c) => (c >= 0 ? categoryColor(c) : UNLABELLED)),
            ),
          }
        : { color: { value: CATEGORY_SINGLE } }),
    },
  };
  const layers: object[] = [pointLayer];
  if (o.lines && o.lines.length > 0) {
    const lineRows = seriesRows(fn, o.lines, false).map((r) => ({ line: r.series, x: r.x, y: r.y }));
    layers.push({
      data: { values: lineRows },
      mark: { type: 'line', color: '#222222', strokeWidth: 2, aria: false, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        detail: { field: 'line', type: 'nominal' },
        strokeDash: { field: 'line', type: 'nominal', title: 'lines', sort: null, scale: { domain: o.lines.map((l) => l.name) } },
      },
    });
  }
  const spec = {
    title: o.title,
    width: checkSize(fn, 'width', o.width, 420),
    height: checkSize(fn, 'height', o.height, 360),
    layer: layers,
  } as TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

/** Colour of points when there are no labels. */
const CATEGORY_SINGLE = '#1f77b4';
/** Colour of points with a negative label (no class, e.g. noise or unassigned). */
const UNLABELLED = '#b0b0b0';

/** Short label for a heatmap cell: integers as is, others with 3 significant digits. */
function cellLabel(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

/**
 * A matrix as coloured cells (row i, column j = matrix[i][j]), e.g. a confusion matrix with
 * true classes as rows and predictions as columns; `annotate` (default true) writes each value.
 */
export async function heatmapSvg(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  matrix: readonly (readonly number[])[];
  rowNames: readonly string[];
  colNames: readonly string[];
  annotate?: boolean;
  legendTitle?: string;
  colorScheme?: 'blues' | 'greys' | 'viridis';
}): Promise<string> {
  const fn = 'heatmapSvg';
  checkText(fn, 'title', o.title);
  checkText(fn, 'xLabel', o.xLabel);
  checkText(fn, 'yLabel', o.yLabel);
  const r = o.matrix?.length ?? 0;
  if (r === 0) throw new RangeError(`${fn}: expected a non-empty matrix, got ${r} rows`);
  const c = o.matrix[0].length;
  if (o.rowNames.length !== r) throw new RangeError(`${fn}: expected ${r} rowNames (one per matrix row), got ${o.rowNames.length}`);
  if (o.colNames.length !== c) throw new RangeError(`${fn}: expected ${c} colNames (one per matrix column), got ${o.colNames.length}`);
  if (new Set(o.rowNames).size !== r || new Set(o.colNames).size !== c) throw new RangeError(`${fn}: expected distinct row and column names`);
  const rows: Row[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  o.matrix.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`${fn}: expected every matrix row to have ${c} values, got ${row.length} in row ${i}`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) return;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      rows.push({ row: o.rowNames[i], col: o.colNames[j], value: round7(v), label: cellLabel(v) });
    });
  });
  // Small matrices (2×2 confusion matrices) get big cells so their labels and numbers fit.
  const step = Math.max(18, Math.min(96, Math.floor(480 / Math.max(r, c))));
  const longest = Math.max(...o.colNames.map((n) => n.length));
  const mid = (lo + hi) / 2;
  const allIntegers = rows.every((row) => Number.isInteger(row.value));
  const annotate = o.annotate ?? true;
  const labelFont = Math.max(8, Math.min(13, Math.floor(step / 3)));
  const base = {
    x: { field: 'col', type: 'nominal' as const, title: o.xLabel, sort: [...o.colNames], axis: { labelAngle: c > 10 || longest * 6.5 > step ? -45 : 0 } },
    y: { field: 'row', type: 'nominal' as const, title: o.yLabel, sort: [...o.rowNames] },
  };
  const layers: object[] = [
    {
      mark: { type: 'rect', aria: false },
      encoding: {
        ...base,
        color: { field: 'value', type: 'quantitative', title: o.legendTitle ?? (allIntegers ? 'count' : 'value'), scale: { scheme: o.colorScheme ?? 'blues' } },
      },
    },
  ];
  if (annotate) {
    layers.push({
      mark: { type: 'text', fontSize: labelFont, aria: false },
      encoding: {
        ...base,
        text: { field: 'label', type: 'nominal' },
        color: {
          condition: { test: `datum.value > ${round7(mid)}`, value: (o.colorScheme ?? 'blues') === 'viridis' ? 'black' : 'white' },
          value: (o.colorScheme ?? 'blues') === 'viridis' ? 'white' : 'black',
        },
      },
    });
  }
  const spec = {
    title: o.title,
    width: { step },
    height: { step },
    data: { values: rows },
    layer: layers,
  } as TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

/** One bar per category, in the given order. */
export async function barChartSvg(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  values: ArrayLike<number>;
  width?: number;
  height?: number;
}): Promise<string> {
  const fn = 'barChartSvg';
  checkText(fn, 'title', o.title);
  checkText(fn, 'xLabel', o.xLabel);
  checkText(fn, 'yLabel', o.yLabel);
  const k = o.categories?.length ?? 0;
  if (k === 0) throw new RangeError(`${fn}: expected at least one category, got 0`);
  if (o.values.length !== k) throw new RangeError(`${fn}: expected ${k} values (one per category), got ${o.values.length}`);
  if (new Set(o.categories).size !== k) throw new RangeError(`${fn}: expected distinct category names`);
  const rows: Row[] = [];
  for (let i = 0; i < k; i++) {
    const v = o.values[i];
    if (Number.isFinite(v)) rows.push({ category: o.categories[i], value: round7(v) });
  }
  const spec: TopLevelSpec = {
    title: o.title,
    width: o.width ?? { step: Math.max(12, Math.min(40, Math.floor(480 / k))) },
    height: checkSize(fn, 'height', o.height, 260),
    data: { values: rows },
    mark: { type: 'bar', color: categoryColor(0), aria: false },
    encoding: {
      x: { field: 'category', type: 'nominal', title: o.xLabel, sort: [...o.categories], axis: { labelAngle: k > 10 ? -45 : 0 } },
      y: { field: 'value', type: 'quantitative', title: o.yLabel },
    },
  };
  return renderVegaLiteSvg(spec);
}
