import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadWebApp } from './web-app.js';

const tmp = mkdtempSync(join(tmpdir(), 'latentlab-web-app-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The app's files, each chunk-<hash>.js (and its map) named chunk-*. */
const names = (files: Iterable<string>): string[] => [...new Set([...files].map((n) => n.replace(/^chunk-[A-Z0-9]+\.js/, 'chunk-*.js')))].sort();

test('from the source checkout the app is bundled in memory: small, with no inline script', async () => {
  const app = await loadWebApp();
  assert.equal(app.source, 'memory');
  assert.deepEqual(names(app.files.keys()), ['app.js', 'app.js.map', 'chunk-*.js', 'chunk-*.js.map', 'favicon.svg', 'index.html', 'kernels.wasm', 'style.css']);
  const js = app.files.get('app.js') as Uint8Array;
  // A budget, not a measurement: the app is ~120 KiB minified with its linked views (scatter, map,
  // Sankey, the draw panel); vega alone would be ~800 KiB.
  assert.ok(js.length < 160 * 1024, `app.js is ${js.length} bytes`);
  // The network library the draw panel runs is a chunk loaded on first use, not part of app.js.
  const text = (b: Uint8Array): string => Buffer.from(b).toString();
  assert.doesNotMatch(text(js), /captureActivations/);
  assert.ok(
    [...app.files].some(([n, b]) => /^chunk-.*\.js$/.test(n) && /captureActivations/.test(text(b))),
    'a chunk holds the model code',
  );
  assert.match(Buffer.from(app.files.get('index.html') as Uint8Array).toString(), /<script type="module" src="\/assets\/app\.js"><\/script>/);
});

test('without web/ sources the app comes from dist/web, and without either the error says how to build it', async () => {
  mkdirSync(join(tmp, 'pkg', 'dist', 'web'), { recursive: true });
  writeFileSync(join(tmp, 'pkg', 'dist', 'web', 'index.html'), '<!doctype html>');
  writeFileSync(join(tmp, 'pkg', 'dist', 'web', 'app.js'), '');
  const app = await loadWebApp(join(tmp, 'pkg'));
  assert.equal(app.source, 'dist');
  assert.deepEqual([...app.files.keys()].sort(), ['app.js', 'index.html']);
  await assert.rejects(loadWebApp(join(tmp, 'empty')), /loadWebApp: no explorer app in .*dist\/web .*run `npm run build`/);
});

test('scripts/build-web.mjs writes the same files to disk', () => {
  const out = join(tmp, 'built');
  const r = spawnSync(process.execPath, ['scripts/build-web.mjs', '--outdir', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(names(readdirSync(out)), [
    'app.js',
    'app.js.map',
    'chunk-*.js',
    'chunk-*.js.map',
    'favicon.svg',
    'index.html',
    'kernels.wasm',
    'report-charts.js',
    'style.css',
  ]);
  assert.match(readFileSync(join(out, 'app.js'), 'utf8'), /sourceMappingURL=app\.js\.map/);
});
