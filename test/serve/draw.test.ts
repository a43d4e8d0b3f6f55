/**
 * "Draw your own input" in a real browser (Debian's Chromium through playwright-core): the run's
 * model is rebuilt in the page from its saved files and run on the wasm backend (draw-wasm.test.ts
 * checks it against the js backend, and the fallback to js). A row of the run
 * loaded into the panel gets the path, prediction, best-matching cell and projection the CLI
 * computed for it (on the native backend, so a row is compared only where float32 rounding cannot
 * flip the answer: see MARGIN); a digit drawn with the mouse gets a prediction, lights its path in
 * the Sankey and is marked in every projection; an autoencoder's tooltip shows the reconstruction.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { readNpy } from '../../src/io/npy.js';
import { loadModel } from '../../src/io/model-file.js';
import { runToEnd, startRun } from '../../src/runs/api.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadDataset } from '../../src/data/fetch.js';
import { waitUntil } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { makeDesom } from './runs.js';

/**
 * The page runs the wasm backend and the CLI the native one: their float32 sums differ in order, by at
 * most n·u·Σ|w·x| (n ≤ 784 terms, u = 2⁻²⁴: under 5e-5 of the sum of absolute products). A nearest
 * centroid or cell, or an argmax, is compared only where the runner-up is more than 1 % farther
 * (squared distances) or lower (logits, relative to their spread): far above that bound.
 */
const MARGIN = 0.01;
/** Rows loaded into the panel (signatures run) and how many must be far enough from a tie to be compared. */
const ROWS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const MIN_COMPARED = 8;

const ex = explorerTest('draw', async (root) => {
  await runToEnd(startRun('mlp', { out: root, runId: 'mlp', values: { limit: 1000, epochs: 2, hidden: [32, 16], activation: 'relu' } }));
  await runToEnd(
    startRun('signatures', {
      out: root,
      runId: 'sig',
      values: { model: 'mlp', limit: 300, k_range: '3..4', restarts: 1, save_activations: true, projection_pca: 20 },
    }),
  );
  await makeDesom(root);
});
const { root } = ex;

const arr = (run: string, name: string): { data: Float32Array | Int32Array; shape: readonly number[] } => {
  const a = readNpy(join(root, run, 'arrays', `${name}.npy`));
  return { data: a.data as Float32Array | Int32Array, shape: a.shape };
};

/** The nearest row of `c` (k × d) to x, and how much farther (relative, squared distances) the runner-up is. */
function nearest(c: ArrayLike<number>, k: number, d: number, x: ArrayLike<number>): { best: number; margin: number } {
  const dist = Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (c[j * d + q] - x[q]) ** 2;
    return s;
  }).map((v, j) => [v, j] as const);
  dist.sort((a, b) => a[0] - b[0]);
  return { best: dist[0][1], margin: (dist[1][0] - dist[0][0]) / Math.max(dist[0][0], 1e-12) };
}

const median = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Panel {
  state?: string;
  source?: string;
  prediction?: string;
  bmu?: string;
  path?: string;
  points?: string;
}
const panel = (p: Page): Promise<Panel> => p.locator('.draw').evaluate((e: { dataset: Panel }) => ({ ...e.dataset }));

async function openRun(id: string): Promise<void> {
  await ex.page.goto(`${ex.server.url}#/run/${id}`);
  await ex.page.waitForSelector('.draw', { timeout: 20_000 });
}

async function loadRow(r: number): Promise<Panel> {
  await ex.page.fill('.draw-row', String(r));
  await ex.page.click('button[data-draw="row"]');
  await waitUntil(
    async () => {
      const d = await panel(ex.page);
      return d.state === 'error' || (d.state === 'ready' && d.source === `row:${r}`);
    },
    `row ${r} run in the page`,
    30_000,
  );
  const d = await panel(ex.page);
  assert.equal(d.state, 'ready', `row ${r}: ${await ex.page.textContent('.draw-status')}`);
  return d;
}

test('a signatures run: each loaded row gets the CLI’s path, prediction and place in every projection', async () => {
  await openRun('sig');
  const paths = arr('sig', 'paths');
  const width = paths.shape[1];
  const layers = ['h1', 'h2'];
  const acts = layers.map((l) => arr('sig', `activations_${l}`));
  const cents = layers.map((l) => arr('sig', `centroids_${l}`));
  // The network's logits for the same rows, computed here as the CLI did (native backend).
  const model = loadModel(join(root, 'mlp', 'model'));
  model.eval();
  const origin = arr('sig', 'origin').data;
  const train = await loadDataset('mnist', { split: 'train', allowDownload: false });
  const d = 784;
  const x = new Float32Array(ROWS.length * d);
  ROWS.forEach((r, i) => x.set(train.x.data.subarray(origin[2 * r + 1] * d, (origin[2 * r + 1] + 1) * d), i * d));
  const logits = model.forward(new Tensor(x, [ROWS.length, d])).data;
  const classes = logits.length / ROWS.length;

  let compared = 0;
  const moved = new Map(layers.map((l) => [l, [] as number[]]));
  for (const [i, r] of ROWS.entries()) {
    const got = await loadRow(r);
    const want = layers.map((_, j) => paths.data[r * width + 1 + j]);
    const margins = layers.map((_, j) => {
      const c = cents[j];
      const n = nearest(c.data, c.shape[0], c.shape[1], acts[j].data.subarray(r * c.shape[1], (r + 1) * c.shape[1]));
      assert.equal(n.best, want[j], `row ${r}: the saved activations' nearest centroid is the saved cluster`);
      return n.margin;
    });
    const z = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const sorted = [...z].sort((a, b) => b - a);
    const logitMargin = (sorted[0] - sorted[1]) / Math.max(1e-6, sorted[0] - sorted[sorted.length - 1]);
    if (Math.min(...margins) < MARGIN || logitMargin < MARGIN) continue;
    compared++;
    assert.equal(got.path, layers.map((l, j) => `${l}:${want[j]}`).join(','), `row ${r}: the page's path`);
    assert.equal(Number(got.prediction), paths.data[r * width + width - 1], `row ${r}: the page's prediction`);
    // UMAP's transform of a fitted row lands near that row's own point, on the scale of the
    // embedding's neighbourhoods: the median distance from a point to its 15th nearest neighbour.
    const points = JSON.parse(got.points ?? '{}') as Record<string, [number, number]>;
    for (const l of layers) {
      const u = arr('sig', `umap_${l}`).data;
      const [px, py] = points[`umap_${l}`];
      moved.get(l)?.push(Math.hypot(px - u[2 * r], py - u[2 * r + 1]));
    }
  }
  for (const l of layers) {
    const u = arr('sig', `umap_${l}`).data;
    const n = u.length / 2;
    const kth = (a: number): number =>
      Array.from({ length: n }, (_, b) => Math.hypot(u[2 * a] - u[2 * b], u[2 * a + 1] - u[2 * b + 1])).sort((p, q) => p - q)[15];
    const scale = median(Array.from({ length: 41 }, (_, t) => kth(Math.floor((t * n) / 41))));
    const d = moved.get(l) ?? [];
    assert.ok(median(d) < scale / 2, `${l}: transformed rows moved ${d.map((v) => v.toFixed(3)).join(' ')} from their own points (scale ${scale.toFixed(3)})`);
    assert.ok(Math.max(...d) < 1.5 * scale, `${l}: a transformed row moved ${Math.max(...d).toFixed(3)} from its own point (scale ${scale.toFixed(3)})`);
  }
  assert.ok(compared >= MIN_COMPARED, `only ${compared} of ${ROWS.length} rows were far enough from a tie to compare`);
  // Every projection marks the input; the Sankey outlines one node per layer and the prediction.
  const marks = await ex.page
    .locator('[data-scatter]')
    .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { probe?: string } }).dataset.probe ?? ''));
  assert.equal(marks.length, layers.length);
  assert.ok(
    marks.every((m) => /^-?[\d.e-]+,-?[\d.e-]+$/.test(m)),
    `scatter marks: ${JSON.stringify(marks)}`,
  );
  assert.equal(await ex.page.locator('.sankey-view').getAttribute('data-probe-nodes'), String(layers.length + 1));
  assert.deepEqual(ex.problems, []);
});

test('a digit drawn with the mouse is run as it is drawn: prediction, path in the Sankey, marks in the projections', async () => {
  await openRun('sig');
  const canvas = ex.page.locator('.draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box !== null);
  // A "7": a bar, then a diagonal down to the left.
  const at = (x: number, y: number): [number, number] => [box.x + box.width * x, box.y + box.height * y];
  await ex.page.mouse.move(...at(0.25, 0.22));
  await ex.page.mouse.down();
  for (let i = 1; i <= 10; i++) await ex.page.mouse.move(...at(0.25 + (0.5 * i) / 10, 0.22));
  await waitUntil(async () => (await panel(ex.page)).state === 'ready', 'the first strokes run', 30_000);
  for (let i = 1; i <= 12; i++) await ex.page.mouse.move(...at(0.75 - (0.3 * i) / 12, 0.22 + (0.6 * i) / 12));
  await ex.page.mouse.up();
  await waitUntil(async () => (await panel(ex.page)).prediction !== undefined, 'a prediction', 30_000);
  const got = await panel(ex.page);
  assert.equal(got.source, 'drawing');
  assert.match(got.path ?? '', /^h1:\d+,h2:\d+$/);
  const prediction = Number(got.prediction);
  assert.ok(Number.isInteger(prediction) && prediction >= 0 && prediction <= 9);
  // The probabilities shown sum to 1 and the largest is the prediction's.
  const probs = (await ex.page.locator('.draw-bar-value').allTextContents()).map(Number);
  assert.equal(probs.length, 10);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 0.006, `probabilities ${probs.join(' ')}`);
  assert.equal(probs.indexOf(Math.max(...probs)), prediction);
  assert.equal(await ex.page.locator('.sankey-view').getAttribute('data-probe-nodes'), '3');
  assert.equal(await ex.page.locator('.sankey-view').getAttribute('data-probe-path'), `${got.path?.replace(/h\d:/g, '')},${prediction}`);
  // Clearing takes the input away from every view.
  await ex.page.click('button[data-draw="clear"]');
  assert.equal(await ex.page.locator('.sankey-view').getAttribute('data-probe-nodes'), '0');
  const marks = await ex.page
    .locator('[data-scatter]')
    .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { probe?: string } }).dataset.probe ?? ''));
  await waitUntil(
    async () =>
      (
        await ex.page.locator('[data-scatter]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { probe?: string } }).dataset.probe ?? ''))
      ).every((m) => m === ''),
    'the marks cleared',
  );
  assert.equal(marks.length, 2);
  assert.deepEqual(ex.problems, []);
});

test('a DESOM run: a loaded row gets its best-matching cell and a reconstruction; the tooltip shows reconstructions', async () => {
  await openRun('desom-a');
  const codes = arr('desom-a', 'codes');
  const protos = arr('desom-a', 'prototypes');
  const bmus = arr('desom-a', 'bmus').data;
  const [K, dim] = protos.shape;
  let compared = 0;
  for (const r of [0, 1, 2, 3, 4, 5]) {
    const got = await loadRow(r);
    const n = nearest(protos.data, K, dim, codes.data.subarray(r * dim, (r + 1) * dim));
    assert.equal(n.best, bmus[r], `row ${r}: the saved code's nearest prototype is the saved BMU`);
    if (n.margin < MARGIN) continue;
    compared++;
    assert.equal(Number(got.bmu), bmus[r], `row ${r}: the page's best-matching cell`);
    assert.equal(await ex.page.locator('.draw-recon').count(), 1);
    assert.equal(await ex.page.locator('.map-view').getAttribute('data-probe-cell'), String(bmus[r]), `row ${r}: the map outlines its cell`);
  }
  assert.ok(compared >= 4, `only ${compared} of 6 rows were far enough from a tie to compare`);
  // Hover the scatter's first point: its tooltip shows the input, then the reconstruction.
  const stage = ex.page.locator('[data-scatter] .scatter-stage').first();
  await stage.scrollIntoViewIfNeeded();
  const scatter = ex.page.locator('[data-scatter]').first();
  await waitUntil(async () => (await scatter.getAttribute('data-transform')) !== null, 'the scatter drawn');
  const t = JSON.parse((await scatter.getAttribute('data-transform')) ?? '{}') as { k: number; tx: number; ty: number };
  const xy = arr('desom-a', 'codes_umap').data;
  const sb = await stage.boundingBox();
  assert.ok(sb !== null);
  await ex.page.mouse.move(sb.x + xy[0] * t.k + t.tx, sb.y - xy[1] * t.k + t.ty);
  await waitUntil(
    async () => (await ex.page.locator('.scatter-tip').first().getAttribute('data-reconstruction')) === 'shown',
    'a reconstruction in the tooltip',
    30_000,
  );
  assert.equal(await ex.page.locator('.scatter-tip .tip-canvas').count(), 2);
  assert.deepEqual(ex.problems, []);
});
