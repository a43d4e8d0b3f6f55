/**
 * The selection as a table for export: one line per selected row with its label (and class
 * name), what the run knows of it (prediction, each layer's cluster, map cell, k-means cluster)
 * and where it comes from in the dataset (split and index) — as CSV or JSON text. Built in the
 * browser from arrays the page already has; no DOM here (tested in Node).
 */

export interface ExportColumn {
  name: string;
  /** The value of row `r` (a run row). */
  value(r: number): number | string;
}

export interface ExportTable {
  columns: ExportColumn[];
  rows: ArrayLike<number>;
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
export function csvField(v: number | string): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: ExportTable): string {
  const lines = [t.columns.map((c) => csvField(c.name)).join(',')];
  for (let i = 0; i < t.rows.length; i++) lines.push(t.columns.map((c) => csvField(c.value(t.rows[i]))).join(','));
  return lines.join('\n') + '\n';
}

/** `{ run, selection: { label, source, count }, columns, rows: [{ column: value, … }] }`. */
export function toJson(t: ExportTable, meta: { run: string; label: string; source: string }): string {
  const rows: Record<string, number | string>[] = [];
  for (let i = 0; i < t.rows.length; i++) {
    const o: Record<string, number | string> = {};
    for (const c of t.columns) o[c.name] = c.value(t.rows[i]);
    rows.push(o);
  }
  return JSON.stringify(
    { run: meta.run, selection: { label: meta.label, source: meta.source, count: t.rows.length }, columns: t.columns.map((c) => c.name), rows },
    null,
    1,
  );
}
