/**
 * The single-page app the explorer serves. From a source checkout (web/ beside src/, esbuild
 * installed) it is bundled in memory when the server starts (~0.1 s), so what is served is always
 * the current source; an installed package has no web/ sources and serves dist/web/, which
 * `npm run build` (scripts/build-web.mjs) wrote. The same files either way.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The app's files by name (index.html, app.js, style.css, …) and where they came from. */
export interface WebApp {
  files: Map<string, Uint8Array>;
  source: 'memory' | 'dist';
}

/** src/serve/ and dist/serve/ are both two levels below the package root. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface WebBuilder {
  buildWeb(options?: { outdir?: string; minify?: boolean }): Promise<Record<string, Uint8Array>>;
}

async function esbuildInstalled(): Promise<boolean> {
  try {
    await import('esbuild');
    return true;
  } catch {
    return false;
  }
}

/** Loads (or builds) the app; throws, saying how to build it, when neither way is possible. */
export async function loadWebApp(root = PACKAGE_ROOT): Promise<WebApp> {
  const sources = join(root, 'web', 'build.mjs');
  if (existsSync(join(root, 'web', 'main.ts')) && existsSync(sources) && (await esbuildInstalled())) {
    const builder = (await import(pathToFileURL(sources).href)) as WebBuilder;
    return { files: new Map(Object.entries(await builder.buildWeb())), source: 'memory' };
  }
  const dist = join(root, 'dist', 'web');
  if (existsSync(join(dist, 'index.html'))) {
    const files = new Map<string, Uint8Array>();
    for (const name of readdirSync(dist)) files.set(name, readFileSync(join(dist, name)));
    return { files, source: 'dist' };
  }
  throw new Error(`loadWebApp: no explorer app in ${dist} and no web/ sources with esbuild to build it from; run \`npm run build\` in ${root}`);
}
