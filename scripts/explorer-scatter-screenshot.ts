/**
 * The latent scatter's screenshot in docs/explorer.md: serves a runs folder, opens a DESOM run's page
 * (or a signatures run's: its first layer), lassoes part of one class's cluster, hovers a point of
 * another class (so that its tooltip leaves the lasso in view) and photographs the scatter with its tooltip and the top of the selection's gallery
 * with Debian's Chromium.
 *
 *   node --import tsx scripts/explorer-scatter-screenshot.ts --runs DIR --run ID [--class 3] [--hover-class 2] [--out docs/figures/explorer-scatter.png]
 *
 * The picture in the docs: the DESOM of the paper's configuration on the 70,000 MNIST images
 * (`latentlab train desom`), its codes' UMAP.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNpy } from '../src/io/npy.js';
import { startServer } from '../src/serve/server.js';
import { launchChromium, waitUntil } from '../test/helpers/chromium.js';

const arg = (name: string, fallback?: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  if (at > 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  if (fallback === undefined) throw new Error(`explorer-scatter-screenshot: expected --${name}`);
  return fallback;
};
const runs = resolve(arg('runs'));
const id = arg('run');
const cls = Number(arg('class', '3'));
const hoverClass = Number(arg('hover-class', '2'));
const out = resolve(arg('out', join('docs', 'figures', 'explorer-scatter.png')));

const arrays = join(runs, id, 'arrays');
const xyName = existsSync(join(arrays, 'codes_umap.npy')) ? 'codes_umap' : 'umap_h1';
const xy = readNpy(join(arrays, `${xyName}.npy`)).data as Float32Array;
const labels = readNpy(join(arrays, 'labels.npy')).data as Int32Array;
/** A class's centroid in the projection. */
function centroid(k: number): [number, number] {
  let x = 0;
  let y = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] === k) {
      x += xy[2 * i];
      y += xy[2 * i + 1];
      count++;
    }
  return [x / count, y / count];
}
// A hexagon around part of the class's points: centred on its centroid, reaching about half its spread.
const [cx, cy] = centroid(cls);
const m = labels.filter((l) => l === cls).length;
let spread = 0;
for (let i = 0; i < labels.length; i++) if (labels[i] === cls) spread += (xy[2 * i] - cx) ** 2 + (xy[2 * i + 1] - cy) ** 2;
const radius = 0.45 * Math.sqrt(spread / m);

const server = await startServer({ runsDir: runs, port: 0 });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}#/run/${encodeURIComponent(id)}`);
  const el = page.locator('.scatter').first();
  await page.waitForSelector('.scatter[data-first-draw-ms]', { timeout: 120_000 });
  // The section at the top of the viewport, where the picture is taken (a full-page screenshot
  // would resize the viewport, and the pointer would leave the point it hovers).
  await page.locator('#section-scatter').evaluate((e: { scrollIntoView(): void }) => e.scrollIntoView());
  const box = await el.locator('.scatter-stage').boundingBox();
  const t = JSON.parse((await el.getAttribute('data-transform')) ?? '{}') as { k: number; tx: number; ty: number };
  if (box === null) throw new Error('explorer-scatter-screenshot: the scatter is not on the page');
  const to = (x: number, y: number): [number, number] => [box.x + x * t.k + t.tx, box.y - y * t.k + t.ty];
  const hexagon = Array.from({ length: 6 }, (_, k) => to(cx + radius * Math.cos((Math.PI * k) / 3), cy + radius * Math.sin((Math.PI * k) / 3)));
  await page.keyboard.down('Shift');
  await page.mouse.move(...hexagon[0]);
  await page.mouse.down();
  for (const p of hexagon.slice(1)) await page.mouse.move(...p, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await page.waitForSelector('#section-gallery .gallery[data-shown]:not([data-shown="0"])');
  // Hover the point of the other class nearest that class's centroid.
  const [hx, hy] = centroid(hoverClass);
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < labels.length; i++) {
    const d = (xy[2 * i] - hx) ** 2 + (xy[2 * i + 1] - hy) ** 2;
    if (labels[i] === hoverClass && d < bestD) [best, bestD] = [i, d];
  }
  await page.mouse.move(...to(xy[2 * best], xy[2 * best + 1]), { steps: 3 });
  await el.locator('.scatter-tip:not([hidden]) canvas.tip-canvas').waitFor();
  await waitUntil(async () => (await page.locator('#section-gallery .gallery-item canvas').count()) > 0, 'the gallery drawn');
  const top = await page.locator('#section-scatter').boundingBox();
  const gallery = await page.locator('#section-gallery').boundingBox();
  if (top === null || gallery === null) throw new Error('explorer-scatter-screenshot: the sections are not on the page');
  // The scatter, and the gallery's first rows.
  const bottom = Math.min(gallery.y + gallery.height, gallery.y + 330);
  await page.screenshot({ path: out, clip: { x: top.x, y: top.y, width: top.width, height: bottom - top.y } });
  process.stderr.write(
    `explorer-scatter-screenshot: ${out} (${await el.getAttribute('data-selected')} points lassoed, renderer ${await el.getAttribute('data-renderer')})\n`,
  );
} finally {
  await browser.close();
  await server.close();
}
