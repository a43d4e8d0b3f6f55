/**
 * `latentlab train desom`, `eval` on its runs, `train som --encoder` on a desom run (the AE+SOM
 * baselines) and `bench desom --quick`, end to end on small MNIST slices: complete run
 * directories, metrics that eval reproduces, figures that decode, usage errors that name the bad
 * value, a run killed with SIGKILL then resumed ending with exactly the weights of the run left
 * alone, and a sweep that skips what is done, moves a failed run aside and writes its table.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAtCheckpoint } from './helpers/kill.js';
import { after, test } from 'node:test';
import { readNpy } from '../src/io/npy.js';
import { decodePng } from '../src/viz/png.js';
import { svgProblem } from '../src/viz/svg-check.js';
import { loadNativeBackend } from '../src/tensor/backends/native.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-desom-'));
const runs = join(work, 'runs');
after(() => rmSync(work, { recursive: true, force: true }));

const ENV = { ...process.env, LATENTLAB_OFFLINE: '1' };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Completed {
  run_id: string;
  path: string;
  status: string;
  metrics: Record<string, number>;
  timings: Record<string, number>;
}

function completed(r: Result): Completed {
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Completed;
  assert.equal(res.status, 'completed');
  return res;
}

/** A small DESOM: 600 MNIST rows, 784-32-32-4, 4×4 map, 60 steps of 64. */
const SMALL = [
  '--limit',
  '600',
  '--hidden',
  '32,32',
  '--latent',
  '4',
  '--map',
  '4x4',
  '--iterations',
  '60',
  '--batch-size',
  '64',
  '--eval-every',
  '20',
  '--eval-sample',
  '300',
];

test('train desom writes a complete run whose metrics eval reproduces', () => {
  const res = completed(cli(['train', 'desom', ...SMALL, '--run-id', 'd1', '--out', runs, '--json', '--quiet']));
  assert.equal(res.run_id, 'd1');
  for (const k of ['purity', 'nmi', 'nmi_geometric', 'ari', 'accuracy', 'prototype_kmeans_accuracy', 'qe', 'te', 'mse']) {
    assert.ok(Number.isFinite(res.metrics[k]), `${k} = ${res.metrics[k]}`);
  }
  assert.ok(res.metrics.purity > 0.1 && res.metrics.purity <= 1, `purity ${res.metrics.purity}`);
  // Geometric-mean normalisation is never below the arithmetic one.
  assert.ok(res.metrics.nmi_geometric >= res.metrics.nmi - 1e-12);
  for (const f of [
    'config.json',
    'summary.json',
    'events.jsonl',
    'report.html',
    'model/desom.json',
    'model/ae/model.json',
    'arrays/prototypes.npy',
    'arrays/codes.npy',
    'arrays/bmus.npy',
    'arrays/labels.npy',
    'arrays/decoded_prototypes.npy',
  ]) {
    assert.ok(existsSync(join(res.path, f)), `missing ${f}`);
  }
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'prototypes.npy')).shape, [16, 4]);
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'decoded_prototypes.npy')).shape, [16, 784]);
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'codes.npy')).shape, [600, 4]);
  const bmus = readNpy(join(res.path, 'arrays', 'bmus.npy')).data as Int32Array;
  assert.equal(bmus.length, 600);
  assert.ok(bmus.every((b) => b >= 0 && b < 16));

  // Figures: the decoded prototype map is 4 cells of 28 px at ×2 plus padding on each side.
  const proto = decodePng(readFileSync(join(res.path, 'figures', 'prototypes.png')));
  assert.ok(proto.width >= 4 * 56 && proto.width < 4 * 56 + 40, `prototypes.png width ${proto.width}`);
  for (const f of ['cell-samples.png', 'reconstructions.png']) assert.ok(decodePng(readFileSync(join(res.path, 'figures', f))).width > 0, f);
  for (const [f, title] of [
    ['loss.svg', /Losses during training/],
    ['temperature.svg', /Temperature/],
    ['metrics.svg', /Purity and NMI during training/],
    ['te.svg', /Topographic error during training/],
    ['umatrix.svg', /U-matrix/],
    ['classes.svg', /Majority class/],
    ['hits.svg', /Hits/],
  ] as const) {
    const svg = readFileSync(join(res.path, 'figures', f), 'utf8');
    assert.equal(svgProblem(svg), null, f);
    assert.match(svg, title, f);
  }
  const html = readFileSync(join(res.path, 'report.html'), 'utf8');
  assert.match(html, /Decoded prototype map/);
  assert.doesNotMatch(html, /src="https?:/);

  // Periodic evaluation at 0, 20, 40 and 60; step records carry Lr, Lsom and T.
  const events = readFileSync(join(res.path, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);
  const evals = events.filter((e) => e.type === 'eval');
  assert.deepEqual(
    evals.map((e) => e.iteration),
    [0, 20, 40, 60],
  );
  for (const e of evals) assert.ok((e.purity as number) > 0 && (e.purity as number) <= 1 && e.rows === 300);
  const steps = events.filter((e) => e.type === 'step');
  assert.ok(steps.length >= 1);
  const lastStep = steps[steps.length - 1];
  assert.equal(lastStep.iteration, 60);
  // T = 8·(0.1/8)^(59/60) at the last step (the paper's t/iterations).
  assert.ok(Math.abs((lastStep.T as number) - 8 * Math.pow(0.1 / 8, 59 / 60)) < 1e-12);
  assert.ok(Number.isFinite(lastStep.Lr) && Number.isFinite(lastStep.Lsom));

  const ev = cli(['eval', 'd1', '--split', 'all', '--out', runs, '--json', '--quiet']);
  assert.equal(ev.code, 0, ev.stderr);
  const m = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  for (const k of ['purity', 'nmi', 'nmi_geometric', 'qe', 'te', 'mse', 'prototype_kmeans_accuracy']) assert.equal(m[`all_${k}`], res.metrics[k], k);
});

test('usage errors name the value', () => {
  const dup = cli(['train', 'desom', ...SMALL, '--run-id', 'd1', '--out', runs, '--quiet']);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /--run-id: .*d1 already exists/);
  const gamma = cli(['train', 'desom', '--gamma', '-1', '--out', runs, '--quiet']);
  assert.equal(gamma.code, 2);
  assert.match(gamma.stderr, /gamma/);
  const tmin = cli(['train', 'desom', '--t-min', '9', '--out', runs, '--quiet']);
  assert.equal(tmin.code, 2);
  assert.match(tmin.stderr, /t_min ≤ t_max, got 9 > 8/);
  const split = cli(['train', 'desom', '--split', 'test', '--out', runs, '--quiet']);
  assert.equal(split.code, 2);
  assert.match(split.stderr, /test/);
});

test('--matmul-precision bfloat16: the same run on 1 and 2 threads, not the float32 run, or refused with the reason', () => {
  const native = loadNativeBackend();
  assert.ok('backend' in native, 'error' in native ? native.error : '');
  const why = native.backend.matmulPrecisionUnavailable('bfloat16');
  const args = ['train', 'desom', ...SMALL, '--iterations', '30', '--eval-every', '30', '--backend', 'native', '--out', runs, '--json', '--quiet'];
  if (why !== null) {
    const r = cli([...args, '--matmul-precision', 'bfloat16', '--run-id', 'bf-refused']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /matmul_precision bfloat16: .*AVX512-BF16/);
    return;
  }
  const one = completed(cli([...args, '--matmul-precision', 'bfloat16', '--threads', '1', '--run-id', 'bf1']));
  const two = completed(cli([...args, '--matmul-precision', 'bfloat16', '--threads', '2', '--run-id', 'bf2']));
  const f32 = completed(cli([...args, '--run-id', 'bf-f32']));
  const saved = JSON.parse(readFileSync(join(one.path, 'config.json'), 'utf8')) as { config: { matmul_precision: string } };
  assert.equal(saved.config.matmul_precision, 'bfloat16');
  const protos = (r: Completed) => readNpy(join(r.path, 'arrays', 'prototypes.npy')).data as Float32Array;
  assert.deepEqual(protos(one), protos(two));
  assert.notDeepEqual(protos(one), protos(f32));
  assert.equal(one.metrics.purity, two.metrics.purity);
});

test('a SOM on the codes of a desom run (AE+SOM) draws its prototypes through the DESOM decoder', () => {
  const ae = completed(cli(['train', 'desom', ...SMALL, '--gamma', '0', '--run-id', 'ae1', '--out', runs, '--json', '--quiet']));
  const som = completed(
    cli(['train', 'som', '--encoder', 'ae1', '--split', 'all', '--limit', '600', '--map', '3x3', '--epochs', '2', '--out', runs, '--json', '--quiet']),
  );
  assert.ok(som.metrics.purity > 0.1);
  assert.deepEqual(readNpy(join(som.path, 'arrays', 'prototypes.npy')).shape, [9, 4]);
  assert.deepEqual(readNpy(join(som.path, 'arrays', 'decoded_prototypes.npy')).shape, [9, 784]);
  const cfg = JSON.parse(readFileSync(join(som.path, 'config.json'), 'utf8')) as { encoder: { run_id: string; latent: number } };
  assert.deepEqual([cfg.encoder.run_id, cfg.encoder.latent], ['ae1', 4]);
  // γ = 0: the prototypes never moved from their initial codes, the autoencoder did learn.
  assert.ok(ae.metrics.mse < 0.2, `mse ${ae.metrics.mse}`);
});

test('a DESOM run killed with SIGKILL and resumed ends with exactly the weights of the run left alone', async () => {
  // js backend: slow enough to be killed mid-run; every backend is deterministic.
  const args = ['train', 'desom', ...SMALL, '--backend', 'js', '--checkpoint-every', '5', '--quiet'];
  const alone = completed(cli([...args, '--out', join(work, 'alone'), '--json']));
  const killedRuns = join(work, 'killed');
  const child = spawn(process.execPath, [BIN, ...args, '--out', killedRuns], { cwd: work, stdio: 'ignore', env: ENV });
  const killedAt = await killAtCheckpoint(child, killedRuns, 15);
  const [id] = readdirSync(killedRuns);
  const resumed = completed(cli(['train', 'desom', '--resume', id, '--out', killedRuns, '--json', '--quiet']));
  for (const f of ['arrays/prototypes.npy', 'arrays/codes.npy']) {
    assert.deepEqual(readNpy(join(resumed.path, f)).data, readNpy(join(alone.path, f)).data, `${f} differs after resuming from iteration ${killedAt}`);
  }
  assert.equal(resumed.metrics.purity, alone.metrics.purity);
  assert.equal(resumed.metrics.mse, alone.metrics.mse);
});

test('bench desom --quick runs every method, skips what is done, moves a failed run aside and writes the table', () => {
  const dir = join(work, 'sweep');
  // A failed run left by an earlier sweep: moved aside, then run again.
  const failed = join(dir, 'som-mnist-s1');
  mkdirSync(failed, { recursive: true });
  writeFileSync(join(failed, 'config.json'), JSON.stringify({ kind: 'som', config: {} }));
  writeFileSync(
    join(failed, 'summary.json'),
    JSON.stringify({ status: 'failed', metrics: {}, timings: {}, kind: 'som', run_id: 'som-mnist-s1', started_at: '', updated_at: '', pid: 0, error: 'test' }),
  );
  const args = [
    'bench',
    'desom',
    '--quick',
    '--datasets',
    'mnist',
    '--seeds',
    '2',
    '--limit',
    '300',
    '--jobs',
    '2',
    '--threads',
    '1',
    '--dir',
    dir,
    '--out',
    runs,
  ];
  const first = cli(args);
  assert.equal(first.code, 0, first.stderr);
  assert.ok(existsSync(join(dir, 'som-mnist-s1.failed-1', 'summary.json')), 'the failed run was not moved aside');
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
    records: { method: string; status: string; metrics: Record<string, number>; train_s: number | null }[];
  };
  assert.equal(res.records.length, 12);
  assert.ok(
    res.records.every((r) => r.status === 'completed'),
    JSON.stringify(res.records.map((r) => r.status)),
  );
  for (const r of res.records) assert.ok(Number.isFinite(r.metrics.purity) && (r.train_s ?? -1) > 0, `${r.method}: ${JSON.stringify(r)}`);
  // The AE+SOM time includes its autoencoder's.
  const aeTime = (JSON.parse(readFileSync(join(dir, 'ae-mnist-s0', 'summary.json'), 'utf8')) as { timings: { train_s: number } }).timings.train_s;
  const aeSom = res.records.find((r) => r.method === 'ae_som')!;
  assert.ok(aeSom.train_s! > aeTime);
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  for (const name of ['DESOM', 'k-means']) assert.match(md, new RegExp(name));
  assert.match(md, /±/);
  // Again: everything is skipped, nothing new runs.
  const before = readdirSync(dir).sort();
  const second = cli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.equal((second.stderr.match(/skipped \(completed\)/g) ?? []).length, 14);
  assert.deepEqual(readdirSync(dir).sort(), before);
});

/** A small convolutional DESOM: the SMALL run, its --hidden 32,32 replaced by two stride-2 convolutions of 4 and 8 channels, and a pretraining epoch. */
const CONV = [...SMALL.filter((a, i) => a !== '--hidden' && SMALL[i - 1] !== '--hidden'), '--encoder', 'conv', '--filters', '4,8', '--pretrain-epochs', '1'];

test('train desom --encoder conv: a complete run (decoded prototypes, figures, report) that eval and train som --encoder read back', () => {
  const res = completed(cli(['train', 'desom', ...CONV, '--run-id', 'c1', '--out', runs, '--json', '--quiet']));
  for (const k of ['purity', 'nmi', 'qe', 'te', 'mse']) assert.ok(Number.isFinite(res.metrics[k]), `${k} = ${res.metrics[k]}`);
  const desom = JSON.parse(readFileSync(join(res.path, 'model', 'desom.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([desom.version, desom.encoder, desom.image, desom.filters, desom.kernel, desom.hidden], [2, 'conv', [1, 28, 28], [4, 8], 3, []]);
  const ae = JSON.parse(readFileSync(join(res.path, 'model', 'ae', 'model.json'), 'utf8')) as { version: number; autoencoder: { architecture: string } };
  assert.deepEqual([ae.version, ae.autoencoder.architecture], [2, 'conv']);
  const config = JSON.parse(readFileSync(join(res.path, 'config.json'), 'utf8')) as { model: { architecture: string } };
  assert.equal(config.model.architecture, '1×28×28 conv 4-8 (3×3, stride 2)-4');
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'decoded_prototypes.npy')).shape, [16, 784]);
  assert.deepEqual(readNpy(join(res.path, 'arrays', 'codes.npy')).shape, [600, 4]);
  const proto = decodePng(readFileSync(join(res.path, 'figures', 'prototypes.png')));
  assert.ok(proto.width >= 4 * 56 && proto.width < 4 * 56 + 40, `prototypes.png width ${proto.width}`);
  assert.match(readFileSync(join(res.path, 'report.html'), 'utf8'), /1×28×28 conv 4-8 \(3×3, stride 2\)-4 \(its decoder the mirror image/);
  const events = readFileSync(join(res.path, 'events.jsonl'), 'utf8');
  assert.match(events, /"type":"pretrain_epoch"/);

  const ev = cli(['eval', 'c1', '--split', 'all', '--out', runs, '--json', '--quiet']);
  assert.equal(ev.code, 0, ev.stderr);
  const m = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
  for (const k of ['purity', 'nmi', 'qe', 'mse']) assert.equal(m[`all_${k}`], res.metrics[k], k);
  // AE+SOM on the conv encoder's codes, its prototypes drawn through the conv decoder
  const som = completed(
    cli(['train', 'som', '--encoder', 'c1', '--split', 'all', '--limit', '600', '--map', '3x3', '--epochs', '2', '--out', runs, '--json', '--quiet']),
  );
  assert.deepEqual(readNpy(join(som.path, 'arrays', 'decoded_prototypes.npy')).shape, [9, 784]);
});

test('train desom: --hidden with --encoder conv, and --filters / --dense without it, are refused by name', () => {
  const hidden = cli(['train', 'desom', '--encoder', 'conv', '--hidden', '64', '--out', runs, '--quiet']);
  assert.equal(hidden.code, 2);
  assert.match(
    hidden.stderr,
    /--hidden sizes the fully connected encoder; with --encoder conv give the layers after the convolutions as --dense \(got --hidden 64\)/,
  );
  const filters = cli(['train', 'desom', '--filters', '8,16', '--out', runs, '--quiet']);
  assert.equal(filters.code, 2);
  assert.match(filters.stderr, /--filters shapes a convolutional encoder; add --encoder conv/);
  const dense = cli(['train', 'desom', '--dense', '32', '--out', runs, '--quiet']);
  assert.equal(dense.code, 2);
  assert.match(dense.stderr, /--dense shapes a convolutional encoder/);
});

test('a conv DESOM run killed with SIGKILL and resumed ends with exactly the weights of the run left alone', async () => {
  const args = ['train', 'desom', ...CONV, '--backend', 'js', '--checkpoint-every', '5', '--quiet'];
  const alone = completed(cli([...args, '--out', join(work, 'conv-alone'), '--json']));
  const killedRuns = join(work, 'conv-killed');
  const child = spawn(process.execPath, [BIN, ...args, '--out', killedRuns], { cwd: work, stdio: 'ignore', env: ENV });
  const killedAt = await killAtCheckpoint(child, killedRuns, 15);
  const [id] = readdirSync(killedRuns);
  const resumed = completed(cli(['train', 'desom', '--resume', id, '--out', killedRuns, '--json', '--quiet']));
  for (const f of ['arrays/prototypes.npy', 'arrays/codes.npy', 'arrays/decoded_prototypes.npy']) {
    assert.deepEqual(readNpy(join(resumed.path, f)).data, readNpy(join(alone.path, f)).data, `${f} differs after resuming from iteration ${killedAt}`);
  }
  assert.equal(resumed.metrics.purity, alone.metrics.purity);
  assert.equal(resumed.metrics.mse, alone.metrics.mse);
});
