/**
 * The DESOM paper's benchmark as a sweep of ordinary runs (seed 000 §4, Table 1): methods ×
 * datasets × seeds, each one `latentlab` command writing a run directory under the sweep folder,
 * named `<method>-<dataset>-s<seed>` so that a second invocation finds it:
 * - completed runs are skipped;
 * - interrupted ones resume from their checkpoint (desom and som runs; k-means has none and starts
 *   again), failed ones are moved aside to `<id>.failed-<n>` and run again;
 * - a run that another live process is training is left to it;
 * - `jobs` commands run at once (BLAS threads split between them), each a child process whose
 *   output goes to logs/<id>.log.
 *
 * The methods (paper names in brackets): k-means with k = map size; the classic online SOM on
 * pixels [minisom]; the gradient SOM on pixels [kerasom]; an autoencoder with DESOM's
 * architecture, data order and budget (`train desom --gamma 0`), then a classic [AE+minisom] or
 * gradient [AE+kerasom] SOM on its codes; DESOM. Every run trains and is scored on the whole
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
import type { SweepRecord } from './desom-table.js';
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../tensor/backend.js';

/** The methods of the table, in its order. */
export const SWEEP_METHODS = ['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];
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

/** One command of the sweep. */
export interface SweepTask {
  readonly id: string;
  /** A table method, or 'ae' (the autoencoder the AE+SOM methods encode with). */
  readonly method: SweepMethod | 'ae';
  readonly dataset: string;
  readonly seed: number;
  /** `latentlab` arguments of a fresh run (after the global ones). */
  readonly args: readonly string[];
  /** The command family, for resuming: `train desom`, `train som`, `cluster kmeans`. */
  readonly command: readonly [string, string];
  /** Ids that must complete first. */
  readonly deps: readonly string[];
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
  if (!Array.isArray(values) || values.length === 0) throw new RangeError(`${fn}: expected at least one of ${allowed.join(', ')} in ${name}, got none`);
  for (const v of values) if (!allowed.includes(v)) throw new RangeError(`${fn}: expected ${name} among ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

/** The commands of a sweep, dependencies first. */
export function planSweep(o: SweepOptions): SweepTask[] {
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
  const tasks: SweepTask[] = [];
  const needAe = o.methods.includes('ae_som') || o.methods.includes('ae_gsom');
  for (const dataset of o.datasets) {
    for (const seed of o.seeds) {
      const common = ['--dataset', dataset, '--seed', String(seed), '--threads', String(threads), ...(limit === undefined ? [] : ['--limit', String(limit)]), ...(o.dataDir === undefined ? [] : ['--data-dir', o.dataDir]), ...(o.matmulPrecision === undefined || o.matmulPrecision === 'float32' ? [] : ['--matmul-precision', o.matmulPrecision])];
      const desomQuick = quick ? ['--iterations', '100', '--eval-every', '50', '--eval-sample', '1000', '--checkpoint-every', '50'] : [];
      const add = (method: SweepTask['method'], command: [string, string], args: string[], deps: string[] = []): void => {
        tasks.push({ id: runId(method, dataset, seed), method, dataset, seed, command, args: [...command, '--run-id', runId(method, dataset, seed), ...common, ...args], deps });
      };
      const aeId = runId('ae', dataset, seed);
      if (needAe) add('ae', ['train', 'desom'], ['--map', map, '--gamma', '0', ...desomQuick]);
      for (const method of o.methods) {
        switch (method) {
          case 'kmeans':
            add(method, ['cluster', 'kmeans'], ['--split', 'all', '--k', String(cells), ...(quick ? ['--restarts', '2'] : [])]);
            break;
          case 'som':
            add(method, ['train', 'som'], ['--split', 'all', '--map', map, '--algorithm', 'classic', ...(quick ? ['--epochs', '1'] : [])]);
            break;
          case 'gsom':
            add(method, ['train', 'som'], ['--split', 'all', '--map', map, '--algorithm', 'gradient', ...(quick ? ['--iterations', '100'] : [])]);
            break;
          case 'ae_som':
            add(method, ['train', 'som'], ['--split', 'all', '--map', map, '--algorithm', 'classic', '--encoder', join(resolve(o.root), aeId), ...(quick ? ['--epochs', '1'] : [])], [aeId]);
            break;
          case 'ae_gsom':
            add(method, ['train', 'som'], ['--split', 'all', '--map', map, '--algorithm', 'gradient', '--encoder', join(resolve(o.root), aeId), ...(quick ? ['--iterations', '100'] : [])], [aeId]);
            break;
          case 'desom':
            add(method, ['train', 'desom'], ['--map', map, ...desomQuick]);
            break;
        }
      }
    }
  }
  return tasks;
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
    let args: string[];
    let resume = false;
    if (st !== null && st !== 'completed') {
      const resumable = t.command[1] !== 'kmeans' && hasCheckpoint(join(root, t.id, 'checkpoint'));
      if (st === 'interrupted' && resumable) {
        args = [t.command[0], t.command[1], '--resume', t.id];
        resume = true;
      } else {
        moveAside(root, t.id, st === 'failed' ? 'failed' : 'stale');
        args = [...t.args];
      }
    } else args = [...t.args];
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
        for (let i = 0; i < pending.length && running.size < jobs; ) {
          const t = pending[i];
          const depStates = t.deps.map((d) => done.get(d));
          if (depStates.some((s) => s !== undefined && s !== 'completed')) {
            pending.splice(i, 1);
            done.set(t.id, 'blocked');
            emit({ type: 'blocked', task: t, reason: `needs ${t.deps.join(', ')}, which ended ${depStates.join(', ')}` });
            continue;
          }
          if (depStates.every((s) => s === 'completed')) {
            pending.splice(i, 1);
            running.set(t.id, start(t).finally(() => running.delete(t.id)));
            continue;
          }
          i++;
        }
      } else pending.length = 0;
      if (running.size === 0) {
        // Whatever is left waits on a task that never started.
        for (const t of pending.splice(0)) emit({ type: 'blocked', task: t, reason: `needs ${t.deps.join(', ')}` });
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
    for (const d of t.deps) {
      const a = trainS(d);
      time = time === null || a === null ? null : time + a;
    }
    out.push({ method: t.method, dataset: t.dataset, seed: t.seed, status: 'completed', run_id: t.id, metrics: { ...(summary?.metrics ?? {}) }, train_s: time });
  }
  return out;
}
