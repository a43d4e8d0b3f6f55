/**
 * Task claims: which process of a (possibly sharded, retried or duplicated) sweep is running a
 * task. A process runs a task only while it holds the task's claim, so two processes never work
 * on one task, and a claim left by a process that died is taken over.
 *
 * A task's claims are numbered files `claims/<dir>/<n>.json` (pid, host, process start time). The
 * highest number is the current claim; it is live when it is not released and its process is
 * alive — on this host, the process exists with the same start time (run.lock's test); on another
 * host, whose processes cannot be seen, its file's mtime, which the holder refreshes every
 * HEARTBEAT_MS, is younger than the time-to-live (CLAIM_TTL_MS by default). To claim, a process
 * creates the next number with O_EXCL: of two processes that both find the current claim stale,
 * exactly one creates the next file; the other sees it live. Numbers only grow (a release rewrites
 * the file as released, it does not remove it), and a new holder removes the older files.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { processStart } from '../runs/lock.js';

/** The folder of the sweep folder that holds the claims. */
export const CLAIMS_DIR = 'claims';
/** How often a holder refreshes its claim's mtime. */
export const HEARTBEAT_MS = 30_000;
/** A claim from another host whose mtime is older than this is stale (its host died or lost the folder). */
export const CLAIM_TTL_MS = 10 * 60_000;

export interface ClaimOwner {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux), or null elsewhere. */
  start: string | null;
  since: string;
  token: string;
  /** What the holder does with it ("shard 1/3"). */
  note: string;
  released?: boolean;
}

function processAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processStart(pid);
  return start === null || now === null || now === start;
}

function generations(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.json$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The owner of claim file `path` when it is live, else null. */
function liveOwner(path: string, ttlMs: number): ClaimOwner | null {
  let mtime: number;
  let text: string;
  try {
    mtime = statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  let owner: ClaimOwner;
  try {
    owner = JSON.parse(text) as ClaimOwner;
  } catch {
    // Created but not yet written (its creator is between open and write), or torn by a crash.
    return Date.now() - mtime < 5_000 ? { pid: 0, host: '?', start: null, since: '', token: '', note: 'being written' } : null;
  }
  if (owner.released === true) return null;
  if (owner.host === hostname()) return processAlive(owner.pid, owner.start) ? owner : null;
  return Date.now() - mtime < ttlMs ? owner : null;
}

/** The live claim on a task, or null. */
export function claimOwner(root: string, dir: string, ttlMs = CLAIM_TTL_MS): ClaimOwner | null {
  const folder = join(root, CLAIMS_DIR, dir);
  const gens = generations(folder);
  return gens.length === 0 ? null : liveOwner(join(folder, `${gens[gens.length - 1]}.json`), ttlMs);
}

export type ClaimResult = { claim: Claim; owner: null } | { claim: null; owner: ClaimOwner };

/** A task held by this process. */
export class Claim {
  private timer: NodeJS.Timeout | null;

  private constructor(
    readonly path: string,
    readonly owner: ClaimOwner,
    /** The stale claim this one took over, if any (its owner). */
    readonly tookOver: ClaimOwner | null,
  ) {
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Claims task `dir` of the sweep folder `root`, unless a live process holds it (then its owner). */
  static acquire(root: string, dir: string, note: string, ttlMs = CLAIM_TTL_MS): ClaimResult {
    const folder = join(root, CLAIMS_DIR, dir);
    mkdirSync(folder, { recursive: true });
    for (let attempt = 0; attempt < 8; attempt++) {
      const gens = generations(folder);
      const top = gens.length === 0 ? 0 : gens[gens.length - 1];
      let previous: ClaimOwner | null = null;
      if (top > 0) {
        const path = join(folder, `${top}.json`);
        const live = liveOwner(path, ttlMs);
        if (live !== null) return { claim: null, owner: live };
        try {
          previous = JSON.parse(readFileSync(path, 'utf8')) as ClaimOwner;
        } catch {
          previous = null;
        }
        if (previous?.released === true) previous = null;
      }
      const me: ClaimOwner = {
        pid: process.pid,
        host: hostname(),
        start: processStart(process.pid),
        since: new Date().toISOString(),
        token: randomBytes(8).toString('hex'),
        note,
      };
      const path = join(folder, `${top + 1}.json`);
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process claimed it first: look again
        throw e;
      }
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      for (const g of gens) rmSync(join(folder, `${g}.json`), { force: true });
      return { claim: new Claim(path, me, previous), owner: null };
    }
    throw new Error(`Claim.acquire: could not claim ${dir} in ${folder}: other processes kept claiming it at the same moment`);
  }

  /** Refreshes the claim's mtime (what tells other hosts it is alive). */
  heartbeat(): void {
    const now = new Date();
    try {
      utimesSync(this.path, now, now);
    } catch {
      // the folder went away: nothing to keep alive
    }
  }

  /** Gives the task up: the file stays, marked released (numbers must only grow). */
  release(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      writeJsonAtomic(this.path, { ...this.owner, released: true });
    } catch {
      // the folder went away
    }
  }
}
