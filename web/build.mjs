// Bundles the explorer's single-page app (web/main.ts and what it imports) with esbuild, for the
// browser, plus its page and stylesheet. Used by scripts/build-web.mjs (writing dist/web/) and by
// the server run from a source checkout (building in memory: src/serve/web-app.ts).
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('.', import.meta.url));
/** The files copied as they are beside the bundle. */
const STATIC = ['index.html', 'style.css', 'favicon.svg'];
/** The wasm backend's kernels (committed, built from assembly/), which the draw panel runs its model on. */
const KERNELS = join(WEB, '..', 'src', 'tensor', 'backends', 'wasm', 'kernels.wasm');

/**
 * Builds the app; returns its files by name (app.js, chunk-*.js, their .map files, index.html,
 * style.css, favicon.svg, kernels.wasm). With `outdir`, also writes them there.
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<Record<string, Uint8Array>>}
 */
export async function buildWeb({ outdir, minify = true } = {}) {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: { app: join(WEB, 'main.ts') },
    bundle: true,
    format: 'esm',
    // Code the first view does not need (the model run in the browser by the draw panel) is
    // split into chunks loaded on demand: chunk-<hash>.js beside app.js.
    splitting: true,
    chunkNames: 'chunk-[hash]',
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
  files['kernels.wasm'] = readFileSync(KERNELS);
  if (outdir !== undefined) {
    mkdirSync(outdir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(outdir, name), bytes);
  }
  return files;
}

/** The name of report.html's chart script in dist/web/. */
export const REPORT_SCRIPT = 'report-charts.js';

/**
 * Bundles report.html's chart script (web/report-charts.ts with LineChart) into one
 * self-contained IIFE: no imports, no chunks, no source map, ASCII only, so src/viz/report.ts can
 * inline it in a <script> element. With `outdir`, also writes it there as report-charts.js.
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function buildReportScript({ outdir, minify = true } = {}) {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(WEB, 'report-charts.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify,
    charset: 'ascii',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  if (out.outputFiles.length !== 1) throw new Error(`buildReportScript: expected one output file, got ${out.outputFiles.length}`);
  const code = out.outputFiles[0].contents;
  if (outdir !== undefined) {
    mkdirSync(outdir, { recursive: true });
    writeFileSync(join(outdir, REPORT_SCRIPT), code);
  }
  return code;
}
