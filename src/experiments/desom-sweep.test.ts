// planSweep: the runs of the paper's benchmark as data (a kind and its config, checked against the
// kind's schema before anything runs), and the command each one becomes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSweepStub } from '../../test/helpers/sweep-stub.js';
import { benchDesom } from '../cli/commands/bench-desom.js';
import { Output } from '../cli/output.js';
import { buildDesomTable, desomTableMarkdown, type SweepRecord } from './desom-table.js';
import {
  DEFAULT_SWEEP_METHODS,
  SWEEP_MANIFEST,
  checkSweepTask,
  planSweep,
  readSweepManifest,
  runSweep,
  taskCommand,
  writeSweepManifest,
  type SweepEvent,
  type SweepMethod,
  type SweepTask,
} from './desom-sweep.js';

const BASE = { root: 'sweep', datasets: ['usps'], methods: ['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom'] as const, seeds: [0, 1], threads: 1 };

test('planSweep: one run per method and seed, plus the shared autoencoder, before its SOMs', () => {
  const tasks = planSweep({ ...BASE, methods: [...BASE.methods] });
  assert.deepEqual(
    tasks.filter((t) => t.seed === 0).map((t) => [t.id, t.kind]),
    [
      ['ae-usps-s0', 'desom'],
      ['kmeans-usps-s0', 'kmeans'],
      ['som-usps-s0', 'som'],
      ['gsom-usps-s0', 'som'],
      ['ae_som-usps-s0', 'som'],
      ['ae_gsom-usps-s0', 'som'],
      ['desom-usps-s0', 'desom'],
    ],
  );
  assert.deepEqual(tasks.find((t) => t.id === 'ae_som-usps-s1')?.depends_on, ['ae-usps-s1']);
  assert.deepEqual(tasks.find((t) => t.id === 'som-usps-s1')?.depends_on, []);
  assert.ok(
    tasks.every((t) => !('matmul_precision' in t.config)),
    'float32 by default: the key left to its default',
  );
});

test('planSweep: each run is a kind and its config, exactly the keys the sweep sets', () => {
  const encoder = join(resolve('sweep'), 'ae-usps-s1');
  const full = Object.fromEntries(planSweep({ ...BASE, methods: [...BASE.methods], seeds: [1] }).map((t) => [t.id, t.config]));
  const common = { dataset: 'usps', seed: 1, threads: 1 };
  assert.deepEqual(full, {
    'ae-usps-s1': { ...common, map: '8x8', gamma: 0 },
    'kmeans-usps-s1': { ...common, split: 'all', k: 64 },
    'som-usps-s1': { ...common, split: 'all', map: '8x8', algorithm: 'classic' },
    'gsom-usps-s1': { ...common, split: 'all', map: '8x8', algorithm: 'gradient' },
    'ae_som-usps-s1': { ...common, split: 'all', map: '8x8', algorithm: 'classic', encoder },
    'ae_gsom-usps-s1': { ...common, split: 'all', map: '8x8', algorithm: 'gradient', encoder },
    'desom-usps-s1': { ...common, map: '8x8' },
  });
  // Quick: 1,000 rows, 100 steps, one SOM pass, 2 k-means restarts; --map, --data-dir and the threads reach every run.
  const quick = Object.fromEntries(
    planSweep({ ...BASE, methods: [...BASE.methods], seeds: [1], quick: true, map: '4x5', dataDir: 'data', threads: 3 }).map((t) => [t.id, t.config]),
  );
  const q = { dataset: 'usps', seed: 1, threads: 3, limit: 1000, data_dir: 'data' };
  const desomQuick = { iterations: 100, eval_every: 50, eval_sample: 1000, checkpoint_every: 50 };
  assert.deepEqual(quick, {
    'ae-usps-s1': { ...q, map: '4x5', gamma: 0, ...desomQuick },
    'kmeans-usps-s1': { ...q, split: 'all', k: 20, restarts: 2 },
    'som-usps-s1': { ...q, split: 'all', map: '4x5', algorithm: 'classic', epochs: 1 },
    'gsom-usps-s1': { ...q, split: 'all', map: '4x5', algorithm: 'gradient', iterations: 100 },
    'ae_som-usps-s1': { ...q, split: 'all', map: '4x5', algorithm: 'classic', encoder, epochs: 1 },
    'ae_gsom-usps-s1': { ...q, split: 'all', map: '4x5', algorithm: 'gradient', encoder, iterations: 100 },
    'desom-usps-s1': { ...q, map: '4x5', ...desomQuick },
  });
});

test('planSweep: a matmul precision reaches every run, and a bad one is refused by name', () => {
  const tasks = planSweep({ ...BASE, methods: [...BASE.methods], matmulPrecision: 'bfloat16' });
  for (const t of tasks) assert.equal(t.config.matmul_precision, 'bfloat16', t.id);
  assert.throws(
    () => planSweep({ ...BASE, methods: [...BASE.methods], matmulPrecision: 'fp8' as never }),
    /planSweep: expected matmulPrecision among float32, bfloat16, got "fp8"/,
  );
});

test('planSweep: a config its kind refuses stops the sweep before it starts, naming the task and the key', () => {
  assert.throws(
    () => planSweep({ ...BASE, methods: ['desom'], limit: 0 }),
    /^RangeError: planSweep: task desom-usps-s0 \(desom, run by `train desom`\): limit: .*\(got 0\)/,
  );
  assert.throws(() => planSweep({ ...BASE, methods: ['kmeans'], threads: 0 }), /planSweep: task kmeans-usps-s0 \(kmeans, run by `cluster kmeans`\): threads: /);
  const som = planSweep({ ...BASE, methods: ['som'] })[0];
  const typo: SweepTask = { ...som, config: { ...som.config, epoch: 1 } };
  assert.throws(() => checkSweepTask(typo), /checkSweepTask: task som-usps-s0 \(som, run by `train som`\): unknown key "epoch"/);
  // The som schema's own checks too: a key of another algorithm is refused rather than ignored.
  assert.throws(
    () => checkSweepTask({ ...som, config: { ...som.config, batch_size: 32 } }),
    /task som-usps-s0 .*batch_size: applies to the gradient algorithm, not to classic/,
  );
  assert.doesNotThrow(() => checkSweepTask(som));
});

test('taskCommand: a fresh run gets its config as a file in tasks/, a resumed one only its id', () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlab-sweep-task-'));
  try {
    const [ae, kmeans] = planSweep({ ...BASE, root, methods: ['kmeans', 'ae_som'], seeds: [0] });
    const file = join(root, 'tasks', 'kmeans-usps-s0.json');
    assert.deepEqual(taskCommand(root, kmeans, false), ['cluster', 'kmeans', '--config', file, '--run-id', 'kmeans-usps-s0']);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), kmeans.config);
    assert.deepEqual(taskCommand(root, ae, false), ['train', 'desom', '--config', join(root, 'tasks', 'ae-usps-s0.json'), '--run-id', 'ae-usps-s0']);
    assert.deepEqual(taskCommand(root, ae, true), ['train', 'desom', '--resume', 'ae-usps-s0']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('sweep.json: a folder that held quick runs stays labelled quick, and a broken manifest is named', () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlab-sweep-manifest-'));
  try {
    assert.equal(readSweepManifest(root), null);
    assert.deepEqual(writeSweepManifest(root, {}), { quick: false, limit: null, map: '8x8', matmul_precision: 'float32' });
    assert.deepEqual(writeSweepManifest(root, { quick: true }), { quick: true, limit: 1000, map: '8x8', matmul_precision: 'float32' });
    // A later full invocation in the same folder skips the quick runs as completed: still a smoke test.
    assert.equal(writeSweepManifest(root, { quick: false }).quick, true);
    assert.equal(readSweepManifest(root)?.quick, true);
    assert.equal((JSON.parse(readFileSync(join(root, SWEEP_MANIFEST), 'utf8')) as { quick: boolean }).quick, true);
    writeFileSync(join(root, SWEEP_MANIFEST), '{"quick": "no"}');
    assert.throws(() => readSweepManifest(root), /readSweepManifest: expected .*sweep\.json to hold an object with a boolean "quick"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('planSweep: conv_desom is a desom run with the convolutional encoder, asked for by name', () => {
  const tasks = planSweep({ ...BASE, methods: ['desom', 'conv_desom'], seeds: [3] });
  assert.deepEqual(
    tasks.map((t) => [t.id, t.kind, t.config]),
    [
      ['desom-usps-s3', 'desom', { dataset: 'usps', seed: 3, threads: 1, map: '8x8' }],
      ['conv_desom-usps-s3', 'desom', { dataset: 'usps', seed: 3, threads: 1, map: '8x8', encoder: 'conv' }],
    ],
  );
  assert.deepEqual(DEFAULT_SWEEP_METHODS, ['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom']);
});

// ---- runSweep over folders already on disk (the tasks' commands: test/helpers/sweep-stub.ts) ----

const stubDir = mkdtempSync(join(tmpdir(), 'latentlab-sweep-stub-'));
after(() => rmSync(stubDir, { recursive: true, force: true }));
const stub = writeSweepStub(stubDir);
process.env.STUB_STEP_MS = '20';

/** A run directory as a run kind leaves it: config.json, summary.json, and optionally a checkpoint or a lock. */
function runDir(
  root: string,
  id: string,
  kind: string,
  summary: Record<string, unknown>,
  o: { checkpoint?: number; lockPid?: number; noSummary?: boolean } = {},
): void {
  const dir = join(root, id);
  mkdirSync(join(dir, 'checkpoint'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ kind, config: { dataset: 'usps', seed: Number(id.slice(-1)) } }));
  if (o.noSummary !== true)
    writeFileSync(
      join(dir, 'summary.json'),
      JSON.stringify({ metrics: {}, timings: {}, kind, run_id: id, started_at: '', updated_at: '', pid: 0, ...summary }),
    );
  if (o.checkpoint !== undefined) writeFileSync(join(dir, 'checkpoint', 'latest.json'), JSON.stringify({ step: o.checkpoint }));
  if (o.lockPid !== undefined) writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: o.lockPid, host: hostname(), start: null, since: '' }));
}

test('runSweep: a run a live process is training is skipped, never moved aside as stale (running, or before its first summary)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlab-sweep-live-'));
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    const pid = holder.pid as number;
    runDir(root, 'kmeans-usps-s0', 'kmeans', { status: 'running', pid }, { lockPid: pid });
    runDir(root, 'kmeans-usps-s1', 'kmeans', {}, { lockPid: pid, noSummary: true });
    const events: SweepEvent[] = [];
    await runSweep({ ...BASE, root, methods: ['kmeans'], entry: stub, onEvent: (e) => events.push(e) });
    assert.deepEqual(
      events.map((e) => [e.type, e.task.id, e.type === 'skip' ? e.reason.replace(/\(process \d+ on .*\)/, '(…)') : '']),
      [
        ['skip', 'kmeans-usps-s0', 'being trained by another live process (…)'],
        ['skip', 'kmeans-usps-s1', 'being trained by another live process (…)'],
      ],
    );
    assert.deepEqual(readdirSync(root).sort(), ['claims', 'kmeans-usps-s0', 'kmeans-usps-s1', 'logs', 'sweep.json']);
    assert.equal(existsSync(join(root, 'stub-calls.log')), false, 'no command started');
  } finally {
    holder.kill();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a bench desom folder of the earlier layout (runs named by id, tasks/*.json, sweep.json) reports as before and resumes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlab-sweep-legacy-'));
  try {
    // What the earlier `bench desom --datasets usps --methods kmeans,desom --seeds 2` left: one run of each state.
    writeFileSync(join(root, 'sweep.json'), JSON.stringify({ quick: false, limit: null, map: '8x8', matmul_precision: 'float32' }));
    mkdirSync(join(root, 'tasks'));
    mkdirSync(join(root, 'logs'));
    for (const id of ['kmeans-usps-s0', 'kmeans-usps-s1', 'desom-usps-s0', 'desom-usps-s1']) writeFileSync(join(root, 'tasks', `${id}.json`), '{}');
    const metrics = (p: number) => ({ purity: p, nmi_geometric: 0.5, nmi: 0.51, ari: 0.3, qe: 4, te: 0.02 });
    runDir(root, 'kmeans-usps-s0', 'kmeans', { status: 'failed', error: 'out of memory' });
    runDir(root, 'kmeans-usps-s1', 'kmeans', { status: 'completed', metrics: metrics(0.8), timings: { train_s: 12 } });
    runDir(root, 'desom-usps-s0', 'desom', { status: 'completed', metrics: metrics(0.9), timings: { train_s: 100 } });
    runDir(root, 'desom-usps-s1', 'desom', { status: 'running', pid: 2 ** 22 + 1 }, { checkpoint: 2 }); // its process is gone: interrupted

    // --report-only: the table of the earlier code, byte for byte (buildDesomTable over the records it collected).
    const options = { root, datasets: ['usps'], methods: ['kmeans', 'desom'] as SweepMethod[], seeds: [0, 1], threads: 1, quick: false, map: '8x8' };
    const code = await benchDesom({ sweep: options, reportOnly: true }, new Output({ quiet: true }));
    assert.equal(code, 1, 'not every run completed');
    const rec = (method: string, seed: number, status: SweepRecord['status'], m: Record<string, number> = {}, train_s: number | null = null): SweepRecord => ({
      method,
      dataset: 'usps',
      seed,
      status,
      run_id: `${method}-usps-s${seed}`,
      metrics: m,
      train_s,
    });
    const records = [
      rec('kmeans', 0, 'failed'),
      rec('kmeans', 1, 'completed', metrics(0.8), 12),
      rec('desom', 0, 'completed', metrics(0.9), 100),
      rec('desom', 1, 'interrupted'),
    ];
    assert.equal(readFileSync(join(root, 'results.md'), 'utf8'), desomTableMarkdown(buildDesomTable(records)));

    // Run it: completed runs skipped, the interrupted DESOM resumed from its checkpoint, the failed k-means moved aside and run again.
    const events: string[] = [];
    await runSweep({ ...options, entry: stub, onEvent: (e) => events.push(`${e.type} ${e.task.id}${e.type === 'start' && e.resume ? ' (resume)' : ''}`) });
    assert.deepEqual(
      events.filter((e) => !e.startsWith('end')).sort(),
      ['skip desom-usps-s0', 'skip kmeans-usps-s1', 'start desom-usps-s1 (resume)', 'start kmeans-usps-s0'].sort(),
    );
    assert.deepEqual(readFileSync(join(root, 'stub-calls.log'), 'utf8').trim().split('\n').sort(), ['fresh kmeans-usps-s0', 'resume desom-usps-s1']);
    assert.ok(existsSync(join(root, 'kmeans-usps-s0.failed-1')));
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'tasks', 'kmeans-usps-s0.json'), 'utf8')), planSweep(options)[0].config);
    assert.equal(readSweepManifest(root)?.quick, false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
