// planSweep: the runs of the paper's benchmark as data (a kind and its config, checked against the
// kind's schema before anything runs), and the command each one becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DEFAULT_SWEEP_METHODS,
  SWEEP_MANIFEST,
  checkSweepTask,
  planSweep,
  readSweepManifest,
  taskCommand,
  writeSweepManifest,
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
