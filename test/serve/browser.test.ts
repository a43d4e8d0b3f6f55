/**
 * The explorer in a real browser (Debian's Chromium through playwright-core): the home page's
 * table, sorting, filtering and grouping; a run page with its figures loaded; the array preview
 * (binary .npy parsed in the page); the error panel of a damaged run; the compare view; and a run
 * trained by another process while the page watches its step counter climb and its status flip.
 * Every page must load without a console error, so a Content-Security-Policy violation fails it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { imagesLoaded, numberIn, waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { makeMalformed, makeMlp, makeSignatures } from './runs.js';

let trainer: ChildProcess | null = null;
const ex = explorerTest(
  'serve-browser',
  async (root) => {
    await makeMlp(root);
    await makeSignatures(root, 'mlp-a');
    makeMalformed(root);
  },
  () => {
    trainer?.kill('SIGKILL');
  },
);
const { root } = ex;

/** The `name` attribute of every element `selector` matches, in document order. */
async function attrs(p: Page, selector: string, name: string): Promise<string[]> {
  return Promise.all((await p.locator(selector).all()).map(async (l) => (await l.getAttribute(name)) ?? ''));
}
const rowIds = (p: Page): Promise<string[]> => attrs(p, '#runs tbody tr[data-id]', 'data-id');

test('home: every run in a table, signatures under their classifier, sortable and filterable', async () => {
  await ex.page.goto(ex.server.url);
  await ex.page.waitForSelector('#runs tbody tr[data-id="broken"]');
  // Newest first by default; the signatures run right under the classifier it analyses.
  const ids = await rowIds(ex.page);
  assert.deepEqual([...ids].sort(), ['broken', 'mlp-a', 'sig-a']);
  assert.equal(ids[ids.indexOf('mlp-a') + 1], 'sig-a');
  assert.equal(await ex.page.getAttribute('tr[data-id="sig-a"]', 'class'), 'child');
  assert.equal(await ex.page.textContent('tr[data-id="broken"] .badge'), 'error');
  assert.match((await ex.page.textContent('tr[data-id="mlp-a"] td.metric')) ?? '', /test_accuracy 0\.\d+/);

  await ex.page.click('th[data-key="id"] button');
  assert.equal(await ex.page.getAttribute('th[data-key="id"]', 'aria-sort'), 'ascending');
  assert.deepEqual(await rowIds(ex.page), ['broken', 'mlp-a', 'sig-a']);
  await ex.page.click('th[data-key="id"] button');
  assert.equal(await ex.page.getAttribute('th[data-key="id"]', 'aria-sort'), 'descending');
  assert.deepEqual(await rowIds(ex.page), ['mlp-a', 'sig-a', 'broken'], 'children stay under their parent');
  await ex.page.click('th[data-key="status"] button');
  assert.deepEqual(await rowIds(ex.page), ['mlp-a', 'sig-a', 'broken'], 'completed before error');

  await ex.page.fill('#filter', 'sig');
  assert.deepEqual(await rowIds(ex.page), ['sig-a']);
  await ex.page.fill('#filter', '');
  await ex.page.selectOption('#kind-filter', 'mlp');
  assert.deepEqual((await rowIds(ex.page)).sort(), ['broken', 'mlp-a']);
  await ex.page.selectOption('#kind-filter', '');
  assert.equal((await rowIds(ex.page)).length, 3);
});

test('a run page shows its config, metrics, curves and every figure, loaded', async () => {
  await ex.page.click('tr[data-id="sig-a"] td.id a');
  await ex.page.waitForSelector('#figures img');
  await waitUntil(() => imagesLoaded(ex.page, '#figures img'), 'every figure loaded');
  const figures = await attrs(ex.page, '#figures img', 'data-path');
  assert.ok(figures.includes('figures/sankey.svg') && figures.includes('figures/outliers_h1.png'), figures.join(', '));
  assert.equal(await ex.page.getAttribute('#run-status', 'data-status'), 'completed');
  assert.match((await ex.page.textContent('#config-table')) ?? '', /k_range\s*2\.\.3/);
  assert.match((await ex.page.textContent('#metrics-table')) ?? '', /weighted_path_purity/);
  assert.equal(await ex.page.getAttribute('#report-link', 'href'), '/api/runs/sig-a/files/report.html');
  assert.match((await ex.page.textContent('#facts')) ?? '', /analyses\s*mlp-a/);

  await ex.page.goto(`${ex.server.url}#/run/mlp-a`);
  await ex.page.waitForSelector('#charts .chart svg.chart-svg[data-points]');
  assert.equal(await ex.page.getAttribute('#charts .chart[data-type="step"] svg.chart-svg', 'data-points'), '5', 'the five logged losses');
  // The array preview fetches the .npy bytes and parses them in the page.
  await ex.page.click('button[data-preview="test_predictions"]');
  await ex.page.waitForSelector('.array-preview[data-array="test_predictions"] code');
  assert.match((await ex.page.textContent('.array-preview[data-array="test_predictions"]')) ?? '', /^i[48] \(10000\) · min \d · max \d/);
});

test('a damaged run shows an error panel', async () => {
  await ex.page.goto(`${ex.server.url}#/run/broken`);
  await ex.page.waitForSelector('#run-error');
  assert.match((await ex.page.textContent('#run-error')) ?? '', /cannot be read: .*JSON/);
  assert.equal(await ex.page.getAttribute('#run-status', 'data-status'), 'error');
});

test('compare: the selected runs’ curves overlaid and their metrics side by side', async () => {
  await ex.page.goto(ex.server.url);
  await ex.page.waitForSelector('#runs tbody tr[data-id="mlp-a"]');
  assert.equal(await ex.page.isDisabled('#compare'), true);
  await ex.page.check('tr[data-id="mlp-a"] input[type=checkbox]');
  await ex.page.check('tr[data-id="sig-a"] input[type=checkbox]');
  await ex.page.click('#compare');
  await ex.page.waitForSelector('#compare-metrics');
  const heads = await ex.page.locator('#compare-metrics thead th a').allTextContents();
  assert.deepEqual(heads, ['mlp-a', 'sig-a']);
  assert.match((await ex.page.textContent('#compare-metrics')) ?? '', /test_accuracy/);
  assert.equal(await ex.page.getAttribute('#compare-chart svg.chart-svg', 'data-points'), '5');
});

test('a run trained by another process: the page follows its steps live and sees it complete', async () => {
  await ex.page.goto(ex.server.url);
  await ex.page.waitForSelector('#runs tbody tr[data-id="mlp-a"]');
  const bin = new URL('../../bin/latentlab.mjs', import.meta.url).pathname;
  // ~750 steps of a 256-256 network on batches of 8: a few seconds of training, logged every 10 steps.
  trainer = spawn(
    process.execPath,
    [
      bin,
      '--out',
      root,
      'train',
      'mlp',
      '--limit',
      '6000',
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--hidden',
      '256,256',
      '--log-every',
      '10',
      '--run-id',
      'live',
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  trainer.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  // The home page sees it appear and run.
  // Generous bounds: the trainer shares the CPU with the other test files (these are not speed checks).
  await ex.page.waitForSelector('tr[data-id="live"][data-status="running"]', { timeout: 60_000 });
  await ex.page.click('tr[data-id="live"] td.id a');
  // Generous: under a loaded CPU the run page's first fetch can wait on the training process.
  await ex.page.waitForSelector('#run-status[data-status="running"]', { timeout: 90_000 });
  const step = (): Promise<number> => numberIn(ex.page, '#progress-step');
  await waitUntil(async () => (await step()) > 0, 'a first step shown');
  const first = await step();
  await waitUntil(async () => (await step()) > first, `the step counter passing ${first}`);
  assert.equal(await ex.page.textContent('#progress-total'), '750');
  await ex.page.waitForSelector('#run-status[data-status="completed"]', { timeout: 120_000 });
  assert.equal(await ex.page.isHidden('#live'), true, 'the progress panel goes once it is done');
  await ex.page.waitForSelector('#figures img');
  assert.match((await ex.page.textContent('#metrics-table')) ?? '', /test_accuracy/);
  const points = Number(await ex.page.getAttribute('#charts .chart[data-type="step"] svg.chart-svg', 'data-points'));
  assert.equal(points, 75, `every logged step drawn; trainer said: ${stderr}`);
});

test('no page logged an error (a CSP violation would)', () => {
  assert.deepEqual(ex.problems, []);
});
