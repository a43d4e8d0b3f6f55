/**
 * The map of a SOM or DESOM run, linked to the page's selection: its cells on their lattice
 * (rectangular or hexagonal), drawn as one of several layers — the (decoded) prototypes as images,
 * the U-matrix, the hits, the class map, a component plane. Clicking a cell selects the rows it
 * wins (shift-click adds cells); a selection made elsewhere lights the cells holding its rows, with
 * their counts. The layer is painted on a canvas; the cells are SVG shapes over it, which take the
 * clicks and show the selection. A DESOM without its final arrays yet (still training, or stopped)
 * is drawn from the snapshot of its latest evaluation, redrawn in place as the next one arrives.
 */
import type { CellLabels } from '../src/som/cells.js';
import type { RunDetail } from '../src/serve/types.js';
import { categoryColor, colorAt, textColorOn, type ColorScaleName } from '../src/viz/palette.js';
import { cellLayout, type CellLayout } from '../src/viz/som-maps.js';
import { h, replace, s } from './dom.js';
import { num } from './format.js';
import { fetchEvents } from './api.js';
import { MapModel, cellLabelsOfCounts, extent, greyLevels, imageShapeOf, mapShapeOf, matrixOf } from './map-model.js';
import { int32Of, type NpyArray } from './npy.js';
import { registerRunSection, type RunSectionContext } from './sections.js';
import type { Probe, ProbeResult } from './probe.js';
import type { Selection, SelectionChange } from './selection.js';

type LayerId = 'prototypes' | 'umatrix' | 'hits' | 'classes' | 'component';

const EMPTY_FILL = '#f4f4f4';
const GRID = '#d0d5dd';
const LIT = '#111827';
const PAD = 4;
/** The map's drawing fits in about this many pixels each way. */
const MAP_PX = 540;

const hasArray = (run: RunDetail, name: string): boolean => run.arrays.some((a) => a.name === name && a.shape !== null);

/** Class names from config.json's dataset (signatures-style class_names), else the class indices. */
function classNamesOf(record: Record<string, unknown> | null): (c: number) => string {
  const ds = record?.dataset as { class_names?: unknown } | undefined;
  const names = Array.isArray(ds?.class_names) ? (ds.class_names as unknown[]).map(String) : [];
  return (c) => names[c] ?? String(c);
}

/** Images to draw in the cells: the decoded prototypes, or the prototypes themselves when they are images. */
interface CellImages {
  grey: Uint8ClampedArray;
  height: number;
  width: number;
  /** 'decoded prototypes' or 'prototypes'. */
  what: string;
}

interface ViewInput {
  run: RunDetail;
  model: MapModel;
  images: CellImages | null;
  /** The prototypes are raw images (a SOM on pixels): a component is a pixel. */
  pixelFeatures: [number, number] | null;
  className: (c: number) => string;
  selection: Selection | null;
  /** The page's drawn input: its best-matching cell is outlined. */
  probe?: Probe | null;
  /** What the status line says of a map without a selection (default: its BMUs are not of the run's labelled rows). */
  unlinked?: string;
}

/** What the cells draw as images (decoded prototypes, or prototypes that are images) and whether a component is a pixel. */
function cellImages(
  imageShape: [number, number] | null,
  decoded: { data: Float32Array | Float64Array; dim: number } | null,
  prototypes: { data: Float32Array | Float64Array; dim: number } | null,
): { images: CellImages | null; pixelFeatures: [number, number] | null } {
  if (imageShape === null) return { images: null, pixelFeatures: null };
  const [ih, iw] = imageShape;
  const pixels = prototypes !== null && prototypes.dim === ih * iw;
  let images: CellImages | null = null;
  if (decoded !== null && decoded.dim === ih * iw) images = { grey: greyLevels(decoded.data), height: ih, width: iw, what: 'decoded prototypes' };
  else if (pixels) images = { grey: greyLevels(prototypes.data), height: ih, width: iw, what: 'prototypes' };
  return { images, pixelFeatures: pixels ? imageShape : null };
}

async function renderMap(ctx: RunSectionContext): Promise<HTMLElement | null> {
  const { run } = ctx;
  if (!hasArray(run, 'bmus')) {
    // A DESOM writes a snapshot of its map at each evaluation: followed while it trains, the last one kept when it stopped.
    if (run.kind === 'desom' && (ctx.live || hasArray(run, 'live_prototypes'))) return new LiveMap(ctx).element;
    return run.status === 'running' ? h('p', { class: 'muted' }, 'The map is drawn when the run has written its arrays.') : null;
  }
  const shape = mapShapeOf(run.record, run.config);
  const K = shape.rows * shape.cols;
  const [bmus, labels, protos, decoded] = await Promise.all([
    ctx.array('bmus'),
    hasArray(run, 'labels') ? ctx.array('labels') : null,
    hasArray(run, 'prototypes') ? ctx.array('prototypes') : null,
    hasArray(run, 'decoded_prototypes') ? ctx.array('decoded_prototypes') : null,
  ]);
  const prototypes = protos === null ? null : matrixOf(protos, K, 'prototypes.npy');
  const model = new MapModel(shape, int32Of(bmus, 'bmus.npy'), labels === null ? null : int32Of(labels, 'labels.npy'), prototypes);
  const { images, pixelFeatures } = cellImages(imageShapeOf(run.record), decoded === null ? null : matrixOf(decoded, K, 'decoded_prototypes.npy'), prototypes);
  // The selection's rows are the rows of labels.npy; a map whose BMUs are of other rows stays unlinked.
  const selection = ctx.selection !== null && ctx.selection.n === model.bmus.length ? ctx.selection : null;
  return new MapView({ run, model, images, pixelFeatures, className: classNamesOf(run.record), selection, probe: ctx.probe }).element;
}

/** An eval record that announces a live snapshot (desom: the arrays live_*.npy were written just before it). */
type SnapshotRecord = Record<string, unknown> & { iteration: number };

function lastSnapshot(records: readonly Record<string, unknown>[]): SnapshotRecord | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (r.type === 'eval' && r.snapshot === true && typeof r.iteration === 'number') return r as SnapshotRecord;
  }
  return null;
}

/** The periodic evaluation's metrics shown beside a live map, in this order. */
const LIVE_METRICS: readonly [string, string][] = [
  ['purity', 'purity'],
  ['nmi', 'NMI'],
  ['nmi_geometric', 'NMI (geometric)'],
  ['qe', 'QE'],
  ['te', 'TE'],
];

/**
 * The map of a DESOM that has no final arrays yet, from the snapshot its training writes at each
 * evaluation (src/runs/kinds/desom/live.ts): while the run trains, each eval record with a snapshot
 * fetches the arrays again and redraws the same view, which keeps its layer, feature and pinned
 * cell. The snapshot's hits and classes are of the evaluated rows, which are not the run's rows:
 * the map selects nothing until the run ends and its final map replaces this one.
 */
class LiveMap {
  readonly element: HTMLElement;
  private readonly head: HTMLElement;
  private readonly metrics: HTMLElement;
  private readonly slot: HTMLElement;
  private view: MapView | null = null;
  private loading = false;
  /** The latest snapshot announced while one was loading: loaded next. */
  private queued: SnapshotRecord | null = null;
  /** Whether a snapshot record came through the page's stream (newer than any fetched here). */
  private heard = false;

  constructor(private readonly ctx: RunSectionContext) {
    this.head = h('p', { class: 'map-live-head' }, ctx.live ? 'Waiting for the run’s first evaluation…' : 'No snapshot of the map.');
    this.metrics = h('p', { class: 'map-live-metrics muted' });
    this.slot = h('div', { class: 'map-live-slot' });
    this.element = h('div', { class: 'map-live', 'data-live': String(ctx.live) }, this.head, this.metrics, this.slot);
    ctx.onRecords((records) => {
      const r = lastSnapshot(records);
      if (r === null) return;
      this.heard = true;
      void this.load(r);
    });
    const known = lastSnapshot(ctx.records);
    if (known !== null) void this.load(known);
    else if (ctx.live) void this.catchUp();
  }

  /** The records the page got before this section listened, asked for again. */
  private async catchUp(): Promise<void> {
    let r: SnapshotRecord | null;
    try {
      r = lastSnapshot(await fetchEvents(this.ctx.run.id, 'eval'));
    } catch {
      return; // the stream's next snapshot will do
    }
    if (r !== null && !this.heard) void this.load(r);
  }

  private async load(r: SnapshotRecord): Promise<void> {
    if (this.loading) {
      this.queued = r;
      return;
    }
    this.loading = true;
    try {
      const [protos, decoded, hits, counts] = await Promise.all(
        ['live_prototypes', 'live_decoded_prototypes', 'live_hits', 'live_class_counts'].map((n) => this.ctx.arrayFresh(n).catch(() => null)),
      );
      // Gone (the run completed and deleted them) or not written yet: the view stays as it was. A
      // newer snapshot announced meanwhile may have replaced some of these files: it is loaded next.
      if (protos !== null && hits !== null && this.queued === null) this.draw(r, protos, decoded, hits, counts);
    } catch (e) {
      this.view = null;
      replace(this.slot, h('div', { class: 'error-panel' }, (e as Error).message));
    } finally {
      this.loading = false;
      const next = this.queued;
      this.queued = null;
      if (next !== null) void this.load(next);
    }
  }

  private draw(r: SnapshotRecord, protos: NpyArray, decoded: NpyArray | null, hitsArray: NpyArray, counts: NpyArray | null): void {
    const { run } = this.ctx;
    const shape = mapShapeOf(run.record, run.config);
    const K = shape.rows * shape.cols;
    const prototypes = matrixOf(protos, K, 'live_prototypes.npy');
    const hits = int32Of(hitsArray, 'live_hits.npy');
    let classes: CellLabels | null = null;
    if (counts !== null) {
      const table = int32Of(counts, 'live_class_counts.npy');
      classes = cellLabelsOfCounts(table, K, counts.shape[1] ?? 0);
    }
    const model = new MapModel(shape, new Int32Array(0), null, prototypes, { hits, classes });
    const { images, pixelFeatures } = cellImages(
      imageShapeOf(run.record),
      decoded === null ? null : matrixOf(decoded, K, 'live_decoded_prototypes.npy'),
      prototypes,
    );
    const rows = typeof r.rows === 'number' ? r.rows : null;
    const input: ViewInput = {
      run,
      model,
      images,
      pixelFeatures,
      className: classNamesOf(run.record),
      selection: null,
      unlinked: `Hits and classes of the ${rows === null ? '' : `${rows} `}rows evaluated at step ${r.iteration}; the map selects rows once the run completes. Click a cell to pin it.`,
    };
    if (this.view === null) {
      this.view = new MapView(input);
      replace(this.slot, this.view.element);
    } else this.view.update(input);
    this.element.dataset.step = String(r.iteration);
    replace(
      this.head,
      h('strong', {}, `Map at step ${r.iteration}`),
      this.ctx.live
        ? [' ', h('span', { class: 'badge status-running map-live-badge' }, 'live')]
        : h('span', { class: 'muted' }, ' (the last evaluation before the run stopped)'),
    );
    replace(
      this.metrics,
      rows === null ? 'Evaluation' : `Evaluation on ${rows} rows`,
      ': ',
      LIVE_METRICS.filter(([k]) => typeof r[k] === 'number').map(([k, label], i) => [
        i > 0 ? ' · ' : '',
        h('span', { class: 'map-live-metric', 'data-metric': k }, `${label} `, h('strong', {}, num(r[k] as number))),
      ]),
    );
  }
}

/** Cell size in px: the map fits in about MAP_PX each way. */
function cellSize(rows: number, cols: number, hex: boolean): number {
  const across = MAP_PX / (cols + (hex && rows > 1 ? 0.5 : 0));
  const down = hex ? MAP_PX / ((rows - 1) * 0.866 + 1.155) : MAP_PX / rows;
  return Math.max(8, Math.min(72, Math.floor(Math.min(across, down))));
}

function tracePath(g: CanvasRenderingContext2D, o: Float64Array): void {
  g.beginPath();
  g.moveTo(o[0], o[1]);
  for (let j = 2; j < o.length; j += 2) g.lineTo(o[j], o[j + 1]);
  g.closePath();
}

const points = (o: Float64Array): string => {
  const p: string[] = [];
  for (let j = 0; j < o.length; j += 2) p.push(`${o[j].toFixed(2)},${o[j + 1].toFixed(2)}`);
  return p.join(' ');
};

class MapView {
  readonly element: HTMLElement;
  private model: MapModel;
  private readonly layout: CellLayout;
  private readonly size: number;
  private readonly width: number;
  private readonly height: number;
  private readonly canvas: HTMLCanvasElement;
  private readonly cells: SVGPolygonElement[] = [];
  private readonly counts: SVGGElement;
  private readonly probeMark: SVGPolygonElement;
  private readonly legend: HTMLElement;
  private readonly status: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly featureBox: HTMLElement;
  private readonly buttons = new Map<LayerId, HTMLButtonElement>();
  private layer: LayerId;
  private feature = 0;
  /** Whether a component plane has been shown (its feature is then the user's). */
  private featureShown = false;
  /** Per cell, the selected rows it holds (null: nothing selected). */
  private lit: Int32Array | null = null;
  /** Shows a cell's prototype (null: the mean one) in the pixel picker of the component plane. */
  private showPrototype: (cell: number | null) => void = () => {};
  private hovered: number | null = null;
  /** The cells clicked into the current selection (shift-click adds). */
  private clicked: number[] = [];
  /** The cell clicked on a map without a selection: outlined, its numbers in the status line. */
  private pinned: number | null = null;

  constructor(private o: ViewInput) {
    const { model } = o;
    this.model = model;
    const { rows, cols, topology } = model.shape;
    this.size = cellSize(rows, cols, topology === 'hexagonal');
    this.layout = cellLayout(rows, cols, topology, this.size, PAD, PAD);
    this.width = Math.ceil(this.layout.width + 2 * PAD);
    this.height = Math.ceil(this.layout.height + 2 * PAD);

    const layers: [LayerId, string, boolean][] = [
      ['prototypes', o.images?.what ?? 'prototypes', o.images !== null],
      ['umatrix', 'U-matrix', model.prototypes !== null],
      ['hits', 'hits', true],
      ['classes', 'class map', model.classes !== null],
      ['component', 'component plane', model.prototypes !== null],
    ];
    this.layer = o.images !== null ? 'prototypes' : model.prototypes !== null ? 'umatrix' : 'hits';
    const toolbar = h(
      'div',
      { class: 'toolbar map-layers', role: 'group', 'aria-label': 'map layer' },
      layers
        .filter(([, , ok]) => ok)
        .map(([id, label]) => {
          const b = h('button', { type: 'button', class: 'small', 'data-layer': id, 'aria-pressed': 'false', onclick: () => this.setLayer(id) }, label);
          this.buttons.set(id, b);
          return b;
        }),
    );
    this.featureBox = h('div', { class: 'map-feature', hidden: true });

    this.canvas = h('canvas', { class: 'map-canvas', width: this.width, height: this.height });
    const svg = s('svg', { class: 'map-overlay', width: this.width, height: this.height, viewBox: `0 0 ${this.width} ${this.height}` });
    const cellsG = s('g', {});
    for (let k = 0; k < model.size; k++) {
      const poly = s('polygon', {
        class: 'map-cell',
        'data-cell': k,
        points: points(this.layout.outlines[k]),
        fill: '#ffffff',
        'fill-opacity': 0,
        stroke: 'none',
      });
      this.cells.push(poly);
      cellsG.append(poly);
    }
    this.counts = s('g', { class: 'map-counts', 'pointer-events': 'none' });
    this.probeMark = s('polygon', { class: 'map-probe', 'pointer-events': 'none', visibility: 'hidden' });
    svg.append(cellsG, this.counts, this.probeMark);
    svg.addEventListener('click', (e) => this.click(e));
    svg.addEventListener('pointermove', (e) => this.hover(e));
    svg.addEventListener('pointerleave', () => this.hover(null));
    this.tip = h('div', { class: 'tooltip', hidden: true });
    this.legend = h('div', { class: 'map-legend' });
    this.status = h('p', { class: 'map-status muted' });

    this.element = h(
      'div',
      { class: 'map-view', 'data-cells': model.size, 'data-topology': topology, 'data-selected-count': 0 },
      toolbar,
      h(
        'div',
        { class: 'map-body' },
        h('div', { class: 'map-stack' }, this.canvas, svg, this.tip),
        h('div', { class: 'map-side' }, this.featureBox, this.legend),
      ),
      this.status,
    );
    // The canvas holds the layer at the screen's resolution; its CSS size stays the map's.
    const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.setLayer(this.layer);
    if (o.selection !== null) {
      o.selection.subscribe((c) => this.showSelection(c));
      this.showSelection(o.selection.change);
    } else this.showPinned();
    if (o.probe !== undefined && o.probe !== null) {
      o.probe.subscribe((r) => this.showProbe(r));
      this.showProbe(o.probe.current);
    }
  }

  /** Outlines the drawn input's best-matching cell (none: hidden). */
  private showProbe(r: ProbeResult | null): void {
    const k = r?.bmu ?? null;
    const on = k !== null && k >= 0 && k < this.model.size;
    if (on) this.probeMark.setAttribute('points', points(this.layout.outlines[k]));
    this.probeMark.setAttribute('visibility', on ? 'visible' : 'hidden');
    this.element.dataset.probeCell = on ? String(k) : '';
  }

  /**
   * Shows another state of the same map (a running DESOM's next snapshot) in place: the layer,
   * the feature, the pinned cell and the selection stay.
   */
  update(o: ViewInput): void {
    const { shape } = o.model;
    const was = this.model.shape;
    if (shape.rows !== was.rows || shape.cols !== was.cols || shape.topology !== was.topology)
      throw new Error(`MapView.update: expected the same ${was.rows}×${was.cols} ${was.topology} map, got ${shape.rows}×${shape.cols} ${shape.topology}`);
    this.o = o;
    this.model = o.model;
    // The pixel picker drew the old prototypes: built again, on the same feature.
    if (o.pixelFeatures !== null) {
      this.featureBox.replaceChildren();
      if (this.layer === 'component') this.buildFeaturePicker();
    }
    this.paint();
    if (o.selection !== null) this.showSelection(o.selection.change);
    else this.showPinned();
    if (this.hovered !== null && !this.tip.hidden) this.fillTip(this.hovered);
  }

  /** The status line of a map without a selection: the pinned cell's numbers, or what the map is. */
  private showPinned(): void {
    const k = this.pinned;
    this.element.dataset.pinned = k === null ? '' : String(k);
    for (const [j, p] of this.cells.entries()) {
      p.classList.toggle('pinned', j === k);
      p.setAttribute('stroke', j === k ? LIT : 'none');
      p.setAttribute('stroke-width', '2');
    }
    const note = this.o.unlinked ?? 'This map is not linked to a selection (its BMUs are not of the run’s labelled rows).';
    if (k === null) {
      replace(this.status, note);
      return;
    }
    const m = this.model;
    const cl = m.classes;
    replace(
      this.status,
      h('strong', {}, `cell ${this.cellName(k)}`),
      ` · ${m.hits[k]} ${m.hits[k] === 1 ? 'row' : 'rows'}`,
      cl !== null && cl.label[k] >= 0 ? ` · class ${this.o.className(cl.label[k])}, purity ${Math.round(cl.purity[k] * 100)}%` : '',
      m.umatrix !== null ? ` · U-matrix ${num(m.umatrix[k])}` : '',
      ' · ',
      h('button', { type: 'button', class: 'small', 'data-action': 'unpin', onclick: () => this.pin(null) }, 'unpin'),
    );
  }

  private pin(k: number | null): void {
    this.pinned = k;
    this.showPinned();
  }

  private setLayer(id: LayerId): void {
    this.layer = id;
    this.element.dataset.layer = id;
    for (const [k, b] of this.buttons) b.setAttribute('aria-pressed', String(k === id));
    this.featureBox.hidden = id !== 'component';
    if (id === 'component') this.buildFeaturePicker();
    this.paint();
  }

  /** Cell values of the current layer (numeric layers), for the tooltip and the legend. */
  private values(): Float64Array | Int32Array | null {
    switch (this.layer) {
      case 'umatrix':
        return this.model.umatrix;
      case 'hits':
        return this.model.hits;
      case 'component':
        return this.model.component(this.feature);
      default:
        return null;
    }
  }

  private paint(): void {
    const g = this.canvas.getContext('2d');
    if (g === null) throw new Error('MapView: this browser gives no 2-d canvas');
    const dpr = this.canvas.width / this.width;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, this.width, this.height);
    const { model, layout } = this;
    const K = model.size;
    const font = Math.max(8, Math.min(13, this.size * 0.3));
    const text = (k: number, label: string, fill: string, alpha = 1): void => {
      if (label === '' || this.size < 16) return;
      g.fillStyle = textColorOn(fill, alpha);
      g.font = `${font}px system-ui, sans-serif`;
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(label, layout.centres[2 * k], layout.centres[2 * k + 1]);
    };
    const stroke = (k: number): void => {
      tracePath(g, layout.outlines[k]);
      g.strokeStyle = GRID;
      g.lineWidth = 0.75;
      g.stroke();
    };
    const legendBar = (title: string, scale: ColorScaleName, values: ArrayLike<number>): void => {
      const [lo, hi] = extent(values);
      this.legend.replaceChildren(colourBar(title, scale, lo, hi));
    };

    if (this.layer === 'prototypes' && this.o.images !== null) {
      const im = this.o.images;
      // One atlas of every prototype (K images side by side), drawn scaled into each cell.
      const atlas = document.createElement('canvas');
      atlas.width = im.width * K;
      atlas.height = im.height;
      const a = atlas.getContext('2d');
      if (a === null) throw new Error('MapView: this browser gives no 2-d canvas');
      const data = a.createImageData(atlas.width, atlas.height);
      const px = im.width * im.height;
      for (let k = 0; k < K; k++) {
        for (let y = 0; y < im.height; y++) {
          for (let x = 0; x < im.width; x++) {
            const v = im.grey[k * px + y * im.width + x];
            const o = 4 * (y * atlas.width + k * im.width + x);
            data.data[o] = data.data[o + 1] = data.data[o + 2] = v;
            data.data[o + 3] = 255;
          }
        }
      }
      a.putImageData(data, 0, 0);
      const side = this.size;
      for (let k = 0; k < K; k++) {
        g.save();
        tracePath(g, layout.outlines[k]);
        g.clip();
        g.drawImage(atlas, k * im.width, 0, im.width, im.height, layout.centres[2 * k] - side / 2, layout.centres[2 * k + 1] - side / 2, side, side);
        g.restore();
        stroke(k);
      }
      this.legend.replaceChildren(
        h('p', { class: 'muted' }, im.what === 'decoded prototypes' ? 'Each cell’s prototype through the decoder.' : 'Each cell’s prototype, as an image.'),
      );
    } else if (this.layer === 'classes' && model.classes !== null) {
      const cl = model.classes;
      for (let k = 0; k < K; k++) {
        const c = cl.label[k];
        const fill = c < 0 ? EMPTY_FILL : categoryColor(c);
        const alpha = c < 0 ? 1 : 0.25 + 0.75 * cl.purity[k];
        tracePath(g, layout.outlines[k]);
        g.globalAlpha = alpha;
        g.fillStyle = fill;
        g.fill();
        g.globalAlpha = 1;
        stroke(k);
        if (c >= 0) text(k, this.size >= 40 ? `${this.o.className(c)} ${Math.round(cl.purity[k] * 100)}%` : this.o.className(c), fill, alpha);
      }
      const present = [...new Set(Array.from(cl.label).filter((c) => c >= 0))].sort((x, y) => x - y);
      this.legend.replaceChildren(
        h('p', { class: 'legend-title' }, 'majority class'),
        h(
          'ul',
          { class: 'swatches' },
          present.map((c) => h('li', {}, swatch(categoryColor(c)), ` ${this.o.className(c)}`)),
        ),
        h('p', { class: 'muted' }, 'Opacity: the share of the cell’s rows in that class (purity).'),
      );
    } else {
      const values = this.values() ?? model.hits;
      const scale: ColorScaleName = this.layer === 'hits' ? 'blues' : 'viridis';
      const [lo, hi] = extent(values);
      for (let k = 0; k < K; k++) {
        const v = values[k];
        const fill = Number.isFinite(v) ? colorAt(scale, hi > lo ? (v - lo) / (hi - lo) : 0.5) : EMPTY_FILL;
        tracePath(g, layout.outlines[k]);
        g.fillStyle = fill;
        g.fill();
        stroke(k);
        if (this.layer === 'hits') text(k, String(v), fill);
      }
      const title =
        this.layer === 'umatrix' ? 'mean distance to neighbours' : this.layer === 'hits' ? 'rows per cell' : `component ${this.featureName(this.feature)}`;
      legendBar(title, scale, values);
    }
  }

  private featureName(f: number): string {
    if (this.o.pixelFeatures !== null) {
      const w = this.o.pixelFeatures[1];
      return `pixel (${Math.floor(f / w)}, ${f % w})`;
    }
    return this.o.run.kind === 'desom' ? `z${f}` : `feature ${f}`;
  }

  /**
   * The feature chooser: a number, and for a map of raw images a picture to click a pixel in — the
   * mean prototype, or the prototype of the cell under the pointer.
   */
  private buildFeaturePicker(): void {
    if (this.featureBox.childElementCount > 0 || this.model.prototypes === null) return;
    const dim = this.model.prototypes.dim;
    const protos = this.model.prototypes.data;
    const label = h('span', { class: 'muted' });
    const input = h('input', { type: 'number', min: 0, max: dim - 1, step: 1, value: this.feature, 'aria-label': 'feature', class: 'feature-input' });
    const caption = h('p', { class: 'muted' });
    let drawPicker: (cell: number | null) => void = () => {};
    const choose = (f: number): void => {
      if (!Number.isInteger(f) || f < 0 || f >= dim) return;
      this.feature = f;
      this.featureShown = true;
      input.value = String(f);
      label.textContent = this.featureName(f);
      this.element.dataset.feature = String(f);
      drawPicker(null);
      if (this.layer === 'component') this.paint();
    };
    input.addEventListener('change', () => choose(Number(input.value)));
    let picker: HTMLCanvasElement | null = null;
    if (this.o.pixelFeatures !== null) {
      const [ih, iw] = this.o.pixelFeatures;
      const zoom = Math.max(2, Math.floor(112 / iw));
      const p = h('canvas', { class: 'pixel-picker', width: iw * zoom, height: ih * zoom, title: 'click a pixel' });
      picker = p;
      // The mean prototype shows where the map's ink is: the pixels worth a plane.
      const mean = new Float64Array(dim);
      for (let k = 0; k < this.model.size; k++) for (let q = 0; q < dim; q++) mean[q] += protos[k * dim + q] / this.model.size;
      const meanGrey = greyLevels(mean);
      const allGrey = greyLevels(protos);
      const tmp = document.createElement('canvas');
      tmp.width = iw;
      tmp.height = ih;
      drawPicker = (cell) => {
        const g = p.getContext('2d');
        const t = tmp.getContext('2d');
        if (g === null || t === null) return;
        const img = t.createImageData(iw, ih);
        for (let q = 0; q < dim; q++) {
          img.data[4 * q] = img.data[4 * q + 1] = img.data[4 * q + 2] = cell === null ? meanGrey[q] : allGrey[cell * dim + q];
          img.data[4 * q + 3] = 255;
        }
        t.putImageData(img, 0, 0);
        g.imageSmoothingEnabled = false;
        g.drawImage(tmp, 0, 0, iw * zoom, ih * zoom);
        g.strokeStyle = '#ef4444';
        g.lineWidth = 2;
        g.strokeRect((this.feature % iw) * zoom, Math.floor(this.feature / iw) * zoom, zoom, zoom);
        caption.textContent = cell === null ? 'the mean prototype: click a pixel' : `the prototype of cell ${this.cellName(cell)}`;
      };
      p.addEventListener('click', (e) => {
        const r = p.getBoundingClientRect();
        const x = Math.floor(((e.clientX - r.left) / r.width) * iw);
        const y = Math.floor(((e.clientY - r.top) / r.height) * ih);
        choose(Math.min(ih - 1, Math.max(0, y)) * iw + Math.min(iw - 1, Math.max(0, x)));
      });
      // Start on the pixel where the prototypes differ most: a plane with something to show.
      let best = 0;
      let bestSpread = -1;
      for (let q = 0; q < dim; q++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let k = 0; k < this.model.size; k++) {
          const v = protos[k * dim + q];
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        if (hi - lo > bestSpread) {
          bestSpread = hi - lo;
          best = q;
        }
      }
      // A picker built again (new prototypes) stays on the pixel already shown.
      if (!this.featureShown) this.feature = best;
    }
    this.showPrototype = drawPicker;
    replace(this.featureBox, h('label', {}, 'feature ', input, ' ', label), picker, picker === null ? null : caption);
    choose(this.feature);
  }

  private cellAt(e: Event): number | null {
    const t = e.target as Element | null;
    const k = t?.getAttribute('data-cell');
    return k === null || k === undefined ? null : Number(k);
  }

  private cellName(k: number): string {
    const { cols } = this.model.shape;
    return `(${Math.floor(k / cols)}, ${k % cols})`;
  }

  private click(e: MouseEvent): void {
    const sel = this.o.selection;
    const k = this.cellAt(e);
    if (k === null) return;
    if (sel === null) {
      this.pin(k === this.pinned ? null : k);
      return;
    }
    const cellRows = this.model.rowsOf(k);
    if (e.shiftKey && sel.rows.length > 0) {
      if (sel.change.source !== 'map') this.clicked = [];
      if (!this.clicked.includes(k)) this.clicked.push(k);
      const union = new Int32Array(sel.rows.length + cellRows.length);
      union.set(sel.rows);
      union.set(cellRows, sel.rows.length);
      const what =
        this.clicked.length === 1
          ? `cell ${this.cellName(k)}`
          : this.clicked.length <= 4
            ? `cells ${this.clicked.map((c) => this.cellName(c)).join(', ')}`
            : `${this.clicked.length} cells`;
      sel.set(union, 'map', sel.change.source === 'map' ? what : `${sel.change.label} + cell ${this.cellName(k)}`);
    } else {
      this.clicked = [k];
      sel.set(cellRows, 'map', `cell ${this.cellName(k)}`);
    }
  }

  private hover(e: PointerEvent | null): void {
    const k = e === null ? null : this.cellAt(e);
    if (this.hovered !== null) this.cells[this.hovered].classList.remove('hover');
    this.hovered = k;
    if (this.layer === 'component') this.showPrototype(k);
    if (e === null || k === null) {
      this.tip.hidden = true;
      return;
    }
    this.cells[k].classList.add('hover');
    this.fillTip(k);
    this.tip.hidden = false;
    const box = this.element.querySelector('.map-stack')?.getBoundingClientRect();
    if (box === undefined) return;
    const x = e.clientX - box.left;
    this.tip.style.left = `${x > box.width / 2 ? x - this.tip.offsetWidth - 12 : x + 12}px`;
    // Below the pointer in the upper half, above it in the lower half: the tooltip stays over the view.
    const y = e.clientY - box.top;
    this.tip.style.top = `${Math.max(0, y > box.height / 2 ? y - this.tip.offsetHeight - 12 : y + 14)}px`;
  }

  /** The tooltip's lines for cell k. */
  private fillTip(k: number): void {
    const m = this.model;
    const lines: string[] = [`cell ${this.cellName(k)} · ${m.hits[k]} ${m.hits[k] === 1 ? 'row' : 'rows'}`];
    const cl = m.classes;
    if (cl !== null && cl.label[k] >= 0) lines.push(`class ${this.o.className(cl.label[k])} · purity ${Math.round(cl.purity[k] * 100)}%`);
    const u = m.umatrix;
    if (u !== null) lines.push(`U-matrix ${num(u[k])}`);
    if (this.layer === 'component') lines.push(`${this.featureName(this.feature)}: ${num(m.component(this.feature)[k])}`);
    if (this.lit !== null) lines.push(`selected here: ${this.lit[k]}`);
    replace(
      this.tip,
      lines.map((l, i) => h('div', { class: i === 0 ? 'tip-x' : null }, l)),
    );
  }

  /** Lights the cells holding selected rows, with their counts; veils the others. */
  private showSelection(c: SelectionChange): void {
    const n = c.rows.length;
    this.element.dataset.selectedCount = String(n);
    if (c.source !== 'map') this.clicked = [];
    this.counts.replaceChildren();
    if (n === 0) {
      this.lit = null;
      for (const p of this.cells) {
        p.setAttribute('fill-opacity', '0');
        p.setAttribute('stroke', 'none');
        p.removeAttribute('data-count');
        p.classList.remove('lit');
      }
      replace(this.status, 'Click a cell to select the rows it wins, in every view of this run; shift-click adds cells.');
      return;
    }
    const counts = this.model.countsOf(c.rows);
    this.lit = counts;
    const font = Math.max(8, Math.min(12, this.size * 0.24));
    let cellsLit = 0;
    for (let k = 0; k < this.model.size; k++) {
      const p = this.cells[k];
      const on = counts[k] > 0;
      p.setAttribute('fill-opacity', on ? '0' : '0.6');
      p.setAttribute('stroke', on ? LIT : 'none');
      p.setAttribute('stroke-width', '2');
      p.classList.toggle('lit', on);
      if (on) {
        cellsLit++;
        p.setAttribute('data-count', String(counts[k]));
        if (this.size >= 14) {
          // A badge low in the cell, so the cell's own text (hits, class) stays readable above it.
          const label = String(counts[k]);
          const w = label.length * font * 0.62 + 6;
          const x = this.layout.centres[2 * k];
          const y = this.layout.centres[2 * k + 1] + this.size * 0.3;
          this.counts.append(
            s(
              'g',
              { class: 'map-count', 'data-cell': k },
              s('rect', {
                x: (x - w / 2).toFixed(1),
                y: (y - font * 0.65).toFixed(1),
                width: w.toFixed(1),
                height: (font * 1.3).toFixed(1),
                rx: 3,
                fill: '#ffffff',
                stroke: LIT,
                'stroke-width': 0.75,
              }),
              s(
                'text',
                {
                  x: x.toFixed(1),
                  y: y.toFixed(1),
                  'text-anchor': 'middle',
                  'dominant-baseline': 'central',
                  'font-size': font.toFixed(1),
                  'font-weight': 650,
                  fill: LIT,
                },
                label,
              ),
            ),
          );
        }
      } else p.removeAttribute('data-count');
    }
    replace(
      this.status,
      h('strong', {}, `${n} ${n === 1 ? 'row' : 'rows'} selected`),
      c.label !== '' ? ` (${c.label})` : '',
      ` in ${cellsLit} ${cellsLit === 1 ? 'cell' : 'cells'} · `,
      h('button', { type: 'button', class: 'small', 'data-action': 'clear', onclick: () => this.o.selection?.clear('map') }, 'clear'),
    );
  }
}

function swatch(fill: string): SVGSVGElement {
  return s('svg', { width: 12, height: 12, class: 'swatch' }, s('rect', { width: 12, height: 12, fill }));
}

/** A vertical colour bar from lo (bottom) to hi (top) of a sequential scale, with its title. */
function colourBar(title: string, scale: ColorScaleName, lo: number, hi: number): HTMLElement {
  const id = `bar-${scale}`;
  const H = 180;
  const stops = Array.from({ length: 11 }, (_, j) => s('stop', { offset: `${j * 10}%`, 'stop-color': colorAt(scale, 1 - j / 10) }));
  const ticks = Number.isFinite(lo) ? (hi > lo ? [hi, (lo + hi) / 2, lo] : [lo]) : [];
  return h(
    'div',
    {},
    h('p', { class: 'legend-title' }, title),
    s(
      'svg',
      { width: 90, height: H + 10, class: 'colour-bar' },
      s('defs', {}, s('linearGradient', { id, x1: 0, y1: 0, x2: 0, y2: 1 }, stops)),
      s('rect', { x: 0, y: 5, width: 14, height: H, fill: `url(#${id})`, stroke: GRID }),
      ticks.map((v, j) => {
        const y = ticks.length === 1 ? 5 + H / 2 : 5 + (j * H) / 2;
        return s('text', { x: 20, y, 'dominant-baseline': 'central', 'font-size': 11, fill: '#344054' }, num(v));
      }),
    ),
  );
}

registerRunSection({ name: 'map', title: 'Map', kinds: ['som', 'desom'], render: renderMap });
