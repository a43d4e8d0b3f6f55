/**
 * The runs folder as the explorer shows it, read through the runs API (openRun, readRunEvents,
 * headlineMetric, RunDir.list). Unlike `listRuns`, one unreadable run (a damaged summary.json, a
 * config.json being replaced) never hides the others: it is listed with its error.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetNames, getDataset } from '../data/registry.js';
import { headlineMetric, openRun, readRunEvents, type RunInfo } from '../runs/api.js';
import { RunDir } from '../runs/run-dir.js';
import { NPY_HEADER_PROBE_BYTES, parseNpyHeader } from './npy-header.js';
import { PathRefused, isInside } from './safe-path.js';
import type { RunArray, RunDetail, RunFile, RunListItem, RunsResponse } from './types.js';

/** How many events.jsonl records the run detail carries (the run page fetches all of them separately). */
const EVENTS_TAIL = 50;
const FIGURE_EXTENSIONS = /\.(svg|png|jpe?g|gif|webp)$/i;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The URL of a file of run `id` (path relative to the run directory, '/'-separated). */
export function fileUrl(id: string, path: string): string {
  return `/api/runs/${encodeURIComponent(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The last complete record of a JSON-lines file that has a step (or iteration), read from its tail only. */
function lastLoggedStep(path: string): number {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const n = Math.min(size, 16384);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n');
    lines.pop(); // the part after the last '\n': empty, or a line still being written
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const e = JSON.parse(lines[i]) as Record<string, unknown>;
        const step = typeof e.step === 'number' ? e.step : typeof e.iteration === 'number' ? e.iteration : null;
        if (step !== null) return step;
      } catch {
        // the first line of the window may be cut: look further back
      }
    }
    return 0;
  } catch {
    return 0;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** A run's list row from what openRun read. */
function itemOf(run: RunInfo): RunListItem {
  const { record, summary: s } = run;
  if (s !== null && !isRecord(s)) throw new Error(`summary.json holds ${Array.isArray(s) ? 'an array' : typeof s}; expected an object`);
  const summary = (s ?? {}) as unknown as Record<string, unknown>;
  const metrics: Record<string, number> = {};
  if (isRecord(summary.metrics)) for (const [k, v] of Object.entries(summary.metrics)) if (typeof v === 'number') metrics[k] = v;
  const dataset = str(run.config.dataset) ?? (isRecord(record.dataset) ? str(record.dataset.name) : str(record.dataset)) ?? '';
  const status = typeof run.status === 'string' ? run.status : 'unknown';
  let step = typeof summary.step === 'number' ? summary.step : 0;
  // A live run records its step in summary.json only at checkpoints; its events say more.
  if (status === 'running') step = Math.max(step, lastLoggedStep(run.dir.file('events.jsonl')));
  const started = str(summary.started_at) ?? str(record.created_at);
  const updated = str(summary.updated_at);
  const timings = isRecord(summary.timings) ? summary.timings : {};
  let duration: number | null = typeof timings.total_s === 'number' ? timings.total_s : null;
  if (duration === null && started !== null && updated !== null) {
    const ms = Date.parse(updated) - Date.parse(started);
    duration = Number.isFinite(ms) ? ms / 1000 : null;
  }
  const item: RunListItem = {
    id: run.id,
    kind: run.kind,
    dataset,
    status,
    step,
    total: typeof summary.total_steps === 'number' ? summary.total_steps : 0,
    metrics,
    headline: headlineMetric(run.kind, metrics),
    started,
    updated,
    duration_s: duration,
    model_run: isRecord(record.model_run) ? str(record.model_run.id) : str(run.config.model),
  };
  if (status === 'failed' && typeof summary.error === 'string') item.error = summary.error;
  return item;
}

/** The list row of a run that could not be read: what its config still says, and why. */
function brokenItem(id: string, path: string, err: unknown): RunListItem {
  let record: Record<string, unknown> = {};
  try {
    const r: unknown = RunDir.open(path).readConfig();
    if (isRecord(r)) record = r;
  } catch {
    // the config itself is what is broken
  }
  const config = isRecord(record.config) ? record.config : {};
  return {
    id,
    kind: str(record.kind) ?? '?',
    dataset: str(config.dataset) ?? '',
    status: 'error',
    step: 0,
    total: 0,
    metrics: {},
    headline: null,
    started: str(record.created_at),
    updated: null,
    duration_s: null,
    model_run: null,
    error: err instanceof Error ? err.message : String(err),
  };
}

/** The runs under one folder, as the explorer's API serves them. */
export class RunsFolder {
  /** The folder as given, made absolute. */
  readonly root: string;

  constructor(
    /** The folder as given (shown to the user). */
    readonly label: string,
  ) {
    this.root = resolve(label);
  }

  /** What GET /api/runs answers. */
  listing(): RunsResponse {
    return { root: this.root, label: this.label, runs: this.items() };
  }

  /** The folder with its symlinks resolved, or null while it does not exist. */
  realRoot(): string | null {
    try {
      return realpathSync(this.root);
    } catch {
      return null;
    }
  }

  /** Run ids, newest first (RunDir.list: the folders holding a config.json). */
  ids(): string[] {
    try {
      return RunDir.list(this.root).map((d) => d.id);
    } catch {
      // A run folder removed between the listing and its stat: list again.
      return RunDir.list(this.root).map((d) => d.id);
    }
  }

  /**
   * The real path of run `id`'s directory: refused (403) when it lies outside the runs folder
   * (a symlink), 404 when there is no such run.
   */
  runPath(id: string): string {
    const root = this.realRoot();
    if (root === null || id === '' || /[/\\\0]/.test(id) || id === '.' || id === '..')
      throw new PathRefused(404, `RunsFolder.runPath: no run ${JSON.stringify(id)}`);
    let real: string;
    try {
      real = realpathSync(join(this.root, id));
    } catch {
      throw new PathRefused(404, `RunsFolder.runPath: no run ${JSON.stringify(id)} in ${this.root}`);
    }
    if (!isInside(root, real) || real === root) throw new PathRefused(403, `RunsFolder.runPath: run ${JSON.stringify(id)} leads outside the runs folder`);
    if (!existsSync(join(real, 'config.json'))) throw new PathRefused(404, `RunsFolder.runPath: ${JSON.stringify(id)} is not a run (no config.json)`);
    return real;
  }

  /** One run's row; an unreadable run gives a row with status 'error' instead of throwing. */
  item(id: string): RunListItem {
    let path: string;
    try {
      path = this.runPath(id);
    } catch (e) {
      return brokenItem(id, join(this.root, id), e);
    }
    try {
      // By the requested id: a run folder may be a symlink to another name inside the folder.
      return { ...itemOf(openRun(path)), id };
    } catch (e) {
      return brokenItem(id, path, e);
    }
  }

  /** Every run's row, newest first. */
  items(): RunListItem[] {
    return this.ids().map((id) => this.item(id));
  }

  /** Run `id`'s row and its summary as written (what the live stream sends when it changes). */
  liveSummary(id: string): RunListItem & { summary: Record<string, unknown> | null } {
    const item = this.item(id);
    let summary: Record<string, unknown> | null = null;
    if (item.status !== 'error') {
      try {
        const s: unknown = RunDir.open(this.runPath(id)).readSummary();
        summary = isRecord(s) ? s : null;
      } catch {
        // read between two writes of a summary that went bad: the row says so on the next poll
      }
    }
    return { ...item, summary };
  }

  /** Everything the run page shows at first; 404/403 (PathRefused) for a run that is not served. */
  detail(id: string): RunDetail {
    const path = this.runPath(id);
    const base = {
      figures: listFigures(id, path),
      arrays: listArrays(id, path),
      report: existsSync(join(path, 'report.html')) ? fileUrl(id, 'report.html') : null,
    };
    let run: RunInfo;
    try {
      run = openRun(path);
      const item = { ...itemOf(run), id };
      const events = safeEvents(run);
      return {
        ...item,
        record: run.record,
        config: run.config,
        summary: run.summary as unknown as Record<string, unknown> | null,
        image_shape: imageShapeOf(item.dataset),
        ...base,
        events_tail: events.slice(-EVENTS_TAIL),
        events_count: events.length,
      };
    } catch (e) {
      const item = brokenItem(id, path, e);
      let record: Record<string, unknown> | null = null;
      try {
        const r: unknown = RunDir.open(path).readConfig();
        record = isRecord(r) ? r : null;
      } catch {
        // shown as the error
      }
      const config = record !== null && isRecord(record.config) ? record.config : {};
      return { ...item, record, config, summary: null, image_shape: imageShapeOf(item.dataset), ...base, events_tail: [], events_count: 0 };
    }
  }

  /** All of run `id`'s events.jsonl records (of one type when given). */
  events(id: string, type?: string): Record<string, unknown>[] {
    return readRunEvents(openRun(this.runPath(id)), type);
  }
}

/** The images' [height, width] of a dataset latentlab knows, else null (not images, or not a dataset name). */
function imageShapeOf(dataset: string): [number, number] | null {
  if (!(datasetNames() as readonly string[]).includes(dataset)) return null;
  const s = getDataset(dataset).imageShape;
  return s === null ? null : [s[0], s[1]];
}

function safeEvents(run: RunInfo): Record<string, unknown>[] {
  try {
    return readRunEvents(run);
  } catch {
    return [];
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The images under figures/ (one level of sub-folders too), by name. */
function listFigures(id: string, runPath: string): RunFile[] {
  const out: RunFile[] = [];
  const walk = (rel: string, depth: number): void => {
    for (const e of entries(join(runPath, rel))) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory() && depth > 0) walk(p, depth - 1);
      else if ((e.isFile() || e.isSymbolicLink()) && FIGURE_EXTENSIONS.test(e.name))
        out.push({ path: p, url: fileUrl(id, p), bytes: fileBytes(join(runPath, p)) });
    }
  };
  walk('figures', 1);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The first bytes of a file, enough for a .npy header. */
function head(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Every arrays/*.npy with its dtype and shape, read from its header only. */
function listArrays(id: string, runPath: string): RunArray[] {
  return entries(join(runPath, 'arrays'))
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.npy'))
    .map((e) => {
      const name = e.name.slice(0, -4);
      const file = join(runPath, 'arrays', e.name);
      const a: RunArray = {
        name,
        url: `/api/runs/${encodeURIComponent(id)}/arrays/${encodeURIComponent(name)}`,
        bytes: fileBytes(file),
        dtype: null,
        shape: null,
      };
      try {
        const h = parseNpyHeader(head(file, NPY_HEADER_PROBE_BYTES), `arrays/${e.name}`);
        a.dtype = h.dtype;
        a.shape = h.shape;
      } catch (err) {
        a.error = (err as Error).message;
      }
      return a;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
