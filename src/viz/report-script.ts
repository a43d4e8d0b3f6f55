/**
 * The script that makes report.html's charts interactive (web/report-charts.ts bundled into one
 * self-contained IIFE). Like the explorer's app (src/serve/web-app.ts), it comes one of two ways:
 * from a source checkout (web/ beside src/, esbuild installed) it is bundled in memory, so reports
 * always carry the current source; an installed package has neither and reads
 * dist/web/report-charts.js, which `npm run build` (scripts/build-web.mjs) wrote. With neither,
 * reports stay static (their SVG images), which is all they were before: nothing breaks.
 *
 * renderReport is synchronous, so the script is loaded ahead of it: `loadReportScript()` once per
 * process (src/runs/report-file.ts awaits it when it loads), then `loadedReportScript()` hands it
 * over.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What loadReportScript found: the code, or null and why there is none. */
export interface ReportScript {
  code: string | null;
  source: 'memory' | 'dist' | 'none';
  /** Why code is null. */
  reason?: string;
}

/** src/viz/ and dist/viz/ are both two levels below the package root. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The file name scripts/build-web.mjs writes under dist/web/ (web/build.mjs REPORT_SCRIPT). */
const DIST_NAME = 'report-charts.js';

interface ReportScriptBuilder {
  buildReportScript(options?: { outdir?: string; minify?: boolean }): Promise<Uint8Array>;
}

/** The package root's own script, once loaded (other roots are not cached: the tests use them). */
let cached: Promise<ReportScript> | null = null;
let settled: ReportScript | null = null;

async function esbuildInstalled(): Promise<boolean> {
  try {
    await import('esbuild');
    return true;
  } catch {
    return false;
  }
}

async function find(root: string): Promise<ReportScript> {
  const builder = join(root, 'web', 'build.mjs');
  if (existsSync(join(root, 'web', 'report-charts.ts')) && existsSync(builder) && (await esbuildInstalled())) {
    try {
      const web = (await import(pathToFileURL(builder).href)) as ReportScriptBuilder;
      return { code: Buffer.from(await web.buildReportScript()).toString('utf8'), source: 'memory' };
    } catch (e) {
      // Broken web/ sources must not cost a finished run its report: it is written static.
      const reason = `loadReportScript: building web/report-charts.ts failed (${e instanceof Error ? e.message : String(e)}); reports stay static`;
      process.emitWarning(reason);
      return { code: null, source: 'none', reason };
    }
  }
  const dist = join(root, 'dist', 'web', DIST_NAME);
  if (existsSync(dist)) return { code: readFileSync(dist, 'utf8'), source: 'dist' };
  return {
    code: null,
    source: 'none',
    reason: `loadReportScript: no ${dist} and no web/ sources with esbuild to build it from; reports stay static (run \`npm run build\` in ${root} for interactive charts)`,
  };
}

/** Builds (source checkout) or reads (installed package) the chart script; never throws. Cached for the package's own root. */
export function loadReportScript(root = PACKAGE_ROOT): Promise<ReportScript> {
  if (root !== PACKAGE_ROOT) return find(root);
  cached ??= find(root).then((r) => (settled = r));
  return cached;
}

/** The package's chart script if loadReportScript has finished loading it, else null (renderReport's default). */
export function loadedReportScript(): string | null {
  return settled?.code ?? null;
}
