/**
 * A sharded sweep, simulated on one machine: the same spec run unsharded in one folder and as 3
 * shards in another — the shards as separate `latentlab sweep run --shard i/3` processes started
 * together, one of them started twice (a duplicate), one killed with SIGKILL mid-task (its whole
 * process group, as a lost node) and run again (a retry) — then `sweep merge`: its results.md
 * equals the unsharded run's byte for byte, every task ran once (the killed one resumed once), and
 * no claim is left held. The tasks' commands are a stand-in (test/helpers/sweep-stub.ts) so that
 * the test measures the sweep's machinery in seconds, not trainings.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSweepStub } from './helpers/sweep-stub.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-sweep-shard-'));
after(() => rmSync(work, { recursive: true, force: true }));
const stub = writeSweepStub(work);

/** The environment of a shard: no engine variables from the machine running the test. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LATENTLAB_OFFLINE: '1', STUB_STEP_MS: '150' };
  for (const k of [
    'SLURM_ARRAY_TASK_ID',
    'SLURM_ARRAY_TASK_COUNT',
    'SLURM_ARRAY_TASK_MIN',
    'JOB_COMPLETION_INDEX',
    'AWS_BATCH_JOB_ARRAY_INDEX',
    'LATENTLAB_SHARD_COUNT',
  ])
    delete e[k];
  return e;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `latentlab ARGS` as the leader of its own process group (so that a kill can take its task commands too). */
function start(args: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: env(), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<Ended>((res) => child.on('close', (code, signal) => res({ code, signal, stderr })));
  return { child, ended };
}

function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const timer = setInterval(() => {
      if (cond()) {
        clearInterval(timer);
        res();
      } else if (Date.now() - t0 > ms) {
        clearInterval(timer);
        rej(new Error(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

// An autoencoder and the SOM on its codes (one unit: they stay in one shard), and a SOM on pixels, × 2 seeds: 6 tasks, 4 units.
const SPEC = {
  name: 'sim',
  base: { dataset: 'mnist', limit: 100, map: '2x2', threads: 1 },
  axes: { seeds: 2 },
  methods: {
    ae: { kind: 'desom', config: { gamma: 0 }, table: false },
    ae_som: { kind: 'som', config: { split: 'all', encoder: { $task: 'ae' } } },
    som: { kind: 'som', config: { split: 'all' } },
  },
  table: { metrics: ['purity', 'nmi', 'time'], reference: 'ae_som' },
};

test('3 shards (one duplicated, one killed and retried) then merge: the table of the unsharded run, byte for byte', async () => {
  const spec = join(work, 'sim.json');
  writeFileSync(spec, JSON.stringify(SPEC));
  const whole = join(work, 'whole');
  const sharded = join(work, 'sharded');
  const run = (dir: string, ...more: string[]) => start(['sweep', 'run', spec, '--dir', dir, '--entry', stub, '--poll-ms', '50', ...more]);

  const reference = run(whole, '--jobs', '2');
  const shards = [0, 1, 2].map((i) => run(sharded, '--shard', `${i}/3`));
  const duplicate = run(sharded, '--shard', '0/3');
  // Shard 2 has the second seed's autoencoder and SOM on its codes: killed once the autoencoder has a checkpoint.
  const aeCheckpoint = (): boolean =>
    existsSync(sharded) && readdirSync(sharded).some((d) => /^ae-s1-[0-9a-f]{8}$/.test(d) && existsSync(join(sharded, d, 'checkpoint', 'latest.json')));
  await waitFor(aeCheckpoint, 'the autoencoder of shard 2 to checkpoint');
  process.kill(-(shards[2].child.pid as number), 'SIGKILL');
  const killed = await shards[2].ended;
  assert.equal(killed.signal, 'SIGKILL');

  for (const p of [reference, shards[0], shards[1], duplicate]) {
    const e = await p.ended;
    assert.equal(e.code, 0, e.stderr);
  }
  assert.match(
    (await duplicate.ended).stderr + (await shards[0].ended).stderr,
    /waiting \(claimed by process \d+/,
    'the duplicate waited for the shard it duplicates',
  );
  const retry = run(sharded, '--shard', '2/3');
  const r = await retry.ended;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ae-s1-[0-9a-f]{8}: resuming/);

  const merge = start(['sweep', 'merge', sharded, '--require-complete']);
  const m = await merge.ended;
  assert.equal(m.code, 0, m.stderr);
  const expected = readFileSync(join(whole, 'results.md'), 'utf8');
  assert.equal(readFileSync(join(sharded, 'results.md'), 'utf8'), expected);
  // The stand-in trains for 1 + seed seconds: the SOM on codes counts its autoencoder's time too.
  assert.match(expected, /^\| ae_som \| 2\/2 \| .* \| 3\.0 ± 1\.4 s \|$/m);
  assert.match(expected, /^\| som \| 2\/2 \| .* \| 1\.5 ± 0\.7 s \|$/m);

  // Every task ran once; the killed autoencoder was resumed once and not started again.
  const calls = readFileSync(join(sharded, 'stub-calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.replace(/-[0-9a-f]{8}$/, ''))
    .sort();
  assert.deepEqual(calls, ['fresh ae-s0', 'fresh ae-s1', 'fresh ae_som-s0', 'fresh ae_som-s1', 'fresh som-s0', 'fresh som-s1', 'resume ae-s1']);
  // Folders are keyed by the config's hash; nothing was moved aside; no claim is left held.
  const dirs = readdirSync(sharded).filter((d) => /^(ae|ae_som|som)-s\d-[0-9a-f]{8}$/.test(d));
  assert.equal(dirs.length, 6, readdirSync(sharded).join(' '));
  assert.deepEqual(
    readdirSync(whole)
      .filter((d) => /^(ae|ae_som|som)-/.test(d))
      .sort(),
    dirs.sort(),
    'the same folders sharded or not',
  );
  assert.equal(readdirSync(sharded).filter((d) => /\.(stale|failed)-\d+$/.test(d)).length, 0);
  for (const d of dirs) {
    const claims = readdirSync(join(sharded, 'claims', d));
    const top = claims.sort((a, b) => parseInt(b) - parseInt(a))[0];
    assert.equal((JSON.parse(readFileSync(join(sharded, 'claims', d, top), 'utf8')) as { released?: boolean }).released, true, d);
  }
});
