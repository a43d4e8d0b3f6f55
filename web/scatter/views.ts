/**
 * What each run kind gives the scatter, read from its arrays:
 * - signatures: one scatter per projected layer (arrays/umap_<layer>.npy, its points mapped to
 *   rows by umap_<layer>_rows.npy when it projected a sample), coloured by label, the layer's
 *   cluster, the prediction and its error;
 * - desom: the codes (arrays/codes.npy) as their saved UMAP (codes_umap.npy) and as their two
 *   principal components computed here, on which the map's prototypes are drawn as nodes joined to
 *   their grid neighbours; coloured by label, map cell, prediction (the majority class of the
 *   row's cell, the classifier purity scores) and error;
 * - ae: the test codes (test_codes.npy) when they are 2-d, and their UMAP (latent_umap.npy, of the
 *   test rows latent_umap_indices.npy names) when the run saved one.
 */
import type { RunDetail } from '../../src/serve/types.js';
import type { NpyArray } from '../npy.js';
import { NO_VALUE, RIGHT, WRONG, categorical, cellColor } from './colors.js';
import { pca2, project2 } from './pca.js';
import { cellMajority, gridEdges, mapShape } from './som-grid.js';
import type { Colouring, ScatterView } from './scatter.js';

export interface ScatterSpec {
  name: string;
  title: string;
  views: ScatterView[];
}

type ArrayOf = (name: string) => Promise<NpyArray>;

const has = (run: RunDetail, name: string): boolean => run.arrays.some((a) => a.name === name && a.shape !== null);

function f32(a: NpyArray, name: string, cols?: number): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`scatter: arrays/${name}.npy holds ${a.dtype}; expected float32`);
  if (cols !== undefined && (a.shape.length !== 2 || a.shape[1] !== cols))
    throw new Error(`scatter: arrays/${name}.npy has shape (${a.shape.join(', ')}); expected (n, ${cols})`);
  return a.data;
}

function i32(a: NpyArray, name: string): Int32Array {
  if (!(a.data instanceof Int32Array)) throw new Error(`scatter: arrays/${name}.npy holds ${a.dtype}; expected int32`);
  return a.data;
}

/** values[rows[p]] for every point p (rows null: values itself). */
function gather(values: Int32Array, rows: Int32Array | null): Int32Array {
  if (rows === null) return values;
  return Int32Array.from(rows, (r) => (r >= 0 && r < values.length ? values[r] : -1));
}

function categories(key: string, title: string, values: Int32Array, name: (v: number) => string = String): Colouring {
  return { key, title, values, name: (v) => (v < 0 ? '—' : name(v)), color: categorical, legend: 'categories' };
}

function errors(labels: Int32Array, predictions: Int32Array): Colouring {
  const values = Int32Array.from(labels, (l, i) => (l < 0 || predictions[i] < 0 ? -1 : l === predictions[i] ? 0 : 1));
  return {
    key: 'error',
    title: 'error',
    values,
    name: (v) => (v === 0 ? 'right' : v === 1 ? 'wrong (prediction ≠ label)' : '—'),
    color: (v) => (v === 0 ? RIGHT : v === 1 ? WRONG : NO_VALUE),
    legend: 'categories',
  };
}

/** Whether umap_<name> is umap_input_<layer> or umap_pca_<layer> of a projected layer. */
function isBeside(run: RunDetail, name: string): boolean {
  const m = /^(?:input|pca)_(.+)$/.exec(name);
  return m !== null && has(run, `umap_${m[1]}`);
}

async function signaturesScatters(run: RunDetail, array: ArrayOf, className: (k: number) => string): Promise<ScatterSpec[]> {
  const order = Array.isArray(run.record?.layers) ? (run.record.layers as unknown[]).map(String) : [];
  const layers = run.arrays
    .map((a) => /^umap_(.+)$/.exec(a.name)?.[1])
    // Not the arrays beside a projection: umap_<layer>_rows (its rows), umap_input_<layer> and
    // umap_pca_<layer> (what places a drawn input in it).
    .filter((l): l is string => l !== undefined && !(l.endsWith('_rows') && has(run, `umap_${l.slice(0, -5)}`)) && !isBeside(run, l))
    .sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (layers.length === 0) return [];
  // Every array asked for at once: the page's cache shares them, and they arrive in parallel.
  const wanted = ['labels', 'predictions', ...layers.flatMap((l) => [`umap_${l}`, `umap_${l}_rows`, `clusters_${l}`])].filter((a) => has(run, a));
  const got = new Map(await Promise.all(wanted.map(async (a) => [a, await array(a)] as const)));
  const ints = (name: string): Int32Array | null => (got.has(name) ? i32(got.get(name) as NpyArray, name) : null);
  const labels = ints('labels');
  if (labels === null) return [];
  const predictions = ints('predictions');
  const out: ScatterSpec[] = [];
  for (const layer of layers) {
    const xy = f32(got.get(`umap_${layer}`) as NpyArray, `umap_${layer}`, 2);
    const rows = ints(`umap_${layer}_rows`);
    const n = xy.length / 2;
    if (rows !== null && rows.length !== n) throw new Error(`scatter: umap_${layer}_rows.npy has ${rows.length} rows for ${n} points`);
    if (rows === null && n !== labels.length)
      throw new Error(`scatter: umap_${layer}.npy has ${n} points for ${labels.length} rows and no umap_${layer}_rows.npy`);
    const l = gather(labels, rows);
    const colourings: Colouring[] = [categories('label', 'label', l, className)];
    const clusters = ints(`clusters_${layer}`);
    if (clusters !== null) {
      const c = gather(clusters, rows);
      colourings.push(categories('cluster', layer === 'map' ? 'map cell' : `cluster (${layer})`, c, (v) => (layer === 'map' ? `cell ${v}` : `c${v}`)));
    }
    if (predictions !== null) {
      const p = gather(predictions, rows);
      colourings.push(categories('prediction', 'prediction', p, className), errors(l, p));
    }
    out.push({
      name: layer,
      title: `Layer ${layer}`,
      views: [{ key: `umap_${layer}`, title: 'UMAP', xy, rows, colourings, note: rows === null ? 'UMAP of every row' : `UMAP of a sample of ${n} rows` }],
    });
  }
  return out;
}

async function desomScatters(run: RunDetail, array: ArrayOf, className: (k: number) => string): Promise<ScatterSpec[]> {
  if (!has(run, 'codes') || !has(run, 'labels')) return [];
  const opt = (name: string): Promise<NpyArray | null> => (has(run, name) ? array(name) : Promise.resolve(null));
  const [codesArr, labelsArr, bmusArr, umapArr, protoArr] = await Promise.all([
    array('codes'),
    array('labels'),
    opt('bmus'),
    opt('codes_umap'),
    opt('prototypes'),
  ]);
  const [n, d] = codesArr.shape;
  const codes = f32(codesArr, 'codes');
  const labels = i32(labelsArr, 'labels');
  const shape = mapShape(run);
  const colourings: Colouring[] = [categories('label', 'label', labels, className)];
  if (bmusArr !== null && shape !== null) {
    const K = shape.rows * shape.cols;
    const bmus = i32(bmusArr, 'bmus');
    colourings.push({
      key: 'cell',
      title: 'BMU cell',
      values: bmus,
      name: (k) => (k < 0 ? '—' : `cell ${k} (${Math.floor(k / shape.cols)}, ${k % shape.cols})`),
      color: (k) => cellColor(k, shape.rows, shape.cols),
      legend: { rows: shape.rows, cols: shape.cols },
    });
    const majority = cellMajority(bmus, labels, K);
    const predictions = Int32Array.from(bmus, (b) => (b >= 0 && b < K ? majority[b] : -1));
    colourings.push(categories('prediction', 'prediction (cell majority)', predictions, className), errors(labels, predictions));
  }
  const views: ScatterView[] = [];
  if (umapArr !== null)
    views.push({ key: 'codes_umap', title: 'UMAP of the codes', xy: f32(umapArr, 'codes_umap', 2), rows: null, colourings, note: 'UMAP saved by the run' });
  // The two leading principal components, with the map drawn over them in the same coordinates.
  const p = pca2(codes, n, d);
  const pcaView: ScatterView = {
    key: 'codes_pca',
    title: 'PCA of the codes + map',
    xy: project2(p, codes, n, d),
    rows: null,
    colourings,
    note: `PC1 and PC2 of the ${d}-d codes (${(100 * (p.explained[0] + p.explained[1])).toFixed(1)}% of the variance)`,
    place: (r) => {
      const c = r.activations.get('code');
      if (c === undefined || c.length !== d) return null;
      const xy = project2(p, c, 1, d);
      return [xy[0], xy[1]];
    },
  };
  if (protoArr !== null && shape !== null) {
    const K = shape.rows * shape.cols;
    if (protoArr.shape[0] === K && protoArr.shape[1] === d) {
      pcaView.grid = { nodes: project2(p, f32(protoArr, 'prototypes'), K, d), edges: gridEdges(shape.rows, shape.cols, shape.hexagonal) };
      pcaView.note += '; prototypes as nodes joined to their grid neighbours';
    }
  }
  views.push(pcaView);
  return [{ name: 'codes', title: 'Latent codes', views }];
}

async function aeScatters(run: RunDetail, array: ArrayOf, className: (k: number) => string): Promise<ScatterSpec[]> {
  const codes = run.arrays.find((a) => a.name === 'test_codes')?.shape;
  const flat = codes?.length === 2 && codes[1] === 2;
  if (!has(run, 'test_labels') || (!has(run, 'latent_umap') && !flat)) return [];
  const [umapArr, indicesArr, labelsArr, codesArr] = await Promise.all([
    has(run, 'latent_umap') ? array('latent_umap') : null,
    has(run, 'latent_umap_indices') ? array('latent_umap_indices') : null,
    array('test_labels'),
    flat ? array('test_codes') : null,
  ]);
  const testLabels = i32(labelsArr, 'test_labels');
  const views: ScatterView[] = [];
  // A 2-d latent space is drawn as it is; a wider one through the UMAP the run saved.
  if (codesArr !== null)
    views.push({
      key: 'test_codes',
      title: 'the 2-d codes',
      xy: f32(codesArr, 'test_codes', 2),
      rows: null,
      colourings: [categories('label', 'label', testLabels, className)],
      note: 'the test rows’ codes',
      place: (r) => {
        const c = r.activations.get('code');
        return c !== undefined && c.length === 2 ? [c[0], c[1]] : null;
      },
    });
  if (umapArr !== null) {
    const rows = indicesArr === null ? null : i32(indicesArr, 'latent_umap_indices');
    views.push({
      key: 'latent_umap',
      title: 'UMAP',
      xy: f32(umapArr, 'latent_umap', 2),
      rows,
      colourings: [categories('label', 'label', gather(testLabels, rows), className)],
      note: 'UMAP of the test codes saved by the run',
    });
  }
  return [{ name: 'latent', title: 'Latent space (test rows)', views }];
}

/** The scatters of a run, by kind (none for a kind or run without the arrays). */
export async function scattersOf(run: RunDetail, array: ArrayOf, className: (k: number) => string): Promise<ScatterSpec[]> {
  switch (run.kind) {
    case 'signatures':
      return signaturesScatters(run, array, className);
    case 'desom':
      return desomScatters(run, array, className);
    case 'ae':
    case 'vae':
      return aeScatters(run, array, className);
    default:
      return [];
  }
}
