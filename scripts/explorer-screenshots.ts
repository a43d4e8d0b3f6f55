/**
 * The explorer's screenshots in docs/explorer.md: trains a handful of small runs of each kind into
 * a temporary folder (one still training in another process), serves them, and photographs the
 * home page, a DESOM run's page, the live run's page, the compare view, the DESOM map, a
 * signatures run's Sankey (each with a selection) and a digit drawn in the draw panel with
 * Debian's Chromium.
 *
 *   node --import tsx scripts/explorer-screenshots.ts [--out docs/figures]   (~2 min)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy } from '../src/io/npy.js';
import { runToEnd, startRun } from '../src/runs/api.js';
import { startServer } from '../src/serve/server.js';
import { imagesLoaded, launchChromium, numberIn, waitUntil } from '../test/helpers/chromium.js';

const at = process.argv.indexOf('--out');
const outDir = resolve(at > 0 ? process.argv[at + 1] : join('docs', 'figures'));
const root = join(mkdtempSync(join(tmpdir(), 'latentlab-screenshots-')), 'runs');

const train = async (kind: string, runId: string, values: Record<string, unknown>): Promise<void> => {
  process.stderr.write(`explorer-screenshots: ${kind} ${runId}\n`);
  await runToEnd(startRun(kind, { out: root, runId, values }));
};

await train('mlp', 'mlp-sigmoid', { limit: 5000, epochs: 3, log_every: 10 });
await train('mlp', 'mlp-relu-256-128', { limit: 5000, epochs: 3, hidden: [256, 128], activation: 'relu', log_every: 10 });
await train('mlp', 'mlp-1-vs-7', { classes: [1, 7], per_class: 100, hidden: [32, 64], epochs: 20, log_every: 5 });
await train('signatures', 'signatures-1-vs-7', { model: 'mlp-1-vs-7', insert: [4], insert_count: 50, k_range: '2..4', restarts: 3 });
await train('signatures', 'signatures-relu', { model: 'mlp-relu-256-128', limit: 2000, k_range: '5..8', restarts: 2, projection: 'none' });
await train('signatures', 'signatures-draw', { model: 'mlp-relu-256-128', limit: 2000, k_range: '5..8', restarts: 2 });
await train('ae', 'ae-latent-2', { limit: 5000, epochs: 3 });
await train('som', 'som-10x10', { limit: 3000, map: '10x10' });
await train('kmeans', 'kmeans-10', { limit: 3000 });
await train('desom', 'desom-6x6', {
  limit: 5000,
  map: '6x6',
  hidden: [256, 64],
  latent: 10,
  iterations: 800,
  batch_size: 64,
  eval_every: 100,
  eval_sample: 2000,
  log_every: 10,
});

// Served as `runs`, as `latentlab serve` run beside it would: the page then names no temporary folder.
process.chdir(join(root, '..'));
const server = await startServer({ runsDir: 'runs', port: 0 });
const browser = await launchChromium();
const bin = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const live = spawn(
  process.execPath,
  [
    bin,
    '--out',
    root,
    'train',
    'mlp',
    '--limit',
    '20000',
    '--epochs',
    '2',
    '--batch-size',
    '16',
    '--hidden',
    '256,256',
    '--log-every',
    '20',
    '--run-id',
    'mlp-live',
    '--quiet',
  ],
  { stdio: 'ignore' },
);
// A DESOM training while the other pictures are taken: its map is photographed live at the end.
const liveDesom = spawn(
  process.execPath,
  [bin, '--out', root, ...'train desom --limit 10000 --map 8x8 --iterations 20000 --eval-every 200 --eval-sample 3000 --run-id desom-live --quiet'.split(' ')],
  { stdio: 'ignore' },
);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  await page.waitForSelector('tr[data-id="mlp-live"][data-status="running"]', { timeout: 60_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(outDir, 'explorer-home.png') });

  await page.goto(`${server.url}#/run/mlp-live`);
  await waitUntil(async () => (await numberIn(page, '#progress-step')) > 400, 'the live run past step 400', 60_000);
  await page.screenshot({ path: join(outDir, 'explorer-live.png') });

  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.goto(`${server.url}#/run/desom-6x6`);
  await waitUntil(() => imagesLoaded(page, '#figures img'), 'the figures loaded');
  // A tooltip on the loss curve, as a reader hovering it sees.
  const chart = page.locator('#charts .chart[data-type="step"] svg.chart-svg');
  const box = await chart.boundingBox();
  if (box !== null) await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
  await page.screenshot({ path: join(outDir, 'explorer-run.png') });

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}#/compare/mlp-sigmoid,mlp-relu-256-128`);
  await page.waitForSelector('#compare-metrics');
  await page.screenshot({ path: join(outDir, 'explorer-compare.png') });

  // The map, linked: the rows labelled 7 selected as another view would (a lasso in the scatter),
  // their cells lit with their counts, the fullest one hovered.
  const labels = readNpy(join(root, 'som-10x10', 'arrays', 'labels.npy')).data as Int32Array;
  const sevens = Array.from(labels.keys()).filter((i) => labels[i] === 7);
  await page.goto(`${server.url}#/run/som-10x10`);
  await page.waitForSelector('#section-map .map-cell');
  await page.evaluate(
    (rows) =>
      (globalThis as unknown as { __latentlab: { select(r: number[], s: string, l: string): void } }).__latentlab.select(
        rows,
        'scatter',
        `lasso: ${rows.length} points`,
      ),
    sevens,
  );
  await page.locator('#section-map').scrollIntoViewIfNeeded();
  const lit = await Promise.all((await page.locator('.map-cell.lit').all()).map(async (l) => ({ l, n: Number(await l.getAttribute('data-count')) })));
  await lit.sort((x, y) => y.n - x.n)[0]?.l.hover();
  await page.locator('#section-map').screenshot({ path: join(outDir, 'explorer-map.png') });

  // The Sankey: a node of the first hidden layer clicked, its rows' paths drawn over the faded
  // diagram, the band most of them take next hovered (at its start, where bands lie side by side).
  await page.goto(`${server.url}#/run/signatures-relu`);
  await page.waitForSelector('#section-sankey .flow');
  await page.locator('.sankey-svg .node[data-column="1"]').nth(1).click();
  const flows = await Promise.all(
    (await page.locator('.sankey-svg .flow[data-column="1"]').all()).map(async (l) => ({
      selected: Number(await l.getAttribute('data-selected')),
      thickness: Number(await l.getAttribute('data-thickness')),
      start: ((await l.locator('path').first().getAttribute('d')) ?? 'M0,0C').slice(1).split('C')[0].split(',').map(Number),
    })),
  );
  const next = flows.sort((x, y) => y.selected - x.selected)[0];
  if (next !== undefined) await page.locator('.sankey-svg').hover({ position: { x: next.start[0] + 4, y: next.start[1] + Math.min(next.thickness / 2, 3) } });
  await page.locator('#section-sankey').screenshot({ path: join(outDir, 'explorer-sankey.png') });

  // A 7 drawn in the draw panel of a signatures run with projections: the prediction, its marks in
  // both layers' UMAP and its path over the Sankey, the three views in one picture.
  await page.setViewportSize({ width: 1280, height: 2000 });
  await page.goto(`${server.url}#/run/signatures-draw`);
  await page.waitForSelector('#section-sankey .flow');
  await page.waitForSelector('[data-scatter] .scatter-stage');
  const canvas = page.locator('.draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const cb = await canvas.boundingBox();
  if (cb !== null) {
    const at = (x: number, y: number): [number, number] => [cb.x + cb.width * x, cb.y + cb.height * y];
    await page.mouse.move(...at(0.25, 0.22));
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(...at(0.25 + (0.5 * i) / 12, 0.22));
    for (let i = 1; i <= 16; i++) await page.mouse.move(...at(0.75 - (0.3 * i) / 16, 0.22 + (0.6 * i) / 16));
    await page.mouse.up();
  }
  await waitUntil(async () => (await page.locator('.draw').getAttribute('data-prediction')) !== null, 'the drawn 7 run', 60_000);
  await page.waitForTimeout(500);
  // Page coordinates (a bounding box is relative to the scrolled viewport).
  type Box = { getBoundingClientRect(): { top: number; bottom: number } };
  const span = async (sel: string): Promise<{ top: number; bottom: number }> =>
    page.locator(sel).evaluate((e: Box) => {
      const r = e.getBoundingClientRect();
      const y = (globalThis as unknown as { scrollY: number }).scrollY;
      return { top: r.top + y, bottom: r.bottom + y };
    });
  const top = (await span('#section-draw')).top;
  const bottom = (await span('#section-sankey')).bottom;
  await page.screenshot({ path: join(outDir, 'explorer-draw.png'), fullPage: true, clip: { x: 0, y: top, width: 1280, height: bottom - top + 8 } });

  // The DESOM's map while it trains: the snapshot of its last evaluation, with that evaluation's metrics.
  await page.setViewportSize({ width: 1280, height: 1400 });
  await page.goto(`${server.url}#/run/desom-live`);
  await waitUntil(async () => Number((await page.locator('.map-live').getAttribute('data-step')) ?? 0) >= 1000, 'the live DESOM map past step 1000', 300_000);
  await page.locator('#section-map').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  await page.locator('#section-map').screenshot({ path: join(outDir, 'explorer-live-map.png') });
} finally {
  liveDesom.kill('SIGKILL');
  live.kill('SIGKILL');
  await browser.close();
  await server.close();
  rmSync(join(root, '..'), { recursive: true, force: true });
}
process.stderr.write(`explorer-screenshots: written to ${outDir}/explorer-{home,live,run,compare,map,sankey,draw,live-map}.png\n`);
