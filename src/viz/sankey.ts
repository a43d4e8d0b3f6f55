/**
 * Sankey diagrams as hand-written SVG, laid out by d3-sankey (no DOM, no vega): columns of grey
 * nodes joined by flows, each flow drawn as one filled band per input class, stacked in class
 * order and coloured with the shared categorical palette. Made for activation paths (input class →
 * clusters of hidden layer 1 → … → prediction) but takes plain data. Same input → same SVG string.
 */
import { sankey, type SankeyLink, type SankeyNode } from 'd3-sankey';
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

/**
 * A Sankey diagram as a standalone SVG string. Node heights are proportional to `count`; each flow
 * is a stack of bands, one per input class with rows in it, of thickness proportional to those
 * rows (a `<title>` on each band reads "7 → h1 · c2: 95 rows of class 7"). Nodes keep their input
 * order within a column. Throws on unknown node ids, negative or non-finite values, byClass of the
 * wrong length or not summing to value, flows that do not go to a later column, and flows that add
 * up to more than a node's count.
 */
export function sankeySvg(input: SankeyInput, o: SankeyOptions = {}): string {
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
  const highlight = o.highlightClasses === undefined ? null : new Set(o.highlightClasses);
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
  const kept = input.links.filter((l) => l.value > 0 && l.value >= minLinkValue);
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
  const links: LLink[] = kept.map((l) => ({ source: l.source, target: l.target, value: l.value, byClass: l.byClass.slice() }));
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
      if (c > 0) links.push({ source: `${prefix}${c - 1}`, target: `${prefix}${c}`, value: 0, byClass: [] });
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

  const body: string[] = [];
  // Bands: each link is a stack of class bands, top to bottom in class order.
  for (const l of graph.links) {
    const s = l.source as LNode;
    const t = l.target as LNode;
    if (s.phantom || l.value <= 0) continue;
    const w = l.width ?? 0;
    const k = w / l.value;
    const xs = colX(s.column) + NODE_W;
    const xt = colX(t.column);
    const xm = (xs + xt) / 2;
    let ys = (l.y0 ?? 0) - w / 2;
    let yt = (l.y1 ?? 0) - w / 2;
    for (let c = 0; c < K; c++) {
      const v = l.byClass[c];
      if (!(v > 0)) continue;
      const b = v * k;
      const d = `M${n6(xs)},${n6(ys)}C${n6(xm)},${n6(ys)} ${n6(xm)},${n6(yt)} ${n6(xt)},${n6(yt)}L${n6(xt)},${n6(yt + b)}C${n6(xm)},${n6(yt + b)} ${n6(xm)},${n6(ys + b)} ${n6(xs)},${n6(ys + b)}Z`;
      const opacity = highlight && !highlight.has(c) ? FADED_OPACITY : BAND_OPACITY;
      const tip = `${s.label} → ${t.label}: ${rows(v)} of class ${classNames[c]}`;
      body.push(`<path class="band" d="${d}" fill="${categoryColor(c)}" fill-opacity="${opacity}"><title>${escapeHtml(tip)}</title></path>`);
      ys += b;
      yt += b;
    }
  }
  // Nodes and their labels (drawn after the bands so labels sit on top, with a white halo).
  const labels: string[] = [];
  for (const n of graph.nodes) {
    if (n.phantom) continue;
    const x = colX(n.column);
    const top = n.y0 ?? 0;
    const h = Math.max(1, (n.y1 ?? 0) - top);
    const yc = top + h / 2;
    // Tooltip name: the label, with its column unless the label already starts with it ('h1 · c0').
    const name = n.label.startsWith(columns[n.column]) ? n.label : `${n.label} (${columns[n.column]})`;
    body.push(
      `<rect class="node" x="${n2(x)}" y="${n2(top)}" width="${NODE_W}" height="${n2(h)}" fill="${NODE_FILL}"><title>${escapeHtml(`${name}: ${rows(n.count)}`)}</title></rect>`,
    );
    const left = n.column === 0 && C > 1;
    const lx = left ? x - 5 : x + NODE_W + 5;
    labels.push(
      `<text x="${n2(lx)}" y="${n2(yc)}" dominant-baseline="central"${left ? ' text-anchor="end"' : ''} font-size="${FONT}" fill="#000000" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">${escapeHtml(nodeText(n))}</text>`,
    );
  }
  body.push(...labels);

  // Column titles above the nodes: the first right-aligned to its nodes, the last left-aligned, the others centred.
  const head: string[] = [];
  const ht = y0 - 10;
  columns.forEach((title, c) => {
    const x = colX(c);
    const [ax, anchor] = C > 1 && c === 0 ? [x + NODE_W, 'end'] : C > 1 && c === C - 1 ? [x, 'start'] : [x + NODE_W / 2, 'middle'];
    head.push(`<text x="${n2(ax)}" y="${n2(ht)}" text-anchor="${anchor}" font-size="12" font-weight="bold" fill="#333333">${escapeHtml(title)}</text>`);
  });

  // Legend: one swatch per class.
  const legend: string[] = [`<text x="${n2(legendX)}" y="${n2(y0 + 4)}" font-size="12" font-weight="bold" fill="#000000">${legendTitle}</text>`];
  classNames.forEach((name, c) => {
    const y = y0 + 14 + c * 18;
    const opacity = highlight && !highlight.has(c) ? FADED_OPACITY : BAND_OPACITY;
    legend.push(
      `<rect class="legend" x="${n2(legendX)}" y="${n2(y)}" width="12" height="12" fill="${categoryColor(c)}" fill-opacity="${opacity}"/>`,
      `<text x="${n2(legendX + 18)}" y="${n2(y + 10)}" font-size="${FONT}" fill="#000000">${escapeHtml(name)}</text>`,
    );
  });

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n2(width)}" height="${n2(height)}" viewBox="0 0 ${n2(width)} ${n2(height)}" font-family="sans-serif">`,
    `<rect width="${n2(width)}" height="${n2(height)}" fill="#ffffff"/>`,
  ];
  if (input.title) parts.push(`<text x="${PAD}" y="${PAD + 14}" font-size="14" font-weight="bold" fill="#000000">${escapeHtml(input.title)}</text>`);
  parts.push(...head, ...body, ...legend);
  if (footnote) parts.push(`<text x="${PAD}" y="${n2(height - PAD)}" font-size="${FONT}" fill="#555555">${escapeHtml(footnote)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
