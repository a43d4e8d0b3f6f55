/**
 * `train mlp --classes … --per-class …` end to end (the class subsets of the Cluster Paths
 * student project): a run on two digits, its labels renumbered 0..K−1, its records, `eval`
 * reproducing its test accuracy, and the refusals of the two flags; `--preset cluster-paths`, the
 * project's 32-64 model.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { resolveConfig } from '../src/runs/config.js';
import { mlpConfigSchema } from '../src/runs/kinds/index.js';
import { killAtCheckpoint } from './helpers/kill.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-subset-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

test('train mlp --classes 1,7 --per-class 50 trains a 2-class classifier that eval scores the same', () => {
  const r = cli(['train', 'mlp', '--classes', '7,1', '--per-class', '50', '--epochs', '1', '--backend', 'js', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };

  const labels = readNpy(join(res.path, 'arrays', 'test_labels.npy'));
  assert.ok(labels.data instanceof Int32Array);
  assert.deepEqual([...new Set(labels.data)].sort(), [0, 1]);
  const predictions = readNpy(join(res.path, 'arrays', 'test_predictions.npy'));
  assert.ok([...predictions.data].every((p) => p === 0 || p === 1));

  const summary = json<{ status: string; metrics: Record<string, number> }>(join(res.path, 'summary.json'));
  assert.equal(summary.status, 'completed');
  assert.ok(summary.metrics.test_accuracy > 0.9, `test accuracy ${summary.metrics.test_accuracy}`);

  const config = json<{ config: Record<string, unknown>; dataset: Record<string, unknown>; model: string }>(join(res.path, 'config.json'));
  assert.deepEqual(config.config.classes, [7, 1]);
  assert.equal(config.config.per_class, 50);
  // MNIST's test split holds 1,135 ones and 1,028 sevens; the training rows are 50 of each.
  assert.deepEqual(config.dataset, {
    name: 'mnist',
    source: config.dataset.source,
    train_rows: 100,
    test_rows: 2163,
    features: 784,
    classes: 2,
    kept_classes: [1, 7],
    class_names: ['1', '7'],
  });
  assert.equal(labels.data.length, 2163);
  assert.match(config.model, /Linear\(100 → 2\)/);

  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const evaluated = JSON.parse(ev.stdout) as { rows: number; metrics: Record<string, number> };
  assert.equal(evaluated.rows, 2163);
  assert.equal(evaluated.metrics.test_accuracy, summary.metrics.test_accuracy);
  // eval runs on the default backend, not necessarily the run's js: the loss's last digits may differ.
  assert.ok(Math.abs(evaluated.metrics.test_loss - summary.metrics.test_loss) < 1e-6);
});

test('a subset run killed and resumed ends with the weights of the same run left alone (the same rows drawn again)', async () => {
  const args = ['train', 'mlp', '--classes', '1,7', '--per-class', '1000', '--backend', 'js', '--hidden', '32', '--batch-size', '25', '--epochs', '2'];
  const alone = cli([...args, '--checkpoint-every', '10', '--quiet', '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const alonePath = (JSON.parse(alone.stdout) as { path: string }).path;

  const child = spawn(process.execPath, [BIN, ...args, '--checkpoint-every', '10', '--quiet', '--out', 'killed'], { cwd: work, stdio: 'ignore' });
  const runsDir = join(work, 'killed');
  const killedAt = await killAtCheckpoint(child, runsDir, 30);
  const [id] = readdirSync(runsDir);
  const resumed = cli(['train', 'mlp', '--resume', id, '--out', 'killed', '--json', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const res = JSON.parse(resumed.stdout) as { path: string; status: string };
  assert.equal(res.status, 'completed');
  const a = readSafetensors(join(alonePath, 'model', 'weights.safetensors')).tensors;
  const b = readSafetensors(join(res.path, 'model', 'weights.safetensors')).tensors;
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const [k, v] of Object.entries(a)) assert.deepEqual(b[k].data, v.data, `${k} differs after resuming from step ${killedAt}`);
  assert.deepEqual(b['2.weight'].shape, [2, 32]);
});

describe('the subset flags are refused with exit code 2, naming the problem', () => {
  test('--per-class without --classes names both', () => {
    const r = cli(['train', 'mlp', '--per-class', '5']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /train mlp: per_class: applies only with classes \(--per-class n draws n training images of each class given by --classes\), got per_class 5/,
    );
  });
  test('a class given twice', () => {
    const r = cli(['train', 'mlp', '--classes', '1,1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train mlp: classes: expected distinct classes, got \[1, 1\]/);
  });
  test('a class the dataset does not have is named with the classes it has', () => {
    const r = cli(['train', 'mlp', '--classes', '1,42']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train mlp: classes: class 42 is not one of mnist's classes 0\.\.9, got \[1, 42\]/);
    const one = cli(['train', 'mlp', '--classes', '42']);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /class 42 is not one of mnist's classes 0\.\.9/);
  });
  test('a single class, a negative class and --per-class 0', () => {
    const single = cli(['train', 'mlp', '--classes', '7']);
    assert.equal(single.code, 2);
    assert.match(single.stderr, /train mlp: classes: expected at least 2 classes to tell apart, got \[7\]/);
    const negative = cli(['train', 'mlp', '--classes', '1,-1']);
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /train mlp: classes\.1: Too small: expected number to be >=0 \(got -1\)/);
    const zero = cli(['train', 'mlp', '--classes', '1,7', '--per-class', '0']);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /train mlp: per_class: Too small: expected number to be >0 \(got 0\)/);
  });
});

describe('--preset cluster-paths: the Cluster Paths project’s 784-32-64-K classifier', () => {
  test('fills in hidden 32,64, 100 epochs and 100 images per class; what the flags or --config set wins', () => {
    const resolve = (file: Record<string, unknown> | null, flags: Record<string, unknown>) => resolveConfig(mlpConfigSchema, file, flags, 'train mlp');
    const preset = resolve(null, { preset: 'cluster-paths', classes: [1, 7] });
    assert.deepEqual([preset.preset, preset.hidden, preset.epochs, preset.per_class, preset.limit], ['cluster-paths', [32, 64], 100, 100, undefined]);
    // Without classes the project's all-ten network: the first 1,000 training images (per_class would be refused).
    const all = resolve(null, { preset: 'cluster-paths' });
    assert.deepEqual([all.hidden, all.epochs, all.per_class, all.limit], [[32, 64], 100, undefined, 1000]);
    const overridden = resolve({ epochs: 7, preset: 'cluster-paths' }, { hidden: [16], classes: [1, 7], per_class: 20 });
    assert.deepEqual([overridden.hidden, overridden.epochs, overridden.per_class], [[16], 7, 20]);
    // No preset, the defaults as before.
    const none = resolve(null, { classes: [1, 7] });
    assert.deepEqual([none.preset, none.hidden, none.epochs, none.per_class], [undefined, [100], 5, undefined]);
    assert.throws(() => resolve({ preset: 'cluster_paths' }, {}), /train mlp: preset: Invalid input: expected "cluster-paths" \(got "cluster_paths"\)/);
  });

  test('a run records the preset and the values it resolved to; eval of its training split scores the rows drawn', () => {
    const r = cli(['train', 'mlp', '--preset', 'cluster-paths', '--classes', '1,7', '--epochs', '2', '--backend', 'js', '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };
    const config = json<{ config: Record<string, unknown>; dataset: Record<string, unknown>; model: string }>(join(res.path, 'config.json'));
    assert.equal(config.config.preset, 'cluster-paths');
    assert.deepEqual(config.config.hidden, [32, 64]);
    assert.equal(config.config.epochs, 2);
    assert.equal(config.config.per_class, 100);
    assert.equal(config.dataset.train_rows, 200);
    assert.match(config.model, /Linear\(784 → 32\)[\s\S]*Linear\(32 → 64\)[\s\S]*Linear\(64 → 2\)/);
    assert.equal(readNpy(join(res.path, 'arrays', 'train_indices.npy')).shape[0], 200);

    const ev = cli(['eval', res.run_id, '--split', 'train', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    const evaluated = JSON.parse(ev.stdout) as { rows: number; metrics: Record<string, number> };
    assert.equal(evaluated.rows, 200);
    assert.equal(evaluated.metrics.accuracy, res.metrics.accuracy);
    assert.ok(Math.abs(evaluated.metrics.loss - res.metrics.loss) < 1e-6);
  });
});
