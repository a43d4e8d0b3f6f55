/**
 * `latentlab bench desom`: the DESOM paper's benchmark (src/experiments/desom-sweep.ts runs it),
 * then its table — mean ± std over seeds per method and dataset, Welch's t-test against DESOM,
 * the paper's numbers beside ours — written as results.md and results.json in the sweep folder.
 * `--quick` (or a sweep folder whose sweep.json says it held quick runs) is a smoke test: its
 * table says so and carries neither the paper's numbers nor t-tests. `--report-only` over a
 * folder without runs says where it looked instead of writing an empty table.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.js';
import { buildDesomTable, desomTableMarkdown } from '../../experiments/desom-table.js';
import {
  SWEEP_DATASETS,
  SWEEP_METHODS,
  SWEEP_MANIFEST,
  collectRecords,
  planSweep,
  readSweepManifest,
  runSweep,
  type SweepEvent,
  type SweepMethod,
  type SweepOptions,
  type SweepTask,
} from '../../experiments/desom-sweep.js';
import { parseDecimal } from '../../runs/config.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import type { CommandHooks } from '../options.js';
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../../tensor/backend.js';

export interface BenchDesomFlags {
  out: string;
  dir?: string;
  datasets?: string;
  methods?: string;
  seeds?: string;
  jobs?: string;
  threads?: string;
  quick?: boolean;
  limit?: string;
  map?: string;
  matmulPrecision?: string;
  dataDir?: string;
  reportOnly?: boolean;
}

function list(flag: string, v: string | undefined, allowed: readonly string[], dflt: readonly string[]): string[] {
  if (v === undefined) return [...dflt];
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = items.filter((s) => !allowed.includes(s));
  if (items.length === 0 || bad.length > 0) throw new UsageError(`bench desom: ${flag}: expected a comma-separated list of ${allowed.join(', ')}, got "${v}"`);
  return [...new Set(items)];
}

function posInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseDecimal(v);
  if (n === null || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`bench desom: ${flag}: expected a positive integer, got "${v}"`);
  return n;
}

function precisionFlag(v: string | undefined): MatmulPrecision {
  if (v === undefined) return 'float32';
  if (!MATMUL_PRECISIONS.includes(v as MatmulPrecision))
    throw new UsageError(`bench desom: --matmul-precision: expected ${MATMUL_PRECISIONS.join(' or ')}, got "${v}"`);
  return v as MatmulPrecision;
}

/** "3" → seeds 0, 1, 2; "0,5,7" → those seeds. */
export function parseSeeds(v: string | undefined, dflt: number): number[] {
  if (v === undefined) return Array.from({ length: dflt }, (_, i) => i);
  if (/^\d+$/.test(v.trim())) {
    const n = Number(v);
    if (n < 1 || n > 1000) throw new UsageError(`bench desom: --seeds: expected a count between 1 and 1000 or a list like 0,1,2, got "${v}"`);
    return Array.from({ length: n }, (_, i) => i);
  }
  const seeds = v.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s)))
    throw new UsageError(`bench desom: --seeds: expected a count or a comma-separated list of non-negative integers, got "${v}"`);
  const out = seeds.map(Number);
  if (new Set(out).size !== out.length) throw new UsageError(`bench desom: --seeds: expected distinct seeds, got "${v}"`);
  return out;
}

/** The error of `--report-only` when the sweep folder holds none of the sweep's runs. */
function nothingToReport(dir: string, tasks: readonly SweepTask[], quick: boolean): Error {
  const ids = tasks.filter((t) => t.method !== 'ae').map((t) => t.id);
  const looked = ids.length <= 2 ? ids.join(' and ') : `${ids[0]} … ${ids[ids.length - 1]}, ${ids.length} in all`;
  const where = existsSync(dir) ? `no runs of this sweep in ${dir}` : `${dir} does not exist`;
  return new Error(
    `bench desom --report-only: nothing to report: ${where} (looked for the run directories ${looked}). ` +
      `Run \`latentlab bench desom${quick ? ' --quick' : ''}\` first, or point --dir (or --out, with the same --quick, --datasets, --methods and --seeds) at an existing sweep.`,
  );
}

export async function benchDesom(flags: BenchDesomFlags, out: Output): Promise<number> {
  const quick = flags.quick === true;
  const dir = resolve(flags.dir ?? join(flags.out, quick ? 'bench-desom-quick' : 'bench-desom'));
  const map = flags.map ?? '8x8';
  if (!/^\d+x\d+$/.test(map)) throw new UsageError(`bench desom: --map: expected ROWSxCOLS (e.g. 8x8), got "${map}"`);
  const o: SweepOptions = {
    root: dir,
    datasets: list('--datasets', flags.datasets, SWEEP_DATASETS, SWEEP_DATASETS),
    methods: list('--methods', flags.methods, SWEEP_METHODS, SWEEP_METHODS) as SweepMethod[],
    seeds: parseSeeds(flags.seeds, quick ? 2 : 3),
    jobs: posInt('--jobs', flags.jobs),
    threads: posInt('--threads', flags.threads),
    quick,
    limit: posInt('--limit', flags.limit),
    map,
    matmulPrecision: precisionFlag(flags.matmulPrecision),
    dataDir: flags.dataDir,
  };
  let stopped: NodeJS.Signals | null = null;
  let tasks = planSweep(o);
  if (flags.reportOnly !== true) {
    out.notice(
      `bench desom: ${tasks.length} runs (${o.methods.join(', ')} × ${o.datasets.join(', ')} × seeds ${o.seeds.join(', ')}${quick ? ', quick' : ''}) in ${dir}, ${o.jobs ?? 1} at a time`,
    );
    let finished = 0;
    const onEvent = (e: SweepEvent): void => {
      switch (e.type) {
        case 'skip':
          finished++;
          out.notice(`[${finished}/${tasks.length}] ${e.task.id}: skipped (${e.reason})`);
          break;
        case 'start':
          out.notice(`       ${e.task.id}: ${e.resume ? 'resuming' : 'started'} (log ${e.log})`);
          break;
        case 'end': {
          finished++;
          const m = e.metrics;
          const shown = ['purity', 'nmi_geometric', 'te']
            .filter((k) => typeof m[k] === 'number')
            .map((k) => `${k} ${m[k].toFixed(4)}`)
            .join(', ');
          out.notice(
            `[${finished}/${tasks.length}] ${e.task.id}: ${e.status} in ${e.seconds.toFixed(1)} s${shown ? ` (${shown})` : ''}${e.status === 'completed' ? '' : `, exit code ${e.code}`}`,
          );
          break;
        }
        case 'blocked':
          finished++;
          out.notice(`[${finished}/${tasks.length}] ${e.task.id}: not run (${e.reason})`);
          break;
      }
    };
    const r = await runSweep({ ...o, onEvent });
    tasks = r.tasks;
    stopped = r.stopped;
  }
  const records = collectRecords(dir, tasks);
  if (flags.reportOnly === true && records.every((r) => r.status === 'missing')) throw nothingToReport(dir, tasks, quick);
  // A smoke test, whether this invocation says --quick or the folder's runs were made by one.
  const smokeTest = quick || readSweepManifest(dir)?.quick === true;
  if (smokeTest && !quick) out.notice(`bench desom: ${join(dir, SWEEP_MANIFEST)} says this folder holds --quick runs: the table is labelled a smoke test`);
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
  bench
    .command('desom')
    .description('the DESOM paper benchmark: k-means, SOM, gradient SOM, AE+SOM, AE+gradient SOM and DESOM × datasets × seeds, with its table')
    .option('--dir <path>', 'sweep folder (default <out>/bench-desom, or bench-desom-quick with --quick)')
    .option('--datasets <list>', `comma-separated: ${SWEEP_DATASETS.join(', ')} (default all)`)
    .option('--methods <list>', `comma-separated: ${SWEEP_METHODS.join(', ')} (default all)`)
    .option('--seeds <n|list>', 'number of seeds (0 … n−1) or a list (default 3; quick 2)')
    .option('--jobs <n>', 'commands at once (default 1)')
    .option('--threads <n>', 'BLAS threads per command (default: cores / jobs)')
    .option(
      '--quick',
      'smoke test (checks that everything runs, numbers not comparable with the paper): 1,000 rows, 100 iterations, 1 SOM epoch, 2 k-means restarts, 2 seeds',
    )
    .option('--limit <n>', 'rows per dataset (default all; quick 1000)')
    .option('--map <RxC>', 'map size (default 8x8)')
    .option('--matmul-precision <p>', 'GEMM precision of every command: float32 (default) or bfloat16 (CPUs with AVX512-BF16, about twice as fast)')
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--report-only', 'only rebuild results.md / results.json from the runs on disk')
    .action(async (o: Omit<BenchDesomFlags, 'out'>, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ out: string }>();
      hooks.done(await benchDesom({ ...o, out: g.out }, hooks.output(cmd)));
    });
}
