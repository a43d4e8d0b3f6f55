/**
 * `sweep run` as a library call: a spec planned into a sweep folder (sweep.json), one shard's
 * tasks run (run.ts), and — when this process ran the whole sweep — the table merged (merge.ts).
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { expandSpec, type PlannedTask, type SweepPlan } from './expand.js';
import { mergePlan, writeFolderManifest, writeMerged, type Merged } from './merge.js';
import { runTasks, type TaskEvent } from './run.js';
import { shardTasks, WHOLE, type Shard } from './shard.js';
import type { SweepSpec } from './spec.js';

export interface SweepRunOptions {
  /** The sweep folder (shared by every shard). */
  root: string;
  /** Commands at once (default 1). */
  jobs?: number;
  /** BLAS threads per command (default: the spec's, else the cores shared among the jobs). */
  threads?: number;
  /** Dataset folder of every task (overrides the spec's). */
  dataDir?: string;
  /** The share of the sweep this process runs (default all of it). */
  shard?: Shard;
  /** Skip the tasks other live processes have instead of waiting for them. */
  skipClaimed?: boolean;
  /** The latentlab entry script the commands run (default bin/latentlab.mjs of this package). */
  entry?: string;
  pollMs?: number;
  claimTtlMs?: number;
  onEvent?: (e: TaskEvent<PlannedTask>) => void;
}

/** The plan of a spec in a sweep folder, with the threads every task gets. */
export function planFor(spec: SweepSpec, o: Pick<SweepRunOptions, 'root' | 'jobs' | 'threads' | 'dataDir'>): SweepPlan {
  const threads = o.threads ?? ('threads' in spec.base ? undefined : Math.max(1, Math.floor(cpus().length / Math.max(1, o.jobs ?? 1))));
  return expandSpec(spec, { root: o.root, threads, dataDir: o.dataDir, fn: 'sweep' });
}

export interface SweepRunResult {
  plan: SweepPlan;
  shard: Shard;
  /** This shard's tasks. */
  tasks: PlannedTask[];
  /** id → final state (run.ts RunTasksResult). */
  states: Map<string, string>;
  stopped: NodeJS.Signals | null;
  /** The table, when this process ran the whole sweep and was not stopped. */
  merged: Merged | null;
}

/** Plans the spec into the folder, runs this shard's tasks, and merges when the shard is the whole sweep. */
export async function runSweepSpec(spec: SweepSpec, o: SweepRunOptions): Promise<SweepRunResult> {
  const root = resolve(o.root);
  const plan = planFor(spec, { ...o, root });
  const shard = o.shard ?? WHOLE;
  writeFolderManifest(root, plan);
  const tasks = shardTasks(plan.tasks, shard);
  const r = await runTasks({
    root,
    tasks,
    jobs: o.jobs,
    entry: o.entry,
    wait: o.skipClaimed !== true,
    pollMs: o.pollMs,
    claimTtlMs: o.claimTtlMs,
    note: shard.count === 1 ? 'whole sweep' : `shard ${shard.index}/${shard.count}`,
    onEvent: o.onEvent,
  });
  let merged: Merged | null = null;
  if (shard.count === 1 && r.stopped === null) {
    merged = mergePlan(root, plan);
    writeMerged(root, plan, merged);
  }
  return { plan, shard, tasks, states: r.states, stopped: r.stopped, merged };
}
