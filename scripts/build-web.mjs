// Builds the explorer's single-page app into dist/web/ (or --outdir DIR): `npm run build` calls it
// after tsc, and `latentlab serve` serves that folder when it runs without the web/ sources. It
// also writes report.html's chart script there (report-charts.js), which an installed package,
// having neither esbuild nor web/, inlines in the reports it writes (src/viz/report-script.ts).
import { join } from 'node:path';
import { REPORT_SCRIPT, buildReportScript, buildWeb } from '../web/build.mjs';

const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : join('dist', 'web');
const files = await buildWeb({ outdir });
files[REPORT_SCRIPT] = await buildReportScript({ outdir });
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const [name, bytes] of Object.entries(files)) console.log(`build-web: ${join(outdir, name)}  ${kb(bytes.length)}`);
