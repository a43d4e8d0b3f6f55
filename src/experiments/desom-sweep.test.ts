// planSweep: the commands of the paper's benchmark, and the options every command receives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWEEP_MANIFEST, planSweep, readSweepManifest, writeSweepManifest } from './desom-sweep.js';

const BASE = { root: 'sweep', datasets: ['usps'], methods: ['kmeans', 'som', 'gsom', 'ae_som', 'ae_gsom', 'desom'] as const, seeds: [0, 1], threads: 1 };

test('planSweep: one command per method and seed, plus the shared autoencoder, before its SOMs', () => {
  const tasks = planSweep({ ...BASE, methods: [...BASE.methods] });
  assert.deepEqual(
    tasks.filter((t) => t.seed === 0).map((t) => t.id),
    ['ae-usps-s0', 'kmeans-usps-s0', 'som-usps-s0', 'gsom-usps-s0', 'ae_som-usps-s0', 'ae_gsom-usps-s0', 'desom-usps-s0'],
  );
  assert.deepEqual(tasks.find((t) => t.id === 'ae_som-usps-s1')?.deps, ['ae-usps-s1']);
  assert.ok(tasks.every((t) => !t.args.includes('--matmul-precision')), 'float32 by default: no flag');
});

test('planSweep: a matmul precision reaches every command, and a bad one is refused by name', () => {
  const tasks = planSweep({ ...BASE, methods: [...BASE.methods], matmulPrecision: 'bfloat16' });
  for (const t of tasks) {
    const i = t.args.indexOf('--matmul-precision');
    assert.ok(i > 0 && t.args[i + 1] === 'bfloat16', `${t.id}: ${t.args.join(' ')}`);
  }
  assert.throws(() => planSweep({ ...BASE, methods: [...BASE.methods], matmulPrecision: 'fp8' as never }), /planSweep: expected matmulPrecision among float32, bfloat16, got "fp8"/);
});

test('sweep.json: a folder that held quick runs stays labelled quick, and a broken manifest is named', () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlab-sweep-manifest-'));
  try {
    assert.equal(readSweepManifest(root), null);
    assert.deepEqual(writeSweepManifest(root, {}), { quick: false, limit: null, map: '8x8', matmul_precision: 'float32' });
    assert.deepEqual(writeSweepManifest(root, { quick: true }), { quick: true, limit: 1000, map: '8x8', matmul_precision: 'float32' });
    // A later full invocation in the same folder skips the quick runs as completed: still a smoke test.
    assert.equal(writeSweepManifest(root, { quick: false }).quick, true);
    assert.equal(readSweepManifest(root)?.quick, true);
    assert.equal((JSON.parse(readFileSync(join(root, SWEEP_MANIFEST), 'utf8')) as { quick: boolean }).quick, true);
    writeFileSync(join(root, SWEEP_MANIFEST), '{"quick": "no"}');
    assert.throws(() => readSweepManifest(root), /readSweepManifest: expected .*sweep\.json to hold an object with a boolean "quick"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
