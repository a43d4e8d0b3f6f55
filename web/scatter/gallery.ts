/**
 * The selection's gallery: the input images of the selected rows (the first GALLERY_CAP), with the
 * count and what made the selection, and the selection exported as CSV or JSON — generated in the
 * page and handed to the browser as a Blob download (a blob: link, which the CSP allows).
 */
import type { RunDetail } from '../../src/serve/types.js';
import { h, replace } from '../dom.js';
import type { NpyArray } from '../npy.js';
import type { RunSectionContext } from '../sections.js';
import type { SelectionChange } from '../selection.js';
import { toCsv, toJson, type ExportColumn, type ExportTable } from './export.js';
import { ORIGIN_SPLITS, classNames, inputsOf } from './inputs.js';

/** Images shown at most. */
export const GALLERY_CAP = 200;

/** The export's columns for a run: its per-row arrays, then the rows' origins in the dataset. */
async function exportTable(run: RunDetail, array: (name: string) => Promise<NpyArray>, rows: Int32Array): Promise<{ table: ExportTable; note: string }> {
  const has = (name: string): boolean => run.arrays.some((a) => a.name === name && a.shape !== null);
  const ints = async (name: string): Promise<Int32Array | null> => {
    if (!has(name)) return null;
    const a = await array(name);
    return a.data instanceof Int32Array ? a.data : null;
  };
  const labels = await ints('labels');
  const name = classNames(run);
  const columns: ExportColumn[] = [{ name: 'row', value: (r) => r }];
  if (labels !== null) columns.push({ name: 'label', value: (r) => labels[r] }, { name: 'class', value: (r) => name(labels[r]) });
  const predictions = await ints('predictions');
  if (predictions !== null) columns.push({ name: 'prediction', value: (r) => predictions[r] });
  const layers = run.arrays.map((a) => /^clusters_(.+)$/.exec(a.name)?.[1]).filter((l): l is string => l !== undefined);
  for (const layer of layers) {
    const c = await ints(`clusters_${layer}`);
    if (c !== null) columns.push({ name: `cluster_${layer}`, value: (r) => c[r] });
  }
  const bmus = await ints('bmus');
  if (bmus !== null) columns.push({ name: 'cell', value: (r) => bmus[r] });
  const assignments = await ints('assignments');
  if (assignments !== null) columns.push({ name: 'cluster', value: (r) => assignments[r] });
  let note = '';
  try {
    const origin = await inputsOf(run).origins();
    columns.push({ name: 'split', value: (r) => ORIGIN_SPLITS[origin[2 * r]] ?? '' }, { name: 'index', value: (r) => origin[2 * r + 1] });
  } catch (e) {
    note = `without the dataset split and index: ${(e as Error).message}`;
  }
  return { table: { columns, rows }, note };
}

/** Hands `text` to the browser as a file download. */
function download(text: string, filename: string, type: string, host: HTMLElement): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  host.append(a);
  a.click();
  a.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function gallerySection(ctx: RunSectionContext): HTMLElement | null {
  const sel = ctx.selection;
  if (sel === null) return null;
  const inputs = inputsOf(ctx.run);
  const caption = h('p', { class: 'gallery-caption' });
  const grid = h('div', { class: 'gallery-grid' });
  const note = h('p', { class: 'muted gallery-note' });
  const csvButton = h('button', { type: 'button', class: 'small', id: 'export-csv', disabled: true }, 'export CSV');
  const jsonButton = h('button', { type: 'button', class: 'small', id: 'export-json', disabled: true }, 'export JSON');
  const el = h('div', { class: 'gallery', 'data-count': 0, 'data-shown': 0 }, h('div', { class: 'toolbar' }, caption, csvButton, jsonButton), note, grid);
  const name = classNames(ctx.run);
  let token = 0;

  const exportAs = async (format: 'csv' | 'json'): Promise<void> => {
    const change = sel.change;
    replace(note, 'preparing the export…');
    try {
      const { table, note: why } = await exportTable(ctx.run, (name) => ctx.array(name), change.rows);
      const text = format === 'csv' ? toCsv(table) : toJson(table, { run: ctx.run.id, label: change.label, source: change.source });
      download(text, `${ctx.run.id}-selection.${format}`, format === 'csv' ? 'text/csv' : 'application/json', el);
      replace(note, `${change.rows.length.toLocaleString('en')} rows exported as ${format.toUpperCase()}${why !== '' ? ` (${why})` : ''}`);
    } catch (e) {
      replace(note, h('span', { class: 'error-text' }, (e as Error).message));
    }
  };
  csvButton.addEventListener('click', () => void exportAs('csv'));
  jsonButton.addEventListener('click', () => void exportAs('json'));

  const labelsPromise = ctx.run.arrays.some((a) => a.name === 'labels') ? ctx.array('labels') : null;

  const show = async (change: SelectionChange): Promise<void> => {
    const mine = ++token;
    const n = change.rows.length;
    el.dataset.count = String(n);
    el.dataset.shown = '0';
    csvButton.disabled = n === 0;
    jsonButton.disabled = n === 0;
    replace(note);
    if (n === 0) {
      replace(caption, 'Nothing selected: lasso points in a scatter (shift + drag), or click a legend entry, a map cell or a Sankey band.');
      replace(grid);
      return;
    }
    const shown = Array.from(change.rows.subarray(0, GALLERY_CAP));
    replace(
      caption,
      h('strong', {}, `${n.toLocaleString('en')} rows selected`),
      change.label !== '' ? ` — ${change.label}` : '',
      n > GALLERY_CAP ? h('span', { class: 'muted' }, ` · showing the first ${GALLERY_CAP}`) : null,
    );
    replace(grid, h('p', { class: 'muted' }, 'loading images…'));
    try {
      const [images, labels] = await Promise.all([inputs.get(shown), labelsPromise]);
      if (mine !== token) return;
      const lab = labels?.data instanceof Int32Array ? labels.data : null;
      replace(
        grid,
        shown.map((r) => {
          const px = images.get(r);
          return h(
            'figure',
            { class: 'gallery-item', 'data-row': r, title: `row ${r}${lab !== null ? ` · label ${name(lab[r])}` : ''}` },
            px === undefined ? h('span', { class: 'muted' }, '?') : inputs.canvas(px),
            h('figcaption', {}, lab !== null ? `${r} · ${name(lab[r])}` : String(r)),
          );
        }),
      );
      el.dataset.shown = String(shown.length);
    } catch (e) {
      if (mine === token) replace(grid, h('p', { class: 'error-text' }, `No images: ${(e as Error).message}`));
    }
  };
  sel.subscribe((c) => void show(c));
  void show(sel.change);
  return el;
}
