/**
 * Running a sweep's tasks (all of them, or one shard's) in a sweep folder: each task is an
 * ordinary run made by a `latentlab` child process, `<the kind's command> --config
 * tasks/<dir>.json --run-id <dir>` (output in logs/<dir>.log), at most `jobs` at once, a task after
 * the ones it depends on. The folder may be shared by other processes doing the same (shards, a
 * retried shard, the same shard started twice), so every decision about a task is taken while
 * holding its claim (claim.ts):
 *
 * - completed → skipped;
 * - claimed by another live process, or its run locked by one (run.lock) → skipped: never moved
 *   aside, never started twice;
 * - interrupted with a checkpoint, of a kind that resumes → resumed (`--resume <dir>`);
 * - failed, or interrupted without a checkpoint, or a folder a crash left without config.json →
 *   moved aside to `<dir>.failed-<n>` / `<dir>.stale-<n>` (nothing is deleted) and run again.
 *
 * Each attempt leaves attempts/<dir>.json (status, exit code, host, pid, shard, times, log), so a
 * task that failed before its run folder existed is still recorded as failed.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { hasCheckpoint } from '../runs/checkpoint.js';
import { KINDS, type KindName } from '../runs/kinds/index.js';
import { lockOwner, type LockOwner } from '../runs/lock.js';
import { RunDir } from '../runs/run-dir.js';
import { CLAIM_TTL_MS, Claim } from './claim.js';

/** What the runner needs of a task: its folder, kind and config, what it waits for. */
export interface RunnableTask {
  readonly id: string;
  /** The run directory's name in the sweep folder (also its run id). */
  readonly dir: string;
  readonly kind: KindName;
  readonly config: Readonly<Record<string, unknown>>;
  /** Ids of tasks of the same list that must complete first. */
  readonly depends_on: readonly string[];
}

export type TaskEvent<T extends RunnableTask = RunnableTask> =
  | { type: 'skip'; task: T; reason: string }
  | { type: 'start'; task: T; resume: boolean; log: string }
  | { type: 'end'; task: T; status: string; seconds: number; code: number | null; metrics: Record<string, number> }
  | { type: 'blocked'; task: T; reason: string }
  /** Another live process has the task: this one waits for it to end (then skips it if completed). */
  | { type: 'wait'; task: T; reason: string };

/** The folder of the sweep folder holding each task's config file, `<dir>.json`. */
export const TASKS_DIR = 'tasks';
/** The folder of the sweep folder holding each task's last attempt, `<dir>.json`. */
export const ATTEMPTS_DIR = 'attempts';

/** A task's last attempt, as attempts/<dir>.json records it. */
export interface AttemptRecord {
  task: string;
  status: string;
  exit_code: number | null;
  signal: string | null;
  resumed: boolean;
  host: string;
  pid: number;
  /** "shard 1/3", or "whole sweep". */
  shard: string;
  started_at: string;
  ended_at: string;
  seconds: number;
  log: string;
}

export interface RunTasksOptions<T extends RunnableTask> {
  root: string;
  tasks: readonly T[];
  /** Commands at once (default 1). */
  jobs?: number;
  /** The latentlab entry script the commands run (default bin/latentlab.mjs of this package). */
  entry?: string;
  /** What this process is, for claims and attempt records ("shard 1/3"). */
  note?: string;
  /** Time-to-live of another host's claim (CLAIM_TTL_MS). */
  claimTtlMs?: number;
  /**
   * A task another live process has: wait for that process to let it go, then look again (true,
   * the default: a retried shard whose earlier attempt's claim has not yet gone stale still ends
   * with every task done), or skip it (false).
   */
  wait?: boolean;
  /** How often waiting tasks are looked at again (default POLL_MS). */
  pollMs?: number;
  onEvent?: (e: TaskEvent<T>) => void;
}

/** How often a task another process has is looked at again. */
export const POLL_MS = 2_000;

/** What a runner invocation did: each task's final state as this process knows it. */
export interface RunTasksResult {
  /** id → completed | failed | interrupted | missing | blocked | elsewhere (another process has it). */
  states: Map<string, string>;
  stopped: NodeJS.Signals | null;
}

/** What is on disk for a run folder: null (no config.json), or the run's effective status. */
export function runStatus(root: string, dir: string): string | null {
  if (!existsSync(join(root, dir, 'config.json'))) return null;
  return RunDir.open(join(root, dir)).effectiveStatus();
}

/** The attempt record of a task, or null. */
export function readAttempt(root: string, dir: string): AttemptRecord | null {
  try {
    return JSON.parse(readFileSync(join(root, ATTEMPTS_DIR, `${dir}.json`), 'utf8')) as AttemptRecord;
  } catch {
    return null;
  }
}

function defaultEntry(): string {
  return resolve(new URL('../../bin/latentlab.mjs', import.meta.url).pathname);
}

/** Moves a failed or unusable run directory aside (nothing is deleted). */
function moveAside(root: string, dir: string, why: string): string {
  let n = 1;
  while (existsSync(join(root, `${dir}.${why}-${n}`))) n++;
  const to = join(root, `${dir}.${why}-${n}`);
  renameSync(join(root, dir), to);
  return to;
}

/**
 * The child process that makes a task's run, fresh (the config written to `tasks/<dir>.json`, read
 * by `--config`) or, with `resume`, continued from its checkpoint (`--resume <dir>`: the run keeps
 * the config it saved). Returns the `latentlab` arguments after the global ones.
 */
export function taskArguments(root: string, task: RunnableTask, resume: boolean): string[] {
  const kind = KINDS[task.kind];
  const command = kind.command.split(' ');
  const arg = 'argument' in kind ? (kind as { argument?: { key: string } }).argument : undefined;
  const positional = arg === undefined || typeof task.config[arg.key] !== 'string' ? [] : [task.config[arg.key] as string];
  if (resume) return [...command, ...positional, '--resume', task.dir];
  const file = join(resolve(root), TASKS_DIR, `${task.dir}.json`);
  mkdirSync(join(resolve(root), TASKS_DIR), { recursive: true });
  writeJsonAtomic(file, task.config);
  return [...command, ...positional, '--config', file, '--run-id', task.dir];
}

function describeOwner(o: { pid: number; host: string }): string {
  return `process ${o.pid} on ${o.host}`;
}

/**
 * Runs every task of `tasks` not yet completed, at most `jobs` at once, dependencies first.
 * Resolves when nothing more can run (or after a SIGINT/SIGTERM, which is passed on to the running
 * commands so that they checkpoint).
 */
export async function runTasks<T extends RunnableTask>(o: RunTasksOptions<T>): Promise<RunTasksResult> {
  const root = resolve(o.root);
  mkdirSync(join(root, 'logs'), { recursive: true });
  const jobs = o.jobs ?? 1;
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new RangeError(`runSweep: expected jobs to be a positive integer, got ${jobs}`);
  const entry = o.entry ?? defaultEntry();
  const note = o.note ?? 'whole sweep';
  const ttl = o.claimTtlMs ?? CLAIM_TTL_MS;
  const emit = o.onEvent ?? (() => undefined);
  const wait = o.wait ?? true;
  const pollMs = o.pollMs ?? POLL_MS;
  const done = new Map<string, string>(); // id → final state this invocation knows
  const pending: T[] = [];
  for (const t of o.tasks) {
    if (runStatus(root, t.dir) === 'completed') {
      done.set(t.id, 'completed');
      emit({ type: 'skip', task: t, reason: 'completed' });
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

  const skip = (t: T, state: string, reason: string): void => {
    done.set(t.id, state);
    emit({ type: 'skip', task: t, reason });
  };
  const waiting: T[] = [];
  const told = new Set<string>();
  /** Another live process has the task: wait for it, or skip it. */
  const elsewhere = (t: T, reason: string): void => {
    if (!wait) return skip(t, 'elsewhere', reason);
    waiting.push(t);
    if (!told.has(t.id)) emit({ type: 'wait', task: t, reason });
    told.add(t.id);
  };

  const start = (t: T): Promise<void> => {
    const got = Claim.acquire(root, t.dir, note, ttl);
    if (got.claim === null) {
      elsewhere(t, `claimed by ${describeOwner(got.owner)} (${got.owner.note})`);
      return Promise.resolve();
    }
    const claim = got.claim;
    const runPath = join(root, t.dir);
    // The stale claim of a host that died: its run.lock (which names a host we cannot see into) dies with it.
    const prev = claim.tookOver;
    if (prev !== null && prev.host !== hostname()) {
      try {
        const lock = JSON.parse(readFileSync(join(runPath, 'run.lock'), 'utf8')) as LockOwner;
        if (lock.host === prev.host) rmSync(join(runPath, 'run.lock'), { force: true });
      } catch {
        // no lock
      }
    }
    const holder = existsSync(runPath) ? lockOwner(runPath) : null;
    const st = runStatus(root, t.dir);
    if (holder !== null || st === 'running') {
      claim.release();
      const who = holder === null ? `process ${RunDir.open(runPath).readSummary()?.pid}` : describeOwner(holder);
      elsewhere(t, `being trained by another live process (${who})`);
      return Promise.resolve();
    }
    if (st === 'completed') {
      claim.release();
      skip(t, 'completed', 'completed');
      return Promise.resolve();
    }
    let resume = false;
    if (existsSync(runPath)) {
      const resumable = KINDS[t.kind].resumable && hasCheckpoint(join(runPath, 'checkpoint'));
      if (st === 'interrupted' && resumable) resume = true;
      else moveAside(root, t.dir, st === 'failed' ? 'failed' : 'stale');
    }
    let args: string[];
    try {
      args = taskArguments(root, t, resume);
    } catch (e) {
      claim.release();
      throw e;
    }
    const log = join(root, 'logs', `${t.dir}.log`);
    emit({ type: 'start', task: t, resume, log });
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    return new Promise((res) => {
      const stream = createWriteStream(log, { flags: 'a' });
      stream.write(`$ latentlab --out ${root} --quiet ${args.join(' ')}\n`);
      const child = spawn(process.execPath, [entry, '--out', root, '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.stdout.pipe(stream, { end: false });
      child.stderr.pipe(stream, { end: false });
      child.on('close', (code, signal) => {
        children.delete(child);
        stream.end();
        const onDisk = runStatus(root, t.dir);
        // A command that failed before making its run (a bad dataset, an encoder missing) has no summary to say so.
        const status = onDisk ?? (code === 0 ? 'missing' : 'failed');
        done.set(t.id, status);
        const seconds = (performance.now() - t0) / 1000;
        mkdirSync(join(root, ATTEMPTS_DIR), { recursive: true });
        writeJsonAtomic(join(root, ATTEMPTS_DIR, `${t.dir}.json`), {
          task: t.id,
          status,
          exit_code: code,
          signal,
          resumed: resume,
          host: hostname(),
          pid: process.pid,
          shard: note,
          started_at: startedAt,
          ended_at: new Date().toISOString(),
          seconds,
          log,
        } satisfies AttemptRecord);
        claim.release();
        const metrics = status === 'completed' ? (RunDir.open(runPath).readSummary()?.metrics ?? {}) : {};
        emit({ type: 'end', task: t, status, seconds, code, metrics });
        res();
      });
    });
  };

  const running = new Map<string, Promise<void>>();
  try {
    while (pending.length > 0 || running.size > 0 || (waiting.length > 0 && stopped === null)) {
      if (stopped === null) {
        for (let i = 0; i < pending.length && running.size < jobs;) {
          const t = pending[i];
          const depStates = t.depends_on.map((d) => done.get(d));
          if (depStates.some((s) => s !== undefined && s !== 'completed')) {
            pending.splice(i, 1);
            done.set(t.id, 'blocked');
            const why = depStates.map((s) => (s === 'elsewhere' ? 'is being run by another process' : `ended ${s}`));
            emit({ type: 'blocked', task: t, reason: `needs ${t.depends_on.join(', ')}, which ${why.join(', ')}` });
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
      if (waiting.length > 0 && stopped === null) {
        // Look again at the tasks other processes have, after a while or when one of ours ends.
        await Promise.race([...running.values(), new Promise((r) => setTimeout(r, pollMs))]);
        pending.unshift(...waiting.splice(0));
        continue;
      }
      if (running.size === 0) {
        // Whatever is left waits on a task that never started.
        for (const t of pending.splice(0)) {
          done.set(t.id, 'blocked');
          emit({ type: 'blocked', task: t, reason: `needs ${t.depends_on.join(', ')}` });
        }
        break;
      }
      await Promise.race(running.values());
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { states: done, stopped };
}
