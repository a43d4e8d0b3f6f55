/**
 * The runs API drives any kind the same way: a kind that is not in the registry (the one-file
 * example of docs/architecture.md) makes a complete run directory, is listed, read and evaluated;
 * bad requests are UsageErrors that leave nothing behind; a training that throws leaves a failed run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nearestCentroidKind } from '../examples/kinds/nearest-centroid.js';
import { evaluateRun, listRuns, openRun, readRunArray, readRunEvents, resumeRun, runToEnd, startRun, type RunKind, type RunEvent } from '../src/runs/api.js';
import { UsageError } from '../src/runs/errors.js';

const out = mkdtempSync(join(tmpdir(), 'latentlab-runs-api-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('a kind outside the registry trains, lists, reads and evaluates through the API', async () => {
  const events: RunEvent[] = [];
  const result = await runToEnd(startRun(nearestCentroidKind, { out, runId: 'nc', values: { backend: 'js', limit: 600, test_limit: 200 } }), (e) =>
    events.push(e),
  );
  assert.equal(result.status, 'completed');
  assert.deepEqual(events[0], { type: 'notice', message: `run nc → ${join(out, 'nc')}` });
  assert.ok(result.metrics.test_accuracy > 0.5 && result.metrics.test_accuracy <= 1, `test accuracy ${result.metrics.test_accuracy}`);

  const run = openRun('nc', out);
  assert.equal(run.kind, 'nearest-centroid');
  assert.equal(run.status, 'completed');
  assert.deepEqual(run.summary?.metrics, result.metrics);
  assert.equal(run.config.limit, 600);
  assert.equal(run.config.dataset, 'mnist');

  const rows = listRuns(out, { kind: 'nearest-centroid' });
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].headline, { name: 'test_accuracy', value: result.metrics.test_accuracy });
  assert.deepEqual(listRuns(out, { status: 'failed' }), []);

  const pred = readRunArray('nc', 'test_predictions', out);
  assert.deepEqual(pred.shape, [200]);
  assert.deepEqual(
    readRunEvents(run, 'final').map((e) => e.test_accuracy),
    [result.metrics.test_accuracy],
  );

  // Scored again on the rows it was tested on (its test_limit applies): the same accuracy.
  const scored = await evaluateRun('nc', { out, kind: nearestCentroidKind });
  assert.deepEqual(scored.metrics, { test_accuracy: result.metrics.test_accuracy });
  assert.equal(scored.rows, 200);
  await assert.rejects(
    evaluateRun('nc', { out }),
    (e: unknown) => e instanceof UsageError && /"nearest-centroid" run; eval supports mlp, cnn, ae/.test(e.message),
  );
});

test('a bad config value is a UsageError naming the key, and leaves no run folder', async () => {
  const before = readdirSync(out).length;
  await assert.rejects(
    runToEnd(startRun(nearestCentroidKind, { out, values: { limit: 0 } })),
    (e: unknown) => e instanceof UsageError && /limit/.test(e.message),
  );
  await assert.rejects(runToEnd(startRun('no-such-kind', { out })), (e: unknown) => e instanceof UsageError && /no run kind "no-such-kind"/.test(e.message));
  assert.equal(readdirSync(out).length, before);
});

test('a training that throws leaves a failed run that says why', async () => {
  const broken: RunKind = {
    ...(nearestCentroidKind as unknown as RunKind),
    name: 'broken',
    async *train(session) {
      yield { type: 'notice', message: 'starting' };
      await Promise.resolve();
      session.writeConfig({});
      session.begin(0, 1, {});
      throw new Error('the data is on fire');
    },
  };
  await assert.rejects(runToEnd(startRun(broken, { out, runId: 'broken-1' })), /the data is on fire/);
  const run = openRun('broken-1', out);
  assert.equal(run.status, 'failed');
  assert.equal(run.summary?.error, 'the data is on fire');
  assert.ok(!existsSync(join(run.path, 'run.lock')), 'the lock is given back');
});

test('resuming a completed run is refused', async () => {
  await assert.rejects(
    runToEnd(resumeRun('nc', { out, kind: nearestCentroidKind })),
    (e: unknown) => e instanceof UsageError && /already completed/.test(e.message),
  );
});
