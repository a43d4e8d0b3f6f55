/**
 * The latent scatter, its input images and the selection's gallery and export, in a real browser
 * (Debian's Chromium through playwright-core) over real runs: a DESOM (its codes' UMAP), and the
 * signatures of a classifier trained on a class subset, analysed on train + test rows so that its
 * origin.npy points into both splits. Also the inputs route itself: its refusals, and its bytes
 * against the dataset's own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { loadDataset } from '../../src/data/fetch.js';
import { readNpy } from '../../src/io/npy.js';
import { runToEnd, startRun } from '../../src/runs/api.js';
import { parseNpy } from '../../web/npy.js';
import { pointsInPolygon } from '../../web/scatter/geometry.js';
import { waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { raw } from './http.js';
import { makeDesom, makeMalformed } from './runs.js';

const ex = explorerTest('serve-scatter', async (root) => {
  await makeDesom(root);
  // A classifier of 1s and 7s (50 drawn training rows of each), and its signatures on the first
  // 150 of train + test: its 100 training rows (train_indices.npy), then 50 test rows of 1 or 7.
  await runToEnd(startRun('mlp', { out: root, runId: 'mlp-17', values: { limit: 1000, epochs: 1, classes: [1, 7], per_class: 50, hidden: [32, 16] } }));
  await runToEnd(
    startRun('signatures', {
      out: root,
      runId: 'sig-17',
      values: { model: 'mlp-17', split: 'all', limit: 150, k_range: '2..3', restarts: 1, projection: 'umap' },
    }),
  );
  makeMalformed(root);
});
const { root } = ex;

const arr = (run: string, name: string): ReturnType<typeof readNpy> => readNpy(join(root, run, 'arrays', `${name}.npy`));

// ---- the inputs route -----------------------------------------------------------------------------

test('the inputs route refuses rows that are not row indices of the run with 400, and says why', async () => {
  const cases: [string, number, RegExp][] = [
    ['/api/runs/desom-a/inputs', 400, /expected \?rows=i,j,… \(row indices 0\.\.299 of the run\)/],
    ['/api/runs/desom-a/inputs?rows=', 400, /got no rows/],
    ['/api/runs/desom-a/inputs?rows=1,x', 400, /row "x" \(item 2 of rows\) is not a row index; expected an integer 0\.\.299/],
    ['/api/runs/desom-a/inputs?rows=-1', 400, /row "-1"/],
    ['/api/runs/desom-a/inputs?rows=2.5', 400, /row "2\.5"/],
    ['/api/runs/desom-a/inputs?rows=1,,2', 400, /row ""/],
    ['/api/runs/desom-a/inputs?rows=300', 400, /row 300 is outside the run's rows 0\.\.299/],
    [`/api/runs/desom-a/inputs?rows=${Array.from({ length: 1001 }, (_, i) => i % 300).join(',')}`, 400, /at most 1000 rows per request, got 1001/],
    ['/api/runs/desom-a/inputs/nope', 404, /no API route/],
    ['/api/runs/nope/inputs?rows=0', 404, /no run "nope"/],
    ['/api/runs/%2e%2e/inputs?rows=0', 403, /refused/],
    ['/api/runs/broken/inputs?rows=0', 500, /JSON/],
  ];
  for (const [path, status, message] of cases) {
    const r = await raw(ex.server.url, path);
    assert.equal(r.status, status, `${path}: ${r.text}`);
    assert.match((JSON.parse(r.text) as { error: string }).error, message, path);
  }
});

test('the inputs route answers a signatures run’s rows as the dataset’s own bytes, following origin.npy into both splits', async () => {
  const origin = arr('sig-17', 'origin').data as Int32Array;
  const splits = new Set<number>();
  for (let i = 0; i < origin.length; i += 2) splits.add(origin[i]);
  assert.deepEqual([...splits].sort(), [0, 1], 'rows from train (0) and test (1)');
  const rows = [0, 3, 99, 100, 101, 149];
  const r = await raw(ex.server.url, `/api/runs/sig-17/inputs?rows=${rows.join(',')}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  const got = parseNpy(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.length) as ArrayBuffer);
  assert.equal(got.dtype, 'u1');
  assert.deepEqual(got.shape, [rows.length, 28, 28]);
  const data = { train: await loadDataset('mnist', { split: 'train' }), test: await loadDataset('mnist', { split: 'test' }) };
  rows.forEach((row, k) => {
    const split = origin[2 * row] === 0 ? data.train : data.test;
    const index = origin[2 * row + 1];
    const want = Uint8Array.from(split.x.data.subarray(index * 784, (index + 1) * 784), (v) => Math.round(v * 255));
    assert.deepEqual(got.data.subarray(k * 784, (k + 1) * 784), want, `row ${row} = ${origin[2 * row] === 0 ? 'train' : 'test'} ${index}`);
  });
  // The class subset's training rows are those train_indices.npy names, not the first ones.
  const drawn = arr('mlp-17', 'train_indices').data as Int32Array;
  assert.equal(origin[1], drawn[0]);
  assert.notDeepEqual([origin[1], origin[3]], [0, 1]);
  // inputs/origins is origin.npy itself; a DESOM's rows are its split's rows in order.
  const o = await raw(ex.server.url, '/api/runs/sig-17/inputs/origins');
  assert.deepEqual([...(parseNpy(o.body.buffer.slice(o.body.byteOffset, o.body.byteOffset + o.body.length) as ArrayBuffer).data as Int32Array)], [...origin]);
  const d = await raw(ex.server.url, '/api/runs/desom-a/inputs/origins');
  const dn = parseNpy(d.body.buffer.slice(d.body.byteOffset, d.body.byteOffset + d.body.length) as ArrayBuffer);
  assert.deepEqual(dn.shape, [300, 2]);
  assert.deepEqual([...(dn.data as Int32Array).subarray(0, 6)], [2, 0, 2, 1, 2, 2], 'split "all", rows 0, 1, 2');
});

// ---- the scatter in the browser ----------------------------------------------------------------------

interface Pixels {
  ink: number;
  hash: number;
}

/** The canvas API the in-page functions use, typed here: the tests compile without the DOM's types. */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(c: CanvasLike, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

/** How many pixels of the scatter's canvas are not white, and a hash of them all (either renderer). */
async function pixels(p: Page, scatter: string): Promise<Pixels> {
  return p.locator(`.scatter[data-scatter="${scatter}"] canvas.scatter-canvas`).evaluate((c: CanvasLike) => {
    // Drawn onto a 2D canvas first: a WebGL canvas has no getImageData.
    const doc = (globalThis as unknown as { document: { createElement(tag: 'canvas'): CanvasLike } }).document;
    const copy = doc.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) ink++;
      hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return { ink, hash };
  });
}

async function draws(p: Page, scatter: string): Promise<number> {
  return Number(await p.getAttribute(`.scatter[data-scatter="${scatter}"]`, 'data-draws'));
}

/** Waits for the scatter to draw again after `action`. */
async function redrawn(p: Page, scatter: string, action: () => Promise<void>): Promise<void> {
  const before = await draws(p, scatter);
  await action();
  await waitUntil(async () => (await draws(p, scatter)) > before, `scatter ${scatter} drawn again`);
}

/** Data → client coordinates of the scatter's stage, from the transform it publishes. */
async function toClient(
  p: Page,
  scatter: string,
): Promise<{ to: (x: number, y: number) => [number, number]; from: (X: number, Y: number) => [number, number] }> {
  const stage = p.locator(`.scatter[data-scatter="${scatter}"] .scatter-stage`);
  // Mouse events land only on what the viewport shows.
  await stage.scrollIntoViewIfNeeded();
  const box = await stage.boundingBox();
  const t = JSON.parse((await p.getAttribute(`.scatter[data-scatter="${scatter}"]`, 'data-transform')) ?? '{}') as { k: number; tx: number; ty: number };
  assert.ok(box !== null && t.k > 0);
  return {
    to: (x, y) => [box.x + x * t.k + t.tx, box.y - y * t.k + t.ty],
    from: (X, Y) => [(X - box.x - t.tx) / t.k, -(Y - box.y - t.ty) / t.k],
  };
}

const codesUmap = (): Float32Array => arr('desom-a', 'codes_umap').data as Float32Array;

test('a DESOM run page draws its codes’ UMAP, and colour by cell changes the picture', async () => {
  await ex.page.goto(`${ex.server.url}#/run/desom-a`);
  await ex.page.waitForSelector('.scatter[data-scatter="codes"][data-first-draw-ms]');
  const el = '.scatter[data-scatter="codes"]';
  assert.equal(await ex.page.getAttribute(el, 'data-points'), '300');
  assert.equal(await ex.page.getAttribute(el, 'data-view'), 'codes_umap');
  // Here WebGL is SwiftShader (software): auto takes the canvas rasterizer and says why.
  assert.equal(await ex.page.getAttribute(el, 'data-renderer'), 'canvas');
  assert.match((await ex.page.textContent(`${el} .scatter-renderer-note`)) ?? '', /canvas 2D \(WebGL here is SwiftShader, a software renderer/);
  const byLabel = await pixels(ex.page, 'codes');
  assert.ok(byLabel.ink > 1000, `${byLabel.ink} inked pixels`);
  await redrawn(ex.page, 'codes', () => ex.page.selectOption(`${el} select.scatter-colour`, 'cell').then(() => {}));
  const byCell = await pixels(ex.page, 'codes');
  assert.notEqual(byCell.hash, byLabel.hash);
  assert.equal(await ex.page.locator(`${el} .cell-legend rect`).count(), 9, 'the 3×3 map as the legend');
  // The WebGL renderer draws the same points (here through SwiftShader).
  await redrawn(ex.page, 'codes', () => ex.page.selectOption(`${el} select.scatter-renderer`, 'webgl').then(() => {}));
  assert.equal(await ex.page.getAttribute(el, 'data-renderer'), 'webgl');
  assert.ok((await pixels(ex.page, 'codes')).ink > 1000);
  await redrawn(ex.page, 'codes', () => ex.page.selectOption(`${el} select.scatter-renderer`, 'auto').then(() => {}));
  await ex.page.selectOption(`${el} select.scatter-colour`, 'label');
});

test('a lasso selects exactly the points inside it; the gallery shows them and the CSV export lists them', async () => {
  const el = '.scatter[data-scatter="codes"]';
  const xy = codesUmap();
  // A pentagon around the points' centre, half as wide as they spread.
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < xy.length; i += 2) {
    cx += xy[i] / 300;
    cy += xy[i + 1] / 300;
  }
  let spread = 0;
  for (let i = 0; i < xy.length; i += 2) spread = Math.max(spread, Math.hypot(xy[i] - cx, xy[i + 1] - cy));
  const { to, from } = await toClient(ex.page, 'codes');
  const vertices = Array.from({ length: 5 }, (_, k) =>
    to(cx + 0.6 * spread * Math.cos((2 * Math.PI * k) / 5), cy + 0.6 * spread * Math.sin((2 * Math.PI * k) / 5)),
  );
  const client = vertices.map(([X, Y]) => [Math.round(X), Math.round(Y)]);
  await ex.page.keyboard.down('Shift');
  await ex.page.mouse.move(client[0][0], client[0][1]);
  await ex.page.mouse.down();
  for (const [X, Y] of client.slice(1)) await ex.page.mouse.move(X, Y, { steps: 1 });
  await ex.page.mouse.up();
  await ex.page.keyboard.up('Shift');
  // The same point-in-polygon, in the data's coordinates, from the arrays.
  const polygon = client.flatMap(([X, Y]) => from(X, Y));
  const want = [...pointsInPolygon(xy, polygon)];
  assert.ok(want.length > 20 && want.length < 300, `${want.length} points inside`);
  await waitUntil(async () => (await ex.page.getAttribute(el, 'data-selected')) === String(want.length), `${want.length} points selected`);
  assert.match(
    (await ex.page.textContent(`${el} .scatter-selection`)) ?? '',
    new RegExp(`${want.length} rows selected — lasso in Latent codes \\(UMAP of the codes\\): ${want.length} points`),
  );

  const gallery = '#section-gallery .gallery';
  await waitUntil(async () => (await ex.page.getAttribute(gallery, 'data-shown')) === String(Math.min(200, want.length)), 'the gallery filled');
  assert.equal(await ex.page.getAttribute(gallery, 'data-count'), String(want.length));
  assert.equal(await ex.page.locator(`${gallery} .gallery-item canvas`).count(), Math.min(200, want.length));
  const shownRows = await Promise.all((await ex.page.locator(`${gallery} .gallery-item`).all()).map(async (l) => Number(await l.getAttribute('data-row'))));
  assert.deepEqual(shownRows, want.slice(0, 200));

  const [download] = await Promise.all([ex.page.waitForEvent('download'), ex.page.click('#export-csv')]);
  assert.equal(download.suggestedFilename(), 'desom-a-selection.csv');
  const csv = readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv[0], 'row,label,class,cell,split,index');
  const labels = arr('desom-a', 'labels').data as Int32Array;
  const bmus = arr('desom-a', 'bmus').data as Int32Array;
  assert.deepEqual(
    csv.slice(1),
    want.map((r) => `${r},${labels[r]},${labels[r]},${bmus[r]},all,${r}`),
  );
  const [json] = await Promise.all([ex.page.waitForEvent('download'), ex.page.click('#export-json')]);
  const j = JSON.parse(readFileSync(await json.path(), 'utf8')) as { selection: { count: number; source: string }; rows: { row: number }[] };
  assert.equal(j.selection.count, want.length);
  assert.equal(j.selection.source, 'scatter:codes');
  assert.deepEqual(
    j.rows.map((r) => r.row),
    want,
  );
});

test('hovering a point shows a tooltip with its row, label and input image', async () => {
  const el = '.scatter[data-scatter="codes"]';
  // Move off the stage, then onto a point the test picks (the nearest to where the cursor lands).
  await ex.page.mouse.move(5, 5);
  const xy = codesUmap();
  const { to, from } = await toClient(ex.page, 'codes');
  const [X, Y] = to(xy[2 * 17], xy[2 * 17 + 1]).map(Math.round);
  const [x, y] = from(X, Y);
  let best = -1;
  let bestD = Infinity;
  for (let p = 0; p < 300; p++) {
    const d = (xy[2 * p] - x) ** 2 + (xy[2 * p + 1] - y) ** 2;
    if (d < bestD) [best, bestD] = [p, d];
  }
  await ex.page.mouse.move(X, Y, { steps: 2 });
  const tip = `${el} .scatter-tip`;
  // The input image (an autoencoder's or DESOM's tooltip adds its reconstruction after it, .tip-recon).
  await ex.page.waitForSelector(`${tip}:not([hidden]) canvas.tip-canvas:not(.tip-recon)`);
  assert.equal(await ex.page.getAttribute(tip, 'data-row'), String(best));
  const labels = arr('desom-a', 'labels').data as Int32Array;
  assert.match((await ex.page.textContent(tip)) ?? '', new RegExp(`^row ${best}label: ${labels[best]}BMU cell: cell \\d`));
  const ink = await ex.page.locator(`${tip} canvas.tip-canvas:not(.tip-recon)`).evaluate((c: CanvasLike) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
    return dark;
  });
  assert.ok(ink > 20, `${ink} dark pixels in a ${labels[best]}`);
  await ex.page.mouse.move(5, 5);
  await ex.page.waitForSelector(`${tip}[hidden]`, { state: 'attached' });
});

test('the DESOM’s PCA view draws the map over the codes; a signatures page has a scatter per layer, linked', async () => {
  const el = '.scatter[data-scatter="codes"]';
  await redrawn(ex.page, 'codes', () => ex.page.selectOption(`${el} select.scatter-view`, '1').then(() => {}));
  assert.equal(await ex.page.getAttribute(el, 'data-view'), 'codes_pca');
  assert.match((await ex.page.textContent(`${el} .scatter-status`)) ?? '', /PC1 and PC2 of the 4-d codes .*prototypes as nodes/);
  await ex.page.goto(`${ex.server.url}#/run/sig-17`);
  await ex.page.waitForSelector('.scatter[data-scatter="h2"][data-first-draw-ms]');
  const layers = await Promise.all((await ex.page.locator('.scatter').all()).map((l) => l.getAttribute('data-scatter')));
  assert.deepEqual(layers, ['h1', 'h2']);
  // Class "7" from h1's legend: its rows light up in h2 too, and fill the gallery.
  const labels = arr('sig-17', 'labels').data as Int32Array;
  const sevens = labels.filter((l) => l === 1).length;
  await ex.page.click('.scatter[data-scatter="h1"] .legend-item[data-value="1"]');
  await waitUntil(
    async () => (await ex.page.getAttribute('.scatter[data-scatter="h2"]', 'data-selected')) === String(sevens),
    `${sevens} sevens selected in h2`,
  );
  await waitUntil(async () => (await ex.page.getAttribute('#section-gallery .gallery', 'data-shown')) === String(sevens), 'the gallery filled');
  assert.match((await ex.page.textContent('#section-gallery .gallery-caption')) ?? '', new RegExp(`${sevens} rows selected — label 7`));
});

test('no page logged an error (a CSP violation would)', () => {
  assert.deepEqual(ex.problems, []);
});
