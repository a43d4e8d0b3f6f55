// Bundles the explorer's single-page app (web/main.ts and what it imports) with esbuild, for the
// browser, plus its page and stylesheet. Used by scripts/build-web.mjs (writing dist/web/) and by
// the server run from a source checkout (building in memory: src/serve/web-app.ts).
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('.', import.meta.url));
/** The files copied as they are beside the bundle. */
const STATIC = ['index.html', 'style.css', 'favicon.svg'];

/**
 * Builds the app; returns its files by name (app.js, app.js.map, index.html, style.css,
 * favicon.svg). With `outdir`, also writes them there.
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<Record<string, Uint8Array>>}
 */
export async function buildWeb({ outdir, minify = true } = {}) {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: { app: join(WEB, 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    sourcemap: 'linked',
    outdir: outdir ?? join(WEB, '.out'),
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  /** @type {Record<string, Uint8Array>} */
  const files = {};
  for (const f of out.outputFiles) files[basename(f.path)] = f.contents;
  for (const name of STATIC) files[name] = readFileSync(join(WEB, name));
  if (outdir !== undefined) {
    mkdirSync(outdir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(outdir, name), bytes);
  }
  return files;
}
