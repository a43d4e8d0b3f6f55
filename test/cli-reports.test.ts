/**
 * Every kind reports the same way: `train mlp` writes figures and report.html like the other kinds,
 * `runs list` shows the dataset and the headline metric and filters, `runs show` prints an aligned
 * config, reports label their metrics for people and list only the config keys that apply, and
 * DESOM's curves start at iteration 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeRunReport } from '../src/runs/kinds/som/figures.js';
import { desomCurves } from '../src/runs/kinds/desom/figures.js';
import { headlineMetric } from '../src/runs/api.js';
import { configText, flattenConfig } from '../src/viz/run-text.js';
import { RunDir } from '../src/runs/run-dir.js';
import { svgProblem } from '../src/viz/svg-check.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-reports-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('train mlp writes loss, accuracy, confusion and misclassified figures and a report, and says where the report is', () => {
  const r = cli(['train', 'mlp', '--limit', '1000', '--epochs', '2', '--run-id', 'm1', '--out', 'mlp-runs']);
  assert.equal(r.code, 0, r.stderr);
  const path = join(work, 'mlp-runs', 'm1');
  assert.match(r.stdout, new RegExp(`report\\s+${join(path, 'report.html').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  for (const [f, title] of [
    ['loss.svg', /Cross-entropy loss per epoch/],
    ['accuracy.svg', /Test accuracy per epoch/],
    ['confusion.svg', /Confusion matrix, test split/],
    ['misclassified.svg', /under each image: the class the model predicted/],
  ] as const) {
    const svg = readFileSync(join(path, 'figures', f), 'utf8');
    assert.equal(svgProblem(svg), null, f);
    assert.match(svg, title, f);
  }
  const html = readFileSync(join(path, 'report.html'), 'utf8');
  assert.equal((html.match(/<img [^>]*src="data:image\/svg\+xml;base64,/g) ?? []).length, 4);
  // Its one script is inline (the interactive charts); nothing is loaded from elsewhere.
  assert.doesNotMatch(html, /<script[^>]*\bsrc=|<link|src="(?!data:)/);
  assert.match(html, /<script type="application\/json" class="latentlab-chart">/);
  assert.match(html, /784-100-10 sigmoid classifier on mnist/);
  assert.match(html, /<div class="k">test accuracy<\/div>/);
  assert.match(html, /<td class="raw">accuracy · test_accuracy<\/td>/);
  assert.match(html, /momentum \(config\.json has every key\)/, 'momentum does not apply to Adam');
  assert.doesNotMatch(html, /<td>momentum<\/td>/);
  // The per-class table: 10 classes, the test split's 10,000 rows.
  assert.match(html, /<th>class<\/th><th>test rows<\/th><th>correct<\/th><th>accuracy<\/th><th>most often taken for<\/th>/);
  const perClass = [...html.matchAll(/<tr><td>\d<\/td><td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
  assert.equal(perClass.length, 10);
  assert.equal(
    perClass.reduce((a, b) => a + b, 0),
    10000,
  );
  const summary = JSON.parse(readFileSync(join(path, 'summary.json'), 'utf8')) as { status: string; timings: Record<string, number> };
  assert.equal(summary.status, 'completed');
  assert.ok(summary.timings.figures_s > 0);
  // Figures are extra files: model/ and arrays/ hold what they always held.
  assert.ok(existsSync(join(path, 'model', 'weights.safetensors')) && existsSync(join(path, 'arrays', 'test_predictions.npy')));
});

/** A run directory as training leaves it, without training. */
function fakeRun(
  root: string,
  id: string,
  kind: string,
  dataset: string,
  status: string,
  metrics: Record<string, number>,
  config: Record<string, unknown> = {},
): void {
  mkdirSync(join(root, id), { recursive: true });
  writeFileSync(join(root, id, 'config.json'), JSON.stringify({ kind, config: { dataset, ...config }, dataset: { name: dataset, classes: 10 } }));
  writeFileSync(
    join(root, id, 'summary.json'),
    JSON.stringify({
      status,
      metrics,
      timings: { train_s: 1.25 },
      kind,
      run_id: id,
      started_at: '2025-01-02T03:04:05.000Z',
      updated_at: '',
      pid: 0,
      step: 10,
      total_steps: 10,
    }),
  );
}

test('runs list shows dataset and headline metric per kind and filters by kind, status and dataset', () => {
  const root = join(work, 'listed');
  fakeRun(root, 'mlp-a', 'mlp', 'mnist', 'completed', { accuracy: 0.99, test_accuracy: 0.9512, test_loss: 0.2 });
  fakeRun(root, 'ae-a', 'ae', 'usps', 'completed', { mse: 0.01, test_mse: 0.0123 });
  fakeRun(root, 'som-a', 'som', 'mnist', 'failed', { accuracy: 0.3, purity: 0.8765 });
  fakeRun(root, 'km-a', 'kmeans', 'usps', 'completed', { purity: 0.6, accuracy: 0.55 });
  const all = cli(['runs', 'list', '--out', root]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.match(lines[0], /^run\s+kind\s+status\s+dataset\s+steps\s+metric\s+value\s+started$/);
  const row = (id: string): string => lines.find((l) => l.startsWith(`${id} `)) ?? '';
  assert.match(row('mlp-a'), /mlp\s+completed\s+mnist\s+10\/10\s+test_accuracy\s+95\.12%/);
  assert.match(row('ae-a'), /ae\s+completed\s+usps\s+10\/10\s+test_mse\s+0\.0123/);
  assert.match(row('som-a'), /som\s+failed\s+mnist\s+10\/10\s+purity\s+0\.8765/, 'a map is known by its purity, not its Hungarian accuracy');
  assert.match(row('km-a'), /kmeans\s+completed\s+usps\s+10\/10\s+purity\s+0\.6000/);

  const ids = (args: string[]): string[] => {
    const r = cli(['runs', 'list', '--out', root, '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id).sort();
  };
  assert.deepEqual(ids(['--kind', 'som']), ['som-a']);
  assert.deepEqual(ids(['--status', 'completed']), ['ae-a', 'km-a', 'mlp-a']);
  assert.deepEqual(ids(['--dataset', 'usps', '--status', 'completed']), ['ae-a', 'km-a']);
  const json = JSON.parse(cli(['runs', 'list', '--out', root, '--json', '--kind', 'mlp']).stdout) as {
    dataset: string;
    headline: unknown;
    metrics: Record<string, number>;
    status: string;
  }[];
  assert.deepEqual(json[0].headline, { name: 'test_accuracy', value: 0.9512 });
  assert.equal(json[0].dataset, 'mnist');
  assert.equal(json[0].metrics.test_loss, 0.2);
  const bad = cli(['runs', 'list', '--out', root, '--status', 'done']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Allowed choices are running, completed, failed, interrupted, unknown/);
  assert.deepEqual(headlineMetric('desom', { accuracy: 0.2, test_purity: 0.7 }), { name: 'test_purity', value: 0.7 });
  assert.equal(headlineMetric('mlp', {}), null);
});

test('runs show prints the config one key per line, aligned, nested keys dotted and floats shortened', () => {
  const root = join(work, 'shown');
  fakeRun(
    root,
    'r1',
    'ae',
    'mnist',
    'completed',
    { test_mse_mean_image: 0.0671234 },
    { lr: 0.10000000149011612, hidden: [500, 500, 2000], noise_sweep: [0, 0.1] },
  );
  const r = cli(['runs', 'show', 'r1', '--out', root]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  // One key per line, the values of a block in one column.
  assert.ok(lines.includes('    dataset      mnist'), r.stdout);
  assert.ok(lines.includes('    lr           0.1'), r.stdout);
  assert.ok(lines.includes('    hidden       [500, 500, 2000]'), r.stdout);
  assert.ok(lines.includes('    noise_sweep  [0, 0.1]'), r.stdout);
  assert.ok(
    lines.some((l) => /^ {4}dataset\.classes\s+10$/.test(l)),
    r.stdout,
  );
  assert.ok(
    lines.some((l) => /^ {4}test_mse_mean_image\s+0\.0671\s+test MSE of the mean image$/.test(l)),
    r.stdout,
  );
  assert.ok(
    lines.some((l) => /^ {4}train_s\s+1\.25\s+training \(s\)$/.test(l)),
    r.stdout,
  );
  assert.doesNotMatch(r.stdout, /\{"dataset"/, 'no JSON line');
  const json = JSON.parse(cli(['runs', 'show', 'r1', '--out', root, '--json']).stdout) as { config: { config: { lr: number } } };
  assert.equal(json.config.config.lr, 0.10000000149011612, '--json keeps the exact values');
  assert.deepEqual(flattenConfig({ a: { b: { c: 1 }, d: [1, 2] }, e: undefined, f: {} }), [
    ['a.b.c', 1],
    ['a.d', [1, 2]],
    ['f', '{}'],
  ]);
  assert.equal(configText(1e-7), '1e-7');
  assert.equal(configText(0.30000001192092896), '0.3');
  assert.equal(configText(['a', 2]), '["a", 2]');
});

test('a map report labels its metrics, explains the Hungarian accuracy and lists only the config keys that apply', () => {
  const root = join(work, 'reports');
  const run = RunDir.create(root, 'som', 's1');
  run.writeConfig({ kind: 'som', config: { dataset: 'mnist', algorithm: 'batch', map: '8x8', split: 'train' }, dataset: { classes: 10 }, map: { cells: 64 } });
  writeRunReport(run, {
    title: 'SOM',
    status: 'completed',
    config: { dataset: 'mnist', algorithm: 'batch', map: '8x8', lr: 0.5, lr_final: 0.01, lr_decay: 'exponential' },
    metrics: { qe: 5.1, te: 0.1, purity: 0.8, accuracy: 0.3, test_purity: 0.78, test_accuracy: 0.29 },
    timings: { train_s: 2 },
    figures: [],
  });
  const html = readFileSync(run.file('report.html'), 'utf8');
  assert.match(html, /<td title="qe">quantization error<\/td><td class="num">5\.1<\/td><td class="missing">—<\/td>/);
  assert.match(html, /<td title="purity, test_purity">purity<\/td><td class="num">0\.8<\/td><td class="num">0\.78<\/td>/);
  assert.match(html, /<th>training rows<\/th><th>test split<\/th>/);
  assert.match(html, /accuracy matches the 64 cells one-to-one to the 10 classes \(Hungarian algorithm\), so at most 10 cells count/);
  assert.match(html, /here 0\.3 against a purity of 0\.8/);
  assert.match(html, /do not apply to these settings: lr, lr_final, lr_decay/);
  assert.doesNotMatch(html, /<td>lr_final<\/td>/);
  assert.match(html, /<div class="k">topographic error<\/div>/);
});

test('DESOM curves start at iteration 0: T from Tmax, the evaluation of the initial map, losses from the first logged step', () => {
  const events = [
    { type: 'eval', iteration: 0, purity: 0.4, nmi: 0.3, nmi_geometric: 0.31, qe: 0.2, te: 0.9 },
    { type: 'step', iteration: 50, T: 1.2, Lr: 0.06, Lsom: 0.4 },
    { type: 'step', iteration: 100, T: 0.1, Lr: 0.05, Lsom: 0.2 },
    { type: 'eval', iteration: 100, purity: 0.6, nmi: 0.5, nmi_geometric: 0.52, qe: 0.1, te: 0.2 },
  ];
  const c = desomCurves(events, 8);
  assert.deepEqual(c.T, { x: [0, 50, 100], y: [8, 1.2, 0.1] });
  assert.deepEqual(c.loss, { x: [50, 100], Lr: [0.06, 0.05], Lsom: [0.4, 0.2] }, 'no loss is invented before the first logged step');
  assert.deepEqual(c.eval.x, [0, 100]);
  assert.deepEqual(c.eval.y.te, [0.9, 0.2]);
  // Without Tmax, or with a logged step 0, nothing is added.
  assert.deepEqual(desomCurves(events).T.x, [50, 100]);
  assert.deepEqual(desomCurves([{ type: 'step', iteration: 0, T: 8, Lr: 1, Lsom: 1 }], 8).T, { x: [0], y: [8] });
});
