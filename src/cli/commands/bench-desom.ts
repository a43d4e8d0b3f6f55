/**
 * `latentlab bench desom`: the DESOM paper's benchmark (src/experiments/desom-sweep.ts runs it),
 * then its table — mean ± std over seeds per method and dataset, Welch's t-test against DESOM,
 * the paper's numbers beside ours — written as results.md and results.json in the sweep folder.
 * `--quick` (or a sweep folder whose sweep.json says it held quick runs) is a smoke test: its
 * table says so and carries neither the paper's numbers nor t-tests. `--report-only` over a
 * folder without runs says where it looked instead of writing an empty table.
 *
 * The flags are generated from BENCH_DESOM_OPTIONS (src/experiments/desom-bench-options.ts), which
 * also reads them into the sweep's options; this file runs the sweep and prints.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.js';
import { buildDesomTable, desomTableMarkdown } from '../../experiments/desom-table.js';
import { SWEEP_MANIFEST, collectRecords, planSweep, readSweepManifest, runSweep } from '../../experiments/desom-sweep.js';
import {
  BENCH_DESOM_OPTIONS,
  benchDesomOptions,
  nothingToReport,
  sweepProgress,
  sweepStartText,
  type BenchDesom,
} from '../../experiments/desom-bench-options.js';
import type { Output } from '../output.js';
import { addOptionsFrom, readOptions, type CommandHooks } from '../options.js';

/** Runs the sweep (unless only reporting), then writes and prints its table. Exit code: 0, 1 when a run did not complete, 130 when stopped. */
export async function benchDesom({ sweep: o, reportOnly }: BenchDesom, out: Output): Promise<number> {
  const dir = o.root;
  let stopped: NodeJS.Signals | null = null;
  let tasks = planSweep(o);
  if (!reportOnly) {
    out.notice(sweepStartText(o, tasks.length));
    const progress = sweepProgress(tasks.length);
    const r = await runSweep({ ...o, onEvent: (e) => out.notice(progress(e)) });
    tasks = r.tasks;
    stopped = r.stopped;
  }
  const records = collectRecords(dir, tasks);
  if (reportOnly && records.every((r) => r.status === 'missing')) throw nothingToReport(dir, tasks, o.quick);
  // A smoke test, whether this invocation says --quick or the folder's runs were made by one.
  const smokeTest = o.quick || readSweepManifest(dir)?.quick === true;
  if (smokeTest && !o.quick) out.notice(`bench desom: ${join(dir, SWEEP_MANIFEST)} says this folder holds --quick runs: the table is labelled a smoke test`);
  const table = buildDesomTable(records, { smokeTest });
  const md = desomTableMarkdown(table);
  writeJsonAtomic(join(dir, 'results.json'), { options: { ...o, root: undefined }, smoke_test: smokeTest, records, table });
  writeFileAtomic(join(dir, 'results.md'), md);
  out.line(md);
  out.result({ dir, records: records.length, completed: records.filter((r) => r.status === 'completed').length, table });
  out.notice(`bench desom: ${smokeTest ? 'smoke-test ' : ''}results in ${join(dir, 'results.md')} and results.json`);
  if (stopped !== null) {
    out.notice(`bench desom: stopped by ${stopped}; run the same command again to resume`);
    return 130;
  }
  return records.every((r) => r.status === 'completed') ? 0 : 1;
}

/** Registers `bench desom` under the `bench` command. */
export function registerBench(program: Command, hooks: CommandHooks): void {
  const bench = program.command('bench').description('benchmarks that are sweeps of runs');
  const desom = bench
    .command('desom')
    .description('the DESOM paper benchmark: k-means, SOM, gradient SOM, AE+SOM, AE+gradient SOM and DESOM × datasets × seeds, with its table');
  // --matmul-precision's values are checked by the schema, which words the refusal as the other flags'.
  addOptionsFrom(desom, BENCH_DESOM_OPTIONS, { choices: false }).action(async (_o: unknown, cmd: Command) => {
    const { values, texts } = readOptions(cmd, BENCH_DESOM_OPTIONS);
    const sweep = benchDesomOptions(values, { out: cmd.optsWithGlobals<{ out: string }>().out, texts });
    hooks.done(await benchDesom(sweep, hooks.output(cmd)));
  });
}
