/**
 * A sweep's results table: per group (a combination of the spec's `table.groups` axes), one row
 * per value of `table.rows` (a method, or an axis), every metric as mean ± std over the completed
 * seeds, Welch's t-test of the reference row against each other row, and the tasks left out. The
 * table is plain JSON data and its markdown a pure function of it (no dates, no paths), so the same
 * runs give the same bytes however they were scheduled — sharded or not.
 *
 * The statistics and cell formats are shared with the DESOM benchmark's table
 * (src/experiments/desom-table.ts), which is this table with the paper's methods, metrics and
 * numbers.
 */
import { describe, welchTTest } from '../stats/index.js';
import type { AxisValue } from './spec.js';

export type TaskStatus = 'completed' | 'failed' | 'interrupted' | 'running' | 'missing';
export const TASK_STATUSES: readonly TaskStatus[] = Object.freeze(['completed', 'failed', 'interrupted', 'running', 'missing']);
/** The metric column read from a record's training time (train_s) rather than its metrics. */
export const TIME_KEY = 'time';
export const DASH = '—';

/** describe() over the completed seeds; std is null for a single value (JSON has no NaN). */
export interface MetricSummary {
  n: number;
  mean: number;
  std: number | null;
  min: number;
  max: number;
}

/** Welch's t-test of the reference's values against this row's, two-sided. */
export interface WelchVsReference {
  /** t of (reference − row); null when infinite (both samples constant, different means). */
  t: number | null;
  /** Welch–Satterthwaite df; null when undefined (both samples constant). */
  df: number | null;
  p: number;
  /** How the reference's mean compares with this row's. */
  reference_is: 'higher' | 'lower' | 'equal';
  n_reference: number;
  n_method: number;
}

export interface MetricCell {
  /** null when no completed seed reports the metric. */
  summary: MetricSummary | null;
  welch: WelchVsReference | null;
  /** Why `welch` is null (the reference row itself, too few values, …); null when it is not. */
  welch_note: string | null;
}

/** describe() of the values, or null for none. */
export function summaryOf(values: number[]): MetricSummary | null {
  if (values.length === 0) return null;
  const d = describe(values);
  return { n: d.n, mean: d.mean, std: Number.isNaN(d.std) ? null : d.std, min: d.min, max: d.max };
}

/** The Welch cell of a row against the reference's values (null values: no reference row). */
export function welchCell(
  ref: number[] | null,
  refDisplay: string,
  values: number[],
  display: string,
  isReference: boolean,
): Pick<MetricCell, 'welch' | 'welch_note'> {
  if (isReference) return { welch: null, welch_note: 'reference method' };
  if (ref === null) return { welch: null, welch_note: `no ${refDisplay} runs` };
  if (values.length === 0) return { welch: null, welch_note: `not reported by ${display}` };
  if (ref.length < 2) return { welch: null, welch_note: `${ref.length} ${refDisplay} value${ref.length === 1 ? '' : 's'}, need 2` };
  if (values.length < 2) return { welch: null, welch_note: `${values.length} ${display} value, need 2` };
  const w = welchTTest(ref, values);
  return {
    welch: {
      t: Number.isFinite(w.t) ? w.t : null,
      df: Number.isFinite(w.df) ? w.df : null,
      p: w.p,
      reference_is: w.t > 0 ? 'higher' : w.t < 0 ? 'lower' : 'equal',
      n_reference: ref.length,
      n_method: values.length,
    },
    welch_note: null,
  };
}

/** x with `digits` decimals, never "-0.0000". */
export function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** "0.9391 ± 0.0040" (4 decimals), "123.4 ± 5.6 s" for time; "(n = k)" when fewer values than completed seeds or no spread can be estimated. */
export function formatSummary(s: MetricSummary | null, key: string, completed: number): string {
  if (s === null) return DASH;
  const digits = key === TIME_KEY ? 1 : 4;
  const unit = key === TIME_KEY ? ' s' : '';
  const body = s.std === null ? `${fixed(s.mean, digits)}${unit}` : `${fixed(s.mean, digits)} ± ${fixed(s.std, digits)}${unit}`;
  return s.n < completed || s.std === null ? `${body} (n = ${s.n})` : body;
}

/** Two-sided p compactly: "< 1e-4", 2 significant digits below 0.01, else 3 decimals. */
export function formatPValue(p: number): string {
  if (p < 1e-4) return '< 1e-4';
  if (p < 1e-2) return p.toPrecision(2);
  return p.toFixed(3);
}

const ARROW: Record<WelchVsReference['reference_is'], string> = { higher: '↑', lower: '↓', equal: '=' };

export function formatWelch(c: MetricCell): string {
  return c.welch === null ? DASH : `${formatPValue(c.welch.p)} ${ARROW[c.welch.reference_is]}`;
}

function mdRow(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

/** A markdown table: header, alignment row, rows (`|` in cells escaped). */
export function mdTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [mdRow(header), `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`, ...rows.map(mdRow)];
}

// ----------------------------------------------------------------------------- the sweep's table

/** One task of the sweep as merge collects it from disk. */
export interface TaskRecord {
  task: string;
  /** Its axis values (seed included). */
  coords: Record<string, AxisValue>;
  method: string | null;
  status: TaskStatus;
  /** The run folder's name when there is one. */
  run: string | null;
  metrics: Record<string, number>;
  train_s: number | null;
}

export interface SweepTableRow {
  /** The row's method or axis value (null: the only row of a sweep with neither). */
  value: AxisValue | null;
  label: string;
  counts: Record<TaskStatus, number> & { total: number };
  completed_seeds: number[];
  metrics: Record<string, MetricCell>;
}

export interface SweepTableGroup {
  /** The group axes' values. */
  key: Record<string, AxisValue>;
  title: string;
  rows: SweepTableRow[];
}

export interface SweepTable {
  title: string;
  smoke_test: boolean;
  /** 'method', an axis, or null (one row). */
  rows_by: string | null;
  groups_by: string[];
  metrics: string[];
  /** The reference row's label, or null when no t-tests are asked for. */
  reference: string | null;
  groups: SweepTableGroup[];
  not_completed: { task: string; label: string; status: Exclude<TaskStatus, 'completed'> }[];
  ignored_values: { task: string; metric: string; value: string }[];
}

export interface SweepTableOptions {
  title: string;
  rowsBy: string | null;
  groupsBy: readonly string[];
  metrics: readonly string[];
  /** The row value the others are compared with (none: no t-tests). */
  reference?: AxisValue;
  smokeTest?: boolean;
  /** A method's label (default its name). */
  methodLabel?: (method: string) => string;
}

const coordText = (k: string, v: AxisValue): string => `${k} ${String(v)}`;

/**
 * Builds the table from the records in plan order (which orders the groups and rows). Failed,
 * interrupted, running and missing tasks are counted and listed, never averaged.
 */
export function buildSweepTable(records: readonly TaskRecord[], o: SweepTableOptions): SweepTable {
  const smoke = o.smokeTest === true;
  const label = (r: TaskRecord): string => {
    if (o.rowsBy === null) return 'all';
    if (o.rowsBy === 'method') return o.methodLabel?.(r.method ?? '') ?? r.method ?? '';
    return String(r.coords[o.rowsBy]);
  };
  const rowValue = (r: TaskRecord): AxisValue | null => (o.rowsBy === null ? null : o.rowsBy === 'method' ? r.method : r.coords[o.rowsBy]);
  const groupKey = (r: TaskRecord): string => JSON.stringify(o.groupsBy.map((g) => r.coords[g]));
  const seedOf = (r: TaskRecord): number => (typeof r.coords.seed === 'number' ? r.coords.seed : 0);
  const refLabel =
    o.reference === undefined ? null : o.rowsBy === 'method' ? (o.methodLabel?.(String(o.reference)) ?? String(o.reference)) : String(o.reference);

  const groups: SweepTableGroup[] = [];
  const notCompleted: SweepTable['not_completed'] = [];
  const ignored: SweepTable['ignored_values'] = [];
  const groupOrder = [...new Set(records.map(groupKey))];
  for (const gk of groupOrder) {
    const inGroup = records.filter((r) => groupKey(r) === gk);
    const first = inGroup[0];
    const key = Object.fromEntries(o.groupsBy.map((g) => [g, first.coords[g]]));
    const rowKeys = [...new Set(inGroup.map((r) => JSON.stringify(rowValue(r))))];
    const values = new Map<string, Map<string, number[]>>();
    const base: Omit<SweepTableRow, 'metrics'>[] = [];
    for (const rk of rowKeys) {
      const rs = inGroup.filter((r) => JSON.stringify(rowValue(r)) === rk).sort((a, b) => seedOf(a) - seedOf(b));
      const counts = { total: rs.length, completed: 0, failed: 0, interrupted: 0, running: 0, missing: 0 };
      for (const r of rs) {
        counts[r.status]++;
        if (r.status !== 'completed')
          notCompleted.push({
            task: r.task,
            label: `${label(r)} ${[...Object.entries(r.coords)].map(([k, v]) => coordText(k, v)).join(' ')}`.trim(),
            status: r.status,
          });
      }
      const completed = rs.filter((r) => r.status === 'completed');
      const perMetric = new Map<string, number[]>();
      for (const m of o.metrics) {
        const xs: number[] = [];
        for (const r of completed) {
          const v: unknown = m === TIME_KEY ? r.train_s : r.metrics[m];
          if (v === undefined || v === null) continue;
          if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
          else ignored.push({ task: r.task, metric: m, value: typeof v === 'number' ? String(v) : JSON.stringify(v) });
        }
        perMetric.set(m, xs);
      }
      values.set(rk, perMetric);
      base.push({ value: rowValue(rs[0]), label: label(rs[0]), counts, completed_seeds: completed.map(seedOf) });
    }
    const refKey = o.reference === undefined ? null : rowKeys.find((rk) => String(JSON.parse(rk) as AxisValue) === String(o.reference));
    const rows = base.map((row) => {
      const rk = JSON.stringify(row.value);
      const metrics: Record<string, MetricCell> = {};
      for (const m of o.metrics) {
        const xs = values.get(rk)?.get(m) ?? [];
        const welch =
          refLabel === null
            ? { welch: null, welch_note: 'no reference' }
            : smoke
              ? { welch: null, welch_note: 'smoke test' }
              : welchCell(refKey === undefined || refKey === null ? null : (values.get(refKey)?.get(m) ?? null), refLabel, xs, row.label, rk === refKey);
        metrics[m] = { summary: summaryOf(xs), ...welch };
      }
      return { ...row, metrics };
    });
    const title = o.groupsBy.length === 0 ? o.title : o.groupsBy.map((g) => coordText(g, key[g])).join(', ');
    groups.push({ key, title, rows });
  }
  return {
    title: o.title,
    smoke_test: smoke,
    rows_by: o.rowsBy,
    groups_by: [...o.groupsBy],
    metrics: [...o.metrics],
    reference: refLabel,
    groups,
    not_completed: notCompleted,
    ignored_values: ignored,
  };
}

/** The table as markdown (see buildSweepTable). */
export function sweepTableMarkdown(t: SweepTable): string {
  const lines: string[] = [`# ${t.title}${t.smoke_test ? ' — smoke test' : ''}`, ''];
  if (t.smoke_test)
    lines.push('**Smoke test.** These runs only check that every task runs end to end; their numbers are not results, so no t-tests are shown.', '');
  const rowHead = t.rows_by ?? 'runs';
  for (const g of t.groups) {
    if (t.groups_by.length > 0) lines.push(`## ${g.title}`, '');
    lines.push(
      ...mdTable(
        [rowHead, 'seeds', ...t.metrics],
        ['l', 'r', ...t.metrics.map((): 'r' => 'r')],
        g.rows.map((r) => [
          r.label,
          `${r.counts.completed}/${r.counts.total}`,
          ...t.metrics.map((m) => formatSummary(r.metrics[m]?.summary ?? null, m, r.counts.completed)),
        ]),
      ),
      '',
    );
    if (t.reference === null || t.smoke_test) continue;
    const ref = t.reference;
    const refRow = g.rows.find((r) => r.label === ref);
    const others = g.rows.filter((r) => r !== refRow);
    const level = t.groups_by.length > 0 ? '###' : '##';
    lines.push(`${level} Welch's t-test vs ${ref}, p-value (two-sided)${t.groups_by.length > 0 ? `, ${g.title}` : ''}`, '');
    const why = welchUntestable(refRow?.counts.completed ?? null, ref, others.length, 'row');
    if (why !== null) {
      lines.push(`Not computed: ${why}.`, '');
      continue;
    }
    lines.push(`↑: ${ref}'s mean is higher than the row's, ↓: lower, =: equal; ${DASH}: not tested (fewer than 2 values on a side, or not reported).`, '');
    lines.push(
      ...mdTable(
        [rowHead, ...t.metrics],
        ['l', ...t.metrics.map((): 'r' => 'r')],
        others.map((r) => [r.label, ...t.metrics.map((m) => (r.metrics[m] ? formatWelch(r.metrics[m]) : DASH))]),
      ),
      '',
    );
  }
  lines.push(
    '## Legend',
    '',
    `Cells are mean ± sample standard deviation (ddof = 1) over the completed seeds; "seeds" is completed/total runs; "(n = k)" marks a metric that only k completed runs report; ${DASH}: not reported.${t.metrics.includes(TIME_KEY) ? ' time: training time in seconds (train_s).' : ''}${t.reference === null || t.smoke_test ? '' : ` p-values: Welch's unequal-variance t-test, two-sided, of ${t.reference} against each row over the seeds.`}`,
    '',
  );
  if (t.not_completed.length > 0) {
    const groups = TASK_STATUSES.filter((s) => s !== 'completed')
      .map((s) => [s, t.not_completed.filter((r) => r.status === s)] as const)
      .filter(([, rs]) => rs.length > 0)
      .map(([s, rs]) => `${s} ${rs.length} (${rs.map((r) => r.task).join(', ')})`);
    lines.push(`Runs left out of the statistics: ${groups.join('; ')}.`, '');
  }
  if (t.ignored_values.length > 0)
    lines.push(`Values left out (not finite numbers): ${t.ignored_values.map((v) => `${v.task} ${v.metric} = ${v.value}`).join(', ')}.`, '');
  return lines.join('\n');
}

/**
 * Why no Welch test can be made against the reference (null when one can): no reference row
 * (`completed` null), fewer than 2 completed reference runs, or nothing to compare it with.
 */
export function welchUntestable(completed: number | null, ref: string, others: number, noun: string): string | null {
  if (completed === null) return `no ${ref} runs`;
  if (completed < 2) return `${completed} completed ${ref} run${completed === 1 ? '' : 's'}, need 2`;
  return others === 0 ? `no other ${noun}` : null;
}
