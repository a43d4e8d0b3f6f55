/**
 * The options of `latentlab bench desom`, declared once: a zod object schema whose keys are the
 * command's flags (src/cli/options.ts generates them, their help and placeholders, and reads the
 * values given back under these keys), and `benchDesomOptions`, which turns those values into the
 * SweepOptions of planSweep / runSweep (src/experiments/desom-sweep.ts). `threads`, `data_dir` and
 * `matmul_precision` are the run kinds' own fields (src/runs/kinds/common.ts), worded for a sweep.
 *
 * A value refused is a UsageError in the sweep's words: `bench desom: --jobs: expected a positive
 * integer, got "0"`, what is expected being each key's `expected` metadata (seeds: parseSeeds').
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { flagName, NotANumber } from '../runs/config.js';
import { UsageError } from '../runs/errors.js';
import { commonFields, MATMUL_PRECISION_FIELD, plain } from '../runs/kinds/common.js';
import { MATMUL_PRECISIONS } from '../tensor/backend.js';
import { DEFAULT_SWEEP_METHODS, SWEEP_DATASETS, SWEEP_METHODS, type SweepEvent, type SweepOptions, type SweepTask } from './desom-sweep.js';

declare module 'zod/v4/core' {
  interface GlobalMeta {
    /** What a `bench desom` flag expects, as its refusal words it: "a positive integer". */
    expected?: string;
  }
}

const common = commonFields(plain);
const names = <T extends string>(values: readonly T[], defaults: readonly T[] = values) =>
  z
    .array(z.enum(values as unknown as [T, ...T[]]))
    .min(1)
    .default([...defaults])
    .describe(`comma-separated: ${values.join(', ')}`)
    .meta({
      arg: 'list',
      defaultHelp: defaults.length === values.length ? 'all' : defaults.join(','),
      expected: `a comma-separated list of ${values.join(', ')}`,
    });
const POSITIVE = 'a positive integer';

/** The flags of `bench desom`, in the order --help lists them. */
export const BENCH_DESOM_OPTIONS = z.object({
  dir: z.string().optional().describe('sweep folder').meta({ arg: 'path', defaultHelp: '<out>/bench-desom, or bench-desom-quick with --quick' }),
  datasets: names(SWEEP_DATASETS),
  methods: names(SWEEP_METHODS, DEFAULT_SWEEP_METHODS),
  seeds: z.string().optional().describe('number of seeds (0 … n−1) or a list').meta({ arg: 'n|list', defaultHelp: '3; quick 2' }),
  jobs: plain.int(1).optional().describe('commands at once').meta({ defaultHelp: '1', expected: POSITIVE }),
  threads: common.threads.describe('backend threads per command').meta({ defaultHelp: 'cores / jobs', expected: POSITIVE }),
  quick: z
    .boolean()
    .optional()
    .describe(
      'smoke test (checks that everything runs, numbers not comparable with the paper): 1,000 rows, 100 iterations, 1 SOM epoch, 2 k-means restarts, 2 seeds',
    ),
  limit: plain.int(1).optional().describe('rows per dataset').meta({ defaultHelp: 'all; quick 1000', expected: POSITIVE }),
  map: z
    .string()
    .regex(/^\d+x\d+$/)
    .default('8x8')
    .describe('map size')
    .meta({ arg: 'RxC', defaultHelp: '8x8', expected: 'ROWSxCOLS (e.g. 8x8)' }),
  matmul_precision: MATMUL_PRECISION_FIELD.describe('GEMM precision of every command: float32 or bfloat16 (CPUs with AVX512-BF16, about twice as fast)').meta({
    defaultHelp: 'float32',
    expected: MATMUL_PRECISIONS.join(' or '),
  }),
  data_dir: common.data_dir,
  report_only: z.boolean().optional().describe('only rebuild results.md / results.json from the runs on disk'),
});

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

/** A sweep as `bench desom` runs it: the sweep's options (`root` the sweep folder) and whether only to rebuild its report. */
export interface BenchDesom {
  sweep: SweepOptions & { quick: boolean; map: string };
  reportOnly: boolean;
}

/**
 * The sweep the values of BENCH_DESOM_OPTIONS's keys ask for (what src/cli/options.ts readOptions
 * reads from the flags; a key left out takes its default). `out` is the runs folder the sweep folder
 * defaults to a child of; `texts`, the flags' texts as typed, is what a refusal quotes.
 */
export function benchDesomOptions(values: Record<string, unknown>, { out, texts = {} }: { out: string; texts?: Record<string, string> }): BenchDesom {
  const r = BENCH_DESOM_OPTIONS.safeParse(values);
  if (!r.success) {
    const key = String(r.error.issues[0].path[0]);
    const v = values[key];
    const text = texts[key] ?? (v instanceof NotANumber ? v.text : Array.isArray(v) ? v.join(',') : String(v));
    const expected = z.globalRegistry.get(BENCH_DESOM_OPTIONS.shape[key as keyof typeof BENCH_DESOM_OPTIONS.shape])?.expected;
    throw new UsageError(`bench desom: ${flagName(key)}: ${expected === undefined ? r.error.issues[0].message : `expected ${expected}`}, got "${text}"`);
  }
  const o = r.data;
  const quick = o.quick === true;
  const sweep = {
    root: resolve(o.dir ?? join(out, quick ? 'bench-desom-quick' : 'bench-desom')),
    datasets: [...new Set(o.datasets)],
    methods: [...new Set(o.methods)],
    seeds: parseSeeds(o.seeds, quick ? 2 : 3),
    jobs: o.jobs,
    threads: o.threads,
    quick,
    limit: o.limit,
    map: o.map,
    matmulPrecision: o.matmul_precision,
    dataDir: o.data_dir,
  };
  return { sweep, reportOnly: o.report_only === true };
}

/** The line `bench desom` starts a sweep with: how many runs, of what, where, how many at once. */
export function sweepStartText(o: BenchDesom['sweep'], runs: number): string {
  return `bench desom: ${runs} runs (${o.methods.join(', ')} × ${o.datasets.join(', ')} × seeds ${o.seeds.join(', ')}${o.quick ? ', quick' : ''}) in ${o.root}, ${o.jobs ?? 1} at a time`;
}

/** The progress lines of a sweep's events, `[k/n]` counting the tasks ended (skipped, finished or not run) of the `total`. */
export function sweepProgress(total: number): (e: SweepEvent) => string {
  let ended = 0;
  return (e) => {
    if (e.type === 'start') return `       ${e.task.id}: ${e.resume ? 'resuming' : 'started'} (log ${e.log})`;
    if (e.type === 'wait') return `       ${e.task.id}: waiting (${e.reason})`;
    const n = `[${++ended}/${total}] ${e.task.id}`;
    if (e.type === 'skip') return `${n}: skipped (${e.reason})`;
    if (e.type === 'blocked') return `${n}: not run (${e.reason})`;
    const m = e.metrics;
    const shown = ['purity', 'nmi_geometric', 'te']
      .filter((k) => typeof m[k] === 'number')
      .map((k) => `${k} ${m[k].toFixed(4)}`)
      .join(', ');
    return `${n}: ${e.status} in ${e.seconds.toFixed(1)} s${shown ? ` (${shown})` : ''}${e.status === 'completed' ? '' : `, exit code ${e.code}`}`;
  };
}

/** The error of `--report-only` when the sweep folder holds none of the sweep's runs. */
export function nothingToReport(dir: string, tasks: readonly SweepTask[], quick: boolean): Error {
  const ids = tasks.filter((t) => t.method !== 'ae').map((t) => t.id);
  const looked = ids.length <= 2 ? ids.join(' and ') : `${ids[0]} … ${ids[ids.length - 1]}, ${ids.length} in all`;
  const where = existsSync(dir) ? `no runs of this sweep in ${dir}` : `${dir} does not exist`;
  return new Error(
    `bench desom --report-only: nothing to report: ${where} (looked for the run directories ${looked}). ` +
      `Run \`latentlab bench desom${quick ? ' --quick' : ''}\` first, or point --dir (or --out, with the same --quick, --datasets, --methods and --seeds) at an existing sweep.`,
  );
}
