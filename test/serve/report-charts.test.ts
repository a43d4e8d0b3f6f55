/**
 * report.html's interactive charts and the explorer chart's zoom, in a real browser (Debian's
 * Chromium through playwright-core). A report opened from disk (file://) swaps each chart image
 * that carries data for a LineChart: hover values, legend toggles, drag / wheel / keyboard zoom,
 * double-click and button resets. The same report served by the explorer (sandbox CSP, no
 * scripts) keeps its images. On the explorer's run page the chart zooms the same way, and a zoom
 * survives points appended live.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { build } from 'esbuild';
import type { Locator, Page } from 'playwright-core';
import { runToEnd, startRun } from '../../src/runs/api.js';
import { renderReport } from '../../src/viz/report.js';
import { loadReportScript } from '../../src/viz/report-script.js';
import { waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { makeSignatures } from './runs.js';

const ex = explorerTest('report-charts', async (root) => {
  // Three epochs, so the loss and accuracy charts have a few points each.
  await runToEnd(startRun('mlp', { out: root, runId: 'mlp-a', values: { limit: 300, epochs: 3, log_every: 1 } }));
  await makeSignatures(root, 'mlp-a');
});
const { root } = ex;

/** The chart's geometry as web/chart.ts draws it: a 720 × 260 viewBox, the plot inside these margins. */
const VIEW = { w: 720, h: 260, left: 60, right: 16, top: 12, bottom: 38 };

/** Page coordinates of data x `x` (on an axis showing [x0, x1]) at mid-height of the plot of `svg`. */
async function at(svg: Locator, x: number, x0: number, x1: number): Promise<{ x: number; y: number }> {
  await svg.scrollIntoViewIfNeeded();
  const box = await svg.boundingBox();
  assert.ok(box !== null, 'the chart is on screen');
  const pw = VIEW.w - VIEW.left - VIEW.right;
  const sx = VIEW.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = VIEW.top + (VIEW.h - VIEW.top - VIEW.bottom) / 2;
  return { x: box.x + (sx / VIEW.w) * box.width, y: box.y + (sy / VIEW.h) * box.height };
}

/** The numbers under the x axis. */
async function xTicks(svg: Locator): Promise<number[]> {
  return (await svg.locator('.x-tick').allTextContents()).map(Number);
}

async function drag(p: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await p.mouse.move(from.x, from.y);
  await p.mouse.down();
  await p.mouse.move((from.x + to.x) / 2, to.y, { steps: 4 });
  await p.mouse.move(to.x, to.y, { steps: 4 });
}

const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"><rect width="300" height="100" fill="#eee"/></svg>').toString();

test('a report opened from disk turns its chart images into interactive charts: tooltip, legend, drag zoom, reset', async () => {
  const script = await loadReportScript();
  assert.equal(script.source, 'memory');
  const x = Array.from({ length: 201 }, (_, i) => i);
  const file = join(ex.tmp, 'report.html');
  writeFileSync(
    file,
    renderReport({
      title: 'charts',
      chartScript: script.code,
      sections: [
        {
          heading: 'Training',
          figures: [
            {
              title: 'Loss',
              svg,
              file: 'figures/loss.svg',
              chart: {
                title: 'Loss per epoch',
                xLabel: 'epoch',
                yLabel: 'loss',
                series: [
                  { name: 'train', x, y: x.map((i) => 1 / (1 + i / 10)) },
                  { name: 'test', x: x.filter((i) => i % 10 === 0), y: x.filter((i) => i % 10 === 0).map((i) => 2 / (1 + i / 10)) },
                ],
              },
            },
            { title: 'Static', svg },
          ],
        },
      ],
    }),
  );
  await ex.page.goto(pathToFileURL(file).href);
  const chart = ex.page.locator('figure.has-chart .report-chart svg.chart-svg');
  await chart.waitFor();
  await waitUntil(async () => (await chart.getAttribute('data-points')) === '222', 'both series drawn');
  assert.equal(await ex.page.locator('img[alt="Loss"]').count(), 0, 'the image was replaced');
  assert.equal(await ex.page.locator('img[alt="Static"]').count(), 1, 'a figure without data keeps its image');
  assert.equal(await ex.page.textContent('figure.has-chart .chart-head figcaption'), 'Loss per epoch');
  const full = await xTicks(chart);
  assert.deepEqual([full[0], full[full.length - 1]], [0, 200]);

  // Hover: the values at epoch 100 (train 1/11, test 2/11), 4 significant digits.
  const p100 = await at(chart, 100, 0, 200);
  await ex.page.mouse.move(p100.x, p100.y);
  const tip = ex.page.locator('figure.has-chart .tooltip');
  await tip.waitFor({ state: 'visible' });
  const text = (await tip.textContent()) ?? '';
  assert.match(text, /^epoch 100/);
  assert.match(text, /train: 0\.09091/);
  assert.match(text, /test: 0\.1818/);

  // The legend hides a series.
  await ex.page.click('figure.has-chart .legend-item:has-text("test")');
  assert.equal(await ex.page.getAttribute('figure.has-chart .legend-item:has-text("test")', 'aria-pressed'), 'false');
  await waitUntil(async () => (await chart.getAttribute('data-points')) === '201', 'the test series hidden');
  assert.equal(await chart.locator('g[data-series="test"]').count(), 0);

  // Dragging from epoch 50 to 100 shows a band, then zooms to that interval.
  const reset = ex.page.locator('figure.has-chart button.zoom-reset');
  assert.equal(await reset.isHidden(), true, 'no reset button before a zoom');
  await drag(ex.page, await at(chart, 50, 0, 200), p100);
  assert.equal(await chart.locator('.zoom-band').count(), 1, 'the band shows while dragging');
  await ex.page.mouse.up();
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) !== null, 'the zoom applied');
  const [z0, z1] = ((await chart.getAttribute('data-zoom')) ?? '').split(' ').map(Number);
  assert.ok(Math.abs(z0 - 50) < 1 && Math.abs(z1 - 100) < 1, `zoomed to ${z0} … ${z1}`);
  const ticks = await xTicks(chart);
  assert.ok(ticks.length >= 3 && ticks[0] >= 50 && ticks[ticks.length - 1] <= 100, `ticks ${ticks.join(', ')}`);
  assert.equal(await chart.locator('.zoom-band').count(), 0, 'the band goes with the drag');
  assert.equal(await reset.isVisible(), true);
  // The tooltip still answers, inside the zoom.
  const p75 = await at(chart, 75, z0, z1);
  await ex.page.mouse.move(p75.x, p75.y);
  await waitUntil(async () => /^epoch 75/.test((await tip.textContent()) ?? ''), 'the tooltip at epoch 75 while zoomed');
  assert.match((await tip.textContent()) ?? '', /train: 0\.1176/);

  // Double-click resets.
  await ex.page.mouse.dblclick(p75.x, p75.y);
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) === null, 'the zoom reset by a double-click');
  assert.deepEqual(await xTicks(chart), full);
  assert.equal(await reset.isHidden(), true);

  // The wheel zooms around the cursor; the button resets.
  await ex.page.mouse.move(p100.x, p100.y);
  await ex.page.mouse.wheel(0, -400);
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) !== null, 'the wheel zoomed in');
  const [w0, w1] = ((await chart.getAttribute('data-zoom')) ?? '').split(' ').map(Number);
  assert.ok(w0 < 100 && w1 > 100 && w1 - w0 < 200, `wheel zoom ${w0} … ${w1} around 100`);
  await reset.click();
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) === null, 'the reset button');

  // The keyboard: + zooms on the focused chart, Escape resets.
  await chart.focus();
  await ex.page.keyboard.press('+');
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) !== null, '+ zoomed in');
  await ex.page.keyboard.press('Escape');
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) === null, 'Escape reset');
});

test("a real run's report.html: its loss and accuracy charts interactive from disk, static in the explorer", async () => {
  const file = join(root, 'mlp-a', 'report.html');
  const html = readFileSync(file, 'utf8');
  assert.equal(html.match(/class="latentlab-chart"/g)?.length, 2, 'loss and accuracy carry data');
  assert.equal(html.match(/<script>/g)?.length, 1, 'one script');
  await ex.page.goto(pathToFileURL(file).href);
  await ex.page.locator('.report-chart svg.chart-svg[data-points]').first().waitFor();
  assert.equal(await ex.page.locator('.report-chart').count(), 2);
  assert.equal(await ex.page.locator('img[alt="Loss"], img[alt="Test accuracy"]').count(), 0);
  assert.equal(await ex.page.locator('img[alt="Confusion matrix"]').count(), 1);
  assert.deepEqual(await ex.page.locator('.report-chart .legend-item').allTextContents(), ['train', 'test', 'test accuracy']);
  const loss = ex.page.locator('.report-chart svg.chart-svg').first();
  assert.equal(await loss.getAttribute('data-points'), '6', 'train and test at 3 epochs');
  const p2 = await at(loss, 2, 1, 3);
  await ex.page.mouse.move(p2.x, p2.y);
  const tip = ex.page.locator('.report-chart .tooltip').first();
  await tip.waitFor({ state: 'visible' });
  const events = readFileSync(join(root, 'mlp-a', 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const epoch2 = events.find((e) => e.type === 'epoch' && e.epoch === 1) as { loss: number };
  assert.match((await tip.textContent()) ?? '', new RegExp(`^epoch 2.*train: ${String(Number(epoch2.loss.toPrecision(4))).replace('.', '\\.')}`));

  // The signatures run's silhouette and elbow charts.
  const sig = readFileSync(join(root, 'sig-a', 'report.html'), 'utf8');
  assert.equal(sig.match(/class="latentlab-chart"/g)?.length, 2, 'silhouette and inertia carry data');
  await ex.page.goto(pathToFileURL(join(root, 'sig-a', 'report.html')).href);
  await ex.page.locator('.report-chart svg.chart-svg[data-points]').first().waitFor();
  assert.deepEqual(await ex.page.locator('.report-chart figcaption').allTextContents(), ['Mean silhouette per layer', 'Inertia per layer']);

  // Served by the explorer, run files get a sandbox CSP without scripts: the images stay.
  const blocked = await ex.browser.newPage();
  await blocked.goto(`${ex.server.url}api/runs/mlp-a/files/report.html`);
  assert.equal(await blocked.locator('img[alt="Loss"]').count(), 1);
  assert.equal(await blocked.locator('.report-chart').count(), 0);
  await blocked.close();
});

test("the explorer's run-page chart zooms by dragging and resets by double-click", async () => {
  await ex.page.goto(`${ex.server.url}#/run/mlp-a`);
  const chart = ex.page.locator('#charts .chart[data-type="step"] svg.chart-svg');
  await ex.page.waitForSelector('#charts .chart[data-type="step"] svg.chart-svg[data-points]');
  const full = await xTicks(chart);
  const [f0, f1] = [full[0], full[full.length - 1]];
  assert.ok(f1 > f0, `ticks ${full.join(', ')}`);
  const span = f1 - f0;
  await drag(ex.page, await at(chart, f0 + span * 0.25, f0, f1), await at(chart, f0 + span * 0.6, f0, f1));
  await ex.page.mouse.up();
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) !== null, 'the explorer chart zoomed');
  const zoomed = await xTicks(chart);
  assert.ok(zoomed[0] >= f0 + span * 0.2 && zoomed[zoomed.length - 1] <= f0 + span * 0.65, `zoomed ticks ${zoomed.join(', ')}`);
  assert.equal(await ex.page.isVisible('#charts .chart[data-type="step"] button.zoom-reset'), true);
  const mid = await at(chart, f0 + span * 0.4, f0, f1);
  await ex.page.mouse.dblclick(mid.x, mid.y);
  await waitUntil(async () => (await chart.getAttribute('data-zoom')) === null, 'reset by a double-click');
  assert.deepEqual(await xTicks(chart), full);
});

test('a zoom stays while points are appended live, and the y axis follows the visible points', async () => {
  // web/chart.ts on its own, on a blank page: the test drives it through `window.chart`.
  const out = await build({
    stdin: {
      contents: "import { LineChart } from './web/chart.ts'; const c = new LineChart({ xLabel: 'step' }); document.body.append(c.element); window.chart = c;",
      resolveDir: new URL('../..', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const live = await ex.browser.newPage({ viewport: { width: 900, height: 500 } });
  try {
    await live.setContent('<!doctype html><body></body>');
    await live.addScriptTag({ content: out.outputFiles[0].text });
    type Chart = { append(name: string, pts: [number, number][]): void; zoomTo(a: number, b: number): void; zoomRange: [number, number] | null };
    await live.evaluate(() => {
      const c = (globalThis as unknown as { chart: Chart }).chart;
      c.append(
        'loss',
        Array.from({ length: 100 }, (_, i) => [i, i < 50 ? 10 : 1] as [number, number]),
      );
      c.zoomTo(60, 90);
    });
    const chart = live.locator('svg.chart-svg');
    await waitUntil(async () => (await chart.getAttribute('data-zoom')) === '60 90', 'zoomed to 60 … 90');
    // Only values of 1 inside the zoom: the y axis is about 0.5 … 1.5, not 0 … 10.
    const yTicks = (await chart.locator('.tick:not(.x-tick)').allTextContents()).map(Number);
    assert.ok(Math.max(...yTicks) < 2, `y ticks ${yTicks.join(', ')}`);
    await live.evaluate(() =>
      (globalThis as unknown as { chart: Chart }).chart.append(
        'loss',
        Array.from({ length: 100 }, (_, i) => [100 + i, 1] as [number, number]),
      ),
    );
    await waitUntil(async () => (await chart.getAttribute('data-points')) === '200', 'the appended points drawn');
    assert.equal(await chart.getAttribute('data-zoom'), '60 90', 'the zoom kept');
    assert.deepEqual(await live.evaluate(() => (globalThis as unknown as { chart: Chart }).chart.zoomRange), [60, 90]);
  } finally {
    await live.close();
  }
});

test('no page logged an error', () => {
  assert.deepEqual(ex.problems, []);
});
