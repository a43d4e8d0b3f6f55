/**
 * The latent scatter: points in 2-D (a UMAP, a PCA) drawn by one of two renderers (renderer.ts),
 * with pan (drag), zoom (wheel, around the cursor), reset (double click or the button), a lasso
 * (shift + drag, or the lasso button) that selects the points inside it in the page's linked
 * selection, colour by label / cluster / map cell / prediction / error with a legend whose entries
 * select their points, and a tooltip for the point under the cursor with its input image.
 *
 * The element carries what tests and the benchmark read: data-renderer, data-points,
 * data-selected, data-draws, data-first-draw-ms, data-draw-ms and data-transform (the data → CSS
 * pixel transform of the stage: X = x·k + tx, Y = −y·k + ty).
 */
import { h, replace, s } from '../dom.js';
import type { Probe, ProbeResult } from '../probe.js';
import type { Selection, SelectionChange } from '../selection.js';
import { css, type Rgb } from './colors.js';
import { GridIndex, boundsOf, pointsInPolygon } from './geometry.js';
import type { InputImages } from './inputs.js';
import { RasterRenderer } from './raster.js';
import { autoRenderer, webglSupport, type PointsRenderer, type RendererKind } from './renderer.js';
import { WebglRenderer } from './webgl.js';

/** One way of colouring the points. */
export interface Colouring {
  key: string;
  title: string;
  /** Each point's value (−1: none). */
  values: Int32Array;
  name(v: number): string;
  color(v: number): Rgb;
  /** The legend: one entry per value, or the map's grid of cells. */
  legend: 'categories' | { rows: number; cols: number };
}

/** One projection of the points. */
export interface ScatterView {
  key: string;
  title: string;
  /** x,y pairs. */
  xy: Float32Array;
  /** The run row of each point (null: point i is row i). */
  rows: Int32Array | null;
  colourings: Colouring[];
  /** Lines over the points (a map's grid): node positions (x,y pairs) and node index pairs. */
  grid?: { nodes: Float32Array; edges: Int32Array };
  note?: string;
  /** Where the page's probe (a drawn input) goes in this view, when the view computes it itself (a PCA); else the probe's own `points[key]`. */
  place?: (r: ProbeResult) => [number, number] | null;
}

export interface ScatterOptions {
  /** Names the scatter in the selection's source ('scatter:<name>') and its element. */
  name: string;
  title: string;
  views: ScatterView[];
  selection: Selection | null;
  inputs: InputImages | null;
  /** The page's drawn input, marked where it lands in the view shown. */
  probe?: Probe | null;
  /** An autoencoder's reconstruction of a row's input (grey levels in [0, 1]), shown beside it in the tooltip. */
  reconstruct?: ((pixels: Uint8Array) => Promise<Float32Array | null>) | null;
}

type RendererChoice = 'auto' | RendererKind;
const STORAGE_KEY = 'latentlab.scatter.renderer';
/** Pixels from the cursor within which a point is hovered. */
const HOVER_PX = 8;

function storedChoice(): RendererChoice {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'webgl' || v === 'canvas' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** A disc's radius in CSS pixels for n points: smaller as they get denser. */
function baseRadius(n: number): number {
  return n > 50_000 ? 1.4 : n > 10_000 ? 1.8 : n > 2_000 ? 2.4 : 3.4;
}

export class Scatter {
  readonly element: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly status: HTMLElement;
  private readonly selText: HTMLElement;
  private readonly lassoButton: HTMLButtonElement;
  private readonly gridToggle: HTMLInputElement;
  private readonly gridLabel: HTMLElement;
  private renderer: PointsRenderer;
  private rendererNote = '';
  private choice: RendererChoice = storedChoice();
  private view: ScatterView;
  private colouring: Colouring;
  private grids = new Map<string, GridIndex>();
  /** Data → CSS pixels of the stage. */
  private k = 1;
  private tx = 0;
  private ty = 0;
  private fitted = false;
  private cssW = 0;
  private cssH = 0;
  private dpr = 1;
  private pending = 0;
  private draws = 0;
  private firstDraw = true;
  private lassoMode = false;
  private drag: { mode: 'pan' | 'lasso'; x: number; y: number; moved: boolean; path: number[] } | null = null;
  private hovered = -1;
  private hoverAt: [number, number] = [0, 0];
  private selectedPoints = 0;
  private readonly unsubscribe: () => void;
  private readonly resizeObserver: ResizeObserver;
  private destroyed = false;

  constructor(private readonly o: ScatterOptions) {
    if (o.views.length === 0) throw new Error(`Scatter ${o.name}: expected at least one view`);
    this.view = o.views[0];
    this.colouring = this.view.colourings[0];
    this.overlay = h('canvas', { class: 'scatter-overlay' });
    this.tip = h('div', { class: 'tooltip scatter-tip', hidden: true });
    this.stage = h('div', { class: 'scatter-stage', tabindex: 0 });
    this.legend = h('div', { class: 'scatter-legend' });
    this.status = h('p', { class: 'scatter-status muted' });
    this.selText = h('span', { class: 'scatter-selection' });
    this.lassoButton = h(
      'button',
      { type: 'button', class: 'small', 'aria-pressed': 'false', title: 'draw a lasso to select points (or shift + drag)' },
      'lasso',
    );
    this.gridToggle = h('input', { type: 'checkbox', checked: true });
    this.gridLabel = h('label', { class: 'scatter-grid-toggle' }, this.gridToggle, ' map grid');
    this.renderer = this.makeRenderer();
    this.stage.append(this.renderer.canvas, this.overlay, this.tip);
    this.element = h(
      'div',
      { class: 'scatter', 'data-scatter': o.name },
      h('div', { class: 'scatter-head' }, h('h3', {}, o.title), this.selText),
      this.toolbar(),
      this.stage,
      this.legend,
      this.status,
    );
    const unsubscribeSelection = o.selection?.subscribe((c) => this.onSelection(c)) ?? (() => {});
    const unsubscribeProbe = o.probe?.subscribe(() => this.invalidate()) ?? (() => {});
    this.unsubscribe = () => {
      unsubscribeSelection();
      unsubscribeProbe();
    };
    this.listen();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.stage);
    // Sections have no teardown: a scatter gone from the page lets go of its context and listeners.
    window.addEventListener('hashchange', () => setTimeout(() => !this.element.isConnected && this.destroy(), 0), { once: true });
    this.gridToggle.addEventListener('change', () => this.invalidate());
    if (o.selection !== null && o.selection.rows.length > 0) this.onSelection(o.selection.change);
    this.rebuild();
  }

  // ---- building ---------------------------------------------------------------------------------

  private toolbar(): HTMLElement {
    const o = this.o;
    const viewSelect =
      o.views.length > 1
        ? h(
            'select',
            { class: 'scatter-view', 'aria-label': 'projection', onchange: (e: Event) => this.setView(Number((e.target as HTMLSelectElement).value)) },
            o.views.map((v, i) => h('option', { value: i }, v.title)),
          )
        : null;
    const colourSelect = h('select', {
      class: 'scatter-colour',
      'aria-label': 'colour by',
      onchange: (e: Event) => this.setColouring((e.target as HTMLSelectElement).value),
    });
    this.fillColourSelect(colourSelect);
    const rendererSelect = h(
      'select',
      {
        class: 'scatter-renderer',
        'aria-label': 'renderer',
        onchange: (e: Event) => this.setRenderer((e.target as HTMLSelectElement).value as RendererChoice),
      },
      h('option', { value: 'auto', selected: this.choice === 'auto' }, 'auto'),
      h('option', { value: 'webgl', selected: this.choice === 'webgl' }, 'WebGL'),
      h('option', { value: 'canvas', selected: this.choice === 'canvas' }, 'canvas 2D'),
    );
    this.lassoButton.addEventListener('click', () => {
      this.lassoMode = !this.lassoMode;
      this.lassoButton.setAttribute('aria-pressed', String(this.lassoMode));
      this.stage.classList.toggle('lasso-mode', this.lassoMode);
    });
    if (o.selection === null) {
      this.lassoButton.disabled = true;
      this.lassoButton.title = 'this run has no per-row arrays (labels.npy) to select in';
    }
    return h(
      'div',
      { class: 'toolbar scatter-toolbar' },
      viewSelect,
      h('label', {}, 'colour ', colourSelect),
      this.lassoButton,
      h('button', { type: 'button', class: 'small scatter-reset', onclick: () => this.reset() }, 'reset view'),
      h(
        'button',
        { type: 'button', class: 'small scatter-clear', disabled: o.selection === null, onclick: () => o.selection?.clear(`scatter:${o.name}`) },
        'clear selection',
      ),
      o.views.some((v) => v.grid !== undefined) ? this.gridLabel : null,
      h('label', { class: 'scatter-renderer-label' }, 'renderer ', rendererSelect),
    );
  }

  private fillColourSelect(select: HTMLSelectElement): void {
    replace(
      select,
      this.view.colourings.map((c) => h('option', { value: c.key, selected: c.key === this.colouring.key }, c.title)),
    );
  }

  private makeRenderer(): PointsRenderer {
    const want = this.choice === 'auto' ? autoRenderer() : this.choice;
    const support = webglSupport();
    const canvas = h('canvas', { class: 'scatter-canvas' });
    if (want === 'webgl') {
      try {
        const r = new WebglRenderer(canvas);
        this.rendererNote = `WebGL2 (${support.short})`;
        return r;
      } catch (e) {
        this.rendererNote = `canvas 2D (WebGL failed: ${(e as Error).message})`;
        return new RasterRenderer(h('canvas', { class: 'scatter-canvas' }));
      }
    }
    this.rendererNote = !support.available
      ? 'canvas 2D (this browser has no WebGL2)'
      : support.software && this.choice === 'auto'
        ? `canvas 2D (WebGL here is ${support.short}, a software renderer: slower than this one)`
        : 'canvas 2D';
    return new RasterRenderer(canvas);
  }

  private setRenderer(choice: RendererChoice): void {
    this.choice = choice;
    try {
      localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // private mode: the choice lasts for this page
    }
    const old = this.renderer;
    this.renderer = this.makeRenderer();
    old.canvas.replaceWith(this.renderer.canvas);
    old.destroy();
    this.firstDraw = true;
    this.sizeCanvases();
    this.rebuild();
  }

  private setView(i: number): void {
    const key = this.colouring.key;
    this.view = this.o.views[i];
    this.colouring = this.view.colourings.find((c) => c.key === key) ?? this.view.colourings[0];
    const select = this.element.querySelector<HTMLSelectElement>('select.scatter-colour');
    if (select !== null) this.fillColourSelect(select);
    this.fitted = false;
    this.hovered = -1;
    this.tip.hidden = true;
    this.fit();
    this.rebuild();
  }

  private setColouring(key: string): void {
    this.colouring = this.view.colourings.find((c) => c.key === key) ?? this.colouring;
    this.rebuild();
  }

  private rowOf(p: number): number {
    return this.view.rows === null ? p : this.view.rows[p];
  }

  /** Orders and colours the points (selected ones last, so on top; the others dimmed while there is a selection) and hands them to the renderer. */
  private rebuild(): void {
    const { xy } = this.view;
    const n = xy.length >> 1;
    const sel = this.o.selection;
    const any = sel !== null && sel.rows.length > 0;
    const picked = new Uint8Array(n);
    let m = 0;
    if (any) {
      for (let p = 0; p < n; p++) {
        const r = this.rowOf(p);
        if (sel.has(r)) {
          picked[p] = 1;
          m++;
        }
      }
    }
    this.selectedPoints = m;
    const drawXY = new Float32Array(2 * n);
    const rgba = new Uint8Array(4 * n);
    const base = n > 20_000 ? 170 : 215;
    let front = 0;
    let back = n - m;
    const values = this.colouring.values;
    const palette = new Map<number, Rgb>();
    for (let p = 0; p < n; p++) {
      const j = picked[p] === 1 ? back++ : front++;
      drawXY[2 * j] = xy[2 * p];
      drawXY[2 * j + 1] = xy[2 * p + 1];
      const v = values[p];
      let c = palette.get(v);
      if (c === undefined) palette.set(v, (c = this.colouring.color(v)));
      // Dimmed = washed out towards grey: a dense cluster of faint points would add up to full colour again.
      const dim = any && picked[p] === 0;
      rgba[4 * j] = dim ? 0.2 * c[0] + 182 : c[0];
      rgba[4 * j + 1] = dim ? 0.2 * c[1] + 184 : c[1];
      rgba[4 * j + 2] = dim ? 0.2 * c[2] + 188 : c[2];
      rgba[4 * j + 3] = !any ? base : dim ? 110 : 235;
    }
    this.renderer.setPoints(drawXY, rgba);
    this.element.dataset.points = String(n);
    this.element.dataset.selected = String(m);
    this.element.dataset.renderer = this.renderer.kind;
    this.element.dataset.colour = this.colouring.key;
    this.element.dataset.view = this.view.key;
    this.gridLabel.hidden = this.view.grid === undefined;
    this.renderLegend();
    this.renderStatus();
    this.invalidate();
  }

  private onSelection(change: SelectionChange): void {
    replace(
      this.selText,
      change.rows.length === 0 ? '' : `${change.rows.length.toLocaleString('en')} rows selected${change.label !== '' ? ` — ${change.label}` : ''}`,
    );
    this.rebuild();
  }

  private renderLegend(): void {
    const c = this.colouring;
    const counts = new Map<number, number>();
    for (const v of c.values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const selectValue = (v: number, label: string): void => {
      const sel = this.o.selection;
      if (sel === null) return;
      const rows: number[] = [];
      for (let p = 0; p < c.values.length; p++) if (c.values[p] === v) rows.push(this.rowOf(p));
      sel.set(rows, `scatter:${this.o.name}`, `${c.title} ${label}`);
    };
    if (c.legend === 'categories') {
      const values = [...counts.keys()].sort((a, b) => a - b);
      replace(
        this.legend,
        values.map((v) =>
          h(
            'button',
            {
              type: 'button',
              class: 'legend-item',
              'data-value': v,
              title: this.o.selection === null ? '' : 'select these points',
              onclick: () => selectValue(v, c.name(v)),
            },
            s('svg', { width: 10, height: 10, 'aria-hidden': 'true' }, s('circle', { cx: 5, cy: 5, r: 5, fill: css(c.color(v)) })),
            c.name(v),
            h('span', { class: 'muted' }, ` ${(counts.get(v) ?? 0).toLocaleString('en')}`),
          ),
        ),
      );
      return;
    }
    // A map: its cells in place, each in its colour, clickable.
    const { rows, cols } = c.legend;
    const size = Math.max(6, Math.min(14, Math.floor(160 / Math.max(rows, cols))));
    replace(
      this.legend,
      s(
        'svg',
        { width: cols * size, height: rows * size, class: 'cell-legend', role: 'img', 'aria-label': `${rows}×${cols} map` },
        Array.from({ length: rows * cols }, (_, k) =>
          s(
            'rect',
            {
              x: (k % cols) * size,
              y: Math.floor(k / cols) * size,
              width: size - 1,
              height: size - 1,
              fill: css(c.color(k)),
              'data-cell': k,
              onclick: () => selectValue(k, c.name(k)),
            },
            s('title', {}, `${c.name(k)}: ${(counts.get(k) ?? 0).toLocaleString('en')} points`),
          ),
        ),
      ),
      h(
        'span',
        { class: 'muted' },
        ' colour = the cell’s place on the map (hue along the columns, lightness down the rows); click a cell to select its points',
      ),
    );
  }

  private renderStatus(): void {
    const n = this.view.xy.length >> 1;
    replace(
      this.status,
      `${n.toLocaleString('en')} points`,
      this.view.note !== undefined ? ` · ${this.view.note}` : '',
      ' · ',
      h('span', { class: 'scatter-renderer-note', 'data-renderer': this.renderer.kind }, this.rendererNote),
      this.o.selection !== null ? ' · drag to pan, wheel to zoom, shift + drag to lasso' : ' · drag to pan, wheel to zoom',
    );
  }

  // ---- geometry -----------------------------------------------------------------------------------

  private resize(): void {
    if (this.destroyed) return;
    const rect = this.stage.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const w = rect.width;
    const hh = rect.height;
    if (this.fitted) {
      // Keep the centre where it was.
      this.tx += (w - this.cssW) / 2;
      this.ty += (hh - this.cssH) / 2;
    }
    this.cssW = w;
    this.cssH = hh;
    this.sizeCanvases();
    if (!this.fitted) this.fit();
    this.invalidate();
  }

  private sizeCanvases(): void {
    this.dpr = window.devicePixelRatio || 1;
    const W = Math.round(this.cssW * this.dpr);
    const H = Math.round(this.cssH * this.dpr);
    this.renderer.resize(W, H);
    this.overlay.width = W;
    this.overlay.height = H;
  }

  private fit(): void {
    if (this.cssW === 0) return;
    const b = boundsOf(this.view.xy);
    const pad = 18;
    this.k = Math.min((this.cssW - 2 * pad) / (b.x1 - b.x0), (this.cssH - 2 * pad) / (b.y1 - b.y0));
    this.tx = this.cssW / 2 - (this.k * (b.x0 + b.x1)) / 2;
    this.ty = this.cssH / 2 + (this.k * (b.y0 + b.y1)) / 2;
    this.fitted = true;
  }

  private reset(): void {
    this.fitted = false;
    this.fit();
    this.invalidate();
  }

  /** CSS pixels of the stage → data coordinates. */
  private toData(x: number, y: number): [number, number] {
    return [(x - this.tx) / this.k, -(y - this.ty) / this.k];
  }

  private fitScale(): number {
    const b = boundsOf(this.view.xy);
    return Math.min(this.cssW / (b.x1 - b.x0), this.cssH / (b.y1 - b.y0));
  }

  private zoom(factor: number, x: number, y: number): void {
    const base = this.fitScale();
    const k = Math.min(base * 5000, Math.max(base / 8, this.k * factor));
    const f = k / this.k;
    this.tx = x - (x - this.tx) * f;
    this.ty = y - (y - this.ty) * f;
    this.k = k;
    this.invalidate();
  }

  // ---- interaction ----------------------------------------------------------------------------------

  private local(e: MouseEvent): [number, number] {
    const r = this.stage.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private listen(): void {
    const st = this.stage;
    st.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const [x, y] = this.local(e);
      const lasso = (this.lassoMode || e.shiftKey) && this.o.selection !== null;
      this.drag = { mode: lasso ? 'lasso' : 'pan', x, y, moved: false, path: [x, y] };
      try {
        st.setPointerCapture(e.pointerId);
      } catch {
        // a synthetic pointer (benchmarks): moves still arrive on the stage
      }
      this.tip.hidden = true;
      e.preventDefault();
    });
    st.addEventListener('pointermove', (e) => {
      const [x, y] = this.local(e);
      const d = this.drag;
      if (d === null) {
        this.hover(x, y);
        return;
      }
      if (Math.abs(x - d.x) + Math.abs(y - d.y) > 0) d.moved = true;
      if (d.mode === 'pan') {
        this.tx += x - d.x;
        this.ty += y - d.y;
        d.x = x;
        d.y = y;
      } else {
        d.path.push(x, y);
      }
      this.invalidate();
    });
    const end = (e: PointerEvent, cancelled: boolean): void => {
      const d = this.drag;
      this.drag = null;
      if (d === null) return;
      if (!cancelled && d.mode === 'lasso') this.finishLasso(d.path);
      else if (!cancelled && d.mode === 'pan' && !d.moved) {
        const [x, y] = this.local(e);
        this.click(x, y);
      }
      this.invalidate();
    };
    st.addEventListener('pointerup', (e) => end(e, false));
    st.addEventListener('pointercancel', (e) => end(e, true));
    st.addEventListener('pointerleave', () => {
      if (this.drag !== null) return;
      this.hovered = -1;
      this.tip.hidden = true;
      this.invalidate();
    });
    st.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const [x, y] = this.local(e);
        // deltaMode 1 (lines) on some mice: about 33 pixels a line.
        const dy = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY;
        this.zoom(Math.exp(-dy * 0.0015), x, y);
      },
      { passive: false },
    );
    st.addEventListener('dblclick', () => this.reset());
    st.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.drag?.mode === 'lasso') {
        this.drag = null;
        this.invalidate();
      }
    });
  }

  private finishLasso(path: number[]): void {
    const sel = this.o.selection;
    if (sel === null || path.length < 6) return;
    const poly = new Float64Array(path.length);
    for (let i = 0; i < path.length; i += 2) [poly[i], poly[i + 1]] = this.toData(path[i], path[i + 1]);
    const points = pointsInPolygon(this.view.xy, poly);
    const rows = Array.from(points, (p) => this.rowOf(p));
    sel.set(rows, `scatter:${this.o.name}`, `lasso in ${this.o.title}${this.o.views.length > 1 ? ` (${this.view.title})` : ''}: ${points.length} points`);
  }

  private click(x: number, y: number): void {
    const sel = this.o.selection;
    const p = this.nearest(x, y);
    if (sel === null || p < 0) return;
    const row = this.rowOf(p);
    sel.set([row], `scatter:${this.o.name}`, `row ${row}`);
  }

  private nearest(x: number, y: number): number {
    let g = this.grids.get(this.view.key);
    if (g === undefined) this.grids.set(this.view.key, (g = new GridIndex(this.view.xy)));
    const [dx, dy] = this.toData(x, y);
    return g.nearest(dx, dy, HOVER_PX / this.k);
  }

  private hover(x: number, y: number): void {
    const p = this.nearest(x, y);
    this.hoverAt = [x, y];
    if (p !== this.hovered) {
      this.hovered = p;
      this.invalidate();
      if (p >= 0) this.fillTip(p);
    }
    if (p < 0) {
      this.tip.hidden = true;
      return;
    }
    this.tip.hidden = false;
    // Positioned through the CSSOM (allowed by the CSP, unlike a style attribute).
    const left = x > this.cssW / 2 ? x - this.tip.offsetWidth - 14 : x + 14;
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${Math.max(0, Math.min(this.cssH - this.tip.offsetHeight, y - 20))}px`;
  }

  private fillTip(p: number): void {
    const row = this.rowOf(p);
    const lines = this.view.colourings
      .filter((c) => c.values[p] >= 0)
      .map((c) => h('div', {}, h('span', { class: 'tip-x' }, `${c.title}: `), c.name(c.values[p])));
    const slot = h('div', { class: 'tip-image' });
    replace(this.tip, h('div', { class: 'tip-row' }, `row ${row}`), lines, slot);
    delete this.tip.dataset.reconstruction;
    this.tip.dataset.row = String(row);
    const inputs = this.o.inputs;
    if (inputs === null) return;
    replace(slot, h('span', { class: 'tip-x' }, 'loading image…'));
    inputs.get([row]).then(
      (m) => {
        const px = m.get(row);
        if (this.hovered !== p || px === undefined) return;
        replace(slot, inputs.canvas(px, 'input-image tip-canvas'));
        this.hover(...this.hoverAt);
        const reconstruct = this.o.reconstruct;
        if (reconstruct === undefined || reconstruct === null) return;
        reconstruct(px).then(
          (rec) => {
            if (this.hovered !== p || rec === null) return;
            const c = inputs.canvas(
              Uint8Array.from(rec, (v) => Math.round(255 * Math.min(1, Math.max(0, v)))),
              'input-image tip-canvas tip-recon',
            );
            c.title = 'its reconstruction';
            slot.append(c);
            this.tip.dataset.reconstruction = 'shown';
            this.hover(...this.hoverAt);
          },
          () => {
            // No reconstruction (the model could not be loaded): the input alone says enough.
          },
        );
      },
      (e: unknown) => {
        if (this.hovered === p) replace(slot, h('span', { class: 'tip-x' }, (e as Error).message));
      },
    );
  }

  // ---- drawing --------------------------------------------------------------------------------------

  private invalidate(): void {
    if (this.pending !== 0 || this.destroyed) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.frame();
    });
  }

  private frame(): void {
    if (this.cssW === 0) return;
    const t0 = performance.now();
    const dpr = this.dpr;
    const zoomIn = Math.max(1, this.k / this.fitScale());
    const radius = Math.round(baseRadius(this.view.xy.length >> 1) * Math.min(3, Math.sqrt(zoomIn)) * dpr * 2) / 2;
    this.renderer.draw({ sx: this.k * dpr, sy: -this.k * dpr, tx: this.tx * dpr, ty: this.ty * dpr }, radius, this.firstDraw);
    this.drawOverlay();
    const t1 = performance.now();
    this.draws++;
    const ds = this.element.dataset;
    if (this.firstDraw) {
      this.firstDraw = false;
      ds.firstDrawMs = t1.toFixed(1);
    }
    ds.draws = String(this.draws);
    ds.drawMs = (t1 - t0).toFixed(2);
    ds.transform = JSON.stringify({ k: this.k, tx: this.tx, ty: this.ty });
  }

  private drawOverlay(): void {
    const ctx = this.overlay.getContext('2d');
    if (ctx === null) return;
    const dpr = this.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const X = (x: number): number => x * this.k + this.tx;
    const Y = (y: number): number => -y * this.k + this.ty;
    const grid = this.view.grid;
    if (grid !== undefined && this.gridToggle.checked) {
      ctx.strokeStyle = 'rgba(17, 24, 39, 0.55)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let e = 0; e < grid.edges.length; e += 2) {
        const a = grid.edges[e];
        const b = grid.edges[e + 1];
        ctx.moveTo(X(grid.nodes[2 * a]), Y(grid.nodes[2 * a + 1]));
        ctx.lineTo(X(grid.nodes[2 * b]), Y(grid.nodes[2 * b + 1]));
      }
      ctx.stroke();
      ctx.fillStyle = '#111827';
      for (let i = 0; i < grid.nodes.length; i += 2) {
        ctx.beginPath();
        ctx.arc(X(grid.nodes[i]), Y(grid.nodes[i + 1]), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    if (this.hovered >= 0) {
      const p = this.hovered;
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(X(this.view.xy[2 * p]), Y(this.view.xy[2 * p + 1]), 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const probe = this.probePoint();
    this.element.dataset.probe = probe === null ? '' : `${probe[0]},${probe[1]}`;
    if (probe !== null) {
      // The drawn input: a ring with a cross, in the accent colour, above every point.
      const px = X(probe[0]);
      const py = Y(probe[1]);
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#ffffff';
      ctx.beginPath();
      ctx.arc(px, py, 9, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#dc2626';
      ctx.beginPath();
      ctx.arc(px, py, 9, 0, 2 * Math.PI);
      ctx.moveTo(px - 14, py);
      ctx.lineTo(px + 14, py);
      ctx.moveTo(px, py - 14);
      ctx.lineTo(px, py + 14);
      ctx.stroke();
    }
    const d = this.drag;
    if (d !== null && d.mode === 'lasso' && d.path.length >= 4) {
      ctx.strokeStyle = '#1d4ed8';
      ctx.fillStyle = 'rgba(29, 78, 216, 0.08)';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(d.path[0], d.path[1]);
      for (let i = 2; i < d.path.length; i += 2) ctx.lineTo(d.path[i], d.path[i + 1]);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** The probe's position in the view shown (data coordinates), or null. */
  private probePoint(): [number, number] | null {
    const r = this.o.probe?.current ?? null;
    if (r === null) return null;
    return this.view.place !== undefined ? this.view.place(r) : (r.points.get(this.view.key) ?? null);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.pending !== 0) cancelAnimationFrame(this.pending);
    this.unsubscribe();
    this.resizeObserver.disconnect();
    this.renderer.destroy();
  }
}
