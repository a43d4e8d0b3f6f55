/**
 * `latentlab train ae` end to end: the run directory (arrays, figures, report, summary), figures
 * that are real files with their titles and axis labels, a report that needs no network, usage
 * errors that name the value, `eval` on an ae run, and runs stopped by SIGKILL or SIGTERM then
 * resumed ending with exactly the weights of the run left alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadAutoencoder } from '../src/ae/autoencoder-file.js';
import { reconstructionMse } from '../src/ae/train.js';
import { loadDataset } from '../src/data/fetch.js';
import { readNpy } from '../src/io/npy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { knownTrainSeconds } from '../src/runs/run-dir.js';
import { decodePng } from '../src/viz/png.js';
import { svgProblem } from '../src/viz/svg-check.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-ae-'));
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
  const r = cli(['train', 'ae', ...args, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Result;
}

function weights(runPath: string): Map<string, Float32Array> {
  const f = readSafetensors(join(runPath, 'model', 'weights.safetensors'));
  return new Map(Object.entries(f.tensors).map(([k, t]) => [k, t.data as Float32Array]));
}

/** pairedGrid's size for n images of 28×28 in `cols` columns (scale 2, pad 1, pair gap 6, margin 2). */
function pairedSize(n: number, cols: number): { width: number; height: number } {
  const rows = 2 * Math.ceil(n / cols);
  return { width: 4 + cols * 56 + (cols - 1), height: 4 + rows * 56 + (rows - 1) + Math.floor((rows - 1) / 2) * 6 };
}

test('train ae writes a complete run: arrays, real PNG and SVG figures, a self-contained report, a summary; eval scores it', async () => {
  const res = trainJson(['--limit', '500', '--epochs', '2', '--test-limit', '400', '--noise-sweep', '0,0.3']);
  const p = (...parts: string[]) => join(res.path, ...parts);
  for (const f of [
    'config.json',
    'events.jsonl',
    'summary.json',
    'report.html',
    'model/model.json',
    'model/weights.safetensors',
    'arrays/test_codes.npy',
    'arrays/test_labels.npy',
    'arrays/test_sample.npy',
    'arrays/test_reconstructions_sample.npy',
    'arrays/noise_sweep.npy',
    'figures/reconstructions.png',
    'figures/loss.svg',
    'figures/latent.svg',
    'figures/noise.svg',
    'figures/noise_reconstructions.png',
  ]) {
    assert.ok(existsSync(p(f)), `missing ${f}`);
  }

  const codes = readNpy(p('arrays', 'test_codes.npy'));
  assert.deepEqual(codes.shape, [400, 2]);
  assert.deepEqual(readNpy(p('arrays', 'test_labels.npy')).shape, [400]);
  assert.deepEqual(readNpy(p('arrays', 'test_reconstructions_sample.npy')).shape, [20, 784]);
  assert.deepEqual(readNpy(p('arrays', 'noise_inputs_sample.npy')).shape, [2, 20, 784]);

  const grid = decodePng(readFileSync(p('figures', 'reconstructions.png')));
  assert.deepEqual({ width: grid.width, height: grid.height }, pairedSize(20, 10));
  const noisy = decodePng(readFileSync(p('figures', 'noise_reconstructions.png')));
  assert.deepEqual({ width: noisy.width, height: noisy.height }, { width: pairedSize(20, 10).width, height: 2 * pairedSize(20, 10).height + 10 });

  const svgs: Record<string, string[]> = {
    'loss.svg': ['Reconstruction loss per epoch (MSE)', '>epoch<', 'MSE per pixel', '>train<', '>test<'],
    'latent.svg': ['Latent space: the 400 test codes (p = 2), by class', '>z₁<', '>z₂<', '>class<'],
    'noise.svg': ['Test MSE against the noise scale c', 'noise scale c', 'test MSE (vs the clean images)'],
  };
  for (const [name, texts] of Object.entries(svgs)) {
    const svg = readFileSync(p('figures', name), 'utf8');
    assert.equal(svgProblem(svg), null, name);
    for (const t of texts) assert.ok(svg.includes(t), `${name} lacks ${t}`);
  }

  const html = readFileSync(p('report.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'report.html loads nothing from the network');
  assert.doesNotMatch(html, /url\(\s*["']?https?:/i);
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i, 'its scripts are inline');
  assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 2, 'both PNG figures embedded');
  assert.equal(html.match(/src="data:image\/svg\+xml;base64,/g)?.length, 3, 'the three charts embedded');
  assert.ok(html.includes('784-128-2-128-784 autoencoder on mnist'));

  const summary = JSON.parse(readFileSync(p('summary.json'), 'utf8')) as Result;
  assert.equal(summary.status, 'completed');
  for (const k of ['mse', 'test_mse', 'test_mse_noise_0', 'test_mse_noise_0.3'])
    assert.ok(Number.isFinite(summary.metrics[k]) && summary.metrics[k] > 0, `metric ${k} = ${summary.metrics[k]}`);
  assert.equal(summary.metrics.test_mse_noise_0, summary.metrics.test_mse, 'noise of scale 0 changes nothing');
  for (const k of ['train_s', 'eval_s', 'figures_s', 'total_s']) assert.ok(summary.timings[k] > 0, `timing ${k}`);
  const epochs = readFileSync(p('events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; loss?: number; test_loss?: number })
    .filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 2);
  for (const e of epochs) assert.ok(Number.isFinite(e.loss) && Number.isFinite(e.test_loss));

  // eval reloads model/ and scores the whole test split; the same model in-process agrees.
  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const evMetrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  const test10k = await loadDataset('mnist', { split: 'test' });
  assert.ok(Math.abs(evMetrics.test_mse - reconstructionMse(loadAutoencoder(p('model')), test10k.x)) < 1e-12);
});

test('a denoising run with p > 2 draws a seeded UMAP of its codes and sweeps the default noise scales', () => {
  const res = trainJson([
    '--limit',
    '500',
    '--epochs',
    '1',
    '--test-limit',
    '300',
    '--latent',
    '4',
    '--noise',
    'masking',
    '--noise-scale',
    '0.25',
    '--umap-sample',
    '120',
    '--umap-epochs',
    '30',
  ]);
  const latent = readFileSync(join(res.path, 'figures', 'latent.svg'), 'utf8');
  assert.ok(latent.includes('2-D UMAP of 120 of the 300 test codes'));
  assert.ok(latent.includes('>UMAP 1<') && latent.includes('>UMAP 2<'));
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'latent_umap.npy')).shape, [120, 2]);
  assert.ok(readFileSync(join(res.path, 'figures', 'loss.svg'), 'utf8').includes('train (noisy inputs)'));
  assert.ok(readFileSync(join(res.path, 'figures', 'noise.svg'), 'utf8').includes('each pixel zeroed with probability c'));
  const sweep = Object.keys(res.metrics).filter((k) => k.startsWith('test_mse_noise_'));
  assert.deepEqual(sweep, ['test_mse_noise_0', 'test_mse_noise_0.1', 'test_mse_noise_0.2', 'test_mse_noise_0.25', 'test_mse_noise_0.3', 'test_mse_noise_0.5']);
  // More masking can only hide more of the image: the error grows with c.
  assert.ok(res.metrics['test_mse_noise_0.5'] > res.metrics.test_mse_noise_0);
});

test('train ae --conv: a convolutional autoencoder with its reconstructions, latent scatter and loss; model.json records it and eval reloads it', async () => {
  const res = trainJson(['--conv', '--filters', '4,8', '--dense', '16', '--activation', 'relu', '--limit', '400', '--epochs', '2', '--test-limit', '300']);
  const p = (...parts: string[]) => join(res.path, ...parts);
  const json = JSON.parse(readFileSync(p('model', 'model.json'), 'utf8')) as { version: number; autoencoder: Record<string, unknown> };
  assert.equal(json.version, 2);
  assert.deepEqual(
    [json.autoencoder.architecture, json.autoencoder.image, json.autoencoder.filters, json.autoencoder.kernel, json.autoencoder.hidden],
    ['conv', [1, 28, 28], [4, 8], 3, [16]],
  );
  assert.deepEqual(readNpy(p('arrays', 'test_codes.npy')).shape, [300, 2]);
  assert.deepEqual(readNpy(p('arrays', 'test_reconstructions_sample.npy')).shape, [20, 784]);
  const grid = decodePng(readFileSync(p('figures', 'reconstructions.png')));
  assert.deepEqual({ width: grid.width, height: grid.height }, pairedSize(20, 10));
  for (const name of ['loss.svg', 'latent.svg']) assert.equal(svgProblem(readFileSync(p('figures', name), 'utf8')), null, name);
  const html = readFileSync(p('report.html'), 'utf8');
  assert.ok(html.includes('1×28×28 conv 4-8 (3×3, stride 2)-16-2 autoencoder on mnist'));
  const ae = loadAutoencoder(p('model'));
  assert.deepEqual(ae.options.conv, { image: [1, 28, 28], filters: [4, 8], kernel: 3 });
  const ev = cli(['eval', res.run_id, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const test10k = await loadDataset('mnist', { split: 'test' });
  const evMetrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  assert.ok(Math.abs(evMetrics.test_mse - reconstructionMse(ae, test10k.x)) < 1e-12);
});

describe('bad options exit with code 2 and name the value', () => {
  const cases: [string, string[], RegExp][] = [
    ['a latent size of 0', ['--latent', '0'], /train ae: latent: expected an integer ≥ 1, got 0/],
    ['a negative noise scale in the sweep', ['--noise-sweep', '0,-0.1'], /train ae: noise_sweep\.1: expected a number ≥ 0, got -0\.1/],
    [
      'a masking probability above 1',
      ['--noise', 'masking', '--noise-scale', '1.5'],
      /train ae: noise_scale: expected a probability between 0 and 1 for masking noise, got 1\.5/,
    ],
    ['an unknown noise kind', ['--noise', 'pink'], /argument 'pink' is invalid/],
    [
      '--hidden with --conv',
      ['--conv', '--hidden', '64'],
      /train ae: hidden: --hidden sizes the fully connected autoencoder; with --conv give the layers after the convolutions as --dense \(got --hidden 64\)/,
    ],
    ['--filters without --conv', ['--filters', '8,16'], /train ae: filters: --filters and --kernel shape a conv autoencoder; add --conv/],
    ['--dense without --conv', ['--dense', '32'], /train ae: dense: --dense sizes a conv autoencoder's fully connected layers; add --conv or use --hidden/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const r = cli(['train', 'ae', ...args, '--out', 'bad']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(join(work, 'bad')), 'no run directory is created');
    });
  }
});

/** Starts a run and sends `signal` once its checkpoint has reached `atStep`; resolves with the run id and exit code. */
async function stopRun(args: string[], out: string, signal: NodeJS.Signals, atStep: number): Promise<{ id: string; code: number | null; step: number }> {
  const child = spawn(process.execPath, [BIN, ...args, '--out', out], { cwd: work, stdio: 'ignore' });
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

test('runs stopped by SIGKILL or SIGTERM and resumed end with exactly the weights of the run left alone (js backend)', async () => {
  // js backend: slow enough to be stopped mid-run, and deterministic like every backend. Denoising,
  // so the resumed run must also redraw the same noise.
  const args = [
    'train',
    'ae',
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
    '--noise',
    'gaussian',
    '--noise-sweep',
    '0.2',
    '--checkpoint-every',
    '10',
    '--quiet',
  ];
  const alone = cli([...args, '--out', 'alone', '--json']);
  assert.equal(alone.code, 0, alone.stderr);
  const a = weights((JSON.parse(alone.stdout) as Result).path);

  const killed = await stopRun(args, 'killed', 'SIGKILL', 30);
  assert.equal(
    (JSON.parse(readFileSync(join(work, 'killed', killed.id, 'summary.json'), 'utf8')) as { status: unknown }).status,
    'running',
    'SIGKILL leaves the summary as it was',
  );
  const termed = await stopRun(args, 'termed', 'SIGTERM', 10);
  assert.equal(termed.code, 130);
  assert.equal((JSON.parse(readFileSync(join(work, 'termed', termed.id, 'summary.json'), 'utf8')) as { status: unknown }).status, 'interrupted');

  for (const [out, stopped] of [
    ['killed', killed],
    ['termed', termed],
  ] as const) {
    const r = cli(['train', 'ae', '--resume', stopped.id, '--out', out, '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as Result;
    assert.equal(res.status, 'completed');
    const b = weights(res.path);
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k} differs after resuming (${out}) from step ${stopped.step}`);
    assert.ok(existsSync(join(res.path, 'report.html')));
    const summary = JSON.parse(readFileSync(join(res.path, 'summary.json'), 'utf8')) as { metrics: unknown; timings: Record<string, number> };
    assert.deepEqual(summary.metrics, (JSON.parse(alone.stdout) as Result).metrics, `${out}: same final metrics`);
    // Training time over the segments: SIGTERM's segment recorded its own, SIGKILL's could not.
    const t = summary.timings;
    assert.equal(t.train_s, t.train_s_segment + t.train_s_before, `${out}: train_s = this segment + the earlier ones`);
    if (out === 'termed') {
      assert.ok(t.train_s_before > 0 && t.train_s_unknown_segments === 0, `termed: ${JSON.stringify(t)}`);
      assert.equal(knownTrainSeconds(t), t.train_s);
    } else {
      assert.ok(t.train_s_before === 0 && t.train_s_unknown_segments === 1, `killed: ${JSON.stringify(t)}`);
      assert.equal(knownTrainSeconds(t), null, 'a killed segment makes the time unknown');
    }
  }
  const aloneTimings = (JSON.parse(alone.stdout) as { timings: Record<string, number> }).timings;
  assert.equal(knownTrainSeconds(aloneTimings), aloneTimings.train_s, 'a run in one segment: its train_s');
  assert.equal(aloneTimings.train_s_before, undefined);
});
