/**
 * `latentlab sweep plan|run|merge|emit`: sweeps over any run kind from a spec file
 * (src/sweep/; docs/sweeps.md). `plan` lists the tasks, `run` runs them (or one shard's, for a
 * Slurm array, a Kubernetes Indexed Job or an AWS Batch array job), `merge` builds the table from
 * whatever is complete and lists what is not, `emit` writes the job-array script or manifest.
 */
import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic.js';
import { UsageError } from '../../runs/errors.js';
import { kubernetesManifest, slurmScript, type EmitOptions } from '../../sweep/emit.js';
import type { PlannedTask, SweepPlan } from '../../sweep/expand.js';
import { planFor, runSweepSpec } from '../../sweep/drive.js';
import { mergePlan, readFolderSpec, tableMetrics, writeMerged } from '../../sweep/merge.js';
import { readAttempt, runStatus, type TaskEvent } from '../../sweep/run.js';
import { detectShard, shardTasks, WHOLE, type Shard } from '../../sweep/shard.js';
import { readSpecFile, type SweepSpec } from '../../sweep/spec.js';
import type { Output } from '../output.js';

interface Hooks {
  output: (cmd: Command) => Output;
  done: (code: number) => void;
}

function positiveInt(flag: string, min = 1): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v.trim()) || Number(v) < min)
      throw new UsageError(`sweep: ${flag}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${v}"`);
    return Number(v);
  };
}

/** The spec's name: its `name`, else the file's name without extension. */
function specName(spec: SweepSpec, file: string): string {
  return spec.name ?? basename(file, extname(file));
}

function defaultDir(spec: SweepSpec, file: string, out: string): string {
  return resolve(out, specName(spec, file));
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One line per task: index, unit, shard, id, hash prefix, kind, what it sets over the base, and (with a folder) its state. */
function planLines(plan: SweepPlan, tasks: readonly PlannedTask[], shards: number, dir: string | null): string[] {
  const rows = tasks.map((t) => {
    const state = dir === null ? '' : (runStatus(dir, t.dir) ?? (readAttempt(dir, t.dir)?.status === 'failed' ? 'failed' : 'not run'));
    const diff = Object.entries(t.diff)
      .map(([k, v]) => `${k}=${valueText(v)}`)
      .join(' ');
    return [String(t.index), String(t.unit), t.id, t.hash.slice(0, 8), t.kind, ...(dir === null ? [] : [state]), diff];
  });
  const head = ['#', 'unit', 'task', 'hash', 'kind', ...(dir === null ? [] : ['state']), 'config over base'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

function planJson(tasks: readonly PlannedTask[], shards: number, dir: string | null): unknown[] {
  return tasks.map((t) => ({
    index: t.index,
    id: t.id,
    dir: t.dir,
    hash: t.hash,
    kind: t.kind,
    method: t.method,
    unit: t.unit,
    shard: t.unit % shards,
    coords: t.coords,
    diff: t.diff,
    config: t.config,
    depends_on: t.depends_on,
    ...(dir === null ? {} : { state: runStatus(dir, t.dir) }),
  }));
}

interface PlanFlags {
  dir?: string;
  shard?: string;
  shardCount?: number;
  jobs?: number;
  threads?: number;
  dataDir?: string;
}

function shardOf(o: PlanFlags, env = process.env): Shard {
  return detectShard({ flag: o.shard, count: o.shardCount, env });
}

/** `sweep plan SPEC`: the tasks (of one shard with --shard), their hashes and what each sets. */
export function sweepPlan(file: string, o: PlanFlags & { out: string }, out: Output): number {
  const spec = readSpecFile(file);
  const dir = o.dir === undefined ? defaultDir(spec, file, o.out) : resolve(o.dir);
  const plan = planFor(spec, { root: dir, jobs: o.jobs, threads: o.threads, dataDir: o.dataDir });
  const shard = o.shard === undefined && o.shardCount === undefined ? WHOLE : shardOf(o);
  const shards = o.shardCount ?? shard.count;
  const tasks = shard.count === 1 ? [...plan.tasks] : shardTasks(plan.tasks, shard);
  const onDisk = existsSync(dir) ? dir : null;
  if (out.json) {
    out.result({ dir, spec_hash: plan.specHash, tasks: planJson(tasks, shards, onDisk), units: plan.units });
    return 0;
  }
  const what = shard.count === 1 ? `${plan.tasks.length} tasks` : `shard ${shard.index}/${shard.count}: ${tasks.length} of ${plan.tasks.length} tasks`;
  out.line(`sweep ${specName(spec, file)}: ${what} (${plan.units} units) in ${dir}; folders ${spec.layout === 'hash' ? '<task>-<hash8>' : '<task>'}`);
  for (const l of planLines(plan, tasks, shards, onDisk)) out.line(l);
  return 0;
}

/** The progress lines of a sweep's events, `[k/n]` counting the tasks ended of the `total`. */
function progress(total: number, metrics: readonly string[]): (e: TaskEvent<PlannedTask>) => string {
  let ended = 0;
  return (e) => {
    if (e.type === 'start') return `       ${e.task.dir}: ${e.resume ? 'resuming' : 'started'} (log ${e.log})`;
    if (e.type === 'wait') return `       ${e.task.dir}: waiting (${e.reason})`;
    const n = `[${++ended}/${total}] ${e.task.dir}`;
    if (e.type === 'skip') return `${n}: skipped (${e.reason})`;
    if (e.type === 'blocked') return `${n}: not run (${e.reason})`;
    const shown = metrics
      .filter((k) => typeof e.metrics[k] === 'number')
      .map((k) => `${k} ${e.metrics[k].toFixed(4)}`)
      .join(', ');
    return `${n}: ${e.status} in ${e.seconds.toFixed(1)} s${shown ? ` (${shown})` : ''}${e.status === 'completed' ? '' : `, exit code ${e.code}`}`;
  };
}

/** `sweep run SPEC`: this shard's tasks; the table when the shard is the whole sweep. Exit 0, 1 when a task did not complete, 130 when stopped. */
export async function sweepRun(
  file: string,
  o: PlanFlags & { out: string; skipClaimed?: boolean; entry?: string; pollMs?: number },
  out: Output,
): Promise<number> {
  const spec = readSpecFile(file);
  const dir = o.dir === undefined ? defaultDir(spec, file, o.out) : resolve(o.dir);
  const shard = shardOf(o);
  const planned = planFor(spec, { root: dir, jobs: o.jobs, threads: o.threads, dataDir: o.dataDir });
  const mine = shardTasks(planned.tasks, shard);
  const where = shard.count === 1 ? '' : ` (shard ${shard.index}/${shard.count}${shard.source === 'flag' ? '' : ` from ${shard.source}`})`;
  out.notice(`sweep ${specName(spec, file)}: ${mine.length} of ${planned.tasks.length} tasks${where} in ${dir}, ${o.jobs ?? 1} at a time`);
  const show = progress(mine.length, tableMetrics(spec));
  const r = await runSweepSpec(spec, {
    root: dir,
    jobs: o.jobs,
    threads: o.threads,
    dataDir: o.dataDir,
    shard,
    skipClaimed: o.skipClaimed,
    entry: o.entry === undefined ? undefined : resolve(o.entry),
    pollMs: o.pollMs,
    onEvent: (e) => out.notice(show(e)),
  });
  const states = [...r.states.values()];
  const count = (s: string): number => states.filter((x) => x === s).length;
  const bad = states.filter((s) => s !== 'completed' && s !== 'elsewhere').length + (mine.length - states.length);
  if (r.merged !== null) {
    out.line(r.merged.markdown);
    out.notice(`sweep: results in ${join(dir, 'results.md')} and results.json`);
  }
  out.result({ dir, shard: { index: shard.index, count: shard.count }, tasks: mine.length, states: Object.fromEntries(r.states), stopped: r.stopped });
  out.notice(
    `sweep${where}: ${count('completed')} completed, ${bad} not${count('elsewhere') > 0 ? `, ${count('elsewhere')} left to other processes` : ''}${shard.count > 1 ? `; when every shard has ended: latentlab sweep merge ${dir}` : ''}`,
  );
  if (r.stopped !== null) {
    out.notice(`sweep: stopped by ${r.stopped}; run the same command again to resume`);
    return 130;
  }
  return bad > 0 ? 1 : 0;
}

/** `sweep merge DIR`: the table from whatever is complete (results.md, results.json) and the tasks that are not. */
export function sweepMerge(dir: string, o: { spec?: string; requireComplete?: boolean }, out: Output): number {
  const root = resolve(dir);
  const spec = o.spec === undefined ? readFolderSpec(root) : readSpecFile(o.spec);
  const plan = planFor(spec, { root, threads: 1 });
  const m = mergePlan(root, plan);
  writeMerged(root, plan, m);
  out.line(m.markdown);
  const done = m.records.length - m.incomplete.length;
  out.result({ dir: root, tasks: m.records.length, completed: done, incomplete: m.incomplete, table: m.table });
  out.notice(`sweep merge: ${done} of ${m.records.length} tasks completed; results in ${join(root, 'results.md')} and results.json`);
  if (m.incomplete.length > 0) {
    out.notice(`sweep merge: not completed (${m.incomplete.length}):`);
    for (const t of m.incomplete) out.notice(`  ${t.dir}: ${t.status}${t.log === null ? '' : ` (log ${t.log})`}`);
  }
  return o.requireComplete === true && m.incomplete.length > 0 ? 1 : 0;
}

export interface EmitFlags extends Partial<Omit<EmitOptions, 'dir' | 'name' | 'shards'>> {
  dir?: string;
  name?: string;
  shards?: number;
  output?: string;
}

/** `sweep emit slurm|k8s SPEC`: the job-array script or the Indexed Job manifest, on stdout or in --output. */
export function sweepEmit(engine: string, file: string, o: EmitFlags & { out: string }, out: Output): number {
  if (engine !== 'slurm' && engine !== 'k8s') throw new UsageError(`sweep emit: expected slurm or k8s, got "${engine}"`);
  const spec = readSpecFile(file);
  const name =
    (o.name ??
      specName(spec, file)
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '')) ||
    'latentlab-sweep';
  const mount = o.mount ?? '/data';
  const dir = o.dir ?? (engine === 'slurm' ? defaultDir(spec, file, o.out) : `${mount}/${name}`);
  const plan = planFor(spec, { root: dir, threads: 1 });
  const options: EmitOptions = { ...o, name, dir, mount, shards: o.shards ?? plan.units, specPath: resolve(file) };
  const text = engine === 'slurm' ? slurmScript(plan, options) : kubernetesManifest(plan, options);
  if (o.output !== undefined) {
    writeFileAtomic(o.output, text);
    out.notice(
      `sweep emit: ${engine === 'slurm' ? 'sbatch script' : 'Kubernetes manifest'} for ${plan.tasks.length} tasks in ${options.shards} shards written to ${o.output}`,
    );
  } else process.stdout.write(text);
  return 0;
}

/** Registers `sweep plan|run|merge|emit`. */
export function registerSweep(program: Command, hooks: Hooks): void {
  const sweep = program
    .command('sweep')
    .description('sweeps over any run kind from a spec file: plan, run (sharded for Slurm / Kubernetes / AWS Batch), merge, emit');
  const out = (cmd: Command): string => cmd.optsWithGlobals<{ out: string }>().out;
  const shardOptions = (c: Command): Command =>
    c
      .option('--shard <i/N>', 'run only shard i of N (default: from SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX)')
      .option('--shard-count <n>', 'number of shards, for engines that give only an index (or LATENTLAB_SHARD_COUNT)', positiveInt('--shard-count'));
  const planOptions = (c: Command): Command =>
    shardOptions(c.option('--dir <path>', 'sweep folder (default <out>/<spec name>)'))
      .option('--jobs <n>', 'commands at once', positiveInt('--jobs'))
      .option('--threads <n>', 'backend threads per command (default: the spec’s, else cores / jobs)', positiveInt('--threads'))
      .option('--data-dir <dir>', 'dataset folder of every task');
  planOptions(
    sweep.command('plan <spec>').description('list the tasks of a spec: id, hash, kind, the config each sets (and their state, when the folder exists)'),
  ).action((file: string, o: PlanFlags, cmd: Command) => {
    hooks.done(sweepPlan(file, { ...o, out: out(cmd) }, hooks.output(cmd)));
  });
  planOptions(sweep.command('run <spec>').description("run a spec's tasks (or one shard's) in a sweep folder; the whole sweep also writes its table"))
    .option('--dry-run', 'only list the tasks (as sweep plan)')
    .option('--skip-claimed', 'skip tasks another live process has instead of waiting for them')
    // The entry script each task's command runs (default this package's bin/latentlab.mjs): a wrapper, or a stand-in in tests.
    .addOption(new Option('--entry <script>', 'latentlab entry script the tasks run').hideHelp())
    .addOption(new Option('--poll-ms <ms>', 'how often tasks other processes have are looked at again').argParser(positiveInt('--poll-ms')).hideHelp())
    .action(async (file: string, o: PlanFlags & { dryRun?: boolean; skipClaimed?: boolean; entry?: string; pollMs?: number }, cmd: Command) => {
      if (o.dryRun === true) return hooks.done(sweepPlan(file, { ...o, out: out(cmd) }, hooks.output(cmd)));
      hooks.done(await sweepRun(file, { ...o, out: out(cmd) }, hooks.output(cmd)));
    });
  sweep
    .command('merge <dir>')
    .description('the table from whatever is complete in a sweep folder (results.md, results.json), and the tasks that are not')
    .option('--spec <file>', "the spec (default the folder's sweep.json)")
    .option('--require-complete', 'exit 1 when a task is not completed')
    .action((dir: string, o: { spec?: string; requireComplete?: boolean }, cmd: Command) => {
      hooks.done(sweepMerge(dir, o, hooks.output(cmd)));
    });
  sweep
    .command('emit <engine> <spec>')
    .description('write a Slurm job-array script (slurm) or a Kubernetes Indexed Job manifest (k8s) that runs the sweep in shards')
    .option('--output <file>', 'write it to a file (default stdout)')
    .option('--name <name>', 'job name (default the spec name)')
    .option('--dir <path>', 'sweep folder as the nodes see it (k8s default <mount>/<name>)')
    .option('--shards <n>', 'array tasks / completions (default one per unit)', positiveInt('--shards'))
    .option('--parallelism <n>', 'shards at once (default all)', positiveInt('--parallelism'))
    .option('--jobs <n>', 'commands at once inside a shard (default 1)', positiveInt('--jobs'))
    .option('--cpus <n>', 'CPUs of one shard (default --jobs)', positiveInt('--cpus'))
    .option('--memory <m>', 'memory of one shard (Slurm 8G, Kubernetes 8Gi)')
    .option('--time <t>', 'time limit (Slurm format, e.g. 2:00:00)')
    .option('--partition <p>', 'Slurm partition')
    .option('--account <a>', 'Slurm account')
    .option('--image <image>', 'k8s: container image with latentlab')
    .option('--claim <pvc>', 'k8s: PersistentVolumeClaim (ReadWriteMany) holding the sweep folder')
    .option('--mount <path>', 'k8s: where the claim is mounted (default /data)')
    .option('--retries <n>', 'k8s: retries per index (backoffLimitPerIndex, default 2)', positiveInt('--retries', 0))
    .option('--latentlab <command>', 'the latentlab command on the nodes (default latentlab)')
    .option('--data-dir <dir>', 'dataset folder of every task, as the nodes see it')
    .action((engine: string, file: string, o: EmitFlags, cmd: Command) => {
      hooks.done(sweepEmit(engine, file, { ...o, out: out(cmd) }, hooks.output(cmd)));
    });
}
