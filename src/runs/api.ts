/**
 * The runs API: start, resume, evaluate, open and list runs of any kind, and read a run's
 * arrays and events. The CLI is a thin adapter over it (parse flags, draw progress, print); the
 * benchmark, the examples and the sweep call it directly, and so will the web explorer.
 *
 *   const training = startRun('mlp', { values: { epochs: 2, limit: 1000 } });
 *   for (let r = await training.next(); ; r = await training.next()) {
 *     if (r.done) { console.log(r.value.metrics); break; }
 *     if (r.value.type === 'notice') console.log(r.value.message);
 *   }
 *
 * or, when only the result matters, `await runToEnd(startRun(…))`.
 */
import { readNpy, type NpyArray } from '../io/npy.js';
import { UsageError } from './errors.js';
import { KINDS, type KindName } from './kinds/index.js';
import type { RunEvaluation, RunKind, RunEvent, Training, TrainResult } from './kind.js';
import { RunDir, type RunStatus, type RunSummary } from './run-dir.js';
import { TrainSession, type TrainRequest } from './session.js';

export type { RunEvaluation, RunKind, RunEvent, Training, TrainResult } from './kind.js';
export type { TrainRequest } from './session.js';
export { KINDS, type KindName } from './kinds/index.js';

/** The registered kind of that name, or undefined. */
export function registeredKind(name: string): RunKind | undefined {
  return Object.hasOwn(KINDS, name) ? KINDS[name as KindName] : undefined;
}

/** A registered kind by name ('mlp'), or a kind object (one not in the registry, e.g. a user's own). */
export function runKind(kind: string | RunKind): RunKind {
  if (typeof kind !== 'string') return kind;
  const k = registeredKind(kind);
  if (k === undefined) throw new UsageError(`runKind: no run kind "${kind}"; expected one of ${Object.keys(KINDS).join(', ')}`);
  return k;
}

/**
 * Trains a new run of `kind` into `request.out` (default 'runs'), or continues the run
 * `request.resume` names. The config is the kind's defaults, then `request.config` (a JSON file),
 * then `request.values`. Yields the training's events and returns its result; a run that fails
 * is marked failed in its summary and the error is thrown. Usage errors (a bad config value, a
 * run that cannot be resumed) are UsageError.
 */
export async function* startRun(kind: string | RunKind, request: TrainRequest = {}): Training {
  const k = runKind(kind);
  const session = TrainSession.open(k.name, k.schema, { out: 'runs', values: {}, ...request }, k.command);
  try {
    return yield* k.train(session);
  } catch (err) {
    session.failed(err);
    throw err;
  } finally {
    session.close();
  }
}

/** Continues an interrupted or killed run (its kind read from its config.json) from its last checkpoint. */
export function resumeRun(ref: string, o: { out?: string; kind?: RunKind } = {}): Training {
  const out = o.out ?? 'runs';
  const run = openRun(ref, out);
  return startRun(o.kind ?? run.kind, { resume: run.path, out });
}

/** Drives a training to its end without looking at its events; returns its result. */
export async function runToEnd(training: Training, onEvent: (e: RunEvent) => void = () => {}): Promise<TrainResult> {
  for (;;) {
    const r = await training.next();
    if (r.done) return r.value;
    onEvent(r.value);
  }
}

/** A run directory with what its files say. */
export interface RunInfo {
  id: string;
  path: string;
  kind: string;
  /** The resolved config (config.json `config`). */
  config: Record<string, unknown>;
  /** All of config.json (dataset, model, backend, command line, …). */
  record: Record<string, unknown>;
  summary: RunSummary | null;
  status: RunStatus | 'unknown';
  dir: RunDir;
}

/** Opens a run by id under `out` or by path. */
export function openRun(ref: string, out = 'runs'): RunInfo {
  const dir = RunDir.open(ref, out);
  const record = dir.readConfig<Record<string, unknown>>();
  const summary = dir.readSummary();
  const config = record.config !== null && typeof record.config === 'object' ? (record.config as Record<string, unknown>) : {};
  const kind = typeof record.kind === 'string' ? record.kind : (summary?.kind ?? '?');
  return { id: dir.id, path: dir.path, kind, config, record, summary, status: dir.effectiveStatus(), dir };
}

/** What `evaluateRun` scores on. */
export interface EvalOptions {
  /** train | test | all (default test). */
  split?: string;
  /** Another dataset than the run's (same features). */
  dataset?: string;
  dataDir?: string;
  out?: string;
  /** The kind that scores it, for a run of a kind not in the registry (a user's own). */
  kind?: RunKind;
}

/** Scores a completed run's saved model on a split, with the metrics its kind records (named with the split's prefix). */
export async function evaluateRun(ref: string, o: EvalOptions = {}): Promise<RunEvaluation> {
  const run = openRun(ref, o.out ?? 'runs');
  const kind = o.kind ?? registeredKind(run.kind);
  if (kind === undefined) throw new UsageError(`eval: run ${run.id} is a "${run.kind}" run; eval supports ${Object.keys(KINDS).join(', ')} runs`);
  const split = o.split ?? 'test';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`eval: --split expects train, test or all, got "${split}"`);
  if (run.status !== 'completed') throw new UsageError(`eval: run ${run.id} is ${run.status}, not completed; it has no final model to score`);
  const config = run.config as { dataset: string; data_dir?: string };
  return kind.evaluate({
    run: run.dir,
    config,
    split,
    dataset: o.dataset ?? config.dataset,
    dataDir: o.dataDir ?? config.data_dir,
    prefix: split === 'train' ? '' : `${split}_`,
  });
}

/** What `listRuns` shows of one run. */
export interface RunRow {
  id: string;
  kind: string;
  status: string;
  dataset: string;
  step: number;
  total: number;
  metrics: Record<string, number>;
  headline: { name: string; value: number } | null;
  started: string;
}

/** The filters of `listRuns`; each keeps the runs whose field equals it. */
export interface RunsFilters {
  kind?: string;
  status?: string;
  dataset?: string;
}

/** The statuses a filter accepts ('unknown': a folder without a summary). */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'interrupted', 'unknown'] as const;

/** For a kind not in the registry: the first of these a run has. */
const HEADLINE_OTHER = ['test_accuracy', 'accuracy', 'test_mse', 'mse', 'purity', 'nmi'];

/** The metric a run of `kind` is best known by (its kind's `headline`), or null when it has none yet. */
export function headlineMetric(kind: string, metrics: Readonly<Record<string, number>>): { name: string; value: number } | null {
  for (const name of registeredKind(kind)?.headline ?? HEADLINE_OTHER) {
    if (typeof metrics[name] === 'number') return { name, value: metrics[name] };
  }
  return null;
}

function runRow(r: RunDir): RunRow {
  const s = r.readSummary();
  let cfg: { kind?: string; config?: { dataset?: unknown }; dataset?: { name?: unknown } } = {};
  try {
    cfg = r.readConfig();
  } catch {
    // A config.json being rewritten or damaged: list the run with what the summary says.
  }
  const kind = s?.kind ?? cfg.kind ?? '?';
  const dataset = typeof cfg.config?.dataset === 'string' ? cfg.config.dataset : typeof cfg.dataset?.name === 'string' ? cfg.dataset.name : '';
  const metrics = s?.metrics ?? {};
  return {
    id: r.id,
    kind,
    status: r.effectiveStatus(),
    dataset,
    step: s?.step ?? 0,
    total: s?.total_steps ?? 0,
    metrics,
    headline: headlineMetric(kind, metrics),
    started: s?.started_at ?? '',
  };
}

/** The runs under `out`, newest first, that pass every filter given. */
export function listRuns(out = 'runs', filters: RunsFilters = {}): RunRow[] {
  return RunDir.list(out)
    .map(runRow)
    .filter(
      (r) =>
        (filters.kind === undefined || r.kind === filters.kind) &&
        (filters.status === undefined || r.status === filters.status) &&
        (filters.dataset === undefined || r.dataset === filters.dataset),
    );
}

/** One of a run's arrays (`arrays/<name>.npy`: bmus, test_predictions, prototypes, …). */
export function readRunArray(ref: string | RunInfo, name: string, out = 'runs'): NpyArray {
  const run = typeof ref === 'string' ? openRun(ref, out) : ref;
  return readNpy(run.dir.file('arrays', name.endsWith('.npy') ? name : `${name}.npy`));
}

/** A run's events.jsonl records, in order (optionally only those of one type: 'step', 'epoch', 'eval', 'final', …). */
export function readRunEvents(ref: string | RunInfo, type?: string, out = 'runs'): Record<string, unknown>[] {
  const run = typeof ref === 'string' ? openRun(ref, out) : ref;
  const events = run.dir.events();
  return type === undefined ? events : events.filter((e) => e.type === type);
}
