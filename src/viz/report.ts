/**
 * report.html: one self-contained page per run (inline CSS, images as data: URIs, no external
 * scripts, fonts or links), so it opens from disk years later with no network.
 * SVGs are embedded as <img src="data:image/svg+xml;base64,…"> rather than inline <svg>: vega
 * reuses element ids (clip paths, gradients) across charts, and inline copies would clash.
 *
 * A figure may also carry its curves as data (`chart`): they go beside its image as a JSON block,
 * and one inline script (src/viz/report-script.ts) turns such images into interactive charts —
 * tooltips, legend toggles, zoom — when the page is opened in a browser. With scripts blocked
 * (the explorer serves run files under a sandbox CSP) or no script at hand, the images stay.
 */
import { escapeHtml, formatNumber } from './format.js';
import { metricLabel, pairMetrics, timingLabel } from './labels.js';
import { loadedReportScript } from './report-script.js';

export { escapeHtml, formatNumber } from './format.js';

/** One image: an SVG string or PNG bytes (SVG wins if both), `file` = its name in the run directory. */
export interface ReportFigure {
  title: string;
  caption?: string;
  svg?: string;
  png?: Uint8Array;
  file?: string;
  /** The curves the image draws, as data: the report turns the image into an interactive chart. */
  chart?: ReportChart;
}

/** One curve of a ReportChart: y[i] at x[i]; a non-finite y leaves a gap. */
export interface ReportChartSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Shown at first (default true). */
  visible?: boolean;
}

/** The data of an interactive chart (the same curves as the figure's static image). */
export interface ReportChart {
  /** Default: the figure's title. */
  title?: string;
  xLabel: string;
  yLabel?: string;
  /** Start on a logarithmic y axis (the reader can switch). */
  logY?: boolean;
  series: readonly ReportChartSeries[];
}

/** Points kept per series in a chart's data; longer series are thinned to this, and the chart says so. */
export const MAX_CHART_POINTS = 2000;

/** A table; numbers are shown with 4 significant digits, null as a dash. */
export interface ReportTable {
  columns: readonly string[];
  rows: readonly (readonly (string | number | null)[])[];
  caption?: string;
}

/** A titled part of the report: paragraphs, then tables, then figures. */
export interface ReportSection {
  heading: string;
  /** Plain text; blank lines separate paragraphs. */
  text?: string;
  tables?: ReportTable[];
  figures?: ReportFigure[];
}

/** Everything renderReport needs; only title and sections are required. */
export interface ReportOptions {
  title: string;
  subtitle?: string;
  /** Run status, e.g. completed | failed | interrupted (coloured badge). */
  status?: string;
  /** Shown under the header in a warning box (e.g. a collapsed map); the badge then says so too. */
  warnings?: string[];
  /** Resolved config: one row per key, nested values as JSON. */
  config?: Record<string, unknown>;
  /** Final metrics (summary.json keys); shown under readable labels with the key beside them, `x` and `test_x` on one row. */
  metrics?: Record<string, number>;
  /** Metric keys also shown as large cards above the table, in this order (default none). */
  headline?: readonly string[];
  /** Heads of the two value columns of the metrics table (default 'fitted rows' and 'test split'). */
  metricColumns?: readonly [string, string];
  /** Durations in seconds (keys like train_s), shown under readable labels. */
  timings?: Record<string, number>;
  /** A sentence under the configuration table (e.g. which keys were left out). */
  configNote?: string;
  sections: ReportSection[];
  /** Shown in the header when given (left to the caller so the page is reproducible). */
  generatedAt?: string;
  /**
   * The chart script inlined when a figure carries chart data. Default: the one loadReportScript
   * loaded (none before it, or without one); null writes the report static.
   */
  chartScript?: string | null;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2230; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 56px; }
header { border-bottom: 1px solid #dde1e7; padding-bottom: 14px; margin-bottom: 20px; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
h2 { font-size: 19px; margin: 34px 0 10px; font-weight: 620; border-bottom: 1px solid #e4e7ec; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 8px; font-weight: 600; color: #3b4252; }
.subtitle { margin: 0; color: #4c566a; }
.meta { margin: 8px 0 0; color: #6b7280; font-size: 13px; }
.status { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; background: #e5e7eb; color: #374151; }
.status-completed { background: #dcfce7; color: #166534; }
.status-failed { background: #fee2e2; color: #991b1b; }
.status-interrupted { background: #fef3c7; color: #92400e; }
.status-warning { background: #fef3c7; color: #92400e; }
.warnings { background: #fffbeb; border: 1px solid #f59e0b; border-radius: 6px; padding: 8px 14px; margin: 0 0 18px; color: #78350f; }
.warnings p { margin: 4px 0; }
nav ol { margin: 0; padding-left: 20px; columns: 2; font-size: 14px; }
nav a { color: #2563eb; text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: 8px 0 4px; }
.card { background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; padding: 10px 12px; }
.card .k { font-size: 12px; color: #6b7280; word-break: break-word; }
.card .v { font-size: 21px; font-weight: 620; font-variant-numeric: tabular-nums; }
.raw { font: 11.5px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #8a93a3; }
.card .raw { margin-top: 2px; }
td.raw { white-space: nowrap; vertical-align: baseline; }
.kv td { vertical-align: baseline; }
.note { font-size: 13px; color: #4c566a; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 14px; font-size: 13.5px; border: 1px solid #e4e7ec; }
caption { caption-side: top; text-align: left; color: #4c566a; font-size: 13px; padding: 0 0 4px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eef0f3; text-align: left; vertical-align: top; }
th { background: #f1f3f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td code, .file code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
.kv td:first-child { color: #4c566a; white-space: nowrap; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 0; background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; padding: 12px; max-width: 100%; }
figure .fig-title { font-weight: 600; font-size: 14px; }
figure .file { font-size: 12px; color: #6b7280; margin-bottom: 8px; }
figure .file a { color: inherit; }
figure img { display: block; max-width: 100%; height: auto; image-rendering: auto; }
figure img.pixels { image-rendering: pixelated; }
figcaption.caption { font-size: 13px; color: #4c566a; margin-top: 8px; max-width: 720px; }
.missing { color: #9ca3af; font-style: italic; }
p { margin: 6px 0 10px; max-width: 860px; }
`;

/** The interactive charts' look (web/chart.ts's classes), added when the report has chart data. */
const CHART_CSS = `
.report-chart { width: 720px; max-width: 100%; }
figure .chart { margin: 0; padding: 0; border: 0; border-radius: 0; background: none; }
.chart-head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin-bottom: 4px; }
.chart-head figcaption { font-weight: 600; font-size: 13px; margin-right: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px; flex: 1; }
.chart-head button { font: inherit; font-size: 12px; cursor: pointer; border: 1px solid #cfd4dc; background: #fff; color: #1d2230; }
.legend-item { display: inline-flex; align-items: center; gap: 5px; padding: 0 7px; border-radius: 10px; }
.legend-item[aria-pressed='false'] { opacity: .45; text-decoration: line-through; }
.zoom-reset { padding: 0 8px; border-radius: 6px; }
.chart-head button:focus-visible, .chart-svg:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; }
.chart-svg:focus:not(:focus-visible) { outline: none; }
.log-toggle { font-size: 12px; color: #6b7280; }
.chart-body { position: relative; }
.chart-svg { display: block; width: 100%; height: auto; cursor: crosshair; touch-action: pan-y; user-select: none; }
.chart-svg .grid { stroke: #eef0f3; }
.chart-svg .axis { stroke: #9aa1ac; }
.chart-svg .tick, .chart-svg .axis-label, .chart-svg .chart-empty { font-size: 11px; fill: #667085; }
.chart-svg .hover-rule { stroke: #9aa1ac; stroke-dasharray: 3 3; }
.chart-svg .hover-dot { stroke: #fff; stroke-width: 1.5; }
.chart-svg .zoom-band { fill: rgba(37, 99, 235, .12); stroke: rgba(37, 99, 235, .55); stroke-width: 1; }
.tooltip { position: absolute; pointer-events: none; background: rgba(17, 24, 39, .92); color: #fff; font-size: 12px; padding: 6px 9px; border-radius: 6px; white-space: nowrap; font-variant-numeric: tabular-nums; z-index: 1; }
.tooltip .tip-x { color: #cbd5e1; }
.chart-hint, .chart-note { font-size: 12px; color: #6b7280; margin: 4px 0 0; }
`;

function base64(bytes: Uint8Array | string): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64');
}

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '<td class="missing">—</td>';
  if (typeof v === 'number') return `<td class="num">${escapeHtml(formatNumber(v))}</td>`;
  return `<td>${escapeHtml(String(v))}</td>`;
}

function configValue(v: unknown): string {
  if (v === null || v === undefined) return `<td class="missing">${v === null ? 'null' : '—'}</td>`;
  if (typeof v === 'string') return `<td>${escapeHtml(v)}</td>`;
  // Config values are shown exactly as given (a learning rate of 0.00012345 stays that).
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `<td class="num">${escapeHtml(String(v))}</td>`;
  let json: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only functions and symbols, which JSON.stringify skips, reach String(), and it names them
    json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a config value JSON can't encode (a cycle): String() is the last resort, as intended
    json = String(v);
  }
  return `<td><code>${escapeHtml(json)}</code></td>`;
}

function keyValueTable(title: string, entries: [string, string][]): string {
  if (entries.length === 0) return '';
  return [
    `<h3>${escapeHtml(title)}</h3>`,
    '<table class="kv"><tbody>',
    ...entries.map(([k, td]) => `<tr><td>${escapeHtml(k)}</td>${td}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

function numberCell(v: number | undefined): string {
  return v === undefined ? '<td class="missing">—</td>' : `<td class="num">${escapeHtml(formatNumber(v))}</td>`;
}

/** The raw summary.json keys of a row, small and grey, so a reader can find them in the file. */
function rawKeys(keys: readonly (string | null)[]): string {
  return `<td class="raw">${keys
    .filter((k): k is string => k !== null)
    .map((k) => escapeHtml(k))
    .join(' · ')}</td>`;
}

/** Metrics as a table: one row per measure, its value on the fitted rows and on the test split. */
function metricsTable(metrics: Record<string, number>, columns: readonly [string, string]): string {
  const rows = pairMetrics(Object.keys(metrics));
  if (rows.length === 0) return '';
  const hasFit = rows.some((r) => r.key !== null);
  const hasTest = rows.some((r) => r.testKey !== null);
  const heads = ['measure', ...(hasFit ? [columns[0]] : []), ...(hasTest ? [columns[1]] : []), 'summary.json key'];
  return [
    '<h3>Metrics</h3>',
    '<table class="kv metrics">',
    `<thead><tr>${heads.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => {
      const title = [r.key, r.testKey].filter((k) => k !== null).join(', ');
      return (
        `<tr><td title="${escapeHtml(title)}">${escapeHtml(r.label)}</td>` +
        (hasFit ? numberCell(r.key === null ? undefined : metrics[r.key]) : '') +
        (hasTest ? numberCell(r.testKey === null ? undefined : metrics[r.testKey]) : '') +
        `${rawKeys([r.key, r.testKey])}</tr>`
      );
    }),
    '</tbody></table>',
  ].join('\n');
}

function timingsTable(timings: Record<string, number>): string {
  const entries = Object.entries(timings);
  if (entries.length === 0) return '';
  return [
    '<h3>Timings</h3>',
    '<table class="kv"><tbody>',
    ...entries.map(([k, v]) => `<tr><td title="${escapeHtml(k)}">${escapeHtml(timingLabel(k))}</td>${numberCell(v)}${rawKeys([k])}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

function renderTable(fn: string, t: ReportTable): string {
  const w = t.columns.length;
  t.rows.forEach((r, i) => {
    if (r.length !== w) throw new RangeError(`${fn}: expected table rows of ${w} cells (one per column), got ${r.length} in row ${i}`);
  });
  return [
    '<table>',
    t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '',
    `<thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** Non-integers to 7 significant digits (float32 holds about that many): the JSON stays small. */
function short(v: number): number {
  return Number.isInteger(v) ? v : Number(v.toPrecision(7));
}

/**
 * The indices of at most MAX_CHART_POINTS points of a series of n (sorted by x): the first, the
 * last, and in each of equal stretches between them the lowest and the highest y (or a gap), so
 * spikes and the curve's envelope survive the thinning.
 */
function thinned(y: ArrayLike<number>, order: readonly number[]): number[] {
  const n = order.length;
  if (n <= MAX_CHART_POINTS) return [...order];
  // Up to three points a stretch (lowest, highest, a gap): the total stays within the budget.
  const buckets = Math.floor((MAX_CHART_POINTS - 2) / 3);
  const keep: number[] = [order[0]];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * (n - 2)) / buckets);
    const to = 1 + Math.floor(((b + 1) * (n - 2)) / buckets);
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let k = from; k < to; k++) {
      const v = y[order[k]];
      if (!Number.isFinite(v)) {
        if (gap < 0) gap = k;
        continue;
      }
      if (lo < 0 || v < y[order[lo]]) lo = k;
      if (hi < 0 || v > y[order[hi]]) hi = k;
    }
    for (const k of [...new Set([lo, hi, gap])].filter((k) => k >= 0).sort((a, b) => a - b)) keep.push(order[k]);
  }
  keep.push(order[n - 1]);
  return keep;
}

/**
 * A figure's chart data as JSON safe inside a <script> element: every <, > and & is written as a
 * \u escape, so no text in it (a series named "</script>", say) can end the element.
 */
function chartJson(fn: string, title: string, c: ReportChart): string {
  if (typeof c.xLabel !== 'string') throw new TypeError(`${fn}: expected the chart of figure "${title}" to have an xLabel string, got ${typeof c.xLabel}`);
  const given: unknown = c.series; // checked as it came, not as typed
  if (!Array.isArray(given)) throw new TypeError(`${fn}: expected the chart of figure "${title}" to have a series array, got ${typeof given}`);
  const thin: string[] = [];
  const series = c.series.map((s, i) => {
    if (typeof s?.name !== 'string')
      throw new TypeError(`${fn}: expected series ${i} of the chart of figure "${title}" to have a name string, got ${typeof s?.name}`);
    if (typeof s.x?.length !== 'number' || typeof s.y?.length !== 'number')
      throw new TypeError(`${fn}: expected series "${s.name}" of the chart of figure "${title}" to have x and y arrays, got ${typeof s.x} and ${typeof s.y}`);
    if (s.x.length !== s.y.length)
      throw new RangeError(`${fn}: expected series "${s.name}" of the chart of figure "${title}" to have one y per x, got ${s.x.length} x and ${s.y.length} y`);
    const order = Array.from({ length: s.x.length }, (_, k) => k)
      .filter((k) => Number.isFinite(s.x[k]))
      .sort((a, b) => s.x[a] - s.x[b]);
    const kept = thinned(s.y, order);
    if (kept.length < order.length) thin.push(`${s.name}: ${kept.length} of ${order.length} points`);
    const points = kept.map((k) => [short(s.x[k]), Number.isFinite(s.y[k]) ? short(s.y[k]) : null]);
    return { name: s.name, points, ...(s.visible === false ? { visible: false } : {}) };
  });
  const data = {
    title: c.title ?? title,
    xLabel: c.xLabel,
    ...(c.yLabel === undefined ? {} : { yLabel: c.yLabel }),
    ...(c.logY ? { logY: true } : {}),
    series,
    ...(thin.length === 0
      ? {}
      : {
          note: `Thinned for this page (${thin.join('; ')}): the lowest and highest value of each stretch of x are kept; the figure's image file holds every point.`,
        }),
  };
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The chart script as <script> text: `</script` and `<!--` (which esbuild does not write anyway) cannot end or alter the element. */
function inlineScript(code: string): string {
  return code.replace(/<(\/script|!--)/gi, '\\x3C$1');
}

function renderFigure(fn: string, f: ReportFigure): string {
  const alt = escapeHtml(f.title);
  let img: string;
  if (f.svg !== undefined) img = `<img alt="${alt}" src="data:image/svg+xml;base64,${base64(f.svg)}">`;
  else if (f.png !== undefined) img = `<img class="pixels" alt="${alt}" src="data:image/png;base64,${base64(f.png)}">`;
  else img = '<div class="missing">(image not embedded)</div>';
  // A relative name links to the file beside report.html; anything with a scheme is shown as text only.
  const file = f.file
    ? `<div class="file">${/^[a-z][a-z0-9+.-]*:/i.test(f.file) || f.file.startsWith('//') ? `<code>${escapeHtml(f.file)}</code>` : `<a href="${escapeHtml(f.file)}"><code>${escapeHtml(f.file)}</code></a>`}</div>`
    : '';
  return [
    '<figure>',
    `<div class="fig-title">${escapeHtml(f.title)}</div>`,
    file,
    img,
    f.chart ? `<script type="application/json" class="latentlab-chart">${chartJson(fn, f.title, f.chart)}</script>` : '',
    f.caption ? `<figcaption class="caption">${escapeHtml(f.caption)}</figcaption>` : '',
    '</figure>',
  ]
    .filter((s) => s !== '')
    .join('\n');
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

/** The whole report as an HTML string (write it with writeFileAtomic). */
export function renderReport(o: ReportOptions): string {
  const fn = 'renderReport';
  if (!o || typeof o.title !== 'string') throw new TypeError(`${fn}: expected a title string, got ${typeof o?.title}`);
  if (!Array.isArray(o.sections)) throw new TypeError(`${fn}: expected sections to be an array, got ${typeof o.sections}`);
  const metaBits: string[] = [];
  if (o.status) metaBits.push(`<span class="status status-${escapeHtml(o.status.toLowerCase().replace(/[^a-z0-9-]/g, '-'))}">${escapeHtml(o.status)}</span>`);
  const warnings = o.warnings ?? [];
  if (warnings.length > 0) metaBits.push(`<span class="status status-warning">${warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`}</span>`);
  if (o.generatedAt) metaBits.push(`generated ${escapeHtml(o.generatedAt)}`);
  // The chart script and its look come only with chart data: a report without any stays script-free.
  const charts = o.sections.some((s) => s.figures?.some((f) => f.chart !== undefined) === true);
  const script = charts ? (o.chartScript === undefined ? loadedReportScript() : o.chartScript) : null;
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(o.title)}</title>`,
    `<style>${CSS}${charts ? CHART_CSS : ''}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header>',
    `<h1>${escapeHtml(o.title)}</h1>`,
    o.subtitle ? `<p class="subtitle">${escapeHtml(o.subtitle)}</p>` : '',
    metaBits.length ? `<p class="meta">${metaBits.join(' · ')}</p>` : '',
    '</header>',
    warnings.length ? `<div class="warnings">${warnings.map((w) => `<p><strong>Warning:</strong> ${escapeHtml(w)}</p>`).join('')}</div>` : '',
  ];
  if (o.sections.length > 1) {
    out.push('<nav><ol>', ...o.sections.map((s, i) => `<li><a href="#section-${i + 1}">${escapeHtml(s.heading)}</a></li>`), '</ol></nav>');
  }
  const metrics = Object.entries(o.metrics ?? {});
  const timings = Object.entries(o.timings ?? {});
  const config = Object.entries(o.config ?? {});
  if (metrics.length || timings.length || config.length) {
    out.push('<section id="summary">', '<h2>Summary</h2>');
    const cards = (o.headline ?? []).filter((k) => o.metrics?.[k] !== undefined);
    if (cards.length) {
      out.push(
        '<div class="cards">',
        ...cards.map(
          (k) =>
            `<div class="card" title="${escapeHtml(k)}"><div class="k">${escapeHtml(metricLabel(k))}</div><div class="v">${escapeHtml(formatNumber(o.metrics![k]))}</div><div class="raw">${escapeHtml(k)}</div></div>`,
        ),
        '</div>',
      );
    }
    if (metrics.length) out.push(metricsTable(o.metrics!, o.metricColumns ?? ['fitted rows', 'test split']));
    if (timings.length) out.push(timingsTable(o.timings!));
    out.push(
      keyValueTable(
        'Configuration',
        config.map(([k, v]) => [k, configValue(v)]),
      ),
    );
    if (o.configNote) out.push(`<p class="note">${escapeHtml(o.configNote)}</p>`);
    out.push('</section>');
  }
  o.sections.forEach((s, i) => {
    out.push(`<section id="section-${i + 1}">`, `<h2>${escapeHtml(s.heading)}</h2>`);
    if (s.text) out.push(paragraphs(s.text));
    for (const t of s.tables ?? []) out.push(renderTable(fn, t));
    if (s.figures?.length) out.push('<div class="figures">', ...s.figures.map((f) => renderFigure(fn, f)), '</div>');
    out.push('</section>');
  });
  out.push('</main>');
  if (script !== null) out.push(`<script>${inlineScript(script)}</script>`);
  out.push('</body>', '</html>', '');
  return out.filter((s) => s !== '').join('\n') + '\n';
}
