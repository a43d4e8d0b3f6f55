/**
 * The home page: every run of the folder in one table — sortable by each column, filtered by
 * text and kind, signatures runs listed under the classifier they analyse, live while runs train
 * (the folder's event stream), and runs ticked for the compare view.
 */
import type { RunListItem, RunsResponse } from '../src/serve/types.js';
import { listen } from './api.js';
import { h, replace } from './dom.js';
import { date, duration, num } from './format.js';
import { statusBadge } from './status.js';

type SortKey = 'id' | 'kind' | 'dataset' | 'status' | 'metric' | 'started' | 'duration';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'id', label: 'run' },
  { key: 'kind', label: 'kind' },
  { key: 'dataset', label: 'dataset' },
  { key: 'status', label: 'status' },
  { key: 'metric', label: 'headline metric', numeric: true },
  { key: 'started', label: 'started' },
  { key: 'duration', label: 'duration', numeric: true },
];

/** A run's duration so far: a live run's grows with the clock. */
function elapsed(r: RunListItem): number | null {
  if (r.status === 'running' && r.started !== null) return (Date.now() - Date.parse(r.started)) / 1000;
  return r.duration_s;
}

function sortValue(r: RunListItem, key: SortKey): string | number | null {
  switch (key) {
    case 'metric':
      return r.headline?.value ?? null;
    case 'started':
      return r.started === null ? null : Date.parse(r.started);
    case 'duration':
      return elapsed(r);
    default:
      return r[key];
  }
}

/** Compares two runs on `key`; missing values go last whichever the direction. */
function compare(a: RunListItem, b: RunListItem, key: SortKey, dir: 1 | -1): number {
  const va = sortValue(a, key);
  const vb = sortValue(b, key);
  if (va === null || vb === null || (typeof va === 'number' && Number.isNaN(va)) || (typeof vb === 'number' && Number.isNaN(vb)))
    return Number(va === null) - Number(vb === null);
  const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
  return c * dir || a.id.localeCompare(b.id);
}

/** The text a filter looks in. */
function haystack(r: RunListItem): string {
  return [r.id, r.kind, r.dataset, r.status, r.headline?.name ?? '', r.model_run ?? ''].join(' ').toLowerCase();
}

/** Mounts the home page in `root`; returns what closes its live stream. */
export function homeView(root: HTMLElement): () => void {
  const runs = new Map<string, RunListItem>();
  const selected = new Set<string>();
  let folder = '';
  let loaded = false;
  let sort: { key: SortKey; dir: 1 | -1 } = { key: 'started', dir: -1 };
  let text = '';
  let kind = '';

  const filter = h('input', {
    type: 'search',
    id: 'filter',
    placeholder: 'Filter by name, kind, dataset, status…',
    'aria-label': 'filter runs',
    oninput: () => {
      text = filter.value.trim().toLowerCase();
      render();
    },
  });
  const kinds = h('select', {
    id: 'kind-filter',
    'aria-label': 'kind',
    onchange: () => {
      kind = kinds.value;
      render();
    },
  });
  const compareButton = h('button', {
    type: 'button',
    id: 'compare',
    class: 'primary',
    onclick: () => {
      location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(',')}`;
    },
  });
  const count = h('span', { id: 'runs-count', class: 'muted' });
  const table = h('table', { id: 'runs', class: 'runs' });
  const where = h('p', { class: 'muted folder' });
  replace(
    root,
    h(
      'section',
      { class: 'home' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Runs'), where),
      h('div', { class: 'toolbar' }, filter, kinds, count, compareButton),
      table,
    ),
  );

  const matches = (r: RunListItem): boolean => (kind === '' || r.kind === kind) && (text === '' || haystack(r).includes(text));

  /** The rows in display order: each top-level run, then the runs that analyse it. */
  function rows(): { run: RunListItem; child: boolean }[] {
    const children = new Map<string, RunListItem[]>();
    const top: RunListItem[] = [];
    for (const r of runs.values()) {
      if (r.model_run !== null && r.model_run !== r.id && runs.has(r.model_run)) {
        const list = children.get(r.model_run) ?? [];
        list.push(r);
        children.set(r.model_run, list);
      } else top.push(r);
    }
    const cmp = (a: RunListItem, b: RunListItem): number => compare(a, b, sort.key, sort.dir);
    const out: { run: RunListItem; child: boolean }[] = [];
    for (const t of top.sort(cmp)) {
      const kids = (children.get(t.id) ?? []).filter(matches).sort(cmp);
      // A run whose parent is filtered out still shows, on its own.
      const parentShown = matches(t);
      if (parentShown) out.push({ run: t, child: false });
      for (const k of kids) out.push({ run: k, child: parentShown });
    }
    return out;
  }

  function kindOptions(): void {
    const present = [...new Set([...runs.values()].map((r) => r.kind))].sort();
    const want = ['', ...present].join('\n');
    if (kinds.dataset.options === want) return;
    kinds.dataset.options = want;
    replace(
      kinds,
      h('option', { value: '' }, 'all kinds'),
      present.map((k) => h('option', { value: k }, k)),
    );
    kinds.value = present.includes(kind) ? kind : '';
    kind = kinds.value;
  }

  function header(): HTMLElement {
    return h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'select' }, h('span', { class: 'visually-hidden' }, 'select')),
        COLUMNS.map((c) =>
          h(
            'th',
            { 'data-key': c.key, 'aria-sort': sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none', class: c.numeric ? 'num' : null },
            h(
              'button',
              {
                type: 'button',
                class: 'sort',
                onclick: () => {
                  sort = sort.key === c.key ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: c.numeric || c.key === 'started' ? -1 : 1 };
                  render();
                },
              },
              c.label,
              h('span', { class: 'arrow', 'aria-hidden': 'true' }, sort.key === c.key ? (sort.dir === 1 ? '▲' : '▼') : ''),
            ),
          ),
        ),
      ),
    );
  }

  function row({ run: r, child }: { run: RunListItem; child: boolean }): HTMLElement {
    const box = h('input', {
      type: 'checkbox',
      'aria-label': `select ${r.id}`,
      onchange: () => {
        if (box.checked) selected.add(r.id);
        else selected.delete(r.id);
        updateCompare();
      },
    });
    box.checked = selected.has(r.id);
    return h(
      'tr',
      { 'data-id': r.id, 'data-status': r.status, class: child ? 'child' : null },
      h('td', { class: 'select' }, box),
      h(
        'td',
        { class: 'id' },
        child ? h('span', { class: 'branch', 'aria-hidden': 'true' }, '↳ ') : null,
        h('a', { href: `#/run/${encodeURIComponent(r.id)}` }, r.id),
        r.error !== undefined && r.status === 'error' ? h('div', { class: 'row-error' }, r.error) : null,
      ),
      h('td', {}, r.kind),
      h('td', {}, r.dataset || '—'),
      h(
        'td',
        { class: 'status-cell' },
        statusBadge(r.status),
        r.status === 'running' && r.total > 0 ? h('span', { class: 'step muted' }, ` ${r.step} / ${r.total}`) : null,
      ),
      h('td', { class: 'num metric' }, r.headline === null ? '—' : [h('span', { class: 'metric-name' }, r.headline.name), ' ', num(r.headline.value)]),
      h('td', { class: 'date' }, date(r.started)),
      h('td', { class: 'num' }, duration(elapsed(r))),
    );
  }

  function updateCompare(): void {
    for (const id of [...selected]) if (!runs.has(id)) selected.delete(id);
    compareButton.disabled = selected.size === 0;
    compareButton.textContent = selected.size === 0 ? 'Compare selected' : `Compare ${selected.size} run${selected.size === 1 ? '' : 's'}`;
  }

  function render(): void {
    kindOptions();
    where.textContent = folder === '' ? '' : `in ${folder}`;
    const shown = rows();
    count.textContent = loaded ? `${shown.length} of ${runs.size} run${runs.size === 1 ? '' : 's'}` : 'loading…';
    const body =
      shown.length > 0
        ? h('tbody', {}, shown.map(row))
        : h(
            'tbody',
            {},
            h(
              'tr',
              { class: 'empty' },
              h(
                'td',
                { colspan: COLUMNS.length + 1 },
                !loaded
                  ? 'Loading…'
                  : runs.size === 0
                    ? ['No runs here yet. Train one, e.g. ', h('code', {}, 'latentlab train mlp --epochs 1')]
                    : 'No run matches the filter.',
              ),
            ),
          );
    replace(table, header(), body);
    updateCompare();
  }

  render();
  const stop = listen('/api/events', {
    runs: (d) => {
      const all = d as RunsResponse;
      folder = all.label;
      where.title = all.root;
      runs.clear();
      for (const r of all.runs) runs.set(r.id, r);
      loaded = true;
      render();
    },
    run: (d) => {
      const r = d as RunListItem;
      runs.set(r.id, r);
      render();
    },
    removed: (d) => {
      runs.delete((d as { id: string }).id);
      render();
    },
  });
  // Running runs' durations follow the clock.
  const ticker = setInterval(() => {
    if ([...runs.values()].some((r) => r.status === 'running')) render();
  }, 1000);
  return () => {
    stop();
    clearInterval(ticker);
  };
}
