/**
 * The DESOM paper's benchmark as a sweep of ordinary runs (seed 000 §4, Table 1): methods ×
 * datasets × seeds, each one run writing a run directory under the sweep folder, named
 * `<method>-<dataset>-s<seed>` so that a second invocation finds it.
 *
 * Each task is data, not a command line: a run kind (src/runs/kinds) and that kind's config
 * (snake_case keys as in a run's config.json), validated against the kind's schema when the sweep
 * is planned, so that a bad sweep fails before any run starts. A task runs as a child process made
 * from that description: its config written to `tasks/<id>.json` in the sweep folder, then
 * `latentlab --quiet --out <folder> <the kind's command> --config tasks/<id>.json --run-id <id>`.
 * Then:
 * - completed runs are skipped;
 * - interrupted ones resume from their checkpoint (desom and som runs; k-means has none and starts
 *   again), failed ones are moved aside to `<id>.failed-<n>` and run again;
 * - a run that another live process is training is left to it;
 * - `jobs` runs at once (BLAS threads split between them: the config key `threads`), each a child
 *   process whose output goes to logs/<id>.log.
 *
 * The methods (paper names in brackets): k-means with k = map size; the classic online SOM on
 * pixels [minisom]; the gradient SOM on pixels [kerasom]; an autoencoder with DESOM's
 * architecture, data order and budget (`train desom --gamma 0`), then a classic [AE+minisom] or
 * gradient [AE+kerasom] SOM on its codes; DESOM; and, when asked for, the convolutional DESOM
 * (`train desom --encoder conv`, every other setting DESOM's). Every run trains and is scored on the whole
 * dataset (train + test), as the paper does. ("seed 000" is the DESOM paper: docs/references.md.)
 *
 * The sweep folder also holds sweep.json (SweepManifest): whether any of its runs were a quick
 * smoke test, so that a report rebuilt later labels them as such.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { RunDir, knownTrainSeconds } from '../runs/run-dir.js';
import { checkTaskConfig, expandSpec } from '../sweep/expand.js';
import { runTasks, taskArguments, TASKS_DIR, type TaskEvent } from '../sweep/run.js';
import { validateSpec, type SweepSpec, type SweepSpecInput } from '../sweep/spec.js';
import type { SweepRecord } from './desom-table.js';
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../tensor/backend.js';

/** The methods of the table, in its order: the paper's six, then the convolutional DESOM. */
export const SWEEP_METHODS = ['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom', 'conv_desom'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];
/** The methods a sweep runs unless told otherwise: the paper's Table 1 (conv_desom costs about five DESOMs, so it is asked for by name). */
export const DEFAULT_SWEEP_METHODS: readonly SweepMethod[] = Object.freeze(['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom']);
export const SWEEP_DATASETS = ['mnist', 'fashion-mnist', 'usps'] as const;
/** Rows per dataset of a quick sweep unless `limit` says otherwise. */
export const QUICK_LIMIT = 1000;

export interface SweepOptions {
  /** The sweep folder (run directories, logs/, results). */
  root: string;
  datasets: readonly string[];
  methods: readonly SweepMethod[];
  seeds: readonly number[];
  /** Commands at once (default 1). */
  jobs?: number;
  /** BLAS threads per command (default: the cores shared among the jobs). */
  threads?: number;
  /** Short smoke version: 1,000 rows, 100 iterations, one SOM epoch, 2 k-means restarts. */
  quick?: boolean;
  /** Rows per dataset (default all; quick: 1,000). */
  limit?: number;
  /** Map size ROWSxCOLS (default 8x8). */
  map?: string;
  /** Matmul precision of every command (default float32; see MatmulPrecision). */
  matmulPrecision?: MatmulPrecision;
  dataDir?: string;
  /** The latentlab entry script the commands run (default bin/latentlab.mjs of this package). */
  entry?: string;
  onEvent?: (e: SweepEvent) => void;
}

/** The run kinds a sweep's tasks are (the keys of KINDS in src/runs/kinds). */
export type SweepKind = 'kmeans' | 'som' | 'desom';

/**
 * One run of the sweep, as data: a run kind and its config. The command that makes it is the
 * kind's (`KINDS[kind].command`: `train som`, `cluster kmeans`, …), given the config as a
 * `--config` file and `--run-id id`; nothing else.
 */
export interface SweepTask {
  /** The run id, also the run directory's name in the sweep folder. */
  readonly id: string;
  /** The run directory's name in the sweep folder: the id (the benchmark's folders are named by id, not by hash). */
  readonly dir: string;
  /** The run kind; `config` is valid against `KINDS[kind].schema` (planSweep checks it). */
  readonly kind: SweepKind;
  /**
   * The config of a fresh run: snake_case keys as in config.json, the keys left out taking the
   * schema's defaults (exactly what the run's config.json records as `config`, once resolved).
   */
  readonly config: Readonly<Record<string, unknown>>;
  /** Ids of the tasks that must complete first (an AE+SOM method's autoencoder). */
  readonly depends_on: readonly string[];
  /** A table method, or 'ae' (the autoencoder the AE+SOM methods encode with: a desom run with gamma 0). */
  readonly method: SweepMethod | 'ae';
  readonly dataset: string;
  readonly seed: number;
}

export type SweepEvent = TaskEvent<SweepTask>;

export function runId(method: string, dataset: string, seed: number): string {
  return `${method}-${dataset}-s${seed}`;
}

function checkList(fn: string, name: string, values: readonly string[], allowed: readonly string[]): void {
  const given: unknown = values; // Array.isArray(values) would narrow values to any[]
  if (!Array.isArray(given) || values.length === 0) throw new RangeError(`${fn}: expected at least one of ${allowed.join(', ')} in ${name}, got none`);
  for (const v of values) if (!allowed.includes(v)) throw new RangeError(`${fn}: expected ${name} among ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

/**
 * Refuses a task whose config its kind's schema refuses, naming the task and every key refused
 * (an unknown key, a wrong type, an out-of-range value).
 */
export function checkSweepTask(task: SweepTask, fn = 'checkSweepTask'): void {
  if (!['kmeans', 'som', 'desom'].includes(task.kind))
    throw new RangeError(`${fn}: task ${task.id}: expected a kind among kmeans, som, desom, got ${JSON.stringify(task.kind)}`);
  checkTaskConfig(task.kind, task.id, task.config, fn);
}

/** The runs of a sweep, dependencies first, every config checked against its kind's schema. */
export function planSweep(o: SweepOptions): SweepTask[] {
  const fn = 'planSweep';
  return expandSpec(benchSweepSpec(o), { root: o.root, fn }).tasks.map((t) => ({
    id: t.id,
    dir: t.dir,
    kind: t.kind as SweepKind,
    config: t.config,
    depends_on: t.depends_on,
    method: t.method as SweepMethod | 'ae',
    dataset: String(t.coords.dataset),
    seed: t.coords.seed as number,
  }));
}

/** The benchmark's options checked (each refusal naming the option), then as a sweep spec (benchSpec). */
export function benchSweepSpec(o: SweepOptions): SweepSpec {
  const fn = 'planSweep';
  checkList(fn, 'datasets', o.datasets, SWEEP_DATASETS);
  checkList(fn, 'methods', o.methods, SWEEP_METHODS);
  if (!Array.isArray(o.seeds) || o.seeds.length === 0 || o.seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new RangeError(`${fn}: expected seeds to be non-negative integers (at least one), got ${JSON.stringify(o.seeds)}`);
  }
  if (new Set(o.seeds).size !== o.seeds.length) throw new RangeError(`${fn}: expected distinct seeds, got ${JSON.stringify(o.seeds)}`);
  if (o.matmulPrecision !== undefined) checkList(fn, 'matmulPrecision', [o.matmulPrecision], MATMUL_PRECISIONS);
  const map = o.map ?? '8x8';
  const m = /^(\d+)x(\d+)$/.exec(map);
  if (m === null || Number(m[1]) * Number(m[2]) < 2) throw new RangeError(`${fn}: expected map as ROWSxCOLS (e.g. 8x8), got ${JSON.stringify(map)}`);
  const cells = Number(m[1]) * Number(m[2]);
  const quick = o.quick === true;
  const limit = o.limit ?? (quick ? QUICK_LIMIT : undefined);
  const threads = o.threads ?? Math.max(1, Math.floor(cpus().length / Math.max(1, o.jobs ?? 1)));
  return benchSpec(o, { cells, quick, limit, threads });
}

/**
 * The benchmark as a sweep spec (src/sweep/spec.ts): axes dataset × seed, one method per table row
 * plus the autoencoder ('ae', not a row) the AE+SOM methods need, folders named by id, the DESOM
 * table. `sweep run` of this spec runs the same tasks (in folders named by hash).
 */
export function benchSpec(o: SweepOptions, d: { cells: number; quick: boolean; limit: number | undefined; threads: number }): SweepSpec {
  const { cells, quick, limit, threads } = d;
  const map = o.map ?? '8x8';
  const desomQuick = quick ? { iterations: 100, eval_every: 50, eval_sample: 1000, checkpoint_every: 50 } : {};
  const methods: NonNullable<SweepSpecInput['methods']> = {};
  if (o.methods.includes('ae_som') || o.methods.includes('ae_gsom')) methods.ae = { kind: 'desom', config: { map, gamma: 0, ...desomQuick }, table: false };
  for (const method of o.methods) {
    switch (method) {
      case 'kmeans':
        methods[method] = { kind: 'kmeans', config: { split: 'all', k: cells, ...(quick ? { restarts: 2 } : {}) } };
        break;
      case 'som':
        methods[method] = { kind: 'som', config: { split: 'all', map, algorithm: 'classic', ...(quick ? { epochs: 1 } : {}) } };
        break;
      case 'gsom':
        methods[method] = { kind: 'som', config: { split: 'all', map, algorithm: 'gradient', ...(quick ? { iterations: 100 } : {}) } };
        break;
      case 'ae_som':
        methods[method] = { kind: 'som', config: { split: 'all', map, algorithm: 'classic', encoder: { $task: 'ae' }, ...(quick ? { epochs: 1 } : {}) } };
        break;
      case 'ae_gsom':
        methods[method] = {
          kind: 'som',
          config: { split: 'all', map, algorithm: 'gradient', encoder: { $task: 'ae' }, ...(quick ? { iterations: 100 } : {}) },
        };
        break;
      case 'desom':
        methods[method] = { kind: 'desom', config: { map, ...desomQuick } };
        break;
      case 'conv_desom':
        methods[method] = { kind: 'desom', config: { map, encoder: 'conv', ...desomQuick } };
        break;
    }
  }
  // The keys every run shares; a key left out takes its schema's default (float32 matmuls included).
  const base: Record<string, unknown> = {
    threads,
    ...(limit === undefined ? {} : { limit }),
    ...(o.dataDir === undefined ? {} : { data_dir: o.dataDir }),
    ...(o.matmulPrecision === undefined || o.matmulPrecision === 'float32' ? {} : { matmul_precision: o.matmulPrecision }),
  };
  return validateSpec(
    {
      name: quick ? 'bench-desom-quick' : 'bench-desom',
      base,
      axes: { dataset: [...o.datasets], seed: [...o.seeds] },
      methods,
      layout: 'id',
      table: { style: 'desom', smoke_test: quick },
    } satisfies SweepSpecInput,
    'planSweep',
  );
}

/** The folder of the sweep folder that holds each task's config file, `<id>.json`. */
export const SWEEP_TASKS_DIR = TASKS_DIR;

/**
 * The child process that makes a task's run, fresh (the config written to `tasks/<id>.json`, read
 * by `--config`) or, with `resume`, continued from its checkpoint (`--resume id`: the run keeps the
 * config it saved). Returns the `latentlab` arguments after the global ones.
 */
export function taskCommand(root: string, task: SweepTask, resume: boolean): string[] {
  return taskArguments(root, task, resume);
}

/** The file in the sweep folder that describes the sweep (see SweepManifest). */
export const SWEEP_MANIFEST = 'sweep.json';

/** What a report over a sweep folder must know about how its runs were made. */
export interface SweepManifest {
  /** True once any invocation ran quick (smoke-test) commands in this folder: it stays true. */
  quick: boolean;
  /** Rows per dataset of the last invocation (null: all). */
  limit: number | null;
  map: string;
  matmul_precision: MatmulPrecision;
}

/** The sweep folder's sweep.json, or null when there is none; throws, naming the file, when it is not a manifest. */
export function readSweepManifest(root: string): SweepManifest | null {
  const path = join(resolve(root), SWEEP_MANIFEST);
  if (!existsSync(path)) return null;
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`readSweepManifest: could not read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (m === null || typeof m !== 'object' || typeof (m as SweepManifest).quick !== 'boolean') {
    throw new Error(`readSweepManifest: expected ${path} to hold an object with a boolean "quick", got ${JSON.stringify(m)}`);
  }
  return m as SweepManifest;
}

/** Writes sweep.json for an invocation with options `o`; `quick` stays true once a quick sweep used the folder. */
export function writeSweepManifest(root: string, o: Pick<SweepOptions, 'quick' | 'limit' | 'map' | 'matmulPrecision'>, spec?: SweepSpec): SweepManifest {
  const quick = o.quick === true;
  const prev = readSweepManifest(root);
  const m: SweepManifest = {
    quick: quick || prev?.quick === true,
    limit: o.limit ?? (quick ? QUICK_LIMIT : null),
    map: o.map ?? '8x8',
    matmul_precision: o.matmulPrecision ?? 'float32',
  };
  mkdirSync(resolve(root), { recursive: true });
  // The spec too, so that `latentlab sweep merge` rebuilds the same table.
  writeJsonAtomic(join(resolve(root), SWEEP_MANIFEST), spec === undefined ? m : { ...m, spec });
  return m;
}

/** What is on disk for a task: null (nothing), or the run's effective status. */
export function taskStatus(root: string, id: string): string | null {
  if (!existsSync(join(root, id, 'config.json'))) return null;
  return RunDir.open(join(root, id)).effectiveStatus();
}

/**
 * Runs the sweep: every task not yet completed, at most `jobs` at once, dependencies first
 * (src/sweep/run.ts; a task another live process has is left to it). Resolves when nothing more can
 * run (or after a SIGINT/SIGTERM, which is passed on to the running commands so that they
 * checkpoint). Returns the tasks and whether it was stopped.
 */
export async function runSweep(o: SweepOptions): Promise<{ tasks: SweepTask[]; stopped: NodeJS.Signals | null }> {
  const tasks = planSweep(o);
  const root = resolve(o.root);
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeSweepManifest(root, o, benchSweepSpec(o));
  const r = await runTasks({ root, tasks, jobs: o.jobs, entry: o.entry, wait: false, note: 'bench desom', onEvent: o.onEvent });
  return { tasks, stopped: r.stopped };
}

/**
 * The table's records from what is on disk: one per table method × dataset × seed. The AE+SOM
 * methods' training time includes their autoencoder's (the work a user would do to get them).
 */
export function collectRecords(root: string, tasks: readonly SweepTask[]): SweepRecord[] {
  const out: SweepRecord[] = [];
  const trainS = (id: string): number | null => {
    if (taskStatus(root, id) !== 'completed') return null;
    return knownTrainSeconds(RunDir.open(join(root, id)).readSummary()?.timings);
  };
  for (const t of tasks) {
    if (t.method === 'ae') continue;
    const st = taskStatus(root, t.id);
    // 'unknown': a directory without a summary (it died before starting) counts as missing.
    const status: SweepRecord['status'] = st === null || st === 'unknown' ? 'missing' : (st as SweepRecord['status']);
    if (st !== 'completed') {
      out.push({ method: t.method, dataset: t.dataset, seed: t.seed, status, run_id: st === null ? null : t.id, metrics: {}, train_s: null });
      continue;
    }
    const summary = RunDir.open(join(root, t.id)).readSummary();
    let time = trainS(t.id);
    for (const d of t.depends_on) {
      const a = trainS(d);
      time = time === null || a === null ? null : time + a;
    }
    out.push({
      method: t.method,
      dataset: t.dataset,
      seed: t.seed,
      status: 'completed',
      run_id: t.id,
      metrics: { ...(summary?.metrics ?? {}) },
      train_s: time,
    });
  }
  return out;
}
