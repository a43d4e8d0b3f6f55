// The runner over a sweep folder: a task that fails is recorded as failed (its summary, its attempt
// record, its log) and listed by the merge; one whose command dies before making its run too. The
// tasks' commands are the stand-in of test/helpers/sweep-stub.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSweepStub } from '../../test/helpers/sweep-stub.js';
import { runSweepSpec } from './drive.js';
import { mergePlan } from './merge.js';
import { readAttempt } from './run.js';
import { validateSpec } from './spec.js';

const work = mkdtempSync(join(tmpdir(), 'latentlab-sweep-run-'));
after(() => rmSync(work, { recursive: true, force: true }));
const stub = writeSweepStub(work);
process.env.STUB_STEP_MS = '20';

const spec = validateSpec({
  kind: 'kmeans',
  base: { dataset: 'mnist', limit: 100, threads: 1 },
  axes: { k: [2, 3], seed: [0, 13] },
  table: { rows: 'k', metrics: ['purity'] },
});

test('a failing task ends failed (summary, attempt record, log), the others complete, and merge lists it', async () => {
  const root = join(work, 'fail');
  const r = await runSweepSpec(spec, { root, jobs: 2, entry: stub });
  const byId = Object.fromEntries(r.states);
  assert.deepEqual(byId, { 'kmeans-k2-s0': 'completed', 'kmeans-k2-s13': 'failed', 'kmeans-k3-s0': 'completed', 'kmeans-k3-s13': 'failed' });
  const failed = r.plan.tasks.find((t) => t.id === 'kmeans-k2-s13');
  assert.ok(failed);
  const attempt = readAttempt(root, failed.dir);
  assert.equal(attempt?.status, 'failed');
  assert.equal(attempt?.exit_code, 1);
  assert.match(readFileSync(join(root, 'logs', `${failed.dir}.log`), 'utf8'), /stub: seed 13 fails/);
  assert.equal((JSON.parse(readFileSync(join(root, failed.dir, 'summary.json'), 'utf8')) as { status: string }).status, 'failed');
  // The whole sweep ran here: its table is written, the failed runs counted and listed, not averaged.
  const md = readFileSync(join(root, 'results.md'), 'utf8');
  assert.match(md, /^\| 2 \| 1\/2 \| \d\.\d{4} \(n = 1\) \|$/m);
  assert.match(md, /Runs left out of the statistics: failed 2 \(kmeans-k2-s13, kmeans-k3-s13\)\./);
  assert.deepEqual(
    r.merged?.incomplete.map((t) => [t.task, t.status, t.log !== null]),
    [
      ['kmeans-k2-s13', 'failed', true],
      ['kmeans-k3-s13', 'failed', true],
    ],
  );
  // Run again: completed tasks are skipped, failed ones moved aside and run again.
  const again = await runSweepSpec(spec, { root, jobs: 2, entry: stub });
  assert.equal(again.states.get('kmeans-k2-s0'), 'completed');
  assert.ok(existsSync(join(root, `${failed.dir}.failed-1`)));
});

test('a command that dies before making its run is recorded as failed by its attempt', async () => {
  const root = join(work, 'dies');
  const dies = join(work, 'dies.mjs');
  writeFileSync(dies, "console.error('no such dataset'); process.exit(1);\n");
  const r = await runSweepSpec(validateSpec({ ...spec, axes: { k: [2] } }), { root, entry: dies });
  assert.deepEqual([...r.states.values()], ['failed']);
  const m = mergePlan(root, r.plan);
  assert.deepEqual(
    m.incomplete.map((t) => [t.task, t.status]),
    [['kmeans-k2', 'failed']],
  );
  assert.match(readFileSync(m.incomplete[0].log ?? '', 'utf8'), /no such dataset/);
});

test('every attempt record is complete, the first one written in a new folder too', async () => {
  const root = join(work, 'records');
  const r = await runSweepSpec(validateSpec({ ...spec, axes: { k: [2, 3], seed: [0] } }), { root, entry: stub });
  assert.deepEqual([...r.states.values()], ['completed', 'completed']);
  for (const t of r.plan.tasks) {
    const a = readAttempt(root, t.dir);
    assert.equal(a?.status, 'completed', t.dir);
    assert.deepEqual([a.resumed, a.shard, a.pid, a.signal], [false, 'whole sweep', process.pid, null], t.dir);
    assert.ok(a.host !== '' && a.started_at <= a.ended_at && a.seconds > 0, JSON.stringify(a));
  }
});
