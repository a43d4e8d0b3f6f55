/**
 * A small SVG line chart: several series over one x axis, a legend whose entries hide and show
 * their series, a tooltip with every visible series' value at the hovered x, an optional log
 * scale, points appended as a live run logs them (redrawn at most once per frame), and a zoom on
 * x: drag across the plot (a band shows the interval), turn the wheel over it, or use + − and the
 * arrow keys when it has focus; double-click, Escape or the "reset zoom" button show everything
 * again. The y axis follows the visible points of the visible series.
 * Chosen over vega-embed: bundling vega and vega-lite costs ~800 KB of minified script (the app
 * is ~30 KB), and vega's expression compiler needs `unsafe-eval`, which the CSP forbids.
 */
import { h, replace, s } from './dom.js';
import { num } from './format.js';

/** Ten distinct colours (for series beyond ten they repeat). */
export const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

export interface ChartSeries {
  name: string;
  /** [x, y] pairs; kept sorted by x. A y of NaN leaves a gap. */
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
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
/** A drag shorter than this (SVG units) is a click, not a zoom. */
const MIN_DRAG = 5;
/** The narrowest zoom, as a share of the full x range (below it the float x ticks stop reading well). */
const MIN_SPAN = 1e-6;

/** Each chart's clip path needs a document-unique id (a page or a report holds several charts). */
let clipIds = 0;

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

/** The first index of `points` (sorted by x) whose x is ≥ x (or > x with `after`). */
function bound(points: readonly [number, number][], x: number, after = false): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < x || (after && points[mid][0] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the point of points[lo, hi) (sorted by x, lo < hi) nearest to x. */
function nearest(points: readonly [number, number][], x: number, lo = 0, hi = points.length): number {
  const i = Math.min(Math.max(bound(points, x), lo), hi - 1);
  return i > lo && Math.abs(points[i - 1][0] - x) <= Math.abs(points[i][0] - x) ? i - 1 : i;
}

/** Clamps v into [lo, hi]. */
function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export class LineChart {
  /** The chart's element: title, legend, SVG and tooltip. */
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly legend: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly logToggle: HTMLInputElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly series = new Map<string, State>();
  private readonly clipId = `chart-clip-${++clipIds}`;
  private frame = 0;
  /** The current mapping from data to SVG coordinates (set by draw, used by the hover and the zoom). */
  private scale: { x0: number; x1: number; y: (v: number) => number; x: (v: number) => number } | null = null;
  /** The x interval shown, in data units; null shows every point. Kept as points are appended. */
  private zoom: { x0: number; x1: number } | null = null;
  /** A drag in progress: where it started and where the pointer is, in SVG x units. */
  private drag: { from: number; to: number; pointer: number } | null = null;

  constructor(private readonly opts: ChartOptions) {
    this.svg = s('svg', {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart-svg',
      role: 'img',
      tabindex: 0,
      'aria-label': `${opts.title ?? opts.xLabel} (drag across, turn the wheel or press + and − to zoom; double-click or Escape to reset)`,
    });
    this.legend = h('div', { class: 'legend' });
    this.tip = h('div', { class: 'tooltip', hidden: true });
    this.logToggle = h('input', { type: 'checkbox', onchange: () => this.schedule() });
    this.logToggle.checked = opts.logY === true;
    this.resetButton = h('button', { type: 'button', class: 'zoom-reset small', hidden: true, onclick: () => this.resetZoom() }, 'reset zoom');
    this.element = h(
      'figure',
      { class: 'chart' },
      h(
        'div',
        { class: 'chart-head' },
        opts.title ? h('figcaption', {}, opts.title) : null,
        this.legend,
        this.resetButton,
        h('label', { class: 'log-toggle' }, this.logToggle, ' log y'),
      ),
      h('div', { class: 'chart-body' }, this.svg, this.tip),
    );
    // Pointer events serve mouse, pen and touch alike; capture keeps a drag alive outside the plot.
    this.svg.addEventListener('pointerdown', (e) => this.startDrag(e));
    this.svg.addEventListener('pointermove', (e) => (this.drag === null ? this.hover(e) : this.moveDrag(e)));
    this.svg.addEventListener('pointerup', (e) => this.endDrag(e));
    this.svg.addEventListener('pointercancel', () => this.cancelDrag());
    this.svg.addEventListener('pointerleave', () => this.unhover());
    this.svg.addEventListener('dblclick', (e) => {
      e.preventDefault();
      this.resetZoom();
    });
    // Not passive: a zoom must not scroll the page as well.
    this.svg.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.svg.addEventListener('keydown', (e) => this.key(e));
  }

  /** Replaces every series (the zoom stays: only the viewer resets it). */
  set(series: readonly ChartSeries[]): void {
    this.series.clear();
    for (const one of series) this.add(one.name, one.points, one.visible ?? true);
    this.renderLegend();
    this.schedule();
  }

  /** Appends points to a series, creating it (visible unless `visible` says otherwise); a zoom stays as it is. */
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

  /** The x interval shown when zoomed, else null. */
  get zoomRange(): readonly [number, number] | null {
    return this.zoom === null ? null : [this.zoom.x0, this.zoom.x1];
  }

  /**
   * Shows x in [x0, x1] (clamped to the data's range; the whole range or more resets the zoom).
   * Throws on a range that is not two finite, increasing numbers.
   */
  zoomTo(x0: number, x1: number): void {
    if (!(Number.isFinite(x0) && Number.isFinite(x1) && x1 > x0)) throw new RangeError(`LineChart.zoomTo: expected finite x0 < x1, got ${x0} and ${x1}`);
    const full = this.fullRange();
    if (full === null) return;
    const [f0, f1] = full;
    const span = f1 - f0;
    let a = x0;
    let b = x1;
    if (!(span > 0) || b - a >= span) {
      this.resetZoom();
      return;
    }
    if (b - a < span * MIN_SPAN) {
      const mid = (a + b) / 2;
      a = mid - (span * MIN_SPAN) / 2;
      b = mid + (span * MIN_SPAN) / 2;
    }
    // Slide the interval back inside the data rather than show empty space beside it.
    if (a < f0) [a, b] = [f0, b + (f0 - a)];
    if (b > f1) [a, b] = [a - (b - f1), f1];
    this.zoom = { x0: Math.max(a, f0), x1: b };
    this.resetButton.hidden = false;
    this.schedule();
  }

  /** Shows every point again. */
  resetZoom(): void {
    if (this.zoom === null) return;
    this.zoom = null;
    // The button goes away under the keyboard's focus: hand it to the plot rather than to the page.
    if (document.activeElement === this.resetButton) this.svg.focus();
    this.resetButton.hidden = true;
    this.schedule();
  }

  private add(name: string, points: readonly [number, number][], visible: boolean): void {
    const sorted = [...points].sort((a, b) => a[0] - b[0]);
    this.series.set(name, { name, points: sorted, visible, color: PALETTE[this.series.size % PALETTE.length] });
  }

  private visibleSeries(): State[] {
    return [...this.series.values()].filter((st) => st.visible && st.points.length > 0);
  }

  /** The x range of the visible series' points, or null when none is shown. */
  private fullRange(): [number, number] | null {
    const visible = this.visibleSeries();
    if (visible.length === 0) return null;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const st of visible) {
      x0 = Math.min(x0, st.points[0][0]);
      x1 = Math.max(x1, st.points[st.points.length - 1][0]);
    }
    return [x0, x1];
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
    const visible = this.visibleSeries();
    this.svg.setAttribute('data-points', String(this.pointCount));
    if (this.zoom === null) this.svg.removeAttribute('data-zoom');
    else this.svg.setAttribute('data-zoom', `${this.zoom.x0} ${this.zoom.x1}`);
    const log = this.logToggle.checked && visible.every((st) => st.points.every((p) => p[1] > 0));
    const full = this.fullRange();
    if (full === null) {
      this.scale = null;
      replace(this.svg, s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'no data yet'));
      return;
    }
    let [x0, x1] = this.zoom === null ? full : [this.zoom.x0, this.zoom.x1];
    if (x1 === x0) {
      x0 -= 1;
      x1 += 1;
    }
    const tf = (v: number): number => (log ? Math.log10(v) : v);
    // The y range covers the points inside [x0, x1] and where the lines cross its edges.
    let y0 = Infinity;
    let y1 = -Infinity;
    const take = (v: number): void => {
      if (!Number.isFinite(v)) return;
      y0 = Math.min(y0, v);
      y1 = Math.max(y1, v);
    };
    const windows = new Map<State, [number, number]>();
    for (const st of visible) {
      const a = bound(st.points, x0);
      const b = bound(st.points, x1, true);
      windows.set(st, [a, b]);
      for (let i = a; i < b; i++) take(tf(st.points[i][1]));
      for (const [edge, i] of [
        [x0, a],
        [x1, b],
      ] as const) {
        if (i === 0 || i === st.points.length) continue;
        const [pa, pb] = [st.points[i - 1], st.points[i]];
        const t = (edge - pa[0]) / (pb[0] - pa[0]);
        if (t >= 0 && t <= 1) take(tf(pa[1]) + t * (tf(pb[1]) - tf(pa[1])));
      }
    }
    if (!Number.isFinite(y0)) {
      // No point in the interval (a series hidden since the zoom, say): an empty unit axis.
      y0 = 0;
      y1 = 1;
    }
    if (!(y1 > y0)) {
      y0 -= 0.5;
      y1 += 0.5;
    } else {
      const pad = (y1 - y0) * 0.05;
      y0 -= pad;
      y1 += pad;
    }
    const x = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * PW;
    const yOf = (v: number): number => M.top + (1 - (tf(v) - y0) / (y1 - y0)) * PH;
    this.scale = { x0, x1, x, y: yOf };

    const xTicks = niceTicks(x0, x1, 6).filter((t) => t >= x0 && t <= x1);
    const yTicks = log
      ? Array.from({ length: Math.max(0, Math.floor(y1) - Math.ceil(y0) + 1) }, (_, k) => 10 ** (Math.ceil(y0) + k))
      : niceTicks(y0, y1, 5).filter((t) => t >= y0 && t <= y1);
    const grid = [
      ...yTicks.map((t) => s('line', { x1: M.left, x2: W - M.right, y1: yOf(t), y2: yOf(t), class: 'grid' })),
      ...yTicks.map((t) => s('text', { x: M.left - 6, y: yOf(t) + 4, 'text-anchor': 'end', class: 'tick' }, num(t))),
      ...xTicks.map((t) => s('text', { x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick x-tick' }, num(t))),
      s('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }),
      s('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: 'axis' }),
      s('text', { x: M.left + PW / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, this.opts.xLabel),
      this.opts.yLabel
        ? s('text', { x: 12, y: M.top + PH / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${M.top + PH / 2})` }, this.opts.yLabel)
        : null,
    ];
    const lines = visible.map((st) => {
      const [a, b] = windows.get(st) as [number, number];
      // The points inside the window and one on each side, so lines run to the plot's edges (clipped there).
      const from = Math.max(0, a - 1);
      const to = Math.min(st.points.length, b + 1);
      let d = '';
      let pen = false;
      for (let i = from; i < to; i++) {
        const [px, py] = st.points[i];
        if (!Number.isFinite(py) || (log && py <= 0)) {
          pen = false; // a gap where the value is missing
          continue;
        }
        d += `${pen ? 'L' : 'M'}${x(px).toFixed(1)},${yOf(py).toFixed(1)}`;
        pen = true;
      }
      const inside = st.points.slice(a, b).filter((p) => Number.isFinite(p[1]));
      const dots = b - a <= 40 ? inside.map((p) => s('circle', { cx: x(p[0]), cy: yOf(p[1]), r: 2.5, fill: st.color })) : [];
      return s('g', { 'data-series': st.name }, s('path', { d, fill: 'none', stroke: st.color, 'stroke-width': 1.6 }), dots);
    });
    replace(
      this.svg,
      s('defs', {}, s('clipPath', { id: this.clipId }, s('rect', { x: M.left, y: M.top - 4, width: PW, height: PH + 8 }))),
      grid,
      s('g', { 'clip-path': `url(#${this.clipId})` }, lines),
      s('g', { class: 'hover-layer' }),
      s('g', { class: 'zoom-layer' }),
    );
    this.renderBand();
  }

  /** The pointer's x in SVG units (the SVG is scaled to its box). */
  private svgX(e: MouseEvent): number {
    const rect = this.svg.getBoundingClientRect();
    return ((e.clientX - rect.left) / rect.width) * W;
  }

  /** The data x at SVG x `px` under the current scale. */
  private dataX(px: number): number {
    const sc = this.scale as NonNullable<LineChart['scale']>;
    return sc.x0 + ((px - M.left) / PW) * (sc.x1 - sc.x0);
  }

  private startDrag(e: PointerEvent): void {
    if (e.button !== 0 || this.scale === null) return;
    const px = this.svgX(e);
    if (px < M.left || px > W - M.right) return;
    // No preventDefault: the click still focuses the plot (for the keys) without a focus ring; CSS stops text selection.
    this.svg.setPointerCapture(e.pointerId);
    this.drag = { from: px, to: px, pointer: e.pointerId };
  }

  private moveDrag(e: PointerEvent): void {
    const drag = this.drag;
    if (drag === null || e.pointerId !== drag.pointer) return;
    drag.to = clamp(this.svgX(e), M.left, W - M.right);
    this.unhover();
    this.renderBand();
  }

  private endDrag(e: PointerEvent): void {
    const drag = this.drag;
    if (drag === null || e.pointerId !== drag.pointer) return;
    this.cancelDrag();
    if (Math.abs(drag.to - drag.from) < MIN_DRAG || this.scale === null) return;
    this.zoomTo(this.dataX(Math.min(drag.from, drag.to)), this.dataX(Math.max(drag.from, drag.to)));
  }

  private cancelDrag(): void {
    if (this.drag === null) return;
    if (this.svg.hasPointerCapture(this.drag.pointer)) this.svg.releasePointerCapture(this.drag.pointer);
    this.drag = null;
    this.renderBand();
  }

  /** The translucent band over the interval being dragged (nothing when no drag is going on). */
  private renderBand(): void {
    const layer = this.svg.querySelector('.zoom-layer');
    if (layer === null) return;
    const drag = this.drag;
    if (drag === null || Math.abs(drag.to - drag.from) < 1) {
      layer.replaceChildren();
      return;
    }
    replace(layer, s('rect', { class: 'zoom-band', x: Math.min(drag.from, drag.to), y: M.top, width: Math.abs(drag.to - drag.from), height: PH }));
  }

  private wheel(e: WheelEvent): void {
    if (this.scale === null || e.deltaY === 0) return;
    // Zoomed all the way out, a wheel turned further out scrolls the page as usual.
    if (e.deltaY > 0 && this.zoom === null) return;
    e.preventDefault();
    const unit = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 40 : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? 800 : 1;
    this.zoomAround(this.dataX(clamp(this.svgX(e), M.left, W - M.right)), Math.exp(clamp(e.deltaY * unit, -500, 500) * 0.002));
  }

  /** Scales the shown x interval by `factor` (< 1 zooms in), keeping data x `at` where it is. */
  private zoomAround(at: number, factor: number): void {
    const sc = this.scale;
    if (sc === null) return;
    this.zoomTo(at - (at - sc.x0) * factor, at + (sc.x1 - at) * factor);
  }

  private key(e: KeyboardEvent): void {
    const sc = this.scale;
    if (sc === null || e.altKey || e.ctrlKey || e.metaKey) return;
    const mid = (sc.x0 + sc.x1) / 2;
    const step = (sc.x1 - sc.x0) * 0.2;
    if (e.key === '+' || e.key === '=') this.zoomAround(mid, 0.5);
    else if (e.key === '-' || e.key === '_') this.zoomAround(mid, 2);
    else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && this.zoom !== null) {
      const by = e.key === 'ArrowLeft' ? -step : step;
      this.zoomTo(sc.x0 + by, sc.x1 + by);
    } else if ((e.key === 'Escape' || e.key === '0') && this.zoom !== null) this.resetZoom();
    else return;
    e.preventDefault();
  }

  private hover(e: MouseEvent): void {
    const sc = this.scale;
    if (sc === null) return;
    const rect = this.svg.getBoundingClientRect();
    const xv = this.dataX(this.svgX(e));
    // Only points inside the shown interval answer (a zoom hides the others).
    const shown = this.visibleSeries()
      .map((st) => ({ st, a: bound(st.points, sc.x0), b: bound(st.points, sc.x1, true) }))
      .filter((w) => w.b > w.a);
    if (shown.length === 0) {
      this.unhover();
      return;
    }
    // The x of the nearest logged point over all visible series; each series shows its value nearest to it.
    let best = shown[0].st.points[nearest(shown[0].st.points, xv, shown[0].a, shown[0].b)][0];
    for (const w of shown) {
      const c = w.st.points[nearest(w.st.points, xv, w.a, w.b)][0];
      if (Math.abs(c - xv) < Math.abs(best - xv)) best = c;
    }
    const rows = shown.map((w) => ({ st: w.st, p: w.st.points[nearest(w.st.points, best, w.a, w.b)] }));
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
          { class: 'tip-row' },
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
