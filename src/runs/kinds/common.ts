/**
 * What the run kinds' config schemas share, declared once: the dataset and its directory, the seed,
 * the backend with its threads and matmul precision, the row limits, the split, the checkpoint /
 * log / evaluation cadence.
 *
 * Every field of a kind's schema carries its help text (`.describe()`); `src/cli/options.ts` makes
 * the command's flags from them. Two more pieces of metadata shape a flag: `arg`, the placeholder
 * of its value when not the generic one (`--lr <rate>`), and `defaultHelp`, the default as `--help`
 * words it when the schema holds none (a default computed at run time, such as k-means' k) or
 * should show it otherwise.
 *
 * Refusals are worded two ways, kept as they were: zod's own messages ("Too small: expected int to
 * be >0"; `plain`, every kind but ae) and "expected an integer ≥ 1, got 0" (`explained`, train ae).
 */
import { z } from 'zod';
import { datasetNames } from '../../data/registry.js';
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../../tensor/backend.js';

declare module 'zod/v4/core' {
  interface GlobalMeta {
    /** The flag's value placeholder, `--lr <rate>` (otherwise n for integers, name for choices, value for the rest). */
    arg?: string;
    /** The default as `--help` shows it, for a field whose default the schema does not hold. */
    defaultHelp?: string;
  }
}

/** How a schema refuses a value: the checks every field is built from. */
export interface Checks {
  /** An integer ≥ min (and ≤ max). */
  int: (min: number, max?: number) => z.ZodInt;
  /** One of `values`. */
  choice: <const T extends string>(values: readonly T[]) => z.ZodEnum<{ [K in T]: K }>;
  /** A registered dataset's name. */
  dataset: () => z.ZodString;
}

const enumOf = <T extends string>(values: readonly T[], params?: Parameters<typeof z.enum>[1]) =>
  z.enum(values as unknown as [T, ...T[]], params) as unknown as z.ZodEnum<{ [K in T]: K }>;

/** zod's own messages; the key and the value refused are added by the CLI's resolveConfig. */
export const plain: Checks = {
  int(min, max) {
    const s = min === 0 ? z.int().nonnegative() : min === 1 ? z.int().positive() : z.int().min(min);
    return max === undefined ? s : s.max(max);
  },
  choice: (values) => enumOf(values),
  dataset: () => z.string().refine((s) => datasetNames().includes(s as never), { message: `expected one of ${datasetNames().join(', ')}` }),
};

/** Every message names the value it refused. */
const got = (iss: { input?: unknown }): string => `got ${JSON.stringify(iss.input)}`;

/** Messages that name the value refused ("expected an integer ≥ 1, got 0"), with numbers too. */
export const explained: Checks & { positive: () => z.ZodNumber; nonNegative: () => z.ZodNumber } = {
  int: (min, max = Number.MAX_SAFE_INTEGER) =>
    z
      .int({ error: (iss) => `expected an integer, ${got(iss)}` })
      .min(min, { error: (iss) => `expected an integer ≥ ${min}, ${got(iss)}` })
      .max(max, { error: (iss) => `expected an integer ≤ ${max}, ${got(iss)}` }),
  choice: (values) => enumOf(values, { error: (iss) => `expected one of ${values.join(', ')}, ${got(iss)}` }),
  dataset: () => z.string().refine((s) => datasetNames().includes(s as never), { error: (iss) => `expected one of ${datasetNames().join(', ')}, ${got(iss)}` }),
  positive: () => z.number({ error: (iss) => `expected a number, ${got(iss)}` }).positive({ error: (iss) => `expected a number > 0, ${got(iss)}` }),
  nonNegative: () => z.number({ error: (iss) => `expected a number, ${got(iss)}` }).min(0, { error: (iss) => `expected a number ≥ 0, ${got(iss)}` }),
};

export const BACKEND_NAMES = ['auto', 'js', 'native'] as const;

/** Help of the `matmul_precision` key (`--matmul-precision`), which every kind has. */
export const MATMUL_PRECISION_HELP =
  'GEMM precision: float32, or bfloat16 (operands rounded to bfloat16, sums in float32; about twice as fast on CPUs with AVX512-BF16)';

/** The config key `matmul_precision` (see MatmulPrecision): float32 unless asked. */
export const MATMUL_PRECISION_FIELD = z
  .enum(MATMUL_PRECISIONS as [MatmulPrecision, ...MatmulPrecision[]])
  .default('float32')
  .describe(MATMUL_PRECISION_HELP)
  .meta({ arg: 'p' });

/**
 * The shared fields, refusing values as `checks` does. The ones whose default, help or choices
 * differ between kinds are functions; the kind adds `.default(…)` or `.optional()` to those.
 */
export function commonFields(checks: Checks) {
  return {
    dataset: checks.dataset().default('mnist').describe(datasetNames().join(' | ')).meta({ arg: 'name' }),
    data_dir: z.string().optional().describe('directory holding the dataset files').meta({ arg: 'dir' }),
    seed: checks.int(0).default(0).describe('random seed'),
    backend: checks.choice(BACKEND_NAMES).default('auto').describe('compute backend (auto: native when its addon loads, otherwise js)'),
    threads: checks.int(1).optional().describe('BLAS threads'),
    matmul_precision: MATMUL_PRECISION_FIELD,
    /** Use only the first n rows of the split trained on. */
    limit: (help = 'use only the first n training rows') => checks.int(1).optional().describe(help),
    /** Use only the first n rows of the test split (the held-out metrics; eval uses the same rows). */
    test_limit: (help = 'use only the first n test rows') => checks.int(1).optional().describe(help),
    /** train: fit on train, score on test; all: fit on everything. The first is the default. */
    split: <const S extends readonly ['train', 'all'] | readonly ['all', 'train']>(order: S, help = 'train (and score on test) or all') =>
      checks.choice(order).default(order[0]).describe(help).meta({ arg: 'split' }),
    /** Steps (or iterations, …: `unit`) between checkpoints. */
    checkpoint_every: (unit: string, arg = 'n') => checks.int(1).describe(`${unit} between checkpoints`).meta({ arg }),
    /** Steps (or iterations) between the step records of events.jsonl. */
    log_every: (unit: string, arg = 'n') => checks.int(1).describe(`${unit} between events.jsonl step records`).meta({ arg }),
    /** Iterations between measurements of `what` on a seeded sample of the training rows. */
    eval_every: (what: string) => checks.int(1).describe(`iterations between ${what} measurements on a sample`),
    /** Rows of the seeded sample eval_every measures on. */
    eval_sample: () => checks.int(1).describe('rows in that sample'),
  };
}

/**
 * The fields every run kind with a test split lists together, in this order: seed, backend,
 * threads, matmul precision and the two row limits (help texts of the limits may differ by kind).
 */
export function runFields(common: ReturnType<typeof commonFields>, help: { limit?: string; testLimit?: string } = {}) {
  return {
    seed: common.seed,
    backend: common.backend,
    threads: common.threads,
    matmul_precision: common.matmul_precision,
    limit: common.limit(help.limit),
    test_limit: common.test_limit(help.testLimit),
  };
}
