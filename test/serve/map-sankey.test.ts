/**
 * The map and Sankey views of the linked exploration in a real browser (Debian's Chromium through
 * playwright-core): clicking a DESOM map cell selects exactly the rows whose BMU it is; a selection
 * made elsewhere lights the cells with their counts; the layers repaint; a hexagonal SOM's cells sit
 * on their lattice and its component planes pick pixels; clicking a Sankey band or node selects
 * exactly its rows of paths.npy; a selection made elsewhere is drawn as bands as thick as its rows;
 * the inserted classes are drawn but not selectable. The page's selection is read through
 * `window.__latentlab` (web/debug-hook.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { readNpy } from '../../src/io/npy.js';
import { runToEnd, startRun } from '../../src/runs/api.js';
import { waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { makeDesom } from './runs.js';

const ex = explorerTest('map-sankey', async (root) => {
  await makeDesom(root);
  // A hexagonal SOM on raw pixels (component planes are pixels), and signatures with an inserted
  // class: a 2-layer classifier of 0, 1, 2, and the 7s it never saw.
  await runToEnd(startRun('som', { out: root, runId: 'som-hex', values: { limit: 300, map: '3x4', topology: 'hexagonal', epochs: 2 } }));
  await runToEnd(startRun('mlp', { out: root, runId: 'mlp-sub', values: { limit: 600, epochs: 1, classes: [0, 1, 2], hidden: [16, 16] } }));
  await runToEnd(
    startRun('signatures', {
      out: root,
      runId: 'sig-ins',
      values: { model: 'mlp-sub', k_range: '2..3', restarts: 1, projection: 'none', insert: [7], insert_count: 30 },
    }),
  );
});
const { root } = ex;

const ints = (run: string, name: string): Int32Array => readNpy(join(root, run, 'arrays', `${name}.npy`)).data as Int32Array;
const where = (n: number, pred: (i: number) => boolean): number[] => Array.from({ length: n }, (_, i) => i).filter(pred);

interface Hook {
  __latentlab: { selectedRows(): number[]; select(rows: number[], source?: string, label?: string): void };
}
const selectedRows = (p: Page): Promise<number[]> => p.evaluate(() => (globalThis as unknown as Hook).__latentlab.selectedRows());
const selectFromElsewhere = (p: Page, rows: number[]): Promise<void> =>
  p.evaluate((r) => (globalThis as unknown as Hook).__latentlab.select(r, 'scatter:test', `lasso: ${r.length} points`), rows);

/** A hash of the map canvas' pixels, and how many distinct grey/colour values it has (a blank canvas has 1). */
async function canvasPixels(p: Page): Promise<{ hash: number; distinct: number }> {
  type Canvas = {
    width: number;
    height: number;
    getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  };
  return p.locator('.map-canvas').evaluate((c: Canvas) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 0;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      seen.add(v);
      hash = (Math.imul(hash, 31) + v) | 0;
    }
    return { hash, distinct: seen.size };
  });
}

/** `data-count` of every lit cell, by cell. */
async function litCounts(p: Page): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const l of await p.locator('.map-cell.lit').all()) out.set(Number(await l.getAttribute('data-cell')), Number(await l.getAttribute('data-count')));
  return out;
}

test('DESOM map: a cell click selects exactly its rows; shift-click adds a cell; clear empties', async () => {
  const bmus = ints('desom-a', 'bmus');
  const hits = Array.from({ length: 9 }, (_, k) => bmus.filter((b) => b === k).length);
  const byHits = [...hits.keys()].sort((a, b) => hits[b] - hits[a]);
  await ex.page.goto(`${ex.server.url}#/run/desom-a`);
  await ex.page.waitForSelector('#section-map .map-view[data-layer="prototypes"]');
  assert.equal(await ex.page.locator('.map-cell').count(), 9);
  assert.equal(await ex.page.getAttribute('.map-view', 'data-topology'), 'rectangular');
  assert.ok((await canvasPixels(ex.page)).distinct > 20, 'the decoded prototypes are drawn');

  const [k, k2] = byHits;
  await ex.page.click(`.map-cell[data-cell="${k}"]`);
  await waitUntil(async () => (await ex.page.getAttribute('.map-view', 'data-selected-count')) === String(hits[k]), 'the cell selected');
  assert.deepEqual(
    await selectedRows(ex.page),
    where(bmus.length, (i) => bmus[i] === k),
  );
  assert.deepEqual([...(await litCounts(ex.page))], [[k, hits[k]]]);
  assert.equal(await ex.page.textContent(`.map-count[data-cell="${k}"]`), String(hits[k]));

  await ex.page.click(`.map-cell[data-cell="${k2}"]`, { modifiers: ['Shift'] });
  await waitUntil(async () => (await ex.page.getAttribute('.map-view', 'data-selected-count')) === String(hits[k] + hits[k2]), 'the second cell added');
  assert.deepEqual(
    await selectedRows(ex.page),
    where(bmus.length, (i) => bmus[i] === k || bmus[i] === k2),
  );
  assert.match((await ex.page.textContent('.map-status')) ?? '', /rows selected \(cells \(\d, \d\), \(\d, \d\)\) in 2 cells/);

  await ex.page.click('.map-status button[data-action="clear"]');
  await waitUntil(async () => (await ex.page.getAttribute('.map-view', 'data-selected-count')) === '0', 'the selection cleared');
  assert.equal(await ex.page.locator('.map-cell.lit').count(), 0);
});

test('DESOM map: a selection made in another view lights the cells holding its rows, with their counts', async () => {
  const bmus = ints('desom-a', 'bmus');
  const rows = where(bmus.length, (i) => i % 7 === 3 || i < 5);
  await selectFromElsewhere(ex.page, rows);
  await waitUntil(async () => (await ex.page.getAttribute('.map-view', 'data-selected-count')) === String(rows.length), 'the selection shown');
  const expected = new Map<number, number>();
  for (const r of rows) expected.set(bmus[r], (expected.get(bmus[r]) ?? 0) + 1);
  assert.deepEqual(
    [...(await litCounts(ex.page))].sort((a, b) => a[0] - b[0]),
    [...expected].sort((a, b) => a[0] - b[0]),
  );
  for (const [cell, count] of expected) assert.equal(await ex.page.textContent(`.map-count[data-cell="${cell}"]`), String(count));
  assert.match((await ex.page.textContent('.map-status')) ?? '', new RegExp(`${rows.length} rows selected \\(lasso: ${rows.length} points\\)`));
});

test('DESOM map: every layer repaints the canvas and says what it shows', async () => {
  const seen = new Set<number>([(await canvasPixels(ex.page)).hash]);
  const legends: Record<string, RegExp> = {
    umatrix: /mean distance to neighbours/,
    hits: /rows per cell/,
    classes: /majority class/,
    component: /component z\d/,
  };
  for (const [layer, legend] of Object.entries(legends)) {
    await ex.page.click(`.map-layers button[data-layer="${layer}"]`);
    await ex.page.waitForSelector(`.map-view[data-layer="${layer}"]`);
    assert.equal(await ex.page.getAttribute(`.map-layers button[data-layer="${layer}"]`, 'aria-pressed'), 'true');
    const px = await canvasPixels(ex.page);
    assert.ok(!seen.has(px.hash), `layer ${layer} painted something new`);
    seen.add(px.hash);
    assert.match((await ex.page.textContent('.map-side')) ?? '', legend);
  }
  // A latent feature of the DESOM: another one repaints the plane.
  const before = (await canvasPixels(ex.page)).hash;
  await ex.page.fill('.feature-input', '2');
  await ex.page.press('.feature-input', 'Enter');
  await ex.page.waitForSelector('.map-view[data-feature="2"]');
  assert.notEqual((await canvasPixels(ex.page)).hash, before);
  // The selection survives a change of layer.
  assert.ok((await ex.page.locator('.map-cell.lit').count()) > 0);
});

test('hexagonal SOM: odd rows shifted half a cell, cells select their rows, component planes pick a pixel', async () => {
  const bmus = ints('som-hex', 'bmus');
  await ex.page.goto(`${ex.server.url}#/run/som-hex`);
  await ex.page.waitForSelector('#section-map .map-view[data-layer="prototypes"]');
  assert.equal(await ex.page.getAttribute('.map-view', 'data-topology'), 'hexagonal');
  assert.equal(((await ex.page.getAttribute('.map-cell[data-cell="0"]', 'points')) ?? '').split(' ').length, 6);
  const box = async (k: number): Promise<{ x: number; y: number; width: number }> => {
    const b = await ex.page.locator(`.map-cell[data-cell="${k}"]`).boundingBox();
    assert.ok(b !== null);
    return b;
  };
  const [c0, c1, c4] = [await box(0), await box(1), await box(4)];
  assert.ok(Math.abs(c4.x - c0.x - c0.width / 2) < 1, 'row 1 starts half a cell to the right');
  assert.ok(Math.abs(c1.x - c0.x - c0.width) < 1, 'neighbours in a row are one cell apart');
  const k = bmus[0];
  await ex.page.click(`.map-cell[data-cell="${k}"]`);
  await waitUntil(async () => (await selectedRows(ex.page)).length > 0, 'a hexagonal cell selected');
  assert.deepEqual(
    await selectedRows(ex.page),
    where(bmus.length, (i) => bmus[i] === k),
  );

  await ex.page.click('.map-layers button[data-layer="component"]');
  await ex.page.waitForSelector('.map-view[data-layer="component"] .pixel-picker');
  // The picker shows 28×28 pixels: a click at pixel (row 10, column 20) picks feature 10·28 + 20.
  const picker = await ex.page.locator('.pixel-picker').boundingBox();
  assert.ok(picker !== null);
  await ex.page.locator('.pixel-picker').click({ position: { x: (20.5 * picker.width) / 28, y: (10.5 * picker.height) / 28 } });
  await ex.page.waitForSelector(`.map-view[data-feature="${10 * 28 + 20}"]`);
  assert.match((await ex.page.textContent('.map-side')) ?? '', /pixel \(10, 20\)/);
});

/** The path columns of sig-ins: paths.npy as rows of [class, h1, h2, prediction]. */
function pathsOf(run: string): { n: number; width: number; at: (i: number, j: number) => number } {
  const a = readNpy(join(root, run, 'arrays', 'paths.npy'));
  const [n, width] = a.shape;
  const d = a.data as Int32Array;
  return { n, width, at: (i, j) => d[i * width + j] };
}

interface Flow {
  link: number;
  column: number;
  from: number;
  to: number;
  rows: number;
  thickness: number;
  selected: number;
  /** Where the band starts (its top at the source node's edge), in the SVG's coordinates. */
  xs: number;
  ys: number;
}

async function flows(p: Page): Promise<Flow[]> {
  const out: Flow[] = [];
  for (const l of await p.locator('.sankey-svg .flow').all()) {
    const num = async (a: string): Promise<number> => Number(await l.getAttribute(a));
    const d = (await l.locator('path').first().getAttribute('d')) ?? '';
    const [xs, ys] = d.slice(1).split('C')[0].split(',').map(Number);
    out.push({
      link: await num('data-link'),
      column: await num('data-column'),
      from: await num('data-from'),
      to: await num('data-to'),
      rows: await num('data-rows'),
      thickness: await num('data-thickness'),
      selected: await num('data-selected'),
      xs,
      ys,
    });
  }
  return out;
}

/** Clicks inside a band, just right of its source node, where the bands of a node are side by side. */
async function clickBand(p: Page, f: Flow, shift = false): Promise<void> {
  const svg = p.locator('.sankey-svg');
  const b = await svg.boundingBox();
  assert.ok(b !== null);
  const k = b.width / Number(((await svg.getAttribute('viewBox')) ?? '').split(' ')[2]);
  await svg.click({ position: { x: (f.xs + 3) * k, y: (f.ys + f.thickness / 2) * k }, modifiers: shift ? ['Shift'] : [] });
}

test('Sankey: a band click selects exactly the rows whose paths go through it; a node click its rows; shift-click adds', async () => {
  const P = pathsOf('sig-ins');
  assert.equal(P.width, 4, 'class, h1, h2, prediction');
  await ex.page.goto(`${ex.server.url}#/run/sig-ins`);
  await ex.page.waitForSelector('#section-sankey .sankey-view[data-mode="known"] .flow');
  const all = await flows(ex.page);
  // The thickest band between the two hidden layers.
  const band = all.filter((f) => f.column === 1).sort((a, b) => b.rows - a.rows)[0];
  await clickBand(ex.page, band);
  await waitUntil(async () => (await ex.page.getAttribute('.sankey-view', 'data-selected-count')) === String(band.rows), 'the band selected');
  assert.deepEqual(
    await selectedRows(ex.page),
    where(P.n, (i) => P.at(i, 1) === band.from && P.at(i, 2) === band.to),
  );
  assert.match((await ex.page.textContent('.sankey-status')) ?? '', /band h1 · c\d → h2 · c\d/);

  // Shift-click a band out of class column into h1 that this one does not contain.
  const other = all.find((f) => f.column === 0 && f.to !== band.from)!;
  await clickBand(ex.page, other, true);
  const union = where(P.n, (i) => (P.at(i, 1) === band.from && P.at(i, 2) === band.to) || (P.at(i, 0) === other.from && P.at(i, 1) === other.to));
  await waitUntil(async () => (await ex.page.getAttribute('.sankey-view', 'data-selected-count')) === String(union.length), 'the second band added');
  assert.deepEqual(await selectedRows(ex.page), union);

  const node = ex.page.locator('.sankey-svg .node[data-column="3"]').first();
  const v = Number(await node.getAttribute('data-value'));
  await node.click();
  await waitUntil(
    async () => (await ex.page.getAttribute('.sankey-view', 'data-selected-count')) === (await node.getAttribute('data-rows')),
    'the node selected',
  );
  assert.deepEqual(
    await selectedRows(ex.page),
    where(P.n, (i) => P.at(i, 3) === v),
  );
});

test('Sankey: a selection made elsewhere is drawn as bands as thick as its rows, counted in the tooltip', async () => {
  const P = pathsOf('sig-ins');
  const rows = where(P.n, (i) => i % 5 === 1);
  await selectFromElsewhere(ex.page, rows);
  await waitUntil(async () => (await ex.page.getAttribute('.sankey-view', 'data-selected-count')) === String(rows.length), 'the selection shown');
  const all = await flows(ex.page);
  for (const f of all) {
    const expected = rows.filter((i) => P.at(i, f.column) === f.from && P.at(i, f.column + 1) === f.to).length;
    assert.equal(f.selected, expected, `band ${f.column}:${f.from} → ${f.to}`);
    const drawn = ex.page.locator(`.selected-flow[data-link="${f.link}"]`);
    if (expected === 0) {
      assert.equal(await drawn.count(), 0);
      continue;
    }
    assert.equal(Number(await drawn.getAttribute('data-selected')), expected);
    const thickness = Number(await drawn.getAttribute('data-thickness'));
    assert.ok(
      Math.abs(thickness - (expected * f.thickness) / f.rows) < 1e-3,
      `band ${f.link}: ${thickness} px for ${expected} of ${f.rows} rows over ${f.thickness} px`,
    );
  }
  // Every selected row goes through exactly one band out of each column.
  for (let j = 0; j < 3; j++)
    assert.equal(
      all.filter((f) => f.column === j).reduce((s, f) => s + f.selected, 0),
      rows.length,
    );
  const big = all.filter((f) => f.selected > 0).sort((a, b) => b.selected - a.selected)[0];
  const svg = ex.page.locator('.sankey-svg');
  const b = await svg.boundingBox();
  assert.ok(b !== null);
  const k = b.width / Number(((await svg.getAttribute('viewBox')) ?? '').split(' ')[2]);
  await svg.hover({ position: { x: (big.xs + 3) * k, y: (big.ys + big.thickness / 2) * k } });
  await ex.page.waitForSelector('.sankey-stack .tooltip:not([hidden])');
  const tip = (await ex.page.textContent('.sankey-stack .tooltip')) ?? '';
  assert.match(tip, new RegExp(`: ${big.rows} rows`));
  assert.match(tip, new RegExp(`selected: ${big.selected}`));
});

test('Sankey: the inserted class is drawn as in sankey_inserted.svg, and is not selectable', async () => {
  const selected = (await selectedRows(ex.page)).length;
  await ex.page.check('#sankey-inserted');
  await ex.page.waitForSelector('.sankey-view[data-mode="inserted"] .flow');
  assert.match((await ex.page.textContent('.sankey-svg')) ?? '', /7 \(never seen\)/);
  const inserted = ex.page.locator('.sankey-svg .node[data-column="0"][data-value="3"]');
  assert.equal(await inserted.getAttribute('data-rows'), '30');
  await inserted.click();
  assert.equal((await selectedRows(ex.page)).length, selected, 'clicking an inserted class changes nothing');
  // The known rows' selection is still drawn over the joined diagram.
  const all = await flows(ex.page);
  assert.equal(
    all.filter((f) => f.column === 0).reduce((s, f) => s + f.selected, 0),
    selected,
  );
  await ex.page.uncheck('#sankey-inserted');
  await ex.page.waitForSelector('.sankey-view[data-mode="known"]');
});

test('no page logged an error (a CSP violation would)', () => {
  assert.deepEqual(ex.problems, []);
});
