/**
 * One writer per run directory. `run.lock` holds the writer's pid, host and process start time;
 * it is created exclusively (O_EXCL), so two processes cannot both take it. A lock whose process
 * is gone — killed, crashed, the machine rebooted — is stale and is taken over: the lock survives
 * crashes without ever blocking a resume for good. The start time tells a live writer from an
 * unrelated process that was later given the same pid.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux /proc/<pid>/stat field 22), or null elsewhere. */
  start: string | null;
  since: string;
}

/** Another live process holds the run. */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  constructor(
    message: string,
    readonly owner: LockOwner,
  ) {
    super(message);
  }
}

/** A process's start time (clock ticks since boot, from /proc), or null: with the pid, it tells a process from a later one reusing its pid. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine's process: we cannot tell, so respect it
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

/** The process holding the run directory, if a live one does. */
export function lockOwner(runPath: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(runPath, 'run.lock'), 'utf8')) as LockOwner;
    return alive(owner) ? owner : null;
  } catch {
    return null;
  }
}

export class RunLock {
  private constructor(private readonly path: string) {}

  /** Takes `runPath`'s lock for this process; throws RunLockedError when a live process holds it. */
  static acquire(runPath: string, runId: string): RunLock {
    const path = join(runPath, 'run.lock');
    const me: LockOwner = { pid: process.pid, host: hostname(), start: processStart(process.pid), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let owner: LockOwner | null = null;
        try {
          owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
        } catch {
          // unreadable or half-written by a writer that died at once: stale
        }
        if (owner !== null && owner.pid !== process.pid && alive(owner)) {
          throw new RunLockedError(
            `run ${runId} is being written by process ${owner.pid} on ${owner.host} (since ${owner.since}); wait for it to end or stop it first`,
            owner,
          );
        }
        rmSync(path, { force: true });
        continue;
      }
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return new RunLock(path);
    }
    throw new Error(`RunLock.acquire: could not take ${path} (another process took it at the same moment)`);
  }

  /** Gives the lock up (a missing file is fine: the run folder may have been removed). */
  release(): void {
    rmSync(this.path, { force: true });
  }
}
