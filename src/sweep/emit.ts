/**
 * Ready-to-submit files for the engines a sweep's shards run under (docs/sweeps.md walks through
 * both): a Slurm job-array script (one array task per shard, `--shard
 * $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`) and a Kubernetes Indexed Job manifest (one
 * completion index per shard, the count in LATENTLAB_SHARD_COUNT, the spec in a ConfigMap, the
 * sweep folder on a shared PersistentVolumeClaim). Both are plain text built here, so that the
 * same options give the same bytes.
 */
import { UsageError } from '../runs/errors.js';
import type { SweepPlan } from './expand.js';

export interface EmitOptions {
  /** Job name (Slurm job name, Kubernetes Job and ConfigMap names' stem). */
  name: string;
  /** Number of shards (array tasks, completions). */
  shards: number;
  /** Shards running at once (default all). */
  parallelism?: number;
  /** Commands at once inside one shard (default 1). */
  jobs?: number;
  /** CPUs of one shard (default 1); each command gets cpus / jobs BLAS threads. */
  cpus?: number;
  /** Memory of one shard: Slurm `--mem` (e.g. 8G), Kubernetes quantity (e.g. 8Gi). */
  memory?: string;
  /** Wall-clock limit: Slurm `--time` (e.g. 2:00:00); Kubernetes activeDeadlineSeconds from the same text. */
  time?: string;
  /** The latentlab command (default `latentlab`; e.g. `npx latentlab`). */
  latentlab?: string;
  /** Dataset folder passed to every task (--data-dir). */
  dataDir?: string;
  /** Slurm: the spec file as the nodes see it. */
  specPath?: string;
  /** The sweep folder as the nodes (Slurm) or the pods (Kubernetes, under `mount`) see it. */
  dir: string;
  /** Slurm partition and account. */
  partition?: string;
  account?: string;
  /** Kubernetes: the container image (with latentlab installed). */
  image?: string;
  /** Kubernetes: the PersistentVolumeClaim holding the sweep folder (ReadWriteMany). */
  claim?: string;
  /** Kubernetes: where the claim is mounted in the pod (default /data). */
  mount?: string;
  /** Kubernetes: retries of one index (backoffLimitPerIndex, default 2). */
  retries?: number;
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** "1-02:30:00", "2:00:00", "30:00", "45" (minutes, as Slurm reads it) → seconds. */
export function timeLimitSeconds(text: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (m === null) throw new UsageError(`sweep emit: --time: expected a Slurm time such as 2:00:00, 1-00:00:00 or 90 (minutes), got "${text}"`);
  const [, d, a, b, c] = m;
  const days = d === undefined ? 0 : Number(d);
  // "MM", "MM:SS", "D-HH", "D-HH:MM", "HH:MM:SS", "D-HH:MM:SS"
  const [h, min, s] =
    b === undefined
      ? d === undefined
        ? [0, Number(a), 0]
        : [Number(a), 0, 0]
      : c === undefined
        ? d === undefined
          ? [0, Number(a), Number(b)]
          : [Number(a), Number(b), 0]
        : [Number(a), Number(b), Number(c)];
  return ((days * 24 + h) * 60 + min) * 60 + s;
}

function checkEmit(o: EmitOptions): { jobs: number; cpus: number; threads: number; parallelism: number } {
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(o.name))
    throw new UsageError(`sweep emit: --name: expected lower-case letters, digits and '-' (a Kubernetes name), got "${o.name}"`);
  if (!Number.isSafeInteger(o.shards) || o.shards < 1) throw new UsageError(`sweep emit: --shards: expected a positive integer, got ${o.shards}`);
  const jobs = o.jobs ?? 1;
  const cpus = o.cpus ?? jobs;
  if (!Number.isSafeInteger(cpus) || cpus < jobs) throw new UsageError(`sweep emit: --cpus: expected an integer ≥ --jobs (${jobs}), got ${cpus}`);
  const parallelism = o.parallelism ?? o.shards;
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new UsageError(`sweep emit: --parallelism: expected a positive integer, got ${parallelism}`);
  return { jobs, cpus, threads: Math.max(1, Math.floor(cpus / jobs)), parallelism };
}

function header(plan: SweepPlan, o: EmitOptions, engine: string): string {
  return `# latentlab sweep ${o.name}: ${plan.tasks.length} tasks (${plan.units} units) in ${o.shards} shards, one ${engine} per shard.`;
}

/** The sbatch script of a sweep: a job array of `shards` tasks, each `latentlab sweep run … --shard i/N`. */
export function slurmScript(plan: SweepPlan, o: EmitOptions): string {
  const { jobs, cpus, threads, parallelism } = checkEmit(o);
  if (o.specPath === undefined) throw new Error('internal: slurmScript: specPath is required');
  const run = [
    ...(o.latentlab ?? 'latentlab').split(/\s+/),
    'sweep',
    'run',
    o.specPath,
    '--dir',
    o.dir,
    '--jobs',
    String(jobs),
    '--threads',
    String(threads),
    ...(o.dataDir === undefined ? [] : ['--data-dir', o.dataDir]),
  ]
    .map(shellQuote)
    .join(' ');
  const lines = [
    '#!/bin/bash',
    header(plan, o, 'array task'),
    `# Submit with: sbatch ${o.name}.sbatch   When every array task has ended: latentlab sweep merge ${shellQuote(o.dir)}`,
    '# A task that fails or is killed can be run again (sbatch --array=<i> …): completed runs are skipped, interrupted ones resume.',
    `#SBATCH --job-name=${o.name}`,
    `#SBATCH --array=0-${o.shards - 1}${parallelism < o.shards ? `%${parallelism}` : ''}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${cpus}`,
    ...(o.memory === undefined ? [] : [`#SBATCH --mem=${o.memory}`]),
    ...(o.time === undefined ? [] : [`#SBATCH --time=${o.time}`, '#SBATCH --signal=B:TERM@120']),
    ...(o.partition === undefined ? [] : [`#SBATCH --partition=${o.partition}`]),
    ...(o.account === undefined ? [] : [`#SBATCH --account=${o.account}`]),
    `#SBATCH --output=${o.name}-%A_%a.out`,
    'set -euo pipefail',
    ...(o.time === undefined ? [] : ['# SIGTERM 120 s before the time limit: the running commands checkpoint, and a resubmitted task resumes them.']),
    `exec ${run} --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"`,
    '',
  ];
  return lines.join('\n');
}

const q = (s: string): string => JSON.stringify(s);

/** The Kubernetes manifest of a sweep: a ConfigMap with the spec and an Indexed Job of `shards` completions. */
export function kubernetesManifest(plan: SweepPlan, o: EmitOptions): string {
  const { jobs, cpus, threads, parallelism } = checkEmit(o);
  if (o.image === undefined)
    throw new UsageError('sweep emit k8s: --image: expected the container image that has latentlab (e.g. registry.example.org/latentlab:0.1.0)');
  if (o.claim === undefined) throw new UsageError('sweep emit k8s: --claim: expected the PersistentVolumeClaim (ReadWriteMany) that holds the sweep folder');
  const mount = o.mount ?? '/data';
  const specJson = JSON.stringify(plan.spec, null, 2);
  const command = [
    ...(o.latentlab ?? 'latentlab').split(/\s+/),
    'sweep',
    'run',
    '/etc/latentlab-sweep/spec.json',
    '--dir',
    o.dir,
    '--jobs',
    String(jobs),
    '--threads',
    String(threads),
    ...(o.dataDir === undefined ? [] : ['--data-dir', o.dataDir]),
  ];
  const resources = [`cpu: ${q(String(cpus))}`, ...(o.memory === undefined ? [] : [`memory: ${q(o.memory)}`])];
  const lines = [
    header(plan, o, 'pod'),
    `# Apply with: kubectl apply -f ${o.name}.yaml   When the Job has completed: latentlab sweep merge ${o.dir} (in a pod that mounts ${o.claim})`,
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${o.name}-spec`,
    'data:',
    '  spec.json: |',
    ...specJson.split('\n').map((l) => `    ${l}`),
    '---',
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    '  completionMode: Indexed',
    `  completions: ${o.shards}`,
    `  parallelism: ${parallelism}`,
    `  backoffLimitPerIndex: ${o.retries ?? 2}`,
    ...(o.time === undefined ? [] : [`  activeDeadlineSeconds: ${timeLimitSeconds(o.time)}`]),
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      terminationGracePeriodSeconds: 120',
    '      containers:',
    '        - name: sweep',
    `          image: ${q(o.image)}`,
    `          command: [${command.map(q).join(', ')}]`,
    '          env:',
    '            - name: LATENTLAB_SHARD_COUNT',
    `              value: ${q(String(o.shards))}`,
    '          resources:',
    '            requests:',
    ...resources.map((r) => `              ${r}`),
    '            limits:',
    ...resources.map((r) => `              ${r}`),
    '          volumeMounts:',
    '            - name: sweep',
    `              mountPath: ${q(mount)}`,
    '            - name: spec',
    '              mountPath: /etc/latentlab-sweep',
    '              readOnly: true',
    '      volumes:',
    '        - name: sweep',
    '          persistentVolumeClaim:',
    `            claimName: ${q(o.claim)}`,
    '        - name: spec',
    '          configMap:',
    `            name: ${o.name}-spec`,
    '',
  ];
  return lines.join('\n');
}
