// `latentlab sweep plan|emit|merge` as a user types them: the task list, a spec refused by field,
// an emitted script, a folder that is not a sweep. (Running shards: test/sweep-shard.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const BIN = new URL('../../../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-sweep-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('sweep plan lists the tasks with their hash and config; a bad spec is refused naming the field; emit writes the script', () => {
  const spec = join(work, 'km.yaml');
  writeFileSync(spec, 'kind: kmeans\nbase: { dataset: mnist, limit: 100 }\naxes:\n  k: [2, 3]\n  seeds: 2\n');
  const r = cli(['sweep', 'plan', spec, '--dir', join(work, 'km'), '--shard', '1/2']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], `sweep km: shard 1/2: 2 of 4 tasks (4 units) in ${join(work, 'km')}; folders <task>-<hash8>`);
  assert.match(lines[1], /^#\s+unit\s+task\s+hash\s+kind\s+config over base$/);
  assert.match(lines[2], /^1\s+1\s+kmeans-k2-s1\s+[0-9a-f]{8}\s+kmeans\s+k=2 seed=1$/);
  assert.match(lines[3], /^3\s+3\s+kmeans-k3-s1\s+[0-9a-f]{8}\s+kmeans\s+k=3 seed=1$/);

  writeFileSync(join(work, 'bad.yaml'), 'kind: kmeans\naxes:\n  k: 3\n');
  const bad = cli(['sweep', 'run', join(work, 'bad.yaml'), '--dry-run']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, `latentlab: sweep spec ${join(work, 'bad.yaml')}: axes.k: expected a list of values (only seeds takes a count), got 3\n`);

  const out = join(work, 'km.sbatch');
  const e = cli(['sweep', 'emit', 'slurm', spec, '--shards', '2', '--dir', '/cluster/km', '--output', out]);
  assert.equal(e.code, 0, e.stderr);
  const script = readFileSync(out, 'utf8');
  assert.match(script, /^#SBATCH --array=0-1$/m);
  assert.match(
    script,
    new RegExp(
      `^exec latentlab sweep run ${spec.replace(/[/.]/g, '\\$&')} --dir /cluster/km --jobs 1 --threads 1 --shard "\\$SLURM_ARRAY_TASK_ID/\\$SLURM_ARRAY_TASK_COUNT"$`,
      'm',
    ),
  );
  const m = cli(['sweep', 'merge', work]);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /sweep merge: .* is not a sweep folder \(no sweep\.json; `latentlab sweep run SPEC --dir DIR` writes it\)/);
});
