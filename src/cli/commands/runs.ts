/** `latentlab runs list` and `runs show ID`: what is in the runs folder. */
import { existsSync, readdirSync } from 'node:fs';
import { RunDir } from '../../runs/run-dir.js';
import { table, type Output } from '../output.js';

/** The metric a run is best known by: purity for maps and clusterings (their accuracy is the Hungarian one, at most 10 of 64 cells), accuracy for classifiers, MSE for autoencoders. */
function headline(kind: string, metrics: Record<string, number>): string {
  const order = kind === 'som' || kind === 'desom' || kind === 'kmeans' ? ['purity', 'test_purity', 'nmi'] : ['test_accuracy', 'accuracy', 'test_mse', 'mse', 'purity', 'nmi'];
  for (const k of order) {
    if (k in metrics) return `${k} ${k.includes('accuracy') ? `${(metrics[k] * 100).toFixed(2)}%` : metrics[k].toFixed(4)}`;
  }
  return '';
}

export function runsList(root: string, out: Output): number {
  const runs = RunDir.list(root);
  const rows = runs.map((r) => {
    const s = r.readSummary();
    return { id: r.id, kind: s?.kind ?? '?', status: r.effectiveStatus(), step: s?.step ?? 0, total: s?.total_steps ?? 0, metrics: s?.metrics ?? {}, started: s?.started_at ?? '' };
  });
  if (out.json) {
    out.result(rows);
    return 0;
  }
  if (rows.length === 0) {
    out.line(`no runs in ${root}`);
    return 0;
  }
  out.line(table([['run', 'kind', 'status', 'steps', 'result', 'started'], ...rows.map((r) => [r.id, r.kind, r.status, `${r.step}/${r.total}`, headline(r.kind, r.metrics), r.started.replace('T', ' ').slice(0, 19)])]));
  return 0;
}

export function runsShow(id: string, root: string, out: Output): number {
  const run = RunDir.open(id, root);
  const cfg = run.readConfig();
  const s = run.readSummary();
  const files = ['model', 'checkpoint', 'arrays', 'figures'].map((d) => `${d}/: ${existsSync(run.file(d)) ? readdirSync(run.file(d)).join(', ') || '(empty)' : '(missing)'}`);
  if (out.json) {
    out.result({ run_id: run.id, path: run.path, status: run.effectiveStatus(), config: cfg, summary: s });
    return 0;
  }
  out.line(`run ${run.id}  (${run.path})`);
  out.line(`  status   ${run.effectiveStatus()}${s?.error ? ` — ${s.error}` : ''}`);
  out.line(`  steps    ${s?.step ?? 0}/${s?.total_steps ?? '?'}${s?.resumed_from_step?.length ? ` (resumed at ${s.resumed_from_step.join(', ')})` : ''}`);
  out.line(`  config   ${JSON.stringify((cfg as { config?: unknown }).config ?? cfg)}`);
  for (const [k, v] of Object.entries(s?.metrics ?? {})) out.line(`  ${k.padEnd(14)} ${v}`);
  for (const [k, v] of Object.entries(s?.timings ?? {})) out.line(`  ${k.padEnd(14)} ${v.toFixed(2)}`);
  for (const f of files) out.line(`  ${f}`);
  return 0;
}
