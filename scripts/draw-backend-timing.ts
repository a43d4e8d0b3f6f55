/**
 * The draw panel's probe timed on the wasm and the js backends in Debian's Chromium (the numbers of
 * docs/wasm.md's "In the browser"): serves a runs folder, opens a run's page once per backend
 * (the default address, which runs wasm, and `?backend=js`), loads rows 0 … n−1 into the draw
 * panel and times each row's probe (the model's forward pass: its layers and, for a DESOM, the map
 * and the decoder) as the mean of --reps passes back to back (`window.__latentlab.drawTiming`: the
 * browser's clock ticks every 0.1 ms, coarser than one pass of a small model). Row 0 is the page's
 * warm-up and left out. Each round opens both pages afresh, wasm first then js. Prints each
 * round's median per backend and the median of the rounds; with --screenshot, photographs the
 * panel of the last wasm page.
 *
 *   node --import tsx scripts/draw-backend-timing.ts --runs DIR --run ID [--rows 11] [--reps 20] [--rounds 3] [--screenshot FILE.png]
 */
import { resolve } from 'node:path';
import { startServer } from '../src/serve/server.js';
import { launchChromium, waitUntil } from '../test/helpers/chromium.js';

const arg = (name: string, fallback?: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  if (at > 0 && process.argv[at + 1] !== undefined) return process.argv[at + 1];
  if (fallback === undefined) throw new Error(`draw-backend-timing: --${name} is required`);
  return fallback;
};
const runsDir = resolve(arg('runs'));
const runId = arg('run');
const rows = Number(arg('rows', '11'));
const reps = Number(arg('reps', '20'));
const rounds = Number(arg('rounds', '3'));
const shot = process.argv.includes('--screenshot') ? resolve(arg('screenshot')) : null;
if (!Number.isInteger(rows) || rows < 2) throw new Error(`draw-backend-timing: --rows: expected an integer ≥ 2, got ${rows}`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`draw-backend-timing: --reps: expected a positive integer, got ${reps}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`draw-backend-timing: --rounds: expected a positive integer, got ${rounds}`);

interface Hook {
  __latentlab: { drawBackend(): { name: string; fallback: string | null; loadMs: number } | null; drawTiming(n: number): Promise<number> };
}

const median = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const server = await startServer({ runsDir, port: 0 });
const browser = await launchChromium();
const times: Record<'wasm' | 'js', number[]> = { wasm: [], js: [] };
const loads: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const be of ['wasm', 'js'] as const) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${server.url}${be === 'js' ? '?backend=js' : ''}#/run/${runId}`);
      await page.waitForSelector('.draw', { timeout: 60_000 });
      const forward: number[] = [];
      for (let r = 0; r < rows; r++) {
        await page.fill('.draw-row', String(r));
        await page.click('button[data-draw="row"]');
        const done = async (): Promise<boolean> => {
          const d = await page.locator('.draw').evaluate((e: { dataset: { state?: string; source?: string } }) => ({ ...e.dataset }));
          if (d.state === 'error') throw new Error(`draw-backend-timing: ${await page.textContent('.draw-status')}`);
          return d.state === 'ready' && d.source === `row:${r}`;
        };
        await waitUntil(done, `row ${r} probed`, 60_000);
        const got = await page.evaluate(async (n) => {
          const h = (globalThis as unknown as Hook).__latentlab;
          return { backend: h.drawBackend(), forward: await h.drawTiming(n) };
        }, reps);
        if (got.backend?.name !== be) throw new Error(`draw-backend-timing: expected the ${be} backend, the page says ${JSON.stringify(got.backend)}`);
        if (r > 0) forward.push(got.forward);
        if (r === 0 && be === 'wasm') loads.push(got.backend.loadMs);
      }
      const m = median(forward);
      times[be].push(m);
      console.log(
        `round ${round + 1} ${be.padEnd(4)}: median forward ${m.toFixed(2)} ms over ${forward.length} rows × ${reps} passes (min ${Math.min(...forward).toFixed(2)}, max ${Math.max(...forward).toFixed(2)})`,
      );
      if (shot !== null && be === 'wasm' && round === rounds - 1) {
        await page.locator('.draw').scrollIntoViewIfNeeded();
        await page.locator('.draw').screenshot({ path: shot });
        console.log(`screenshot: ${shot}`);
      }
      await page.close();
    }
  }
  const w = median(times.wasm);
  const j = median(times.js);
  console.log(`${runId}: wasm ${w.toFixed(2)} ms, js ${j.toFixed(2)} ms (medians of ${rounds} rounds): js / wasm = ${(j / w).toFixed(2)}`);
  console.log(`kernels.wasm fetched, compiled and instantiated in ${median(loads).toFixed(1)} ms (median of ${rounds} pages)`);
} finally {
  await browser.close();
  await server.close();
}
