/**
 * Command options from three layers — defaults, a JSON config file (--config), flags — merged and
 * validated with a zod schema. Every message names the key: unknown keys, wrong types and
 * out-of-range values alike; a flag whose text is not a number is refused under its flag's name.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from './errors.js';
import { checkThreads } from './limits.js';

function describeIssue(issue: z.core.$ZodIssue, source: string): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') return `${source}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  // zod's own messages ("Too small: expected number to be >0") leave out the value refused (custom ones say it; their input is the whole config).
  const v = issue.input;
  const plain = v !== undefined && (typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x !== 'object')));
  const got = issue.code !== 'custom' && plain && !/\bgot\b/.test(issue.message) ? ` (got ${JSON.stringify(v)})` : '';
  return `${source}: ${key}: ${issue.message}${got}`;
}

/** Reads a JSON config file (a usage error when missing or not an object). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${path} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new UsageError(`--config: ${path} must hold a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Record<string, unknown>;
}

/**
 * Fills in a preset's values: for each key of an object schema whose metadata holds `presets`
 * (a `preset` key), when the config names one of them, the keys it sets that the config leaves
 * unset. A name that is not a preset is left for the schema to refuse.
 */
export function applyPresets(schema: z.ZodType, config: Record<string, unknown>): Record<string, unknown> {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  if (shape === undefined) return config;
  const out = { ...config };
  for (const [key, field] of Object.entries(shape)) {
    const presets = field.meta()?.presets;
    const name = config[key];
    if (presets === undefined || typeof name !== 'string' || !Object.hasOwn(presets, name)) continue;
    for (const [k, v] of Object.entries(presets[name](config))) if (out[k] === undefined) out[k] = v;
  }
  return out;
}

/** Merges file config and flags (flags win; undefined flags are ignored), fills in a preset's values (applyPresets) and validates. */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  file: Record<string, unknown> | null,
  flags: Record<string, unknown>,
  source: string,
): z.infer<S> {
  const bad = Object.entries(flags).filter((e): e is [string, NotANumber] => e[1] instanceof NotANumber);
  if (bad.length > 0) throw new UsageError(bad.map(([k, v]) => `${source}: ${flagName(k)}: ${v.expected}, got ${JSON.stringify(v.text)}`).join('\n'));
  const merged: Record<string, unknown> = { ...(file ?? {}) };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const r = schema.safeParse(applyPresets(schema, merged), { reportInput: true });
  if (!r.success) throw new UsageError(r.error.issues.map((i) => describeIssue(i, source)).join('\n'));
  // Checked here, before the session hands the count to the backend (the native one throws above its ceiling).
  checkThreads((r.data as { threads?: unknown }).threads);
  return r.data;
}

/** The flag of a config key: batch_size → --batch-size (every command names its flags so). */
export function flagName(key: string): string {
  return `--${key.replace(/_/g, '-')}`;
}

/**
 * What a numeric flag accepts: a decimal integer or decimal fraction with an optional exponent
 * (3, -2, 0.5, .5, 5., 1e-3, +2E4). Not Number()'s wider grammar, which also takes "0x1", "0b1",
 * "Infinity", "" and " 5" (the last two as 0 and 5), all more likely a slip than meant.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A flag value that is not a number; resolveConfig refuses it naming the flag. */
export class NotANumber {
  constructor(
    readonly text: string,
    readonly expected: string,
  ) {}
}

/** The number a flag's text spells (DECIMAL, finite), or null. */
export function parseDecimal(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Parses a flag value as a number (commander gives strings), leaving undefined alone. */
export function num(v: string | undefined): number | NotANumber | undefined {
  if (v === undefined) return undefined;
  return parseDecimal(v) ?? new NotANumber(v, 'expected a number');
}

/** Parses "128,64" (spaces after the commas allowed) into [128, 64]. */
export function numList(v: string | undefined): number[] | NotANumber | undefined {
  if (v === undefined) return undefined;
  const items = v.split(/,\s*/).map(parseDecimal);
  return items.every((n): n is number => n !== null) ? items : new NotANumber(v, 'expected comma-separated numbers such as 256,128');
}
