/**
 * A run's page: status, progress and ETA while it trains (fed by the run's event stream), its
 * curves (one chart per kind of events.jsonl record), metrics, timings, every figure, its config,
 * its arrays (previewed from their binary .npy bytes), a link to report.html, and the sections
 * registered for its kind (sections.ts).
 */
import type { LiveEvents, LiveSummary, RunDetail, RunListItem } from '../src/serve/types.js';
import { fetchArray, fetchArrayIfPresent, fetchEvents, fetchRun, listen, runUrl } from './api.js';
import { LineChart } from './chart.js';
import { exposeSelection } from './debug-hook.js';
import { h, replace, type Child } from './dom.js';
import { bytes, date, duration, num, value } from './format.js';
import type { NpyArray } from './npy.js';
import { Probe } from './probe.js';
import { sectionsFor } from './sections.js';
import { Selection } from './selection.js';
import { chartSeries, chartTypes, seriesPoints, shownFirst, xLabelOf, xOf } from './series.js';
import { statusBadge } from './status.js';

const LIVE = new Set(['running', 'unknown']);

/** Whether a cell's text is a number (right-aligned). */
const numeric = (c: Child): boolean => typeof c === 'string' && (c === '—' || (c.trim() !== '' && Number.isFinite(Number(c))));

/** A table of rows; `head` null for one without a header row. */
function table(head: readonly string[] | null, rows: readonly (readonly Child[])[], attrs: Record<string, string> = {}): HTMLElement {
  return h(
    'table',
    { class: 'kv', ...attrs },
    head === null
      ? null
      : h(
          'thead',
          {},
          h(
            'tr',
            {},
            head.map((c, i) => h('th', { class: i > 0 && rows.length > 0 && rows.every((r) => numeric(r[i])) ? 'num' : null }, c)),
          ),
        ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c, i) => h('td', { class: i > 0 && numeric(c) ? 'num' : null }, c)),
        ),
      ),
    ),
  );
}

function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel', id }, h('h2', {}, title), ...children);
}

/** How long until `total` at the rate seen between the first and the last sample. */
class Eta {
  private first: { t: number; step: number } | null = null;
  private last: { t: number; step: number } | null = null;

  sample(step: number): void {
    const t = performance.now();
    if (this.first === null || step < this.first.step) this.first = { t, step };
    this.last = { t, step };
  }

  seconds(total: number): number | null {
    if (this.first === null || this.last === null || this.last.step <= this.first.step || total <= 0) return null;
    const rate = (this.last.step - this.first.step) / ((this.last.t - this.first.t) / 1000);
    return Math.max(0, (total - this.last.step) / rate);
  }
}

/** Mounts run `id`'s page in `root`; returns what closes its live stream. */
export function runView(root: HTMLElement, id: string): () => void {
  let closed = false;
  let stopLive = (): void => {};
  let records: Record<string, unknown>[] = [];
  let detail: RunDetail | null = null;
  const charts = new Map<string, LineChart>();
  /** The sections' listeners to live records (replaced each time the sections render). */
  let recordListeners: ((records: readonly Record<string, unknown>[]) => void)[] = [];
  const eta = new Eta();

  const status = h('span', { id: 'run-status-slot' });
  const stepText = h('span', { id: 'progress-step' }, '0');
  const totalText = h('span', { id: 'progress-total' }, '?');
  const etaText = h('span', { id: 'eta' }, '—');
  const bar = h('progress', { id: 'progress-bar', max: 1, value: 0 });
  const live = h(
    'section',
    { class: 'panel live', id: 'live', hidden: true },
    h('h2', {}, 'Training'),
    h('div', { class: 'progress-line' }, bar, h('span', {}, 'step ', stepText, ' / ', totalText), h('span', { class: 'muted' }, 'ETA ', etaText)),
  );
  const chartsBox = h('div', { id: 'charts', class: 'charts' });
  const body = h('div', { class: 'run-body' });
  replace(root, h('p', { class: 'muted' }, 'Loading…'));

  function setStatus(item: RunListItem): void {
    replace(status, statusBadge(item.status, 'run-status'));
    const step = Math.max(item.step, lastStep());
    stepText.textContent = String(step);
    totalText.textContent = item.total > 0 ? String(item.total) : '?';
    bar.max = Math.max(1, item.total);
    bar.value = Math.min(step, bar.max);
    eta.sample(step);
    const left = eta.seconds(item.total);
    etaText.textContent = LIVE.has(item.status) ? duration(left) : 'done';
    live.hidden = !LIVE.has(item.status);
  }

  function lastStep(): number {
    for (let i = records.length - 1; i >= 0; i--) {
      const x = xOf(records[i]);
      if (x !== null && records[i].type === 'step') return x;
    }
    return 0;
  }

  /** Charts from every record so far (rebuilt when a new kind of record appears). */
  function buildCharts(): void {
    charts.clear();
    const types = chartTypes(records);
    replace(
      chartsBox,
      types.length === 0 ? h('p', { class: 'muted' }, 'No curves: this run logged no step, epoch or eval records.') : null,
      types.map((type) => {
        const ofType = records.filter((r) => r.type === type);
        const chart = new LineChart({ title: `${type} records`, xLabel: xLabelOf(ofType), logY: false });
        chart.set(chartSeries(records, type));
        chart.element.dataset.type = type;
        charts.set(type, chart);
        return chart.element;
      }),
    );
  }

  function addRecords(ev: LiveEvents): void {
    for (const f of recordListeners) f(ev.records);
    if (ev.reset) {
      records = [...ev.records];
      buildCharts();
      return;
    }
    records.push(...ev.records);
    const types = chartTypes(records);
    if (types.some((t) => !charts.has(t))) {
      buildCharts();
      return;
    }
    for (const type of new Set(ev.records.map((r) => r.type))) {
      if (typeof type !== 'string') continue;
      const chart = charts.get(type);
      if (chart === undefined) continue;
      const points = seriesPoints(ev.records, type);
      for (const [name, pts] of points) chart.append(name, pts, shownFirst(type, name, [...points.keys()]));
    }
  }

  function render(d: RunDetail): void {
    detail = d;
    const summary = d.summary ?? {};
    const warnings = Array.isArray(summary.warnings)
      ? (summary.warnings as { message?: unknown }[]).map((w) => (typeof w.message === 'string' ? w.message : JSON.stringify(w)))
      : [];
    const metricNames = Object.keys(d.metrics).sort((a, b) => Number(b === d.headline?.name) - Number(a === d.headline?.name) || a.localeCompare(b));
    const timings = summary.timings !== null && typeof summary.timings === 'object' ? Object.entries(summary.timings as Record<string, unknown>) : [];
    const rec = d.record ?? {};
    const ds = rec.dataset as { name?: string; train_rows?: number; test_rows?: number } | undefined;
    const facts: [string, Child][] = [
      ['kind', d.kind],
      [
        'dataset',
        ds !== undefined && typeof ds === 'object'
          ? `${ds.name ?? ''}${typeof ds.train_rows === 'number' ? ` · ${ds.train_rows} training rows` : ''}`
          : d.dataset || '—',
      ],
      ['started', date(d.started)],
      ['last update', date(d.updated)],
      ['duration', duration(d.duration_s)],
      ['package', value((rec.package as { version?: string } | undefined)?.version)],
      [
        'backend',
        rec.backend !== null && typeof rec.backend === 'object'
          ? Object.entries(rec.backend)
              .map(([k, v]) => `${k} ${value(v)}`)
              .join(' · ')
          : value(rec.backend),
      ],
      [
        'command',
        Array.isArray(rec.command_line) && rec.command_line.length > 0 ? h('code', {}, `latentlab ${(rec.command_line as string[]).join(' ')}`) : '—',
      ],
    ];
    if (d.model_run !== null) facts.splice(1, 0, ['analyses', h('a', { href: `#/run/${encodeURIComponent(d.model_run)}` }, d.model_run)]);

    replace(
      body,
      d.error !== undefined
        ? h(
            'div',
            { class: 'error-panel', id: 'run-error', role: 'alert' },
            h('strong', {}, d.status === 'failed' ? 'This run failed: ' : 'This run cannot be read: '),
            d.error,
          )
        : null,
      warnings.length > 0
        ? h(
            'div',
            { class: 'warning-panel' },
            warnings.map((w) => h('p', {}, w)),
          )
        : null,
      live,
      section('Curves', 'curves', chartsBox),
      h(
        'div',
        { class: 'two-col' },
        section(
          'Metrics',
          'metrics',
          metricNames.length === 0
            ? h('p', { class: 'muted' }, LIVE.has(d.status) ? 'Metrics appear when the run completes.' : 'No metrics.')
            : table(
                ['metric', 'value'],
                metricNames.map((m) => [m === d.headline?.name ? h('strong', {}, m) : m, num(d.metrics[m])]),
                { id: 'metrics-table' },
              ),
          timings.length > 0
            ? table(
                ['timing', 'seconds'],
                timings.map(([k, v]) => [k, typeof v === 'number' ? num(v) : value(v)]),
              )
            : null,
        ),
        section('Run', 'facts', table(null, facts)),
      ),
      section(
        'Figures',
        'figures',
        d.figures.length === 0
          ? h('p', { class: 'muted' }, LIVE.has(d.status) ? 'Figures are drawn when the run completes.' : 'This run has no figures.')
          : h(
              'div',
              { class: 'figures' },
              d.figures.map((f) =>
                h(
                  'figure',
                  { class: 'figure-card' },
                  h('a', { href: f.url, target: '_blank', rel: 'noopener' }, h('img', { src: f.url, alt: f.path, 'data-path': f.path })),
                  h('figcaption', {}, f.path.replace(/^figures\//, '')),
                ),
              ),
            ),
      ),
      section(
        'Config',
        'config',
        table(
          ['key', 'value'],
          Object.entries(d.config).map(([k, v]) => [k, h('code', {}, value(v))]),
          { id: 'config-table' },
        ),
      ),
      section(
        'Arrays',
        'arrays',
        d.arrays.length === 0
          ? h('p', { class: 'muted' }, 'No arrays.')
          : table(
              ['name', 'dtype', 'shape', 'size', ''],
              d.arrays.map((a) => {
                const out = h('div', { class: 'array-preview', 'data-array': a.name });
                return [
                  h('code', {}, a.name),
                  a.dtype ?? '—',
                  a.shape === null ? (a.error ?? '—') : `(${a.shape.join(', ')})`,
                  bytes(a.bytes),
                  [
                    h('button', { type: 'button', class: 'small', 'data-preview': a.name, onclick: () => void preview(a.name, out) }, 'preview'),
                    ' ',
                    h('a', { href: a.url, download: `${a.name}.npy` }, '.npy'),
                    out,
                  ],
                ];
              }),
              { id: 'arrays-table' },
            ),
      ),
      h('div', { id: 'kind-sections' }),
    );
    replace(
      root,
      h(
        'div',
        { class: 'page-head' },
        h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Runs'), ' / ', d.kind),
        h('h1', { id: 'run-title' }, d.id, ' ', status),
        h(
          'p',
          { class: 'muted' },
          `${d.kind}${d.dataset ? ` on ${d.dataset}` : ''} · started ${date(d.started)}`,
          d.report !== null ? [' · ', h('a', { href: d.report, target: '_blank', rel: 'noopener', id: 'report-link' }, 'report.html')] : null,
        ),
      ),
      body,
    );
    setStatus(d);
    void renderSections(d);
  }

  async function renderSections(d: RunDetail): Promise<void> {
    const box = body.querySelector('#kind-sections');
    if (box === null) return;
    // One selection for every view of the page, over the rows of the run's per-row arrays.
    const rows = d.arrays.find((a) => a.name === 'labels' && a.shape !== null)?.shape?.[0];
    const selection = rows === undefined ? null : new Selection(rows);
    if (selection !== null) exposeSelection(selection);
    const cache = new Map<string, Promise<NpyArray>>();
    const array = (name: string): Promise<NpyArray> => {
      let p = cache.get(name);
      if (p === undefined) cache.set(name, (p = fetchArray(d.id, name)));
      return p;
    };
    const listeners: typeof recordListeners = [];
    recordListeners = listeners;
    const live = LIVE.has(d.status);
    const onRecords = (f: (r: readonly Record<string, unknown>[]) => void): void => {
      if (live) listeners.push(f);
    };
    const arrayFresh = (name: string): Promise<NpyArray | null> => fetchArrayIfPresent(d.id, name);
    const probe = new Probe();
    for (const sec of sectionsFor(d.kind)) {
      try {
        const el = await sec.render({ run: d, records, array, selection, probe, live, onRecords, arrayFresh });
        if (el !== null && !closed) box.append(section(sec.title, `section-${sec.name}`, el));
      } catch (e) {
        box.append(section(sec.title, `section-${sec.name}`, h('div', { class: 'error-panel' }, (e as Error).message)));
      }
    }
  }

  async function preview(name: string, out: HTMLElement): Promise<void> {
    replace(out, 'loading…');
    try {
      const a = await fetchArray(id, name);
      const values = Array.from(a.data.subarray(0, 100000) as ArrayLike<number | bigint>, Number);
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (const v of values) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        sum += v;
      }
      replace(
        out,
        h(
          'div',
          { class: 'muted' },
          `${a.dtype} (${a.shape.join(', ')}) · min ${num(lo)} · max ${num(hi)} · mean ${num(sum / values.length)}${a.data.length > values.length ? ' (first 100000)' : ''}`,
        ),
        h('code', { class: 'values' }, values.slice(0, 12).map(num).join(', '), a.data.length > 12 ? ', …' : ''),
      );
    } catch (e) {
      replace(out, h('span', { class: 'error-text' }, (e as Error).message));
    }
  }

  async function load(): Promise<void> {
    let d: RunDetail;
    try {
      d = await fetchRun(id);
    } catch (e) {
      if (!closed)
        replace(root, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Runs')), h('div', { class: 'error-panel', role: 'alert' }, (e as Error).message));
      return;
    }
    if (closed) return;
    if (LIVE.has(d.status)) {
      render(d);
      buildCharts();
      stopLive = listen(`${runUrl(id)}/live`, {
        events: (x) => {
          addRecords(x as LiveEvents);
          if (detail !== null) setStatus(detail);
        },
        summary: (x) => {
          const s = x as LiveSummary;
          if (detail !== null) detail = { ...detail, ...s };
          setStatus(s);
        },
        end: () => {
          // The run finished: its metrics, figures and report are written now.
          void fetchRun(id).then((fresh) => {
            if (closed) return;
            render(fresh);
            buildCharts();
          });
        },
      });
      return;
    }
    try {
      records = d.status === 'error' ? [] : await fetchEvents(id);
    } catch {
      records = [];
    }
    if (closed) return;
    render(d);
    buildCharts();
  }

  void load();
  return () => {
    closed = true;
    stopLive();
  };
}
