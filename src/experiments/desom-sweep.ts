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
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { RunDir } from '../runs/run-dir.js';
import { hasCheckpoint } from '../runs/checkpoint.js';
import { KINDS } from '../runs/kinds/index.js';
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

export type SweepEvent =
  | { type: 'skip'; task: SweepTask; reason: string }
  | { type: 'start'; task: SweepTask; resume: boolean; log: string }
  | { type: 'end'; task: SweepTask; status: string; seconds: number; code: number | null; metrics: Record<string, number> }
  | { type: 'blocked'; task: SweepTask; reason: string };

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
  const kind = KINDS[task.kind] as (typeof KINDS)[SweepKind] | undefined;
  if (kind === undefined) throw new RangeError(`${fn}: task ${task.id}: expected a kind among kmeans, som, desom, got ${JSON.stringify(task.kind)}`);
  const r = kind.schema.safeParse(task.config, { reportInput: true });
  if (r.success) return;
  const problems = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    const v = i.input;
    const got = i.code !== 'custom' && v !== undefined && typeof v !== 'object' && !/\bgot\b/.test(i.message) ? ` (got ${JSON.stringify(v)})` : '';
    return `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}${got}`;
  });
  throw new RangeError(`${fn}: task ${task.id} (${task.kind}, run by \`${kind.command}\`): ${problems.join('; ')}`);
}

/** The runs of a sweep, dependencies first, every config checked against its kind's schema. */
export function planSweep(o: SweepOptions): SweepTask[] {
  const fn = 'planSweep';
  checkList(fn, 'datasets', o.datasets, SWEEP_DATASETS);
  checkList(fn, 'methods', o.methods, SWEEP_METHODS);
  const seeds: readonly number[] = o.seeds; // before Array.isArray narrows o.seeds to any[]
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
  const tasks: SweepTask[] = [];
  const needAe = o.methods.includes('ae_som') || o.methods.includes('ae_gsom');
  for (const dataset of o.datasets) {
    for (const seed of seeds) {
      // The keys every run shares; a key left out takes its schema's default (float32 matmuls included).
      const common: Record<string, unknown> = {
        dataset,
        seed,
        threads,
        ...(limit === undefined ? {} : { limit }),
        ...(o.dataDir === undefined ? {} : { data_dir: o.dataDir }),
        ...(o.matmulPrecision === undefined || o.matmulPrecision === 'float32' ? {} : { matmul_precision: o.matmulPrecision }),
      };
      const desomQuick = quick ? { iterations: 100, eval_every: 50, eval_sample: 1000, checkpoint_every: 50 } : {};
      const add = (method: SweepTask['method'], kind: SweepKind, config: Record<string, unknown>, depends_on: string[] = []): void => {
        tasks.push({ id: runId(method, dataset, seed), kind, config: { ...common, ...config }, depends_on, method, dataset, seed });
      };
      const aeId = runId('ae', dataset, seed);
      const encoder = join(resolve(o.root), aeId);
      if (needAe) add('ae', 'desom', { map, gamma: 0, ...desomQuick });
      for (const method of o.methods) {
        switch (method) {
          case 'kmeans':
            add(method, 'kmeans', { split: 'all', k: cells, ...(quick ? { restarts: 2 } : {}) });
            break;
          case 'som':
            add(method, 'som', { split: 'all', map, algorithm: 'classic', ...(quick ? { epochs: 1 } : {}) });
            break;
          case 'gsom':
            add(method, 'som', { split: 'all', map, algorithm: 'gradient', ...(quick ? { iterations: 100 } : {}) });
            break;
          case 'ae_som':
            add(method, 'som', { split: 'all', map, algorithm: 'classic', encoder, ...(quick ? { epochs: 1 } : {}) }, [aeId]);
            break;
          case 'ae_gsom':
            add(method, 'som', { split: 'all', map, algorithm: 'gradient', encoder, ...(quick ? { iterations: 100 } : {}) }, [aeId]);
            break;
          case 'desom':
            add(method, 'desom', { map, ...desomQuick });
            break;
          case 'conv_desom':
            add(method, 'desom', { map, encoder: 'conv', ...desomQuick });
            break;
        }
      }
    }
  }
  for (const t of tasks) checkSweepTask(t, fn);
  return tasks;
}

/** The folder of the sweep folder that holds each task's config file, `<id>.json`. */
export const SWEEP_TASKS_DIR = 'tasks';

/**
 * The child process that makes a task's run, fresh (the config written to `tasks/<id>.json`, read
 * by `--config`) or, with `resume`, continued from its checkpoint (`--resume id`: the run keeps the
 * config it saved). Returns the `latentlab` arguments after the global ones.
 */
export function taskCommand(root: string, task: SweepTask, resume: boolean): string[] {
  const command = KINDS[task.kind].command.split(' ');
  if (resume) return [...command, '--resume', task.id];
  const file = join(resolve(root), SWEEP_TASKS_DIR, `${task.id}.json`);
  mkdirSync(join(resolve(root), SWEEP_TASKS_DIR), { recursive: true });
  writeJsonAtomic(file, task.config);
  return [...command, '--config', file, '--run-id', task.id];
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
export function writeSweepManifest(root: string, o: Pick<SweepOptions, 'quick' | 'limit' | 'map' | 'matmulPrecision'>): SweepManifest {
  const quick = o.quick === true;
  const prev = readSweepManifest(root);
  const m: SweepManifest = {
    quick: quick || prev?.quick === true,
    limit: o.limit ?? (quick ? QUICK_LIMIT : null),
    map: o.map ?? '8x8',
    matmul_precision: o.matmulPrecision ?? 'float32',
  };
  mkdirSync(resolve(root), { recursive: true });
  writeJsonAtomic(join(resolve(root), SWEEP_MANIFEST), m);
  return m;
}

/** What is on disk for a task: null (nothing), or the run's effective status. */
export function taskStatus(root: string, id: string): string | null {
  if (!existsSync(join(root, id, 'config.json'))) return null;
  return RunDir.open(join(root, id)).effectiveStatus();
}

function defaultEntry(): string {
  return resolve(new URL('../../bin/latentlab.mjs', import.meta.url).pathname);
}

/** Moves a failed or unusable run directory aside (nothing is deleted). */
function moveAside(root: string, id: string, why: string): string {
  let n = 1;
  while (existsSync(join(root, `${id}.${why}-${n}`))) n++;
  const to = join(root, `${id}.${why}-${n}`);
  renameSync(join(root, id), to);
  return to;
}

/**
 * Runs the sweep: every task not yet completed, at most `jobs` at once, dependencies first.
 * Resolves when nothing more can run (or after a SIGINT/SIGTERM, which is passed on to the
 * running commands so that they checkpoint). Returns the tasks and whether it was stopped.
 */
export async function runSweep(o: SweepOptions): Promise<{ tasks: SweepTask[]; stopped: NodeJS.Signals | null }> {
  const tasks = planSweep(o);
  const root = resolve(o.root);
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeSweepManifest(root, o);
  const jobs = o.jobs ?? 1;
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new RangeError(`runSweep: expected jobs to be a positive integer, got ${jobs}`);
  const entry = o.entry ?? defaultEntry();
  const emit = o.onEvent ?? (() => undefined);
  const done = new Map<string, string>(); // id → final status this invocation knows
  const pending: SweepTask[] = [];
  for (const t of tasks) {
    const st = taskStatus(root, t.id);
    if (st === 'completed') {
      done.set(t.id, 'completed');
      emit({ type: 'skip', task: t, reason: 'completed' });
    } else if (st === 'running') {
      done.set(t.id, 'running');
      emit({ type: 'skip', task: t, reason: 'being trained by another live process' });
    } else pending.push(t);
  }
  const children = new Set<ReturnType<typeof spawn>>();
  let stopped: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    stopped = sig;
    for (const c of children) c.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const start = (t: SweepTask): Promise<void> => {
    const st = taskStatus(root, t.id);
    let resume = false;
    if (st !== null && st !== 'completed') {
      const resumable = KINDS[t.kind].resumable && hasCheckpoint(join(root, t.id, 'checkpoint'));
      if (st === 'interrupted' && resumable) resume = true;
      else moveAside(root, t.id, st === 'failed' ? 'failed' : 'stale');
    }
    const args = taskCommand(root, t, resume);
    const log = join(root, 'logs', `${t.id}.log`);
    emit({ type: 'start', task: t, resume, log });
    const t0 = performance.now();
    return new Promise((res) => {
      const stream = createWriteStream(log, { flags: 'a' });
      stream.write(`$ latentlab --out ${root} --quiet ${args.join(' ')}\n`);
      const child = spawn(process.execPath, [entry, '--out', root, '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.stdout.pipe(stream, { end: false });
      child.stderr.pipe(stream, { end: false });
      child.on('close', (code) => {
        children.delete(child);
        stream.end();
        const status = taskStatus(root, t.id) ?? 'missing';
        done.set(t.id, status);
        const metrics = status === 'completed' ? (RunDir.open(join(root, t.id)).readSummary()?.metrics ?? {}) : {};
        emit({ type: 'end', task: t, status, seconds: (performance.now() - t0) / 1000, code, metrics });
        res();
      });
    });
  };

  const running = new Map<string, Promise<void>>();
  try {
    while (pending.length > 0 || running.size > 0) {
      if (stopped === null) {
        for (let i = 0; i < pending.length && running.size < jobs;) {
          const t = pending[i];
          const depStates = t.depends_on.map((d) => done.get(d));
          if (depStates.some((s) => s !== undefined && s !== 'completed')) {
            pending.splice(i, 1);
            done.set(t.id, 'blocked');
            emit({ type: 'blocked', task: t, reason: `needs ${t.depends_on.join(', ')}, which ended ${depStates.join(', ')}` });
            continue;
          }
          if (depStates.every((s) => s === 'completed')) {
            pending.splice(i, 1);
            running.set(
              t.id,
              start(t).finally(() => running.delete(t.id)),
            );
            continue;
          }
          i++;
        }
      } else pending.length = 0;
      if (running.size === 0) {
        // Whatever is left waits on a task that never started.
        for (const t of pending.splice(0)) emit({ type: 'blocked', task: t, reason: `needs ${t.depends_on.join(', ')}` });
        break;
      }
      await Promise.race(running.values());
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { tasks, stopped };
}

/**
 * The table's records from what is on disk: one per table method × dataset × seed. The AE+SOM
 * methods' training time includes their autoencoder's (the work a user would do to get them).
 */
export function collectRecords(root: string, tasks: readonly SweepTask[]): SweepRecord[] {
  const out: SweepRecord[] = [];
  const trainS = (id: string): number | null => {
    if (taskStatus(root, id) !== 'completed') return null;
    const t = RunDir.open(join(root, id)).readSummary()?.timings?.train_s;
    return typeof t === 'number' ? t : null;
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
