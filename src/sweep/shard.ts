/**
 * Which share of a sweep one process runs. A shard is `index/count` (0 ≤ index < count), from
 * `--shard i/N` or, without it, from the environment of the engine that started the process:
 *
 * | engine | index | count |
 * |---|---|---|
 * | Slurm job array | `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` (0 when unset) | `SLURM_ARRAY_TASK_COUNT` |
 * | Kubernetes Indexed Job | `JOB_COMPLETION_INDEX` | `--shard-count` or `LATENTLAB_SHARD_COUNT` (the emitted manifest sets it to `completions`) |
 * | AWS Batch array job | `AWS_BATCH_JOB_ARRAY_INDEX` | `--shard-count` or `LATENTLAB_SHARD_COUNT` |
 *
 * Assignment: unit u (tasks joined by dependencies, numbered in plan order: expand.ts) belongs to
 * shard u mod count. Every process computes the same plan, so the shards partition it.
 */
import { UsageError } from '../runs/errors.js';
import type { PlannedTask } from './expand.js';

export interface Shard {
  index: number;
  count: number;
  /** Where it came from: 'flag', 'slurm', 'kubernetes', 'aws-batch', or 'none' (the whole sweep). */
  source: 'flag' | 'slurm' | 'kubernetes' | 'aws-batch' | 'none';
}

export const WHOLE: Shard = Object.freeze({ index: 0, count: 1, source: 'none' });

function nonNegative(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`sweep run: ${name}: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

function checked(index: number, count: number, source: Shard['source'], what: string): Shard {
  if (count < 1) throw new UsageError(`sweep run: ${what}: expected a shard count ≥ 1, got ${count}`);
  if (index >= count) throw new UsageError(`sweep run: ${what}: expected a shard index below the count ${count}, got ${index}`);
  return { index, count, source };
}

/** `"2/8"` → shard 2 of 8. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new UsageError(`sweep run: --shard: expected INDEX/COUNT such as 0/4, got "${text}"`);
  return checked(Number(m[1]), Number(m[2]), 'flag', `--shard ${text}`);
}

/**
 * The shard of this process: `flag` (`--shard`) first, else the engines' variables (table above),
 * else the whole sweep. `count` is `--shard-count`, for the engines that give only an index.
 */
export function detectShard(o: { flag?: string; count?: number; env?: NodeJS.ProcessEnv } = {}): Shard {
  if (o.flag !== undefined) return parseShard(o.flag);
  const env = o.env ?? process.env;
  const countOf = (engine: string, index: string): number => {
    if (o.count !== undefined) return o.count;
    const c = env.LATENTLAB_SHARD_COUNT;
    if (c === undefined || c === '')
      throw new UsageError(
        `sweep run: ${index} is set (a ${engine} index) but not the number of shards: give --shard-count N or set LATENTLAB_SHARD_COUNT (or --shard i/N)`,
      );
    return nonNegative('LATENTLAB_SHARD_COUNT', c);
  };
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '') {
    const min = env.SLURM_ARRAY_TASK_MIN === undefined || env.SLURM_ARRAY_TASK_MIN === '' ? 0 : nonNegative('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN);
    const id = nonNegative('SLURM_ARRAY_TASK_ID', slurm);
    const countText = env.SLURM_ARRAY_TASK_COUNT;
    const count = o.count ?? (countText === undefined || countText === '' ? undefined : nonNegative('SLURM_ARRAY_TASK_COUNT', countText));
    if (count === undefined)
      throw new UsageError('sweep run: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shard-count N (or --shard i/N)');
    return checked(id - min, count, 'slurm', `SLURM_ARRAY_TASK_ID=${slurm}${min > 0 ? ` (− SLURM_ARRAY_TASK_MIN=${min})` : ''}`);
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    const count = countOf('Kubernetes Indexed Job', 'JOB_COMPLETION_INDEX');
    return checked(nonNegative('JOB_COMPLETION_INDEX', k8s), count, 'kubernetes', `JOB_COMPLETION_INDEX=${k8s}`);
  }
  const aws = env.AWS_BATCH_JOB_ARRAY_INDEX;
  if (aws !== undefined && aws !== '') {
    const count = countOf('AWS Batch array job', 'AWS_BATCH_JOB_ARRAY_INDEX');
    return checked(nonNegative('AWS_BATCH_JOB_ARRAY_INDEX', aws), count, 'aws-batch', `AWS_BATCH_JOB_ARRAY_INDEX=${aws}`);
  }
  return WHOLE;
}

/** The tasks of a shard: the units u with u mod count = index, in plan order. */
export function shardTasks<T extends Pick<PlannedTask, 'unit'>>(tasks: readonly T[], shard: Pick<Shard, 'index' | 'count'>): T[] {
  return tasks.filter((t) => t.unit % shard.count === shard.index);
}
