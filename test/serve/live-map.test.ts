/**
 * The live map of a training DESOM in a real browser (Debian's Chromium through playwright-core):
 * another process trains a small DESOM; the run page draws the map from the snapshot the training
 * writes at each evaluation (arrays/live_*.npy), advances it as new evaluations arrive while keeping
 * the chosen layer and pinned cell, and gives way to the final, linked map once the run completes.
 * The trainer is paused (SIGSTOP) while the page is checked and let go (SIGCONT) until its next
 * evaluation, so a fast machine cannot finish the run before the page has seen it and a slow one
 * only takes longer. Also, without a browser: a snapshot's class counts give the class map that
 * per-row BMUs and labels give.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { readNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { LIVE_ARRAYS } from '../../src/runs/kinds/desom/live.js';
import { cellLabels } from '../../src/som/cells.js';
import { cellLabelsOfCounts } from '../../web/map-model.js';
import { waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';

let trainer: ChildProcess | null = null;
// The runs folder starts empty: the test's trainer writes the one run.
const ex = explorerTest(
  'live-map',
  () => {},
  () => trainer?.kill('SIGKILL'),
);
const { root } = ex;
const RUN = 'live-desom';
const runDir = join(root, RUN);
let stderr = '';
/** Generous: the trainer and the browser share the CPU with the other test files (these are not speed checks). */
const SLOW = 90_000;

/** The iterations of the eval records that announce a snapshot, so far (whole lines only). */
function snapshots(): number[] {
  const path = join(runDir, 'events.jsonl');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'eval' && e.snapshot === true)
    .map((e) => e.iteration as number);
}
const lastSnapshot = (): number => snapshots().at(-1) ?? -1;

/**
 * Lets the trainer run until `cond` holds, then pauses it again. Looked at every few ms: on a fast
 * machine an evaluation comes every few tens of ms, and the run must not end before the page has
 * seen it.
 */
async function runTrainerUntil(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + SLOW;
  trainer!.kill('SIGCONT');
  try {
    while (!cond() && trainer!.exitCode === null) {
      if (Date.now() > deadline) throw new Error(`runTrainerUntil: ${what} did not happen within ${SLOW} ms: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    trainer!.kill('SIGSTOP');
  }
  assert.ok(cond(), `${what}: the trainer ended first (${trainer!.exitCode}): ${stderr}`);
}

const liveStep = async (p: Page): Promise<number> => Number((await p.getAttribute('#section-map .map-live', 'data-step')) ?? NaN);

test('a snapshot’s class counts give the class map of its rows’ BMUs and labels', () => {
  const rng = new Rng(3);
  const K = 12;
  const C = 4;
  const bmus = Int32Array.from({ length: 300 }, () => Math.floor(rng.uniform() * (K - 1))); // the last cell stays empty
  const labels = Int32Array.from(bmus, (b) => (rng.uniform() < 0.6 ? b % C : Math.floor(rng.uniform() * C)));
  const counts = new Int32Array(K * C);
  for (let i = 0; i < bmus.length; i++) counts[bmus[i] * C + labels[i]]++;
  assert.deepEqual(cellLabelsOfCounts(counts, K, C), cellLabels(bmus, labels, K));
  // Ties go to the smaller class, as in cellLabels.
  assert.deepEqual([...cellLabelsOfCounts([0, 2, 2, 0], 1, 4).label], [1]);
  assert.throws(() => cellLabelsOfCounts(counts, K, C + 1), /expected 12 cells × 5 classes/);
});

test('a training DESOM’s map is drawn live, advances with its evaluations, then gives way to the final map', async () => {
  const bin = new URL('../../bin/latentlab.mjs', import.meta.url).pathname;
  // A 4×4 DESOM on 600 rows: 1,000 steps of 32 with an evaluation (and a snapshot) every 50.
  trainer = spawn(
    process.execPath,
    [
      bin,
      '--out',
      root,
      'train',
      'desom',
      ...['--limit', '600', '--map', '4x4', '--hidden', '64', '--latent', '4', '--iterations', '1000', '--batch-size', '32'],
      ...['--eval-every', '50', '--eval-sample', '300', '--log-every', '50', '--projection', 'none', '--run-id', RUN, '--quiet'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  trainer.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  await runTrainerUntil(() => snapshots().length >= 2, 'a first snapshot after the initial one');

  // The trainer is paused: the page shows the snapshot of its last evaluation.
  const first = lastSnapshot();
  await ex.page.goto(`${ex.server.url}#/run/${RUN}`);
  await ex.page.waitForSelector('#run-status[data-status="running"]', { timeout: SLOW });
  await ex.page.waitForSelector(`#section-map .map-live[data-step="${first}"] .map-view[data-layer="prototypes"]`, { timeout: SLOW });
  assert.match((await ex.page.textContent('#section-map .map-live-head')) ?? '', new RegExp(`^Map at step ${first}\\s*live$`));
  assert.match(
    (await ex.page.textContent('#section-map .map-live-metrics')) ?? '',
    /^Evaluation on 300 rows: purity [\d.]+ · NMI [\d.e+-]+ · NMI \(geometric\) [\d.e+-]+ · QE [\d.e+-]+ · TE [\d.e+-]+$/,
  );
  assert.equal(await ex.page.locator('#section-map .map-cell').count(), 16);

  // The snapshot on disk, as the page read it.
  const arr = (name: string) => readNpy(join(runDir, 'arrays', `${name}.npy`));
  assert.deepEqual(arr('live_prototypes').shape, [16, 4]);
  assert.deepEqual(arr('live_decoded_prototypes').shape, [16, 784]);
  const hits = arr('live_hits').data as Int32Array;
  const counts = arr('live_class_counts');
  assert.deepEqual(counts.shape, [16, 10]);
  assert.equal(
    hits.reduce((a, b) => a + b, 0),
    300,
  );
  for (let k = 0; k < 16; k++) {
    const row = (counts.data as Int32Array).subarray(k * 10, (k + 1) * 10);
    assert.equal(
      row.reduce((a, b) => a + b, 0),
      hits[k],
      `cell ${k}'s classes add up to its hits`,
    );
  }

  // The user's layer and pinned cell survive the next snapshot.
  await ex.page.click('#section-map button[data-layer="hits"]');
  const busiest = hits.indexOf(Math.max(...hits));
  await ex.page.click(`#section-map .map-cell[data-cell="${busiest}"]`);
  await ex.page.waitForSelector(`#section-map .map-view[data-pinned="${busiest}"]`);
  assert.match((await ex.page.textContent('#section-map .map-status')) ?? '', new RegExp(`cell \\(\\d, \\d\\) · ${hits[busiest]} rows`));
  await runTrainerUntil(() => lastSnapshot() > first, `a snapshot after step ${first}`);
  const second = lastSnapshot();
  await waitUntil(async () => (await liveStep(ex.page)) === second, `the map advancing to step ${second} (it shows ${await liveStep(ex.page)})`, SLOW);
  assert.equal(await ex.page.getAttribute('#section-map .map-view', 'data-layer'), 'hits');
  assert.equal(await ex.page.getAttribute('#section-map .map-view', 'data-pinned'), String(busiest));
  assert.equal(await ex.page.locator('#section-map .map-cell.pinned').count(), 1);

  // Let it finish: the final map, linked to the run's rows, replaces the live one.
  trainer.kill('SIGCONT');
  await ex.page.waitForSelector('#run-status[data-status="completed"]', { timeout: SLOW });
  await ex.page.waitForSelector('#section-map > .map-view[data-layer="prototypes"]', { timeout: SLOW });
  assert.equal(await ex.page.locator('#section-map .map-live').count(), 0);
  const bmus = arr('bmus').data as Int32Array;
  const finalHits = Array.from({ length: 16 }, (_, k) => bmus.filter((b) => b === k).length);
  const cell = finalHits.indexOf(Math.max(...finalHits));
  await ex.page.click(`#section-map .map-cell[data-cell="${cell}"]`);
  await waitUntil(
    async () => (await ex.page.getAttribute('#section-map .map-view', 'data-selected-count')) === String(finalHits[cell]),
    'a cell of the final map selecting its rows',
  );
  for (const name of LIVE_ARRAYS) assert.equal(existsSync(join(runDir, 'arrays', `${name}.npy`)), false, `${name}.npy deleted at the end`);
  // A live map that asks for the snapshot just after the run deleted it gets a 204, which the
  // browser does not log as an error (a 404 would be: see the last test).
  const statuses = await ex.page.evaluate(
    (urls) => Promise.all(urls.map(async (u) => (await fetch(u)).status)),
    LIVE_ARRAYS.map((n) => `/api/runs/${RUN}/arrays/${n}?optional=1`),
  );
  assert.deepEqual(statuses, [204, 204, 204, 204]);
  assert.ok(snapshots().length >= 21, `every evaluation announced its snapshot; trainer said: ${stderr}`);
});

test('no page logged an error (a CSP violation would)', () => {
  assert.deepEqual(ex.problems, []);
});
