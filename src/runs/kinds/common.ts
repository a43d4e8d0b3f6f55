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
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { datasetNames, getDataset } from '../../data/registry.js';
import { classRows, classSubset, describeClasses, takeRows, type LabelledRows } from '../../data/transforms.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import type { Rng } from '../../random.js';
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../../tensor/backend.js';
import { Tensor } from '../../tensor/tensor.js';
import type { EvalRequest } from '../kind.js';
import type { RunDir } from '../run-dir.js';

declare module 'zod/v4/core' {
  interface GlobalMeta {
    /** The flag's value placeholder, `--lr <rate>` (otherwise n for integers, name for choices, value for the rest). */
    arg?: string;
    /** The default as `--help` shows it, for a field whose default the schema does not hold. */
    defaultHelp?: string;
    /**
     * On a `preset` key (a choice of names): what each preset fills in, given the config as merged
     * from the config file and the flags; only the keys left unset are filled (resolveConfig).
     */
    presets?: Readonly<Record<string, (given: Readonly<Record<string, unknown>>) => Record<string, unknown>>>;
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

export const BACKEND_NAMES = ['auto', 'js', 'native', 'wasm'] as const;

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
    backend: checks.choice(BACKEND_NAMES).default('auto').describe('compute backend (auto: native when its addon loads, else wasm, else js)'),
    threads: checks.int(1).optional().describe('threads of the native or wasm backend'),
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

// ---- class subsets -----------------------------------------------------------------------------

/**
 * The keys of a class subset (`--classes 1,7 --per-class 100`, as the Cluster Paths project trains
 * on a few digits): the classes kept, renumbered 0..K−1 in ascending order, and how many training
 * rows of each are drawn (seeded). Every kind that has them refines its schema with
 * refineClassSubset.
 */
export function classSubsetFields(checks: Checks) {
  return {
    classes: z
      .array(checks.int(0))
      .optional()
      .describe('train and test on these classes only (labels renumbered 0..K−1 in sorted order)')
      .meta({ arg: 'list' }),
    per_class: checks.int(1).optional().describe('with --classes: this many training images of each, seeded (default all)'),
  };
}

/** The config keys classSubsetFields declares, with the dataset they are classes of. */
export interface ClassSubsetConfig {
  dataset: string;
  classes?: number[];
  per_class?: number;
}

/** A schema's refinement for the class-subset keys: per_class only with classes, and classes distinct, at least 2, and classes of the dataset. */
export function refineClassSubset(c: ClassSubsetConfig, ctx: z.RefinementCtx): void {
  if (c.per_class !== undefined && c.classes === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['per_class'],
      message: `applies only with classes (--per-class n draws n training images of each class given by --classes), got per_class ${c.per_class} without classes`,
    });
  }
  if (c.classes === undefined) return;
  const list = `[${c.classes.join(', ')}]`;
  if (c.classes.length < 2) ctx.addIssue({ code: 'custom', path: ['classes'], message: `expected at least 2 classes to tell apart, got ${list}` });
  if (new Set(c.classes).size !== c.classes.length) ctx.addIssue({ code: 'custom', path: ['classes'], message: `expected distinct classes, got ${list}` });
  if (!datasetNames().includes(c.dataset as never)) return; // refused under dataset
  const names = getDataset(c.dataset).classNames;
  for (const k of c.classes.filter((k) => Number.isInteger(k) && k >= names.length)) {
    ctx.addIssue({ code: 'custom', path: ['classes'], message: `class ${k} is not one of ${c.dataset}'s classes ${describeClasses(names)}, got ${list}` });
  }
}

/** Rows of a class subset: the rows given, narrowed to the classes kept, relabelled 0..K−1. */
export type Kept<T extends LabelledRows> = T & {
  /** The rows of the input kept, ascending. */
  readonly indices: Int32Array;
  /** The original labels of the classes kept, ascending (new label k is kept[k]); classNames names them. */
  readonly kept: number[];
};

/** `data` narrowed to the rows of `s` (a classSubset / classRows of it), along with its raw rows when it keeps them (an encoded ClusterData). */
function narrowed<T extends LabelledRows>(data: T, s: ReturnType<typeof classSubset>): Kept<T> {
  const raw = (data as { raw?: unknown }).raw;
  return {
    ...data,
    x: s.x,
    labels: s.labels,
    classNames: s.classNames,
    ...(raw instanceof Tensor ? { raw: takeRows(raw, s.indices) } : {}),
    indices: s.indices,
    kept: s.classes,
  };
}

/**
 * The rows of `classes` only, relabelled 0..K−1 (classSubset): a run's training rows, `perClass`
 * of each class drawn by `rng`, or (without perClass) its test rows, all of those classes.
 */
export function keepClasses<T extends LabelledRows>(data: T, classes: readonly number[], perClass?: number, rng?: Rng): Kept<T> {
  return narrowed(data, classSubset(data, classes, perClass, rng));
}

/** What config.json's dataset record adds for a class subset: the classes kept (original labels, ascending) and their names (the run's label k is class_names[k]). */
export function keptNote(train: Kept<LabelledRows> | null): { kept_classes?: number[]; class_names?: string[] } {
  return train === null ? {} : { kept_classes: train.kept, class_names: [...train.classNames] };
}

/** "mnist classes 1, 7" for a class subset, the dataset's name otherwise (notices, report titles). */
export function keptLabel(dataset: string, train: Kept<LabelledRows> | null): string {
  return train === null ? dataset : `${dataset} classes ${train.kept.join(', ')}`;
}

/** Which training rows a subset kept (indices into the split trained on, after --limit), as arrays/train_indices.npy: an analysis of the run finds them again. */
export function writeTrainIndices(run: RunDir, train: Kept<LabelledRows> | null): void {
  if (train !== null) writeNpy(run.file('arrays', 'train_indices.npy'), { dtype: 'i4', shape: [train.indices.length], data: train.indices });
}

/**
 * The rows of a split that a run trained on a class subset is scored on, relabelled as in
 * training: on the split it was fitted on (its own dataset) with per_class, exactly the rows it
 * drew (arrays/train_indices.npy, so eval gives the summary's metrics); otherwise every row of its
 * classes. `data` unchanged for a run without classes.
 */
export function evalRows<T extends LabelledRows>(r: EvalRequest, data: T): T | Kept<T> {
  const classes = r.config.classes as number[] | undefined;
  if (classes === undefined) return data;
  const fitted = r.config.split === 'all' ? 'all' : 'train';
  const drawn = r.run.file('arrays', 'train_indices.npy');
  if (r.config.per_class !== undefined && r.dataset === r.config.dataset && r.split === fitted && existsSync(drawn)) {
    const idx = readNpy(drawn);
    if (!(idx.data instanceof Int32Array)) throw new TypeError(`eval: expected ${drawn} to hold int32 row indices, got dtype ${idx.dtype}`);
    if (idx.data.some((i) => i >= data.x.rows)) throw new RangeError(`eval: ${drawn} names rows beyond the ${data.x.rows} rows of ${r.dataset} ${r.split}`);
    return narrowed(data, classRows(data, classes, idx.data));
  }
  return keepClasses(data, classes);
}
