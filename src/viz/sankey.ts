/**
 * Sankey diagrams as hand-written SVG, laid out by d3-sankey (no DOM, no vega): columns of grey
 * nodes joined by flows, each flow drawn as one filled band per input class, stacked in class
 * order and coloured with the shared categorical palette. Made for activation paths (input class →
 * clusters of hidden layer 1 → … → prediction) but takes plain data. Same input → same SVG string.
 */
import { sankey, type SankeyLink, type SankeyNode } from 'd3-sankey';
import type { SankeyGraph } from '../analysis/paths.js';
import { escapeHtml, formatNumber } from './format.js';
import { categoryColor } from './palette.js';

/** A Sankey diagram as data: nodes in numbered columns, flows between them split by input class. */
export interface SankeyInput {
  /** Column titles, left to right (e.g. 'input class', 'h1', 'h2', 'prediction'). */
  columns: string[];
  /** Nodes; within a column they are drawn top to bottom in this order. Height ∝ count. */
  nodes: { id: string; column: number; label: string; count: number }[];
  /** Flows from a node to a node in a later column; byClass[c] = rows of input class c in the flow (sums to value). */
  links: { source: string; target: string; value: number; byClass: number[] }[];
  /** Names of the input classes (the colour legend; class c gets categoryColor(c)). */
  classNames: string[];
  title?: string;
}

/** A path set's Sankey graph (src/analysis/paths.ts) as `sankeySvg` takes it, its last column titled `last`; node ids are the graph's ids as strings. */
export function sankeyInputOf(g: SankeyGraph, title: string, last: string): SankeyInput {
  return {
    title,
    columns: [...g.columns.slice(0, -1), last],
    classNames: [...g.classNames],
    nodes: g.nodes.map((nd) => ({ id: String(nd.id), column: nd.column, label: nd.label, count: nd.count })),
    links: g.links.map((l) => ({ source: String(l.source), target: String(l.target), value: l.value, byClass: [...l.byClass] })),
  };
}

/** Options of sankeySvg: overall size in px, the smallest flow drawn, and classes to emphasise (others fade). */
export interface SankeyOptions {
  width?: number;
  height?: number;
  /** Flows with value below this are not drawn (a footnote counts their rows). Default 0. */
  minLinkValue?: number;
  /** When given, bands of the other classes are drawn faded. */
  highlightClasses?: number[];
}

interface NodeExtra {
  key: string;
  column: number;
  label: string;
  count: number;
  phantom: boolean;
}

interface LinkExtra {
  byClass: number[];
  /** Position in the input's links (−1 for the phantom chain). */
  index: number;
}

type LNode = SankeyNode<NodeExtra, LinkExtra>;
type LLink = SankeyLink<NodeExtra, LinkExtra>;

const PAD = 12;
const NODE_W = 14;
const FONT = 11;
const NODE_FILL = '#8c8c8c';
const BAND_OPACITY = 0.78;
const FADED_OPACITY = 0.12;

/** 2-decimal coordinate for text and rectangles. */
function n2(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** 6-decimal coordinate for band outlines, so band thickness stays proportional to rows. */
function n6(v: number): string {
  const r = Math.round(v * 1e6) / 1e6;
  return String(Object.is(r, -0) ? 0 : r);
}

/** Rough text width at `size` px in a sans-serif font (no font metrics needed for layout). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

function rows(v: number): string {
  return `${formatNumber(v)} ${v === 1 ? 'row' : 'rows'}`;
}

function nonNegative(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${fn}: expected ${what} to be a finite number ≥ 0, got ${String(v)}`);
  return v;
}

function checkInput(fn: string, input: SankeyInput): void {
  if (input === null || typeof input !== 'object') throw new TypeError(`${fn}: expected an input object, got ${String(input)}`);
  const { columns, nodes, links, classNames } = input;
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
    throw new TypeError(`${fn}: expected columns to be a non-empty array of strings`);
  }
  if (!Array.isArray(classNames) || classNames.length === 0 || classNames.some((c) => typeof c !== 'string')) {
    throw new TypeError(`${fn}: expected classNames to be a non-empty array of strings`);
  }
  if (input.title !== undefined && typeof input.title !== 'string') throw new TypeError(`${fn}: expected title to be a string, got ${typeof input.title}`);
  if (!Array.isArray(nodes) || nodes.length === 0) throw new RangeError(`${fn}: expected at least one node`);
  if (!Array.isArray(links)) throw new TypeError(`${fn}: expected links to be an array`);
  const seen = new Set<string>();
  for (const [i, n] of nodes.entries()) {
    if (typeof n.id !== 'string') throw new TypeError(`${fn}: expected node ${i} to have a string id, got ${typeof n.id}`);
    if (seen.has(n.id)) throw new RangeError(`${fn}: node id ${JSON.stringify(n.id)} appears twice`);
    seen.add(n.id);
    if (!Number.isInteger(n.column) || n.column < 0 || n.column >= columns.length) {
      throw new RangeError(`${fn}: expected node ${JSON.stringify(n.id)} to have a column in 0..${columns.length - 1}, got ${n.column}`);
    }
    if (typeof n.label !== 'string') throw new TypeError(`${fn}: expected node ${JSON.stringify(n.id)} to have a string label`);
    nonNegative(fn, `the count of node ${JSON.stringify(n.id)}`, n.count);
  }
  if (!nodes.some((n) => n.count > 0)) throw new RangeError(`${fn}: expected some node with count > 0`);
}

/** A node placed by `sankeyLayout`: its rectangle and the text beside it. */
export interface SankeyLayoutNode {
  id: string;
  column: number;
  label: string;
  count: number;
  x: number;
  y: number;
  width: number;
  /** At least 1 px, so an empty node still shows. */
  height: number;
  /** 'h1 · c0 (95)': drawn beside the node, at (textX, textY), anchored 'start' or 'end'. */
  text: string;
  textX: number;
  textY: number;
  textAnchor: 'start' | 'end';
  /** The tooltip's name: the label, with its column unless the label starts with it. */
  name: string;
}

/** One input class's part of a flow: a band `thickness` px thick starting `offset` px below the flow's top. */
export interface SankeyLayoutBand {
  cls: number;
  value: number;
  offset: number;
  thickness: number;
}

/** A flow placed by `sankeyLayout`: from (xs, ys) at the source's right edge to (xt, yt) at the target's left edge (tops of the flow). */
export interface SankeyLayoutLink {
  /** Its position in the input's `links`. */
  index: number;
  source: string;
  target: string;
  value: number;
  byClass: readonly number[];
  xs: number;
  ys: number;
  xt: number;
  yt: number;
  thickness: number;
  /** Pixels per row (thickness / value): a part of the flow of v rows is v·scale thick. */
  scale: number;
  /** Its classes with rows, top to bottom in class order. */
  bands: SankeyLayoutBand[];
}

/** A Sankey diagram laid out: what `sankeySvg` draws, and what an interactive view draws its own way. */
export interface SankeyLayout {
  width: number;
  height: number;
  title: string;
  columns: { title: string; x: number; y: number; anchor: 'start' | 'middle' | 'end' }[];
  nodes: SankeyLayoutNode[];
  /** The flows drawn (value > 0 and ≥ minLinkValue), in input order. */
  links: SankeyLayoutLink[];
  legend: { title: string; x: number; y: number; items: { cls: number; name: string; x: number; y: number }[] };
  /** '12 rows in flows below 5 not drawn', or ''. */
  footnote: string;
}

/**
 * The outline of a band from (xs, ys) to (xt, yt), `b` px thick: two cubic curves with horizontal
 * tangents at both ends, so the band keeps its thickness where it meets the nodes.
 */
export function sankeyBandPath(xs: number, ys: number, xt: number, yt: number, b: number): string {
  const xm = (xs + xt) / 2;
  return `M${n6(xs)},${n6(ys)}C${n6(xm)},${n6(ys)} ${n6(xm)},${n6(yt)} ${n6(xt)},${n6(yt)}L${n6(xt)},${n6(yt + b)}C${n6(xm)},${n6(yt + b)} ${n6(xm)},${n6(ys + b)} ${n6(xs)},${n6(ys + b)}Z`;
}

/**
 * Places a Sankey diagram (checks as `sankeySvg` does): nodes in their columns with heights
 * proportional to `count`, keeping their input order within a column; each flow's classes stacked
 * in class order; column titles, legend and footnote.
 */
export function sankeyLayout(input: SankeyInput, o: SankeyOptions = {}): SankeyLayout {
  const fn = 'sankeySvg';
  checkInput(fn, input);
  const { columns, classNames } = input;
  const K = classNames.length;
  const C = columns.length;
  const width = o.width ?? 960;
  const height = o.height ?? 540;
  if (!Number.isFinite(width) || width <= 0 || !Number.isFinite(height) || height <= 0) {
    throw new RangeError(`${fn}: expected width and height to be positive numbers, got ${width}×${height}`);
  }
  const minLinkValue = nonNegative(fn, 'minLinkValue', o.minLinkValue ?? 0);
  for (const c of o.highlightClasses ?? []) {
    if (!Number.isInteger(c) || c < 0 || c >= K) throw new RangeError(`${fn}: expected highlightClasses to be class indices in 0..${K - 1}, got ${c}`);
  }

  const byId = new Map(input.nodes.map((n) => [n.id, n]));
  const inflow = new Map<string, number>();
  const outflow = new Map<string, number>();
  for (const [i, l] of input.links.entries()) {
    const src = byId.get(l.source);
    const tgt = byId.get(l.target);
    if (!src) throw new RangeError(`${fn}: link ${i} has an unknown source node id ${JSON.stringify(l.source)}`);
    if (!tgt) throw new RangeError(`${fn}: link ${i} has an unknown target node id ${JSON.stringify(l.target)}`);
    if (tgt.column <= src.column) {
      throw new RangeError(
        `${fn}: link ${i} (${JSON.stringify(l.source)} → ${JSON.stringify(l.target)}) must go to a later column, got column ${src.column} → ${tgt.column}`,
      );
    }
    const what = `link ${i} (${JSON.stringify(l.source)} → ${JSON.stringify(l.target)})`;
    nonNegative(fn, `the value of ${what}`, l.value);
    if (!Array.isArray(l.byClass) || l.byClass.length !== K) {
      throw new RangeError(
        `${fn}: expected byClass of ${what} to have ${K} entries (one per class name), got ${Array.isArray(l.byClass) ? l.byClass.length : typeof l.byClass}`,
      );
    }
    let sum = 0;
    for (const [c, v] of l.byClass.entries()) sum += nonNegative(fn, `byClass[${c}] of ${what}`, v);
    if (Math.abs(sum - l.value) > 1e-9 * Math.max(1, l.value)) throw new RangeError(`${fn}: byClass of ${what} sums to ${sum}, expected its value ${l.value}`);
    outflow.set(l.source, (outflow.get(l.source) ?? 0) + l.value);
    inflow.set(l.target, (inflow.get(l.target) ?? 0) + l.value);
  }
  for (const n of input.nodes) {
    for (const [dir, m] of [
      ['into', inflow],
      ['out of', outflow],
    ] as const) {
      const f = m.get(n.id) ?? 0;
      if (f > n.count * (1 + 1e-9) + 1e-9) {
        throw new RangeError(`${fn}: flows ${dir} node ${JSON.stringify(n.id)} add up to ${formatNumber(f)}, more than its count ${formatNumber(n.count)}`);
      }
    }
  }

  // Flows drawn; the rest are counted in the footnote. Zero flows carry no rows and are dropped silently.
  const keptIndex = input.links.flatMap((l, i) => (l.value > 0 && l.value >= minLinkValue ? [i] : []));
  const kept = keptIndex.map((i) => input.links[i]);
  const droppedRows = input.links.reduce((s, l) => s + (l.value > 0 && l.value < minLinkValue ? l.value : 0), 0);
  const footnote = droppedRows > 0 ? `${rows(droppedRows)} in flows below ${formatNumber(minLinkValue)} not drawn` : '';

  // Horizontal space: labels of the first column on the left of its nodes, of the last column on
  // the right, the others on the right of their nodes over the bands; the legend on the far right.
  const nodeText = (n: { label: string; count: number }) => `${n.label} (${formatNumber(n.count)})`;
  const widest = (col: number) => Math.max(0, ...input.nodes.filter((n) => n.column === col).map((n) => textWidth(nodeText(n), FONT)));
  const titleW = (col: number) => textWidth(columns[col], 12);
  const leftW = C > 1 ? Math.max(widest(0) + 6, titleW(0) - NODE_W) : Math.max(0, titleW(0) / 2 - NODE_W / 2);
  const rightW = Math.max(widest(C - 1) + 6, C > 1 ? titleW(C - 1) - NODE_W : titleW(0) / 2 - NODE_W / 2);
  const legendTitle = 'class';
  const legendW = Math.max(textWidth(legendTitle, 12), ...classNames.map((name) => 18 + textWidth(name, FONT)));
  const legendX = width - PAD - legendW;
  const x0 = PAD + leftW;
  const x1 = legendX - 24 - rightW;
  const titleH = input.title ? 30 : 0;
  const y0 = PAD + titleH + 22;
  const y1 = height - PAD - (footnote ? 20 : 0);
  if (x1 - x0 < C * NODE_W * 2 || y1 - y0 < 40) {
    throw new RangeError(`${fn}: a ${width}×${height} figure leaves no room for the diagram between labels and legend; make it larger`);
  }

  // Layout. d3-sankey places nodes in layers by graph depth; a chain of empty, invisible nodes (one
  // per column) makes sure there are exactly C layers even when kept flows do not span them all.
  const nodes: LNode[] = input.nodes.map((n) => ({ key: n.id, column: n.column, label: n.label, count: n.count, phantom: false, fixedValue: n.count }));
  const links: LLink[] = kept.map((l, j) => ({ source: l.source, target: l.target, value: l.value, byClass: l.byClass.slice(), index: keptIndex[j] }));
  const depth = new Map<string, number>();
  for (const n of [...input.nodes].sort((a, b) => a.column - b.column)) {
    const d = Math.max(0, ...kept.filter((l) => l.target === n.id).map((l) => (depth.get(l.source) ?? 0) + 1));
    depth.set(n.id, d);
  }
  if (Math.max(...depth.values()) < C - 1) {
    let prefix = '\u0000phantom';
    while (columns.some((_, c) => byId.has(`${prefix}${c}`))) prefix += '_';
    for (let c = 0; c < C; c++) {
      nodes.push({ key: `${prefix}${c}`, column: c, label: '', count: 0, phantom: true, fixedValue: 0 });
      if (c > 0) links.push({ source: `${prefix}${c - 1}`, target: `${prefix}${c}`, value: 0, byClass: [], index: -1 });
    }
  }
  const maxPerColumn = Math.max(...columns.map((_, c) => input.nodes.filter((n) => n.column === c).length));
  const layout = sankey<NodeExtra, LinkExtra>()
    .nodeId((d) => d.key)
    .nodeAlign((d) => d.column)
    .nodeSort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .nodeWidth(NODE_W)
    .nodePadding(Math.max(4, Math.min(18, (0.4 * (y1 - y0)) / maxPerColumn)))
    .extent([
      [x0, y0],
      [x1, y1],
    ]);
  const graph = layout({ nodes, links });
  // Columns come from the input, not from d3's layer spacing (which differs with a single column).
  const step = C > 1 ? (x1 - x0 - NODE_W) / (C - 1) : 0;
  const colX = (c: number) => (C > 1 ? x0 + c * step : (x0 + x1 - NODE_W) / 2);

  // Flows: each link is a stack of class bands, top to bottom in class order.
  const placedLinks: SankeyLayoutLink[] = [];
  for (const l of graph.links) {
    const s = l.source as LNode;
    const t = l.target as LNode;
    if (s.phantom || l.value <= 0) continue;
    const w = l.width ?? 0;
    const k = w / l.value;
    const bands: SankeyLayoutBand[] = [];
    let offset = 0;
    for (let c = 0; c < K; c++) {
      const v = l.byClass[c];
      if (!(v > 0)) continue;
      bands.push({ cls: c, value: v, offset, thickness: v * k });
      offset += v * k;
    }
    placedLinks.push({
      index: l.index,
      source: s.key,
      target: t.key,
      value: l.value,
      byClass: l.byClass,
      xs: colX(s.column) + NODE_W,
      ys: (l.y0 ?? 0) - w / 2,
      xt: colX(t.column),
      yt: (l.y1 ?? 0) - w / 2,
      thickness: w,
      scale: k,
      bands,
    });
  }
  const placedNodes: SankeyLayoutNode[] = [];
  for (const n of graph.nodes) {
    if (n.phantom) continue;
    const x = colX(n.column);
    const top = n.y0 ?? 0;
    const h = Math.max(1, (n.y1 ?? 0) - top);
    const left = n.column === 0 && C > 1;
    placedNodes.push({
      id: n.key,
      column: n.column,
      label: n.label,
      count: n.count,
      x,
      y: top,
      width: NODE_W,
      height: h,
      text: nodeText(n),
      textX: left ? x - 5 : x + NODE_W + 5,
      textY: top + h / 2,
      textAnchor: left ? 'end' : 'start',
      name: n.label.startsWith(columns[n.column]) ? n.label : `${n.label} (${columns[n.column]})`,
    });
  }
  // Column titles above the nodes: the first right-aligned to its nodes, the last left-aligned, the others centred.
  const ht = y0 - 10;
  const heads = columns.map((title, c) => {
    const x = colX(c);
    const [ax, anchor]: [number, 'start' | 'middle' | 'end'] =
      C > 1 && c === 0 ? [x + NODE_W, 'end'] : C > 1 && c === C - 1 ? [x, 'start'] : [x + NODE_W / 2, 'middle'];
    return { title, x: ax, y: ht, anchor };
  });
  const items = classNames.map((name, c) => ({ cls: c, name, x: legendX, y: y0 + 14 + c * 18 }));
  return {
    width,
    height,
    title: input.title ?? '',
    columns: heads,
    nodes: placedNodes,
    links: placedLinks,
    legend: { title: legendTitle, x: legendX, y: y0 + 4, items },
    footnote,
  };
}

/**
 * A Sankey diagram as a standalone SVG string. Node heights are proportional to `count`; each flow
 * is a stack of bands, one per input class with rows in it, of thickness proportional to those
 * rows (a `<title>` on each band reads "7 → h1 · c2: 95 rows of class 7"). Nodes keep their input
 * order within a column. Throws on unknown node ids, negative or non-finite values, byClass of the
 * wrong length or not summing to value, flows that do not go to a later column, and flows that add
 * up to more than a node's count.
 */
export function sankeySvg(input: SankeyInput, o: SankeyOptions = {}): string {
  const g = sankeyLayout(input, o);
  const { classNames } = input;
  const { width, height } = g;
  const highlight = o.highlightClasses === undefined ? null : new Set(o.highlightClasses);
  const labelOf = new Map(g.nodes.map((n) => [n.id, n.label]));

  const body: string[] = [];
  for (const l of g.links) {
    for (const b of l.bands) {
      const d = sankeyBandPath(l.xs, l.ys + b.offset, l.xt, l.yt + b.offset, b.thickness);
      const opacity = highlight && !highlight.has(b.cls) ? FADED_OPACITY : BAND_OPACITY;
      const tip = `${labelOf.get(l.source)} → ${labelOf.get(l.target)}: ${rows(b.value)} of class ${classNames[b.cls]}`;
      body.push(`<path class="band" d="${d}" fill="${categoryColor(b.cls)}" fill-opacity="${opacity}"><title>${escapeHtml(tip)}</title></path>`);
    }
  }
  // Nodes and their labels (drawn after the bands so labels sit on top, with a white halo).
  const labels: string[] = [];
  for (const n of g.nodes) {
    body.push(
      `<rect class="node" x="${n2(n.x)}" y="${n2(n.y)}" width="${NODE_W}" height="${n2(n.height)}" fill="${NODE_FILL}"><title>${escapeHtml(`${n.name}: ${rows(n.count)}`)}</title></rect>`,
    );
    labels.push(
      `<text x="${n2(n.textX)}" y="${n2(n.textY)}" dominant-baseline="central"${n.textAnchor === 'end' ? ' text-anchor="end"' : ''} font-size="${FONT}" fill="#000000" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">${escapeHtml(n.text)}</text>`,
    );
  }
  body.push(...labels);
  const head = g.columns.map(
    (c) => `<text x="${n2(c.x)}" y="${n2(c.y)}" text-anchor="${c.anchor}" font-size="12" font-weight="bold" fill="#333333">${escapeHtml(c.title)}</text>`,
  );

  // Legend: one swatch per class.
  const legend: string[] = [`<text x="${n2(g.legend.x)}" y="${n2(g.legend.y)}" font-size="12" font-weight="bold" fill="#000000">${g.legend.title}</text>`];
  for (const it of g.legend.items) {
    const opacity = highlight && !highlight.has(it.cls) ? FADED_OPACITY : BAND_OPACITY;
    legend.push(
      `<rect class="legend" x="${n2(it.x)}" y="${n2(it.y)}" width="12" height="12" fill="${categoryColor(it.cls)}" fill-opacity="${opacity}"/>`,
      `<text x="${n2(it.x + 18)}" y="${n2(it.y + 10)}" font-size="${FONT}" fill="#000000">${escapeHtml(it.name)}</text>`,
    );
  }

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n2(width)}" height="${n2(height)}" viewBox="0 0 ${n2(width)} ${n2(height)}" font-family="sans-serif">`,
    `<rect width="${n2(width)}" height="${n2(height)}" fill="#ffffff"/>`,
  ];
  if (input.title) parts.push(`<text x="${PAD}" y="${PAD + 14}" font-size="14" font-weight="bold" fill="#000000">${escapeHtml(input.title)}</text>`);
  parts.push(...head, ...body, ...legend);
  if (g.footnote) parts.push(`<text x="${PAD}" y="${n2(height - PAD)}" font-size="${FONT}" fill="#555555">${escapeHtml(g.footnote)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
