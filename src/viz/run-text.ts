/**
 * Runs as text for people: the `runs list` table and the `runs show` page, built from what the
 * runs API reads (listRuns, openRun). Values are worded as a person reads them: accuracies in
 * percent, float32 configs without their 16-digit tails, keys with their human labels.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { RunInfo, RunRow } from '../runs/api.js';
import { metricLabel, timingLabel } from './labels.js';

/** A metric value for a table: accuracies as percentages, others with 4 decimals (3 significant digits below 0.001). */
export function metricText(name: string, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (name.endsWith('accuracy')) return `${(v * 100).toFixed(2)}%`;
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toPrecision(3);
}

/**
 * A config value for people: numbers with at most 7 significant digits (a float32 0.1 read back as
 * 0.10000000149011612 prints as 0.1), arrays of plain values inline as [500, 500, 2000], strings as
 * they are.
 */
export function configText(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(7)));
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : configText(x))).join(', ')}]`;
  return JSON.stringify(v);
}

/** `obj` as [dotted key, value] pairs, one per plain value (arrays of plain values stay whole). */
export function flattenConfig(obj: Readonly<Record<string, unknown>>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const inner = flattenConfig(v as Record<string, unknown>, key);
      if (inner.length === 0) out.push([key, '{}']);
      else out.push(...inner);
    } else if (v !== undefined) {
      out.push([key, v]);
    }
  }
  return out;
}

/** Lines "  key   value" with the values aligned. */
function aligned(pairs: readonly (readonly [string, string])[], indent = '    '): string[] {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`.trimEnd());
}

/** Rows as columns padded to their widest cell, two spaces apart. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The `runs list` table: run, kind, status, dataset, steps, headline metric and its value, start time. */
export function runsTable(rows: readonly RunRow[]): string {
  // Values right-aligned, so their decimal points line up.
  const values = rows.map((r) => (r.headline === null ? '' : metricText(r.headline.name, r.headline.value)));
  const w = Math.max('value'.length, ...values.map((v) => v.length));
  return textTable([
    ['run', 'kind', 'status', 'dataset', 'steps', 'metric', 'value'.padStart(w), 'started'],
    ...rows.map((r, i) => [
      r.id,
      r.kind,
      r.status,
      r.dataset,
      `${r.step}/${r.total}`,
      r.headline?.name ?? '',
      values[i].padStart(w),
      r.started.replace('T', ' ').slice(0, 19),
    ]),
  ]);
}

/** Keys of config.json not shown under "run": the resolved config has its own block (the seed is in it), the command line is shown apart, the model text spans lines. */
const RUN_INFO_SKIP = new Set(['kind', 'config', 'seed', 'model', 'command_line']);

/** The `runs show` page: kind, status, steps, command line, warnings, then the config, the run's facts, metrics, timings and files, aligned. */
export function runPage(run: RunInfo): string[] {
  const cfg = run.record;
  const s = run.summary;
  const resolved = cfg.config;
  const settings = resolved !== null && typeof resolved === 'object' ? (resolved as Record<string, unknown>) : cfg;
  const info = resolved !== null && typeof resolved === 'object' ? Object.fromEntries(Object.entries(cfg).filter(([k]) => !RUN_INFO_SKIP.has(k))) : {};
  const lines = [`run ${run.id}  (${run.path})`];
  const head: [string, string][] = [
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- shows the kind as config.json holds it, whatever its type (a string in any file latentlab wrote)
    ['kind', String(s?.kind ?? cfg.kind ?? '?')],
    ['status', `${run.status}${s?.error ? ` — ${s.error}` : ''}`],
    ['steps', `${s?.step ?? 0}/${s?.total_steps ?? '?'}${s?.resumed_from_step?.length ? ` (resumed at ${s.resumed_from_step.join(', ')})` : ''}`],
  ];
  if (Array.isArray(cfg.command_line)) head.push(['command', `latentlab ${cfg.command_line.join(' ')}`]);
  lines.push(...aligned(head, '  '));
  for (const w of s?.warnings ?? []) lines.push(`  warning  ${w.message}`);
  lines.push('  config', ...aligned(flattenConfig(settings).map(([k, v]) => [k, configText(v)])));
  const infoPairs = flattenConfig(info);
  if (infoPairs.length > 0) lines.push('  run', ...aligned(infoPairs.map(([k, v]) => [k, configText(v)])));
  const metrics = Object.entries(s?.metrics ?? {});
  if (metrics.length > 0)
    lines.push('  metrics', ...aligned(metrics.map(([k, v]) => [k, `${metricText(k, v).padStart(9)}${metricLabel(k) === k ? '' : `   ${metricLabel(k)}`}`])));
  const timings = Object.entries(s?.timings ?? {});
  if (timings.length > 0) lines.push('  timings', ...aligned(timings.map(([k, v]) => [k, `${v.toFixed(2).padStart(9)}   ${timingLabel(k)}`])));
  const files = ['model', 'checkpoint', 'arrays', 'figures'].map(
    (d) => [`${d}/`, existsSync(run.dir.file(d)) ? readdirSync(run.dir.file(d)).join(', ') || '(empty)' : '(missing)'] as const,
  );
  lines.push('  files', ...aligned(files));
  return lines;
}
