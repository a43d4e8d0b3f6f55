/**
 * Several runs side by side: one curve per run of a chosen step-record field (the loss at first),
 * their metrics in one table, and the config keys on which they differ.
 */
import type { RunDetail } from '../src/serve/types.js';
import { fetchEvents, fetchRun } from './api.js';
import { LineChart } from './chart.js';
import { h, replace } from './dom.js';
import { num, value } from './format.js';
import { seriesPoints, xLabelOf } from './series.js';
import { statusBadge } from './status.js';

interface Loaded {
  run: RunDetail;
  steps: Record<string, unknown>[];
}

/** Mounts the compare view of `ids` in `root`. */
export function compareView(root: HTMLElement, ids: string[]): () => void {
  let closed = false;
  replace(root, h('p', { class: 'muted' }, 'Loading…'));

  async function load(): Promise<void> {
    const settled = await Promise.allSettled(
      ids.map(async (id): Promise<Loaded> => ({ run: await fetchRun(id), steps: await fetchEvents(id, 'step').catch(() => []) })),
    );
    if (closed) return;
    const runs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.flatMap((r, i) => (r.status === 'rejected' ? [`${ids[i]}: ${(r.reason as Error).message}`] : []));

    // The fields the runs' step records share, loss first.
    const fields = new Map<string, number>();
    for (const r of runs) for (const k of seriesPoints(r.steps, 'step').keys()) fields.set(k, (fields.get(k) ?? 0) + 1);
    const names = [...fields.keys()].sort(
      (a, b) => Number(b === 'loss') - Number(a === 'loss') || (fields.get(b) ?? 0) - (fields.get(a) ?? 0) || a.localeCompare(b),
    );
    const chartBox = h('div', { id: 'compare-chart', class: 'compare-chart' });
    const pick = h('select', { id: 'compare-field', 'aria-label': 'curve', onchange: () => draw(pick.value) });
    for (const n of names) pick.append(h('option', { value: n }, n));
    function draw(field: string): void {
      const chart = new LineChart({ title: `${field} per step`, xLabel: xLabelOf(runs.flatMap((r) => r.steps)) });
      chart.set(runs.map((r) => ({ name: r.run.id, points: seriesPoints(r.steps, 'step').get(field) ?? [] })));
      replace(chartBox, chart.element);
    }

    const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.run.metrics)))].sort();
    const configKeys = [...new Set(runs.flatMap((r) => Object.keys(r.run.config)))].sort();
    const differing = configKeys.filter((k) => new Set(runs.map((r) => JSON.stringify(r.run.config[k]))).size > 1);
    const head = h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        runs.map((r) => h('th', { class: 'num' }, h('a', { href: `#/run/${encodeURIComponent(r.run.id)}` }, r.run.id), ' ', statusBadge(r.run.status))),
      ),
    );
    replace(
      root,
      h('div', { class: 'page-head' }, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Runs'), ' / compare'), h('h1', {}, `Comparing ${runs.length} runs`)),
      failed.length > 0
        ? h(
            'div',
            { class: 'error-panel', role: 'alert' },
            failed.map((f) => h('p', {}, f)),
          )
        : null,
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Curves'),
        names.length === 0 ? h('p', { class: 'muted' }, 'None of these runs logged step records.') : [h('label', {}, 'curve ', pick), chartBox],
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Metrics'),
        h(
          'table',
          { class: 'kv compare', id: 'compare-metrics' },
          head,
          h(
            'tbody',
            {},
            metricNames.map((m) =>
              h(
                'tr',
                {},
                h('td', {}, m),
                runs.map((r) => h('td', { class: 'num' }, num(r.run.metrics[m]))),
              ),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Config differences'),
        differing.length === 0
          ? h('p', { class: 'muted' }, 'Same config keys and values.')
          : h(
              'table',
              { class: 'kv compare' },
              head.cloneNode(true),
              h(
                'tbody',
                {},
                differing.map((k) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, k),
                    runs.map((r) => h('td', {}, h('code', {}, value(r.run.config[k])))),
                  ),
                ),
              ),
            ),
      ),
    );
    if (names.length > 0) draw(names[0]);
  }

  void load();
  return () => {
    closed = true;
  };
}
