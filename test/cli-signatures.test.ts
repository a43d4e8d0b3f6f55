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

test('bad requests exit 2 and name what is wrong, leaving no run folder', () => {
  const cases: [string[], RegExp][] = [
    [['signatures', 'km'], /run km is a "kmeans" run; expected an mlp run/],
    [['signatures', 'nope'], /no run "nope"/],
    [['signatures', 'm17', '--insert', '7'], /--insert 7: the classifier was trained on class 7/],
    [['signatures', 'm17', '--layers', 'h9'], /--layers h9: expected hidden layers among h1, h2, got h9/],
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
