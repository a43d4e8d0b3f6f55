/**
 * `latentlab train cnn` end to end: a small convolutional classifier's run directory (its model
 * saved with conv2d / maxpool2d specs and reloaded by `eval` to the same accuracy, the first
 * layer's filters and feature maps, the network table in report.html), the --arch errors, a run
 * killed with SIGKILL and resumed ending with exactly the weights of the run left alone, and a
 * signatures analysis of the CNN (its conv blocks as layers).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readSafetensors } from '../src/io/safetensors.js';
import { decodePng } from '../src/viz/png.js';
import { killAtCheckpoint } from './helpers/kill.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-cnn-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ['--arch', 'c8k5,mp2,c16k3p1,mp2,fc32', '--limit', '3000', '--lr', '0.003'];

test('train cnn: a complete run whose model reloads to the same accuracy, with its filters, feature maps and network table', () => {
  const r = cli(['train', 'cnn', ...SMALL, '--epochs', '2', '--run-id', 'small', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };
  for (const f of [
    'model/model.json',
    'model/weights.safetensors',
    'arrays/test_predictions.npy',
    'figures/filters.png',
    'figures/feature_maps.png',
    'report.html',
  ])
    assert.ok(existsSync(join(res.path, f)), `missing ${f}`);
  // A small CNN on 1,500 images for 2 epochs: far better than chance (10 %).
  assert.ok(res.metrics.test_accuracy > 0.8, `test accuracy ${res.metrics.test_accuracy}`);
  const arch = JSON.parse(readFileSync(join(res.path, 'model', 'model.json'), 'utf8')) as { architecture: { layers: { type: string }[] } };
  assert.deepEqual(
    arch.architecture.layers.map((l) => l.type),
    ['unflatten', 'conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'maxpool2d', 'flatten', 'linear', 'relu', 'linear'],
  );
  const w = readSafetensors(join(res.path, 'model', 'weights.safetensors')).tensors;
  assert.deepEqual(w['1.weight'].shape, [8, 1, 5, 5]);
  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics.test_accuracy, res.metrics.test_accuracy);
  // 8 kernels of 5×5 in one row of the grid; the feature maps: the image (×3), then 8 maps of 24×24 (×2) in a row.
  const filters = decodePng(readFileSync(join(res.path, 'figures', 'filters.png')));
  assert.ok(filters.width > filters.height * 4, `filters.png is ${filters.width}×${filters.height}`);
  const maps = decodePng(readFileSync(join(res.path, 'figures', 'feature_maps.png')));
  assert.ok(maps.width >= 8 * 24 * 2 && maps.height >= 28 * 3 + 24 * 2, `feature_maps.png is ${maps.width}×${maps.height}`);
  const html = readFileSync(join(res.path, 'report.html'), 'utf8');
  assert.match(html, /First-layer filters/);
  // The network table: the course's parameter count (5·5·1 + 1)·8 = 208 for the first convolution.
  assert.match(html, /Conv2d\(1→8, 5×5\)<\/td><td[^>]*>\(N, 8, 24, 24\)<\/td><td[^>]*>208</);
});

test('train cnn: a wrong --arch is a usage error naming the token', () => {
  const r = cli(['train', 'cnn', '--arch', 'c8k5,pool2', '--limit', '100']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /arch.*layer 2 "pool2": not a layer; expected one of c<kernels>k<size>/);
  const shrink = cli(['train', 'cnn', '--arch', 'c8k9,c8k9,c8k9,c8k9', '--limit', '100', '--quiet']);
  assert.notEqual(shrink.code, 0);
  assert.match(shrink.stderr, /layer 4 \(c8k9\): a 4×4 input is smaller than the 9×9 kernel/);
});

test('train cnn: a run killed with SIGKILL and resumed ends with exactly the weights of the run left alone', async () => {
  const args = ['train', 'cnn', ...SMALL, '--limit', '800', '--epochs', '2', '--batch-size', '20', '--checkpoint-every', '10', '--quiet'];
  const alone = cli([...args, '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const alonePath = (JSON.parse(alone.stdout) as { path: string }).path;
  const child = spawn(process.execPath, [BIN, ...args, '--out', 'killed'], { cwd: work, stdio: 'ignore', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  const runsDir = join(work, 'killed');
  const killedAt = await killAtCheckpoint(child, runsDir, 20);
  const [id] = readdirSync(runsDir);
  const resumed = cli(['train', 'cnn', '--resume', id, '--out', 'killed', '--json', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const a = readSafetensors(join(alonePath, 'model', 'weights.safetensors')).tensors;
  const b = readSafetensors(join((JSON.parse(resumed.stdout) as { path: string }).path, 'model', 'weights.safetensors')).tensors;
  assert.deepEqual(Object.keys(b), Object.keys(a));
  for (const k of Object.keys(a)) assert.deepEqual(b[k].data, a[k].data, `${k} differs after resuming from step ${killedAt}`);
});

test('signatures of a CNN: its conv blocks are layers (their pooled maps), paths end in its predictions', () => {
  const r = cli(['signatures', 'small', '--limit', '300', '--k-range', '3..4', '--restarts', '1', '--projection', 'none', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { path: string };
  const sig = JSON.parse(readFileSync(join(res.path, 'config.json'), 'utf8')) as { layers: string[]; prediction: string };
  assert.deepEqual(sig.layers, ['h1', 'h2', 'h3']);
  assert.equal(sig.prediction, 'network');
});
