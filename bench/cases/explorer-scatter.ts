/**
 * Case explorer-scatter (issue 15): the explorer's latent scatter with 70,000 points in headless
 * Chromium (Debian's, through playwright-core), once per renderer: rows explorer-scatter-canvas
 * (the typed-array rasterizer) and explorer-scatter-webgl (WebGL2 point sprites). No peer.
 *
 * Data: the run LATENTLAB_BENCH_SCATTER_RUN names (a desom run with arrays/codes_umap.npy, or a
 * signatures run with arrays/umap_<layer>.npy; its config.json, summary.json, events.jsonl and
 * arrays/*.npy are copied into a temporary runs folder), else a synthetic DESOM-like run: 70,000
 * points in ten 2-D Gaussian blobs as codes_umap.npy, 10-d codes, labels, an 8×8 map's prototypes
 * and each row's nearest prototype as its cell. detail.data says which.
 *
 * Unit: ms from navigation start to the scatter's first complete draw (the run page loading as a
 * user opens it: the run's JSON, its events, its figures, the arrays; WebGL's first draw waits for
 * gl.finish), the median of ROUNDS page loads, each in a fresh browser context (nothing cached).
 * detail.fps: frames drawn per second while panning (PAN_MS of pointer drags) then zooming (ZOOM_MS
 * of wheel events), driven from a requestAnimationFrame loop in the page that sends one event per
 * frame; the scatter draws once per frame at most, so this is the frame rate it sustains.
 *
 * On machines without a GPU Chromium's WebGL is SwiftShader (software), which shades every sprite
 * on the CPU: detail.webgl_renderer names it. There the canvas rasterizer is the faster one, and
 * what the explorer picks by itself.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { startServer } from '../../src/serve/server.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { median, type BenchCase, type BenchContext, type Row } from '../common.js';

const N = 70_000;
const ROUNDS = 3;
const PAN_MS = 2500;
const ZOOM_MS = 2500;
const RENDERERS = ['canvas', 'webgl'] as const;

/** A DESOM-like run of N rows: blobs in 2-D and in 10-d, an 8×8 map. */
function syntheticRun(dir: string): string {
  const id = 'synthetic-70k';
  const run = join(dir, id);
  mkdirSync(join(run, 'arrays'), { recursive: true });
  const rng = new Rng(0);
  const D = 10;
  const K = 64;
  const centres2 = Array.from({ length: 10 }, () => [rng.uniform(-12, 12), rng.uniform(-12, 12)]);
  const centresD = Array.from({ length: 10 }, () => Array.from({ length: D }, () => rng.normal(0, 3)));
  const labels = new Int32Array(N);
  const xy = new Float32Array(2 * N);
  const codes = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    const c = rng.int(10);
    labels[i] = c;
    xy[2 * i] = centres2[c][0] + rng.normal(0, 1.2);
    xy[2 * i + 1] = centres2[c][1] + rng.normal(0, 1.2);
    for (let j = 0; j < D; j++) codes[i * D + j] = centresD[c][j] + rng.normal();
  }
  const prototypes = new Float32Array(K * D);
  for (let k = 0; k < K; k++) {
    const r = rng.int(N);
    prototypes.set(codes.subarray(r * D, (r + 1) * D), k * D);
  }
  const bmus = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (codes[i * D + j] - prototypes[k * D + j]) ** 2;
      if (s < bestD) [best, bestD] = [k, s];
    }
    bmus[i] = best;
  }
  writeNpy(join(run, 'arrays', 'codes_umap.npy'), { dtype: 'f4', shape: [N, 2], data: xy });
  writeNpy(join(run, 'arrays', 'codes.npy'), { dtype: 'f4', shape: [N, D], data: codes });
  writeNpy(join(run, 'arrays', 'labels.npy'), { dtype: 'i4', shape: [N], data: labels });
  writeNpy(join(run, 'arrays', 'bmus.npy'), { dtype: 'i4', shape: [N], data: bmus });
  writeNpy(join(run, 'arrays', 'prototypes.npy'), { dtype: 'f4', shape: [K, D], data: prototypes });
  const now = new Date().toISOString();
  writeFileSync(
    join(run, 'config.json'),
    JSON.stringify({
      kind: 'desom',
      config: { dataset: 'mnist', split: 'all', map: '8x8', seed: 0 },
      created_at: now,
      dataset: { name: 'mnist', split: 'all', rows: N, class_names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
      map: { rows: 8, cols: 8, cells: K, dim: D, topology: 'rectangular', toroidal: false },
    }),
  );
  writeFileSync(join(run, 'summary.json'), JSON.stringify({ status: 'completed', metrics: {}, timings: {}, started_at: now, updated_at: now }));
  return id;
}

/** Copies a real run's page files (not its model or figures' sources) into the runs folder. */
function copyRun(src: string, dir: string): string {
  const id = basename(src);
  mkdirSync(join(dir, id, 'arrays'), { recursive: true });
  for (const f of ['config.json', 'summary.json', 'events.jsonl']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, id, f));
  for (const f of readdirSync(join(src, 'arrays'))) if (f.endsWith('.npy')) copyFileSync(join(src, 'arrays', f), join(dir, id, 'arrays', f));
  return id;
}

/** The browser globals the in-page code uses, typed here: this file compiles without the DOM's types. */
interface PageGlobals {
  localStorage: { setItem(key: string, value: string): void };
  requestAnimationFrame(callback: (now: number) => void): number;
  performance: { now(): number };
  WheelEvent: new (type: string, init: Record<string, unknown>) => object;
  PointerEvent: new (type: string, init: Record<string, unknown>) => object;
}

interface StageLike {
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  dispatchEvent(event: object): boolean;
}

interface ScatterLike {
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): StageLike | null;
}

interface Measured {
  firstMs: number;
  fpsPan: number;
  fpsZoom: number;
  fps: number;
  drawMs: number;
  points: number;
  renderer: string;
  note: string;
}

/** One page load with `renderer` chosen: first draw, then pan and zoom frame rates. */
async function measure(browser: Browser, url: string, renderer: string, motion: boolean): Promise<Measured> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((r: string) => (globalThis as unknown as PageGlobals).localStorage.setItem('latentlab.scatter.renderer', r), renderer);
  try {
    const page = await context.newPage();
    await page.goto(url);
    const el = page.locator('.scatter').first();
    await el.locator('canvas.scatter-canvas').waitFor({ timeout: 120_000 });
    await page.waitForSelector('.scatter[data-first-draw-ms]', { timeout: 120_000 });
    const firstMs = Number(await el.getAttribute('data-first-draw-ms'));
    const points = Number(await el.getAttribute('data-points'));
    const used = (await el.getAttribute('data-renderer')) ?? '?';
    const note = (await el.locator('.scatter-renderer-note').textContent()) ?? '';
    if (!motion) return { firstMs, fpsPan: NaN, fpsZoom: NaN, fps: NaN, drawMs: NaN, points, renderer: used, note };
    await el.locator('.scatter-stage').scrollIntoViewIfNeeded();
    // One event per animation frame for `ms`: what a steady drag or wheel gives.
    const run = (mode: 'pan' | 'zoom', ms: number): Promise<{ frames: number; draws: number; seconds: number; drawMs: number }> =>
      el.evaluate(
        (scatter: ScatterLike, a: { mode: string; ms: number }) =>
          new Promise((resolve) => {
            const w = globalThis as unknown as PageGlobals;
            const stage = scatter.querySelector('.scatter-stage') as StageLike;
            const r = stage.getBoundingClientRect();
            const cx = r.left + r.width / 2;
            const cy = r.top + r.height / 2;
            const d0 = Number(scatter.dataset.draws);
            let frames = 0;
            let drawSum = 0;
            let lastDraws = d0;
            const t0 = w.performance.now();
            // A property, not a named const: tsx would wrap a named function in a helper the page lacks.
            const loop = {} as { tick: (now: number) => void };
            loop.tick = (now: number): void => {
              const d = Number(scatter.dataset.draws);
              if (d > lastDraws) drawSum += Number(scatter.dataset.drawMs);
              lastDraws = d;
              if (now - t0 >= a.ms) {
                resolve({ frames, draws: d - d0, seconds: (now - t0) / 1000, drawMs: drawSum / Math.max(1, d - d0) });
                return;
              }
              frames++;
              if (a.mode === 'zoom') {
                stage.dispatchEvent(
                  new w.WheelEvent('wheel', { deltaY: frames % 40 < 20 ? -40 : 40, clientX: cx, clientY: cy, bubbles: true, cancelable: true }),
                );
              } else {
                const dx = frames % 60 < 30 ? 4 : -4;
                const o = { pointerId: 7, button: 0, bubbles: true, cancelable: true };
                stage.dispatchEvent(new w.PointerEvent('pointerdown', { ...o, clientX: cx, clientY: cy }));
                stage.dispatchEvent(new w.PointerEvent('pointermove', { ...o, clientX: cx + dx, clientY: cy }));
                stage.dispatchEvent(new w.PointerEvent('pointerup', { ...o, clientX: cx + dx, clientY: cy }));
              }
              w.requestAnimationFrame(loop.tick);
            };
            w.requestAnimationFrame(loop.tick);
          }),
        { mode, ms },
      );
    const pan = await run('pan', PAN_MS);
    const zoom = await run('zoom', ZOOM_MS);
    return {
      firstMs,
      fpsPan: pan.draws / pan.seconds,
      fpsZoom: zoom.draws / zoom.seconds,
      fps: (pan.draws + zoom.draws) / (pan.seconds + zoom.seconds),
      drawMs: (pan.drawMs * pan.draws + zoom.drawMs * zoom.draws) / Math.max(1, pan.draws + zoom.draws),
      points,
      renderer: used,
      note,
    };
  } finally {
    await context.close();
  }
}

export const explorerScatterCase: BenchCase = {
  name: 'explorer-scatter',
  description: 'the explorer’s 70,000-point latent scatter in headless Chromium: first render (ms) and pan/zoom frames per second, canvas and WebGL renderers',
  rows: RENDERERS.map((r) => `explorer-scatter-${r}`),
  async run(ctx: BenchContext): Promise<Row[]> {
    const runsDir = ctx.tmpPath('scatter-runs');
    mkdirSync(runsDir, { recursive: true });
    const given = process.env.LATENTLAB_BENCH_SCATTER_RUN;
    const id = given !== undefined && given !== '' ? copyRun(given, runsDir) : syntheticRun(runsDir);
    const data =
      given !== undefined && given !== ''
        ? `run ${id} (from LATENTLAB_BENCH_SCATTER_RUN, copied)`
        : `synthetic: ${N} points in 10 Gaussian blobs, a DESOM-like run (8×8 map)`;
    ctx.log(`explorer-scatter: ${data}`);
    const server = await startServer({ runsDir, port: 0 });
    const browser = await launchChromium();
    const rows: Row[] = [];
    try {
      for (const renderer of RENDERERS) {
        const rounds: Measured[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Frame rates from the last load only: the first-render numbers are what the rounds repeat.
          const m = await measure(browser, `${server.url}#/run/${encodeURIComponent(id)}`, renderer, round === ROUNDS - 1);
          ctx.log(
            `explorer-scatter-${renderer} round ${round + 1}: first render ${m.firstMs.toFixed(0)} ms${Number.isNaN(m.fps) ? '' : `, ${m.fps.toFixed(1)} frames/s (pan ${m.fpsPan.toFixed(1)}, zoom ${m.fpsZoom.toFixed(1)}; ${m.drawMs.toFixed(1)} ms per draw call)`}`,
          );
          rounds.push(m);
        }
        const last = rounds[rounds.length - 1];
        if (last.renderer !== renderer) ctx.log(`explorer-scatter: asked for ${renderer}, the page used ${last.renderer} (${last.note})`);
        rows.push({
          case: `explorer-scatter-${renderer}`,
          unit: 'ms',
          ours: median(rounds.map((m) => m.firstMs)),
          peer: null,
          peer_name: null,
          ratio: null,
          env: ctx.env(),
          detail: {
            what: 'first render: navigation start → the scatter’s first complete draw (median of page loads, each in a fresh browser context)',
            first_render_rounds_ms: rounds.map((m) => Math.round(m.firstMs)),
            fps: last.fps,
            fps_pan: last.fpsPan,
            fps_zoom: last.fpsZoom,
            draw_call_ms: last.drawMs,
            points: last.points,
            renderer_used: last.renderer,
            renderer_note: last.note,
            data,
            browser: `Chromium ${browser.version()} headless`,
          },
        });
      }
    } finally {
      await browser.close();
      await server.close();
    }
    return rows;
  },
};
