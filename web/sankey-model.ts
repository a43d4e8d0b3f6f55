/**
 * What the Sankey view knows about a signatures run, without the DOM: its paths (arrays/paths.npy,
 * one row per input: class, its cluster in each layer, prediction) as the path set and Sankey graph
 * of src/analysis/paths.ts, the rows behind a node or a band, and how many selected rows of each
 * class go through each band.
 */
import { buildPaths, joinInsertedPaths, sankeyGraph, type PathSet, type SankeyGraph } from '../src/analysis/paths.js';

/** paths.npy: n rows of `width` = L + 2 values (class, c1 … cL, prediction), row-major. */
export interface PathTable {
  n: number;
  width: number;
  data: Int32Array;
}

export function pathTable(data: Int32Array, shape: readonly number[]): PathTable {
  if (shape.length !== 2 || shape[1] < 3 || data.length !== shape[0] * shape[1])
    throw new Error(`pathTable: expected paths of shape (n, L + 2) with L ≥ 1 layers, got (${shape.join(', ')})`);
  return { n: shape[0], width: shape[1], data };
}

/** The largest value of `a` (−1 when empty); a loop, as spreading 70,000 values into Math.max overflows the stack. */
function maxOf(a: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/** Column j of the table (0 = class, 1 … L = layers, L + 1 = prediction). */
export function column(t: PathTable, j: number): Int32Array {
  const out = new Int32Array(t.n);
  for (let i = 0; i < t.n; i++) out[i] = t.data[i * t.width + j];
  return out;
}

/** The table as a path set (each layer's k: its largest cluster + 1); `layerNames` names the L layers. */
export function pathSetOf(t: PathTable, layerNames: readonly string[]): PathSet {
  const L = t.width - 2;
  if (layerNames.length !== L) throw new Error(`pathSetOf: expected ${L} layer names (paths.npy has ${L} layer columns), got ${layerNames.length}`);
  const layers = layerNames.map((name, j) => {
    const clusters = column(t, j + 1);
    return { name, clusters, k: Math.max(0, maxOf(clusters)) + 1 };
  });
  return buildPaths({ labels: column(t, 0), layers, predictions: column(t, L + 1) });
}

/** Inserted rows (arrays/inserted_*.npy): their dataset classes, clusters per layer and predictions. */
export interface InsertedArrays {
  labels: Int32Array;
  clusters: Int32Array[];
  predictions: Int32Array;
}

/**
 * The graph drawn: the known rows' paths, or with `inserted`, known and inserted rows together, the
 * inserted classes after the known ones and named '<name> (never seen)' (as sankey_inserted.svg).
 * `insertedClasses` are the graph's class indices of the inserted classes (empty without them).
 */
export function sankeyOf(
  known: PathSet,
  o: { classNames: readonly string[]; layerNames: readonly string[]; inserted?: InsertedArrays | null },
): { graph: SankeyGraph; insertedClasses: number[] } {
  const K = Math.max(o.classNames.length, maxOf(known.labels) + 1, maxOf(known.predictions) + 1);
  const names = Array.from({ length: K }, (_, c) => o.classNames[c] ?? String(c));
  if (o.inserted === undefined || o.inserted === null)
    return { graph: sankeyGraph(known, { classNames: names, layerNames: o.layerNames }), insertedClasses: [] };
  const { paths, insertedClasses } = joinInsertedPaths(known, o.inserted, K);
  // Inserted labels are the dataset's class ids: a name only when it is a known class's.
  const graph = sankeyGraph(paths, { classNames: [...names, ...insertedClasses.map((c) => `${c} (never seen)`)], layerNames: o.layerNames });
  return { graph, insertedClasses: insertedClasses.map((_, i) => K + i) };
}

/** The rows (of the table) through the node of column `j` with value `v`, increasing. */
export function nodeRows(t: PathTable, j: number, v: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < t.n; i++) if (t.data[i * t.width + j] === v) out.push(i);
  return Int32Array.from(out);
}

/** The rows (of the table) through the band from value `a` of column `j` to value `b` of column j + 1, increasing. */
export function bandRows(t: PathTable, j: number, a: number, b: number): Int32Array {
  if (!(j >= 0 && j + 1 < t.width)) throw new RangeError(`bandRows: expected a source column in 0..${t.width - 2}, got ${j}`);
  const out: number[] = [];
  for (let i = 0; i < t.n; i++) if (t.data[i * t.width + j] === a && t.data[i * t.width + j + 1] === b) out.push(i);
  return Int32Array.from(out);
}

/** Selected rows through each node and each link of a graph, split by the graph's classes. */
export interface SelectedFlows {
  /** Per graph node id: selected rows through it. */
  nodes: Int32Array;
  /** Per graph link (its position in graph.links), per class (graph.classes order): selected rows. */
  links: Int32Array[];
}

/**
 * How many of `rows` (rows of the table) go through each node and link of `graph` (built from this
 * table, alone or joined with inserted rows after it), by class.
 */
export function selectedFlows(t: PathTable, graph: SankeyGraph, rows: ArrayLike<number>): SelectedFlows {
  const C = t.width;
  const N = graph.nodes.length;
  const idOf = Array.from({ length: C }, () => new Map<number, number>());
  for (const nd of graph.nodes) idOf[nd.column].set(nd.value, nd.id);
  const linkOf = new Map<number, number>();
  graph.links.forEach((l, i) => linkOf.set(l.source * N + l.target, i));
  const classPos = new Map(graph.classes.map((c, i) => [c, i]));
  const nodes = new Int32Array(N);
  const links = graph.links.map(() => new Int32Array(graph.classes.length));
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * C;
    const cls = classPos.get(t.data[o]);
    let prev = -1;
    for (let j = 0; j < C; j++) {
      const id = idOf[j].get(t.data[o + j]);
      if (id === undefined || cls === undefined) throw new Error(`selectedFlows: row ${rows[r]} goes through a value the graph does not have (column ${j})`);
      nodes[id]++;
      if (prev >= 0) {
        const li = linkOf.get(prev * N + id);
        if (li === undefined) throw new Error(`internal: selectedFlows found no link into column ${j} for row ${rows[r]}`);
        links[li][cls]++;
      }
      prev = id;
    }
  }
  return { nodes, links };
}

/** Rows of each class through each node of `graph` (per node id, per class in graph.classes order), from its links. */
export function nodeClassSplit(graph: SankeyGraph): number[][] {
  const out = graph.nodes.map(() => new Array<number>(graph.classes.length).fill(0));
  for (const l of graph.links) {
    // Every row enters each column after the first once: a node's rows are its inflows, the first column's its outflows.
    const at = graph.nodes[l.target];
    const from = graph.nodes[l.source];
    for (let c = 0; c < l.byClass.length; c++) {
      out[at.id][c] += l.byClass[c];
      if (from.column === 0) out[from.id][c] += l.byClass[c];
    }
  }
  return out;
}
