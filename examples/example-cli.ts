/**
 * What every example shares at its start, so that it behaves like the `latentlab` command:
 * - flags parsed strictly (node:util parseArgs): an unknown flag, a missing value or a stray
 *   argument prints the message and the usage on stderr and exits with 2;
 * - `--help` (`-h`) prints the usage on stdout and exits with 0;
 * - any later failure (a dataset that cannot be found, a wrong LATENTLAB_DATA_DIR, …) prints one
 *   line `<example>: <message>` and exits with 1; LATENTLAB_DEBUG=1 adds the stack trace;
 * - the folder an example writes into: runs/examples/<example>/ under the current directory by
 *   default (runs/ is git-ignored), `--out DIR` elsewhere, `--docs` into docs/experiments/figures/,
 *   the figures the experiment pages of the documentation show.
 */
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
/** The parsed flag values of options `O`, typed as node:util's parseArgs types them. */
export type ExampleValues<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<O>; strict: true; allowPositionals: false }>
>['values'];

/** How an example is called: its name (the file name without .ts), what it does, and its flags. */
export interface ExampleSpec<O extends Options> {
  /** The file name without `.ts`, e.g. `seed003-linear-regression`. */
  script: string;
  /** One or two sentences for `--help`. */
  summary: string;
  /** One line per flag, `--name VALUE   what it does (default …)`, for `--help`. */
  flags: readonly string[];
  options: O;
}

/** docs/experiments/figures/ of this repository: where `--docs` writes. */
export const DOCS_FIGURES = fileURLToPath(new URL('../docs/experiments/figures/', import.meta.url));

/** The output flags of the examples that write files (add them to `options`). */
export const OUTPUT_OPTIONS = {
  out: { type: 'string' },
  docs: { type: 'boolean' },
} as const satisfies Options;

/** The `--help` lines of OUTPUT_OPTIONS for an example named `script`. */
export function outputFlagsHelp(script: string): string[] {
  return [
    `--out DIR              write the figures and the JSON of numbers into DIR (default runs/examples/${script})`,
    `--docs                 write them into docs/experiments/figures/, regenerating the documentation's figures`,
  ];
}

function usage<O extends Options>(spec: ExampleSpec<O>): string {
  return [
    `Usage: node --import tsx examples/${spec.script}.ts [flags]`,
    '',
    spec.summary,
    '',
    'Flags:',
    ...[...spec.flags, '--help, -h             print this help and exit'].map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** Prints `<script>: <message>` on stderr and exits with `code` (2: usage error, 1: failure). */
export function fail(script: string, message: string, code: 1 | 2 = 1): never {
  process.stderr.write(`${script}: ${message}\n`);
  process.exit(code);
}

/** Failures after parsing become one line and exit code 1, as the CLI's `latentlab: …`. */
function installFailureHandler(script: string): void {
  const onError = (e: unknown): void => {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`${script}: ${err.message}\n`);
    if (process.env.LATENTLAB_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}

/**
 * Parses the example's flags (process.argv by default): `--help` prints the usage and exits 0; a
 * parse error prints it and exits 2. Also installs the one-line failure handler.
 */
export function parseExampleArgs<const O extends Options>(spec: ExampleSpec<O>, args: string[] = process.argv.slice(2)): ExampleValues<O> {
  installFailureHandler(spec.script);
  const options: WithHelp<O> = { ...spec.options, help: { type: 'boolean', short: 'h' } };
  let values: ExampleValues<O>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    process.stderr.write(`${spec.script}: ${(e as Error).message}\n\n${usage(spec)}`);
    process.exit(2);
  }
  if ((values as { help?: boolean }).help === true) {
    process.stdout.write(usage(spec));
    process.exit(0);
  }
  return values;
}

/** The output folder from `--out` / `--docs` (not both): runs/examples/<script> by default. */
export function outputDir(script: string, values: { out?: string; docs?: boolean }): string {
  if (values.out !== undefined && values.docs === true) fail(script, '--out and --docs are exclusive: --docs means --out docs/experiments/figures', 2);
  if (values.docs === true) return DOCS_FIGURES;
  if (values.out !== undefined) {
    if (values.out.trim() === '') fail(script, '--out expects a directory, got ""', 2);
    return values.out;
  }
  return join('runs', 'examples', script);
}

/** Parses a flag as a number, exiting with a usage error (code 2) when it is not one or fails `check`. */
export function numberFlag(script: string, name: string, v: string | undefined, check: (n: number) => boolean, expected: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !check(n)) fail(script, `--${name} expects ${expected}, got ${JSON.stringify(v)}`, 2);
  return n;
}

/** A path for messages: relative to the working directory when that is shorter. */
export function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.length > 0 && r.length < p.length ? r : p;
}
