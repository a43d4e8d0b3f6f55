// Shards: from --shard or the engines' variables, and a partition of the plan that keeps units whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandSpec } from './expand.js';
import { detectShard, parseShard, shardTasks } from './shard.js';
import { validateSpec } from './spec.js';

test('parseShard: INDEX/COUNT, refused by name when malformed or out of range', () => {
  assert.deepEqual(parseShard('2/8'), { index: 2, count: 8, source: 'flag' });
  assert.throws(() => parseShard('2-8'), /sweep run: --shard: expected INDEX\/COUNT such as 0\/4, got "2-8"/);
  assert.throws(() => parseShard('3/3'), /--shard 3\/3: expected a shard index below the count 3, got 3/);
  assert.throws(() => parseShard('0/0'), /expected a shard count ≥ 1, got 0/);
});

test('detectShard: the flag, else Slurm, Kubernetes or AWS Batch variables, else the whole sweep', () => {
  assert.deepEqual(detectShard({ env: {} }), { index: 0, count: 1, source: 'none' });
  assert.deepEqual(detectShard({ flag: '1/2', env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '9' } }), { index: 1, count: 2, source: 'flag' });
  assert.deepEqual(detectShard({ env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '9' } }), { index: 5, count: 9, source: 'slurm' });
  // An array numbered from 1 (--array=1-4): the index counts from SLURM_ARRAY_TASK_MIN.
  assert.deepEqual(detectShard({ env: { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' } }), {
    index: 3,
    count: 4,
    source: 'slurm',
  });
  assert.deepEqual(detectShard({ env: { JOB_COMPLETION_INDEX: '3', LATENTLAB_SHARD_COUNT: '4' } }), { index: 3, count: 4, source: 'kubernetes' });
  assert.deepEqual(detectShard({ count: 6, env: { AWS_BATCH_JOB_ARRAY_INDEX: '0' } }), { index: 0, count: 6, source: 'aws-batch' });
  assert.throws(
    () => detectShard({ env: { JOB_COMPLETION_INDEX: '3' } }),
    /JOB_COMPLETION_INDEX is set \(a Kubernetes Indexed Job index\) but not the number of shards: give --shard-count N or set LATENTLAB_SHARD_COUNT/,
  );
  assert.throws(() => detectShard({ env: { SLURM_ARRAY_TASK_ID: '2' } }), /SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT/);
  assert.throws(
    () => detectShard({ env: { AWS_BATCH_JOB_ARRAY_INDEX: '7', LATENTLAB_SHARD_COUNT: '4' } }),
    /AWS_BATCH_JOB_ARRAY_INDEX=7: expected a shard index below the count 4, got 7/,
  );
  assert.throws(
    () => detectShard({ env: { JOB_COMPLETION_INDEX: 'x', LATENTLAB_SHARD_COUNT: '4' } }),
    /JOB_COMPLETION_INDEX: expected a non-negative integer, got "x"/,
  );
});

test('shardTasks: the shards partition the plan, unit u in shard u mod N, a dependency with its dependents', () => {
  const plan = expandSpec(
    validateSpec({
      base: { dataset: 'mnist', map: '2x2', limit: 100 },
      axes: { seeds: 5 },
      methods: {
        ae: { kind: 'desom', config: { gamma: 0 }, table: false },
        ae_som: { kind: 'som', config: { split: 'all', encoder: { $task: 'ae' } } },
        som: { kind: 'som', config: { split: 'all' } },
      },
    }),
    { root: 'x' },
  );
  for (const n of [1, 2, 3, 4, 11]) {
    const shards = Array.from({ length: n }, (_, i) => shardTasks(plan.tasks, { index: i, count: n }));
    assert.deepEqual(
      shards
        .flat()
        .map((t) => t.index)
        .sort((a, b) => a - b),
      plan.tasks.map((t) => t.index),
      `${n} shards`,
    );
    for (const [i, s] of shards.entries()) {
      for (const t of s) {
        assert.equal(t.unit % n, i);
        for (const d of t.depends_on)
          assert.ok(
            s.some((x) => x.id === d),
            `${t.id} and ${d} in one shard`,
          );
      }
    }
  }
});
