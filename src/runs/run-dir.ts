/**
 * The run directory (docs/architecture.md): the contract between training, reports and the explorer.
 *   runs/<run-id>/ config.json · events.jsonl · summary.json · model/ · checkpoint/ · arrays/ · figures/
 * Every file is written atomically; summary.json always says whether the run completed, failed,
 * was interrupted or is still running (with the pid, so a killed run can be recognised).
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { appendLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface RunSummary {
  status: RunStatus;
  /** snake_case metric names that mean one thing everywhere (accuracy, mse, purity, nmi, …; test_ prefix on held-out data). */
  metrics: Record<string, number>;
  timings: Record<string, number>;
  kind: string;
  run_id: string;
  started_at: string;
  updated_at: string;
  /** Process that is (or was) writing the run. */
  pid: number;
  step?: number;
  total_steps?: number;
  error?: string;
  /** Why a failed run stopped, for readers that act on it (e.g. `diverged` with the step and the last good checkpoint). */
  failure?: { reason: string; step: number; last_checkpoint_step: number | null };
  resumed_from_step?: number[];
  /** Things a reader should know about a finished run (e.g. a collapsed map); also printed on the console. */
  warnings?: { code: string; message: string }[];
}

/** The runs folder could not be created or written (a read-only place, a file in the way, /proc …). */
export class RunsFolderError extends Error {
  override readonly name = 'RunsFolderError';
}

/**
 * Creates `dir` and its missing parents one level at a time, then checks that a file can be
 * written there. Node 20's recursive mkdir loops forever under /proc; walking up to the nearest
 * existing folder ourselves fails fast there and names the folder in every error.
 */
export function ensureWritableDir(dir: string, fn = 'RunDir.create'): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) throw new RunsFolderError(`${fn}: cannot use ${dir}: ${p} is a file, not a folder`);
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new RunsFolderError(`${fn}: cannot create ${m} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable folder`, {
          cause: e,
        });
    }
  }
  // access(W_OK) is not enough (root passes it on read-only mounts and under /proc): write a probe.
  const probe = join(abs, `.latentlab-write-test-${process.pid}`);
  try {
    accessSync(abs, constants.W_OK);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (e) {
    throw new RunsFolderError(`${fn}: cannot write in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable folder`, {
      cause: e,
    });
  }
}

const SUBDIRS = ['model', 'checkpoint', 'arrays', 'figures'] as const;

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class RunDir {
  private constructor(
    readonly path: string,
    readonly id: string,
  ) {}

  /**
   * Creates runs/<kind>-<date>-<time>[-n]/ under `root` with its sub-folders, or runs/<id>/ when
   * `id` is given (refused when it exists: a named run is never overwritten).
   */
  static create(root: string, kind: string, id?: string): RunDir {
    ensureWritableDir(root);
    if (id !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id))
        throw new RangeError(
          `RunDir.create: expected a run id of letters, digits, '.', '_' and '-' (at most 128, not starting with a symbol), got ${JSON.stringify(id)}`,
        );
      if (existsSync(join(root, id))) throw new Error(`RunDir.create: run ${id} already exists in ${root}`);
    } else {
      const base = `${kind}-${stamp(new Date())}`;
      id = base;
      for (let n = 2; existsSync(join(root, id)); n++) id = `${base}-${n}`;
    }
    const path = resolve(root, id);
    mkdirSync(path);
    for (const s of SUBDIRS) mkdirSync(join(path, s));
    return new RunDir(path, id);
  }

  /** Opens an existing run by directory path, or by id under `root`. */
  static open(ref: string, root = 'runs'): RunDir {
    // An absolute path is only itself (join would nest it under the runs folder in the message).
    const candidates = isAbsolute(ref) ? [ref] : [ref, join(root, ref)];
    for (const c of candidates) {
      if (existsSync(join(c, 'config.json'))) {
        const path = resolve(c);
        return new RunDir(path, path.split(/[\\/]/).pop() ?? ref);
      }
    }
    throw new Error(`RunDir.open: no run "${ref}" (looked for ${candidates.map((c) => join(c, 'config.json')).join(' and ')})`);
  }

  /** Every run under root, newest first (folders that have a config.json). */
  static list(root: string): RunDir[] {
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((n) => existsSync(join(root, n, 'config.json')))
      .map((n) => new RunDir(resolve(root, n), n))
      .sort((a, b) => statSync(join(b.path, 'config.json')).mtimeMs - statSync(join(a.path, 'config.json')).mtimeMs);
  }

  file(...parts: string[]): string {
    return join(this.path, ...parts);
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(this.file('config.json'), config);
  }

  readConfig<T = Record<string, unknown>>(): T {
    return JSON.parse(readFileSync(this.file('config.json'), 'utf8')) as T;
  }

  /** Appends one event to events.jsonl. */
  event(e: Record<string, unknown>): void {
    appendLine(this.file('events.jsonl'), JSON.stringify(e));
  }

  /**
   * Drops the events after `step` (those a killed run logged past its last checkpoint), so a
   * resumed run does not log them twice and readers never double-count. Rewritten atomically.
   */
  truncateEvents(step: number): number {
    const path = this.file('events.jsonl');
    if (!existsSync(path)) return 0;
    const kept: string[] = [];
    let dropped = 0;
    const lines = readJsonLines(path);
    for (const e of lines.values as Record<string, unknown>[]) {
      // Network runs count steps, map runs iterations.
      const at = typeof e.step === 'number' ? e.step : typeof e.iteration === 'number' ? e.iteration : null;
      if (at !== null && at > step) dropped++;
      else kept.push(JSON.stringify(e));
    }
    if (dropped > 0 || lines.skipped > 0) writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
    return dropped;
  }

  events(): Record<string, unknown>[] {
    if (!existsSync(this.file('events.jsonl'))) return [];
    return readJsonLines(this.file('events.jsonl')).values as Record<string, unknown>[];
  }

  writeSummary(s: RunSummary): void {
    writeJsonAtomic(this.file('summary.json'), { ...s, updated_at: new Date().toISOString() });
  }

  readSummary(): RunSummary | null {
    if (!existsSync(this.file('summary.json'))) return null;
    return JSON.parse(readFileSync(this.file('summary.json'), 'utf8')) as RunSummary;
  }

  /** The status as a reader should see it: a 'running' run whose process is gone was interrupted. */
  effectiveStatus(): RunStatus | 'unknown' {
    const s = this.readSummary();
    if (s === null) return 'unknown';
    if (s.status === 'running' && !processAlive(s.pid)) return 'interrupted';
    return s.status;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run's whole training time from its summary timings, or null when it is not known: a resumed
 * run whose earlier segment was killed before it could record its time (train_s is then a lower
 * bound, and a table would average it as if it were whole).
 */
export function knownTrainSeconds(timings: Readonly<Record<string, number>> | undefined): number | null {
  const t = timings?.train_s;
  if (typeof t !== 'number') return null;
  return (timings?.train_s_unknown_segments ?? 0) > 0 ? null : t;
}
