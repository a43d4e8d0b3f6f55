/**
 * `latentlab train som`, `cluster kmeans` and `eval` on their runs, end to end: complete run
 * directories (model, arrays, figures, report.html), finite metrics, usage errors that name the bad
 * value, a SOM trained through a saved encoder (decoded prototype map), and a run killed with
 * SIGKILL then resumed ending with exactly the prototypes of the same run left alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAtCheckpoint } from './helpers/kill.js';
import { after, describe, test } from 'node:test';
import { Autoencoder } from '../src/ae/autoencoder.js';
import { saveAutoencoder } from '../src/ae/autoencoder-file.js';
import { readNpy } from '../src/io/npy.js';
import { writeJsonAtomic } from '../src/io/atomic.js';
import { Rng } from '../src/random.js';
import { decodePng } from '../src/viz/png.js';
import { svgProblem } from '../src/viz/svg-check.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-som-'));
const runs = join(work, 'runs');
after(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, LATENTLAB_OFFLINE: '1' };

function cli(args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking (usage errors run side by side). */
function cliAsync(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Completed {
  run_id: string;
  path: string;
  status: string;
  metrics: Record<string, number>;
}

function completed(r: Result): Completed {
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Completed;
  assert.equal(res.status, 'completed');
  return res;
}

function assertFiles(path: string, files: string[]): void {
  for (const f of files) assert.ok(existsSync(join(path, f)), `missing ${f}`);
}

function pngSize(file: string): [number, number] {
  const r = decodePng(readFileSync(file));
  return [r.width, r.height];
}

/** Well-formed SVG with a <title> tooltip per cell (cell maps) or the chart's title text (vega). */
function assertSvg(file: string, title: RegExp): void {
  const svg = readFileSync(file, 'utf8');
  assert.equal(svgProblem(svg), null, file);
  assert.match(svg, title, file);
}

/** report.html embeds every figure and loads nothing from elsewhere. */
function assertReport(path: string, figures: number): void {
  const html = readFileSync(join(path, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]*\bsrc=|<link|src="(?!data:)/);
  assert.equal((html.match(/<img [^>]*src="data:image\/(png|svg\+xml);base64,/g) ?? []).length, figures);
}

function assertFinite(metrics: Record<string, number>, names: string[]): void {
  for (const k of names) assert.ok(Number.isFinite(metrics[k]), `${k} = ${metrics[k]}`);
}

const SOM_METRICS = ['qe', 'te', 'purity', 'nmi', 'ari', 'accuracy', 'prototype_kmeans_accuracy'];

describe('usage errors exit with code 2 and name the bad value', () => {
  test('a map size that is not ROWSxCOLS, an unknown algorithm, an option of another algorithm, a missing encoder run', async () => {
    const [map, alg, other, enc] = await Promise.all([
      cliAsync(['train', 'som', '--map', '0x8', '--out', runs]),
      cliAsync(['train', 'som', '--algorithm', 'foo', '--out', runs]),
      cliAsync(['train', 'som', '--algorithm', 'batch', '--iterations', '5', '--out', runs]),
      cliAsync(['cluster', 'kmeans', '--encoder', 'no-such-run', '--limit', '100', '--out', runs]),
    ]);
    assert.equal(map.code, 2);
    assert.match(map.stderr, /train som: map: expected ROWSxCOLS with positive integers and at least 2 cells \(e\.g\. 8x8\), got "0x8"/);
    assert.equal(alg.code, 2);
    assert.match(alg.stderr, /argument 'foo' is invalid\. Allowed choices are classic, batch, gradient/);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /train som: iterations: applies to the classic and gradient algorithms, not to batch/);
    assert.equal(enc.code, 2);
    assert.match(enc.stderr, /--encoder: RunDir\.open: no run "no-such-run"/);
    assert.ok(!existsSync(runs) || readdirSync(runs).length === 0, 'a refused run leaves no run directory behind');
  });
});

test('train som (classic) writes a complete run directory, and eval recomputes its test metrics', () => {
  const res = completed(cli(['train', 'som', '--limit', '500', '--test-limit', '2000', '--epochs', '2', '--out', runs, '--json', '--quiet']));
  const p = res.path;
  assertFiles(p, [
    'config.json',
    'events.jsonl',
    'summary.json',
    'model/som.json',
    'model/prototypes.npy',
    'arrays/prototypes.npy',
    'arrays/bmus.npy',
    'arrays/labels.npy',
    'arrays/test_bmus.npy',
    'arrays/test_labels.npy',
  ]);
  const protos = readNpy(join(p, 'arrays', 'prototypes.npy'));
  assert.deepEqual(protos.shape, [64, 784]);
  assert.deepEqual(readNpy(join(p, 'arrays', 'bmus.npy')).shape, [500]);
  assert.deepEqual(readNpy(join(p, 'arrays', 'test_bmus.npy')).shape, [2000]);
  // 8 cells of 28 px × 2 with 2 px between them.
  assert.deepEqual(pngSize(join(p, 'figures', 'prototypes.png')), [8 * 56 + 7 * 2, 8 * 56 + 7 * 2]);
  assertSvg(join(p, 'figures', 'umatrix.svg'), /<title>\(0, 0\) [\d.]+<\/title>/);
  assertSvg(join(p, 'figures', 'hits.svg'), /Hits, mnist train/);
  assertSvg(join(p, 'figures', 'classes.svg'), /<title>\(\d, \d\) \d · [\d.]+<\/title>/);
  assertSvg(join(p, 'figures', 'qe.svg'), /Quantization error during training/);
  assertSvg(join(p, 'figures', 'te.svg'), /Topographic error during training/);
  assertReport(p, 6);
  const summary = JSON.parse(readFileSync(join(p, 'summary.json'), 'utf8')) as { status: string; metrics: Record<string, number> };
  assert.equal(summary.status, 'completed');
  assertFinite(summary.metrics, [...SOM_METRICS, ...SOM_METRICS.map((m) => `test_${m}`)]);
  assert.ok(summary.metrics.purity > 0.6 && summary.metrics.purity <= 1, `purity ${summary.metrics.purity}`);
  const config = JSON.parse(readFileSync(join(p, 'config.json'), 'utf8')) as { kind: string; config: Record<string, unknown> };
  assert.equal(config.kind, 'som');
  assert.equal(config.config.t_max, 4, 'classic defaults are filled into config.json');
  const evals = readFileSync(join(p, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; iteration: number });
  assert.ok(evals.filter((e) => e.type === 'eval').length >= 10);

  const ev = cli(['eval', res.run_id, '--out', runs, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const metrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  for (const m of SOM_METRICS) assert.equal(metrics[`test_${m}`], summary.metrics[`test_${m}`], m);
});

test('cluster kmeans writes centroids, assignments, figures and metrics, and eval recomputes the test metrics', () => {
  const res = completed(cli(['cluster', 'kmeans', '--limit', '500', '--test-limit', '1000', '--restarts', '2', '--out', runs, '--json', '--quiet']));
  const p = res.path;
  assertFiles(p, [
    'model/centroids.npy',
    'model/kmeans.json',
    'arrays/centroids.npy',
    'arrays/labels.npy',
    'arrays/assignments.npy',
    'arrays/test_assignments.npy',
  ]);
  assert.deepEqual(readNpy(join(p, 'arrays', 'centroids.npy')).shape, [10, 784], 'k defaults to the number of classes');
  assert.deepEqual(pngSize(join(p, 'figures', 'centroids.png')), [10 * 56 + 9 * 2, 56]);
  assertSvg(join(p, 'figures', 'sizes.svg'), /Cluster sizes, mnist train/);
  assertSvg(join(p, 'figures', 'contingency.svg'), /Clusters × classes, mnist train/);
  assertReport(p, 3);
  assertFinite(res.metrics, ['inertia', 'purity', 'nmi', 'ari', 'accuracy', 'silhouette', 'test_inertia', 'test_purity', 'test_silhouette']);
  assert.ok(res.metrics.silhouette > -1 && res.metrics.silhouette < 1);
  const ev = cli(['eval', res.run_id, '--out', runs, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const metrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  for (const m of ['inertia', 'purity', 'nmi', 'ari', 'accuracy', 'silhouette']) assert.equal(metrics[`test_${m}`], res.metrics[`test_${m}`], m);
});

test('a SOM trained through a saved encoder lives in the latent space and draws its decoded prototypes', () => {
  // A tiny (untrained) autoencoder 784-16-3, saved as an ae run would save it.
  const aeRun = join(runs, 'ae-tiny');
  mkdirSync(aeRun, { recursive: true });
  saveAutoencoder(join(aeRun, 'model'), new Autoencoder({ input: 784, hidden: [16], latent: 3, rng: new Rng(4) }));
  writeJsonAtomic(join(aeRun, 'config.json'), { kind: 'ae', config: { dataset: 'mnist' } });
  writeJsonAtomic(join(aeRun, 'summary.json'), {
    status: 'completed',
    metrics: {},
    timings: {},
    kind: 'ae',
    run_id: 'ae-tiny',
    started_at: '',
    updated_at: '',
    pid: 0,
  });

  const res = completed(
    cli([
      'train',
      'som',
      '--encoder',
      'ae-tiny',
      '--algorithm',
      'batch',
      '--epochs',
      '4',
      '--map',
      '4x5',
      '--topology',
      'hexagonal',
      '--init',
      'pca',
      '--limit',
      '500',
      '--test-limit',
      '1000',
      '--out',
      runs,
      '--json',
      '--quiet',
    ]),
  );
  const p = res.path;
  assert.deepEqual(readNpy(join(p, 'arrays', 'prototypes.npy')).shape, [20, 3]);
  assert.deepEqual(readNpy(join(p, 'arrays', 'decoded_prototypes.npy')).shape, [20, 784]);
  const note = JSON.parse(readFileSync(join(p, 'model', 'encoder.json'), 'utf8')) as { run_id: string; latent: number };
  assert.deepEqual([note.run_id, note.latent], ['ae-tiny', 3]);
  // 5 columns of 56 px, 2 px apart, odd rows shifted right by half a cell (29 px).
  assert.deepEqual(pngSize(join(p, 'figures', 'prototypes.png')), [5 * 56 + 4 * 2 + 29, 4 * 56 + 3 * 2]);
  assertSvg(join(p, 'figures', 'classes.svg'), /<polygon class="cell"/);
  assertFinite(
    res.metrics,
    SOM_METRICS.filter((m) => m !== 'prototype_kmeans_accuracy'),
  );
  assertFinite(res.metrics, ['prototype_kmeans_accuracy', 'test_qe']);
  const ev = cli(['eval', res.run_id, '--out', runs, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics.test_qe, res.metrics.test_qe);
});

test('a gradient SOM killed with SIGKILL and resumed ends with exactly the prototypes of the run left alone', async () => {
  // js backend: slow enough to be killed mid-run; every backend is deterministic.
  const args = [
    'train',
    'som',
    '--algorithm',
    'gradient',
    '--backend',
    'js',
    '--map',
    '4x4',
    '--limit',
    '500',
    '--test-limit',
    '200',
    '--batch-size',
    '25',
    '--iterations',
    '200',
    '--checkpoint-every',
    '10',
    '--eval-every',
    '50',
    '--quiet',
  ];
  const alone = completed(cli([...args, '--out', join(work, 'alone'), '--json']));

  const killedRuns = join(work, 'killed');
  const child = spawn(process.execPath, [BIN, ...args, '--out', killedRuns], { cwd: work, stdio: 'ignore', env: ENV });
  const killedAt = await killAtCheckpoint(child, killedRuns, 30);
  const [id] = readdirSync(killedRuns);
  const resumed = completed(cli(['train', 'som', '--resume', id, '--out', killedRuns, '--json', '--quiet']));
  const a = readNpy(join(alone.path, 'model', 'prototypes.npy'));
  const b = readNpy(join(resumed.path, 'model', 'prototypes.npy'));
  assert.deepEqual(b.shape, a.shape);
  assert.deepEqual(b.data, a.data, `prototypes differ after resuming from iteration ${killedAt}`);
  assert.equal(resumed.metrics.qe, alone.metrics.qe);
  const s = JSON.parse(readFileSync(join(resumed.path, 'summary.json'), 'utf8')) as { resumed_from_step: number[] };
  assert.ok(s.resumed_from_step[0] >= 30, `resumed from ${s.resumed_from_step[0]}`);
});
