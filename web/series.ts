/** Chart series from events.jsonl records: one chart per record type, one series per numeric field. */
import type { ChartSeries } from './chart.js';

/** The fields that place a record in time, in order of preference. */
const X_KEYS = ['step', 'iteration', 'epoch'];
/** Numbers that are not worth a curve of their own (timings, counts). */
const SKIP = new Set(['ms', 'rows', 'time', 'pid']);
/** Shown at first on a chart of step records without a `loss`: the loss terms and scores; the rest (lr, T, …) on a click. */
const SHOWN_FIRST = /loss|^L[a-z]+$|accuracy|purity|nmi/;

/** Where a record sits on the x axis, or null when it has no step, iteration or epoch. */
export function xOf(record: Record<string, unknown>): number | null {
  for (const k of X_KEYS) if (typeof record[k] === 'number') return record[k];
  return null;
}

/** The name of the x axis of records of this type. */
export function xLabelOf(records: readonly Record<string, unknown>[]): string {
  for (const k of X_KEYS) if (records.some((r) => typeof r[k] === 'number')) return k;
  return 'step';
}

/** Record types worth a chart: several records that have an x and a number to draw. */
export function chartTypes(records: readonly Record<string, unknown>[]): string[] {
  const count = new Map<string, number>();
  for (const r of records) if (typeof r.type === 'string' && xOf(r) !== null) count.set(r.type, (count.get(r.type) ?? 0) + 1);
  const order = ['step', 'epoch', 'eval'];
  return [...count.entries()]
    .filter(([t, n]) => n >= 2 && t !== 'final' && t !== 'resume')
    .map(([t]) => t)
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

/** The points of each numeric field of the records of `type`, by field name. */
export function seriesPoints(records: readonly Record<string, unknown>[], type: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const r of records) {
    if (r.type !== type) continue;
    const x = xOf(r);
    if (x === null) continue;
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number' || X_KEYS.includes(k) || SKIP.has(k)) continue;
      let pts = out.get(k);
      if (pts === undefined) out.set(k, (pts = []));
      pts.push([x, v]);
    }
  }
  return out;
}

/**
 * Which fields of a chart of `type` records show at first: on step records the total loss alone
 * when there is one (its terms, on other scales, would flatten it), else the loss-like fields;
 * on other records all but the schedules.
 */
export function shownFirst(type: string, name: string, names: readonly string[]): boolean {
  if (type !== 'step') return !/^(lr|learning_rate|T)$/.test(name);
  return names.includes('loss') ? name === 'loss' : SHOWN_FIRST.test(name);
}

/** Every series of a chart of `type` records. */
export function chartSeries(records: readonly Record<string, unknown>[], type: string): ChartSeries[] {
  const points = seriesPoints(records, type);
  const names = [...points.keys()];
  const all = [...points.entries()].map(([name, pts]) => ({ name, points: pts, visible: shownFirst(type, name, names) }));
  // Something to see at first even when no field matched.
  if (all.length > 0 && !all.some((x) => x.visible)) all[0].visible = true;
  return all.sort((a, b) => Number(b.name === 'loss') - Number(a.name === 'loss'));
}
