/**
 * report.html's interactive charts (bundled by web/build.mjs `buildReportScript` into one
 * self-contained script that src/viz/report.ts inlines). The report is complete without it: each
 * chart is a static SVG image, and a figure whose curves the report carries as data holds
 * `<script type="application/json" class="latentlab-chart">` beside its image. This swaps such an
 * image for the explorer's LineChart (tooltips, legend toggles, log y, zoom); where scripts are
 * blocked (the explorer serves run files under a sandbox CSP) the images simply stay.
 */
import { h } from './dom.js';
import { LineChart, type ChartSeries } from './chart.js';

/** The JSON of one data block (written by src/viz/report.ts `chartData`). */
interface ChartData {
  title?: string;
  xLabel: string;
  yLabel?: string;
  logY?: boolean;
  /** Points as [x, y]; a null y (NaN or ±∞ in the run) leaves a gap. */
  series: { name: string; points: [number, number | null][]; visible?: boolean }[];
  /** Said under the chart (e.g. which series were thinned out). */
  note?: string;
}

/** The block's JSON checked enough that a damaged one fails here, with a message, rather than in the chart. */
function parse(text: string): ChartData {
  const d = JSON.parse(text) as Partial<ChartData> | null;
  if (d === null || typeof d !== 'object' || typeof d.xLabel !== 'string' || !Array.isArray(d.series))
    throw new TypeError('expected an object with xLabel and series');
  for (const one of d.series) {
    if (typeof one?.name !== 'string' || !Array.isArray(one.points)) throw new TypeError('expected every series to have a name and points');
  }
  return d as ChartData;
}

function series(d: ChartData): ChartSeries[] {
  return d.series.map((one) => ({
    name: one.name,
    points: one.points.filter((p) => Array.isArray(p) && typeof p[0] === 'number').map((p) => [p[0], typeof p[1] === 'number' ? p[1] : NaN]),
    visible: one.visible,
  }));
}

/** Replaces the image of the block’s figure with a chart; leaves the page as it is when the block is not usable. */
function mount(block: HTMLScriptElement): void {
  const figure = block.closest('figure');
  // The figure's image, or the placeholder of one that was not embedded.
  const img = figure?.querySelector('img, .missing');
  if (figure === null || figure === undefined || img === null || img === undefined) return;
  const d = parse(block.textContent ?? '');
  // The figure's own title above is enough when the chart's says the same.
  const title = d.title === figure.querySelector('.fig-title')?.textContent ? undefined : d.title;
  const chart = new LineChart({ title, xLabel: d.xLabel, yLabel: d.yLabel, logY: d.logY });
  chart.set(series(d));
  const box = h(
    'div',
    { class: 'report-chart' },
    chart.element,
    h(
      'p',
      { class: 'chart-hint' },
      'Hover for values · click a legend entry to hide it · drag across the plot or scroll up over it to zoom · double-click to reset',
    ),
    d.note ? h('p', { class: 'chart-note' }, d.note) : null,
  );
  img.replaceWith(box);
  figure.classList.add('has-chart');
}

function mountAll(): void {
  for (const block of document.querySelectorAll<HTMLScriptElement>('script[type="application/json"].latentlab-chart')) {
    try {
      mount(block);
    } catch (e) {
      // One damaged block keeps its static image; the others still become charts.
      console.error(`latentlab report charts: a chart's data could not be used (${e instanceof Error ? e.message : String(e)}); its image stays`);
    }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mountAll);
else mountAll();
