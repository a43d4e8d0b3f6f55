/** `latentlab runs list` and `runs show ID`: what is in the runs folder (the runs API's listRuns and openRun, worded by src/viz/run-text.ts). */
import { Option, type Command } from 'commander';
import { listRuns, openRun, RUN_STATUSES, type RunsFilters } from '../../runs/api.js';
import { runPage, runsTable } from '../../viz/run-text.js';
import type { Output } from '../output.js';

export function runsList(root: string, out: Output, filters: RunsFilters = {}): number {
  const rows = listRuns(root, filters);
  if (out.json) {
    out.result(rows);
    return 0;
  }
  if (rows.length === 0) {
    const active = Object.entries(filters).filter(([, v]) => v !== undefined);
    out.line(active.length === 0 ? `no runs in ${root}` : `no runs in ${root} with ${active.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    return 0;
  }
  out.line(runsTable(rows));
  return 0;
}

export function runsShow(id: string, root: string, out: Output): number {
  const run = openRun(id, root);
  if (out.json) out.result({ run_id: run.id, path: run.path, status: run.status, config: run.record, summary: run.summary });
  else for (const l of runPage(run)) out.line(l);
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
    .action((o: RunsFilters, cmd: Command) => {
      hooks.done(runsList(cmd.optsWithGlobals<{ out: string }>().out, hooks.output(cmd), { kind: o.kind, status: o.status, dataset: o.dataset }));
    });
  runs
    .command('show <id>')
    .description("a run's config, status, metrics and files")
    .action((id: string, _o, cmd: Command) => {
      hooks.done(runsShow(id, cmd.optsWithGlobals<{ out: string }>().out, hooks.output(cmd)));
    });
}
