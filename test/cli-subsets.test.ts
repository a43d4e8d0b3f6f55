/**
 * `--classes … --per-class …` on `train ae`, `train som` and `train desom` end to end (the class
 * subsets of the Cluster Paths student project, as `train mlp` has them): the rows kept and drawn
 * (arrays/train_indices.npy, the same draw from the same seed), the labels renumbered 0..K−1 in
 * the arrays and the figures, config.json's record of the classes, `eval` scoring the same rows,
 * and the refusals of the two flags, worded as each command words its refusals.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { loadDataset, type LoadedDataset } from '../src/data/fetch.js';
import { classSubset, type LabelledRows } from '../src/data/transforms.js';
import { readNpy } from '../src/io/npy.js';
import { Rng } from '../src/random.js';
import { Tensor } from '../src/tensor/tensor.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-subsets-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The command in a child process, asynchronously: the trainings of the tests below run side by side. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, '--out', work, ...args], { cwd: work, env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function trainJson(args: string[]): Promise<{ run_id: string; path: string; metrics: Record<string, number> }> {
  const r = await cli([...args, '--backend', 'js', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };
}

async function evalJson(id: string, split: string): Promise<{ rows: number; metrics: Record<string, number> }> {
  const r = await cli(['eval', id, '--split', split, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { rows: number; metrics: Record<string, number> };
}

const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function int32(path: string): Int32Array {
  const a = readNpy(path);
  assert.ok(a.data instanceof Int32Array, `${path}: dtype ${a.dtype}`);
  return a.data;
}

/** main() in this process (a refusal needs no training), with what it writes on stderr. */
async function refused(args: string[]): Promise<string> {
  let stderr = '';
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved only to be put back as process.stderr.write below, never called detached
  const write = process.stderr.write;
  process.stderr.write = (s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  };
  try {
    assert.equal(await main(['--out', work, ...args]), 2, stderr);
  } finally {
    process.stderr.write = write;
  }
  return stderr;
}

/** The draw a run makes: `forks` forks of the seed's Rng before the subset's own (each kind forks its others first). */
function expectedDraw(data: LabelledRows, classes: number[], perClass: number, forks: number): Int32Array {
  const root = new Rng(0);
  for (let i = 0; i < forks; i++) root.fork();
  return classSubset(data, classes, perClass, root.fork()).indices;
}

/** How many rows of `data` are of each of `classes` (in the order given). */
const counts = (labels: Int32Array, classes: number[]): number[] => classes.map((c) => labels.filter((l) => l === c).length);

let mnistTrain: LoadedDataset;
let mnistTest: LoadedDataset;
before(async () => {
  mnistTrain = await loadDataset('mnist', { split: 'train' });
  mnistTest = await loadDataset('mnist', { split: 'test' });
});

interface Saved {
  config: Record<string, unknown>;
  dataset: Record<string, unknown>;
}

// The three trainings are independent: run side by side.
describe('a class subset of each kind', { concurrency: true }, () => {
  test('train ae --classes 7,1 --per-class 40: an autoencoder of the 1s and 7s, labels 1 → 0 and 7 → 1, that eval scores on the same rows', async () => {
    const res = await trainJson(['train', 'ae', '--classes', '7,1', '--per-class', '40', '--epochs', '1', '--batch-size', '40', '--grid', '10']);
    const saved = json<Saved>(join(res.path, 'config.json'));
    assert.deepEqual(saved.config.classes, [7, 1]);
    const [ones, sevens] = counts(mnistTest.labels, [1, 7]);
    assert.deepEqual(saved.dataset, {
      name: 'mnist',
      source: saved.dataset.source,
      train_rows: 80,
      test_rows: ones + sevens,
      features: 784,
      classes: 2,
      kept_classes: [1, 7],
      class_names: ['1', '7'],
    });

    // The 80 training rows: 40 of each, drawn by the fifth fork of the seed (after init, loop, eval and figures).
    const drawn = int32(join(res.path, 'arrays', 'train_indices.npy'));
    assert.deepEqual([...drawn], [...expectedDraw(mnistTrain, [1, 7], 40, 4)]);
    assert.deepEqual(
      counts(
        Int32Array.from(drawn, (i) => mnistTrain.labels[i]),
        [1, 7],
      ),
      [40, 40],
    );

    // Every 1 and 7 of the test split, renumbered: the 1s are class 0, the 7s class 1.
    const labels = int32(join(res.path, 'arrays', 'test_labels.npy'));
    assert.equal(labels.length, ones + sevens);
    assert.deepEqual(counts(labels, [0, 1, 7]), [ones, sevens, 0]);
    assert.deepEqual(readNpy(join(res.path, 'arrays', 'test_codes.npy')).shape, [ones + sevens, 2]);
    const latent = readFileSync(join(res.path, 'figures', 'latent.svg'), 'utf8');
    assert.match(latent, /legend titled 'class' for fill color with 2 values: 1, 7/);

    const testEval = await evalJson(res.run_id, 'test');
    assert.equal(testEval.rows, ones + sevens);
    assert.ok(Math.abs(testEval.metrics.test_mse - res.metrics.test_mse) < 1e-6, `${testEval.metrics.test_mse} vs ${res.metrics.test_mse}`);
  });

  test('train som --classes 1,7 --per-class 50: purity and class map of the two digits; eval scores the same test rows', async () => {
    const res = await trainJson(['train', 'som', '--classes', '1,7', '--per-class', '50', '--epochs', '1', '--map', '3x3', '--test-limit', '500']);
    const saved = json<Saved>(join(res.path, 'config.json'));
    const firstTest = Int32Array.from(mnistTest.labels.subarray(0, 500));
    const [ones, sevens] = counts(firstTest, [1, 7]);
    assert.equal(saved.dataset.rows, 100);
    assert.equal(saved.dataset.test_rows, ones + sevens);
    assert.equal(saved.dataset.classes, 2);
    assert.deepEqual(saved.dataset.kept_classes, [1, 7]);
    assert.deepEqual(saved.dataset.class_names, ['1', '7']);

    // The fourth fork of the seed (after init, loop and eval); labels.npy the drawn rows' labels, renumbered.
    const drawn = int32(join(res.path, 'arrays', 'train_indices.npy'));
    assert.deepEqual([...drawn], [...expectedDraw(mnistTrain, [1, 7], 50, 3)]);
    const labels = int32(join(res.path, 'arrays', 'labels.npy'));
    assert.deepEqual(
      [...labels],
      [...drawn].map((i) => (mnistTrain.labels[i] === 1 ? 0 : 1)),
    );
    assert.deepEqual(counts(int32(join(res.path, 'arrays', 'test_labels.npy')), [0, 1]), [ones, sevens]);
    assert.equal(int32(join(res.path, 'arrays', 'test_bmus.npy')).length, ones + sevens);
    const classMap = readFileSync(join(res.path, 'figures', 'classes.svg'), 'utf8');
    assert.match(classMap, /mnist classes 1, 7 train/);
    assert.doesNotMatch(classMap, />[02-689] \d+%</);
    assert.ok(res.metrics.purity > 0.8, `purity ${res.metrics.purity}`);

    const testEval = await evalJson(res.run_id, 'test');
    assert.equal(testEval.rows, ones + sevens);
    assert.equal(testEval.metrics.test_purity, res.metrics.test_purity);
    assert.equal(testEval.metrics.test_nmi, res.metrics.test_nmi);
  });

  test('train desom --split all --classes 0,1 --per-class 30: the rows drawn from train + test, recorded and scored again', async () => {
    const res = await trainJson([
      'train',
      'desom',
      '--classes',
      '1,0',
      '--per-class',
      '30',
      '--limit',
      '2000',
      '--iterations',
      '20',
      '--batch-size',
      '20',
      '--map',
      '2x2',
      '--hidden',
      '16',
      '--latent',
      '2',
      '--eval-every',
      '10',
      '--eval-sample',
      '40',
    ]);
    const saved = json<Saved>(join(res.path, 'config.json'));
    assert.equal(saved.dataset.split, 'all');
    assert.equal(saved.dataset.rows, 60);
    assert.equal(saved.dataset.test_rows, 0);
    assert.deepEqual(saved.dataset.kept_classes, [0, 1]);
    assert.deepEqual(saved.dataset.class_names, ['0', '1']);

    // The first 2,000 rows of train + test are training rows; 30 zeros and 30 ones among them.
    const drawn = int32(join(res.path, 'arrays', 'train_indices.npy'));
    const first = { x: new Tensor(new Float32Array(2000), [2000, 1]), labels: mnistTrain.labels.subarray(0, 2000), classNames: mnistTrain.classNames };
    assert.deepEqual([...drawn], [...expectedDraw(first, [0, 1], 30, 3)]);
    assert.ok(drawn.every((i) => i < 2000));
    assert.deepEqual(
      [...int32(join(res.path, 'arrays', 'labels.npy'))],
      [...drawn].map((i) => mnistTrain.labels[i]),
    );
    assert.equal(json<Record<string, string>>(join(res.path, 'arrays', 'index.json')).train_indices, 'train_indices.npy');

    const allEval = await evalJson(res.run_id, 'all');
    assert.equal(allEval.rows, 60);
    assert.equal(allEval.metrics.all_purity, res.metrics.purity);
    assert.ok(Math.abs(allEval.metrics.all_mse - res.metrics.mse) < 1e-6);
    // Another split: every row of the two classes.
    const testEval = await evalJson(res.run_id, 'test');
    assert.equal(
      testEval.rows,
      counts(mnistTest.labels, [0, 1]).reduce((a, b) => a + b),
    );
  });
});

describe('the subset flags are refused as each command refuses its values (exit 2)', () => {
  test('--per-class without --classes', async () => {
    for (const command of ['ae', 'som', 'desom']) {
      const stderr = await refused(['train', command, '--per-class', '5']);
      assert.match(
        stderr,
        new RegExp(
          `train ${command}: per_class: applies only with classes \\(--per-class n draws n training images of each class given by --classes\\), got per_class 5 without classes`,
        ),
      );
    }
  });
  test('a class given twice, a single class, a class the dataset lacks', async () => {
    assert.match(await refused(['train', 'som', '--classes', '1,1']), /train som: classes: expected distinct classes, got \[1, 1\]/);
    assert.match(await refused(['train', 'desom', '--classes', '3']), /train desom: classes: expected at least 2 classes to tell apart, got \[3\]/);
    assert.match(await refused(['train', 'ae', '--classes', '1,10']), /train ae: classes: class 10 is not one of mnist's classes 0\.\.9, got \[1, 10\]/);
  });
  test('ae names the value refused in its own words; som in zod’s', async () => {
    assert.match(await refused(['train', 'ae', '--classes', '1,-1']), /train ae: classes\.1: expected an integer ≥ 0, got -1/);
    assert.match(await refused(['train', 'ae', '--classes', '1,7', '--per-class', '0']), /train ae: per_class: expected an integer ≥ 1, got 0/);
    assert.match(
      await refused(['train', 'som', '--classes', '1,7', '--per-class', '0']),
      /train som: per_class: Too small: expected number to be >0 \(got 0\)/,
    );
  });
});
