/**
 * The run directory (DESIGN.md): the contract between training, reports and the explorer.
 *   runs/<run-id>/ config.json · events.jsonl · summary.json · model/ · checkpoint/ · arrays/ · figures/
 * Every file is written atomically; summary.json always says whether the run completed, failed,
 * was interrupted or is still running (with the pid, so a killed run can be recognised).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { appendLine, readJsonLines, writeJsonAtomic } from '../io/atomic.js';

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
  resumed_from_step?: number[];
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
    mkdirSync(root, { recursive: true });
    if (id !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new RangeError(`RunDir.create: expected a run id of letters, digits, '.', '_' and '-' (at most 128, not starting with a symbol), got ${JSON.stringify(id)}`);
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
    const candidates = [ref, join(root, ref)];
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
