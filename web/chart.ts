/**
 * A small SVG line chart: several series over one x axis, a legend whose entries hide and show
 * their series, a tooltip with every visible series' value at the hovered x, an optional log
 * scale, and points appended as a live run logs them (redrawn at most once per frame).
 * Chosen over vega-embed: bundling vega and vega-lite costs ~800 KB of minified script (the app
 * is ~30 KB), and vega's expression compiler needs `unsafe-eval`, which the CSP forbids.
 */
import { h, replace, s } from './dom.js';
import { num } from './format.js';

/** Ten distinct colours (for series beyond ten they repeat). */
export const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

export interface ChartSeries {
  name: string;
  /** [x, y] pairs; kept sorted by x. */
  points: [number, number][];
  /** Shown at first (default true). */
  visible?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel: string;
  yLabel?: string;
  /** Start on a logarithmic y axis (the viewer can switch). */
  logY?: boolean;
}

interface State {
  name: string;
  points: [number, number][];
  visible: boolean;
  color: string;
}

const W = 720;
const H = 260;
const M = { left: 60, right: 16, top: 12, bottom: 38 };

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  let step = 10 ** Math.floor(Math.log10(raw));
  const err = raw / step;
  if (err >= 7.5) step *= 10;
  else if (err >= 3.5) step *= 5;
  else if (err >= 1.5) step *= 2;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Index of the point of `points` (sorted by x) nearest to x. */
function nearest(points: readonly [number, number][], x: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo][0] - x) <= Math.abs(points[hi][0] - x) ? lo : hi;
}

export class LineChart {
  /** The chart's element: title, legend, SVG and tooltip. */
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly legend: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly logToggle: HTMLInputElement;
  private readonly series = new Map<string, State>();
  private frame = 0;
  /** The current mapping from data to SVG coordinates (set by draw, used by the hover). */
  private scale: { x0: number; x1: number; y: (v: number) => number; x: (v: number) => number } | null = null;

  constructor(private readonly opts: ChartOptions) {
    this.svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': opts.title ?? opts.xLabel });
    this.legend = h('div', { class: 'legend' });
    this.tip = h('div', { class: 'tooltip', hidden: true });
    this.logToggle = h('input', { type: 'checkbox', onchange: () => this.schedule() });
    this.logToggle.checked = opts.logY === true;
    this.element = h(
      'figure',
      { class: 'chart' },
      h(
        'div',
        { class: 'chart-head' },
        opts.title ? h('figcaption', {}, opts.title) : null,
        this.legend,
        h('label', { class: 'log-toggle' }, this.logToggle, ' log y'),
      ),
      h('div', { class: 'chart-body' }, this.svg, this.tip),
    );
    this.svg.addEventListener('mousemove', (e) => this.hover(e));
    this.svg.addEventListener('mouseleave', () => this.unhover());
  }

  /** Replaces every series. */
  set(series: readonly ChartSeries[]): void {
    this.series.clear();
    for (const one of series) this.add(one.name, one.points, one.visible ?? true);
    this.renderLegend();
    this.schedule();
  }

  /** Appends points to a series, creating it (visible unless `visible` says otherwise). */
  append(name: string, points: readonly [number, number][], visible = true): void {
    const st = this.series.get(name);
    if (st === undefined) {
      this.add(name, points, visible);
      this.renderLegend();
    } else {
      const sorted = st.points.length === 0 || points.length === 0 || points[0][0] >= st.points[st.points.length - 1][0];
      st.points.push(...points);
      if (!sorted) st.points.sort((a, b) => a[0] - b[0]);
    }
    this.schedule();
  }

  /** How many points the visible series hold (the tests read it through data-points). */
  get pointCount(): number {
    let n = 0;
    for (const st of this.series.values()) if (st.visible) n += st.points.length;
    return n;
  }

  private add(name: string, points: readonly [number, number][], visible: boolean): void {
    const sorted = [...points].sort((a, b) => a[0] - b[0]);
    this.series.set(name, { name, points: sorted, visible, color: PALETTE[this.series.size % PALETTE.length] });
  }

  private renderLegend(): void {
    replace(
      this.legend,
      [...this.series.values()].map((st) => {
        const b = h(
          'button',
          {
            type: 'button',
            class: 'legend-item',
            'aria-pressed': String(st.visible),
            title: `show or hide ${st.name}`,
            onclick: () => {
              st.visible = !st.visible;
              b.setAttribute('aria-pressed', String(st.visible));
              this.schedule();
            },
          },
          s('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' }, s('rect', { width: 12, height: 12, rx: 2, fill: st.color })),
          st.name,
        );
        return b;
      }),
    );
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const visible = [...this.series.values()].filter((st) => st.visible && st.points.length > 0);
    this.svg.setAttribute('data-points', String(this.pointCount));
    const log = this.logToggle.checked && visible.every((st) => st.points.every((p) => p[1] > 0));
    if (visible.length === 0) {
      this.scale = null;
      replace(this.svg, s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'no data yet'));
      return;
    }
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const st of visible) {
      x0 = Math.min(x0, st.points[0][0]);
      x1 = Math.max(x1, st.points[st.points.length - 1][0]);
      for (const [, y] of st.points) {
        if (!Number.isFinite(y)) continue;
        const v = log ? Math.log10(y) : y;
        y0 = Math.min(y0, v);
        y1 = Math.max(y1, v);
      }
    }
    if (x1 === x0) {
      x0 -= 1;
      x1 += 1;
    }
    if (!(y1 > y0)) {
      y0 -= 0.5;
      y1 += 0.5;
    } else {
      const pad = (y1 - y0) * 0.05;
      y0 -= pad;
      y1 += pad;
    }
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const x = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * pw;
    const yOf = (v: number): number => M.top + (1 - ((log ? Math.log10(v) : v) - y0) / (y1 - y0)) * ph;
    this.scale = { x0, x1, x, y: yOf };

    const xTicks = niceTicks(x0, x1, 6).filter((t) => t >= x0 && t <= x1);
    const yTicks = log
      ? Array.from({ length: Math.floor(y1) - Math.ceil(y0) + 1 }, (_, k) => 10 ** (Math.ceil(y0) + k))
      : niceTicks(y0, y1, 5).filter((t) => t >= y0 && t <= y1);
    const grid = [
      ...yTicks.map((t) => s('line', { x1: M.left, x2: W - M.right, y1: yOf(t), y2: yOf(t), class: 'grid' })),
      ...yTicks.map((t) => s('text', { x: M.left - 6, y: yOf(t) + 4, 'text-anchor': 'end', class: 'tick' }, num(t))),
      ...xTicks.map((t) => s('text', { x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, num(t))),
      s('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }),
      s('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: 'axis' }),
      s('text', { x: M.left + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, this.opts.xLabel),
      this.opts.yLabel
        ? s('text', { x: 12, y: M.top + ph / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${M.top + ph / 2})` }, this.opts.yLabel)
        : null,
    ];
    const lines = visible.map((st) => {
      let d = '';
      let pen = false;
      for (const [px, py] of st.points) {
        if (!Number.isFinite(py) || (log && py <= 0)) {
          pen = false; // a gap where the value is missing
          continue;
        }
        d += `${pen ? 'L' : 'M'}${x(px).toFixed(1)},${yOf(py).toFixed(1)}`;
        pen = true;
      }
      const dots =
        st.points.length <= 40
          ? st.points.filter((p) => Number.isFinite(p[1])).map((p) => s('circle', { cx: x(p[0]), cy: yOf(p[1]), r: 2.5, fill: st.color }))
          : [];
      return s('g', { 'data-series': st.name }, s('path', { d, fill: 'none', stroke: st.color, 'stroke-width': 1.6 }), dots);
    });
    replace(this.svg, grid, lines, s('g', { class: 'hover-layer' }));
  }

  private hover(e: MouseEvent): void {
    const sc = this.scale;
    if (sc === null) return;
    const rect = this.svg.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * W;
    const xv = sc.x0 + ((px - M.left) / (W - M.left - M.right)) * (sc.x1 - sc.x0);
    const visible = [...this.series.values()].filter((st) => st.visible && st.points.length > 0);
    if (visible.length === 0) return;
    // The x of the nearest logged point over all visible series; each series shows its value nearest to it.
    let best = visible[0].points[nearest(visible[0].points, xv)][0];
    for (const st of visible) {
      const c = st.points[nearest(st.points, xv)][0];
      if (Math.abs(c - xv) < Math.abs(best - xv)) best = c;
    }
    const rows = visible.map((st) => ({ st, p: st.points[nearest(st.points, best)] }));
    const layer = this.svg.querySelector('.hover-layer');
    if (layer !== null)
      replace(
        layer,
        s('line', { x1: sc.x(best), x2: sc.x(best), y1: M.top, y2: H - M.bottom, class: 'hover-rule' }),
        rows.filter((r) => Number.isFinite(r.p[1])).map((r) => s('circle', { cx: sc.x(r.p[0]), cy: sc.y(r.p[1]), r: 4, fill: r.st.color, class: 'hover-dot' })),
      );
    replace(
      this.tip,
      h('div', { class: 'tip-x' }, `${this.opts.xLabel} ${num(best)}`),
      rows.map((r) =>
        h(
          'div',
          {},
          s('svg', { width: 10, height: 10, 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, fill: r.st.color })),
          ` ${r.st.name}: ${num(r.p[1])}`,
        ),
      ),
    );
    this.tip.hidden = false;
    // Positioned through the CSSOM (allowed by the CSP, unlike a style attribute).
    const left = e.clientX - rect.left;
    this.tip.style.left = `${left > rect.width / 2 ? left - this.tip.offsetWidth - 12 : left + 12}px`;
    this.tip.style.top = `${Math.max(0, e.clientY - rect.top - 20)}px`;
  }

  private unhover(): void {
    this.tip.hidden = true;
    const layer = this.svg.querySelector('.hover-layer');
    if (layer !== null) layer.replaceChildren();
  }
}
