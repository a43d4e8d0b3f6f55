/** `latentlab runs list` and `runs show ID`: what is in the runs folder. */
import { existsSync, readdirSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { RunDir } from '../../runs/run-dir.js';
import { metricLabel, timingLabel } from '../../viz/labels.js';
import { table, type Output } from '../output.js';

/** The statuses `runs list --status` accepts ('unknown': a folder without a summary). */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'interrupted', 'unknown'] as const;

/**
 * The metric a run is best known by, per kind: test accuracy for classifiers, test MSE for
 * autoencoders, purity for maps and clusterings (their accuracy is the Hungarian one, at most 10 of
 * 64 cells); the next names are fallbacks for runs that lack the first.
 */
const HEADLINE: Record<string, readonly string[]> = {
  mlp: ['test_accuracy', 'accuracy'],
  ae: ['test_mse', 'mse'],
  som: ['purity', 'test_purity'],
  desom: ['purity', 'test_purity'],
  kmeans: ['purity', 'test_purity'],
};
const HEADLINE_OTHER = ['test_accuracy', 'accuracy', 'test_mse', 'mse', 'purity', 'nmi'];

/** The headline metric of a run of `kind`, or null when it has none yet. */
export function headlineMetric(kind: string, metrics: Readonly<Record<string, number>>): { name: string; value: number } | null {
  for (const name of HEADLINE[kind] ?? HEADLINE_OTHER) {
    if (typeof metrics[name] === 'number') return { name, value: metrics[name] };
  }
  return null;
}

/** A metric value for a table: accuracies as percentages, others with 4 decimals (3 significant digits below 0.001). */
function metricText(name: string, v: number): string {
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

/** What `runs list` shows of one run. */
export interface RunRow {
  id: string;
  kind: string;
  status: string;
  dataset: string;
  step: number;
  total: number;
  metrics: Record<string, number>;
  headline: { name: string; value: number } | null;
  started: string;
}

/** The filters of `runs list`; each keeps the runs whose field equals it. */
export interface RunsListFilters {
  kind?: string;
  status?: string;
  dataset?: string;
}

function runRow(r: RunDir): RunRow {
  const s = r.readSummary();
  let cfg: { kind?: string; config?: { dataset?: unknown }; dataset?: { name?: unknown } } = {};
  try {
    cfg = r.readConfig();
  } catch {
    // A config.json being rewritten or damaged: list the run with what the summary says.
  }
  const kind = s?.kind ?? cfg.kind ?? '?';
  const dataset = typeof cfg.config?.dataset === 'string' ? cfg.config.dataset : typeof cfg.dataset?.name === 'string' ? cfg.dataset.name : '';
  const metrics = s?.metrics ?? {};
  return {
    id: r.id,
    kind,
    status: r.effectiveStatus(),
    dataset,
    step: s?.step ?? 0,
    total: s?.total_steps ?? 0,
    metrics,
    headline: headlineMetric(kind, metrics),
    started: s?.started_at ?? '',
  };
}

export function runsList(root: string, out: Output, filters: RunsListFilters = {}): number {
  const rows = RunDir.list(root)
    .map(runRow)
    .filter(
      (r) =>
        (filters.kind === undefined || r.kind === filters.kind) &&
        (filters.status === undefined || r.status === filters.status) &&
        (filters.dataset === undefined || r.dataset === filters.dataset),
    );
  if (out.json) {
    out.result(rows);
    return 0;
  }
  if (rows.length === 0) {
    const active = Object.entries(filters).filter(([, v]) => v !== undefined);
    out.line(active.length === 0 ? `no runs in ${root}` : `no runs in ${root} with ${active.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    return 0;
  }
  // Values right-aligned, so their decimal points line up.
  const values = rows.map((r) => (r.headline === null ? '' : metricText(r.headline.name, r.headline.value)));
  const w = Math.max('value'.length, ...values.map((v) => v.length));
  out.line(
    table([
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
    ]),
  );
  return 0;
}

/** Keys of config.json not shown under "run": the resolved config has its own block (the seed is in it), the command line is shown apart, the model text spans lines. */
const RUN_INFO_SKIP = new Set(['kind', 'config', 'seed', 'model', 'command_line']);

export function runsShow(id: string, root: string, out: Output): number {
  const run = RunDir.open(id, root);
  const cfg = run.readConfig();
  const s = run.readSummary();
  const files = ['model', 'checkpoint', 'arrays', 'figures'].map(
    (d) => [`${d}/`, existsSync(run.file(d)) ? readdirSync(run.file(d)).join(', ') || '(empty)' : '(missing)'] as const,
  );
  if (out.json) {
    out.result({ run_id: run.id, path: run.path, status: run.effectiveStatus(), config: cfg, summary: s });
    return 0;
  }
  const resolved = (cfg as { config?: unknown }).config;
  const settings = resolved !== null && typeof resolved === 'object' ? (resolved as Record<string, unknown>) : cfg;
  const info = resolved !== null && typeof resolved === 'object' ? Object.fromEntries(Object.entries(cfg).filter(([k]) => !RUN_INFO_SKIP.has(k))) : {};
  const commandLine = (cfg as { command_line?: unknown }).command_line;

  out.line(`run ${run.id}  (${run.path})`);
  const head: [string, string][] = [
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- shows the kind as config.json holds it, whatever its type (a string in any file latentlab wrote)
    ['kind', String(s?.kind ?? (cfg as { kind?: unknown }).kind ?? '?')],
    ['status', `${run.effectiveStatus()}${s?.error ? ` — ${s.error}` : ''}`],
    ['steps', `${s?.step ?? 0}/${s?.total_steps ?? '?'}${s?.resumed_from_step?.length ? ` (resumed at ${s.resumed_from_step.join(', ')})` : ''}`],
  ];
  if (Array.isArray(commandLine)) head.push(['command', `latentlab ${commandLine.join(' ')}`]);
  for (const l of aligned(head, '  ')) out.line(l);
  for (const w of s?.warnings ?? []) out.line(`  warning  ${w.message}`);
  out.line('  config');
  for (const l of aligned(flattenConfig(settings).map(([k, v]) => [k, configText(v)]))) out.line(l);
  const infoPairs = flattenConfig(info);
  if (infoPairs.length > 0) {
    out.line('  run');
    for (const l of aligned(infoPairs.map(([k, v]) => [k, configText(v)]))) out.line(l);
  }
  const metrics = Object.entries(s?.metrics ?? {});
  if (metrics.length > 0) {
    out.line('  metrics');
    for (const l of aligned(metrics.map(([k, v]) => [k, `${metricText(k, v).padStart(9)}${metricLabel(k) === k ? '' : `   ${metricLabel(k)}`}`]))) out.line(l);
  }
  const timings = Object.entries(s?.timings ?? {});
  if (timings.length > 0) {
    out.line('  timings');
    for (const l of aligned(timings.map(([k, v]) => [k, `${v.toFixed(2).padStart(9)}   ${timingLabel(k)}`]))) out.line(l);
  }
  out.line('  files');
  for (const l of aligned(files)) out.line(l);
  return 0;
}

/** What main.ts hands to the commands it registers through a helper. */
interface RunsHooks {
  output: (cmd: Command) => Output;
  done: (code: number) => void;
}

/** Registers the `runs` command and its `list` and `show` subcommands. */
export function registerRuns(program: Command, hooks: RunsHooks): void {
  const runs = program.command('runs').description('the runs folder');
  runs
    .command('list')
    .description('every run, newest first: kind, status, dataset, steps and its headline metric (test accuracy, test MSE or purity)')
    .option('--kind <kind>', 'only runs of this kind (mlp, ae, som, desom, kmeans)')
    .addOption(new Option('--status <status>', 'only runs with this status').choices([...RUN_STATUSES]))
    .option('--dataset <name>', 'only runs on this dataset')
    .action((o: RunsListFilters, cmd: Command) => {
      hooks.done(runsList(cmd.optsWithGlobals<{ out: string }>().out, hooks.output(cmd), { kind: o.kind, status: o.status, dataset: o.dataset }));
    });
  runs
    .command('show <id>')
    .description("a run's config, status, metrics and files")
    .action((id: string, _o, cmd: Command) => {
      hooks.done(runsShow(id, cmd.optsWithGlobals<{ out: string }>().out, hooks.output(cmd)));
    });
}
