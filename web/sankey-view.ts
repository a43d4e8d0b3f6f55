/**
 * The paths of a signatures run as an interactive Sankey diagram, linked to the page's selection:
 * class → cluster in each layer → prediction (or majority class), laid out by d3-sankey as the
 * run's sankey.svg is (src/viz/sankey.ts). Clicking a node selects its rows, clicking a band the
 * rows going through it (shift-click adds); a selection made elsewhere is drawn over the faded
 * diagram, each band as thick as the selected rows in it. Hovering shows counts and the class split.
 * With inserted classes (rows of classes the model never saw), a toggle draws them too, as
 * sankey_inserted.svg does; they are not rows of the page's selection.
 */
import type { PathSet, SankeyGraph } from '../src/analysis/paths.js';
import type { RunDetail } from '../src/serve/types.js';
import { categoryColor } from '../src/viz/palette.js';
import { sankeyBandPath, sankeyInputOf, sankeyLayout, type SankeyLayout } from '../src/viz/sankey.js';
import { h, replace, s } from './dom.js';
import { int32Of, type NpyArray } from './npy.js';
import { bandRows, nodeClassSplit, nodeRows, pathSetOf, pathTable, sankeyOf, selectedFlows, type InsertedArrays, type PathTable } from './sankey-model.js';
import { registerRunSection, type RunSectionContext } from './sections.js';
import type { Probe, ProbeResult } from './probe.js';
import type { Selection, SelectionChange } from './selection.js';

const BAND_OPACITY = 0.78;
const FADED_OPACITY = 0.12;
/** Bands under a selection: faint enough for the selected flows to stand out, visible enough to read the diagram. */
const UNDER_SELECTION_OPACITY = 0.16;
const NODE_FILL = '#8c8c8c';

const hasArray = (run: RunDetail, name: string): boolean => run.arrays.some((a) => a.name === name && a.shape !== null);

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

interface Drawn {
  graph: SankeyGraph;
  layout: SankeyLayout;
  insertedClasses: Set<number>;
  split: number[][];
}

async function renderSankey(ctx: RunSectionContext): Promise<HTMLElement | null> {
  const { run } = ctx;
  if (!hasArray(run, 'paths')) return run.status === 'running' ? h('p', { class: 'muted' }, 'The paths are drawn when the analysis has written them.') : null;
  const raw = await ctx.array('paths');
  const table = pathTable(int32Of(raw, 'paths.npy'), raw.shape);
  const L = table.width - 2;
  const rec = run.record ?? {};
  const layerNames = isStrings(rec.layers) && rec.layers.length === L ? rec.layers : Array.from({ length: L }, (_, j) => `h${j + 1}`);
  const ds = rec.dataset as { class_names?: unknown } | undefined;
  const classNames = isStrings(ds?.class_names) ? ds.class_names : [];
  // config.json's `prediction` says whether the last column is the network's prediction or a cluster's majority class.
  const last = rec.prediction === undefined || rec.prediction === 'network' ? 'prediction' : 'majority class';
  const insertedNames = ['labels', 'predictions', ...layerNames.map((l) => `clusters_${l}`)].map((n) => `inserted_${n}`);
  const canInsert = insertedNames.every((n) => hasArray(run, n));
  const loadInserted = async (): Promise<InsertedArrays> => {
    const a: NpyArray[] = await Promise.all(insertedNames.map((n) => ctx.array(n)));
    const ints = a.map((x, i) => int32Of(x, `${insertedNames[i]}.npy`));
    return { labels: ints[0], predictions: ints[1], clusters: ints.slice(2) };
  };
  const selection = ctx.selection !== null && ctx.selection.n === table.n ? ctx.selection : null;
  return new SankeyView(table, { layerNames, classNames, last, canInsert, loadInserted, selection, probe: ctx.probe }).element;
}

interface ViewOptions {
  layerNames: string[];
  classNames: string[];
  last: string;
  canInsert: boolean;
  loadInserted: () => Promise<InsertedArrays>;
  selection: Selection | null;
  /** The page's drawn input, whose path is drawn over the diagram. */
  probe: Probe | null;
}

class SankeyView {
  readonly element: HTMLElement;
  private readonly box: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly status: HTMLElement;
  private readonly known: PathSet;
  private drawn: Drawn | null = null;
  private inserted: InsertedArrays | null = null;
  private showInserted = false;
  private flowsG: SVGGElement | null = null;
  private selectedG: SVGGElement | null = null;
  private selectedNodesG: SVGGElement | null = null;
  private probeG: SVGGElement | null = null;
  private linkEls: SVGGElement[] = [];
  private nodeEls: SVGRectElement[] = [];
  /** Per drawn link (layout order), per class: selected rows (null: nothing selected). */
  private selected: ReturnType<typeof selectedFlows> | null = null;

  constructor(
    private readonly table: PathTable,
    private readonly o: ViewOptions,
  ) {
    this.known = pathSetOf(table, o.layerNames);
    this.box = h('div', { class: 'sankey-box' });
    this.tip = h('div', { class: 'tooltip', hidden: true });
    this.status = h('p', { class: 'sankey-status muted' });
    const toggle = o.canInsert
      ? h(
          'label',
          { class: 'log-toggle' },
          h('input', {
            type: 'checkbox',
            id: 'sankey-inserted',
            onchange: (e: Event) => void this.setInserted((e.target as HTMLInputElement).checked),
          }),
          ' inserted classes (never seen by the model; drawn, not selectable)',
        )
      : null;
    this.element = h(
      'div',
      { class: 'sankey-view', 'data-selected-count': 0, 'data-mode': 'known' },
      toggle === null ? null : h('div', { class: 'toolbar' }, toggle),
      h('div', { class: 'sankey-stack' }, this.box, this.tip),
      this.status,
    );
    this.draw();
    if (o.selection !== null) {
      o.selection.subscribe((c) => this.showSelection(c));
      this.showSelection(o.selection.change);
    } else this.status.textContent = 'Not linked to a selection (paths.npy has other rows than labels.npy).';
    o.probe?.subscribe((r) => this.showProbe(r));
  }

  /**
   * The drawn input's path: its node in each layer and its prediction outlined, joined by a dashed
   * line (drawn even where no row of the run went that way: such a route is news about the input).
   */
  private showProbe(r: ProbeResult | null): void {
    const g = this.probeG;
    const drawn = this.drawn;
    if (g === null || drawn === null) return;
    const L = this.o.layerNames.length;
    const wanted: [number, number][] = [];
    if (r !== null) {
      this.o.layerNames.forEach((name, j) => {
        const c = r.clusters.get(name);
        if (c !== undefined) wanted.push([j + 1, c]);
      });
      if (r.prediction !== null && wanted.length === L) wanted.push([L + 1, r.prediction]);
    }
    const byKey = new Map(drawn.graph.nodes.map((nd, i) => [`${nd.column}:${nd.value}`, i]));
    const byId = new Map(drawn.layout.nodes.map((n) => [Number(n.id), n]));
    const nodes = wanted.map(([col, v]) => byId.get(byKey.get(`${col}:${v}`) ?? -1) ?? null);
    const parts: SVGElement[] = [];
    for (let i = 0; i + 1 < nodes.length; i++) {
      const a = nodes[i];
      const b = nodes[i + 1];
      if (a === null || b === null) continue;
      const x0 = a.x + a.width;
      const y0 = a.y + a.height / 2;
      const x1 = b.x;
      const y1 = b.y + b.height / 2;
      const mx = (x0 + x1) / 2;
      parts.push(s('path', { class: 'probe-link', d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}` }));
    }
    for (const n of nodes)
      if (n !== null) parts.push(s('rect', { class: 'probe-node', x: n.x - 3, y: n.y - 3, width: n.width + 6, height: n.height + 6, rx: 3 }));
    replace(g, parts);
    this.element.dataset.probePath = r === null ? '' : wanted.map(([, v]) => v).join(',');
    this.element.dataset.probeNodes = String(nodes.filter((n) => n !== null).length);
  }

  private async setInserted(on: boolean): Promise<void> {
    if (on && this.inserted === null) {
      try {
        this.inserted = await this.o.loadInserted();
      } catch (e) {
        replace(this.status, h('span', { class: 'error-text' }, `The inserted rows could not be read: ${(e as Error).message}`));
        return;
      }
    }
    this.showInserted = on;
    this.element.dataset.mode = on ? 'inserted' : 'known';
    this.draw();
    if (this.o.selection !== null) this.showSelection(this.o.selection.change);
  }

  private draw(): void {
    const { graph, insertedClasses } = sankeyOf(this.known, {
      classNames: this.o.classNames,
      layerNames: this.o.layerNames,
      inserted: this.showInserted ? this.inserted : null,
    });
    const perColumn = new Map<number, number>();
    for (const nd of graph.nodes) perColumn.set(nd.column, (perColumn.get(nd.column) ?? 0) + 1);
    const most = Math.max(...perColumn.values());
    const width = 1120;
    const height = Math.max(380, Math.min(900, 120 + most * 34));
    const layout = sankeyLayout(sankeyInputOf(graph, '', this.o.last), { width, height });
    this.drawn = { graph, layout, insertedClasses: new Set(insertedClasses), split: nodeClassSplit(graph) };
    const inserted = this.drawn.insertedClasses;
    const baseOpacity = (cls: number): number => (inserted.size > 0 && !inserted.has(cls) ? FADED_OPACITY : BAND_OPACITY);

    const linkEls = layout.links.map((l, i) => {
      const gl = graph.links[l.index];
      const a = graph.nodes[gl.source];
      const b = graph.nodes[gl.target];
      return s(
        'g',
        {
          class: 'flow',
          'data-link': i,
          'data-column': a.column,
          'data-from': a.value,
          'data-to': b.value,
          'data-rows': l.value,
          'data-thickness': l.thickness.toFixed(4),
        },
        l.bands.map((band) =>
          s('path', {
            class: 'band',
            d: sankeyBandPath(l.xs, l.ys + band.offset, l.xt, l.yt + band.offset, band.thickness),
            fill: categoryColor(band.cls),
            'fill-opacity': baseOpacity(band.cls),
            'data-base-opacity': baseOpacity(band.cls),
          }),
        ),
      );
    });
    const nodeEls = layout.nodes.map((n) => {
      const gn = graph.nodes[Number(n.id)];
      return s('rect', {
        class: 'node',
        'data-node': n.id,
        'data-column': gn.column,
        'data-value': gn.value,
        'data-rows': n.count,
        x: n.x,
        y: n.y,
        width: n.width,
        height: n.height,
        fill: NODE_FILL,
      });
    });
    const labels = layout.nodes.map((n) =>
      s(
        'text',
        {
          x: n.textX,
          y: n.textY,
          'dominant-baseline': 'central',
          'text-anchor': n.textAnchor,
          'font-size': 11,
          fill: '#000000',
          stroke: '#ffffff',
          'stroke-width': 3,
          'stroke-linejoin': 'round',
          'paint-order': 'stroke',
          'pointer-events': 'none',
        },
        n.text,
      ),
    );
    const heads = layout.columns.map((c) =>
      s('text', { x: c.x, y: c.y, 'text-anchor': c.anchor, 'font-size': 12, 'font-weight': 'bold', fill: '#333333' }, c.title),
    );
    const legend = [
      s('text', { x: layout.legend.x, y: layout.legend.y, 'font-size': 12, 'font-weight': 'bold', fill: '#000000' }, layout.legend.title),
      ...layout.legend.items.flatMap((it) => [
        s('rect', { x: it.x, y: it.y, width: 12, height: 12, fill: categoryColor(it.cls), 'fill-opacity': baseOpacity(it.cls) }),
        s('text', { x: it.x + 18, y: it.y + 10, 'font-size': 11, fill: '#000000' }, it.name),
      ]),
    ];
    this.flowsG = s('g', { class: 'flows' }, linkEls);
    this.selectedG = s('g', { class: 'selected-flows', 'pointer-events': 'none' });
    this.selectedNodesG = s('g', { class: 'selected-nodes', 'pointer-events': 'none' });
    this.probeG = s('g', { class: 'probe-path', 'pointer-events': 'none' });
    this.linkEls = linkEls;
    this.nodeEls = nodeEls;
    const svg = s(
      'svg',
      { class: 'sankey-svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'sans-serif' },
      heads,
      this.flowsG,
      this.selectedG,
      s('g', { class: 'nodes' }, nodeEls),
      this.selectedNodesG,
      this.probeG,
      s('g', { class: 'node-labels' }, labels),
      legend,
    );
    svg.addEventListener('click', (e) => this.click(e));
    svg.addEventListener('pointermove', (e) => this.hover(e));
    svg.addEventListener('pointerleave', () => this.hover(null));
    replace(this.box, svg);
    this.showProbe(this.o.probe?.current ?? null);
  }

  /** The link or node under an event: ['link', i] (layout order) or ['node', graph id]. */
  private target(e: Event): ['link' | 'node', number] | null {
    const t = e.target as Element | null;
    const link = t?.closest('[data-link]');
    if (link !== null && link !== undefined) return ['link', Number(link.getAttribute('data-link'))];
    const node = t?.closest('[data-node]');
    if (node !== null && node !== undefined) return ['node', Number(node.getAttribute('data-node'))];
    return null;
  }

  private click(e: MouseEvent): void {
    const sel = this.o.selection;
    const d = this.drawn;
    const hit = this.target(e);
    if (sel === null || d === null || hit === null) return;
    const { graph, layout } = d;
    let rows: Int32Array;
    let label: string;
    if (hit[0] === 'link') {
      const gl = graph.links[layout.links[hit[1]].index];
      const a = graph.nodes[gl.source];
      const b = graph.nodes[gl.target];
      rows = bandRows(this.table, a.column, a.value, b.value);
      label = `band ${a.label} → ${b.label}`;
    } else {
      const nd = graph.nodes[hit[1]];
      // An inserted class's node holds no row of the page: nothing to select.
      if (nd.column === 0 && d.insertedClasses.has(nd.value)) return;
      rows = nodeRows(this.table, nd.column, nd.value);
      label = `node ${nd.label}`;
    }
    if (e.shiftKey && sel.rows.length > 0) {
      const union = new Int32Array(sel.rows.length + rows.length);
      union.set(sel.rows);
      union.set(rows, sel.rows.length);
      sel.set(union, 'sankey', `${sel.change.label} + ${label}`);
    } else sel.set(rows, 'sankey', label);
  }

  private hover(e: PointerEvent | null): void {
    const d = this.drawn;
    const hit = e === null ? null : this.target(e);
    if (e === null || d === null || hit === null) {
      this.tip.hidden = true;
      return;
    }
    const { graph, layout } = d;
    const names = graph.classNames;
    let head: string;
    let split: readonly number[];
    let selectedSplit: Int32Array | null = null;
    let selectedHere: number | null = null;
    if (hit[0] === 'link') {
      const ll = layout.links[hit[1]];
      const gl = graph.links[ll.index];
      head = `${graph.nodes[gl.source].label} → ${graph.nodes[gl.target].label}: ${gl.value} rows`;
      split = gl.byClass;
      if (this.selected !== null) {
        selectedSplit = this.selected.links[ll.index];
        selectedHere = selectedSplit.reduce((x, y) => x + y, 0);
      }
    } else {
      const nd = graph.nodes[hit[1]];
      head = `${nd.label}: ${nd.count} rows`;
      split = d.split[nd.id];
      if (this.selected !== null) selectedHere = this.selected.nodes[nd.id];
    }
    const sel = selectedSplit;
    const lines = split.flatMap((v, c) => (v > 0 ? [`class ${names[c]}: ${v}${sel !== null && sel[c] > 0 ? ` (${sel[c]} selected)` : ''}`] : []));
    replace(
      this.tip,
      h('div', { class: 'tip-x' }, head),
      selectedHere !== null ? h('div', {}, h('strong', {}, `selected: ${selectedHere}`)) : null,
      lines.map((l) => h('div', {}, l)),
    );
    this.tip.hidden = false;
    const box = this.box.getBoundingClientRect();
    const x = e.clientX - box.left;
    this.tip.style.left = `${x > box.width / 2 ? x - this.tip.offsetWidth - 12 : x + 12}px`;
    // Below the pointer in the upper half, above it in the lower half: the tooltip stays over the view.
    const y = e.clientY - box.top;
    this.tip.style.top = `${Math.max(0, y > box.height / 2 ? y - this.tip.offsetHeight - 12 : y + 14)}px`;
  }

  /** Draws the selected rows' flows over the faded diagram, each class band as thick as its selected rows. */
  private showSelection(c: SelectionChange): void {
    const d = this.drawn;
    if (d === null || this.selectedG === null || this.selectedNodesG === null) return;
    const n = c.rows.length;
    this.element.dataset.selectedCount = String(n);
    this.selectedG.replaceChildren();
    this.selectedNodesG.replaceChildren();
    const { graph, layout } = d;
    if (n === 0) {
      this.selected = null;
      for (const g of this.linkEls) {
        g.setAttribute('data-selected', '0');
        for (const p of g.children) p.setAttribute('fill-opacity', p.getAttribute('data-base-opacity') ?? String(BAND_OPACITY));
      }
      for (const r of this.nodeEls) r.setAttribute('data-selected', '0');
      replace(this.status, 'Click a node or a band to select its rows in every view of this run; shift-click adds. Hover for counts.');
      return;
    }
    const flows = selectedFlows(this.table, graph, c.rows);
    this.selected = flows;
    const parts: SVGElement[] = [];
    const nodeParts: SVGElement[] = [];
    layout.links.forEach((l, i) => {
      const byClass = flows.links[l.index];
      const total = byClass.reduce((x, y) => x + y, 0);
      const el = this.linkEls[i];
      el.setAttribute('data-selected', String(total));
      for (const p of el.children) p.setAttribute('fill-opacity', String(UNDER_SELECTION_OPACITY));
      if (total === 0) return;
      // Each class's selected rows at the top of that class's band, so colours and order stay put.
      const g = s('g', { class: 'selected-flow', 'data-link': i, 'data-selected': total, 'data-thickness': (total * l.scale).toFixed(4) });
      for (const band of l.bands) {
        const v = byClass[band.cls];
        if (v === 0) continue;
        g.append(
          s('path', {
            class: 'selected-band',
            d: sankeyBandPath(l.xs, l.ys + band.offset, l.xt, l.yt + band.offset, v * l.scale),
            fill: categoryColor(band.cls),
            'fill-opacity': 0.95,
            stroke: '#111827',
            'stroke-width': 0.6,
            'stroke-opacity': 0.35,
          }),
        );
      }
      parts.push(g);
    });
    // On each node, a dark bar as tall as its selected rows.
    layout.nodes.forEach((nd, i) => {
      const m = flows.nodes[Number(nd.id)];
      this.nodeEls[i].setAttribute('data-selected', String(m));
      if (m === 0 || nd.count === 0) return;
      nodeParts.push(
        s('rect', { class: 'selected-node', x: nd.x, y: nd.y, width: nd.width, height: Math.max(1, (nd.height * m) / nd.count), fill: '#111827' }),
      );
    });
    this.selectedG.append(...parts);
    this.selectedNodesG.append(...nodeParts);
    replace(
      this.status,
      h('strong', {}, `${n} ${n === 1 ? 'row' : 'rows'} selected`),
      c.label !== '' ? ` (${c.label})` : '',
      ' · ',
      h('button', { type: 'button', class: 'small', 'data-action': 'clear', onclick: () => this.o.selection?.clear('sankey') }, 'clear'),
    );
  }
}

registerRunSection({ name: 'sankey', title: 'Paths', kinds: ['signatures'], render: renderSankey });
